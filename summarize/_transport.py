"""The HTTP layer under the openai client: transport faults retried under one policy,
rate limits, and streaming for a live view.

Two kinds of fault, two layers:
- transport faults (429, 5xx, timeouts, dropped connections) are retried here,
  under one tenacity policy; the openai client's own retries are off so that
  the two never stack;
- content faults (bad JSON, wrong shape, ungrounded quotes) are re-asked by
  instructor with the validation error (see ``_client.py``).
"""

from __future__ import annotations

import email.utils
import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import tenacity

# Status codes that say "try again later", not "your request is wrong".
TRANSIENT_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
TRANSIENT_ERRORS = (httpx2.TimeoutException, httpx2.NetworkError, httpx2.RemoteProtocolError)


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
