"""Speakers: the verb of saying that governs a quotation, and the entity its subject names
(a name, a pronoun's antecedent, a title, a statement's author)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from summarize._analysis.entities import SUBJECTS
from summarize._analysis.facts import Entity, name_key

if TYPE_CHECKING:
    from spacy.tokens import Span, Token

# Lemmas of the verbs that report speech or writing (textacy's reporting verbs, and
# those a news story uses for a statement: "posted", "tweeted", "vowed").
REPORTING_VERBS = frozenset(
    [
        "say",
        "tell",
        "add",
        "write",
        "state",
        "insist",
        "ask",
        "explain",
        "announce",
        "claim",
        "note",
        "warn",
        "argue",
        "reply",
        "declare",
        "respond",
        "comment",
        "acknowledge",
        "admit",
        "confirm",
        "deny",
        "recall",
        "describe",
        "suggest",
        "urge",
        "post",
        "tweet",
        "report",
        "continue",
        "conclude",
        "call",
        "vow",
        "pledge",
        "predict",
        "complain",
        "stress",
        "emphasise",
        "emphasize",
        "remark",
        "observe",
        "shout",
        "testify",
        "concede",
        "boast",
        "quip",
        "joke",
        "promise",
        "assert",
        "maintain",
        "caution",
        "counter",
        "retort",
        "whisper",
        "yell",
        "demand",
        "characterise",
        "characterize",
        "read",
    ]
)
# A verb of saying right after a quotation's closing mark, this near, says who spoke it.
_AFTER_CLOSING_TOKENS = 5
# Nouns for a text that speaks for its author: "Cornyn's statement added", "X issued a
# statement. '...'", "The Home Office letter reads".
_STATEMENT_NOUNS = {"statement", "letter", "analysis", "report", "release", "post", "blog"}
_STATEMENT_NOUNS |= {"tweet", "memo", "note", "message", "editorial", "column", "study"}
# A colon after these introduces examples, not words said ('including: "..."').
_LISTING_WORDS = {"including", "include", "includes", "follows", "example", "examples"}


def _lemma(token: Token) -> str:
    """The verb's lemma, from its form: the pipeline's lemmatizer is not loaded."""
    word = token.lower_
    irregular = {"said": "say", "told": "tell", "wrote": "write", "written": "write"}
    if word in irregular:
        return irregular[word]
    for ending, stem in (
        ("ies", "y"),
        ("ied", "y"),
        ("ing", ""),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
    ):
        if word.endswith(ending) and len(word) > len(ending) + 2:
            base = word[: -len(ending)] + stem
            for candidate in (base, base + "e", base[:-1] if base[-1:] == base[-2:-1] else base):
                if candidate in REPORTING_VERBS:
                    return candidate
    return word


def _is_reporting(token: Token) -> bool:
    if _lemma(token) in REPORTING_VERBS:
        # The small tagger reads a sentence's "notes" or "claims" as a plural noun.
        return token.tag_.startswith("VB") or (token.dep_ == "ROOT" and token.tag_ == "NNS")
    # "Cornyn issued a statement": a verb whose object is a statement reports too.
    return token.tag_.startswith("VB") and any(
        c.dep_ == "dobj" and c.lower_ in _STATEMENT_NOUNS for c in token.children
    )


def _subject(verb: Token) -> Token | None:
    subject = next((c for c in verb.children if c.dep_ in SUBJECTS), None)
    if (
        subject is None
        and verb.dep_ in ("conj", "xcomp", "advcl")
        and verb.head.tag_.startswith("VB")
    ):
        return _subject(verb.head)  # "Trump ... and added": the subject of the first verb
    if subject is None and verb.tag_ == "NNS":  # "The Department notes" read as a noun
        subject = next((c for c in verb.lefts if c.dep_ in ("nmod", "compound")), None)
    after = verb.nbor(1) if verb.i + 1 < len(verb.doc) else None
    if subject is None and after is not None and after.tag_ == "NNP" and verb.nbor(-1).is_punct:
        return after  # '"...", added KCNA': an inverted subject the parser attached elsewhere
    return subject


def reporting_verb(span: Span, quoted: set[int]) -> Token | None:
    """The verb of saying whose subject spoke the quotation in ``span``, outside any
    quotation and with a subject outside them too: in the sentences the quotation
    touches, in the sentence before when that ends in ":" or "," ('Trump wrote on Truth
    Social: "..."'), or right after the closing mark ('"...," he said.'); the one that
    governs the quotation first, else the nearest. "according to X" and "in the words
    of X" count."""
    doc = span.doc
    first, last = span[0].sent, span[-1].sent
    tokens = [t for sentence in {first, last} for t in sentence]
    if first.start > 0:
        previous = doc[first.start - 1].sent
        # 'Wilkins also said Warhol was an artist. "As a way to ..."': a quotation that
        # opens its sentence continues a sentence of saying just before it.
        opens = (
            span.start - first.start <= 1 and "\n" not in doc[previous.end - 1 : span.start].text
        )
        if previous.text.rstrip().endswith((":", ",")) or (opens and _is_reporting(previous.root)):
            tokens += list(previous)
    tokens += list(doc[span.end : min(span.end + _AFTER_CLOSING_TOKENS, len(doc))])
    candidates = []
    for token in dict.fromkeys(tokens):
        if token.i in quoted:
            continue
        if (token.lower_ == "according" and any(c.lower_ == "to" for c in token.children)) or (
            token.lower_ == "words" and any(c.lower_ == "of" for c in token.children)
        ):
            candidates.append(token)
        elif _is_reporting(token):
            subject = _subject(token)
            if subject is not None and subject.i not in quoted:
                candidates.append(token)
    if not candidates:  # else a colon introduction: 'Sunak defended the record: "..."'
        return _introduced_by_colon(span, quoted)

    def distance(verb: Token) -> tuple[int, int]:
        governs = verb.left_edge.i <= span.start and span.end - 1 <= verb.right_edge.i
        gap = min(abs(verb.i - span.start), abs(verb.i - (span.end - 1)))
        return (0 if governs else 1, gap)

    return min(candidates, key=distance)


def _introduced_by_colon(span: Span, quoted: set[int]) -> Token | None:
    """The main verb of the clause that introduces a quotation with a colon, when it has a
    subject ('Sunak defended the record: "..."'); not a list's colon ('including:')."""
    doc = span.doc
    i = span.start - 1
    while i > 0 and doc[i].text != ":" and (doc[i].is_punct or doc[i].is_space):
        i -= 1
    if i < 1 or doc[i].text != ":" or doc[i - 1].lower_ in _LISTING_WORDS:
        return None
    verb = doc[i - 1].sent.root
    subject = _subject(verb) if verb.tag_.startswith("VB") and verb.i not in quoted else None
    return verb if subject is not None and subject.i not in quoted else None


def _modifies(token: Token) -> bool:
    """True for a name that only modifies another noun ("the Cruise video"): not a referent
    a later pronoun continues."""
    return token.dep_ in ("compound", "amod") and token.head.ent_iob_ in ("", "O")


def _named(token: Token, entities: list[Entity], entity_at: dict[int, Entity]) -> Entity | None:
    """The entity a token names: as tagged, else a proper noun written as a known entity's
    name (the small pipeline misses some mentions of a name it tags elsewhere)."""
    entity = entity_at.get(token.i)
    if entity is not None or not (token.tag_.startswith("NN") and token.text[:1].isupper()):
        return entity
    words = [t.text for t in token.lefts if t.dep_ == "compound" and t.tag_ == "NNP"]
    key = name_key(" ".join([*words, token.text]))
    found = [e for e in entities if key in map(name_key, e.names)]
    # A surname alone names the one person of that surname ("Whitmore").
    found = found or [
        e for e in entities if e.kind == "person" and name_key(e.name).endswith(" " + key)
    ]
    return found[0] if len(found) == 1 else None


def _of_statement(
    subject: Token, entities: list[Entity], entity_at: dict[int, Entity]
) -> Entity | None:
    """The author of a statement that is the subject ("Cornyn's statement added", "The Home
    Office letter reads"): the entity named as its possessor or its modifier."""
    if subject.lower_ not in _STATEMENT_NOUNS:
        return None
    for child in (c for c in subject.children if c.dep_ in ("poss", "compound")):
        if (entity := _named(child, entities, entity_at)) is not None and entity.kind != "place":
            return entity
    return None


def speaker_of(
    verb: Token,
    quotation: Span,
    quoted: set[int],
    entities: list[Entity],
    entity_at: dict[int, Entity],
) -> Entity | None:
    if verb.lower_ in ("according", "words"):  # "according to X", "in the words of X"
        linking = next(c for c in verb.children if c.lower_ in ("to", "of"))
        subject = next((c for c in linking.children if c.dep_ == "pobj"), None)
    else:
        subject = _subject(verb)
    if subject is None:
        return None
    named = _named(subject, entities, entity_at)
    if named is not None:
        return named
    if (author := _of_statement(subject, entities, entity_at)) is not None:
        return author
    not_named = {e.name for t in quotation if (e := entity_at.get(t.i)) is not None}
    if subject.tag_ == "PRP":
        wanted = {"he": "person", "she": "person", "it": "organization"}.get(subject.lower_)
        return (
            _antecedent(subject, wanted, quoted, entities, entity_at, not_named) if wanted else None
        )
    # "Governor of Washington Chris Gregoire said", "academic and professor Marc Lamont Hill
    # commented": the one person named in the subject, not as someone's (a possessive).
    people = {
        e.name: e
        for t in subject.subtree
        if (e := entity_at.get(t.i)) is not None
        and e.kind == "person"
        and t.i not in quoted
        and not any(
            a.dep_ == "poss"
            for a in [t, *t.ancestors]
            if a.i != subject.i and subject in a.ancestors
        )
    }
    if len(people) == 1:
        return next(iter(people.values()))
    if subject.tag_.startswith("NN"):
        return _titled(subject, entities, entity_at, quoted)
    return None


def _antecedent(
    pronoun: Token,
    kind: str,
    quoted: set[int],
    entities: list[Entity],
    entity_at: dict[int, Entity],
    not_named: set[str],
) -> Entity | None:
    """The entity a pronoun stands for, of its kind, named outside a quotation and not in
    the quotation it introduces (a speaker rarely names themself): the subject of the
    main clause of its own sentence, then of the sentence before (the centre of
    attention a pronoun continues), else the one named last before it."""
    kinds = ("person",) if kind == "person" else ("organization", "country", "group")
    doc = pronoun.doc

    def fits(i: int) -> Entity | None:
        entity = _named(doc[i], entities, entity_at)
        if entity is None or i in quoted or entity.kind not in kinds or _modifies(doc[i]):
            return None
        return None if entity.name in not_named else entity

    sentence = pronoun.sent
    previous = doc[sentence.start - 1].sent if sentence.start > 0 else None
    for current in (sentence, previous):
        for subject in (c for c in current.root.children if c.dep_ in SUBJECTS) if current else ():
            found = fits(subject.i) if subject.i < pronoun.i else None
            if found is not None:
                return found
    # Else the one named last, within the sentence before and the one before that.
    start = previous.start if previous is not None else sentence.start
    earlier = doc[start - 1].sent.start if start > 0 else 0
    for i in range(pronoun.i - 1, earlier - 1, -1):
        found = fits(i)
        if found is not None:
            return found
    return None


def _titled(
    noun: Token, entities: list[Entity], entity_at: dict[int, Entity], quoted: set[int]
) -> Entity | None:
    """The person a common noun subject names by title: "the minister said" is the
    minister the article named last before it."""
    word = noun.lower_
    titled = {e.name for e in entities if any(word in t.lower().split() for t in e.titles)}
    if not titled:
        return None
    for i in range(noun.i - 1, -1, -1):
        entity = entity_at.get(i)
        if entity is not None and i not in quoted and entity.name in titled:
            return entity
    return None
