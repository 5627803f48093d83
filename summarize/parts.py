"""Articles longer than the model's context: split on paragraphs, brief each part, merge.

Nothing is truncated. The parts are consecutive runs of whole paragraphs (a
paragraph longer than a part is split between sentences), so every piece of
evidence a part's brief carries is verbatim text of the whole article; the
merged brief is validated again against the whole article.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from summarize.article import Article
from summarize.grounding import ArticleIndex, name_key
from summarize.schema import (
    MAX_ACTORS,
    MAX_KEY_POINTS,
    MAX_PLACES,
    MAX_QUESTIONS,
    MAX_TIMELINE,
    Actor,
    Brief,
    unique,
)

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_BREAK = re.compile(
    r"(?:(?<=[.!?])|(?<=[.!?][\"\u201d\u2019')]))\s+(?=[A-Z\"\u201c\u2018(])"
)


def estimate_tokens(text: str) -> int:
    """About 4 characters a token (English, BPE tokenizers): for servers whose
    tokenizer is not at hand. Rounded up, so a part errs on the short side."""
    return len(text) // 4 + 1


def split_article(text: str, max_tokens: int, count: Callable[[str], int]) -> list[str]:
    """``text`` in consecutive parts of at most ``max_tokens`` (by ``count``), cut
    between paragraphs where possible, else between sentences, else between words."""
    pieces: list[str] = []
    for paragraph in _PARAGRAPH_BREAK.split(text.strip()):
        if count(paragraph) <= max_tokens:
            pieces.append(paragraph)
            continue
        for sentence in _SENTENCE_BREAK.split(paragraph):
            if count(sentence) <= max_tokens:
                pieces.append(sentence)
            else:  # a "sentence" longer than a part: a table or a list without stops
                pieces.extend(_by_words(sentence, max_tokens, count))
    parts: list[str] = []
    current: list[str] = []
    for piece in pieces:
        candidate = "\n\n".join([*current, piece])
        if current and count(candidate) > max_tokens:
            parts.append("\n\n".join(current))
            current = [piece]
        else:
            current.append(piece)
    if current:
        parts.append("\n\n".join(current))
    return parts


def _by_words(text: str, max_tokens: int, count: Callable[[str], int]) -> list[str]:
    chunks, current = [], []
    for word in text.split():
        if current and count(" ".join([*current, word])) > max_tokens:
            chunks.append(" ".join(current))
            current = []
        current.append(word)
    return [*chunks, " ".join(current)] if current else chunks


def part_articles(article: Article, texts: list[str]) -> list[Article]:
    """Each part as an article with the whole article's title, date, author and URL."""
    return [article.model_copy(update={"text": text}) for text in texts]


def merge_briefs(briefs: list[Brief], article: Article) -> Brief:
    """One brief of the whole article from the briefs of its parts.

    The headline and summary come from the first part, where a news story puts
    its lead. Key points are taken from each part in turn (so the end of the
    story is represented too); actors are merged by name and alias; places,
    questions and timeline events are de-duplicated. Validated against the whole article.
    """
    key_points = _round_robin([b.key_points for b in briefs], MAX_KEY_POINTS, lambda p: p.point)
    actors: list[Actor] = []
    for actor in (a for b in briefs for a in b.actors):
        same = next((a for a in actors if _same_actor(a, actor)), None)
        if same is None:
            actors.append(actor.model_copy(deep=True))
        else:
            same.absorb(actor)
    questions = _round_robin(
        [b.open_questions for b in briefs], MAX_QUESTIONS, lambda q: q.question
    )
    timeline = [e for b in briefs for e in b.timeline]
    timeline = list({(name_key(e.when), name_key(e.event)): e for e in timeline}.values())
    merged = {
        "headline": briefs[0].headline,
        "summary": briefs[0].summary,
        "key_points": [p.model_dump() for p in key_points],
        "actors": [a.model_dump() for a in actors[:MAX_ACTORS]],
        "places": unique([p for b in briefs for p in b.places])[:MAX_PLACES],
        "open_questions": [q.model_dump() for q in questions],
        "timeline": [e.model_dump(exclude={"date"}) for e in timeline[:MAX_TIMELINE]],
    }
    context = {"article": ArticleIndex(article.text), "published": article.date}
    return Brief.model_validate(merged, context=context)


def _same_actor(one: Actor, other: Actor) -> bool:
    return any(one.answers_to(name) for name in [other.name, *other.aliases])


def _round_robin(lists: list[list], limit: int, key: Callable) -> list:
    """Items from each list in turn, the first of each before the second of any,
    without repeats, at most ``limit``."""
    taken: dict[str, object] = {}
    for depth in range(max((len(items) for items in lists), default=0)):
        for items in lists:
            if depth < len(items):
                taken.setdefault(name_key(key(items[depth])), items[depth])
    return list(taken.values())[:limit]
