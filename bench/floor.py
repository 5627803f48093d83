"""The embedded model's floor against the brief, measured side by side in one run.

    python bench/floor.py [--rounds 1] [--model local/qwen2.5-coder-1.5b]

Each round runs two fresh processes, one after the other, on the demo article:

- floor: the same GGUF, loaded as summarize loads it, reads the article once (as a
  chat message) and writes 250 tokens freely: no grammar, end of text suppressed;
- brief: ``summarize ARTICLE --json --no-cache``, the CLI's own ``main``.

Both are timed as whole processes (interpreter start and imports included), and
split from llama.cpp's own counters: model load, prompt reading, writing, the
rest (imports, the analysis, validation, assembly, output), and the time spent
in re-asks (every model call after the first). It prints their ratio, the
issue's target being brief ≤ 1.5x the floor. A brief that fails makes the bench
fail (exit 1): its time is not a figure. Results go in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "articles" / "trump-putin-call-2025-02-13.txt"
FLOOR_TOKENS = 250


def _counting_calls(llama_class: Any, calls: list[dict]) -> None:
    """Record llama.cpp's prompt/writing counters for every chat completion."""
    import llama_cpp

    original = llama_class.create_chat_completion

    def counters(llama: Any, began: float) -> dict:
        perf = llama_cpp.llama_perf_context(llama.ctx)
        return {
            "prompt_s": perf.t_p_eval_ms / 1000,
            "prompt_tokens": perf.n_p_eval,
            "write_s": perf.t_eval_ms / 1000,
            "written_tokens": perf.n_eval,
            "call_s": time.perf_counter() - began,
        }

    def counted(llama: Any, *args: Any, **kwargs: Any) -> Any:
        llama_cpp.llama_perf_context_reset(llama.ctx)
        began = time.perf_counter()
        result = original(llama, *args, **kwargs)
        if not kwargs.get("stream"):
            calls.append(counters(llama, began))
            return result

        def streamed() -> Any:
            yield from result
            calls.append(counters(llama, began))

        return streamed()

    llama_class.create_chat_completion = counted


def run_floor(model: str) -> dict:
    from summarize._local import LocalModel
    from summarize._spec import parse_model_spec

    began = time.perf_counter()
    llama = LocalModel.shared(parse_model_spec(model).model).llama()
    load = time.perf_counter() - began
    calls: list[dict] = []
    _counting_calls(type(llama), calls)
    ends = [llama.token_eos(), *llama.tokenize(b"<|im_end|>", add_bos=False, special=True)]
    result = llama.create_chat_completion(
        messages=[{"role": "user", "content": SEED.read_text(encoding="utf-8")}],
        max_tokens=FLOOR_TOKENS,
        temperature=0.0,
        logit_bias={token: -1e9 for token in ends},
    )
    return {"load_s": load, "calls": calls, "finish": result["choices"][0]["finish_reason"]}


def run_brief(model: str) -> dict:
    import llama_cpp

    from summarize import _cli as cli
    from summarize._local import LocalModel

    calls: list[dict] = []
    _counting_calls(llama_cpp.Llama, calls)
    loads: list[float] = []
    original_llama = LocalModel.llama

    def timed_llama(self: Any) -> Any:
        began = time.perf_counter()
        llama = original_llama(self)
        loads.append(time.perf_counter() - began)
        return llama

    LocalModel.llama = timed_llama  # type: ignore[method-assign]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main([str(SEED), "--json", "--no-cache", "-m", model])
    return {"load_s": max(loads, default=0.0), "calls": calls, "exit": code}


def measure(kind: str, model: str) -> dict:
    """One fresh process, timed from outside."""
    began = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--one", kind, "--model", model],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    wall = time.perf_counter() - began
    if out.returncode != 0:
        sys.exit(f"{kind} process failed (exit {out.returncode}):\n{out.stderr[-3000:]}")
    row = json.loads(out.stdout.strip().splitlines()[-1])
    calls = row.pop("calls")
    first, again = calls[:1], calls[1:]
    reading = sum(c["prompt_s"] for c in calls)
    writing = sum(c["write_s"] for c in calls)
    row.update(
        kind=kind,
        wall_s=wall,
        prompt_s=reading,
        write_s=writing,
        rest_s=wall - row["load_s"] - reading - writing,
        reask_s=sum(c["call_s"] for c in again),
        calls=len(calls),
        prompt_tokens=sum(c["prompt_tokens"] for c in calls),
        written_tokens=sum(c["written_tokens"] for c in calls),
        first_prompt_tokens=first[0]["prompt_tokens"] if first else 0,
    )
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--model", default="local/qwen2.5-coder-1.5b")
    parser.add_argument("--one", choices=["floor", "brief"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        row = (run_floor if args.one == "floor" else run_brief)(args.model)
        print(json.dumps(row))
        return 0

    rows: dict[str, list[dict]] = {"floor": [], "brief": []}
    for _ in range(args.rounds):
        for kind in rows:
            row = measure(kind, args.model)
            print(json.dumps(row), flush=True)
            if kind == "brief" and row["exit"] != 0:
                print(f"the brief failed (exit {row['exit']}): no figures", file=sys.stderr)
                return 1
            rows[kind].append(row)

    fields = ["wall_s", "load_s", "prompt_s", "write_s", "rest_s", "reask_s"]
    counts = ["calls", "prompt_tokens", "written_tokens"]
    print(f"\nmedians of {args.rounds} round(s), {os.cpu_count()} cores, {args.model}\n")
    print("| run | " + " | ".join(fields + counts) + " |")
    print("|---" * (len(fields) + len(counts) + 1) + "|")
    for kind, mine in rows.items():
        cells = [f"{statistics.median(r[f] for r in mine):.1f}" for f in fields]
        cells += [f"{statistics.median(r[f] for r in mine):g}" for f in counts]
        print(f"| {kind} | " + " | ".join(cells) + " |")
    ratio = statistics.median(
        b["wall_s"] / f["wall_s"] for f, b in zip(rows["floor"], rows["brief"], strict=True)
    )
    print(f"\nbrief / floor: {ratio:.2f}x (target ≤ 1.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
