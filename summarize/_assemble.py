"""Assemble: the brief from the article's facts and the model's prose.

What a brief presents as the article's (names, kinds, aliases, titles, quotes,
evidence, dates, places) comes from the analysis (``_facts.py``); what the model
wrote (the headline, summary, key points, roles, stances, questions and events) is
put beside the facts it refers to, by number, when the article states it.
"""

from __future__ import annotations

from summarize._analysis import DateMention, Entity
from summarize._facts import Facts, written_names
from summarize._grounding import NamedEntity, name_key, support
from summarize._schema import (
    MAX_ALIASES,
    MAX_EVIDENCE,
    MAX_QUOTES,
    Actor,
    Brief,
    KeyPoint,
    OpenQuestion,
    Prose,
    TimelineEvent,
    unstated,
)

# What the model says of an actor is kept when this share of its naming words are in the
# sentences that name the actor (and their title); else the title stands for the role and
# the stance is left out.
MIN_ROLE_SUPPORT = 0.34
# A quoted speaker's stance is what their quotes and the sentences naming them say: this
# share of its naming words must be there (a paraphrase keeps fewer of them than a key point).
MIN_STANCE_SUPPORT = 0.5


def assemble(prose: Prose, facts: Facts, left_out: list[str]) -> Brief:
    """The brief of the article: the analysis's facts with the model's ``prose``, less what
    the article does not state (each said in ``left_out``): a key point it does not state
    (the checks asked again unless three stated ones remain), a quoted speaker's stance
    their words do not state (their own words stand for it)."""
    actors, index = facts.actors, facts.index
    key_points = []
    for point in prose.key_points:
        reason = unstated(point, index)
        if reason is None:
            key_points.append(point)
        else:
            left_out.append(f"key point {point!r}: {reason}")
    roles = prose.roles
    listed = []
    for number, entity in enumerate(actors, start=1):
        said = [*entity.titles, *index.sentences_naming(entity.names)]
        written = roles.get(number, {})
        role, stance = written.get("role"), written.get("says")
        if not role or support(role, said) < MIN_ROLE_SUPPORT:
            role = _role_of(entity)
        if entity.quotes and number in roles:
            stance = _quoted_stance(entity, stance or "", facts, left_out)
        elif stance and (
            support(stance, said) < MIN_ROLE_SUPPORT or _someone_elses_words(stance, entity, facts)
        ):
            stance = None  # not said of them, or someone else's words
        listed.append(
            Actor(
                name=entity.name,
                kind=entity.kind,  # type: ignore[arg-type]  # actor kinds only (listed_actors)
                role=role,
                affiliation=entity.titles[0] if entity.titles else None,
                stance=stance,
                aliases=entity.aliases[:MAX_ALIASES],
                quotes=entity.quotes[:MAX_QUOTES],
            )
        )
    questions = [
        OpenQuestion(
            question=q.question,
            why_open=q.why_open,
            actors_involved=_named_in(f"{q.question} {q.why_open}", actors),
        )
        for q in prose.open_questions
    ]
    return Brief(
        headline=prose.headline,
        summary=prose.summary,
        key_points=[
            KeyPoint(point=point, evidence=index.supporting_sentences(point, MAX_EVIDENCE))
            for point in key_points
        ],
        actors=listed,
        places=facts.places,
        open_questions=questions,
        timeline=[
            TimelineEvent(when=date.text, date=date.date, event=event)
            for date, event in _events(prose, facts)
        ],
    )


def _events(prose: Prose, facts: Facts) -> list[tuple[DateMention, str]]:
    """The model's event for each listed date that the article states happened then: the
    sentences naming that date must state it, and no other sentence better. A small model
    puts the story's other facts under a date ("2022: Putin invited Trump to Moscow", from
    "the bloody 2022 invasion"), and under the dateline, which is when the article was
    published ("Friday: the election was held", held on Sunday)."""
    analysis = facts.analysis
    sentences = analysis.sentence_texts()
    timeline = []
    events = prose.events
    for number, date in enumerate(facts.dates, start=1):
        event = events.get(number)
        if event is None:
            continue
        then = {analysis.sentence_at(d.start) for d in analysis.dates if d.date == date.date}
        stated = max(support(event, [sentence]) for sentence in then)
        elsewhere = max((support(event, [s]) for s in sentences if s not in then), default=0.0)
        if stated >= MIN_ROLE_SUPPORT and stated >= elsewhere:
            timeline.append((date, event))
    return timeline


def _named_in(text: str, actors: list[Entity]) -> list[str]:
    """The listed actors ``text`` names (by a name, an alias or a person's surname), in the
    list's order: who a question concerns is what it says, not a number the model picks."""
    return [e.name for e in actors if NamedEntity(written_names(e)).spans_in(text)]


def _someone_elses_words(stance: str, entity: Entity, facts: Facts) -> bool:
    """Whether ``stance`` is words of a quotation the article gives someone else and not
    ``entity`` (Trump's "like President Putin, wants to make PEACE" is not Zelensky's
    stance, though it names him)."""
    words = name_key(stance)
    if not words:
        return False
    theirs = any(words in name_key(q) for q in entity.quotes)
    return not theirs and any(
        words in name_key(q.text)
        for q in facts.analysis.quotations
        if q.speaker is not None and q.speaker != entity.name
    )


def _quoted_stance(entity: Entity, stance: str, facts: Facts, left_out: list[str]) -> str:
    """A quoted speaker's stance: what the model wrote when their quotes and the sentences
    that name them say it; else (a small model gives one speaker another's words) their
    own words, said in ``left_out``: the brief keeps a stance for everyone quoted, in
    words the article gives them, without asking the model again for one field."""
    said = [*entity.quotes, *facts.index.sentences_naming(entity.names)]
    # Their title ("US President") is in the sentences that name them, and no stance.
    only_title = support(stance, entity.titles) == 1.0
    if _someone_elses_words(stance, entity, facts):
        reason = "someone else's words"
    elif support(stance, said) < MIN_STANCE_SUPPORT or only_title:
        reason = "not what their quotes say"
    else:
        return stance
    own_words = _own_words(entity.quotes)
    left_out.append(
        f"stance of {entity.name} ({stance!r}): {reason}; their words {own_words!r} stand for it"
    )
    return own_words


def _own_words(quotes: list[str]) -> str:
    """The quote that stands for a speaker's view: the first that is a statement (4 to 20
    words: a fragment such as "within 24 hours" says no view, a paragraph is no stance),
    else the longest of the rest up to 20 words, else the first."""
    statements = [q for q in quotes if 4 <= len(q.split()) <= 20]
    if statements:
        return statements[0]
    short = [q for q in quotes if len(q.split()) <= 20]
    return max(short, key=len) if short else quotes[0]


def _role_of(entity: Entity) -> str:
    """The role of an actor the model was not asked about, or wrote nothing the article
    says of: its title in the article, or what it is."""
    return entity.titles[0] if entity.titles else "named in the article"
