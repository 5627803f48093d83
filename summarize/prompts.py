"""Loading and rendering the Jinja prompt templates: ``system.j2`` and ``user.j2`` ask
for a brief, ``more_actors.j2`` asks about the names a brief leaves out."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import jinja2

from summarize.article import Article
from summarize.errors import ConfigurationError
from summarize.grounding import ArticleIndex

TEMPLATE_NAMES = ("system.j2", "user.j2")
MORE_ACTORS_TEMPLATE = "more_actors.j2"
# How many of the article's names the prompt lists: measured on the 24 GUM articles,
# the first 15 hold 72 of their 75 salient gold entities, the first 10 only 67.
MAX_NAMES_LISTED = 15
_STRAIGHT_QUOTED = re.compile(r'"([^"\n]*)"')


def curl_quotes(text: str) -> str:
    """Straight double quotes as typographic ones.

    A model copying a quotation into a JSON string ends the string at the
    article's first straight quote mark; typographic marks are copied safely.
    Grounding ignores quote marks, so the brief still matches the article.
    """
    return _STRAIGHT_QUOTED.sub("\u201c\\1\u201d", text).replace('"', "\u201d")


def default_template_dir() -> Path:
    """The templates shipped with the package (or the repository's ``prompts/``)."""
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
    *,
    templates: Path | None = None,
    language: str | None = None,
    summary_sentences: str = "2 to 4",
) -> list[dict[str, str]]:
    """The chat messages (system, user) that ask for a brief of ``article``."""
    directory = Path(templates) if templates else default_template_dir()
    # Text inside the article must not be able to close the delimiter and pose
    # as instructions; the validators still check quotes against the original.
    text = curl_quotes(article.text).replace("</article>", "</ article>")
    index = ArticleIndex.of(article.text)
    values = {
        "text": text,
        # The article's quotations, listed: a small model then copies a quote
        # from the list instead of paraphrasing the story as someone's words.
        "quotations": [curl_quotes(q) for q in index.quotations],
        # The names it uses most: a small model lists two or three actors and leaves
        # out the teams and institutions the story is about unless it is shown them.
        "names": index.names[:MAX_NAMES_LISTED],
        "title": article.title,
        "date": article.date.isoformat() if article.date else None,
        "weekday": article.date.strftime("%A") if article.date else None,
        "url": article.url,
        "author": article.author,
        "language": language or "the language of the article",
        "summary_sentences": summary_sentences,
    }
    try:
        system, user = (_template(directory, n).render(values) for n in TEMPLATE_NAMES)
    except jinja2.UndefinedError as exc:
        raise ConfigurationError(f"template in {directory} uses an unknown value: {exc}") from None
    return [
        {"role": "system", "content": system.strip()},
        {"role": "user", "content": user.strip()},
    ]


def render_more_actors(
    messages: list[dict[str, str]], names: list[tuple[str, int]], *, templates: Path | None = None
) -> list[dict[str, str]]:
    """The brief's request (``messages``) followed by a question about the ``names``
    (with counts) its actors leave out. The brief's own request comes first, word
    for word, so that a local server reuses what it computed for it. Your own template
    directory may leave ``more_actors.j2`` out: the shipped one is used."""
    directory = Path(templates) if templates else default_template_dir()
    if not (directory / MORE_ACTORS_TEMPLATE).is_file():
        directory = default_template_dir()
    try:
        question = _template(directory, MORE_ACTORS_TEMPLATE).render(names=names)
    except jinja2.UndefinedError as exc:
        raise ConfigurationError(f"template in {directory} uses an unknown value: {exc}") from None
    return [*messages, {"role": "user", "content": question.strip()}]
