"""Articles longer than the model's context: split on paragraphs, briefed in parts, merged."""

from __future__ import annotations

import json

import pytest

from summarize import Article, Settings, summarize
from summarize.core import split_for_context
from summarize.grounding import ArticleIndex
from summarize.parts import estimate_tokens, merge_briefs, split_article
from summarize.schema import Brief
from tests.conftest import FIXTURES
from tests.faultserver import FaultServer, Reply, completion
from tests.test_faults import FAST

HARBOUR = FIXTURES / "articles" / "harbour-bridge-closure.txt"


def words(text: str) -> list[str]:
    return text.split()


def test_parts_are_whole_paragraphs_in_order_and_nothing_is_lost(seed_text):
    text = Article.from_text(seed_text).text
    parts = split_article(text, 300, estimate_tokens)
    assert len(parts) > 2
    assert all(estimate_tokens(part) <= 300 for part in parts)
    assert words(" ".join(parts)) == words(text)  # every word, in order
    paragraphs = [p.strip() for p in text.split("\n\n")]
    for part in parts:
        assert all(p in paragraphs for p in part.split("\n\n"))  # cut between paragraphs


def test_a_paragraph_longer_than_a_part_is_cut_between_sentences():
    paragraph = " ".join(f"Sentence number {n} says something new." for n in range(60))
    parts = split_article(paragraph, 50, estimate_tokens)
    assert len(parts) > 1
    assert all(part.endswith(".") for part in parts)
    assert words(" ".join(parts)) == words(paragraph)


def test_an_article_that_fits_is_not_split(seed_text):
    article = Article.from_text(seed_text)
    settings = Settings(model="m", base_url="http://127.0.0.1:9/v1", context_tokens=8192)
    assert split_for_context(article, settings) == [article]
    settings = Settings(model="m", base_url="http://127.0.0.1:9/v1")  # window unknown
    assert split_for_context(article, settings) == [article]


def part_brief(text: str, data: dict) -> Brief:
    return Brief.model_validate(data, context={"article": ArticleIndex(text)})


def test_merged_briefs_join_actors_by_alias_and_keep_evidence_verbatim(seed_text):
    seed = Article.from_text(seed_text).text
    harbour = Article.from_text(HARBOUR.read_text(encoding="utf-8")).text
    whole = Article(text=seed + "\n\n" + harbour)
    first = part_brief(
        seed, brief_for(seed, ["Donald Trump", "Vladimir Putin", "Zelensky"], ["Washington"])
    )
    second = part_brief(
        harbour,
        brief_for(
            harbour,
            ["Mayor Helen Okafor", "Port Alder Chamber of Commerce", "Port Alder"],
            ["Port Alder"],
        ),
    )
    # A third part naming Trump differently: merged into the first part's actor.
    third = part_brief(
        seed, brief_for(seed, ["President Donald Trump", "Putin", "Kremlin"], ["washington"])
    )
    merged = merge_briefs([first, second, third], whole)
    names = [actor.name for actor in merged.actors]
    assert names.count("Donald Trump") == 1 and "President Donald Trump" not in names
    trump = next(a for a in merged.actors if a.name == "Donald Trump")
    assert "President Donald Trump" in trump.aliases
    assert "Mayor Helen Okafor" in names and "Kremlin" in names
    assert merged.places == ["Washington", "Port Alder"]  # each part's, once
    index = ArticleIndex(whole.text)
    evidence = [e for point in merged.key_points for e in point.evidence]
    assert all(index.passage(e) for e in evidence)
    assert any("Port Alder" in e for e in evidence)  # the later part is represented
    assert merged.headline == first.headline


