"""The analysis step's cost on the demo article, each round in a fresh process.

    python bench/analysis.py [--rounds 5]

Prints, for each round: importing spaCy, loading the English pipeline (and the
country gazetteer), and analysing the demo article (parse, entities, quotations,
dates); then the medians. Figures go in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUND = """
import json, time
started = time.perf_counter()
import spacy
imported = time.perf_counter()
from summarize.analysis import _Gazetteer, analyse, english_pipeline
from summarize.article import read_article
english_pipeline(); _Gazetteer.get()
loaded = time.perf_counter()
article = read_article("fixtures/articles/trump-putin-call-2025-02-13.txt")
analysis = analyse(article.text, article.date)
done = time.perf_counter()
print(json.dumps({"import": imported - started, "load": loaded - imported,
                  "analyse": done - loaded, "entities": len(analysis.entities)}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rounds = []
    for _ in range(args.rounds):
        out = subprocess.run(
            [sys.executable, "-c", ROUND], cwd=ROOT, capture_output=True, text=True, check=True
        )
        rounds.append(json.loads(out.stdout))
        print(rounds[-1])
    for key in ("import", "load", "analyse"):
        print(f"{key}: median {statistics.median(r[key] for r in rounds):.3f} s")
    total = statistics.median(r["load"] + r["analyse"] for r in rounds)
    print(f"load + analyse: median {total:.3f} s (spaCy's import not counted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
