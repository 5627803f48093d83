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
import itertools
import json
import os
import random
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import httpx2
import tenacity
from pydantic import ValidationError

from summarize._errors import ConfigurationError

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
    OpenAI-compatible server, and no name at all the model it serves (see
    ``served_model``). With no spec, no ``SUMMARIZE_MODEL`` and no server, the
    embedded model is used.
    """
    env_url = os.environ.get("OPENAI_BASE_URL")
    chosen = spec or os.environ.get("SUMMARIZE_MODEL")
    if not chosen and (base_url or env_url):
        url = (base_url or env_url or "").rstrip("/")
        return ModelSpec("compatible", SERVED, url, mode or "json_schema")
    spec = (chosen or "local").strip()
    prefix, _, name = spec.partition("/") if "/" in spec else ("", "", spec)
    if spec == "local":
        prefix, name = "local", ""

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


# The model of a server given without one: the first its /models lists (see served_model).
SERVED = ""


def served_model(spec: ModelSpec, api_key: str | None = None, timeout: float = 10.0) -> ModelSpec:
    """``spec`` with the model its server serves when it names none (``SERVED``): the first
    of the server's ``GET /models``, as vLLM, llama.cpp's server, Ollama and LM Studio list
    them. A server that cannot be reached or lists none is an error that says what to do."""
    if spec.model != SERVED:
        return spec
    from summarize._errors import ModelError

    headers = {"authorization": f"Bearer {api_key_for(spec, api_key)}"}
    try:
        response = httpx2.get(f"{spec.base_url}/models", headers=headers, timeout=timeout)
        models = [m["id"] for m in response.json().get("data", [])] if response.is_success else []
    except (httpx2.HTTPError, ValueError, KeyError, AttributeError) as error:
        raise ModelError(
            f"cannot reach {spec.base_url} to ask which model it serves ({type(error).__name__}): "
            "is the server running? Or name the model with -m"
        ) from None
    if not models:
        raise ConfigurationError(
            f"{spec.base_url} lists no model at /models: name the model with -m"
        )
    return ModelSpec(spec.provider, models[0], spec.base_url, spec.mode)


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
    """Tries per request, the first included."""
    max_seconds: float = 120.0
    """Time budget for one request's retries."""
    initial_wait: float = 1.0
    """The first backoff, doubled at each retry (with jitter)."""
    max_wait: float = 30.0
    """The longest backoff; a server's Retry-After is honoured within ``max_seconds``."""

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


class RateLimitedTransport(httpx2.AsyncBaseTransport):
    """Holds each request until it fits the requests-per-minute and tokens-per-minute
    limits (leaky buckets from aiolimiter). It sits below the retries, so retries
    and re-asks count too. A request's tokens are estimated as providers count
    them for their limits: its prompt (about 4 characters a token) plus the
    ``max_tokens`` it may write."""

    def __init__(
        self,
        inner: httpx2.AsyncBaseTransport,
        requests_per_minute: float | None,
        tokens_per_minute: float | None,
        period: float = 60.0,  # seconds the limits are counted over (shorter in tests)
    ) -> None:
        from aiolimiter import AsyncLimiter

        self.inner = inner
        self.requests = AsyncLimiter(requests_per_minute, period) if requests_per_minute else None
        self.tokens = AsyncLimiter(tokens_per_minute, period) if tokens_per_minute else None

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if self.requests is not None:
            await self.requests.acquire()
        if self.tokens is not None:
            # One request larger than the whole budget waits for all of it.
            await self.tokens.acquire(min(estimate_tokens(request), self.tokens.max_rate))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def estimate_tokens(request: httpx2.Request) -> int:
    body = request.content
    try:
        max_tokens = int(json.loads(body).get("max_tokens") or 0)
    except (ValueError, AttributeError):
        max_tokens = 0
    return len(body) // 4 + max_tokens


class StreamingTransport(httpx2.BaseTransport):
    """Asks the server to stream its answer, hands the text written so far to ``on_text``
    as it arrives, and gives the client the whole completion as if it had not streamed.

    Validation and re-asking see complete answers only, exactly as without it; a
    terminal can show the brief filling in meanwhile.
    """

    def __init__(self, inner: httpx2.BaseTransport, on_text: Callable[[str], None]) -> None:
        self.inner = inner
        self.on_text = on_text

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content or b"null")
        if not isinstance(body, dict) or body.get("stream"):
            return self.inner.handle_request(request)
        body.update(stream=True, stream_options={"include_usage": True})
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        streamed = httpx2.Request(request.method, request.url, headers=headers, json=body)
        response = self.inner.handle_request(streamed)
        if response.status_code != 200:
            return response
        try:
            completion = _assemble(response.iter_lines(), self.on_text)
        finally:
            response.close()
        return httpx2.Response(200, json=completion, request=request)

    def close(self) -> None:
        self.inner.close()


