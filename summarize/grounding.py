"""Checking what a brief says against the article it came from.

A quote is grounded when its words occur in the article, in the same order,
with nothing between them. Letter case, punctuation, quote marks, dashes and
spacing are not compared: a model writing JSON often swaps the article's
inner double quotes for single ones, drops a comma, writes an em dash for
"--" or capitalises a quote it starts mid-sentence, which changes no word.
The brief then carries the article's own text for that passage, so what it
shows as a quote is character for character the article's.
"""

from __future__ import annotations

import bisect
import re
import threading
import unicodedata
from collections import Counter
from difflib import SequenceMatcher
from functools import cached_property, lru_cache

import sentencex
import snowballstemmer

_WORD = re.compile(r"\w+")
# What the article puts in quotation marks: the words it attributes to someone.
_QUOTED = re.compile(r'"([^"]+)"|\u201c([^\u201d]+)\u201d|\u00ab([^\u00bb]+)\u00bb')
# A closing quote mark right after a passage, perhaps after its punctuation.
_CLOSING = re.compile('[.,;:!?]?["\u201d]')
# A sentence that says who spoke: a name right before a verb of saying ("Trump told
# reporters"), or right after one ("said Reyes").
_SPEAKER = r"[A-Z][\w\u2019'-]*(?:[ \t]+[A-Z][\w\u2019'-]*){0,3}"
_SAYS = r"(?:said|says|told|tells|added|adds|wrote|writes|stated|insisted|asked|explained)"
_SAID_BY = re.compile(
    rf"(?P<before>{_SPEAKER})(?:[\u2019']s)?[ \t]+{_SAYS}\b|\b{_SAYS}[ \t]+(?P<after>{_SPEAKER})"
)
_PRONOUN = re.compile(r"(he|she|they|it|his|her|their)\b", re.IGNORECASE)
# A fragment of a quotation shorter than this is too little to stand as a quote.
MIN_QUOTE_WORDS = 3
# What the model wrote must be mostly the article's own words, so that a made-up
# quote is not rescued by a few words it shares with a real one.
MIN_VERBATIM_SHARE = 0.6
# A key point is stated in the article when this share of its naming words are in
# the sentences found for it (see schema.KeyPoint).
MIN_SUPPORT = 0.6
# Words too common to show that a key point and a sentence say the same thing.
_FUNCTION_WORDS = {"a", "an", "the", "of", "to", "in", "on", "at", "by", "for", "with", "and"}
_FUNCTION_WORDS |= {"or", "as", "is", "was", "are", "were", "be", "been", "that", "it", "its"}
_FUNCTION_WORDS |= {"s", "he", "she", "they", "his", "her", "their", "has", "have", "had"}
_FUNCTION_WORDS |= {"will", "would", "not", "from", "but", "who", "which", "this", "said"}
# A name the model misspelt ("Fujad" for "Fuad") is the article's when each word it
# got wrong has this many letters and is this near the article's spelling.
MIN_SPELT_LETTERS = 4
NEAR_SPELLING = 0.8
# What a country's or people's name becomes as the article's adjective or demonym:
# "Bangladesh" in "Bangladeshis", "Russia" in "Russian", "Israel" in "Israeli".
_DEMONYM_ENDINGS = ("s", "n", "an", "ian", "i", "is", "ese")
_MIN_DEMONYM_STEM = 4
# How a people's adjective ends: "European", "Russian", "English", "Chinese", "Israeli".
_ADJECTIVE_ENDINGS = ("an", "ish", "ese", "i")
_NEXT_WORD = re.compile(r" ([a-z][a-z-]*)")  # a lower-case word right after a name
# A name as the article writes it: capitalised words ("U.S." among them), perhaps
# joined by a small word ("Church of Scientology", "Ludwig van Beethoven").
_CAPITALISED = r"(?:[A-Z]\.)+(?![a-z])|[A-Z\u00c0-\u00de][\w\u2019'&-]*"
_NAME = re.compile(
    rf"(?<![\w.])(?:{_CAPITALISED})(?:[ \t]+(?:(?:of|of the|de|del|da|di|du|van|von|der|bin|"
    rf"al)[ \t]+)?(?:{_CAPITALISED}))*"
)
_POSSESSIVE = re.compile("[\u2019']s?$")
# Capitalised words that start a name's run of capitals but are no part of the name:
# "The Home Office", "But Sweden", "of Google" (the rest of "head of Google").
_NOT_NAME_START = {"the", "a", "an", "in", "on", "at", "of", "for", "but", "and", "so", "then"}
_NOT_NAME_START |= {"it", "its", "he", "she", "they", "we", "i", "there", "now", "however"}
_NOT_NAME_START |= {"though", "this", "that", "these", "those", "his", "her", "their", "our"}
# A sentence may start with one of these though the article never writes it in lower
# case ("While USI is holding its exhibit": "USI" then counted for "While USI").
_NOT_NAME_START |= {"while", "when", "after", "before", "as", "if", "since", "because", "once"}
_NOT_NAME_START |= {"although", "with", "by", "from", "to", "during", "despite", "also", "yet"}
_NOT_NAME_START |= {"i'm", "i'll", "i've", "i'd", "one", "two", "three", "four", "five", "six"}
# Words that make what comes before a name its title: "Home Secretary Suella Braverman".
_TITLES = {"president", "minister", "secretary", "ambassador", "administrator", "senator"}
_TITLES |= {"governor", "mayor", "chancellor", "professor", "chairman", "chairwoman", "chair"}
_TITLES |= {"director", "spokesperson", "spokesman", "spokeswoman", "captain", "coach"}
_TITLES |= {"judge", "general", "commissioner", "ceo", "chief", "dr", "mr", "mrs", "ms", "prof"}
_TITLES |= {"sen", "rep", "gov", "mp", "king", "queen", "prince", "princess", "pope"}
# Capitalised, but no one's name: the days and months that date the story.
_CALENDAR = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
_CALENDAR |= {"january", "february", "march", "april", "may", "june", "july", "august", "september"}
_CALENDAR |= {"october", "november", "december"}


