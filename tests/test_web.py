"""Web pages and URLs: extraction with trafilatura, fetching with limits, clear errors.

The pages in fixtures/pages/ are made by the project (see fixtures/README.md); URLs
are served from a loopback server, never the network.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from summarize import InputError, Settings, read_article, summarize
from summarize._web import article_from_html, fetch_article
from tests.conftest import FIXTURES
from tests.faultserver import FaultServer, Reply
from tests.test_faults import FAST, GOOD

PAGE = FIXTURES / "pages" / "trump-putin-call.html"
FRONT = FIXTURES / "pages" / "section-front.html"


def test_a_saved_page_gives_the_article_with_its_title_date_and_author():
    article = read_article(PAGE)
    assert article.title == "Trump says he expects to meet Putin in Saudi Arabia"
    assert article.date.isoformat() == "2025-02-13"
    assert article.author == "World News Desk staff"
    assert "revealed Wednesday he expected to meet Russian President Vladimir Putin" in article.text
    assert "there could be" in article.text  # the last paragraph
    for clutter in ("Subscribe", "Share on", "Related stories", "Great article", "analytics"):
        assert clutter not in article.text
    assert "\n\n" in article.text  # paragraphs stay paragraphs


def test_a_page_with_no_article_is_an_error_not_a_brief_of_the_menu():
    with pytest.raises(InputError, match=r"no article found in .*section-front\.html"):
        read_article(FRONT)


def test_a_page_without_a_doctype_is_still_a_page(tmp_path):
    page = tmp_path / "story.htm"
    page.write_text(PAGE.read_text(encoding="utf-8").split("\n", 3)[3])  # no <!DOCTYPE>
    assert read_article(page).title.startswith("Trump says")


class _Site:
    """A loopback web server: path -> (status, content type, body, delay)."""

    def __init__(self, pages: dict[str, tuple[int, str, bytes, float]]) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                status, kind, body, delay = pages.get(self.path, (404, "text/plain", b"", 0))
                time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("content-type", kind)
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def site():
    html = "text/html; charset=utf-8"
    running = _Site(
        {
            "/story.html": (200, html, PAGE.read_bytes(), 0),
            "/world": (200, html, FRONT.read_bytes(), 0),
            "/story.txt": (200, "text/plain", b"date 2025-02-13 A plain story.", 0),
            "/report.pdf": (200, "application/pdf", b"%PDF-1.7", 0),
            "/slow": (200, html, PAGE.read_bytes(), 3.0),
            "/big": (200, html, b"<html>" + b"x" * 2_000_000, 0),
        }
    )
    yield running
    running.close()


def test_a_url_gives_the_article_of_its_page(site):
    article = fetch_article(site.url + "/story.html")
    assert article.url == site.url + "/story.html"
    assert article.date.isoformat() == "2025-02-13"
    assert "Saudi Arabia" in article.text


def test_a_url_article_is_summarised_with_its_date_source_and_author(site):
    with FaultServer() as model:
        model.repeat = Reply(200, GOOD)
        settings = Settings(model="m", base_url=model.url, api_key="sk-test", retry=FAST)
        result = summarize(read_article(site.url + "/story.html"), settings)
        prompt = model.requests[0]["json"]["messages"][1]["content"]
    assert "Published: 2025-02-13 (Thursday)" in prompt
    assert "By: World News Desk staff" in prompt
    # The page's address tells the model nothing the text does not, and a site's name is
    # no headline: the prompt does not spend tokens on it.
    assert site.url not in prompt
    assert any("Putin" in actor.name for actor in result.brief.actors)


def test_a_plain_text_url_is_taken_as_text(site):
    assert fetch_article(site.url + "/story.txt").date.isoformat() == "2025-02-13"


@pytest.mark.parametrize(
    ("path", "options", "message"),
    [
        ("/missing", {}, "answered HTTP 404"),
        ("/world", {}, "no article found"),
        ("/report.pdf", {}, "is application/pdf, not a web page"),
        ("/slow", {"timeout": 0.5}, "did not answer within"),
        ("/big", {"max_bytes": 1_000_000}, "is larger than 1 MB"),
    ],
)
def test_url_faults_are_one_clear_error(site, path, options, message):
    with pytest.raises(InputError, match=message):
        fetch_article(site.url + path, **options)


def test_no_network_says_so():
    with pytest.raises(InputError, match="are you offline"):
        fetch_article("http://127.0.0.1:9/story.html")  # nothing listens on port 9


def test_html_given_as_a_string_is_extracted_too():
    article = article_from_html(PAGE.read_text(encoding="utf-8"), url="https://example.org/x")
    assert article.url == "https://example.org/x" and article.title
