"""The brief: pydantic models and the validators that ground them in the article.

The article reaches the validators through pydantic's validation context,
``{"article": ArticleIndex, "published": date, "dropped": list (lenient)}``,
given to ``model_validate`` or, while a model answers, set in ``CHECKING``
(not through instructor's ``context=``: instructor renders every message as a
Jinja template when given one, so an article with ``{{`` in it would break or
be rewritten). Without a context (loading a saved brief) only the shape is
checked.
A failed check raises a ``ValueError`` whose message tells the model what to
fix: the re-ask sends it back (see ``llm.problems_for_the_model``). A check
whose message must say other words to the model raises a
``PydanticCustomError`` with those words as ``to_model`` in its context.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextvars import ContextVar
from functools import lru_cache
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from summarize.grounding import (
    MIN_SUPPORT,
    MIN_VERBATIM_SHARE,
    ArticleIndex,
    name_key,
    one_word_alike,
    support,
)
from summarize.timeline import resolve, sentence_of

# Item caps keep a small model from looping; they are also in the JSON schema
# so that grammar-constrained decoding cannot exceed them.
MIN_KEY_POINTS = 3
MAX_KEY_POINTS = 7
MAX_EVIDENCE = 2
# A news story involves several parties; left free, a small model stops at the
# smallest list the schema allows.
MIN_ACTORS = 3
MAX_ACTORS_ASKED = 8
# Names the article uses this often are the story's, as a rule (the prompt says so);
# those a brief leaves out are asked about once more, and up to MAX_ACTORS_ADDED of
# them added (see names_left_out and core's follow-up).
MIN_MENTIONS = 3
MAX_ACTORS_ADDED = 4
MAX_ACTORS = MAX_ACTORS_ASKED + MAX_ACTORS_ADDED
# Where the story happens. A field of its own, not left to the actors: asked for
# actors, a small model lists the people and leaves out the places (13 of the 33
# salient names it missed on the GUM articles were places). A name left out that
# the follow-up finds is a place is added to them.
MAX_PLACES_ASKED = 4
MAX_PLACES = MAX_PLACES_ASKED + MAX_ACTORS_ADDED
MAX_QUOTES = 2
MAX_ALIASES = 3
MAX_QUESTIONS = 5
MAX_HEADLINE_WORDS = 20
MAX_TIMELINE = 6
MAX_WHEN_WORDS = 8

Quote = Annotated[str, Field(min_length=1, description="Copied word for word from the article.")]


def _bare_name(name: str) -> str:
    """The name without the punctuation a small model carries over from the sentence it
    copied it from (". Sydney", "/Port Alder"); "Washington D.C." keeps its stops."""
    name = name.strip().lstrip(".,;:/|-").rstrip(",;:/|-").strip()
    if not name:
        raise ValueError("a name must have letters")
    return name


Name = Annotated[str, Field(min_length=1), AfterValidator(_bare_name)]


# The validation context while a model's answer is checked (see the module docstring).
CHECKING: ContextVar[dict[str, Any] | None] = ContextVar("summarize_checking", default=None)


def _context(info: ValidationInfo) -> dict[str, Any]:
    return info.context or CHECKING.get() or {}


def _article(info: ValidationInfo) -> ArticleIndex | None:
    context = _context(info)
    article = context.get("article")
    if isinstance(article, str):
        return ArticleIndex(article)
    return article


def _dropped(info: ValidationInfo) -> list[str] | None:
    """In lenient mode, the list that records what was left out; else None."""
    return _context(info).get("dropped")


def _ground_evidence(evidence: list[str], article: ArticleIndex) -> list[str]:
    """The article's own text for each piece of evidence given as text (a saved brief, or
    the briefs of an article's parts merged); one not in the article is an error."""
    grounded = []
    for quote in evidence:
        passage = quote if quote in article.text else article.passage(quote)
        if passage is None:
            raise ValueError(f"Evidence not found word for word in the article: {quote!r}.")
        grounded.append(passage)
    return grounded


