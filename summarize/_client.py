"""The instructor client: one ``openai`` client for every backend, and how a brief's
answers are asked for again when they fail their checks.

Every backend is reached through the OpenAI chat-completions API: OpenAI, any
OpenAI-compatible server, and the embedded model (served in-process through an
httpx2 transport, see ``_local.py``). Each backend gives the transport; the
retries of transport faults wrap it (``_transport.py``); instructor owns the
re-asks, through the ``create`` function it is given here (instructor's own way
to patch any create function: nothing of openai's or instructor's is replaced).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx2
from pydantic import ValidationError

from summarize._backends import backend_for
from summarize._settings import Settings
from summarize._spec import api_key_for
from summarize._transport import (
    AsyncRetryingTransport,
    RateLimitedTransport,
    RetryingTransport,
    StreamingTransport,
)

if TYPE_CHECKING:
    import instructor

log = logging.getLogger("summarize")

_INSTRUCTOR_MODES = {"tools": "TOOLS", "json_schema": "JSON_SCHEMA", "json": "JSON"}

# Request fields that are plain JSON (see ``_Afresh.prepared``), in openai's order.
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


class Answers:
    """One brief's answers so far: how many the model gave and why each rejected one was.

    Filled by instructor's per-request hooks (``hooks``) and handed to the create
    function with the request (``create(..., answers=...)``), so that a re-ask can
    tell the model what failed in every answer before it."""

    def __init__(self) -> None:
        self.count = 0
        self.rejections: list[Exception] = []

    def hooks(self) -> Any:
        from instructor.v2.core.hooks import Hooks

        hooks = Hooks()
        hooks.on("completion:kwargs", self._asked)
        hooks.on("parse:error", self._rejected)
        return hooks

    def _asked(self, *args: Any, **kwargs: Any) -> None:
        self.count += 1

    def _rejected(self, error: Exception, **_: Any) -> None:
        self.rejections.append(error)


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


class _Afresh:
    """Sends instructor's re-asks as the first request plus the errors, sampled at
    ``temperature`` or more, from ``seed`` plus the number of the answers rejected.

    instructor re-asks by appending the rejected answer and the errors; a small
    model shown its own answer copies it, word for word, whatever the errors
    say. Restated without it, and sampled, the model writes a new brief. It is
    told what failed in every answer rejected so far, not only the last: not
    shown its answers, it would make the first one's mistakes again. The errors
    are told as the checks word them for the model (``problems_for_the_model``).
    A seed of its own makes each re-ask reproducible: left to the server, a sample
    depends on what the server sampled before (llama.cpp draws each request's seed
    from the last), so an article re-asked in a batch got another brief than alone.
    """

    def __init__(self, create: Callable[..., Any], temperature: float, seed: int | None) -> None:
        self.create = create
        self.temperature = temperature
        self.seed = seed

    def request(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        answers: Answers | None = kwargs.pop("answers", None)
        messages = kwargs.get("messages", [])
        if not any(m.get("role") == "assistant" for m in messages):
            if answers is not None:
                answers.rejections.clear()  # a request sent anew: no answer to it rejected yet
            return kwargs
        # The request as first sent: every message before the model's first answer.
        first = list(itertools.takewhile(lambda m: m.get("role") != "assistant", messages))
        rejected = sum(m.get("role") == "assistant" for m in messages)
        problems: list[str] = []
        for rejection in answers.rejections if answers else ():
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
        temperature = max(kwargs.get("temperature") or 0.0, self.temperature)
        kwargs = {**kwargs, "messages": [*first, retry], "temperature": temperature}
        if self.seed is not None:
            kwargs["seed"] = self.seed + rejected
        return kwargs

    def prepared(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The request for openai: re-asked afresh, and its JSON sent as it is. openai
        would walk every field through its TypedDict transforms on every request (typing
        introspection per key: a third of a batch's overhead per brief), and they are
        plain JSON already. ``messages`` and ``model`` are required arguments: omitted
        there, given in the body."""
        import openai

        kwargs = self.request(dict(kwargs))  # a copy: instructor re-asks from the original
        as_is = {key: kwargs.pop(key) for key in _SENT_AS_IS if key in kwargs}
        kwargs["extra_body"] = {**(kwargs.get("extra_body") or {}), **as_is}
        kwargs.setdefault("messages", openai.omit)
        kwargs.setdefault("model", openai.omit)
        return kwargs

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.create(*args, **self.prepared(kwargs))

    async def acreate(self, *args: Any, **kwargs: Any) -> Any:
        return await self.create(*args, **self.prepared(kwargs))


def make_client(
    settings: Settings,
    *,
    is_async: bool,
    on_text: Callable[[str], None] | None = None,
    requests_per_minute: float | None = None,
    tokens_per_minute: float | None = None,
    connections: int | None = None,
) -> instructor.Instructor | instructor.AsyncInstructor:
    """The instructor client for ``settings``: the same openai client over whichever
    backend serves the model. One may serve many briefs: the rate limits (async only)
    hold across all of them, and ``connections`` are kept open for as many requests
    at once. With ``on_text`` (sync only), the answer is streamed to it as it grows."""
    import instructor
    import openai
    from instructor.v2.core.providers import Provider

    spec = settings.model_spec
    inner: Any = backend_for(spec, settings.model_path).transport(
        is_async=is_async, connections=connections
    )
    if on_text is not None and not is_async:
        inner = StreamingTransport(inner, on_text)
    if requests_per_minute or tokens_per_minute:
        if not is_async:
            raise ValueError("rate limits apply to the async client (abatch, run_batch)")
        inner = RateLimitedTransport(inner, requests_per_minute, tokens_per_minute)
    key = api_key_for(spec, settings.api_key)
    mode = getattr(instructor.Mode, _INSTRUCTOR_MODES[spec.mode])
    policy, timeout = settings.retry, settings.timeout
    client: Any
    patched: Any
    if is_async:
        http = httpx2.AsyncClient(transport=AsyncRetryingTransport(inner, policy), timeout=timeout)
        client = openai.AsyncOpenAI(
            api_key=key, base_url=spec.base_url, max_retries=0, http_client=http
        )
        afresh = _Afresh(
            client.chat.completions.create, settings.reask_temperature, settings.reask_seed
        )
        create = instructor.patch(create=afresh.acreate, mode=mode)
        patched = instructor.AsyncInstructor(
            client=client, create=create, mode=mode, provider=Provider.OPENAI
        )
    else:
        http = httpx2.Client(transport=RetryingTransport(inner, policy), timeout=timeout)
        client = openai.OpenAI(api_key=key, base_url=spec.base_url, max_retries=0, http_client=http)
        afresh = _Afresh(
            client.chat.completions.create, settings.reask_temperature, settings.reask_seed
        )
        create = instructor.patch(create=afresh, mode=mode)
        patched = instructor.Instructor(
            client=client, create=create, mode=mode, provider=Provider.OPENAI
        )
    patched.on("parse:error", _log_rejection)
    return patched


def _log_rejection(error: Exception, attempt_number: int = 0, **_: Any) -> None:
    """Say (at -v) why an answer is asked again: the checks it failed."""
    if isinstance(error, ValidationError):
        reasons = [e["msg"].removeprefix("Value error, ") for e in error.errors()]
    else:
        reasons = str(error).splitlines()[:1]
    log.info("Answer %s failed its checks: %s", attempt_number or "", " | ".join(reasons))
