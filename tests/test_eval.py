"""The scoring of bench/eval.py: actor matching against gold entities and the lead sentence."""

from __future__ import annotations

from types import SimpleNamespace

from bench.eval import first_sentence, gold_entities, matches, score_article

RECORD = {
    "named_entities_wikified": [
        {
            "name": "Donald Trump",
            "type": "person",
            "salience": "ssnsn",
            "mentions": ["President Donald Trump", "Trump", "his", "The President"],
        },
        {
            "name": "Afghan Girls Robotics Team",
            "type": "organization",
            "salience": "sssss",
            "mentions": ["team", "They", "the Afghan team's"],
        },
    ],
    "proper_name_entities_unlinked": [
        {"mentions": ["Alireza Mehraban"], "type": "person", "salience": "nnnnn"}
    ],
}


def test_gold_entities_know_salience_and_leave_out_mentions_that_name_nothing():
    trump, team, coach = gold_entities(RECORD)
    assert trump["salient"] and team["salient"] and not coach["salient"]
    assert "his" not in trump["strings"] and "team" not in team["strings"]
    assert coach["name"] == "Alireza Mehraban"


def test_an_actor_matches_by_name_mention_or_a_part_of_either():
    trump, team, _ = gold_entities(RECORD)
    assert matches(["Trump"], trump)
    assert matches(["US President Donald Trump"], trump)  # contains "Donald Trump"
    assert matches(["Afghan team"], team)  # inside "the Afghan team's"
    assert not matches(["Rodaba Noori"], trump)
    assert not matches(["the team"], team)  # "team" alone names nothing


def test_the_lead_is_the_first_sentence_without_breaking_at_initials():
    text = "The U.S. President met Mr. Smith in Washington D.C. on Monday. Then he left."
    assert first_sentence(text) == "The U.S. President met Mr. Smith in Washington D.C. on Monday."


def test_a_salient_place_is_found_in_the_briefs_places():
    place = {"name": "Washington, D.C.", "type": "place", "salience": "sssnn", "mentions": []}
    record = dict(RECORD, named_entities_wikified=[*RECORD["named_entities_wikified"], place])
    record.update(id="a", text="Trump met the team in Washington, D.C.", summaries=[])
    brief = {
        "summary": "Trump met the team.",
        "key_points": [],
        "actors": [{"name": "Donald Trump"}],
        "places": ["Washington, D.C."],
    }
    usage = {"total_tokens": 9, "prompt_tokens": 7, "completion_tokens": 2}
    result = {"brief": brief, "attempts": 1, "seconds": 1.0, "usage": usage}
    # Only the recall is looked at here: a ROUGE that scores everything 0.
    rouge = SimpleNamespace(
        score_multi=lambda refs, text: dict.fromkeys(
            ("rouge1", "rouge2", "rougeL"), SimpleNamespace(fmeasure=0.0)
        )
    )
    row = score_article(record, {"status": "done", "result": result}, rouge)
    assert row["missed"] == ["Afghan Girls Robotics Team"]
    assert row["found_salient"] == 2 and row["actors"] == 1  # a place is not an actor
