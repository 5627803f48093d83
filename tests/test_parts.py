"""Articles longer than the model's context: split on paragraphs, briefed in parts, merged."""

from __future__ import annotations

from summarize import Article, Settings, summarize
from summarize._analysis import analyse
from summarize._backends import Server, backend_for
from summarize._parts import estimate_tokens, merge_briefs, split_article
from summarize._request import requests_for
from summarize._schema import Brief
from tests.conftest import FIXTURES
from tests.faultserver import FaultServer, Reply, completion, synthetic_prose
from tests.test_faults import FAST

HARBOUR = FIXTURES / "articles" / "harbour-bridge-closure.txt"


def split_for_context(article: Article, settings: Settings) -> list[Article]:
    """What the article is briefed as: itself, or its parts."""
    backend = backend_for(settings.model_spec, settings.model_path)
    return [request.part for request in requests_for(article, settings, backend)]


def words(text: str) -> list[str]:
    return text.split()


def test_parts_are_whole_paragraphs_in_order_and_nothing_is_lost(seed_text):
    text = Article.from_text(seed_text).text
    parts = split_article(text, analyse(text).sentences, 300, estimate_tokens)
    assert len(parts) > 2
    assert all(estimate_tokens(part) <= 300 for part in parts)
    assert words(" ".join(parts)) == words(text)  # every word, in order
    paragraphs = [p.strip() for p in text.split("\n\n")]
    for part in parts:
        assert all(p in paragraphs for p in part.split("\n\n"))  # cut between paragraphs


def test_a_paragraph_longer_than_a_part_is_cut_between_sentences():
    paragraph = " ".join(f"Sentence number {n} says something new." for n in range(60))
    parts = split_article(paragraph, analyse(paragraph).sentences, 50, estimate_tokens)
    assert len(parts) > 1
    assert all(part.endswith(".") for part in parts)
    assert words(" ".join(parts)) == words(paragraph)


def test_an_article_that_fits_is_not_split(seed_text):
    article = Article.from_text(seed_text)
    settings = Settings(model="m", base_url="http://127.0.0.1:9/v1", context_tokens=8192)
    assert split_for_context(article, settings) == [article]
    settings = Settings(model="m", base_url="http://127.0.0.1:9/v1")  # window unknown
    assert split_for_context(article, settings) == [article]


def test_merged_briefs_take_each_actors_role_from_a_part_that_names_it():
    def brief(point: str, role: str) -> Brief:
        return Brief(
            headline=point,
            summary=point,
            key_points=[{"point": point}],
            actors=[{"name": "Helen Okafor", "kind": "person", "role": role}],
            timeline=[{"when": point, "event": point}],
        )

    texts = ["Trump called Putin.", "Mayor Helen Okafor closed the bridge."]
    merged = merge_briefs([brief("one", "not in this part"), brief("two", "closed it")], texts)
    assert merged.headline == "one"  # the lead is the first part's
    assert [p.point for p in merged.key_points] == ["one", "two"]  # each part's, in turn
    assert merged.actors[0].role == "closed it"
    assert [e.when for e in merged.timeline] == ["one", "two"]


def answer_for_part(request: dict) -> Reply:
    """SYNTHETIC model: prose for whichever part it is sent (tests.faultserver)."""
    return Reply(200, completion(synthetic_prose(request)))


def test_a_long_article_is_briefed_in_parts_and_merged(seed_text):
    harbour = HARBOUR.read_text(encoding="utf-8").split(" ", 2)[2]  # without its date line
    article = Article.from_text(seed_text + "\n\n" + harbour)
    with FaultServer() as server:
        server.answer = answer_for_part
        settings = Settings(
            model="m",
            base_url=server.url,
            api_key="sk-test",
            retry=FAST,
            context_tokens=4300,
        )
        parts = split_for_context(article, settings)
        result = summarize(article, settings)
    assert len(parts) >= 2 and result.parts == len(parts) == len(server.requests)
    assert result.usage.total_tokens == 150 * len(parts)  # summed over the parts
    evidence = " ".join(e for point in result.brief.key_points for e in point.evidence)
    assert "US President Donald Trump" in evidence and "Port Alder" in evidence  # first, last
    assert result.brief.headline.startswith("US President")
    names = [actor.name for actor in result.brief.actors]
    assert "Donald Trump" in names and "Helen Okafor" in names  # the whole article's facts


def test_openai_models_have_a_known_window(seed_text, monkeypatch):
    assert Server.KNOWN_WINDOWS["openai"] == 128_000
    article = Article.from_text(seed_text)
    settings = Settings(model="openai/gpt-4o-mini", api_key="sk-x", max_tokens=300)
    assert len(split_for_context(article, settings)) == 1
    # The same window rule, with a window the seed article does not fit (analysing an
    # article of 128k tokens takes a minute).
    monkeypatch.setitem(Server.KNOWN_WINDOWS, "openai", 2000)
    assert len(split_for_context(article, settings)) > 1
