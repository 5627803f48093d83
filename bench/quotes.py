"""Quote attribution by code alone, scored against a hand-labelled gold set.

    python bench/quotes.py [--gum ../shared/data/gum_news/gum_news_24.jsonl] [-v]

The gold (bench/gold/quotations.jsonl, see its README) lists every span inside
quotation marks of the 24 GUM articles and the project's own articles, with
its kind and its speaker, labelled by reading them. The analysis
(summarize/_analysis/) is run on each article and its quotations matched to
the gold's by their opening words.

- precision: of the quotations the analysis gives a speaker, the share whose
  speaker is the gold's (a speaker given to a title, a scare quote or a
  quotation the article attributes to no one counts against it);
- recall: of the gold's quotations and partial quotations with a named speaker,
  the share the analysis attributes to that speaker.
Exits non-zero when an article cannot be read or the targets (0.95, 0.90) are missed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarize._analysis import analyse  # noqa: E402
from summarize._article import Article, read_article  # noqa: E402

GOLD = ROOT / "bench/gold/quotations.jsonl"
GUM = ROOT.parent / "shared/data/gum_news/gum_news_24.jsonl"
TARGETS = {"precision": 0.95, "recall": 0.90}
_MARKS = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.translate(_MARKS).casefold())


def same_speaker(gold: str, names: list[str]) -> bool:
    """The gold speaker's name and one of the entity's names are one name, or one ends the
    other ("Trump" for "Donald Trump"); a leading "the" is not compared."""
    wanted = [w for w in words(gold) if w != "the"]
    for name in names:
        own = [w for w in words(name) if w != "the"]
        if own and wanted and (own == wanted[-len(own) :] or wanted == own[-len(wanted) :]):
            return True
    return False


def articles(gum: Path | None) -> dict[str, Article]:
    """The gold's articles: the GUM ones (when ``gum`` is given) and the project's own."""
    found = {}
    for line in gum.read_text(encoding="utf-8").splitlines() if gum else []:
        record = json.loads(line)
        found[record["id"]] = Article.from_text(record["text"])
    for path in sorted((ROOT / "fixtures/articles").glob("*.txt")):
        found[f"fixtures/articles/{path.name}"] = read_article(path)
    return found


@dataclass
class Score:
    """Counts over the gold's quotations, and the mistakes."""

    attributed: int = 0  # quotations the analysis gives a speaker
    correct: int = 0  # of those, the gold's speaker
    wanted: int = 0  # gold quotations and partial quotations with a named speaker
    mistakes: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.correct / self.attributed if self.attributed else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.wanted if self.wanted else 0.0


def load_gold() -> list[dict]:
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line]


def score(texts: dict[str, Article], gold: list[dict]) -> Score:
    """The analysis of each article in ``texts`` scored against its ``gold`` labels."""
    result = Score()
    for article_id in dict.fromkeys(g["article"] for g in gold if g["article"] in texts):
        article = texts[article_id]
        analysis = analyse(article.text, article.date)
        for label in (g for g in gold if g["article"] == article_id):
            opening = words(label["opening"])
            matching = [q for q in analysis.quotations if words(q.text)[: len(opening)] == opening]
            quotation = matching[label["n"] - 1] if len(matching) >= label["n"] else None
            speaker = quotation.speaker if quotation else None
            entity = analysis.entity(speaker) if speaker else None
            named = label["kind"] in ("quote", "partial") and label["speaker"]
            right = (
                bool(named) and entity is not None and same_speaker(label["speaker"], entity.names)
            )
            result.wanted += bool(named)
            result.attributed += speaker is not None
            result.correct += right
            if bool(named) != right or (speaker and not right):
                result.mistakes.append(
                    f"{article_id}: {label['opening']!r} ({label['kind']}): gold "
                    f"{label['speaker']!r}, found {speaker!r}"
                    + ("" if quotation else " (quotation not found)")
                )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gum", type=Path, default=GUM)
    parser.add_argument("-v", "--verbose", action="store_true", help="print every mistake")
    args = parser.parse_args()
    gold = load_gold()
    result = score(articles(args.gum), gold)
    if args.verbose:
        print("\n".join(result.mistakes))
    print(
        f"quotations in the gold: {len(gold)}; with a named speaker: {result.wanted}\n"
        f"attributed by the analysis: {result.attributed}, correctly: {result.correct}\n"
        f"precision {result.precision:.3f} (target {TARGETS['precision']}), "
        f"recall {result.recall:.3f} (target {TARGETS['recall']})"
    )
    met = result.precision >= TARGETS["precision"] and result.recall >= TARGETS["recall"]
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
