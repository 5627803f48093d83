"""The follow-up about the names a brief leaves out: which names are asked about, how
the answer is checked and added, and that a failed follow-up costs the brief nothing.

The brief is the embedded model's recorded brief of the seed article (as in
test_faults.py); the follow-up answers here are SYNTHETIC, written by hand to script
each case. The embedded model's real follow-up is replayed in test_summarize.py.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from pydantic import ValidationError

from summarize import Settings, asummarize, summarize
from summarize.schema import (
    MAX_ACTORS,
    MAX_ACTORS_ADDED,
    MAX_PLACES,
    Actor,
    Brief,
    MoreActors,
)
from tests.faultserver import FaultServer, Reply, completion
from tests.test_faults import FAST, GOOD, SECRET
from tests.test_schema import brief_data


def actor(name: str, kind: str = "country") -> dict:
    return {"name": name, "kind": kind, "role": "Named in the story", "aliases": [], "quotes": []}


def sorted_names(**kinds: str) -> Reply:
    """The follow-up's answer: what each name asked about names."""
    answer = {
        name.replace("_", " "): {"kind": kind, "role": "In the story"}
        for name, kind in kinds.items()
    }
    return Reply(200, completion(json.dumps(answer)))


def settings(server: FaultServer, **options) -> Settings:
    return Settings(model="test-model", base_url=server.url, api_key=SECRET, retry=FAST, **options)


# Which names -----------------------------------------------------------------------


def test_the_names_left_out_are_those_used_often_that_no_actor_or_place_answers_to():
    data = brief_data()
    data["actors"].append({"name": "Russian", "kind": "country", "role": "Took part"})
    brief = Brief.model_validate(data)  # actors Trump, Zelensky, The Kremlin, Russian
    names = [("Donald Trump", 15), ("Kremlin", 6), ("Kyiv", 5), ("Russia", 5), ("Putin", 4)]
    names += [("Moscow", 2)]
    brief.places = ["Kyiv"]
    # "Donald Trump" answers to the actor "Trump", "Kremlin" to "The Kremlin", Kyiv is a
    # place, Russia is the actor "Russian", Moscow is named only twice.
    assert brief.names_left_out(names) == ["Putin"]
    many = [(f"Name{i}", 10) for i in range(MAX_ACTORS_ADDED + 2)]
    assert brief.names_left_out(many) == [name for name, _ in many[:MAX_ACTORS_ADDED]]


def test_added_actors_and_places_come_after_the_brief_s_own_never_twice_and_within_the_cap():
    brief = Brief.model_validate(brief_data())  # places: Kremlin
    added = [Actor.model_validate(actor(name)) for name in ("Putin", "Donald Trump", "Putin")]
    more = brief.with_names(added, ["Kyiv", "Kremlin", "Kyiv", "Zelensky"])
    assert [a.name for a in more.actors] == ["Trump", "Zelensky", "The Kremlin", "Putin"]
    assert more.places == ["Kremlin", "Kyiv"]  # "Zelensky" is an actor
    crowd = [Actor.model_validate(actor(f"Name{i}")) for i in range(MAX_ACTORS)]
    assert len(brief.with_names(crowd, []).actors) == MAX_ACTORS
    towns = [f"Town{i}" for i in range(MAX_PLACES + 2)]
    assert len(brief.with_names([], towns).places) == MAX_PLACES


def test_the_follow_up_answers_each_name_asked_about_once_and_its_actors_are_kept():
    model = MoreActors.naming(("Putin", "Kyiv", "English"))
    schema = model.model_json_schema()
    assert schema["required"] == ["Putin", "Kyiv", "English"]  # each once, in order
    answer = model.model_validate(
        {
            "Putin": {"kind": "person", "role": "Spoke to Trump"},
            "Kyiv": {"kind": "place", "role": "Ukraine's capital"},
            "English": {"kind": "language", "role": "The language"},
        }
    )
    assert [(a.name, a.kind, a.role) for a in answer.actors] == [
        ("Putin", "person", "Spoke to Trump")
    ]
    assert answer.places == ["Kyiv"]
    with pytest.raises(ValidationError):  # a name not asked about
        model.model_validate({"Biden": {"kind": "person", "role": "x"}})


# The follow-up on the wire ------------------------------------------------------------


def test_the_actors_the_follow_up_gives_are_added(server, article):
    server.script = [
        Reply(200, GOOD),
        sorted_names(Washington="country"),
    ]
    result = summarize(article, settings(server))
    brief_request, follow_up = (r["json"] for r in server.requests)
    # The brief's request word for word (a local server reuses its work), then the question.
    assert follow_up["messages"][:2] == brief_request["messages"]
    question = follow_up["messages"][2]["content"]
    # Not asked about: Russia (3), the brief's actor "Russian"; European (3), written
    # only before what it describes ("European counterparts").
    assert question.startswith(
        "The article also uses these names, which your brief leaves out, with how often: "
        "Washington (3).\n"
    )
    assert result.brief.actors[-1].name == "Washington" and result.actors_added == ["Washington"]
    assert result.attempts == 1  # the brief's own attempts
    assert result.usage.total_tokens == 300  # the follow-up's tokens count too


def test_a_name_the_follow_up_finds_is_a_place_is_added_to_the_places(server, article):
    server.script = [Reply(200, GOOD), sorted_names(Washington="place")]
    result = summarize(article, settings(server))
    assert result.brief.places[-1] == "Washington" and result.places_added == ["Washington"]
    assert result.actors_added == []


def test_a_follow_up_answer_failing_its_checks_is_asked_once_more_then_given_up(server, article):
    invented = sorted_names(Moscow_Times="organization")  # not a name asked about
    server.script = [Reply(200, GOOD), invented, invented]
    plain = Brief.model_validate_json(GOOD["choices"][0]["message"]["content"])
    result = summarize(article, settings(server))
    assert len(server.requests) == 3
    follow_up, again = (r["json"]["messages"] for r in server.requests[1:])
    assert again[:3] == follow_up  # the re-ask keeps the question it re-asks
    assert "Washington" in again[3]["content"]  # the error: the field it left out
    assert [a.name for a in result.brief.actors] == [a.name for a in plain.actors]
    assert result.actors_added == [] and result.usage.total_tokens == 150 * 3


def test_a_follow_up_the_server_fails_costs_the_brief_nothing(server, article):
    server.script = [Reply(200, GOOD)]  # then "500 no step" to every request
    result = summarize(article, settings(server))
    assert len(server.requests) == 1 + FAST.max_attempts
    assert result.brief.headline and result.actors_added == []


def test_no_follow_up_when_it_is_off(server, article):
    server.script = [Reply(200, GOOD)]
    result = summarize(article, settings(server, more_actors=False))
    assert len(server.requests) == 1 and result.actors_added == []


def test_the_async_path_follows_up_too(server, article):
    server.script = [
        Reply(200, GOOD),
        sorted_names(Washington="country"),
    ]
    result = asyncio.run(asummarize(article, settings(server)))
    assert len(server.requests) == 2 and result.actors_added == ["Washington"]