def _verbatim(text: str, article: ArticleIndex) -> str | None:
    """The article's text for ``text``: all of it, or the verbatim run at its core when that
    run holds MIN_VERBATIM_SHARE of its words ("September 14, 2015" for "September 14")."""
    passage = article.passage(text)
    if passage is None:
        core, share = article.longest_passage(text)
        if share >= MIN_VERBATIM_SHARE:
            passage = core
    return passage


def _ground_quotes(
    actor: Actor, quotes: list[str], article: ArticleIndex | None, dropped: list[str] | None = None
) -> list[str]:
    """The article's text for each quote of ``actor``: words inside its quotation marks,
    in a paragraph that names the actor (or right after one).

    A "quote" that is verbatim article text but not this actor's quotation
    (the article's own narration, or someone else's words) is left out; one
    that is not in the article at all is an error.
    """
    if article is None:
        return quotes
    grounded, invented = [], []
    for quote in quotes:
        quotation = article.quotation(quote, speaker=[actor.name, *actor.aliases])
        if quotation is not None:
            grounded.append(quotation)
        elif article.longest_passage(quote)[1] < MIN_VERBATIM_SHARE:
            invented.append(quote)
    if invented and dropped is not None:
        dropped.extend(f"quote of {actor.name} not in the article: {q!r}" for q in invented)
    elif invented:
        # Like a key point, not quoted back to the model: told its quote is not in the
        # article, the 1.5B model gave it again (the third answer of harbour_brief.yaml).
        raise PydanticCustomError(
            "quote_not_in_article",
            "Quotes of {actor} are not in the article: {quotes}. Copy only words the article "
            "puts inside quotation marks, or leave the quote out.",
            {
                "actor": repr(actor.name),
                "quotes": "; ".join(repr(quote) for quote in invented),
                "to_model": f"A quote given to {actor.name!r} is not in the article. Give "
                "each actor only words copied from the list of quotations after the article, "
                "or no quote.",
            },
        )
    return list(dict.fromkeys(grounded))


T = TypeVar("T")


def unique(items: list[T], key: Callable[[T], str] = str) -> list[T]:
    """``items`` without repeats (their ``key`` compared by name key), first ones kept."""
    kept: dict[str, T] = {}
    for item in items:
        kept.setdefault(name_key(key(item)), item)
    return list(kept.values())


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# A key point's evidence is found in code: the article sentences that hold most of
# its naming words. Asked to copy evidence, a small model joined, shortened or
# reworded it (4 of the 5 GUM articles the 1.5B model was refused on), and 14 of
# its 58 key points came with verbatim evidence sharing no naming word; asked
# to cite sentences by number, the 1.5B model cited the wrong ones. What this
# checks is the point itself: at least MIN_SUPPORT of its naming words are the
# article's, in at most two sentences (50 of the 58 points of the 1.5B model's
# v5 GUM briefs, measured before this change; none against another article's sentences).
class KeyPoint(_Strict):
    """One thing the article establishes, with the article's sentences that state it."""

    point: str = Field(min_length=1, description="The point, in one sentence.")
    # Not in the schema the model sees: found in the article.
    evidence: SkipJsonSchema[list[str]] = Field(
        default_factory=list,
        max_length=MAX_EVIDENCE,
        description="The article's sentences that state the point, verbatim.",
    )

    @model_validator(mode="after")
    def _stated_in_the_article(self, info: ValidationInfo) -> KeyPoint:
        article = _article(info)
        if article is None:
            return self  # a saved brief keeps the evidence it was given
        if self.evidence:  # a saved brief checked again, or parts' briefs merged
            self.evidence = _ground_evidence(self.evidence, article)
        else:
            self.evidence = article.supporting_sentences(self.point, MAX_EVIDENCE)
        if support(self.point, self.evidence) < MIN_SUPPORT:
            nearest = article.supporting_sentences(self.point, 1)
            said = f" (the article's nearest sentence: {nearest[0]!r})" if nearest else ""
            # The model is not shown the point it wrote: told "Key point 'At least 30,000
            # fans attended' is not what the article says", the 1.5B model wrote it again
            # (expo and lanterns, the two GUM articles it was refused on, see
            # bench/RESULTS.md); told only where the article is nearest, it wrote
            # points the article states.
            raise PydanticCustomError(
                "key_point_not_stated",
                "Key point {point} is not what the article says{said}. Write it again in the "
                "article's own words, or leave it out ({enough} key points the article "
                "states are enough).",
                {
                    "point": repr(self.point),
                    "said": said,
                    "enough": MIN_KEY_POINTS,
                    "to_model": f"A key point said what the article does not say{said}. Write "
                    "each key point in the words of one of the article's sentences, and leave "
                    "out what the article does not state.",
                },
            )
        return self


