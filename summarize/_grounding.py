"""Checking what a brief says against the article it came from.

A passage is grounded when its words occur in the article, in the same order,
with nothing between them. Letter case, punctuation, quote marks, dashes and
spacing are not compared: a model writing JSON often swaps the article's
inner double quotes for single ones, drops a comma, or writes an em dash for
"--", which changes no word. The brief then carries the article's own text for
that passage, so what it shows is character for character the article's.
A key point is stated in the article when most of its naming words are in one
or two of the article's sentences (the analysis's sentences: see summarize/_analysis/),
and those sentences name whoever the point names: "Hegseth called for peace" is not
stated by a sentence in which the French minister called for it.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cached_property, lru_cache

import snowballstemmer

_WORD = re.compile(r"\w+")
# A closing quote mark right after a passage, perhaps after its punctuation.
_CLOSING = re.compile('[.,;:!?]?["\u201d]')
# A key point is stated in the article when this share of its naming words are in
# the sentences found for it (see schema.Prose).
MIN_SUPPORT = 0.6
# Words too common to show that a key point and a sentence say the same thing.
_FUNCTION_WORDS = {"a", "an", "the", "of", "to", "in", "on", "at", "by", "for", "with", "and"}
_FUNCTION_WORDS |= {"or", "as", "is", "was", "are", "were", "be", "been", "that", "it", "its"}
_FUNCTION_WORDS |= {"s", "he", "she", "they", "his", "her", "their", "has", "have", "had"}
_FUNCTION_WORDS |= {"will", "would", "not", "from", "but", "who", "which", "this", "said"}
# A key point's evidence states what it says of an actor it names when the evidence
# sentences that name the actor hold this share of the point's other naming words: a
# second sentence may add to it, not say it of someone else.
MIN_SAID_OF_ACTOR = 0.5
# A sentence with one of these names whoever the sentence before it names ("Trump spoke
# to Putin. He said..."): the analysis's own rule for a pronoun's speaker.
_PERSONAL_PRONOUNS = {"he", "she", "they", "him", "his", "her", "them", "their"}


def _words(text: str) -> list[str]:
    """The words of ``text``, as compared: NFKC-normalised and case-folded."""
    if unicodedata.is_normalized("NFKC", text):  # the common case, and 5x faster
        return [word.casefold() for word in _WORD.findall(text)]
    return [unicodedata.normalize("NFKC", word).casefold() for word in _WORD.findall(text)]


class ArticleIndex:
    """An article prepared once for many grounding look-ups: its words and its sentences
    (character spans, from the analysis)."""

    def __init__(
        self,
        text: str,
        sentences: list[tuple[int, int]] | None = None,
        actors: tuple[NamedEntity, ...] = (),
    ) -> None:
        self.text = text
        self._matches = list(_WORD.finditer(text))
        if unicodedata.is_normalized("NFKC", text):  # the common case, and 5x faster
            self._words = [m.group().casefold() for m in self._matches]
        else:
            self._words = [
                unicodedata.normalize("NFKC", m.group()).casefold() for m in self._matches
            ]
        # Where each word occurs, for finding runs without scanning the whole article.
        self._positions: dict[str, list[int]] = {}
        for i, word in enumerate(self._words):
            self._positions.setdefault(word, []).append(i)
        spans = sentences if sentences is not None else [(0, len(text))]
        self._sentences = _Sentences(text, spans, actors)

    @staticmethod
    @lru_cache(maxsize=32)
    def of(
        text: str,
        sentences: tuple[tuple[int, int], ...] | None = None,
        actors: tuple[NamedEntity, ...] = (),
    ) -> ArticleIndex:
        """The index of ``text``, built once (a brief needs it for its checks and evidence)."""
        return ArticleIndex(text, list(sentences) if sentences is not None else None, actors)

    def _find(self, words: list[str]) -> int | None:
        """Where the article has ``words`` in a row: the first word's index, or None."""
        if not words:
            return None
        size = len(words)
        for start in self._positions.get(words[0], ()):
            if self._words[start : start + size] == words:
                return start
        return None

    def _longest_run(self, words: list[str]) -> tuple[int, int]:
        """The longest run of ``words`` that the article has in a row, as (index of its
        first word in the article, length); the earliest in the article on a tie."""
        best_start, best_size = 0, 0
        for k in range(len(words)):
            if len(words) - k < best_size:
                break
            for i in self._positions.get(words[k], ()):
                size = 1
                while (
                    k + size < len(words)
                    and i + size < len(self._words)
                    and self._words[i + size] == words[k + size]
                ):
                    size += 1
                if size > best_size or (size == best_size and i < best_start):
                    best_start, best_size = i, size
        return best_start, best_size

    @property
    def sentences(self) -> list[str]:
        """The article's sentences, in order."""
        return self._sentences.texts

    def supporting_sentences(self, point: str, most: int = 2) -> list[str]:
        """The article sentences that state ``point`` (see ``_Sentences._find_supporting``)."""
        return self._sentences.supporting(point, most)

    def unnamed_actor(self, point: str, most: int = 2) -> str | None:
        """An actor ``point`` names that the sentences stating it do not (the first), or None."""
        return self._sentences.unnamed_actor(point, most)

    def sentences_naming(self, names: list[str]) -> list[str]:
        """The article's sentences that have one of ``names`` (its words, in a row)."""
        return self._sentences.naming(names)

    def passage(self, quote: str) -> str | None:
        """The article's own text for ``quote``, or None when its words are not in the article."""
        words = _words(quote)
        start = self._find(words)
        if start is None:
            return None
        return self._span(start, start + len(words) - 1)

    def _span(self, first: int, last: int) -> str:
        """The article's text from word ``first`` to word ``last``. A span cut inside a
        quotation would show one quote mark alone: the matching mark is taken in."""
        start, end = self._matches[first].start(), self._matches[last].end()
        passage = self.text[start:end]
        if passage.count('"') % 2 or passage.count("\u201c") != passage.count("\u201d"):
            closing = _CLOSING.match(self.text, end)
            if closing:
                end = closing.end()
            elif start and self.text[start - 1] in '"\u201c':
                start -= 1
        return self.text[start:end]

    def has_quote(self, quote: str) -> bool:
        """True when the quote's words occur in the article, in order."""
        return self.passage(quote) is not None

    def has_name(self, name: str) -> bool:
        """True when the name occurs in the article, in any letter case."""
        words = _words(name)
        if self._find(words) is not None:
            return True
        # "Port Alder Mayor Helen Okafor" for the article's "Mayor Helen Okafor": most of
        # the name, two words or more, written together in the article.
        size = self._longest_run(words)[1]
        return size >= 2 and size >= len(words) / 2


