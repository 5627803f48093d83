from summarize.grounding import ArticleIndex, name_key, naming_words, sentence_spans, support

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


def test_longest_passage_finds_the_verbatim_core():
    article = ArticleIndex(ARTICLE)
    core, share = article.longest_passage("Hegseth called the plan an “illusionary goal”")
    assert core == "an \u201cillusionary goal\u201d"  # the article's characters, marks paired
    assert share == 3 / 7
    assert article.longest_passage("nothing matches xyz") == ("", 0.0)


SEED_PASSAGE = (
    "Trump took the world by surprise as he announced the call on his Truth Social network "
    'earlier, saying they had "both agreed, we want to stop the millions of deaths taking place '
    'in the War with Russia/Ukraine," using an unconfirmed figure for the toll in the conflict. '
    "Zelensky said he had a "
    '"meaningful" call with Trump.'
)


def test_quotation_keeps_the_quoted_words_of_a_reported_sentence():
    # What local/qwen2.5-coder-1.5b wrote as a quote of Trump for the seed article.
    written = (
        "Trump announced the call on his Truth Social network earlier, saying they had 'both "
        "agreed, we want to stop the millions of deaths taking place in the War with "
        "Russia/Ukraine' using an unconfirmed figure for the toll in the conflict."
    )
    assert ArticleIndex(SEED_PASSAGE).quotation(written) == (
        "both agreed, we want to stop the millions of deaths taking place in the War with "
        "Russia/Ukraine"
    )


def test_quotation_accepts_a_whole_one_word_quotation_but_not_narrative():
    article = ArticleIndex(SEED_PASSAGE)
    assert article.quotation("“meaningful”") == "meaningful"
    assert article.quotation("Trump took the world by surprise") is None


def test_quotation_needs_enough_words_and_share():
    article = ArticleIndex(SEED_PASSAGE)
    assert article.quotation("we want to stop") == "we want to stop"
    assert article.quotation("we want") is None  # too short a fragment
    assert article.quotation("a very meaningful call indeed, he told reporters") is None


def test_a_quotation_counts_only_near_the_speakers_name():
    text = (
        'Zelensky said he had a "meaningful" call.\n\n'
        'Pentagon chief Pete Hegseth called it an "illusionary goal".\n\n'
        'He added that membership was "not realistic" for now.'
    )
    article = ArticleIndex(text)
    assert article.quotation("illusionary goal", speaker=["Pete Hegseth"]) == "illusionary goal"
    assert article.quotation("illusionary goal", speaker=["Zelensky"]) is None
    # "He added": the paragraph before names the speaker.
    assert article.quotation("not realistic", speaker=["Hegseth"]) == "not realistic"
    assert article.quotation("meaningful", speaker=["Volodymyr Zelensky"]) == "meaningful"


def test_a_quotation_the_sentence_gives_to_someone_else_is_not_the_actors():
    # Recorded (seed_brief.yaml): the 1.5B model gave Trump's words to Putin, whom the
    # sentence also names.
    text = (
        '"We expect that he\'ll come here," Trump told reporters about meeting Putin. '
        'Putin said it was "time to work together". Officials said "talks begin soon" '
        "and Putin agreed.\n\n"
        'Ms Bauchtman said it was "too much iodine". Lydia Buchtmann leads the study.'
    )
    article = ArticleIndex(text)
    assert article.quotation("We expect that he'll come here", speaker=["Trump"])
    assert article.quotation("We expect that he'll come here", speaker=["Putin"]) is None
    assert article.quotation("time to work together", speaker=["Vladimir Putin"])
    # "Officials" is no one's name: the paragraph rule decides, as before.
    assert article.quotation("talks begin soon", speaker=["Putin"])
    # The article spells her two ways; the near spelling is hers.
    assert article.quotation("too much iodine", speaker=["Lydia Buchtmann"])
    assert article.quotation("too much iodine", speaker=["Putin"]) is None


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


def test_a_country_is_named_by_its_people():
    article = ArticleIndex("The rescued included Bangladeshis and Rohingya from Myanmar.")
    assert article.has_name("Bangladesh")
    assert article.has_name("Rohingya")
    assert article.has_name("Rohingyas")  # the 1.5B model's word for them, in the plural
    assert not article.has_name("Bangla")  # not a name with a demonym's ending
    assert not article.has_name("Myan")