ActorKind = Literal["person", "organization", "country", "place", "group", "other"]


class Actor(_Strict):
    """A person, organisation, country, place or group that plays a part in the story."""

    name: Name = Field(description="The name as written in the article.")
    kind: ActorKind
    role: str = Field(min_length=1, description="What this actor does in this story.")
    affiliation: str | None = Field(
        default=None, description="Title or affiliation, as the article gives it."
    )
    stance: str | None = Field(
        default=None,
        description="The actor's stated position, if the article states one.",
    )
    aliases: list[Name] = Field(
        default_factory=list,
        max_length=MAX_ALIASES,
        description="Other names the article uses for this actor.",
    )
    quotes: list[Quote] = Field(
        default_factory=list,
        max_length=MAX_QUOTES,
        description="Words the article quotes this actor as saying, verbatim.",
    )

    @model_validator(mode="after")
    def _named_in_article(self, info: ValidationInfo) -> Actor:
        article = _article(info)
        if article is None:
            return self
        if not any(article.has_name(name) for name in self.names):
            misspelt = article.name_misspelt(self.name)
            if misspelt is None:
                raise ValueError(
                    f"Actor {self.name!r} is not named in the article. Use the name as the "
                    "article writes it, or leave the actor out."
                )
            self.name = misspelt  # the article's spelling, not the model's
        self.quotes = _ground_quotes(self, self.quotes, article, _dropped(info))
        return self

    def absorb(self, other: Actor) -> None:
        """Take in what ``other``, the same actor listed again, adds: its other names, its
        quotes, and its affiliation and stance where this one has none."""
        own = name_key(self.name)
        self.aliases = unique([*self.aliases, *(n for n in other.names if name_key(n) != own)])
        self.aliases = self.aliases[:MAX_ALIASES]
        self.quotes = unique([*self.quotes, *other.quotes])[:MAX_QUOTES]
        self.affiliation = self.affiliation or other.affiliation
        self.stance = self.stance or other.stance

    @property
    def names(self) -> list[str]:
        return [self.name, *self.aliases]

    def answers_to(self, name: str) -> bool:
        """True when ``name`` is this actor's name or an alias, whole or in part:
        "Putin" and "Russian President Vladimir Putin" both answer to "Vladimir Putin"."""
        wanted = f" {name_key(name)} "
        for own in (f" {name_key(n)} " for n in self.names):
            if wanted.strip() and own.strip() and (wanted in own or own in wanted):
                return True
        return False


class OpenQuestion(_Strict):
    """A question the article raises and leaves unresolved."""

    question: str = Field(min_length=2, description="The question, ending with '?'.")
    why_open: str = Field(
        min_length=1,
        description="Why it is open: what the article says or leaves out.",
    )
    actors_involved: list[Name] = Field(
        default_factory=list,
        max_length=MAX_ACTORS_ASKED,
        description="Names of actors from the actors list that the question concerns.",
    )

    @field_validator("question")
    @classmethod
    def _is_a_question(cls, question: str) -> str:
        if not question.endswith("?"):
            # Not quoted back either: the 0.5B model copied the quoted text into each
            # open question of its next answers (seed_brief_0.5b.yaml).
            raise PydanticCustomError(
                "not_a_question",
                "Open question {question} must end with '?'.",
                {
                    "question": repr(question),
                    "to_model": "An open question must be one short question ending with '?'.",
                },
            )
        return question


