"""Asking the model for a brief's prose, and the brief assembled from it.

instructor sends the request and owns the re-asks: each answer is checked against
the article (the request's ``CheckContext``) and, when it fails, asked for again,
``max_reasks`` times. An answer that stops at the output limit is asked for once
more, sampled: a small model that falls into repeating a string until the limit
does it again on the same prompt at temperature 0. The brief is then assembled
from the analysis and the prose (``_assemble.py``), and kept in the cache.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from summarize._assemble import assemble
from summarize._cache import BriefCache
from summarize._client import Answers
from summarize._errors import GroundingError, from_client
from summarize._request import Request
from summarize._result import BriefResult, Usage, usage_of
from summarize._schema import Prose


def ask(request: Request, client: Callable[[], Any], cache: BriefCache | None) -> BriefResult:
    """The brief ``request`` asks for: from the cache, or written by the model through
    ``client()`` (made only when the cache has no brief: it may need a key)."""
    asking = _Asking(request, cache)
    hit = asking.cached()
    if hit is not None:
        return hit
    for kwargs in asking.sends():
        create = client().create
        try:
            prose = create(**kwargs)
        except Exception as exc:  # the client's fault, mapped (or lenient) in failed()
            asking.error = exc
            continue
        return asking.brief(prose)
    return asking.failed()


async def aask(
    request: Request, client: Callable[[], Any], cache: BriefCache | None
) -> BriefResult:
    """``ask`` with the async client."""
    asking = _Asking(request, cache)
    hit = asking.cached()
    if hit is not None:
        return hit
    for kwargs in asking.sends():
        create = client().create
        try:
            prose = await create(**kwargs)
        except Exception as exc:
            asking.error = exc
            continue
        return asking.brief(prose)
    return asking.failed()


class _Asking:
    """One request being answered: the model's answers so far, and what the last raised."""

    def __init__(self, request: Request, cache: BriefCache | None) -> None:
        self.started = time.perf_counter()
        self.request = request
        self.cache = cache
        self.key = request.cache_key() if cache is not None else ""
        self.answers = Answers()
        self.error: Exception | None = None
        self.spent: Any = None  # the usage of an answer cut at the output limit

    def cached(self) -> BriefResult | None:
        """The brief from the cache, if it holds one: no model call, no tokens."""
        stored = self.cache.get(self.key) if self.cache is not None else None
        if stored is None:
            return None
        return BriefResult.model_validate_json(stored).model_copy(
            update={"usage": Usage(), "attempts": 0, "cached": True, "seconds": self._seconds()}
        )

    def sends(self) -> Iterator[dict[str, Any]]:
        """The request; and once more, sampled at the re-ask temperature, when its answer
        stopped at the output limit."""
        from instructor.core import IncompleteOutputException

        request = {
            **self.request.kwargs(),
            "context": self.request.checks(),
            "hooks": self.answers.hooks(),
            "answers": self.answers,  # for the re-asks (see _client._Afresh)
        }
        yield request
        if isinstance(self.error, IncompleteOutputException):
            self.spent = getattr(self.error.last_completion, "usage", None)
            settings = self.request.settings
            again = {
                **request,
                "temperature": max(settings.temperature, settings.reask_temperature),
            }
            if settings.reask_seed is not None:
                again["seed"] = settings.reask_seed
            yield again

    def brief(self, prose: Prose, usage: Any = None) -> BriefResult:
        """The brief assembled from the analysis and the model's prose, kept in the cache."""
        left_out: list[str] = []
        brief = assemble(prose, self.request.facts, left_out)
        result = BriefResult(
            brief=brief,
            model=self.request.spec.label,
            usage=usage_of(usage or getattr(prose, "_total_usage", None)).plus(
                usage_of(self.spent)
            ),
            attempts=self.answers.count,
            seconds=self._seconds(),
            dropped=left_out,
        )
        if self.cache is not None:
            self.cache.put(self.key, result.model_dump_json())
        return result

    def failed(self) -> BriefResult:
        """Raise what the client raised as a ``summarize`` error, or, in lenient mode,
        return the last answer with what failed its checks left out."""
        exc = self.error
        assert exc is not None
        settings = self.request.settings
        error = from_client(exc, self.request.spec, settings.api_key)
        failed = getattr(exc, "failed_attempts", None)
        if not (settings.lenient and isinstance(error, GroundingError) and failed):
            raise error from None
        try:
            prose = self.request.prose_model.model_validate_json(
                _answer_text(failed[-1].completion), context=self.request.checks(lenient=True)
            )
        except ValueError:
            raise error from None
        return self.brief(prose, usage=getattr(exc, "total_usage", None))

    def _seconds(self) -> float:
        return round(time.perf_counter() - self.started, 3)


def _answer_text(completion: Any) -> str:
    """The JSON a chat completion carries: a tool call's arguments, or the message."""
    message = completion.choices[0].message
    if message.tool_calls:
        return message.tool_calls[0].function.arguments
    return message.content or ""
