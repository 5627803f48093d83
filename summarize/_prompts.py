"""Loading and rendering the Jinja prompt templates: ``system.j2`` and ``user.j2`` ask for
the prose of a brief, listing the actors and dates the analysis found, by number."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import jinja2

from summarize._analysis import DateMention, Entity
from summarize._article import Article
from summarize._errors import ConfigurationError

TEMPLATE_NAMES = ("system.j2", "user.j2")
# A speaker's words as the prompt lists them, to say whose view "says" must state: the
# first words of their first quotation, not all of it, which a small model copies whole.
MAX_SAID_WORDS = 12
_STRAIGHT_QUOTED = re.compile(r'"([^"\n]*)"')


@lru_cache(maxsize=256)
def curl_quotes(text: str) -> str:
    """Straight double quotes as typographic ones.

    A model copying a quotation into a JSON string ends the string at the
    article's first straight quote mark; typographic marks are copied safely.
    Grounding ignores quote marks, so the brief still matches the article.
    """
    return _STRAIGHT_QUOTED.sub("\u201c\\1\u201d", text).replace('"', "\u201d")


@lru_cache(maxsize=1)
def default_template_dir() -> Path:
    """The templates shipped with the package (or the repository's ``prompts/``), found once."""
    package = Path(__file__).parent
    installed = package / "prompts"  # where the wheel puts them
    return installed if installed.is_dir() else package.parent / "prompts"


@lru_cache(maxsize=8)
def _environment(directory: Path) -> jinja2.Environment:
    if not directory.is_dir():
        raise ConfigurationError(
            f"template directory {directory} does not exist: give a directory "
            f"holding {' and '.join(TEMPLATE_NAMES)}"
        )
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        undefined=jinja2.StrictUndefined,  # a misspelt variable is an error, not ""
        keep_trailing_newline=False,
        autoescape=False,
    )


def _template(directory: Path, name: str) -> jinja2.Template:
    try:
        return _environment(directory).get_template(name)
    except jinja2.TemplateNotFound:
        raise ConfigurationError(
            f"template {name} is missing from {directory}: copy it from "
            f"{default_template_dir()} and edit it"
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigurationError(
            f"template {exc.filename or name} line {exc.lineno} is broken: {exc.message}"
        ) from None


def render_messages(
    article: Article,
    actors: list[Entity],
    dates: list[DateMention],
    *,
    templates: Path | None = None,
    language: str | None = None,
    summary_sentences: str = "2 or 3",
) -> list[dict[str, str]]:
    """The chat messages (system, user) that ask for the prose of a brief of ``article``,
    whose ``actors`` and ``dates`` (found by the analysis) the model refers to by number."""
    directory = Path(templates) if templates else default_template_dir()
    # Text inside the article must not be able to close the delimiter and pose
    # as instructions.
    text = curl_quotes(article.text).replace("</article>", "</ article>")
    values = {
        "text": text,
        "actors": [
            {
                "name": actor.name,
                "kind": actor.kind,
                "title": actor.titles[0] if actor.titles else None,
                # Their first quotation, for the stance they must be given.
                "said": curl_quotes(_opening(actor.quotes[0])) if actor.quotes else None,
            }
            for actor in actors
        ],
        "dates": [{"text": date.text, "date": date.date} for date in dates],
        # An article whose text opens with its title (as many extracted pages do) is not
        # given the title twice.
        "title": None if _opens_with(article.text, article.title) else article.title,
        "date": article.date.isoformat() if article.date else None,
        "weekday": article.date.strftime("%A") if article.date else None,
        "url": article.url,  # for a user's templates: the default ones leave it out
        "author": article.author,
        "language": language or "the language of the article",
        "summary_sentences": summary_sentences,
    }
    rendering = json.dumps(values)
    try:
        system, user = (_rendered(_template(directory, n), rendering) for n in TEMPLATE_NAMES)
    except jinja2.UndefinedError as exc:
        raise ConfigurationError(f"template in {directory} uses an unknown value: {exc}") from None
    return [
        {"role": "system", "content": system.strip()},
        {"role": "user", "content": user.strip()},
    ]


def _opening(quote: str) -> str:
    words = quote.split()
    return quote if len(words) <= MAX_SAID_WORDS else " ".join(words[:MAX_SAID_WORDS]) + " …"


def _opens_with(text: str, title: str | None) -> bool:
    return bool(title) and " ".join(text.split()).startswith(" ".join(title.split()))


@lru_cache(maxsize=64)
def _rendered(template: jinja2.Template, values: str) -> str:
    """``template`` rendered with ``values`` (as JSON), once: every brief of one article (a
    batch, a re-run) asks for the same prompt. A template file changed on disk is loaded
    as a new ``Template``, so it is rendered afresh."""
    return template.render(json.loads(values))
