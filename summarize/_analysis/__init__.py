"""Analyse: the article's facts, found in code with spaCy, before any model is asked.

spaCy's English pipeline (``en_core_web_sm`` 3.8.0: named entities and a
dependency parse) gives, for one article:

- its **entities**: every mention of a person, organisation, country, place,
  group or event, joined into one entity per referent ("Trump" joins "Donald
  Trump", "US" joins "United States"), its kind the majority over the joined
  mentions, with the titles the article gives it ("Pentagon chief");
- its **quotations**, each with its speaker: the subject of the verb of saying
  that governs it ("Trump told reporters", "said Reyes"), a pronoun resolved to
  the person last named outside a quotation, "according to X", or the speaker
  of the quotation before it for a paragraph that is only a quotation;
- its **dates**, the words for when, resolved against the article's date;
- its **sentences**, the one sentence splitter of the project.

An article in a language with no pipeline installed is split into sentences
by spaCy's rule-based sentencizer and has no entities or speakers: the brief
then lists no actors (said at ``-v``).

The modules: ``pipeline`` loads spaCy's pipelines; ``entities`` joins the
mentions (``gazetteer`` tells a country from a city); ``quotations`` finds the
quoted words and ``speakers`` who said them; ``facts`` holds what is found.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from summarize._analysis.entities import find_entities, lines
from summarize._analysis.facts import Analysis, DateMention, Entity, EntityKind, Quotation, salience
from summarize._analysis.pipeline import PIPELINE_PACKAGE, english_pipeline, is_english, sentencizer
from summarize._analysis.quotations import attribute, quotation_spans, stripped
from summarize._errors import ArticleTooLongError
from summarize._timeline import resolve

if TYPE_CHECKING:
    import datetime as dt

    from spacy.tokens import Doc

__all__ = [
    "PIPELINE_PACKAGE",
    "Analysis",
    "DateMention",
    "Entity",
    "EntityKind",
    "Quotation",
    "analyse",
    "english_pipeline",
    "is_english",
    "salience",
]

log = logging.getLogger("summarize")


def analyse(text: str, published: dt.date | None = None) -> Analysis:
    """The analysis of ``text`` (an article published on ``published``, if known)."""
    english = is_english(text)
    nlp = english_pipeline() if english else sentencizer()
    if len(text) > nlp.max_length:  # spaCy's own bound on what it parses at once
        raise ArticleTooLongError(
            f"the article is too long to analyse ({len(text):,} characters; at most "
            f"{nlp.max_length:,}): split it into articles"
        )
    if not english:
        log.info(
            "The article is not in English, the one language with a pipeline installed: "
            "its actors, quotations and dates are not found"
        )
    doc = nlp(text)
    sentences = [stripped(text, s.start_char, s.end_char) for s in doc.sents]
    sentences = [span for span in sentences if span[0] < span[1]]
    if not english:
        return Analysis(text, "xx", sentences, [], [], [])
    entities, entity_at = find_entities(doc)
    quotations = attribute(doc, quotation_spans(text), entities, entity_at)
    for quotation in quotations:
        speaker = next((e for e in entities if e.name == quotation.speaker), None)
        if speaker is not None:
            speaker.quotes.append(quotation.text)
    entities.sort(key=lambda e: (-salience(e), e.first))
    return Analysis(text, "en", sentences, entities, quotations, _dates(doc, published))


def _dates(doc: Doc, published: dt.date | None) -> list[DateMention]:
    """The article's words for when that resolve to a date, week, month or year, each once."""
    found: dict[str, DateMention] = {}
    for ent in doc.ents:
        if ent.label_ != "DATE":
            continue
        for line in lines(ent):
            if line.text.casefold() in found:
                continue
            date = resolve(line.text, published, line.sent.text)
            if date is not None:
                found[line.text.casefold()] = DateMention(line.text, line.start_char, date)
    return list(found.values())