def _words(text: str) -> list[str]:
    """The words of ``text``, as compared: NFKC-normalised and case-folded."""
    if unicodedata.is_normalized("NFKC", text):  # the common case, and 5x faster
        return [word.casefold() for word in _WORD.findall(text)]
    return [unicodedata.normalize("NFKC", word).casefold() for word in _WORD.findall(text)]


class ArticleIndex:
    """An article prepared once for many grounding look-ups."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._matches = list(_WORD.finditer(text))
        if unicodedata.is_normalized("NFKC", text):  # the common case, and 5x faster
            self._words = [m.group().casefold() for m in self._matches]
        else:
            self._words = [
                unicodedata.normalize("NFKC", m.group()).casefold() for m in self._matches
            ]
        # For each quotation in the article, the indexes of the words inside it.
        starts = [m.start() for m in self._matches]
        self._quotations: list[range] = []
        for quoted in _QUOTED.finditer(text):
            first = last = bisect.bisect_left(starts, quoted.start())
            while last < len(self._matches) and self._matches[last].end() <= quoted.end():
                last += 1
            if last > first:
                self._quotations.append(range(first, last))
        # Where each word occurs, for finding runs without scanning the whole article.
        self._positions: dict[str, list[int]] = {}
        for i, word in enumerate(self._words):
            self._positions.setdefault(word, []).append(i)
        # Paragraphs (blank-line separated): the words of each, and each word's paragraph.
        breaks = [m.start() for m in re.finditer("\n\n", text)]
        bounds = list(zip([0, *breaks], [*breaks, len(text)], strict=True))
        self._paragraph_of = [bisect.bisect_left(breaks, start) for start in starts]
        self._paragraph_words = [set(_words(text[a:b])) for a, b in bounds]
        self._paragraph_is_pronoun_led = [
            bool(_PRONOUN.match(text[a:b].strip())) for a, b in bounds
        ]

    @staticmethod
    @lru_cache(maxsize=32)
    def of(text: str) -> ArticleIndex:
        """The index of ``text``, built once (a brief needs it for its prompt and its checks)."""
        return ArticleIndex(text)

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

    @cached_property
    def _sentence_spans(self) -> list[tuple[int, int]]:
        return sentence_spans(self.text)

    @cached_property
    def sentences(self) -> list[str]:
        """The article's sentences, in order (sentencex's rules, which keep "U.S. President"
        and a quotation's closing mark whole)."""
        return [self.text[start:end] for start, end in self._sentence_spans]

    def supporting_sentences(self, point: str, most: int = 2) -> list[str]:
        """The article sentences that state ``point``, in the article's order: the one that
        holds most of its naming words, then, while those held are fewer than
        MIN_SUPPORT of them, the one holding most of the rest (up to ``most``); none
        when no sentence holds any. A word in fewer sentences weighs more: "together"
        tells where a point about working together is stated; "Trump", in most of the
        article's sentences, does not."""
        wanted = naming_words(point)
        missing, chosen = set(wanted), []
        while len(chosen) < most and len(wanted - missing) < MIN_SUPPORT * len(wanted):
            scores = [
                sum(1 / self._sentence_count[w] for w in missing & words)
                for words in self._sentence_words
            ]
            best = max(range(len(scores)), key=scores.__getitem__, default=None)
            if best is None or not scores[best]:
                break
            chosen.append(best)
            missing -= self._sentence_words[best]
        return [self.sentences[i] for i in sorted(chosen)]

    @cached_property
    def _sentence_count(self) -> Counter[str]:
        """For each word, the number of the article's sentences that have it."""
        return Counter(word for words in self._sentence_words for word in words)

    @cached_property
    def _sentence_words(self) -> list[set[str]]:
        return [_stems(sentence) for sentence in self.sentences]

    @cached_property
    def names(self) -> list[tuple[str, int]]:
        """The proper names the article uses, each with how often, most often first (the
        first named first on a tie). A name is a run of capitalised words. Not a name: a
        word capitalised only because it starts a sentence ("According", "Then": the
        article writes it in lower case too, or capitalises it nowhere else), a one-word
        name the article also writes in lower case ("Church" beside "church"), a day or
        month, a title before a name ("US President" before "Donald Trump"). A surname
        alone counts for the fullest name it ends ("Trump" for "Donald Trump").

        Found by letter case, so a hint and not a list of entities: the prompt gives
        it to the model as the candidates for actors and places."""
        runs = []
        for start, end in self._sentence_spans:
            sentence = self.text[start:end]
            for found in _NAME.finditer(sentence):
                before = sentence[: found.start()].rstrip()
                # The first word of a sentence, or of a quotation, is capitalised anyway.
                first = not before or before[-1] in "\u201c\u2018(-\u2014:"
                # After a straight quote mark that opens a quotation, not one that closes it.
                first = first or (before[-1] in "\"'" and before.count(before[-1]) % 2 == 1)
                runs.append((found.group().split(), first))
        capitalised_inside = {w for words, first in runs for w in words[first:]}
        lower_case = set(re.findall(r"\b[a-z][\w'\u2019-]*", self.text))
        not_one_word_names = _CALENDAR | _TITLES | lower_case
        counts: Counter[str] = Counter()
        for words, first in runs:
            words = [_POSSESSIVE.sub("", word) for word in words]
            while words and (
                words[0].casefold().replace("\u2019", "'") in _NOT_NAME_START
                or (first and words[0].casefold() in lower_case)
            ):
                words, first = words[1:], False
            # "US President Donald Trump": what comes up to a title, before a name of
            # two words or more, is no part of the name.
            titles = [i for i, word in enumerate(words[:-2]) if word.casefold() in _TITLES]
            if titles and all(w[0].isupper() for w in words[titles[-1] + 1 :]):
                words = words[titles[-1] + 1 :]
            if len(words) == 1 and (
                len(words[0]) < 2
                or words[0].casefold() in not_one_word_names
                or (first and words[0] not in capitalised_inside)
            ):
                continue
            if words:
                counts[" ".join(words)] += 1
        names = Counter(counts)
        surnames = {name: _surname(name) for name in counts}
        full_names = [name for name, surname in surnames.items() if surname is None]
        for name, count in counts.items():
            surname = surnames[name]
            if surname is None:
                continue
            fuller = [n for n in full_names if n.split()[-1] == surname]
            if fuller:
                names[max(fuller, key=counts.__getitem__)] += count
                del names[name]
        return names.most_common()

    def passage(self, quote: str) -> str | None:
        """The article's own text for ``quote``, or None when its words are not in the article."""
        words = _words(quote)
        start = self._find(words)
        if start is None:
            return None
        return self._span(start, start + len(words) - 1)

    def longest_passage(self, quote: str) -> tuple[str, float]:
        """The longest run of the quote's words that the article has verbatim, as the
        article's text, and the share of the quote's words it covers."""
        words = _words(quote)
        start, size = self._longest_run(words)
        if not size:
            return "", 0.0
        return self._span(start, start + size - 1), size / len(words)

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

    def quotation(self, quote: str, speaker: list[str] | None = None) -> str | None:
        """The part of ``quote`` that the article has inside quotation marks, as the article's
        text. None when less than MIN_VERBATIM_SHARE of ``quote`` is verbatim article text,
        or when the quoted part is neither a whole quotation nor MIN_QUOTE_WORDS words.

        A model asked for what a person said often wraps the quotation in the
        sentence that reports it; only the quoted words are the person's. With
        ``speaker`` (the names of who is said to speak), a quotation counts only
        when its paragraph, or the one before, names the speaker, and its sentence
        does not say that someone else said it ("Trump told reporters" is not Putin's
        quotation, though the sentence names Putin).
        """
        words = _words(quote)
        start, size = self._longest_run(words)
        if not size or size < MIN_VERBATIM_SHARE * len(words):
            return None
        matched = range(start, start + size)
        best: range = range(0)
        surnames = {words[-1] for words in map(_words, speaker or []) if words}
        for quotation in self._quotations:
            if speaker and (
                not self._names_near(surnames, quotation.start)
                or self._said_by_another(surnames, quotation)
            ):
                continue
            overlap = range(max(matched.start, quotation.start), min(matched.stop, quotation.stop))
            if len(overlap) > len(best) and (
                len(overlap) >= MIN_QUOTE_WORDS or overlap == quotation
            ):
                best = overlap
        if not best:
            return None
        first, last = self._matches[best.start], self._matches[best.stop - 1]
        return self.text[first.start() : last.end()]

    @property
    def quotations(self) -> list[str]:
        """Every passage the article puts in quotation marks, in order."""
        return [
            self.text[self._matches[q.start].start() : self._matches[q.stop - 1].end()]
            for q in self._quotations
        ]

    def _said_by_another(self, surnames: set[str], quotation: range) -> bool:
        """True when the sentence holding ``quotation`` names who said it ("Trump told",
        "said Reyes") and none of ``surnames`` is in that name."""
        said_by = self._said_by[quotation.start]
        # "Ms Bauchtman said" is Lydia Buchtmann's: the article spells her two ways.
        return bool(said_by) and not any(
            a == b or _near_spelling(a, b) for a in surnames for b in said_by
        )

    @cached_property
    def _said_by(self) -> dict[int, set[str]]:
        """For each quotation (by its first word), the words of whom its sentence says
        said it. Only the article's proper names count ("Officials said" names no one;
        see ``names``)."""
        starts = [first for first, _ in self._sentence_spans]
        said_by = {}
        for quotation in self._quotations:
            at = self._matches[quotation.start].start()
            first, last = self._sentence_spans[max(bisect.bisect_right(starts, at) - 1, 0)]
            narration = _QUOTED.sub(" ", self.text[first:last])
            words = set()
            for found in _SAID_BY.finditer(narration):
                words |= set(_words(found.group("before") or found.group("after")))
            said_by[quotation.start] = words & self._name_words
        return said_by

    @cached_property
    def _name_words(self) -> set[str]:
        return {word for name, _ in self.names for word in _words(name)}

    def _names_near(self, surnames: set[str], word: int) -> bool:
        """True when the paragraph holding word number ``word`` has one of ``surnames`` (the
        last word of a name: "Kremlin" in "the Kremlin"), or starts with a pronoun ("He
        added ...") and the paragraph before has it."""
        paragraph = self._paragraph_of[word]
        if surnames & self._paragraph_words[paragraph]:
            return True
        if self._paragraph_is_pronoun_led[paragraph] and paragraph > 0:
            return bool(surnames & self._paragraph_words[paragraph - 1])
        return False

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
        if size >= 2 and size >= len(words) / 2:
            return True
        # A one-word country or people the article names by its demonym, or a people
        # named in the plural that the article names in the singular ("Rohingyas").
        return (
            len(words) == 1
            and len(words[0]) >= _MIN_DEMONYM_STEM
            and (
                any(words[0] + ending in self._positions for ending in _DEMONYM_ENDINGS)
                or (words[0].endswith("s") and words[0][:-1] in self._positions)
            )
        )

    def only_describes(self, name: str) -> bool:
        """True for a one-word name shaped like a people's adjective that the article
        writes only before the word it describes ("European counterparts", "English
        captain"): no actor, though capitalised. "English, the language" or "Russian
        officials said" have it stand alone, or before a word no noun is."""
        if " " in name.strip() or not name.endswith(_ADJECTIVE_ENDINGS):
            return False
        found = list(re.finditer(rf"(?<![\w-]){re.escape(name)}(?![\w-])", self.text))
        for match in found:
            after = _NEXT_WORD.match(self.text, match.end())
            if after is None or after.group(1) in _FUNCTION_WORDS:
                return False
        return bool(found)

    def name_misspelt(self, name: str) -> str | None:
        """The article's text for a name the model misspelt: as many words, one of them
        the same, and each other one a near spelling of the article's ("Fujad Basya"
        for "Fuad Basya"); None when the article has no such name."""
        words = _words(name)
        for start in range(len(self._words) - len(words) + 1):
            found = self._words[start : start + len(words)]
            if any(a == b for a, b in zip(words, found, strict=True)) and all(
                a == b or _near_spelling(a, b) for a, b in zip(words, found, strict=True)
            ):
                return self._span(start, start + len(words) - 1)
        return None

    def has_proper_name(self, name: str) -> bool:
        """True when the article names ``name`` (see has_name) and writes it with a
        capital, as a proper name: "Port Alder", but not "the city" or "country",
        words a small model copies from the prompt's description of a place."""
        passage = self.passage(name)
        if passage is None:  # named another way (see has_name), or not at all
            return self.has_name(name)
        return any(c.isupper() for c in passage)