class TimelineEvent(_Strict):
    """Something the article dates, with its date worked out in code, not by the model."""

    when: str = Field(
        min_length=1,
        description="The article's own words for when, copied exactly, e.g. 'on Wednesday', "
        "'Feb. 12', 'next week'.",
    )
    event: str = Field(min_length=1, description="What happened or will happen, in one sentence.")
    # Not in the schema the model sees: resolved from `when` and the article's date.
    date: SkipJsonSchema[str | None] = Field(
        default=None,
        description="ISO date (2025-02-12), week (2025-W08), month (2025-03) or year; "
        "None when the article's date does not allow it.",
    )

    @model_validator(mode="after")
    def _resolve_the_date(self, info: ValidationInfo) -> TimelineEvent:
        article = _article(info)
        if article is None:
            return self  # a saved brief keeps the date it was given
        if len(self.when.split()) > MAX_WHEN_WORDS:
            raise ValueError(
                f"Timeline 'when' {self.when!r} is not a time: give the few words that say when."
            )
        # "September 14, 2015" for the article's "September 14": its verbatim core.
        passage = _verbatim(self.when, article)
        if passage is None:
            raise ValueError(
                f"Timeline 'when' {self.when!r} is not in the article. Copy the article's "
                "own words for when it happened, e.g. 'on Wednesday'."
            )
        self.when = passage
        published = _context(info).get("published")
        self.date = resolve(passage, published, sentence_of(article.text, passage))
        return self


@lru_cache(maxsize=4)
def _brief_schema(model: type[BaseModel]) -> str:
    return json.dumps(BaseModel.model_json_schema.__func__(model))  # type: ignore[attr-defined]


def _model_must_write(schema: dict[str, Any]) -> None:
    schema.setdefault("required", []).extend(["places", "timeline"])


