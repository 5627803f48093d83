"""The analysis step's cost on the demo article, each round in a fresh process.

    python bench/analysis.py [--rounds 5]

Prints, for each round: importing spaCy, loading the English pipeline (and the
country gazetteer), and analysing the demo article (parse, entities, quotations,
dates), in wall-clock seconds and in the process's CPU seconds (``_cpu``: less
moved by other work on the machine); then the medians. Figures go in
bench/RESULTS.md.
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
clocks = lambda: (time.perf_counter(), time.process_time())
started = clocks()
import spacy
imported = clocks()
from summarize._analysis import analyse, english_pipeline
from summarize._analysis.gazetteer import Gazetteer
from summarize._article import read_article
english_pipeline(); Gazetteer.get()
loaded = clocks()
article = read_article("fixtures/articles/trump-putin-call-2025-02-13.txt")
analysis = analyse(article.text, article.date)
done = clocks()
print(json.dumps({"import": imported[0] - started[0], "load": loaded[0] - imported[0],
                  "analyse": done[0] - loaded[0], "load_cpu": loaded[1] - imported[1],
                  "analyse_cpu": done[1] - loaded[1], "entities": len(analysis.entities)}))
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
    for key in ("import", "load", "analyse", "load_cpu", "analyse_cpu"):
        print(f"{key}: median {statistics.median(r[key] for r in rounds):.3f} s")
    total = statistics.median(r["load"] + r["analyse"] for r in rounds)
    cpu = statistics.median(r["load_cpu"] + r["analyse_cpu"] for r in rounds)
    print(f"load + analyse: median {total:.3f} s, CPU {cpu:.3f} s (spaCy's import not counted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
