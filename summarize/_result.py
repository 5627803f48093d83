"""``BriefResult``: a validated brief with what it cost to make."""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel

from summarize._parts import merge_briefs
from summarize._schema import Brief


class Usage(BaseModel):
    """Tokens spent on one brief, summed over every attempt and re-ask."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    def plus(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
        )


class BriefResult(BaseModel):
    """A validated brief with what it cost to make."""

    brief: Brief
    model: str
    """The model spec that wrote it, e.g. "local/qwen2.5-coder-1.5b"."""
    usage: Usage
    attempts: int
    """The model's answers, re-asks included."""
    seconds: float
    """Wall time."""
    dropped: list[str] = []
    """What the checks left out of the brief or replaced, and why: key points the article
    does not state (while three stated remain), a quoted speaker's stance their quotes do
    not state (their own words stand for it); in lenient mode, whatever failed."""
    cached: bool = False
    """From the brief cache: no model call was made."""
    parts: int = 1
    """A long article is briefed in parts, then merged."""


def usage_of(total: Any) -> Usage:
    """The ``Usage`` of an openai completion's (or instructor's summed) usage."""
    if total is None:
        return Usage()
    return Usage(
        prompt_tokens=total.prompt_tokens or 0,
        completion_tokens=total.completion_tokens or 0,
        total_tokens=total.total_tokens or 0,
    )


def merged(results: list[BriefResult], texts: list[str], started: float) -> BriefResult:
    """The brief of a whole article from its parts' briefs (see ``_parts.merge_briefs``)."""
    brief = merge_briefs([r.brief for r in results], texts)
    return BriefResult(
        brief=brief,
        model=results[0].model,
        usage=Usage(
            prompt_tokens=sum(r.usage.prompt_tokens for r in results),
            completion_tokens=sum(r.usage.completion_tokens for r in results),
            total_tokens=sum(r.usage.total_tokens for r in results),
        ),
        attempts=sum(r.attempts for r in results),
        seconds=round(time.perf_counter() - started, 3),
        dropped=[d for r in results for d in r.dropped],
        cached=all(r.cached for r in results),
        parts=len(results),
    )
