"""Article extraction from real news pages against their human-checked text.

    python bench/extraction.py [../shared/data/html_pages]

For each page: token-overlap precision, recall and F1 (multisets of lowercased
words) between the text ``summarize`` extracts (trafilatura, via read_article)
and the page's ``articleBody`` in ground_truth.json, with the title, date and
author found and the time taken.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarize._article import read_article  # noqa: E402

_WORD = re.compile(r"\w+")


def overlap(extracted: str, truth: str) -> tuple[float, float, float]:
    got, want = Counter(_WORD.findall(extracted.lower())), Counter(_WORD.findall(truth.lower()))
    common = sum((got & want).values())
    precision = common / max(sum(got.values()), 1)
    recall = common / max(sum(want.values()), 1)
    f1 = 2 * precision * recall / (precision + recall) if common else 0.0
    return precision, recall, f1


def main() -> None:
    pages = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / "shared/data/html_pages")
    truth = json.loads((pages / "ground_truth.json").read_text(encoding="utf-8"))
    read_article(pages / f"{next(iter(truth))}.html")  # first import out of the timings
    print("| page | words (truth) | precision | recall | F1 | title | date | author | s |")
    print("|---|---|---|---|---|---|---|---|---|")
    scores = []
    for name, page in truth.items():
        started = time.perf_counter()
        article = read_article(pages / f"{name}.html")
        seconds = time.perf_counter() - started
        p, r, f1 = overlap(article.text, page["articleBody"])
        scores.append(f1)
        print(
            f"| {name} | {len(article.text.split())} ({len(page['articleBody'].split())}) | "
            f"{p:.3f} | {r:.3f} | {f1:.3f} | {article.title} | {article.date} | "
            f"{article.author or '-'} | {seconds:.2f} |"
        )
    print(f"\nmean F1 {sum(scores) / len(scores):.3f}")


if __name__ == "__main__":
    main()