class Brief(_Strict):
    """A validated, structured brief of one news article."""

    model_config = ConfigDict(json_schema_extra=_model_must_write)

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        # instructor builds the schema on every request (5 ms); it never changes.
        if args or kwargs:
            return super().model_json_schema(*args, **kwargs)
        return json.loads(_brief_schema(cls))  # a fresh copy: callers may change it

    headline: str = Field(min_length=1, description="One line, at most 15 words.")
    summary: str = Field(
        min_length=1,
        description="2-4 neutral sentences; the first stands alone as a one-sentence lead "
        "(who did what, where, when).",
    )
    # The schema asks for MIN_KEY_POINTS; a brief keeps fewer when the model repeated
    # itself (see below), so that a returned brief always validates again.
    key_points: list[KeyPoint] = Field(
        min_length=1, max_length=MAX_KEY_POINTS, json_schema_extra={"minItems": MIN_KEY_POINTS}
    )
    # The schema asks for MIN_ACTORS; lenient mode may keep fewer once it has left
    # out the actors that failed their checks (see _enough_actors).
    actors: list[Actor] = Field(
        min_length=1,
        max_length=MAX_ACTORS,
        json_schema_extra={"minItems": MIN_ACTORS, "maxItems": MAX_ACTORS_ASKED},
    )
    # Required in the schema the model sees (see model_config), optional when a
    # brief saved before places existed is loaded.
    places: list[Name] = Field(
        default_factory=list,
        max_length=MAX_PLACES,
        json_schema_extra={"minItems": 1, "maxItems": MAX_PLACES_ASKED},
        description="Where the story happens: the country, and the region, city or venue, "
        "named as the article writes them.",
    )
    # Required, so that grammar-constrained decoding always writes it.
    open_questions: list[OpenQuestion] = Field(min_length=1, max_length=MAX_QUESTIONS)
    # Like places: required in the schema the model sees, optional when loading.
    timeline: list[TimelineEvent] = Field(
        default_factory=list,
        max_length=MAX_TIMELINE,
        description="Dated events, in the article's order; [] when the article dates nothing.",
    )

    @model_validator(mode="before")
    @classmethod
    def _leave_out_ungrounded_items(cls, data: Any, info: ValidationInfo) -> Any:
        """Timeline events whose words for when are not the article's are left out: such
        an event cannot be dated, and it claims nothing a reader relies on (its event is
        the model's own sentence). In lenient mode key points and actors that fail their
        checks are left out too, and everything left out is recorded."""
        dropped = _dropped(info)
        if _article(info) is None or not isinstance(data, dict):
            return data
        data = dict(data)
        checked = [("timeline", TimelineEvent, "when", "timeline event")]
        if dropped is not None:
            checked += [
                ("key_points", KeyPoint, "point", "key point"),
                ("actors", Actor, "name", "actor"),
            ]
        for field, model, label, what_it_is in checked:
            kept = []
            for item in data.get(field) or []:
                try:
                    model.model_validate(item, context={**_context(info), "dropped": []})
                    kept.append(item)
                except ValidationError as error:
                    if dropped is not None:
                        what = item.get(label) if isinstance(item, dict) else item
                        reason = error.errors()[0]["msg"].removeprefix("Value error, ")
                        dropped.append(f"{what_it_is} {what!r}: {reason}")
            data[field] = kept
        return data

    @field_validator("headline")
    @classmethod
    def _headline_is_short(cls, headline: str) -> str:
        words = len(headline.split())
        if "\n" in headline or words > MAX_HEADLINE_WORDS:
            raise ValueError(f"The headline has {words} words; write one line of at most 15 words.")
        return headline

    @field_validator("key_points")
    @classmethod
    def _key_points_are_distinct(cls, key_points: list[KeyPoint]) -> list[KeyPoint]:
        # A point written twice says nothing new: keep the first.
        return unique(key_points, key=lambda point: point.point)

    @field_validator("places")
    @classmethod
    def _places_are_named(cls, places: list[str], info: ValidationInfo) -> list[str]:
        """A place the article never names is left out, not re-asked: the schema makes
        the model write one, and an article may name none (a model asked again can
        only invent another)."""
        article = _article(info)
        places = unique(places)  # a place written twice: the first kept
        if article is None:
            return places
        unnamed = [place for place in places if not article.has_proper_name(place)]
        if unnamed and _dropped(info) is not None:
            _dropped(info).extend(f"place {place!r}: not named in the article" for place in unnamed)
        return [place for place in places if place not in unnamed]

    @field_validator("actors")
    @classmethod
    def _actors_are_distinct(cls, actors: list[Actor]) -> list[Actor]:
        # An actor listed twice (a small model filling its list) is one actor: the
        # first entry kept, with what the second adds.
        kept: dict[str, Actor] = {}
        for actor in actors:
            first = kept.setdefault(name_key(actor.name), actor)
            if first is not actor:
                first.absorb(actor)
        return list(kept.values())

    @field_validator("actors")
    @classmethod
    def _enough_actors(cls, actors: list[Actor], info: ValidationInfo) -> list[Actor]:
        if len(actors) < MIN_ACTORS and _dropped(info) is None:
            raise ValueError(
                f"List at least {MIN_ACTORS} actors: the people, organizations and places "
                "the story is about."
            )
        return actors

    @model_validator(mode="after")
    def _questions_name_listed_actors(self, info: ValidationInfo) -> Brief:
        for question in self.open_questions:
            named = []
            for name in question.actors_involved:
                actor = next((a for a in self.actors if a.answers_to(name)), None)
                if actor is not None:
                    named.append(actor.name)  # as the actors list writes it
                elif _dropped(info) is not None:
                    _dropped(info).append(f"{name!r} in an open question: not a listed actor")
                # else left out, not re-asked: a name the actors list lacks ("bus driver")
                # claims nothing the brief presents as the article's, and a re-ask risks
                # the whole brief (the 1.5B model's stampede brief was refused for one).
            question.actors_involved = list(dict.fromkeys(named))
        return self

    def names_left_out(self, names: list[tuple[str, int]]) -> list[str]:
        """Of the article's ``names`` (with how often it uses each, as the prompt lists
        them), those used MIN_MENTIONS times or more that no actor answers to (nor
        names by its demonym or plural: "Russian" for "Russia") and no place is; at
        most MAX_ACTORS_ADDED, most used first. A small model leaves out names it is
        shown ("Scientology", 21 times, in a story about a Scientology defector; a
        baby named 9 times in one about her death)."""
        places = {name_key(place) for place in self.places}
        left_out = [
            name
            for name, count in names
            if count >= MIN_MENTIONS
            and name_key(name) not in places
            and not any(actor.answers_to(name) for actor in self.actors)
            and not any(one_word_alike(name, own) for a in self.actors for own in a.names)
        ]
        return left_out[:MAX_ACTORS_ADDED]

    def with_names(self, actors: list[Actor], places: list[str]) -> Brief:
        """This brief with more ``actors`` after its own, up to MAX_ACTORS, and more
        ``places`` after its own, up to MAX_PLACES; those it lists already left out."""
        added = [
            actor
            for actor in actors
            if not any(own.answers_to(name) for own in self.actors for name in actor.names)
        ]
        actors = unique([*self.actors, *added], key=lambda actor: name_key(actor.name))
        places = [p for p in places if not any(own.answers_to(p) for own in self.actors)]
        places = unique([*self.places, *places], key=name_key)
        return self.model_copy(
            update={"actors": actors[:MAX_ACTORS], "places": places[:MAX_PLACES]}
        )


