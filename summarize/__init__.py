"""summarize: news articles into validated, structured briefs.

    >>> from summarize import summarize
    >>> result = summarize(open("article.txt").read())
    >>> result.brief.headline

The names below are the whole public API. They are imported on first use so
that ``summarize --help`` starts fast (openai and instructor take ~1.5 s);
``__version__`` is read from the installed package's metadata, also on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "summarize": "summarize._core",
    "asummarize": "summarize._core",
    "Settings": "summarize._settings",
    "BriefResult": "summarize._result",
    "Usage": "summarize._result",
    "RetryPolicy": "summarize._transport",
    "Article": "summarize._article",
    "read_article": "summarize._article",
    "Brief": "summarize._schema",
    "KeyPoint": "summarize._schema",
    "Actor": "summarize._schema",
    "OpenQuestion": "summarize._schema",
    "TimelineEvent": "summarize._schema",
    "BriefCache": "summarize._cache",
    "abatch": "summarize._batch",
    "run_batch": "summarize._batch",
    "read_items": "summarize._batch",
    "BatchItem": "summarize._batch",
    "ItemResult": "summarize._batch",
    "ItemError": "summarize._batch",
    "BatchTotals": "summarize._batch",
    "SummarizeError": "summarize._errors",
    "InputError": "summarize._errors",
    "ArticleTooLongError": "summarize._errors",
    "ConfigurationError": "summarize._errors",
    "ModelError": "summarize._errors",
    "GroundingError": "summarize._errors",
}
__all__ = [
    "Actor",
    "Article",
    "ArticleTooLongError",
    "BatchItem",
    "BatchTotals",
    "Brief",
    "BriefCache",
    "BriefResult",
    "ConfigurationError",
    "GroundingError",
    "InputError",
    "ItemError",
    "ItemResult",
    "KeyPoint",
    "ModelError",
    "OpenQuestion",
    "RetryPolicy",
    "Settings",
    "SummarizeError",
    "TimelineEvent",
    "Usage",
    "__version__",
    "abatch",
    "asummarize",
    "read_article",
    "read_items",
    "run_batch",
    "summarize",
]

if TYPE_CHECKING:
    __version__: str
    from summarize._article import Article, read_article
    from summarize._batch import (
        BatchItem,
        BatchTotals,
        ItemError,
        ItemResult,
        abatch,
        read_items,
        run_batch,
    )
    from summarize._cache import BriefCache
    from summarize._core import asummarize, summarize
    from summarize._errors import (
        ArticleTooLongError,
        ConfigurationError,
        GroundingError,
        InputError,
        ModelError,
        SummarizeError,
    )
    from summarize._result import BriefResult, Usage
    from summarize._schema import Actor, Brief, KeyPoint, OpenQuestion, TimelineEvent
    from summarize._settings import Settings
    from summarize._transport import RetryPolicy


def __getattr__(name: str) -> Any:
    if name == "__version__":
        return _version()
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'summarize' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def _version() -> str:
    """The installed distribution's version: written once, in pyproject.toml."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("summarize")
    except PackageNotFoundError:  # a source tree on sys.path, never installed
        return "0+unknown"
