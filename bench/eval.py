"""Quality you can measure: brief a dataset of articles with gold data, then score it.

    python bench/eval.py DATASET.jsonl -o bench/runs/NAME.jsonl [-m MODEL] [batch options]
    python bench/eval.py DATASET.jsonl -o bench/runs/NAME.jsonl --score-only

The briefs are made by ``summarize batch`` (progress, resume: run it again to
go on), then scored against the dataset (the GUM format of
../shared/data/gum_news/gum_news_24.jsonl):

- grounding: the share of evidence and quotes found word for word in the
  article, checked again here (must be 100 % for every brief returned), and
  the re-ask rate (attempts beyond the first);
- salient-actor recall: gold people, organisations and places that at least 3
  of the 5 reference summaries mention; an actor, or a place of the brief's
  places, matches by the gold name or any gold mention string;
- actor precision: listed actors that match any gold entity or occur in the text
  (1.00 by construction: the validators refuse an actor the article never names),
  and in brackets the stricter share that match a gold entity;
- ROUGE-1/2/L (F1, stemmed, best over the human summaries) of the brief's
  first summary sentence, and the same for each model summary in the dataset
  as the anchor beside it;
- time per article (median), tokens written (median) and the prompt's tokens
  beyond the article's own (median: the instructions, listed actors and dates).

Needs ``pip install -e '.[eval]'`` (rouge-score). Writes per-article rows to
stdout; ``--markdown FILE`` appends the totals table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarize._grounding import ArticleIndex  # noqa: E402

ACTOR_TYPES = {"person", "organization", "place"}
MIN_SALIENCE = 3  # of the 5 reference summaries
ANCHORS = ("gpt4o", "claude-3-5-sonnet-20241022", "Qwen2.5-7B-Instruct", "Llama-3.2-3B-Instruct")
# A sentence ends at . ! ? before a space, except after an initial ("U.S.", "D.C.")
# or a title ("Mr.").
_SENTENCE_END = re.compile(
    r"(?<![A-Z]\.[A-Z]\.)(?<!\b[A-Z]\.)(?<!\bMr\.)(?<!\bMrs\.)(?<!\bMs\.)(?<!\bDr\.)(?<!\bSt\.)"
    r"(?<=[.!?])\s+"
)
# Capitalised words that do not name: a gold mention like "They" matches nothing.
_NOT_NAMES = {"the", "a", "an", "of", "and", "he", "she", "it", "they", "we", "his", "her", "its"}
_NOT_NAMES |= {"this", "that", "these", "those", "their", "our", "i", "you", "mr", "mrs", "ms"}


def first_sentence(text: str) -> str:
    return _SENTENCE_END.split(text.strip(), maxsplit=1)[0]


def _words(text: str) -> set[str]:
    """The words of a name that name: capitalised or numbers, not "The" or "They"."""
    return {
        w.casefold()
        for w in re.findall(r"\w+", text)
        if (w[0].isupper() or w[0].isdigit()) and w.casefold() not in _NOT_NAMES
    }


def gold_entities(record: dict) -> list[dict]:
    """Every gold entity as {name, type, salient, strings}: its name and the mentions
    that name it ("President Donald Trump"; not "his" or "the team")."""
    entities = []
    for entity in record["named_entities_wikified"] + record["proper_name_entities_unlinked"]:
        name = entity.get("name") or entity["mentions"][0]
        strings = [name] + [m for m in entity["mentions"] if m != name and _words(m)]
        entities.append(
            {
                "name": name,
                "type": entity["type"],
                "salient": entity["salience"].count("s") >= MIN_SALIENCE,
                "strings": strings,
            }
        )
    return entities


def matches(actor_names: Iterable[str], entity: dict) -> bool:
    """An actor names the entity when the naming words of one of its names equal, or are
    part of, those of the entity's name or a mention ("Trump" ~ "President Donald
    Trump"); or when the actor's name holds the entity's whole name or a mention of
    two naming words or more ("US President Donald Trump" ~ "Donald Trump")."""
    for actor in actor_names:
        mine = _words(actor)
        if not mine:
            continue
        for n, string in enumerate(entity["strings"]):
            theirs = _words(string)
            if not theirs:
                continue
            if mine <= theirs or (theirs <= mine and (n == 0 or len(theirs) >= 2)):
                return True
    return False


def _names(actor: dict) -> list[str]:
    return [actor["name"], *actor.get("aliases", [])]


def score_article(record: dict, line: dict | None, rouge: object) -> dict:
    row: dict = {"id": record["id"], "status": line["status"] if line else "missing"}
    humans = [s["text"] for s in record["summaries"] if s["source"].startswith("human")]
    for source in ANCHORS:
        text = next((s["text"] for s in record["summaries"] if s["source"] == source), None)
        if text:
            row[f"rougeL:{source}"] = rouge.score_multi(humans, first_sentence(text))[
                "rougeL"
            ].fmeasure
    gold = gold_entities(record)
    salient = [e for e in gold if e["salient"] and e["type"] in ACTOR_TYPES]
    row["salient"] = len(salient)
    if not line or line["status"] != "done":
        row["found_salient"] = 0
        return row
    result = line["result"]
    brief = result["brief"]
    index = ArticleIndex(record["text"])
    checked = [e for point in brief["key_points"] for e in point["evidence"]]
    checked += [q for actor in brief["actors"] for q in actor.get("quotes", [])]
    row["grounded"] = sum(index.passage(q) is not None for q in checked)
    row["checked"] = len(checked)
    actors = brief["actors"]
    row["actors"] = len(actors)
    named = [_names(a) for a in actors] + [[place] for place in brief.get("places", [])]
    row["missed"] = [e["name"] for e in salient if not any(matches(n, e) for n in named)]
    row["found_salient"] = len(salient) - len(row["missed"])
    row["in_gold"] = sum(any(matches(_names(a), e) for e in gold) for a in actors)
    row["precise"] = sum(
        any(matches(_names(a), e) for e in gold) or any(index.has_name(n) for n in _names(a))
        for a in actors
    )
    lead = first_sentence(brief["summary"])
    scores = rouge.score_multi(humans, lead)
    for metric in ("rouge1", "rouge2", "rougeL"):
        row[metric] = scores[metric].fmeasure
    row["lead"] = lead
    row["attempts"] = result["attempts"]
    row["seconds"] = result["seconds"]
    row["tokens"] = result["usage"]["total_tokens"]
    row["written"] = result["usage"]["completion_tokens"]
    # The prompt beyond the article itself (instructions, the listed actors and dates).
    row["prompt_over_article"] = result["usage"]["prompt_tokens"] - count_tokens(record["text"])
    return row


def count_tokens(text: str) -> int:
    """Tokens of ``text`` by the embedded model's tokenizer (the estimate without it)."""
    from summarize._backends import backend_for
    from summarize._spec import parse_model_spec

    return backend_for(parse_model_spec("local")).count_tokens(text)


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def totals(rows: list[dict]) -> dict:
    done = [r for r in rows if r["status"] == "done"]
    total = {
        "articles": len(rows),
        "briefs": len(done),
        "failed": len(rows) - len(done),
        "grounding": sum(r["grounded"] for r in done) / max(sum(r["checked"] for r in done), 1),
        "reasked": sum(r["attempts"] > 1 for r in done),
        "recall": sum(r["found_salient"] for r in rows) / max(sum(r["salient"] for r in rows), 1),
        "recall_briefs": sum(r["found_salient"] for r in done)
        / max(sum(r["salient"] for r in done), 1),
        "precision": sum(r["precise"] for r in done) / max(sum(r["actors"] for r in done), 1),
        "gold_precision": sum(r["in_gold"] for r in done) / max(sum(r["actors"] for r in done), 1),
        "actors": _mean([r["actors"] for r in done]),
        "seconds": statistics.median([r["seconds"] for r in done]) if done else float("nan"),
        "tokens": _mean([r["tokens"] for r in done]),
        "written": statistics.median([r["written"] for r in done]) if done else float("nan"),
        "prompt_over_article": statistics.median([r["prompt_over_article"] for r in done])
        if done
        else float("nan"),
    }
    for metric in ("rouge1", "rouge2", "rougeL"):
        total[metric] = _mean([r[metric] for r in done])
    for source in ANCHORS:
        # Over the articles the run briefed: the same articles as its own ROUGE.
        total[f"rougeL:{source}"] = _mean(
            [r[f"rougeL:{source}"] for r in done if f"rougeL:{source}" in r]
        )
    return total


