"""Entities: the article's mentions of people, organisations, countries, places, groups and
events, joined into one entity per referent, each with its kind and titles."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from summarize._analysis.facts import Entity, EntityKind, name_key, salience
from summarize._analysis.gazetteer import Gazetteer

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

# spaCy's entity labels (OntoNotes) that name a party to a story, and the kind each says.
_KIND_OF_LABEL: dict[str, EntityKind] = {
    "PERSON": "person",
    "ORG": "organization",
    "GPE": "place",  # a country when the gazetteer knows it as one (see Gazetteer)
    "LOC": "place",
    "FAC": "place",
    "NORP": "group",
    "EVENT": "event",
}
# The dependency labels of a clause's subject.
SUBJECTS = ("nsubj", "nsubjpass")
# The words before a name that make its title ("Pentagon chief Pete Hegseth"), and a
# description after it ("Mohammed bin Salman, Saudi Arabia's crown prince,").
_TITLE_DEPS = ("compound", "amod", "nmod", "poss")
MAX_TITLE_TOKENS = 8
# A lone surname this similar to a full name's surname is that name misspelt.
_SAME_NAME_RATIO = 0.85
# Courtesy titles before a surname: not part of the name ("Ms Buchtmann").
_HONORIFICS = {"mr", "mrs", "ms", "miss", "dr", "prof"}
# An initialism joins the name whose capitals it gives ("NATO", "US"), these left out.
_NOT_IN_INITIALS = {"of", "the", "and", "for", "de", "la"}


def lines(span: Span) -> list[Span]:
    """The parts of an entity on either side of a line break: the tagger runs a dateline
    into the next paragraph ("Monday, May 18, 2015 \\n\\nRecent"), and a name or a
    date is one line."""
    parts, start = [], span.start
    for token in span:
        if token.is_space and "\n" in token.text:
            if token.i > start:
                parts.append(span.doc[start : token.i])
            start = token.i + 1
    if span.end > start:
        parts.append(span.doc[start : span.end])
    return parts


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


@dataclass
class _Cluster:
    """The mentions taken for one referent, while _join joins them."""

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
        return name_key(self.surfaces.most_common(1)[0][0]).split()

    def absorb(self, other: _Cluster) -> None:
        self.labels += other.labels
        self.surfaces += other.surfaces
        self.spans += other.spans
        other.merged_into = self
        self.__dict__.pop("label", None)
        self.__dict__.pop("words", None)


def find_entities(doc: Doc) -> tuple[list[Entity], dict[int, Entity]]:
    """The article's entities, most salient first, and the entity of each token named."""
    clusters: dict[str, _Cluster] = {}
    for ent in doc.ents:
        if ent.label_ not in _KIND_OF_LABEL:
            continue
        for line in lines(ent):
            span = _trimmed(line)
            if span is None or not any(c.isalpha() for c in span.text):
                continue
            cluster = clusters.setdefault(name_key(span.text), _Cluster())
            cluster.labels[ent.label_] += 1
            cluster.surfaces[span.text] += 1
            cluster.spans.append(span)
    _join(clusters)
    gazetteer = Gazetteer.get()
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
    gazetteer = Gazetteer.get()
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
    cluster: _Cluster, gazetteer: Gazetteer, title_ranges: list[tuple[int, int]]
) -> Entity | None:
    label = cluster.label
    kind = _KIND_OF_LABEL[label]
    surfaces = [s for s, _ in cluster.surfaces.most_common()]
    full_name = max(surfaces, key=lambda s: (len(s.split()), cluster.surfaces[s]))
    if label == "GPE" and gazetteer.country(name_key(full_name)) is not None:
        kind = "country"
    if kind == "person" and all(len(s.split()) == 1 for s in surfaces):
        # A news story names a person in full at least once; a one-word "person" the
        # gazetteer knows as a country or city is that (the small pipeline tags "Kyiv").
        place = gazetteer.place_kind(name_key(full_name))
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
        aliases=[s for s in surfaces if name_key(s) != name_key(full_name)][:3],
        titles=titles[:3],
        mentions=len(spans),
        acts=sum(span.root.dep_ in SUBJECTS for span in spans),
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
        for token in doc[start : span.start]:
            # A title is a noun phrase: a subject among the words before the name starts a
            # clause of its own ("saw Moscow free US teacher Marc Fogel"), and the title
            # starts after it and its verb.
            if token.dep_ in SUBJECTS:
                start = max(start, token.i + 1, min(token.head.i + 1, span.start))
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
