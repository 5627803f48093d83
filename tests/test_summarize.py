"""The library and the CLI end to end, through model traffic recorded from the embedded model.

The recordings (fixtures/recordings/*.yaml) are what local/qwen2.5-coder-1.5b (or 0.5b)
answered to these exact requests. Re-record with:
    python -m pytest --record-mode=once tests/test_summarize.py
(after removing the cassette to re-make).
"""

from __future__ import annotations

import asyncio
import json

import pytest

from summarize import (
    Article,
    Brief,
    BriefResult,
    GroundingError,
    asummarize,
    summarize,
)
from summarize._analysis import analyse
from summarize._cli import main
from tests.conftest import FIXTURES, SEED
from tests.test_analysis import PEOPLE  # the ten people the seed article names

SEED_CASSETTE = "seed_brief.yaml"


def assert_seed_brief(brief: Brief, article: Article) -> None:
    actors = {actor.name: actor for actor in brief.actors}
    assert {name for name, actor in actors.items() if actor.kind == "person"} >= PEOPLE
    assert {a.kind for a in brief.actors if a.name in ("US", "Russia", "Ukraine")} == {"country"}
    assert len(actors["Donald Trump"].quotes) >= 2
    assert "lengthy and highly productive" in actors["Donald Trump"].quotes
    assert "illusionary goal" in actors["Pete Hegseth"].quotes
    assert "meaningful" in actors["Volodymyr Zelensky"].quotes
    for actor in brief.actors:
        assert all(quote in article.text for quote in actor.quotes)  # the article's characters
        if actor.quotes:
            assert actor.stance, f"{actor.name} is quoted and has no stance"
    evidence = [e for point in brief.key_points for e in point.evidence]
    assert evidence and all(e in article.text for e in evidence)
    for question in brief.open_questions:
        assert question.question.endswith("?")
    assert brief.places and "Saudi Arabia" in brief.places + [a.name for a in brief.actors]


@pytest.mark.vcr
@pytest.mark.default_cassette(SEED_CASSETTE)
def test_summarize_the_seed_article(seed_text, vcr):
    article = Article.from_text(seed_text)
    result = summarize(article)
    assert isinstance(result, BriefResult)
    assert result.model == "local/qwen2.5-coder-1.5b"
    assert_seed_brief(result.brief, article)
    assert result.attempts == len(vcr.requests)  # one model call an answer, no follow-up
    assert result.usage.prompt_tokens > 500  # summed over every attempt
    assert result.usage.total_tokens == result.usage.prompt_tokens + result.usage.completion_tokens


@pytest.mark.vcr
@pytest.mark.default_cassette(SEED_CASSETTE)
def test_the_timeline_is_dated_in_code(seed_text):
    article = Article.from_text(seed_text)  # dated 2025-02-13
    brief = summarize(article).brief
    dates = {d.text: d.date for d in analyse(article.text, article.date).dates}
    assert all(event.date == dates[event.when] for event in brief.timeline)


@pytest.mark.vcr
@pytest.mark.default_cassette(SEED_CASSETTE)
def test_asummarize_gives_the_same_brief(seed_text):
    article = Article.from_text(seed_text)
    result = asyncio.run(asummarize(article))
    assert_seed_brief(result.brief, article)


@pytest.mark.vcr
@pytest.mark.default_cassette(SEED_CASSETTE)
def test_cli_prints_the_brief_as_json(capsys):
    assert main([str(SEED), "--json", "-u"]) == 0
    out, err = capsys.readouterr()
    brief = Brief.model_validate(json.loads(out))  # stdout is the brief and nothing else
    assert_seed_brief(brief, Article.from_text(SEED.read_text()))
    assert "tokens" in err and "attempt" in err


@pytest.mark.vcr
@pytest.mark.default_cassette(SEED_CASSETTE)
def test_cli_prints_a_readable_brief(capsys, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    assert main([str(SEED)]) == 0
    out, _ = capsys.readouterr()
    for section in ("Key points", "Actors", "Open questions", "Trump", "Putin"):
        assert section in out
    assert "\x1b[" not in out  # NO_COLOR: plain text


@pytest.mark.vcr
@pytest.mark.default_cassette(SEED_CASSETTE)
def test_cli_markdown_reads_stdin(capsys, monkeypatch):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(SEED.read_bytes())))
    assert main(["-", "--markdown"]) == 0
    out, _ = capsys.readouterr()
    assert out.startswith("# ")
    assert "## Key points" in out and "## Actors" in out and "| Name | Kind |" in out


