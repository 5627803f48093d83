"""Checking what a brief says against the article it came from.

A quote is grounded when its words occur in the article, in the same order
and letter case, with nothing between them. Punctuation, quote marks, dashes
and spacing are not compared: a model writing JSON often swaps the article's
inner double quotes for single ones, drops a comma or writes an em dash for
"--", which changes no word. The brief then carries the article's own text
for that passage, so what it shows as a quote is character for character the
article's.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

_WORD = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    return [unicodedata.normalize("NFKC", m.group()) for m in _WORD.finditer(text)]


class ArticleIndex:
    """An article prepared once for many grounding look-ups."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._matches = list(_WORD.finditer(text))
        self._words = [unicodedata.normalize("NFKC", m.group()) for m in self._matches]
        self._folded = [w.casefold() for w in self._words]

    def _find(self, words: list[str], haystack: list[str]) -> int | None:
        if not words:
            return None
        first, size = words[0], len(words)
        for start, word in enumerate(haystack):
            if word == first and haystack[start : start + size] == words:
                return start
        return None

    def passage(self, quote: str) -> str | None:
        """The article's own text for ``quote``, or None when its words are not in the article."""
        words = _words(quote)
        start = self._find(words, self._words)
        if start is None:
            return None
        end = start + len(words) - 1
        return self.text[self._matches[start].start() : self._matches[end].end()]

    def longest_passage(self, quote: str) -> tuple[str, float]:
        """The longest run of the quote's words that the article has verbatim, as the
        article's text, and the share of the quote's words it covers."""
        words = _words(quote)
        match = SequenceMatcher(None, self._words, words, autojunk=False).find_longest_match()
        if not match.size:
            return "", 0.0
        first, last = self._matches[match.a], self._matches[match.a + match.size - 1]
        return self.text[first.start() : last.end()], match.size / len(words)

    def has_quote(self, quote: str) -> bool:
        """True when the quote's words occur in the article, in order and case."""
        return self.passage(quote) is not None

    def has_name(self, name: str) -> bool:
        """True when the name occurs in the article, in any letter case."""
        words = [word.casefold() for word in _words(name)]
        return self._find(words, self._folded) is not None


def name_key(name: str) -> str:
    """The form in which two names are compared: words only, case folded."""
    return " ".join(word.casefold() for word in _words(name))
