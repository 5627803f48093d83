"""Which actors and places a brief lists, scored without a model: they come from the
analysis in code (``summarize/_facts.py``), so their recall is the brief's.

    python bench/actors.py ../shared/data/gum_news/gum_news_24.jsonl [--missed]

Salient recall and precision as ``bench/eval.py`` scores them (the same matching),
per article and in total, in seconds for the whole dataset; ``--missed`` lists the
salient entities no actor or place names, and the actors no gold entity matches.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from eval import ACTOR_TYPES, gold_entities, matches  # noqa: E402

from summarize._article import Article  # noqa: E402
from summarize._facts import facts_of  # noqa: E402
from summarize._schema import MAX_ALIASES  # noqa: E402


def score(record: dict) -> dict:
    facts = facts_of(Article.from_text(record["text"]))
    actors = [[a.name, *a.aliases[:MAX_ALIASES]] for a in facts.actors]
    named = actors + [[place] for place in facts.places]
    gold = gold_entities(record)
    salient = [e for e in gold if e["salient"] and e["type"] in ACTOR_TYPES]
    return {
        "id": record["id"],
        "salient": len(salient),
        "missed": [e["name"] for e in salient if not any(matches(n, e) for n in named)],
        "actors": len(actors),
        "not_in_gold": [n[0] for n in actors if not any(matches(n, e) for e in gold)],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--missed", action="store_true", help="list what was missed")
    args = parser.parse_args()
    records = [json.loads(line) for line in args.dataset.read_text().splitlines() if line]
    rows = [score(record) for record in records]
    salient = sum(r["salient"] for r in rows)
    found = salient - sum(len(r["missed"]) for r in rows)
    actors = sum(r["actors"] for r in rows)
    in_gold = actors - sum(len(r["not_in_gold"]) for r in rows)
    for row in rows:
        line = f"{row['id']}: {row['salient'] - len(row['missed'])}/{row['salient']} salient"
        if args.missed and (row["missed"] or row["not_in_gold"]):
            line += f"; missed {row['missed']}; not in gold {row['not_in_gold']}"
        print(line)
    print(
        f"salient recall {found}/{salient} = {found / max(salient, 1):.2f}; "
        f"actors in gold {in_gold}/{actors} = {in_gold / max(actors, 1):.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