def markdown(label: str, total: dict) -> str:
    return (
        f"| {label} | {total['briefs']}/{total['articles']} | {total['grounding']:.0%} | "
        f"{total['reasked']} | {total['recall']:.2f} ({total['recall_briefs']:.2f}) | "
        f"{total['precision']:.2f} ({total['gold_precision']:.2f}) | {total['actors']:.1f} | {total['rouge1']:.3f} | "
        f"{total['rouge2']:.3f} | {total['rougeL']:.3f} | {total['seconds']:.0f} | "
        f"{total['written']:.0f} | {total['prompt_over_article']:.0f} |\n"
    )


HEADER = (
    "| run | briefs | grounded | re-asked | salient recall (of briefs) | precision (gold) | actors | "
    "R-1 | R-2 | R-L | median s | median written | median prompt beyond the article |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
)


def read_jsonl(path: Path) -> list[dict]:
    """Every line of a JSONL file (a dataset, or the output of this script)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", help="a JSONL of articles with gold data (GUM format)")
    parser.add_argument("-o", "--output", required=True, help="the briefs (JSONL; resumed)")
    parser.add_argument("--label", help="the run's name in the table (default: output's stem)")
    parser.add_argument("--score-only", action="store_true", help="score the briefs in OUTPUT")
    parser.add_argument("--markdown", metavar="FILE", help="append the totals row to FILE")
    parser.add_argument(
        "--only",
        metavar="RUN.jsonl",
        help="score only the articles that RUN.jsonl holds (to compare two runs on the "
        "articles both reached)",
    )
    args, batch_options = parser.parse_known_args(argv)

    if not args.score_only:
        from summarize._cli import main as summarize_main

        code = summarize_main(["batch", args.dataset, "-o", args.output, *batch_options])
        if code not in (0, 6):  # 6: some articles failed; they are scored as failures
            return code

    from rouge_score import rouge_scorer

    rouge = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    records = read_jsonl(Path(args.dataset))
    lines = {record["id"]: record for record in read_jsonl(Path(args.output))}
    if args.only:
        wanted = {record["id"] for record in read_jsonl(Path(args.only))}
        records = [record for record in records if record["id"] in wanted]
    rows = [score_article(record, lines.get(record["id"]), rouge) for record in records]
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))
    total = totals(rows)
    label = args.label or Path(args.output).stem
    table = HEADER + markdown(label, total)
    anchors = ", ".join(f"{s} {total[f'rougeL:{s}']:.3f}" for s in ANCHORS)
    print(table + f"\nanchors, ROUGE-L of the first sentence: {anchors}", file=sys.stderr)
    if args.markdown:
        with open(args.markdown, "a", encoding="utf-8") as out:
            out.write(markdown(label, total))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
