"""What prompt-lookup decoding can gain on this machine: a step's cost by batch size, and
the drafts' hits on the recorded answers.

    python bench/drafts.py [--rounds 7]

A drafted step evaluates the last token written and up to ``DRAFT_TOKENS`` drafted
ones in one batch, and keeps the drafted tokens the model would have written itself.
It pays when the tokens it keeps are worth more than the batch costs over a plain
step. Both halves are measured here, apart, so that the answer does not depend on one
brief's wording (a drafted batch's arithmetic differs in its last bits from a plain
step's, and a 1.5B model's greedy answer can change with it):

1. the cost of evaluating a batch of 1 to 8 tokens after a 900-token prompt (the
   embedded 1.5B model, loaded as summarize loads it; medians of ``--rounds``);
2. for each recorded answer in fixtures/recordings (the embedded models' real answers
   to the project's prompts), the tokens each drafted step would keep, replayed token
   by token for several draft settings, and the milliseconds a written token would
   cost at the step costs of 1.

Sampling (about 2 ms a token) is left out of both. Results go in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarize import _runtime  # noqa: E402
from summarize._local import LocalModel  # noqa: E402

RECORDINGS = ROOT / "fixtures" / "recordings"
SETTINGS = [(2, 2, 4), (3, 2, 4), (4, 2, 4), (2, 3, 4), (3, 3, 4), (4, 3, 4), (6, 3, 4)]
# llama-cpp-python's own drafts, for comparison: a match down to one token, the earliest.
THEIRS = [2, 4]
BATCHES = [1, 2, 3, 4, 5, 6, 7, 8]


def step_costs(llama: object, rounds: int) -> dict[int, float]:
    """Milliseconds to evaluate a batch of b tokens after a 900-token prompt."""
    body = json.loads(_interactions(RECORDINGS / "seed_brief.yaml")[0]["request"]["body"])
    tokens = llama.tokenize(body["messages"][-1]["content"].encode(), add_bos=False)[:900]
    llama.reset()
    llama.eval(tokens)
    prompt = llama.n_tokens
    # Every batch measured as a drafted step of its size is evaluated: each token's
    # logits kept (the runtime keeps them for a batch of up to its ``drafted_batch``).
    drafts = llama.draft_model
    llama.draft_model = _runtime.ArticleLookup(tokens=BATCHES[-1] - 1)
    costs = {}
    try:
        for b in BATCHES:
            times = []
            for _ in range(rounds):
                llama.n_tokens = prompt  # eval drops what came after it
                began = time.perf_counter()
                llama.eval(tokens[100 : 100 + b])
                times.append(time.perf_counter() - began)
            costs[b] = statistics.median(times) * 1000
    finally:
        llama.draft_model = drafts
    return costs


def replay(prompt: list[int], answer: list[int], draft: Any) -> list[int]:
    """The batch size of each step that writes ``answer``, with the drafts of ``draft``."""
    batches, written = [], 0
    while written < len(answer):
        context = np.array(prompt + answer[:written], dtype=np.intc)
        drafted = list(draft(context)) if written else []
        kept = 0
        for token, wanted in zip(drafted, answer[written:], strict=False):
            if token != wanted:
                break
            kept += 1
        batches.append(1 + len(drafted))
        written += 1 + kept
    return batches


def _interactions(path: Path) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    llama = LocalModel.shared("qwen2.5-coder-1.5b").llama()
    llama.draft_model = None
    costs = step_costs(llama, args.rounds)
    print("| tokens in the batch | " + " | ".join(map(str, BATCHES)) + " |")
    print("|---" * (len(BATCHES) + 1) + "|")
    print("| ms | " + " | ".join(f"{costs[b]:.0f}" for b in BATCHES) + " |")
    print()

    drafts: dict[str, Any] = {
        f"llama-cpp-python k={k}": LlamaPromptLookupDecoding(num_pred_tokens=k) for k in THEIRS
    }
    for k, lo, hi in SETTINGS:
        drafts[f"k={k}, n={lo}-{hi}"] = _runtime.ArticleLookup(k, lo, hi)
    names = list(drafts)
    print("| answer | tokens | plain ms/token | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 3) + "|")
    gains: dict[str, list[float]] = {name: [] for name in names}
    for path in sorted(RECORDINGS.glob("*.yaml")):
        interaction = _interactions(path)[0]
        body = json.loads(interaction["request"]["body"])
        content = json.loads(interaction["response"]["body"]["string"])
        answer_text = content["choices"][0]["message"]["content"]
        prompt_text = "\n".join(m["content"] for m in body["messages"])
        prompt = llama.tokenize(prompt_text.encode(), add_bos=False)
        answer = llama.tokenize(answer_text.encode(), add_bos=False)
        cells = []
        for name, draft in drafts.items():
            batches = replay(prompt, answer, draft)
            per_token = sum(costs[min(b, BATCHES[-1])] for b in batches) / len(answer)
            gains[name].append(per_token / costs[1])
            cells.append(f"{len(answer) / len(batches):.2f} kept, {per_token:.0f} ms")
        print(f"| {path.stem} | {len(answer)} | {costs[1]:.0f} | " + " | ".join(cells) + " |")
    print()
    for name, ratios in gains.items():
        print(
            f"{name}: a written token costs {statistics.median(ratios):.2f}x a plain one (median)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
