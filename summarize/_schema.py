"""The brief, and the prose a model writes for it: pydantic models and their checks.

Two kinds of model live here:

- ``Brief`` and its parts (``KeyPoint``, ``Actor``, ``OpenQuestion``,
  ``TimelineEvent``): what ``summarize`` returns. Their facts (names, kinds,
  aliases, titles, quotes, evidence, dates) come from the article's analysis,
  so loading a saved brief checks only its shape.
- ``Prose``: what the model is asked to write, and nothing else: the headline,
  the summary, key points, each listed actor's role and stance, open questions
  and the timeline's events. ``prose_model`` makes it for one article (its
  actors and dates are numbered fields), and its checks hold it to the article.

The article reaches the checks through pydantic's validation context, a
``CheckContext`` given to ``model_validate`` or to instructor as ``context=``.
A failed check raises a ``PydanticCustomError`` whose ``to_model`` context says
what the re-ask tells the model (see ``_client.problems_for_the_model``): a model
shown the sentence it invented writes it again.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    create_model,
    model_validator,
)
from pydantic_core import PydanticCustomError

from summarize._article import SITE_SEPARATOR
from summarize._grounding import MIN_SUPPORT, ArticleIndex, support

# Item caps keep a small model from looping; they are also in the JSON schema
# so that grammar-constrained decoding cannot exceed them.
MIN_KEY_POINTS = 3
MAX_KEY_POINTS = 5
MAX_KEY_POINTS_WRITTEN = 4  # asked of the model: each costs it ~25 tokens
MAX_EVIDENCE = 2
MAX_ACTORS = 16
MAX_PLACES = 4
MAX_QUOTES = 4
MAX_ALIASES = 3
MAX_QUESTIONS = 3
MAX_HEADLINE_WORDS = 20
MAX_TIMELINE = 6

ActorKind = Literal["person", "organization", "country", "place", "group", "other"]


class CheckContext(dict):  # type: ignore[type-arg]
    """What the checks hold an answer to: ``{"article": ArticleIndex, "title": str,
    "lenient": bool}`` (lenient: after the last re-ask, take what passes).

    instructor, given ``context=``, also renders every message as a Jinja template when
    that context is truthy (``instructor.v2.core.templating.handle_templating``); our
    messages are rendered already, and an article may hold ``{{``. So this context reads
    as empty to that test, and pydantic hands it to the checks whole
    (tests/test_llm.py holds instructor to it)."""

    def __bool__(self) -> bool:
        return False


def _context(info: ValidationInfo) -> dict[str, Any]:
    return info.context if info.context is not None else {}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- the brief ----------------------------------------------------------------------


class KeyPoint(_Strict):
    """One thing the article establishes, with the article's sentences that state it."""

    point: str = Field(min_length=1, description="The point, in one sentence.")
    evidence: list[str] = Field(
        default_factory=list,
        max_length=MAX_EVIDENCE,
        description="The article's sentences that state the point, verbatim.",
    )


class Actor(_Strict):
    """A person, organisation, country or group that plays a part in the story."""

    name: str = Field(min_length=1, description="The fullest name the article writes.")
    kind: ActorKind
    role: str = Field(min_length=1, description="What this actor does in this story.")
    affiliation: str | None = Field(
        default=None, description="Title or affiliation, as the article gives it."
    )
    stance: str | None = Field(
        default=None, description="The actor's stated position, if the article states one."
    )
    aliases: list[str] = Field(
        default_factory=list,
        max_length=MAX_ALIASES,
        description="Other names the article uses for this actor.",
    )
    quotes: list[str] = Field(
        default_factory=list,
        max_length=MAX_QUOTES,
        description="Words the article quotes this actor as saying, verbatim.",
    )

    @property
    def names(self) -> list[str]:
        return [self.name, *self.aliases]


class OpenQuestion(_Strict):
    """A question the article raises and leaves unresolved."""

    question: str = Field(min_length=2, description="The question, ending with '?'.")
    why_open: str = Field(min_length=1, description="What the article says or leaves out.")
    actors_involved: list[str] = Field(
        default_factory=list, description="Names of the brief's actors the question concerns."
    )


class TimelineEvent(_Strict):
    """Something the article dates: its words for when, the date worked out in code, and
    what happened then, in the model's words."""

    when: str = Field(min_length=1, description="The article's own words for when.")
    event: str = Field(min_length=1, description="What happened or will happen, in one sentence.")
    date: str | None = Field(
        default=None,
        description="ISO date (2025-02-12), week (2025-W08), month (2025-03) or year.",
    )


class Brief(_Strict):
    """A validated, structured brief of one news article."""

    headline: str = Field(min_length=1, description="One line, at most 15 words.")
    summary: str = Field(
        min_length=1,
        description="2-4 neutral sentences; the first stands alone as a one-sentence lead "
        "(who did what, where, when).",
    )
    key_points: list[KeyPoint] = Field(min_length=1, max_length=MAX_KEY_POINTS)
    actors: list[Actor] = Field(default_factory=list, max_length=MAX_ACTORS)
    places: list[str] = Field(
        default_factory=list,
        max_length=MAX_PLACES,
        description="Where the story happens, most named first.",
    )
    open_questions: list[OpenQuestion] = Field(default_factory=list, max_length=MAX_QUESTIONS)
    timeline: list[TimelineEvent] = Field(default_factory=list, max_length=MAX_TIMELINE)


# --- the prose the model writes -------------------------------------------------------


def _problem(kind: str, message: str, to_model: str, **values: Any) -> PydanticCustomError:
    """A failed check: ``message`` for the reader (it may quote what the model wrote),
    ``to_model`` for the re-ask (it never does)."""
    return PydanticCustomError(kind, message, {**values, "to_model": to_model})


class QuestionProse(_Strict):
    question: str = Field(min_length=2, description="One question, ending with '?'.")
    why_open: str = Field(min_length=1, description="What the article says or leaves out.")

    @model_validator(mode="after")
    def _is_a_question(self) -> QuestionProse:
        if not self.question.endswith("?"):
            raise _problem(
                "not_a_question",
                "Open question {question} must end with '?'.",
                "An open question must be one short question ending with '?'.",
                question=repr(self.question),
            )
        return self


# The keys say what to write: a small model fills "role" and "stance" with the actor's kind
# ("person") and "neutral", and "position" with their title.
class ActorProse(_Strict):
    role: str = Field(min_length=1, description="What they do in this story.")
    says: str | None = Field(default=None, description="Their stated position, or null.")


class QuotedActorProse(ActorProse):
    says: str = Field(min_length=1, description="Their position, as their quotes state it.")


class Prose(_Strict):
    """What the model writes about one article; ``prose_model`` adds its actors and dates."""

    headline: str = Field(min_length=1, description="One line, at most 15 words.")
    summary: str = Field(min_length=1)
    key_points: list[str] = Field(min_length=MIN_KEY_POINTS, max_length=MAX_KEY_POINTS_WRITTEN)
    open_questions: list[QuestionProse] = Field(min_length=1, max_length=MAX_QUESTIONS)

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """pydantic's JSON schema of this model, generated once per model and arguments
        (instructor asks for it on every request in its JSON modes, ~15 ms each time);
        every caller gets a copy of its own to change."""
        return json.loads(_json_schema(cls, args, tuple(sorted(kwargs.items()))))

    @property
    def roles(self) -> dict[int, dict[str, Any]]:
        """Each listed actor's role and stance, by the actor's number (from 1)."""
        actors = getattr(self, "actors", None)
        return {
            int(field.removeprefix("a")): getattr(actors, field).model_dump()
            for field in (type(actors).model_fields if actors else {})
        }

    @property
    def events(self) -> dict[int, str]:
        """The event on each listed date, by the date's number (from 1)."""
        timeline = getattr(self, "timeline", None)
        found = {
            int(field.removeprefix("d")): getattr(timeline, field)
            for field in (type(timeline).model_fields if timeline else {})
        }
        return {n: event for n, event in found.items() if event and event != "null"}

    @model_validator(mode="after")
    def _held_to_the_article(self, info: ValidationInfo) -> Prose:
        context = _context(info)
        article: ArticleIndex | None = context.get("article")
        if article is None:
            return self
        words = len(self.headline.split())
        if "\n" in self.headline or words > MAX_HEADLINE_WORDS:
            raise _problem(
                "headline_too_long",
                f"The headline has {words} words; write one line of at most 15 words.",
                "The headline must be one line of at most 15 words.",
            )
        # The article's own title is a fair headline; a page's title that still carries
        # the site's name ("... | Example News": the extraction found no site name to take
        # off) is not one.
        title = context.get("title")
        if (
            title
            and " ".join(self.headline.split()) == " ".join(title.split())
            and SITE_SEPARATOR.search(title)
        ):
            raise _problem(
                "headline_is_the_title",
                "The headline is the page's title with the site's name: write one of your own.",
                "The headline must be your own, not the page's title.",
            )
        reasons = [unstated(point, article) for point in self.key_points]
        # A key point the article does not state is left out of the brief (and said so,
        # see _assemble.py) while enough stated ones remain; with fewer, the model is
        # asked again. Lenient mode takes what there is.
        if reasons.count(None) >= MIN_KEY_POINTS or context.get("lenient"):
            return self
        n, reason = next((n, r) for n, r in enumerate(reasons) if r is not None)
        nearest = article.supporting_sentences(self.key_points[n], 1)
        said = f" (the article's nearest sentence: {nearest[0]!r})" if nearest else ""
        raise _problem(
            "key_point_not_stated",
            "Key point {point} is {reason}{said}.",
            f"Key point {n + 1} is {reason}{said}. Write each key point in the words of one "
            "of the article's sentences, naming who did what as the article does, and "
            "leave out what the article does not state.",
            point=repr(self.key_points[n]),
            reason=reason,
            said=said,
        )


def unstated(point: str, article: ArticleIndex) -> str | None:
    """Why the article does not state ``point``, or None when it does: it states it when
    most of the point's naming words are in its nearest sentences, which name every
    person it names."""
    evidence = article.supporting_sentences(point, MAX_EVIDENCE)
    if support(point, evidence) < MIN_SUPPORT:
        return "not what the article says"
    actor = article.unnamed_actor(point, MAX_EVIDENCE)
    if actor is not None:
        return f"not what the article says of {actor}"
    return None


@lru_cache(maxsize=256)
def _json_schema(model: type[Prose], args: tuple[Any, ...], kwargs: tuple[Any, ...]) -> str:
    return json.dumps(super(Prose, model).model_json_schema(*args, **dict(kwargs)))


@lru_cache(maxsize=256)
def prose_model(actors: tuple[tuple[str, bool], ...], dates: tuple[str, ...]) -> type[Prose]:
    """``Prose`` for an article whose listed ``actors`` are (name, quoted) and whose listed
    ``dates`` are the article's words for them: one required field per actor and per date,
    named by the actor's name or the date's words (so that a small model writes each once,
    in order, seeing whom or what it writes about)."""
    fields: dict[str, Any] = {}
    if actors:
        roles = {
            f"a{n}": (QuotedActorProse if quoted else ActorProse, Field(alias=name))
            for n, (name, quoted) in enumerate(actors, start=1)
        }
        fields["actors"] = (create_model("Actors", __base__=_Strict, **roles), ...)
    if dates:
        events = {
            f"d{n}": (str | None, Field(alias=when, description="What happened then, or null."))
            for n, when in enumerate(dates, start=1)
        }
        fields["timeline"] = (create_model("Timeline", __base__=_Strict, **events), ...)
    return create_model("Prose", __base__=Prose, **fields)