def _surname(name: str) -> str | None:
    """The one word of a name that may be a surname: the name alone ("Key") or after a
    title ("Mr Key", "Professor Burrows"); None for a fuller name."""
    words = name.split()
    if len(words) == 2 and words[0].rstrip(".").casefold() in _TITLES:
        words = words[1:]
    return words[0] if len(words) == 1 else None


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Where each sentence of ``text`` starts and ends, spaces left out.

    English rules serve every language here: they split at a stop, question or
    exclamation mark before a new sentence, which most languages share.
    """
    spans, start = [], 0
    for segment in sentencex.segment("en", text):
        end = start + len(segment)
        stripped = segment.strip()
        if stripped:
            first = start + segment.index(stripped)
            spans.append((first, first + len(stripped)))
        start = end
    return spans


# Snowball's English stemmer ("saved" and "save" are "save", "expects" and "expected"
# "expect"). A stemmer object is not thread-safe: the lock is taken only for words not
# yet cached.
_STEMMER = snowballstemmer.stemmer("english")
_STEMMING = threading.Lock()


@lru_cache(maxsize=1 << 16)
def _stem(word: str) -> str:
    with _STEMMING:
        return _STEMMER.stemWord(word)


def _stems(text: str) -> set[str]:
    """The stems of the words of ``text``, so that "expects" and "expected" compare equal."""
    return {_stem(word) for word in _words(text)}


def naming_words(text: str) -> set[str]:
    """The stems of the words of ``text`` that say what it is about (all but the most
    common ones)."""
    return {_stem(word) for word in _words(text) if word not in _FUNCTION_WORDS}


def support(point: str, passages: list[str]) -> float:
    """The share of the naming words of ``point`` that ``passages`` hold: how much of what
    it says the article says there. 0.0 for a point with none ("It was."): it states
    nothing the article could hold, and would get no evidence."""
    wanted = naming_words(point)
    held = _stems(" ".join(passages))
    return len(wanted & held) / len(wanted) if wanted else 0.0


def _near_spelling(word: str, other: str) -> bool:
    """True when two words of MIN_SPELT_LETTERS or more differ by a letter or two
    (SequenceMatcher's ratio of NEAR_SPELLING or more)."""
    if min(len(word), len(other)) < MIN_SPELT_LETTERS or word.isdigit() or other.isdigit():
        return False
    return SequenceMatcher(None, word, other).ratio() >= NEAR_SPELLING


def name_key(name: str) -> str:
    """The form in which two names are compared: words only, case folded."""
    return " ".join(_words(name))


def one_word_alike(name: str, other: str) -> bool:
    """True for one-word names of one country or people, a name and its demonym or
    plural, as has_name takes them: "Russia" and "Russian", "Rohingya" and "Rohingyas"."""
    short, long = sorted((name_key(name), name_key(other)), key=len)
    return (
        " " not in long
        and len(short) >= _MIN_DEMONYM_STEM
        and any(short + ending == long for ending in _DEMONYM_ENDINGS)
    )
