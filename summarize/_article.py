"""An article, and reading one from a path or standard input."""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from summarize._errors import InputError

# The seed corpus starts an article with its date: "date 2025-02-13 <text>".
_DATE_LINE = re.compile(r"\A\s*date\s+(\d{4}-\d{2}-\d{2})\s+")
# A saved web page, not an article's text.
_HTML = re.compile(
    r"\A\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*(<!doctype html|<html[\s>]|<head[\s>])",
    re.IGNORECASE | re.DOTALL,
)
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
# Text has no NUL and few control characters; binary data has many.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")
# Documents that are not an article's text, known by their first bytes; some (a PDF made
# of ASCII, an RTF file) would otherwise pass for text and reach the model.
_AS_TEXT = "save the article as a plain-text file and give that"
_DOCUMENTS = (
    (b"%PDF-", "a PDF", "extract its text (e.g. pdftotext FILE.pdf FILE.txt) and give the .txt"),
    (b"PK\x03\x04", "a ZIP archive (or a .docx, .odt or .epub)", _AS_TEXT),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office document", _AS_TEXT),
    (b"{\\rtf", "an RTF document", _AS_TEXT),
    (b"%!PS", "a PostScript document", "extract its text (e.g. ps2ascii) and give that"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", "give the article as a text file"),
    (b"\xff\xd8\xff", "a JPEG image", "give the article as a text file"),
    (b"GIF8", "a GIF image", "give the article as a text file"),
    (b"\x1f\x8b", "gzip-compressed", "decompress it first (gunzip) and give the text"),
)

# Between a story's title and its site's name in a page title: "Story | Site", "Site - Story".
SITE_SEPARATOR = re.compile(r"\s+[|\u2013\u2014-]\s+")


class Article(BaseModel):
    """The text to summarise, with what is known about it."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(description="The article's text.")
    title: str | None = None
    date: dt.date | None = Field(default=None, description="The article's own publication date.")
    url: str | None = None
    author: str | None = None

    @field_validator("text")
    @classmethod
    def _has_text(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("the article is empty: give a file or text with the article in it")
        return text

    @classmethod
    def from_text(cls, text: str, **known: object) -> Article:
        """An article from raw text, taking a leading ``date YYYY-MM-DD`` as its date."""
        if not text.strip():
            raise InputError("the article is empty: give a file or text with the article in it")
        match = _DATE_LINE.match(text)
        if match and "date" not in known:
            try:
                known["date"] = dt.date.fromisoformat(match.group(1))
                text = text[match.end() :]
            except ValueError:
                pass  # not a real date: leave the line in the text
        return cls(text=text.strip(), **known)  # type: ignore[arg-type]


def decode(data: bytes, where: str) -> str:
    """Bytes to text: UTF-8 or UTF-16 (with a byte-order mark), else Windows-1252.
    A known document format that is not text (PDF, Office, images) is refused."""
    for signature, kind, what_to_do in _DOCUMENTS:
        if data.startswith(signature):
            raise InputError(f"{where} is not text but {kind}: {what_to_do}")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    else:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            if b"\x00" not in data:
                # Latin-1 and Windows-1252 text is still common in older archives.
                try:
                    text = data.decode("cp1252")
                except UnicodeDecodeError:
                    text = ""
                if text and not _CONTROL.search(text):
                    return text
    raise InputError(
        f"{where} is not text (binary or of an unknown encoding): give a UTF-8 text file"
    )


def read_article(source: str | Path) -> Article:
    """Read an article from a file path, a web address (http/https), or standard input
    when ``source`` is "-". A web page (fetched or saved) has its article extracted."""
    if str(source).startswith(("http://", "https://")):
        from summarize._web import fetch_article

        return fetch_article(str(source))
    if str(source) == "-":
        data = sys.stdin.buffer.read()
        where = "standard input"
    else:
        path = Path(source)
        where = str(path)
        if not path.exists():
            raise InputError(f"{where}: no such file: check the path")
        if path.is_dir():
            raise InputError(f"{where} is a directory: give the path of an article file")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(
                f"{where}: cannot be read ({exc.strerror}): check its permissions"
            ) from None
    text = decode(data, where)
    if _CONTROL.search(text):
        raise InputError(f"{where} is not text (binary data): give a UTF-8 text file")
    if not text.strip():
        raise InputError(f"{where} is empty: give a file with the article's text in it")
    if _HTML.match(text) or where.lower().endswith(HTML_SUFFIXES):
        from summarize._web import article_from_html

        # The bytes: trafilatura reads the page's own charset declaration.
        return article_from_html(data, where=where)
    return Article.from_text(text)