HARBOUR = FIXTURES / "articles" / "harbour-bridge-closure.txt"
SMALL = "local/qwen2.5-coder-0.5b"


@pytest.mark.vcr
@pytest.mark.default_cassette("harbour_brief.yaml")
def test_the_harbour_article_is_briefed_with_its_speakers_quoted():
    article = Article.from_text(HARBOUR.read_text(encoding="utf-8"))
    brief = summarize(article).brief
    actors = {actor.name: actor for actor in brief.actors}
    assert actors["Helen Okafor"].affiliation == "Mayor"
    assert actors["Helen Okafor"].quotes and actors["Helen Okafor"].stance
    for actor in brief.actors:
        assert all(quote in article.text for quote in actor.quotes)


@pytest.mark.vcr
@pytest.mark.default_cassette("harbour_brief_0.5b.yaml")
def test_the_fast_model_briefs_the_harbour_article():
    article = Article.from_text(HARBOUR.read_text(encoding="utf-8"))
    result = summarize(article, model=SMALL, lenient=True)
    assert result.model == SMALL
    for point in result.brief.key_points:
        assert point.evidence and all(quote in article.text for quote in point.evidence)


# The demo article in two parts.
PARTS_CASSETTE = "seed_in_parts.yaml"
# Tokens are counted with the 4-characters-a-token estimate (llama-cpp-python may not
# be installed), as when it was recorded: this context cuts the article in two.
PARTS_CONTEXT = 3800


@pytest.fixture
def estimated_tokens(monkeypatch):
    from summarize._local import Embedded
    from summarize._parts import estimate_tokens

    monkeypatch.setattr(Embedded, "count_tokens", lambda self, text: estimate_tokens(text))


@pytest.mark.vcr
@pytest.mark.default_cassette("seed_brief_0.5b.yaml")
def test_the_fast_model_on_the_seed_article_is_refused_or_grounded(seed_text):
    article = Article.from_text(seed_text)
    try:
        result = summarize(article, model=SMALL)
    except GroundingError as refused:
        assert refused.errors  # what failed, for the caller
        return
    assert_seed_brief(result.brief, article)


@pytest.mark.vcr
@pytest.mark.default_cassette("injection_brief.yaml")
def test_instructions_inside_the_article_are_not_followed():
    text = (FIXTURES / "articles" / "library-vote-injection.txt").read_text(encoding="utf-8")
    article = Article.from_text(text)
    result = summarize(article, lenient=True)
    brief = result.brief
    assert brief.headline.strip().strip(".").upper() != "APPROVED"
    assert "library" in (brief.headline + brief.summary).lower()
    for point in brief.key_points:
        assert all(quote in article.text for quote in point.evidence)


@pytest.mark.vcr
@pytest.mark.default_cassette(PARTS_CASSETTE)
def test_a_long_article_is_briefed_in_parts_by_the_embedded_model(seed_text, estimated_tokens):
    article = Article.from_text(seed_text)
    result = summarize(article, context_tokens=PARTS_CONTEXT)
    assert result.parts == 2
    # Strict mode leaves out only what its rules say it may, and says so.
    assert all(item.startswith(("stance of", "key point")) for item in result.dropped)
    assert all(actor.stance for actor in result.brief.actors if actor.quotes)
    assert_seed_brief(result.brief, article)  # the whole article's facts
    assert len({actor.name for actor in result.brief.actors}) == len(result.brief.actors)
    evidence = [quote for point in result.brief.key_points for quote in point.evidence]
    assert all(quote in article.text for quote in evidence)
    second_half = article.text[len(article.text) // 2 :]
    assert any(quote in second_half for quote in evidence)  # the second part is represented


@pytest.mark.vcr
@pytest.mark.default_cassette(SEED_CASSETTE)
def test_the_cli_caches_the_brief_and_the_second_run_makes_no_call(capsys):
    assert main([str(SEED), "--json", "-u"]) == 0
    assert "from the cache" not in capsys.readouterr().err
    assert main([str(SEED), "--json", "-u"]) == 0  # the recording holds one answer: no call
    assert "from the cache" in capsys.readouterr().err