@dataclass(frozen=True)
class NamedEntity:
    """Someone the article names, as the checks of a key point know them."""

    written: tuple[str, ...]
    """Their names as the article writes them."""
    checked: bool = True
    """What a key point says of them must be said of them (else their names only mark
    where another's name is part of theirs: "Andy Warhol" in "Andy Warhol Foundation")."""

    def spans_in(self, point: str) -> list[tuple[int, int]]:
        """Where ``point`` writes one of their names."""
        return [span for name in self.written for span in _written_at(point, name)]

    @cached_property
    def words(self) -> list[list[str]]:
        return [w for w in map(_words, self.written) if w]


@lru_cache(maxsize=4096)
def _written_at(text: str, name: str) -> tuple[tuple[int, int], ...]:
    """Where ``text`` writes ``name`` as a name: word-bounded matches in its letter case
    ("the art gallery" does not name "Art Gallery")."""
    if name not in text:  # nearly every name, and a substring test is 20x cheaper
        return ()
    return tuple(m.span() for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text))


class _Sentences:
    """An article's sentences, for finding those that state a key point and those that
    name an actor; each answer is kept, as each is asked for more than once."""

    def __init__(
        self, text: str, spans: list[tuple[int, int]], actors: tuple[NamedEntity, ...]
    ) -> None:
        self._text = text
        self._spans = spans
        self._actors = actors
        self._supporting: dict[tuple[str, int], list[int]] = {}
        self._unnamed: dict[tuple[str, int], str | None] = {}
        self._named_in: dict[str, list[NamedEntity]] = {}
        self._naming: dict[tuple[str, ...], list[str]] = {}

    @cached_property
    def texts(self) -> list[str]:
        """The article's sentences, in order."""
        return [self._text[start:end] for start, end in self._spans]

    def supporting(self, point: str, most: int) -> list[str]:
        return [self.texts[i] for i in self._supporting_indices(point, most)]

    def unnamed_actor(self, point: str, most: int) -> str | None:
        # Asked twice a key point too: by the checks, then by the assembly.
        key = (point, most)
        if key not in self._unnamed:
            self._unnamed[key] = self._find_unnamed_actor(point, most)
        return self._unnamed[key]

    def _find_unnamed_actor(self, point: str, most: int) -> str | None:
        chosen = self._supporting_indices(point, most)
        named = self._actors_named(point)
        # What the point says of them: its naming words less their names.
        said = naming_words(point) - {w for a in named for n in a.words for w in map(_stem, n)}
        for actor in named:
            theirs = [self._sentence_words[i] for i in chosen if self._names(i, actor)]
            held = frozenset().union(*theirs) & said
            if not theirs or len(held) < MIN_SAID_OF_ACTOR * len(said):
                return actor.written[0]
        return None

    def _supporting_indices(self, point: str, most: int) -> list[int]:
        # Asked twice a key point: the check that it is stated, then its evidence.
        key = (point, most)
        if key not in self._supporting:
            self._supporting[key] = self._find_supporting(point, most)
        return self._supporting[key]

    def _find_supporting(self, point: str, most: int) -> list[int]:
        """The article sentences that state ``point``, in the article's order: the one that
        holds most of its naming words, then, while those held are fewer than
        MIN_SUPPORT of them or an actor the point names is not named, the one holding
        most of the rest (up to ``most``); none when no sentence holds any. A word in
        fewer sentences weighs more: "together" tells where a point about working
        together is stated; "Trump", in most of the article's sentences, does not. While
        an actor the point names is not named, only the sentences that name one of them
        are taken (when one holds any of its words)."""
        wanted = naming_words(point)
        unnamed = self._actors_named(point)
        missing, chosen = set(wanted), []
        while len(chosen) < most and (len(wanted - missing) < MIN_SUPPORT * len(wanted) or unnamed):
            scores = [
                sum(1 / self._sentence_count[w] for w in missing & words)
                for words in self._sentence_words
            ]
            candidates = [i for i, score in enumerate(scores) if score and i not in chosen]
            naming = [i for i in candidates if any(self._names(i, a) for a in unnamed)]
            best = max(naming or candidates, key=scores.__getitem__, default=None)
            if best is None:
                break
            chosen.append(best)
            missing -= self._sentence_words[best]
            unnamed = [a for a in unnamed if not self._names(best, a)]
        return sorted(chosen)

    def _actors_named(self, point: str) -> list[NamedEntity]:
        if point not in self._named_in:
            self._named_in[point] = self._find_actors_named(point)
        return self._named_in[point]

    def _find_actors_named(self, point: str) -> list[NamedEntity]:
        """The actors ``point`` names, less one named only inside another's longer name
        ("Andy Warhol" in "the Andy Warhol Foundation")."""
        found = {actor: actor.spans_in(point) for actor in self._actors}
        found = {actor: spans for actor, spans in found.items() if spans}
        longer = [span for spans in found.values() for span in spans]
        return [
            actor
            for actor, spans in found.items()
            if actor.checked
            and any(
                not any(s <= start and end <= e and e - s > end - start for s, e in longer)
                for start, end in spans
            )
        ]

    def _names(self, i: int, actor: NamedEntity) -> bool:
        """Sentence ``i`` names ``actor``: by one of their names, or by a personal pronoun
        right after a sentence that names them."""
        if self._has_name(i, actor):
            return True
        return (
            i > 0
            and bool(self._sentence_vocabularies[i] & _PERSONAL_PRONOUNS)
            and (self._has_name(i - 1, actor))
        )

    def _has_name(self, i: int, actor: NamedEntity) -> bool:
        return self._has_one_of(i, actor.words)

    def _has_one_of(self, i: int, names: list[list[str]]) -> bool:
        """Sentence ``i`` has one of ``names`` (each its words, in a row)."""
        words, vocabulary = self._sentence_word_lists[i], self._sentence_vocabularies[i]
        # The set look-up first: most sentences lack the name's first word.
        return any(name[0] in vocabulary and _contains(words, name) for name in names)

    def naming(self, names: list[str]) -> list[str]:
        """The article's sentences that have one of ``names`` (its words, in a row)."""
        # Asked for each actor by the stance check and again by the assembly.
        key = tuple(names)
        if key not in self._naming:
            self._naming[key] = self._find_naming(names)
        return list(self._naming[key])

    def _find_naming(self, names: list[str]) -> list[str]:
        wanted = [words for words in map(_words, names) if words]
        return [sentence for i, sentence in enumerate(self.texts) if self._has_one_of(i, wanted)]

    @cached_property
    def _sentence_word_lists(self) -> list[list[str]]:
        return [_words(sentence) for sentence in self.texts]

    @cached_property
    def _sentence_vocabularies(self) -> list[set[str]]:
        return [set(words) for words in self._sentence_word_lists]

    @cached_property
    def _sentence_count(self) -> Counter[str]:
        """For each word, the number of the article's sentences that have it."""
        return Counter(word for words in self._sentence_words for word in words)

    @cached_property
    def _sentence_words(self) -> list[frozenset[str]]:
        return [_stems(sentence) for sentence in self.texts]