def _assemble(lines: Iterator[str], on_text: Callable[[str], None]) -> dict[str, Any]:
    """A chat completion from the server-sent events of a streamed one."""
    completion: dict[str, Any] = {"object": "chat.completion", "usage": None}
    content, tools, finish = "", {}, None
    for line in lines:
        if not line.startswith("data:") or line.strip() == "data: [DONE]":
            continue
        chunk = json.loads(line[5:])
        completion.update(
            id=chunk.get("id"), created=chunk.get("created"), model=chunk.get("model")
        )
        completion["usage"] = chunk.get("usage") or completion["usage"]
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            finish = choice.get("finish_reason") or finish
            content += delta.get("content") or ""
            for call in delta.get("tool_calls") or []:
                function = call.get("function") or {}
                tool = tools.setdefault(call.get("index", 0), {"type": "function", "id": None})
                tool["id"] = call.get("id") or tool["id"]
                tool["name"] = tool.get("name", "") + (function.get("name") or "")
                tool["arguments"] = tool.get("arguments", "") + (function.get("arguments") or "")
            if delta.get("content") or delta.get("tool_calls"):
                on_text(content or "".join(t.get("arguments", "") for t in tools.values()))
    message: dict[str, Any] = {"role": "assistant", "content": content or None}
    if tools:
        message["tool_calls"] = [
            {
                "id": t["id"],
                "type": "function",
                "function": {"name": t["name"], "arguments": t["arguments"]},
            }
            for _, t in sorted(tools.items())
        ]
    completion["choices"] = [{"index": 0, "message": message, "finish_reason": finish or "stop"}]
    return completion


_INSTRUCTOR_MODES = {"tools": "TOOLS", "json_schema": "JSON_SCHEMA", "json": "JSON"}


# Why each answer to the request being answered was rejected, kept (per thread or
# task) by a client hook for the re-asks that follow (see _reask_afresh).
_REJECTIONS: ContextVar[tuple[Exception, ...]] = ContextVar("summarize_rejections", default=())


def _remember_rejection(error: Exception, **_: Any) -> None:
    _REJECTIONS.set((*_REJECTIONS.get(), error))


def problems_for_the_model(error: ValidationError) -> list[str]:
    """What the checks found wrong, in the words for the model: where, and the message
    or the words a check gave for the model (``to_model``); without pydantic's codes,
    the rejected values and its links, which instructor's re-ask sends along."""
    told = []
    for e in error.errors():
        message = (e.get("ctx", {}).get("to_model") or e["msg"]).removeprefix("Value error, ")
        where = ".".join(str(part) for part in e["loc"])
        told.append(f"{where}: {message}" if where else message)
    return told


