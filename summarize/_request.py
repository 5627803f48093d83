"""The request for a brief's prose: the article's facts (its analysis, made once), the
prompt (rendered once) and the prose model the answer must fit; a long article becomes
one request per part, each of which fits the model's context."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from summarize._analysis import Analysis, DateMention, Entity, analyse
from summarize._article import Article
from summarize._assemble import MAX_ROLES_ASKED, listed_actors, listed_dates
from summarize._backends import Backend
from summarize._cache import cache_key
from summarize._errors import ArticleTooLongError
from summarize._grounding import ArticleIndex
from summarize._parts import estimate_tokens, part_articles, split_article
from summarize._prompts import render_messages
from summarize._schema import CheckContext, Prose, prose_model
from summarize._settings import Settings
from summarize._spec import ModelSpec

log = logging.getLogger("summarize")


@dataclass(frozen=True)
class Facts:
    """What the analysis found in an article, as the prompt, the checks and the brief use it."""

    text: str
    """The whole article's text."""
    analysis: Analysis
    actors: list[Entity]
    """The actors the brief lists, those whose role the model writes first."""
    dates: list[DateMention]
    """The dates the model writes the timeline's events for."""
    index: ArticleIndex

    @property
    def asked(self) -> list[Entity]:
        """The actors whose role and stance the model writes."""
        return self.actors[:MAX_ROLES_ASKED]


# The facts of the last articles seen, by (text, date), least recently used first: a
# long article's parts, and the same article briefed again, are analysed once.
_FACTS: OrderedDict[tuple[str, Any], Facts] = OrderedDict()
_FACTS_KEPT = 32
_FACTS_LOCK = threading.Lock()


def facts_of(article: Article) -> Facts:
    """The article analysed (spaCy; ~0.5 s of CPU for a news article), once."""
    key = (article.text, article.date)
    with _FACTS_LOCK:
        if key in _FACTS:
            _FACTS.move_to_end(key)
            return _FACTS[key]
    analysis = analyse(article.text, article.date)
    facts = Facts(
        article.text,
        analysis,
        listed_actors(analysis),
        listed_dates(analysis),
        ArticleIndex.of(article.text, tuple(analysis.sentences)),
    )
    with _FACTS_LOCK:
        _FACTS[key] = facts
        while len(_FACTS) > _FACTS_KEPT:
            _FACTS.popitem(last=False)
    return facts


def is_analysed(article: Article) -> bool:
    return (article.text, article.date) in _FACTS


@dataclass
class Request:
    """The request for the prose of one brief: of the whole article, or of one of its parts
    (then with the whole article's facts: a part that says "Putin" is about the
    "Vladimir Putin" named a few paragraphs before it)."""

    part: Article
    facts: Facts
    messages: list[dict[str, str]]
    settings: Settings
    spec: ModelSpec = field(repr=False)

    @cached_property
    def prose_model(self) -> type[Prose]:
        return prose_model(
            tuple((a.name, bool(a.quotes)) for a in self.facts.asked),
            tuple(d.text for d in self.facts.dates),
        )

    def tokens(self, count: Callable[[str], int]) -> int:
        """The prompt's tokens: its messages and the JSON schema the request carries."""
        return sum(count(m["content"]) for m in self.messages) + _schema_tokens(
            len(self.facts.asked), len(self.facts.dates)
        )

    def kwargs(self) -> dict[str, Any]:
        """The arguments of instructor's ``create``."""
        settings = self.settings
        return {
            "response_model": _response_model(self.prose_model),
            "messages": self.messages,
            "model": self.spec.model,
            "max_retries": settings.max_reasks,
            "temperature": settings.temperature,
            "max_tokens": settings.max_tokens,
        }

    def checks(self, lenient: bool = False) -> CheckContext:
        """What the answer is checked against."""
        return CheckContext(article=self.facts.index, title=self.part.title, lenient=lenient)

    def cache_key(self) -> str:
        settings, spec = self.settings, self.spec
        return cache_key(
            self.messages,
            spec.label,
            spec.base_url or "",
            mode=spec.mode,
            lenient=settings.lenient,
            temperature=settings.temperature,
            max_reasks=settings.max_reasks,
            reask_seed=settings.reask_seed,
            grounded_in=hashlib.sha256(self.facts.text.encode()).hexdigest()[:16],
        )


def request_for(part: Article, facts: Facts, settings: Settings) -> Request:
    """The request for ``part`` (the article itself, or one of its parts): its prompt rendered."""
    messages = render_messages(
        part,
        facts.asked,
        facts.dates,
        templates=Path(settings.templates) if settings.templates else None,
        language=settings.language,
        summary_sentences=settings.summary_sentences,
    )
    return Request(part, facts, messages, settings, settings.model_spec)


def requests_for(article: Article, settings: Settings, backend: Backend) -> list[Request]:
    """One request when the article fits the model's context with room for the answer;
    else one per part, cut on paragraph boundaries, each of which fits."""
    facts = facts_of(article)
    whole = request_for(article, facts, settings)
    window = settings.context_tokens or backend.context_tokens
    count = backend.count_tokens
    room = (window or 0) - settings.max_tokens
    if window is None or whole.tokens(count) <= room:
        return [whole]
    empty = request_for(article.model_copy(update={"text": "."}), facts, settings)
    budget = room - empty.tokens(count)
    if budget < 200:
        raise ArticleTooLongError(
            f"the prompt and an answer of {settings.max_tokens} tokens leave no room for the "
            f"article in {backend.spec.label}'s {window}-token context: lower --max-tokens"
        )
    texts = split_article(article.text, facts.analysis.sentences, budget, count)
    log.info(
        "The article is longer than %s's context: briefing it in %d parts",
        backend.spec.label,
        len(texts),
    )
    return [request_for(part, facts, settings) for part in part_articles(article, texts)]


@lru_cache(maxsize=64)
def _schema_tokens(actors: int, dates: int) -> int:
    """The tokens of the answer's JSON schema, which the request carries."""
    model = prose_model(
        tuple((f"name {n}", True) for n in range(actors)), tuple(f"when {n}" for n in range(dates))
    )
    return estimate_tokens(json.dumps(model.model_json_schema()))


@lru_cache(maxsize=64)
def _response_model(model: type[BaseModel]) -> type[BaseModel]:
    """A ``Prose`` model as instructor wants it, made once: instructor would otherwise wrap it
    in a new pydantic class, and build that class's JSON schema, on every request (~10 ms)."""
    from instructor.v2.core.function_calls import response_schema

    return response_schema(model)
