"""The timeline: the article's words for when, resolved to ISO dates in code."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from summarize import Article
from summarize.grounding import ArticleIndex
from summarize.schema import Brief, TimelineEvent
from summarize.timeline import resolve, sentence_of
from tests.test_schema import brief_data
from tests.test_schema import validate as validate_brief

THURSDAY = dt.date(2025, 2, 13)  # the seed article's date


@pytest.mark.parametrize(
    ("when", "sentence", "expected"),
    [
        ("Wednesday", "Trump revealed Wednesday he expected to meet Putin", "2025-02-12"),
        ("on Wednesday", "after meeting Bessent in Kyiv on Wednesday", "2025-02-12"),
        ("on Friday", "Zelensky is due to meet Vance on Friday", "2025-02-14"),  # future
        # The future is another clause's (the seed article's sentence): the nearest Wednesday.
        (
            "on Wednesday",
            "Zelensky is due to meet Vance on Friday, after meeting Bessent in Kyiv on Wednesday",
            "2025-02-12",
        ),
        ("on Friday", "The summit will be held, officials said, on Friday", "2025-02-14"),
        ("Friday", "The talks ended on Friday", "2025-02-07"),  # past
        ("Thursday", "He spoke on Thursday", "2025-02-13"),  # the day itself
        ("next Monday", "", "2025-02-17"),
        ("last Thursday", "", "2025-02-06"),
        ("yesterday", "", "2025-02-12"),
        ("tomorrow", "", "2025-02-14"),
        ("next week", "", "2025-W08"),
        ("last week", "", "2025-W06"),
        ("last month", "", "2025-01"),
        ("next year", "", "2026"),
        ("Feb. 12", "", "2025-02-12"),
        ("12 March", "", "2024-03-12"),  # no year: the last 12 March before the article
        ("12 March", "The vote will be held on 12 March", "2025-03-12"),
        ("July 21, 2017", "", "2017-07-21"),
        ("May 2015", "", "2015-05"),
        ("in 2016", "", "2016"),
        ("the previous day", "", None),  # needs a date the words do not give
        ("March", "", None),
    ],
)
def test_words_for_when_resolve_against_the_articles_date(when, sentence, expected):
    assert resolve(when, THURSDAY, sentence) == expected


def test_relative_words_without_the_articles_date_resolve_to_nothing():
    assert resolve("Wednesday", None) is None
    assert resolve("next week", None) is None
    assert resolve("July 21, 2017", None) == "2017-07-21"  # a full date needs no anchor
    assert resolve("Feb. 12", None) is None  # no year, no anchor


def test_sentence_of_finds_the_sentence_holding_the_words():
    text = "It rained. Zelensky is due to meet Vance on Friday. Then it stopped."
    assert sentence_of(text, "on Friday") == "Zelensky is due to meet Vance on Friday."


def validate(data: dict, text: str) -> Brief:
    article = Article.from_text(text)
    context = {"article": ArticleIndex(article.text), "published": article.date}
    return Brief.model_validate(data, context=context)


def test_the_seed_articles_wednesday_is_2025_02_12(seed_text):
    data = seed_brief_with_timeline(
        [
            {"when": "Wednesday", "event": "Trump revealed he expected to meet Putin."},
            {"when": "on Friday", "event": "Zelensky meets Vance and Rubio in Munich."},
        ]
    )
    brief = validate(data, seed_text)
    assert [(e.when, e.date) for e in brief.timeline] == [
        ("Wednesday", "2025-02-12"),
        ("on Friday", "2025-02-14"),
    ]


def test_a_date_the_model_writes_is_not_trusted(seed_text):
    data = seed_brief_with_timeline(
        [{"when": "Wednesday", "event": "Trump spoke.", "date": "2025-02-19"}]
    )
    assert validate(data, seed_text).timeline[0].date == "2025-02-12"


def test_an_event_whose_words_for_when_are_not_in_the_article_is_left_out(seed_text):
    data = seed_brief_with_timeline(
        [
            {"when": "on Saturday", "event": "Talks."},
            {"when": "Trump said he expected to meet Putin in Saudi Arabia", "event": "A plan."},
            {"when": "Wednesday", "event": "A call."},
        ]
    )
    assert [e.when for e in validate(data, seed_text).timeline] == ["Wednesday"]
    with pytest.raises(ValidationError, match="'on Saturday' is not in the article"):
        TimelineEvent.model_validate(
            {"when": "on Saturday", "event": "Talks."},
            context={"article": ArticleIndex(seed_text)},
        )


def test_words_for_when_that_stray_at_their_edges_are_cut_to_the_articles(seed_text):
    data = seed_brief_with_timeline(
        [{"when": "earlier Wednesday morning", "event": "Hegseth spoke."}]
    )
    assert [(e.when, e.date) for e in validate(data, seed_text).timeline] == [
        ("earlier Wednesday", "2025-02-12")
    ]


def test_lenient_mode_leaves_such_an_event_out(seed_text):
    data = seed_brief_with_timeline(
        [{"when": "on Saturday", "event": "Talks."}, {"when": "Wednesday", "event": "A call."}]
    )
    dropped: list[str] = []
    article = Article.from_text(seed_text)
    context = {"article": ArticleIndex(article.text), "published": article.date, "dropped": dropped}
    brief = Brief.model_validate(data, context=context)
    assert [e.when for e in brief.timeline] == ["Wednesday"]
    assert "on Saturday" in dropped[0]


def test_the_model_must_write_a_timeline_but_a_saved_brief_without_one_loads():
    assert "timeline" in Brief.model_json_schema()["required"]
    assert "date" not in TimelineEvent.model_json_schema()["properties"]  # never asked for
    data = validate_brief(brief_data()).model_dump(exclude={"timeline"})  # saved before
    assert Brief.model_validate(data).timeline == []


def seed_brief_with_timeline(timeline: list[dict]) -> dict:
    """A brief grounded in the seed article, with ``timeline``."""
    return {
        "headline": "Trump expects to meet Putin in Saudi Arabia",
        "summary": "Trump and Putin spoke by phone.",
        "key_points": [{"point": "Trump expects to meet Putin."}],
        "actors": [
            {"name": "Donald Trump", "kind": "person", "role": "US President"},
            {"name": "Vladimir Putin", "kind": "person", "role": "Russian President"},
            {"name": "Volodymyr Zelensky", "kind": "person", "role": "Ukraine's leader"},
        ],
        "open_questions": [{"question": "When will they meet?", "why_open": "No date given."}],
        "timeline": timeline,
    }


def test_the_callers_date_reaches_the_prompt(tmp_path, monkeypatch, capsys, seed_text):
    from summarize.cli import main
    from tests.faultserver import FaultServer, Reply
    from tests.test_faults import GOOD

    undated = tmp_path / "article.txt"
    undated.write_text(seed_text.split(" ", 2)[2], encoding="utf-8")  # without its date line
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    with FaultServer() as server:
        server.repeat = Reply(200, GOOD)
        args = [str(undated), "--date", "2025-02-13", "--base-url", server.url, "-m", "m"]
        assert main([*args, "--json", "--no-cache"]) == 0
        prompt = server.requests[0]["json"]["messages"][1]["content"]
    assert "Published: 2025-02-13 (Thursday)" in prompt
    capsys.readouterr()
