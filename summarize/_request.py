"""The request for a brief's prose: the article's facts (its analysis, made once), the
prompt (rendered once) and the prose model the answer must fit; a long article becomes
one request per part, each of which fits the model's context."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from summarize._article import Article
from summarize._backends import Backend
from summarize._cache import cache_key
from summarize._errors import ArticleTooLongError
from summarize._facts import Facts, facts_of
from summarize._parts import estimate_tokens, part_articles, split_article
from summarize._prompts import render_messages
from summarize._schema import CheckContext, Prose, prose_model
from summarize._settings import Settings
from summarize._spec import ModelSpec

log = logging.getLogger("summarize")


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


def request_for(part: Article, facts: Facts, settings: Settings, spec: ModelSpec) -> Request:
    """The request for ``part`` (the article itself, or one of its parts): its prompt rendered."""
    messages = render_messages(
        part,
        facts.asked,
        facts.dates,
        templates=Path(settings.templates) if settings.templates else None,
        language=settings.language,
        summary_sentences=settings.summary_sentences,
    )
    return Request(part, facts, messages, settings, spec)


def requests_for(article: Article, settings: Settings, backend: Backend) -> list[Request]:
    """One request when the article fits the model's context with room for the answer;
    else one per part, cut on paragraph boundaries, each of which fits."""
    facts = facts_of(article)
    whole = request_for(article, facts, settings, backend.spec)
    window = settings.context_tokens or backend.context_tokens
    count = backend.count_tokens
    room = (window or 0) - settings.max_tokens
    if window is None or whole.tokens(count) <= room:
        return [whole]
    empty = request_for(article.model_copy(update={"text": "."}), facts, settings, backend.spec)
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
    parts = part_articles(article, texts)
    return [request_for(part, facts, settings, backend.spec) for part in parts]


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