def brief_for(text: str, names: list[str], places: list[str] | None = None) -> dict:
    """SYNTHETIC: a brief of ``text`` built here (for faults and merges no model makes on
    demand): its first and last sentences as evidence, ``names`` as actors, ``places``."""
    sentences = [s for s in text.replace("\n", " ").split(". ") if len(s.split()) > 6]
    first, last = sentences[0], sentences[-1]
    return {
        "headline": " ".join(first.split()[:8]),
        "summary": first + ".",
        "key_points": [
            {"point": f"It starts: {first[:40]}", "evidence": [" ".join(first.split()[:12])]},
            {"point": f"It ends: {last[:40]}", "evidence": [" ".join(last.split()[:12])]},
        ],
        "actors": [{"name": n, "kind": "person", "role": "Named in the story"} for n in names],
        "places": places or [],
        "open_questions": [{"question": f"What next for {names[0]}?", "why_open": "Not said."}],
        "timeline": [],
    }


NAMES = ["Donald Trump", "Vladimir Putin", "Zelensky", "Pete Hegseth", "NATO", "Kremlin", "Kyiv"]
NAMES += ["Helen Okafor", "Port Alder", "Chamber of Commerce"]


def answer_for_part(request: dict) -> Reply:
    """SYNTHETIC model: briefs whichever part it is sent, naming the known actors in it."""
    prompt = request["messages"][1]["content"]
    text = prompt.split("<article>\n", 1)[1].split("\n</article>", 1)[0]
    # Names from elsewhere in the article are fine: a part is checked against the whole.
    names = [n for n in NAMES if n in text] + ["Donald Trump", "Helen Okafor", "Port Alder"]
    return Reply(200, completion(json.dumps(brief_for(text, list(dict.fromkeys(names))[:5]))))


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
            context_tokens=4500,
            more_actors=False,  # one request per part (answer_for_part writes briefs only)
        )
        parts = split_for_context(article, settings)
        result = summarize(article, settings)
    assert len(parts) >= 2 and result.parts == len(parts) == len(server.requests)
    assert result.usage.total_tokens == 150 * len(parts)  # summed over the parts
    evidence = " ".join(e for point in result.brief.key_points for e in point.evidence)
    assert "US President Donald Trump" in evidence and "Calder & Webb" in evidence  # first, last
    assert result.brief.timeline == [] and result.brief.headline.startswith("US President")


@pytest.mark.parametrize("model", ["openai/gpt-4o-mini"])
def test_openai_models_have_a_known_window(model, seed_text):
    article = Article.from_text(seed_text * 40)  # ~50,000 tokens: fits 128k
    assert len(split_for_context(article, Settings(model=model, api_key="sk-x"))) == 1
    article = Article.from_text("\n\n".join([seed_text] * 120))
    assert len(split_for_context(article, Settings(model=model, api_key="sk-x"))) > 1


def test_the_merged_result_lists_what_the_parts_follow_ups_added_and_the_merge_kept():
    from summarize.core import BriefResult, Usage, _merged
    from tests.test_schema import ARTICLE, brief_data

    def part(added: list[dict], places_added: tuple[str, ...] = ()) -> BriefResult:
        data = brief_data()
        data["actors"] += added
        brief = Brief.model_validate(data, context={"article": ArticleIndex(ARTICLE)})
        names = [actor["name"] for actor in added]
        return BriefResult(
            brief=brief,
            model="m",
            usage=Usage(),
            attempts=1,
            seconds=0,
            actors_added=names,
            places_added=list(places_added),
        )

    putin = {"name": "Putin", "kind": "person", "role": "Spoke to Trump"}
    # "Kremlin", added by the second part, is "The Kremlin" of both once merged.
    kremlin = {"name": "Kremlin", "kind": "organization", "role": "Spoke of the call"}
    parts = [part([putin]), part([kremlin], places_added=("Kremlin", "Nowhere"))]
    merged = _merged(parts, Article.from_text(ARTICLE), started=0)
    assert [actor.name for actor in merged.brief.actors][-1] == "Putin"
    assert merged.actors_added == ["Putin"]
    assert merged.places_added == ["Kremlin"]  # the merged brief has no place "Nowhere"
