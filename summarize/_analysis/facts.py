"""The facts the analysis finds in an article, which every later step reads: its
entities, its quotations with their speakers, its dates, and the Analysis that holds them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from spacy.tokens import Span

EntityKind = Literal["person", "organization", "country", "place", "group", "event"]


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


def salience(entity: Entity) -> float:
    """How much the story is about ``entity``: its mentions, the clauses it is the subject
    of, and its quotations."""
    return entity.mentions + entity.acts + 2 * len(entity.quotes)


def name_key(text: str) -> str:
    """The form in which two mentions are compared: words, case folded, "U.S." as "us"."""
    return " ".join(re.findall(r"\w+", text.replace(".", "").casefold()))