def _contains(words: list[str], name: list[str]) -> bool:
    size = len(name)
    return any(words[i : i + size] == name for i in range(len(words) - size + 1))


# Snowball's English stemmer ("saved" and "save" are "save", "expects" and "expected"
# "expect"). A stemmer object is not thread-safe: the lock is taken only for words not
# yet cached.
_STEMMER = snowballstemmer.stemmer("english")
_STEMMING = threading.Lock()


@lru_cache(maxsize=1 << 16)
def _stem(word: str) -> str:
    with _STEMMING:
        return _STEMMER.stemWord(word)


# The same passages are stemmed again and again: the sentences naming an actor for its
# role, then its stance; a key point for its check, then its evidence; and every brief of
# one article (a batch, the cache's misses) the same ones. Both are cached by text.
@lru_cache(maxsize=1024)
def _stems(text: str) -> frozenset[str]:
    """The stems of the words of ``text``, so that "expects" and "expected" compare equal."""
    return frozenset(_stem(word) for word in _words(text))


@lru_cache(maxsize=4096)
def naming_words(text: str) -> frozenset[str]:
    """The stems of the words of ``text`` that say what it is about (all but the most
    common ones)."""
    return frozenset(_stem(word) for word in _words(text) if word not in _FUNCTION_WORDS)


def support(point: str, passages: list[str]) -> float:
    """The share of the naming words of ``point`` that ``passages`` hold: how much of what
    it says the article says there. 0.0 for a point with none ("It was."): it states
    nothing the article could hold, and would get no evidence."""
    wanted = naming_words(point)
    held = _stems(" ".join(passages))
    return len(wanted & held) / len(wanted) if wanted else 0.0


@lru_cache(maxsize=4096)  # every brief of an article compares its quotes by it
def name_key(name: str) -> str:
    """The form in which two names are compared: words only, case folded."""
    return " ".join(_words(name))
