"""One client for every model: the model spec, the instructor client and the retry policy.

Every backend is reached through the OpenAI chat-completions API and the one
``openai`` client: OpenAI, any OpenAI-compatible server, and the embedded
model (served in-process through an httpx2 transport, see ``local.py``).

Two kinds of fault, two layers:
- transport faults (429, 5xx, timeouts, dropped connections) are retried by
  ``RetryingTransport`` under one tenacity policy; the openai client's own
  retries are off so that the two never stack;
- content faults (bad JSON, wrong shape, ungrounded quotes) are re-asked by
  instructor with the validation error, ``max_reasks`` times.
"""

from __future__ import annotations

import email.utils
import os
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import httpx2
import tenacity

from summarize.errors import ConfigurationError

if TYPE_CHECKING:
    import instructor

Mode = Literal["tools", "json_schema", "json"]
LOCAL_MODELS = ("qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b")
OPENAI_URL = "https://api.openai.com/v1"
LOCAL_URL = "http://embedded.summarize.invalid/v1"  # never resolved: served in-process
# Status codes that say "try again later", not "your request is wrong".
TRANSIENT_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
TRANSIENT_ERRORS = (httpx2.TimeoutException, httpx2.NetworkError, httpx2.RemoteProtocolError)


@dataclass(frozen=True)
class ModelSpec:
    """Where a model lives and how to ask it for structured output."""

    provider: Literal["local", "openai", "ollama", "compatible"]
    model: str
    base_url: str
    mode: Mode

    @property
    def label(self) -> str:
        return f"{self.provider}/{self.model}"


def parse_model_spec(
    spec: str | None = None, *, base_url: str | None = None, mode: Mode | None = None
) -> ModelSpec:
    """Parse ``local``, ``local/NAME``, ``openai/NAME``, ``ollama/NAME`` or a bare model name.

    With ``base_url`` (or ``OPENAI_BASE_URL``) a bare name is a model on that
    OpenAI-compatible server. With neither spec nor ``SUMMARIZE_MODEL`` set,
    the embedded model is used.
    """
    spec = (spec or os.environ.get("SUMMARIZE_MODEL") or "local").strip()
    prefix, _, name = spec.partition("/") if "/" in spec else ("", "", spec)
    if spec == "local":
        prefix, name = "local", ""
    env_url = os.environ.get("OPENAI_BASE_URL")

    if prefix == "local":
        name = name or LOCAL_MODELS[0]
        if name not in LOCAL_MODELS:
            raise ConfigurationError(
                f"unknown embedded model {name!r}: choose local/{' or local/'.join(LOCAL_MODELS)}"
            )
        # llama.cpp's grammar takes a JSON schema: constrained decoding keeps a small
        # model's output parseable (the transport adapts the request, see local.py).
        return ModelSpec("local", name, LOCAL_URL, mode or "json_schema")
    if prefix == "ollama":
        host = os.environ.get("OLLAMA_HOST", "http://localhost:11434").rstrip("/")
        if not host.startswith(("http://", "https://")):
            host = "http://" + host
        return ModelSpec("ollama", name, base_url or host + "/v1", mode or "json_schema")
    if not name:
        raise ConfigurationError(
            f"model spec {spec!r} names no model: write e.g. openai/gpt-4o-mini"
        )
    if prefix not in ("", "openai"):
        # e.g. "meta-llama/Llama-3.1-8B" on a vLLM server: the whole spec is the name.
        name = spec
    url = (base_url or env_url or OPENAI_URL).rstrip("/")
    if url == OPENAI_URL:
        return ModelSpec("openai", name, url, mode or "tools")
    return ModelSpec("compatible", name, url, mode or "json_schema")