def _reask_afresh(client: Any, temperature: float, seed: int | None = None) -> None:
    """Send instructor's re-asks as the first request plus the errors, sampled at
    ``temperature`` or more, from ``seed`` plus the number of the answers rejected.

    instructor re-asks by appending the rejected answer and the errors; a small
    model shown its own answer copies it, word for word, whatever the errors
    say. Restated without it, and sampled, the model writes a new brief. It is
    told what failed in every answer rejected so far, not only the last: not
    shown its answers, it would make the first one's mistakes again (the
    1.5B model's third harbour brief gave the engineers a quote again). The
    errors are told as the checks word them for the model (problems_for_the_model).
    A seed of its own makes each re-ask reproducible: left to the server, a sample
    depends on what the server sampled before (llama.cpp draws each request's seed
    from the last), so an article re-asked in a batch got another brief than alone.
    The same wrapper sends the response format as it is (see ``prepared``).
    """
    create = client.chat.completions.create

    def afresh(kwargs: dict[str, Any]) -> dict[str, Any]:
        messages = kwargs.get("messages", [])
        if not any(m.get("role") == "assistant" for m in messages):
            _REJECTIONS.set(())  # a new request: no answer to it rejected yet
            return kwargs
        # The request as first sent: every message before the model's first answer.
        first = list(itertools.takewhile(lambda m: m.get("role") != "assistant", messages))
        rejected = sum(m.get("role") == "assistant" for m in messages)
        problems: list[str] = []
        for rejection in _REJECTIONS.get():
            if isinstance(rejection, ValidationError):
                problems += problems_for_the_model(rejection)
        if problems:
            told = "\n".join(f"- {problem}" for problem in dict.fromkeys(problems))
        else:  # an answer that is no brief at all (a refusal): instructor's words
            told = messages[-1].get("content", "")
        were = (
            "Previous briefs of this article were"
            if rejected > 1
            else "A previous brief of this article was"
        )
        retry = {
            "role": "user",
            "content": f"{were} rejected:\n{told}\nWrite the brief again, without these mistakes.",
        }
        temperature_now = max(kwargs.get("temperature") or 0.0, temperature)
        kwargs = {**kwargs, "messages": [*first, retry], "temperature": temperature_now}
        if seed is not None:
            kwargs["seed"] = seed + rejected
        return kwargs

    def prepared(kwargs: dict[str, Any]) -> dict[str, Any]:
        # The same JSON on the wire, sent as is: openai would walk every field through
        # its TypedDict transforms on every request (typing introspection per key: the
        # messages' union of TypedDicts, the model's literal of every model name; a
        # third of a batch's overhead per brief), and they are plain JSON already.
        # `messages` and `model` are required arguments: omitted there, given here.
        kwargs = dict(afresh(kwargs))  # a copy: instructor re-asks from the original
        as_is = {key: kwargs.pop(key) for key in _SENT_AS_IS if key in kwargs}
        kwargs["extra_body"] = {**(kwargs.get("extra_body") or {}), **as_is}
        kwargs.setdefault("messages", _omitted())
        kwargs.setdefault("model", _omitted())
        return kwargs

    if isinstance(client, _openai_async_client()):

        async def acreate(*args: Any, **kwargs: Any) -> Any:
            return await create(*args, **prepared(kwargs))

        client.chat.completions.create = acreate
    else:
        client.chat.completions.create = lambda *args, **kwargs: create(*args, **prepared(kwargs))


# Request fields that are plain JSON (see _reask_afresh's prepared()), in openai's order.
_SENT_AS_IS = (
    "messages",
    "model",
    "max_tokens",
    "response_format",
    "seed",
    "temperature",
    "tool_choice",
    "tools",
)


def _openai_async_client() -> type:
    import openai

    return openai.AsyncOpenAI


def _omitted() -> Any:
    import openai

    return openai.omit


def build_client(
    spec: ModelSpec,
    *,
    api_key: str | None = None,
    policy: RetryPolicy = RetryPolicy(),
    timeout: float = 600.0,
    model_path: str | None = None,
    reask_temperature: float = 0.0,
    reask_seed: int | None = None,
    on_text: Callable[[str], None] | None = None,
    is_async: bool = False,
    requests_per_minute: float | None = None,
    tokens_per_minute: float | None = None,
    connections: int | None = None,
) -> instructor.Instructor | instructor.AsyncInstructor:
    """An instructor client for ``spec``: the same openai client whatever the backend.

    ``connections``: how many requests will be in flight at once (a batch's
    concurrency), so that as many connections are opened and kept alive;
    httpx keeps 20, and one closed after each answer costs a new connection.
    """
    import instructor
    import openai

    inner: Any
    if spec.provider == "local":
        from summarize._local import LocalModel

        inner = LocalModel.shared(spec.model, model_path).transport(is_async=is_async)
    else:
        limits = httpx2.Limits(max_connections=connections, max_keepalive_connections=connections)
        transport = httpx2.AsyncHTTPTransport if is_async else httpx2.HTTPTransport
        inner = transport(limits=limits) if connections else transport()
    if on_text is not None and not is_async:
        inner = StreamingTransport(inner, on_text)
    if requests_per_minute or tokens_per_minute:
        if not is_async:
            raise ValueError("rate limits apply to the async client (abatch, run_batch)")
        inner = RateLimitedTransport(inner, requests_per_minute, tokens_per_minute)
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
    _reask_afresh(client, reask_temperature, reask_seed)
    patched = instructor.from_openai(client, mode=mode)
    patched.on("parse:error", _remember_rejection)
    return patched