# What a name a brief leaves out names. The model sorts each name, rather than being
# asked to leave out what is no actor: asked for actors among a list, a small model
# made actors of all of them, a language and an award among them.
NameKind = Literal[
    "person", "organization", "team", "country", "place", "language", "event", "thing"
]
_ACTOR_KIND_OF: dict[str, ActorKind] = {
    "person": "person",
    "organization": "organization",
    "team": "organization",
    "country": "country",
}


class NameSort(_Strict):
    kind: NameKind
    role: str = Field(min_length=1, description="What it is or does in this story, in a few words.")


class MoreActors(_Strict):
    """The answer to the follow-up about the names a brief leaves out: what each names,
    one field per name (see ``naming``), so that each is answered once, in order."""

    @staticmethod
    @lru_cache(maxsize=64)
    def naming(names: tuple[str, ...]) -> type[MoreActors]:
        """MoreActors for ``names``: the name is the key of its answer."""
        fields: dict[str, Any] = {
            f"name_{i}": (NameSort, Field(alias=name)) for i, name in enumerate(names)
        }
        return create_model("MoreActors", __base__=MoreActors, **fields)

    @property
    def actors(self) -> list[Actor]:
        """The names sorted as a person, organization, team or country, as actors."""
        return [
            Actor(name=name, kind=_ACTOR_KIND_OF[sort.kind], role=sort.role)
            for name, sort in self._sorted()
            if sort.kind in _ACTOR_KIND_OF
        ]

    @property
    def places(self) -> list[str]:
        """The names sorted as a place."""
        return [name for name, sort in self._sorted() if sort.kind == "place"]

    def _sorted(self) -> list[tuple[str, NameSort]]:
        return [
            (info.alias, getattr(self, field))
            for field, info in type(self).model_fields.items()
            if info.alias
        ]
