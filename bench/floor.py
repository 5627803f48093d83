"""The embedded model's floor against the brief, measured side by side in one run.

    python bench/floor.py [--rounds 1] [--model local/qwen2.5-coder-1.5b]

Each round runs three fresh processes, one after the other, on the demo article:

- floor: the same GGUF, loaded as summarize loads it, reads the article once (as a
  chat message) and writes 250 tokens freely, one token a step: no grammar, no
  drafts, end of text suppressed;
- floor-drafted: the same, with the prompt-lookup drafts the brief uses;
- brief: ``summarize ARTICLE --json --no-cache``, the CLI's own ``main``.

Each is timed as a whole process (interpreter start and imports included), and
split by timing llama.cpp's evaluation: model load, prompt reading, writing (each
step, a token alone or with its draft), the rest (imports, the analysis, sampling,
validation, assembly, output), and the time spent in re-asks (every model call
after the first). It prints the brief's ratio to the floor, the issue's target
being ≤ 1.5x, and to the drafted floor. A brief that fails makes the bench
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
KINDS = ("floor", "floor-drafted", "brief")


def _counting_calls(llama_class: Any, calls: list[dict]) -> None:
    """Record, for every chat completion, the time llama.cpp spends reading the prompt and
    writing. Timed here around ``eval``, not from llama.cpp's own counters: those count a
    drafted batch (prompt-lookup decoding) as prompt reading. A batch longer than a draft
    is reading; the others (one token, or one with its draft) are writing."""
    original_eval = llama_class.eval
    original = llama_class.create_chat_completion
    now: dict[str, float] = {}

    def timed_eval(llama: Any, tokens: Any) -> None:
        began = time.perf_counter()
        original_eval(llama, tokens)
        kind = "prompt" if len(tokens) > llama.drafted_batch else "write"
        now[f"{kind}_s"] += time.perf_counter() - began
        now[f"{kind}_steps"] += 1
        now[f"{kind}_batched"] += len(tokens)

    def counted(llama: Any, *args: Any, **kwargs: Any) -> Any:
        now.clear()
        now.update(
            {f"{k}_{x}": 0.0 for k in ("prompt", "write") for x in ("s", "steps", "batched")}
        )
        began = time.perf_counter()
        result = original(llama, *args, **kwargs)

        def row(written: int) -> dict:
            return {
                "prompt_s": now["prompt_s"],
                "prompt_tokens": int(now["prompt_batched"]),
                "write_s": now["write_s"],
                "written_tokens": written,
                "write_steps": int(now["write_steps"]),
                "call_s": time.perf_counter() - began,
            }

        if not kwargs.get("stream"):
            calls.append(row(result["usage"]["completion_tokens"]))
            return result

        def streamed() -> Any:
            written = 0
            for chunk in result:
                written += any(c["delta"].get("content") for c in chunk["choices"])
                yield chunk
            calls.append(row(written))

        return streamed()

    llama_class.eval = timed_eval
    llama_class.create_chat_completion = counted


def run_floor(model: str, drafts: bool = False) -> dict:
    from summarize._local import LocalModel
    from summarize._spec import parse_model_spec

    began = time.perf_counter()
    llama = LocalModel.shared(parse_model_spec(model).model).llama()
    load = time.perf_counter() - began
    if not drafts:  # the floor proper: one token a step, as the hardware writes
        llama.draft_model = None
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
    from summarize import _cli as cli
    from summarize._local import LocalModel

    calls: list[dict] = []
    loads: list[float] = []
    original_llama = LocalModel.llama

    def timed_llama(self: Any) -> Any:
        began = time.perf_counter()
        llama = original_llama(self)
        loads.append(time.perf_counter() - began)
        if len(loads) == 1:
            _counting_calls(type(llama), calls)
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
        write_steps=sum(c["write_steps"] for c in calls),
        first_prompt_tokens=first[0]["prompt_tokens"] if first else 0,
    )
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--model", default="local/qwen2.5-coder-1.5b")
    parser.add_argument("--one", choices=KINDS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        if args.one == "brief":
            row = run_brief(args.model)
        else:
            row = run_floor(args.model, drafts=args.one == "floor-drafted")
        print(json.dumps(row))
        return 0

    rows: dict[str, list[dict]] = {kind: [] for kind in KINDS}
    for _ in range(args.rounds):
        for kind in rows:
            row = measure(kind, args.model)
            print(json.dumps(row), flush=True)
            if kind == "brief" and row["exit"] != 0:
                print(f"the brief failed (exit {row['exit']}): no figures", file=sys.stderr)
                return 1
            rows[kind].append(row)

    fields = ["wall_s", "load_s", "prompt_s", "write_s", "rest_s", "reask_s"]
    counts = ["calls", "prompt_tokens", "written_tokens", "write_steps"]
    print(f"\nmedians of {args.rounds} round(s), {os.cpu_count()} cores, {args.model}\n")
    print("| run | " + " | ".join(fields + counts) + " |")
    print("|---" * (len(fields) + len(counts) + 1) + "|")
    for kind, mine in rows.items():
        cells = [f"{statistics.median(r[f] for r in mine):.1f}" for f in fields]
        cells += [f"{statistics.median(r[f] for r in mine):g}" for f in counts]
        print(f"| {kind} | " + " | ".join(cells) + " |")

    def ratio_to(floor: str) -> float:
        pairs = zip(rows[floor], rows["brief"], strict=True)
        return statistics.median(b["wall_s"] / f["wall_s"] for f, b in pairs)

    print(f"\nbrief / floor: {ratio_to('floor'):.2f}x (target ≤ 1.5x)")
    print(f"brief / the floor written with drafts: {ratio_to('floor-drafted'):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
