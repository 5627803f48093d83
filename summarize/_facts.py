"""The facts a brief is made of: the article's analysis (made once), and which of its
entities, places and dates the brief lists, decided here in code.

Which entities become actors: the parties to the story, most salient first (everyone it
quotes, and every person, organisation, country or group it names twice or more or that
acts in it, the subject of a clause), then the people it names once, up to
``MAX_ACTORS``: a team named six times outranks a player named once. A place is not an
actor but one of the brief's places; an organisation named only inside a person's
title ("Pentagon chief") is that person's affiliation.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from summarize._analysis import Analysis, DateMention, Entity, analyse, salience
from summarize._article import Article
from summarize._grounding import ArticleIndex, NamedEntity
from summarize._schema import MAX_ACTORS, MAX_PLACES

_ACTOR_KINDS = ("person", "organization", "country", "group")
# Named this often, or the subject of a clause this often, an organisation, country or
# group is a party to the story, not only its setting.
MIN_MENTIONS = 2
MIN_ACTS = 1
MAX_DATES = 3
# The model writes the role and stance of the most salient actors, at most this many (each
# costs it ~20 tokens); the others are described by their title in the article.
MAX_ROLES_ASKED = 5


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
    places: list[str]
    """Where the story happens."""

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
        ArticleIndex.of(article.text, tuple(analysis.sentences), _named(analysis)),
        listed_places(analysis),
    )
    with _FACTS_LOCK:
        _FACTS[key] = facts
        while len(_FACTS) > _FACTS_KEPT:
            _FACTS.popitem(last=False)
    return facts


def _named(analysis: Analysis) -> tuple[NamedEntity, ...]:
    """The article's named entities as the checks of a key point know them: what a key
    point says of a person must be said of them (an organisation or a country is as often
    the setting of a sentence as its subject)."""
    return tuple(NamedEntity(written_names(e), e.kind == "person") for e in analysis.entities)


def written_names(entity: Entity) -> tuple[str, ...]:
    """The names by which the model's prose may name ``entity``: its names in the article,
    and a person's surname alone (a key point names "Hegseth" whom the article names in
    full)."""
    words = entity.name.split()
    surname = [words[-1]] if entity.kind == "person" and len(words) > 1 else []
    return (*entity.names, *surname)


def is_analysed(article: Article) -> bool:
    return (article.text, article.date) in _FACTS


def listed_actors(analysis: Analysis) -> list[Entity]:
    """The entities the brief lists as actors (see the module docstring): those whose role
    the model is asked for first, then the others, each by salience."""
    candidates = [e for e in analysis.entities if e.kind in _ACTOR_KINDS and not e.only_in_titles]
    by_salience = sorted(candidates, key=lambda e: (-salience(e), e.first))

    # Parties to the story: everyone quoted, and whoever is named twice or more or acts
    # (the subject of a clause), most salient first; then the people named once.
    def is_party(e: Entity) -> bool:
        return bool(e.quotes) or e.mentions >= MIN_MENTIONS or e.acts >= MIN_ACTS

    parties = [e for e in by_salience if is_party(e)]
    named_once = [e for e in by_salience if e.kind == "person" and not is_party(e)]
    chosen = [*parties, *named_once][:MAX_ACTORS]
    ranked = sorted(chosen, key=lambda e: (-salience(e), e.first))
    # The model writes the roles of the first MAX_ROLES_ASKED: every quoted speaker (whose
    # stance is required), then the most salient others; each group by salience.
    quoted = [e for e in ranked if e.quotes][:MAX_ROLES_ASKED]
    others = [e for e in ranked if not e.quotes][: MAX_ROLES_ASKED - len(quoted)]
    asked = [e for e in ranked if any(e is a for a in (*quoted, *others))]
    return asked + [e for e in ranked if not any(e is a for a in asked)]


def listed_places(analysis: Analysis) -> list[str]:
    """Where the story happens: the countries and places its lead names (a news story says
    where in its first sentence), then the others, most salient first."""
    lead_end = analysis.sentences[0][1] if analysis.sentences else 0
    places = [
        e for e in analysis.entities if e.kind in ("country", "place") and not e.only_in_titles
    ]
    places.sort(key=lambda e: e.first >= lead_end)  # stable: salience order within each
    return [e.name for e in places][:MAX_PLACES]


def listed_dates(analysis: Analysis) -> list[DateMention]:
    """The dates the timeline may hold, in the article's order, each date once ("Wednesday"
    and "earlier Wednesday" are one), at most MAX_DATES: the model writes an event for each."""
    first = {d.date: d for d in sorted(analysis.dates, key=lambda d: -d.start)}
    return sorted(first.values(), key=lambda d: d.start)[:MAX_DATES]
