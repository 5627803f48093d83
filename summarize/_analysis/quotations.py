"""Quotations: the words inside each pair of quotation marks, and who said them (a
signature, a verb of saying, or the quotation before continued: see speakers.py)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from summarize._analysis.entities import MAX_TITLE_TOKENS
from summarize._analysis.facts import Entity, Quotation, name_key
from summarize._analysis.speakers import reporting_verb, speaker_of

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

# The marks that open and close a quotation; straight ones pair in order.
_OPENING = {"\u201c": "\u201d", "\u00ab": "\u00bb", '"': '"'}
_PARAGRAPH = re.compile(r"\n\s*\n|\n")
# Before a quotation, these say it is a name, not words said.
_NAMING_WORDS = {"named", "called", "dubbed", "titled", "entitled", "nicknamed", "termed"}
# "the words", "the term": the quotation mentions words, it does not report them.
_NAMING_WORDS |= {"word", "words", "term", "phrase", "slogan"}
# Words left in lower case in a title ("Scientology vs the Internet").
_SMALL_WORDS = {"a", "an", "the", "and", "or", "of", "in", "on", "at", "to", "for", "vs"}
# A quotation signed with a dash after its closing mark.
_SIGNATURE = re.compile(r"[\"\u201d\u00bb]?\s*[-\u2013\u2014]+\s*(?=[A-Z])")
# A quotation's speaker carries over to the next one only this close (paragraphs).
_CONTINUATION_PARAGRAPHS = 1


def quotation_spans(text: str) -> list[tuple[int, int]]:
    """Where the words inside each pair of quotation marks start and end. A quotation
    still open at the end of its paragraph ends there (news style reopens it in the next),
    unless the next paragraph does not reopen it and holds its closing mark."""
    spans = []
    paragraphs = _paragraphs(text)
    skip_to = 0
    for number, (start, end) in enumerate(paragraphs):
        at = max(start, skip_to)
        while at < end:
            mark = text[at]
            closing = _OPENING.get(mark)
            if closing is None or (mark == '"' and at > start and text[at - 1].isalnum()):
                at += 1
                continue
            close = text.find(closing, at + 1, end)
            if close < 0 and number + 1 < len(paragraphs):
                close = _closed_in_next(text, paragraphs[number + 1], closing)
            inner_end = close if close >= 0 else end
            inner = stripped(text, at + 1, inner_end)
            if inner[1] > inner[0]:
                spans.append(inner)
            at = inner_end + 1
        skip_to = at
    return spans


def _closed_in_next(text: str, paragraph: tuple[int, int], closing: str) -> int:
    """The closing mark of a quotation run on over a paragraph break: the next paragraph
    does not reopen it and its first mark closes (right after a word or a stop); else -1."""
    start, end = paragraph
    if text[start] in _OPENING:
        return -1
    first = min(
        (i for m in {closing, *_OPENING} if (i := text.find(m, start, end)) >= 0), default=-1
    )
    if first < 0 or text[first] != closing or text[first - 1].isspace():
        return -1
    return first


def _paragraphs(text: str) -> list[tuple[int, int]]:
    bounds, start = [], 0
    for found in _PARAGRAPH.finditer(text):
        bounds.append((start, found.start()))
        start = found.end()
    bounds.append((start, len(text)))
    return [b for b in bounds if b[1] > b[0]]


def stripped(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def attribute(
    doc: Doc,
    spans: list[tuple[int, int]],
    entities: list[Entity],
    entity_at: dict[int, Entity],
) -> list[Quotation]:
    """Each quotation with its speaker (see summarize._analysis)."""
    text = doc.text  # spaCy joins its tokens' texts anew at each ``doc.text``: read once
    quoted = {t.i for start, end in spans if (s := doc.char_span(start, end, "expand")) for t in s}
    paragraph_of = _paragraph_index(text)
    quotations: list[Quotation] = []
    for start, end in spans:
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is None:
            continue
        speaker: Entity | None = None
        if _names_a_title(text, start) or _title_cased(text[start:end]):
            quotations.append(Quotation(text[start:end], start, end, None))
            continue
        if (signed := _signed(doc, text, end, entities, entity_at)) is not None:
            speaker = signed
        elif (verb := reporting_verb(span, quoted)) is not None:
            speaker = speaker_of(verb, span, quoted, entities, entity_at)
        if speaker is None and quotations and _stands_alone(span, text):
            speaker = _continued(
                doc, text, quotations[-1], start, paragraph_of, entities, entity_at, quoted
            )
        quotations.append(Quotation(text[start:end], start, end, speaker.name if speaker else None))
    return quotations


def _continued(
    doc: Doc,
    text: str,
    before: Quotation,
    start: int,
    paragraph_of: Any,
    entities: list[Entity],
    entity_at: dict[int, Entity],
    quoted: set[int],
) -> Entity | None:
    """The speaker of the quotation before, which a quotation standing alone continues when
    it is near, no other person is named in between, and it was not a signed epigraph."""
    near = paragraph_of(start) - paragraph_of(before.start) <= _CONTINUATION_PARAGRAPHS
    if not near or before.speaker is None or _SIGNATURE.match(text, before.end):
        return None
    if _other_person_between(doc, before.end, start, before.speaker, entity_at, quoted):
        return None
    return next(e for e in entities if e.name == before.speaker)


def _paragraph_index(text: str) -> Any:
    starts = [start for start, _ in _paragraphs(text)]

    def paragraph_of(offset: int) -> int:
        return sum(1 for s in starts if s <= offset) - 1

    return paragraph_of


def _names_a_title(text: str, start: int) -> bool:
    """True when the quotation opening at ``start`` is a name, not words said: right after
    "named", "called", "dubbed", "titled" or "known as" ('a robot named "Better Idea"')."""
    before = re.findall(r"\w+", text[max(0, start - 30) : start])
    return bool(before) and (
        before[-1].lower() in _NAMING_WORDS
        or (len(before) > 1 and [w.lower() for w in before[-2:]] == ["known", "as"])
    )


def _title_cased(text: str) -> bool:
    """True for a short quotation whose every word is capitalised, with no stop: the name
    of a work or a site ("The Internet Explorer 6 Countdown"), not words said."""
    words = re.findall(r"[^\W\d_][\w'-]*", text)
    return (
        1 < len(words) <= MAX_TITLE_TOKENS
        and not text.endswith((".", ",", "!", "?"))
        and all(w[0].isupper() or w in _SMALL_WORDS for w in words)
    )


def _signed(
    doc: Doc, text: str, end: int, entities: list[Entity], entity_at: dict[int, Entity]
) -> Entity | None:
    """The person a quotation is signed by: a dash and a name alone on the rest of its
    line ('"..." - Matthew Ingram'); a name and a date there cite a source headline."""
    found = _SIGNATURE.match(text, end)
    if found is None:
        return None
    line_end = text.find("\n", found.end())
    name = text[found.end() : line_end if line_end >= 0 else len(text)].strip()
    if not re.fullmatch(r"[^\W\d_][\w.' -]*", name):
        return None
    token = doc.char_span(found.end(), found.end() + 1, alignment_mode="expand")
    entity = entity_at.get(token.start) if token is not None else None
    entity = entity or next((e for e in entities if name_key(name) in map(name_key, e.names)), None)
    return entity if entity is not None and entity.kind == "person" else None


def _stands_alone(span: Span, text: str) -> bool:
    """True when the quotation opens its sentence and ends its paragraph: no narration
    after it names a speaker."""
    before = text[span[0].sent.start_char : span.start_char]
    after_end = text.find("\n", span.end_char)
    after = text[span.end_char : after_end if after_end >= 0 else len(text)]
    return not re.search(r"\w", before + after)


def _other_person_between(
    doc: Doc, start: int, end: int, speaker: str, entity_at: dict[int, Entity], quoted: set[int]
) -> bool:
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None:
        return False
    return any(
        (e := entity_at.get(t.i)) is not None
        and t.i not in quoted
        and e.kind == "person"
        and e.name != speaker
        for t in span
    )