def api_key_for(spec: ModelSpec, api_key: str | None = None) -> str:
    """The key to send: given, or from ``OPENAI_API_KEY``; only OpenAI itself requires one."""
    key = api_key or os.environ.get("OPENAI_API_KEY")
    if key:
        return key
    if spec.provider == "openai":
        raise ConfigurationError(
            "no API key for OpenAI: set OPENAI_API_KEY, or use the embedded model with -m local"
        )
    return "not-needed"  # local servers ignore it, but the client wants a value


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds for retrying transport faults: attempts, total time, and the backoff."""

    max_attempts: int = 4
    max_seconds: float = 120.0
    initial_wait: float = 1.0
    max_wait: float = 30.0

    def retrying(self, retrying_class: type[tenacity.BaseRetrying] = tenacity.Retrying) -> Any:
        return retrying_class(
            retry=tenacity.retry_if_exception_type((_TransientStatus, *TRANSIENT_ERRORS)),
            wait=self._wait,
            stop=tenacity.stop_after_attempt(self.max_attempts)
            | tenacity.stop_after_delay(self.max_seconds),
            reraise=True,
        )

    def _wait(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        told = retry_after(error.response) if isinstance(error, _TransientStatus) else None
        if told is not None:
            # The server said how long; never wait past what the budget has left.
            left = self.max_seconds - (state.seconds_since_start or 0.0)
            return max(0.0, min(told, left))
        backoff = min(self.max_wait, self.initial_wait * 2 ** (state.attempt_number - 1))
        return random.uniform(backoff / 2, backoff)  # jitter spreads out synchronized clients


def retry_after(response: httpx2.Response) -> float | None:
    """Seconds the server asks us to wait (``retry-after-ms``, or ``Retry-After`` seconds or date)."""
    millis = response.headers.get("retry-after-ms")
    if millis:
        try:
            return float(millis) / 1000
        except ValueError:
            pass
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class _TransientStatus(Exception):
    def __init__(self, response: httpx2.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def _is_streaming(request: httpx2.Request) -> bool:
    return b'"stream":true' in request.content.replace(b" ", b"")


class RetryingTransport(httpx2.BaseTransport):
    """Retries transient faults of the transport it wraps under one ``RetryPolicy``."""

    def __init__(self, inner: httpx2.BaseTransport, policy: RetryPolicy) -> None:
        self.inner = inner
        self.policy = policy

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            for attempt in self.policy.retrying():
                with attempt:
                    response = self.inner.handle_request(request)
                    if response.status_code in TRANSIENT_STATUS:
                        response.read()
                        raise _TransientStatus(response)
                    if not _is_streaming(request):
                        # Read the body here, so that a connection dropped mid-response
                        # is retried like any other transport fault.
                        response.read()
                    return response
        except _TransientStatus as last:
            return last.response  # the client turns it into the matching API error
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    def close(self) -> None:
        self.inner.close()


class AsyncRetryingTransport(httpx2.AsyncBaseTransport):
    """The async twin of ``RetryingTransport``."""

    def __init__(self, inner: httpx2.AsyncBaseTransport, policy: RetryPolicy) -> None:
        self.inner = inner
        self.policy = policy

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            async for attempt in self.policy.retrying(tenacity.AsyncRetrying):
                with attempt:
                    response = await self.inner.handle_async_request(request)
                    if response.status_code in TRANSIENT_STATUS:
                        await response.aread()
                        raise _TransientStatus(response)
                    if not _is_streaming(request):
                        await response.aread()
                    return response
        except _TransientStatus as last:
            return last.response
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def aclose(self) -> None:
        await self.inner.aclose()


_INSTRUCTOR_MODES = {"tools": "TOOLS", "json_schema": "JSON_SCHEMA", "json": "JSON"}


def _is_reask(kwargs: dict[str, Any]) -> bool:
    # instructor re-asks by appending the rejected answer as an assistant turn.
    return any(m.get("role") == "assistant" for m in kwargs.get("messages", []))


def _sample_reasks(client: Any, temperature: float) -> None:
    """Make re-asks sample at ``temperature`` or more: at temperature 0 a model writes
    the brief it was told to fix again, word for word."""
    create = client.chat.completions.create

    def hotter(kwargs: dict[str, Any]) -> dict[str, Any]:
        if _is_reask(kwargs):
            kwargs["temperature"] = max(kwargs.get("temperature") or 0.0, temperature)
        return kwargs

    if isinstance(client, _openai_async_client()):

        async def acreate(*args: Any, **kwargs: Any) -> Any:
            return await create(*args, **hotter(kwargs))

        client.chat.completions.create = acreate
    else:
        client.chat.completions.create = lambda *args, **kwargs: create(*args, **hotter(kwargs))


def _openai_async_client() -> type:
    import openai

    return openai.AsyncOpenAI


def build_client(
    spec: ModelSpec,
    *,
    api_key: str | None = None,
    policy: RetryPolicy = RetryPolicy(),
    timeout: float = 600.0,
    model_path: str | None = None,
    reask_temperature: float = 0.0,
    is_async: bool = False,
) -> instructor.Instructor | instructor.AsyncInstructor:
    """An instructor client for ``spec``: the same openai client whatever the backend."""
    import instructor
    import openai

    inner: Any
    if spec.provider == "local":
        from summarize.local import LocalModel

        inner = LocalModel.shared(spec.model, model_path).transport(is_async=is_async)
    else:
        inner = httpx2.AsyncHTTPTransport() if is_async else httpx2.HTTPTransport()
    key = api_key_for(spec, api_key)
    mode = getattr(instructor.Mode, _INSTRUCTOR_MODES[spec.mode])
    if is_async:
        http = httpx2.AsyncClient(transport=AsyncRetryingTransport(inner, policy), timeout=timeout)
        client: Any = openai.AsyncOpenAI(
            api_key=key, base_url=spec.base_url, max_retries=0, http_client=http
        )
    else:
        http = httpx2.Client(transport=RetryingTransport(inner, policy), timeout=timeout)
        client = openai.OpenAI(api_key=key, base_url=spec.base_url, max_retries=0, http_client=http)
    if reask_temperature:
        _sample_reasks(client, reask_temperature)
    return instructor.from_openai(client, mode=mode)
