"""The timeline: the article's words for when, resolved to ISO dates in code."""

from __future__ import annotations

import datetime as dt

import pytest

from summarize import Article
from summarize._analysis import analyse
from summarize._assemble import assemble
from summarize._facts import Facts, listed_dates
from summarize._grounding import ArticleIndex
from summarize._schema import prose_model
from summarize._timeline import _by_dateparser, _day_of_month, resolve

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


@pytest.mark.parametrize("published", [THURSDAY, dt.date(2024, 12, 31), None])
def test_a_day_read_in_code_is_the_day_dateparser_reads(published):
    """ "Feb. 12", "12 March", "July 21, 2017" are read without dateparser (whose first call
    costs ~0.2 s), to the day it gives, for a verb in the past or the future."""
    phrases = [
        form.format(month=month, day=day)
        for month in ("January", "Feb.", "mar", "Sept.", "DECEMBER")
        for day in (1, 13, 29, 31)
        for form in ("{month} {day}", "{day} {month}", "{month} {day}, 2024", "{day} {month} 2023")
    ]
    read = 0
    for when in phrases:
        for future in (False, True):
            day = _day_of_month(when, published, future)
            if day is not None:
                read += 1
                assert day == _by_dateparser(when, published, future), (when, future)
    assert read >= len(phrases) // 2  # with no date to count from, those with a year


def test_the_seed_articles_dates_are_found_and_resolved_in_code(seed_text):
    article = Article.from_text(seed_text)  # dated 2025-02-13, a Thursday
    dates = {d.text: d.date for d in analyse(article.text, article.date).dates}
    assert dates["Wednesday"] == "2025-02-12"
    assert dates["earlier Wednesday"] == "2025-02-12"
    # "is due to meet Vance ... on Friday, after meeting Bessent ... on Wednesday"
    assert dates["Friday"] == "2025-02-14"
    assert dates["this week"] == "2025-W07"


def timeline_of(article: Article, analysis, dates: list, events: dict[str, str | None]):
    """The brief of ``article`` whose model wrote ``events`` for its listed ``dates``."""
    prose = prose_model((), tuple(d.text for d in dates)).model_validate(
        {
            "headline": "h",
            "summary": "s",
            "key_points": [article.text[start:end] for start, end in analysis.sentences[:3]],
            "open_questions": [{"question": "q?", "why_open": "w"}],
            "timeline": events,
        }
    )
    index = ArticleIndex(article.text, analysis.sentences)
    return assemble(prose, Facts(article.text, analysis, [], dates, index, []), left_out=[])


def test_the_timeline_lists_each_date_once_and_the_model_writes_only_its_event(seed_text):
    article = Article.from_text(seed_text)
    analysis = analyse(article.text, article.date)
    dates = listed_dates(analysis)
    assert len({d.date for d in dates}) == len(dates)  # "earlier Wednesday" is Wednesday
    model = prose_model((), tuple(d.text for d in dates))
    timeline = model.model_json_schema()["$defs"]["Timeline"]["properties"]
    assert list(timeline) == [d.text for d in dates]  # the model writes no date
    events = {dates[0].text: "Trump revealed he expected to meet Putin."}
    events |= {d.text: None for d in dates[1:]}  # nothing happened then, says the model
    brief = timeline_of(article, analysis, dates, events)
    assert [(e.when, e.date, e.event) for e in brief.timeline] == [
        (dates[0].text, dates[0].date, "Trump revealed he expected to meet Putin.")
    ]


def test_an_event_is_kept_under_its_date_only_where_the_article_states_it_then():
    # The dateline is when the article was published; the election was on Sunday.
    text = (
        "Hong Kong votes\n\nFriday, September 9, 2016\n\n"
        "The Hong Kong legislative election was held on Sunday, with a record turnout. "
        "Veteran politicians stepped down in 2012. "
        "The results were announced on Monday."
    )
    article = Article.from_text(text, date=dt.date(2016, 9, 9))
    analysis = analyse(article.text, article.date)
    dates = listed_dates(analysis)
    assert [d.text for d in dates] == ["Friday, September 9, 2016", "Sunday", "2012"]
    events = {
        # The title's words, but the sentence of Sunday says it: not what happened Friday.
        "Friday, September 9, 2016": "Hong Kong votes in its legislative election",
        "Sunday": "The Hong Kong legislative election was held",
        "2012": "Veteran politicians stepped down",
    }
    brief = timeline_of(article, analysis, dates, events)
    assert [(e.when, e.event) for e in brief.timeline] == [
        ("Sunday", "The Hong Kong legislative election was held"),
        ("2012", "Veteran politicians stepped down"),
    ]


def test_the_callers_date_reaches_the_prompt(tmp_path, monkeypatch, capsys, seed_text):
    from summarize._cli import main
    from tests.faultserver import FaultServer, Reply
    from tests.test_faults import GOOD

    undated = tmp_path / "article.txt"
    undated.write_text(seed_text.split(" ", 3)[3], encoding="utf-8")  # without its date line
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    with FaultServer() as server:
        server.repeat = Reply(200, GOOD)
        args = [str(undated), "--date", "2025-02-13", "--base-url", server.url, "-m", "m"]
        assert main([*args, "--json", "--no-cache"]) == 0
        prompt = server.requests[0]["json"]["messages"][1]["content"]
    assert "Published: 2025-02-13 (Thursday)" in prompt
    capsys.readouterr()
