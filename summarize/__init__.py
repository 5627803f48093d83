"""summarize: news articles into validated, structured briefs.

    >>> from summarize import summarize
    >>> result = summarize(open("article.txt").read())
    >>> result.brief.headline

The names below are the whole public API. They are imported on first use so
that ``summarize --help`` starts fast (openai and instructor take ~1.5 s).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "summarize": "summarize.core",
    "asummarize": "summarize.core",
    "Settings": "summarize.core",
    "BriefResult": "summarize.core",
    "Usage": "summarize.core",
    "RetryPolicy": "summarize.llm",
    "Article": "summarize.article",
    "read_article": "summarize.article",
    "Brief": "summarize.schema",
    "KeyPoint": "summarize.schema",
    "Actor": "summarize.schema",
    "OpenQuestion": "summarize.schema",
    "TimelineEvent": "summarize.schema",
    "BriefCache": "summarize.cache",
    "abatch": "summarize.batch",
    "run_batch": "summarize.batch",
    "read_items": "summarize.batch",
    "BatchItem": "summarize.batch",
    "ItemResult": "summarize.batch",
    "SummarizeError": "summarize.errors",
    "InputError": "summarize.errors",
    "ArticleTooLongError": "summarize.errors",
    "ConfigurationError": "summarize.errors",
    "ModelError": "summarize.errors",
    "GroundingError": "summarize.errors",
}
__all__ = [
    "Actor",
    "Article",
    "ArticleTooLongError",
    "BatchItem",
    "Brief",
    "BriefCache",
    "BriefResult",
    "ConfigurationError",
    "GroundingError",
    "InputError",
    "ItemResult",
    "KeyPoint",
    "ModelError",
    "OpenQuestion",
    "RetryPolicy",
    "Settings",
    "SummarizeError",
    "TimelineEvent",
    "Usage",
    "abatch",
    "asummarize",
    "read_article",
    "read_items",
    "run_batch",
    "summarize",
]

if TYPE_CHECKING:
    from summarize.article import Article, read_article
    from summarize.batch import BatchItem, ItemResult, abatch, read_items, run_batch
    from summarize.cache import BriefCache
    from summarize.core import BriefResult, Settings, Usage, asummarize, summarize
    from summarize.errors import (
        ArticleTooLongError,
        ConfigurationError,
        GroundingError,
        InputError,
        ModelError,
        SummarizeError,
    )
    from summarize.llm import RetryPolicy
    from summarize.schema import Actor, Brief, KeyPoint, OpenQuestion, TimelineEvent


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'summarize' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
