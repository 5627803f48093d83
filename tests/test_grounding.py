from summarize._analysis import analyse
from summarize._grounding import ArticleIndex, name_key, naming_words, support


def index(text: str) -> ArticleIndex:
    """The article's index, with its sentences as the analysis splits them."""
    return ArticleIndex(text, analyse(text).sentences)


ARTICLE = (
    "\"We expect that he'll come here, and I'll go there -- and we're going to meet\", "
    "Trump told reporters.\nPentagon chief Pete Hegseth called it an \u201cillusionary goal\u201d "
    'and said they had "both agreed, we want to stop the deaths," using a figure.'
)


def test_quote_found_despite_quote_marks_dashes_and_spacing():
    article = ArticleIndex(ARTICLE)
    assert article.has_quote("I\u2019ll go there \u2014 and we\u2019re   going to meet")
    assert article.has_quote("\u201cillusionary goal\u201d")
    assert article.has_quote("'both agreed, we want to stop the deaths' using a figure")


def test_passage_is_the_articles_own_text():
    article = ArticleIndex(ARTICLE)
    assert article.passage("I\u2019ll go there \u2014 and") == "I'll go there -- and"
    assert article.passage("'both agreed we want'") == "both agreed, we want"


def test_quote_with_changed_missing_or_extra_words_is_not_found():
    article = ArticleIndex(ARTICLE)
    assert article.passage("I will go there") is None
    assert article.passage("I'll go there and meet") is None
    assert article.passage("Illusionary Goal") == "illusionary goal"  # the article's case
    assert article.passage('""') is None


def test_name_found_in_any_case_but_not_invented():
    article = ArticleIndex(ARTICLE)
    assert article.has_name("pete hegseth")
    assert article.has_name("Trump")
    assert not article.has_name("Lloyd Austin")
    assert not article.has_name("Pete Austin")


def test_name_key_ignores_case_and_punctuation():
    assert name_key("U.S. State Department") == name_key("u s  state department")


SEED_PASSAGE = (
    "Trump took the world by surprise as he announced the call on his Truth Social network "
    'earlier, saying they had "both agreed, we want to stop the millions of deaths taking place '
    'in the War with Russia/Ukraine," using an unconfirmed figure for the toll in the conflict. '
    "Zelensky said he had a "
    '"meaningful" call with Trump.'
)


def test_a_name_with_a_title_added_is_still_found():
    article = ArticleIndex("Mayor Helen Okafor spoke. Engineers from Calder & Webb came.")
    assert article.has_name("Port Alder Mayor Helen Okafor")
    assert article.has_name("Calder & Webb Engineers")
    assert not article.has_name("Helen Smith")  # one word in common is not the name


def test_a_passage_cut_inside_a_quotation_keeps_its_quote_marks_paired():
    article = ArticleIndex(
        'It said Putin "agreed with Trump that talks could work" but wanted more. '
        'Hegseth called it an "illusionary goal" -- and left.'
    )
    assert article.passage("Putin agreed with Trump that talks could work") == (
        'Putin "agreed with Trump that talks could work"'
    )
    assert article.passage("illusionary goal and left") == '"illusionary goal" -- and left'


def test_the_sentences_that_state_a_point_are_found_by_its_rarer_words():
    article = index(
        "Trump called Putin and Zelensky on Wednesday. Trump said Putin wants peace. "
        'He said they would "work together very closely". Putin invited Trump to Moscow.'
    )
    # "Trump" and "Putin" are in most sentences, and the first two hold both of them;
    # "work together closely" is in one.
    point = "Trump and Putin will work together closely"
    evidence = article.supporting_sentences(point)
    assert evidence == ['He said they would "work together very closely".']
    assert support(point, evidence) == 0.6  # 3 of its 5 naming words: enough


def test_a_point_no_sentence_states_has_no_support():
    article = index(SEED_PASSAGE)
    point = "Everyone must withdraw every soldier by Easter"
    assert article.supporting_sentences(point) == []
    assert support(point, []) == 0.0
    # Words like "the", "was" and "said" are not what a point is about.
    assert naming_words("The vote was said to be close") == {"vote", "close"}
    # Words compare by their stems: "saved" says what "save" says, "rescues" "rescued".
    assert naming_words("The navy saved rescues") == naming_words("navy save rescued")
    # A point of such words alone states nothing: no support, and no evidence.
    assert article.supporting_sentences("He said it was.") == []
    assert support("He said it was.", []) == 0.0


def test_the_sentences_naming_an_actor_are_found_by_any_of_its_names():
    article = index(SEED_PASSAGE)
    assert article.sentences_naming(["Volodymyr Zelensky", "Zelensky"]) == [
        'Zelensky said he had a "meaningful" call with Trump.'
    ]
    assert len(article.sentences_naming(["Trump"])) == 2
    assert article.sentences_naming(["Putin"]) == []


def people_index(text: str) -> ArticleIndex:
    """The article's index as a brief's checks use it: with the people the analysis found."""
    from summarize._article import Article
    from summarize._facts import facts_of

    return facts_of(Article(text=text)).index


def test_what_a_point_says_of_a_person_must_be_said_of_them():
    article = people_index(
        "Defence ministers met in Brussels on Wednesday. Pentagon chief Pete Hegseth told them "
        "that Ukraine's old borders were an illusionary goal. The French and German ministers "
        "insisted that there could be no just and lasting peace without Kyiv."
    )
    stolen = "Pete Hegseth insisted there could be no just and lasting peace without Kyiv"
    # The words are the article's, in two sentences, but not said by him.
    assert support(stolen, article.supporting_sentences(stolen)) >= 0.6
    assert article.unnamed_actor(stolen) == "Pete Hegseth"
    his = "Pete Hegseth said Ukraine's old borders were an illusionary goal"
    assert article.unnamed_actor(his) is None
    assert article.unnamed_actor("The ministers called for a lasting peace without Kyiv") is None


def test_a_pronoun_names_the_person_the_sentence_before_names():
    article = people_index(
        "Mayor Helen Okafor spoke in the harbour on Monday. She said the port would close for "
        "three weeks. Engineers said the sea wall had cracked."
    )
    point = "Helen Okafor said the port would close for three weeks"
    assert article.unnamed_actor(point) is None
    assert article.supporting_sentences(point) == ["She said the port would close for three weeks."]
    assert article.unnamed_actor("Helen Okafor said the sea wall had cracked") == "Helen Okafor"


def test_a_name_inside_a_longer_name_is_not_a_person_the_point_names():
    article = people_index(
        "Andy Warhol died in 1987. The Andy Warhol Foundation was set up to keep the artist's "
        "work. On Tuesday the foundation gave 28,000 photographs to the university's gallery."
    )
    point = "The Andy Warhol Foundation gave photographs to the university's gallery"
    assert article.unnamed_actor(point) is None
    assert article.unnamed_actor("Andy Warhol gave photographs to the gallery") == "Andy Warhol"