def test_sentences_are_split_where_a_sentence_ends_not_at_every_stop():
    article = ArticleIndex(
        'Washington D.C. hosted U.S. President Trump. He said: "We won." '
        "Then he left.\n\nA new paragraph"
    )
    assert article.sentences == [
        "Washington D.C. hosted U.S. President Trump.",
        'He said: "We won."',
        "Then he left.",
        "A new paragraph",
    ]
    for (start, end), sentence in zip(sentence_spans(article.text), article.sentences, strict=True):
        assert article.text[start:end] == sentence  # spans and sentences agree


def test_the_sentences_that_state_a_point_are_found_by_its_rarer_words():
    article = ArticleIndex(
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
    article = ArticleIndex(SEED_PASSAGE)
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


def test_a_proper_name_is_written_with_a_capital_in_the_article():
    article = ArticleIndex("The city of Port Alder will close its bridge, the mayor said.")
    assert article.has_proper_name("Port Alder") and article.has_proper_name("port alder")
    assert article.has_name("city") and not article.has_proper_name("city")
    assert not article.has_proper_name("Riyadh")


def test_a_misspelt_name_is_the_article_name_it_nearly_spells():
    article = ArticleIndex("Police spokesman Fuad Basya said the boats were turned away.")
    assert article.name_misspelt("Fujad Basya") == "Fuad Basya"  # as the 1.5B model wrote it
    assert article.name_misspelt("Fujad Bosya") is None  # no word the same
    assert article.name_misspelt("Abdul Basya") is None  # a different first name
    assert article.name_misspelt("Fujad") is None  # one word: nothing the same to anchor it


def test_the_articles_names_are_listed_most_often_first_without_titles():
    text = (
        "US President Donald Trump called Russian President Vladimir Putin on Wednesday. "
        "Trump said the call went well. According to the Kremlin, Putin agreed.\n\n"
        "Then Trump spoke to the Church of Scientology, which the church denied. "
        "Trump's aides said the president would meet Putin in Saudi Arabia. Mr Putin left."
    )
    names = dict(ArticleIndex(text).names)
    # A surname alone, or after a title, counts for the full name; the title before
    # it is no part of it.
    assert names == {
        "Donald Trump": 4,
        "Vladimir Putin": 4,
        "Kremlin": 1,
        "Church of Scientology": 1,
        "Saudi Arabia": 1,
    }
    assert ArticleIndex(text).names[0] == ("Donald Trump", 4)


def test_words_capitalised_only_where_a_sentence_starts_are_not_names():
    # "According", "Then", "Wednesday" and "Church" (the article's "church") name no one.
    text = "According to reports, Sweden won. Then Sweden lost on Wednesday. Church bells rang."
    assert ArticleIndex(text + " The church is old.").names == [("Sweden", 2)]
    # Nor a sentence's first word the article happens to write nowhere else, or "I'm".
    text = "While USI holds the exhibit, USI students curate it. I\u2019m glad, I'll say."
    assert ArticleIndex(text).names == [("USI", 2)]


def test_one_word_names_alike_are_a_name_and_its_demonym_or_plural():
    from summarize.grounding import one_word_alike

    assert one_word_alike("Russia", "Russian") and one_word_alike("Rohingyas", "Rohingya")
    assert one_word_alike("Israeli", "Israel") and one_word_alike("Sudanese", "Sudan")
    assert not one_word_alike("Iran", "Irani Sea")  # two words
    assert not one_word_alike("Ian", "Ians")  # too short to tell
    assert not one_word_alike("Austria", "Australia")


def test_a_peoples_adjective_written_only_before_a_noun_only_describes():
    index = ArticleIndex("Hegseth met European counterparts. European capitals were wary.")
    assert index.only_describes("European")
    # Standing alone, or before a word no noun is: a name the article uses as one.
    assert not ArticleIndex("The test is in English, the language.").only_describes("English")
    assert not ArticleIndex("Russian officials said so. Russian said no.").only_describes("Russian")
    assert not ArticleIndex("Gloria cried. Gloria slept.").only_describes("Gloria")  # no such end
    assert not index.only_describes("Hegseth") and not index.only_describes("Chinese")  # absent
