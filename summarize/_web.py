"""Articles from web pages: extraction with trafilatura, fetching with limits.

trafilatura finds the article's text, title, author and date (htmldate) in a
page and leaves out the navigation, adverts and comments. A page where it
finds no article is an error, never a brief of the menu.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import httpx2

from summarize._article import SITE_SEPARATOR, Article
from summarize._errors import InputError

# Fewer words than this is a teaser, a menu or an error page, not an article.
MIN_ARTICLE_WORDS = 60
FETCH_TIMEOUT = 20.0  # seconds, connect and each read
MAX_PAGE_BYTES = 5_000_000
USER_AGENT = "summarize/0.1 (+https://pypi.org/project/summarize)"


def article_from_html(
    html: str | bytes, *, url: str | None = None, where: str = "the page"
) -> Article:
    """The article in an HTML page, with its title, author and date when the page has them."""
    from summarize._requirements import require

    require("lxml_html_clean", "lxml_html_clean", "reading a web page (trafilatura's cleaner)")
    import trafilatura

    # trafilatura logs every page it finds hard at WARNING; the error below says it once.
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        as_dict=False,
    )
    text = (getattr(document, "text", None) or "").strip()
    if len(text.split()) < MIN_ARTICLE_WORDS:
        raise InputError(
            f"no article found in {where} (only {len(text.split())} words of running text): "
            "give the page of one article, or save its text to a file"
        )
    return Article(
        # trafilatura puts a paragraph on each line; blank lines between them, as in
        # a text file, keep them paragraphs for quote attribution.
        text="\n\n".join(line.strip() for line in text.splitlines() if line.strip()),
        title=_without_site(getattr(document, "title", None), getattr(document, "sitename", None)),
        author=getattr(document, "author", None) or None,
        date=_date(getattr(document, "date", None)),
        url=url or getattr(document, "url", None) or None,
    )


def _without_site(title: str | None, site: str | None) -> str | None:
    """The page's title without the site's name it ends or starts with ("... | BBC News"):
    the article's title, for the prompt and the check that the headline is not it."""
    if not title:
        return None
    parts = [part.strip() for part in SITE_SEPARATOR.split(title)]
    if site and len(parts) > 1:
        named = [
            p for p in parts if p.casefold() in site.casefold() or site.casefold() in p.casefold()
        ]
        parts = [p for p in parts if p not in named] or parts
    return max(parts, key=len) if len(parts) > 1 and site else title


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def fetch_article(
    url: str, *, timeout: float = FETCH_TIMEOUT, max_bytes: int = MAX_PAGE_BYTES
) -> Article:
    """Fetch ``url`` and extract its article. Plain-text pages are taken as they are."""
    try:
        with (
            httpx2.Client(
                timeout=timeout, follow_redirects=True, headers={"user-agent": USER_AGENT}
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise InputError(f"{url} answered HTTP {response.status_code}: check the address")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise InputError(
                        f"{url} is larger than {max_bytes // 1_000_000} MB: not a news page? "
                        "save the article's text to a file and summarise that"
                    )
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            encoding = response.encoding or "utf-8"
    except httpx2.TimeoutException:
        raise InputError(f"{url} did not answer within {timeout:.0f} s: try again later") from None
    except (httpx2.ConnectError, httpx2.NetworkError) as exc:
        raise InputError(
            f"cannot fetch {url} ({exc or 'no connection'}): are you offline? "
            "save the page or its text to a file and summarise that"
        ) from None
    except httpx2.InvalidURL as exc:
        raise InputError(f"{url} is not a valid address ({exc})") from None
    text = bytes(body).decode(encoding, errors="replace")
    if kind == "text/plain":
        return Article.from_text(text, url=url)
    if kind and "html" not in kind and "xml" not in kind:
        raise InputError(f"{url} is {kind}, not a web page or text: give an article's page")
    return article_from_html(text, url=url, where=url)
