"""Articles longer than the model's context: split on paragraphs, brief each part, merge.

Nothing is truncated. The parts are consecutive runs of whole paragraphs (a
paragraph longer than a part is split between sentences); each part's prose is
asked for with the whole article's facts (its analysis), and the parts' briefs
are merged.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from summarize._article import Article
from summarize._grounding import name_key
from summarize._schema import MAX_KEY_POINTS, MAX_QUESTIONS, MAX_TIMELINE, Brief

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def estimate_tokens(text: str) -> int:
    """About 4 characters a token (English, BPE tokenizers): for servers whose
    tokenizer is not at hand. Rounded up, so a part errs on the short side."""
    return len(text) // 4 + 1


def split_article(
    text: str, sentences: list[tuple[int, int]], max_tokens: int, count: Callable[[str], int]
) -> list[str]:
    """``text`` in consecutive parts of at most ``max_tokens`` (by ``count``), cut
    between paragraphs where possible, else between its ``sentences`` (the analysis's
    spans), else between words."""
    pieces: list[str] = []
    at = 0
    for paragraph in _PARAGRAPH_BREAK.split(text):
        start = text.index(paragraph, at)
        at = start + len(paragraph)
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        if count(paragraph) <= max_tokens:
            pieces.append(paragraph)
            continue
        inside = [text[a:b] for a, b in sentences if start <= a < at]
        for sentence in inside or [paragraph]:
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


def merge_briefs(briefs: list[Brief], texts: list[str]) -> Brief:
    """One brief of the whole article from the briefs of its parts (``texts``).

    The facts are the whole article's in every part's brief (the analysis is of
    the whole). The headline and summary come from the first part, where a news
    story puts its lead; key points and questions are taken from each part in
    turn (so the end of the story is represented too); an actor's role and
    stance come from the first part that names it; timeline events are joined.
    """
    actors = []
    for n, actor in enumerate(briefs[0].actors):
        naming = [
            b.actors[n]
            for b, text in zip(briefs, texts, strict=True)
            if any(name_key(name) in name_key(text) for name in actor.names)
        ]
        chosen = naming[0] if naming else actor
        actors.append(actor.model_copy(update={"role": chosen.role, "stance": chosen.stance}))
    timeline = {e.when: e for b in briefs for e in b.timeline}
    return briefs[0].model_copy(
        update={
            "key_points": _round_robin([b.key_points for b in briefs], MAX_KEY_POINTS, "point"),
            "actors": actors,
            "open_questions": _round_robin(
                [b.open_questions for b in briefs], MAX_QUESTIONS, "question"
            ),
            "timeline": list(timeline.values())[:MAX_TIMELINE],
        }
    )


def _round_robin(lists: list[list], limit: int, field: str) -> list:
    """Items from each list in turn, the first of each before the second of any,
    without repeats (by ``field``), at most ``limit``."""
    taken: dict[str, object] = {}
    for depth in range(max((len(items) for items in lists), default=0)):
        for items in lists:
            if depth < len(items):
                taken.setdefault(name_key(getattr(items[depth], field)), items[depth])
    return list(taken.values())[:limit]
