"""How much several briefs written at once could gain on this machine: llama.cpp's
throughput with 1, 2, 4 and 8 sequences in one batch, measured on the embedded model.

    python bench/parallel.py [--prompt-tokens 1100] [--steps 32] [--gum RUN.jsonl]

For each number of sequences B, a fresh context (llama.cpp's own, low-level API: the
`Llama` class runs one sequence) reads B prompts of the demo article, each in its own
sequence, then writes ``--steps`` tokens in each, all B in one batch a step, greedy, no
grammar. It prints the prompt reading and the writing rates; writing is limited by
memory bandwidth (the weights are read once a step, whatever B), reading by arithmetic.

From the rates and a GUM run's median prompt and written tokens (``--gum``, the
``bench/eval.py`` output) it works out the most articles an hour B sequences could give
against one at a time: the prompt read at the measured rate, the answer written at B
tokens a step. That is a ceiling: the grammar, the checks, the re-asks and a batch's
waiting for its slowest answer only lower it. #21 asks for 2x.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
SEED = ROOT / "fixtures" / "articles" / "trump-putin-call-2025-02-13.txt"

from eval import read_jsonl  # noqa: E402

from summarize._spec import LOCAL_MODELS  # noqa: E402
from summarize._weights import ensure_weights  # noqa: E402

BATCH = 512


def tokens_of(llama_cpp: object, vocab: object, text: str, count: int) -> list[int]:
    """``count`` tokens of ``text`` (repeated if short)."""
    data = text.encode()
    buffer = (llama_cpp.llama_token * (len(data) + 16))()
    n = llama_cpp.llama_tokenize(vocab, data, len(data), buffer, len(buffer), True, False)
    tokens = list(buffer[:n])
    while len(tokens) < count:
        tokens += tokens
    return tokens[:count]


def measure(llama_cpp, model, vocab, sequences: int, prompt: list[int], steps: int) -> dict:
    params = llama_cpp.llama_context_default_params()
    params.n_ctx = sequences * (len(prompt) + steps + 16)
    params.n_batch = params.n_ubatch = BATCH
    params.n_seq_max = sequences
    params.n_threads = params.n_threads_batch = os.cpu_count() or 2
    params.flash_attn_type = llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED  # as summarize loads it
    params.no_perf = True
    context = llama_cpp.llama_init_from_model(model, params)
    batch = llama_cpp.llama_batch_init(BATCH, 0, sequences)
    n_vocab = llama_cpp.llama_vocab_n_tokens(vocab)

    def decode(entries: list[tuple[int, int, int, bool]]) -> None:
        """One llama_decode of (token, position, sequence, wants logits) entries."""
        for i, (token, position, sequence, logits) in enumerate(entries):
            batch.token[i], batch.pos[i] = token, position
            batch.n_seq_id[i], batch.seq_id[i][0] = 1, sequence
            batch.logits[i] = logits
        batch.n_tokens = len(entries)
        if llama_cpp.llama_decode(context, batch) != 0:
            raise RuntimeError("llama_decode failed")

    try:
        began = time.perf_counter()
        for sequence in range(sequences):
            for start in range(0, len(prompt), BATCH):
                chunk = prompt[start : start + BATCH]
                decode(
                    [
                        (t, start + i, sequence, start + i == len(prompt) - 1)
                        for i, t in enumerate(chunk)
                    ]
                )
        reading = time.perf_counter() - began
        # The first token of each sequence, from the logits of its prompt's last token.
        last = [
            int(np.argmax(np.ctypeslib.as_array(llama_cpp.llama_get_logits(context), (n_vocab,))))
        ] * sequences
        writing = 0.0
        for step in range(steps):
            began = time.perf_counter()
            decode([(last[s], len(prompt) + step, s, True) for s in range(sequences)])
            writing += time.perf_counter() - began
            logits = np.ctypeslib.as_array(
                llama_cpp.llama_get_logits(context), (sequences, n_vocab)
            )
            last = [int(t) for t in logits.argmax(axis=1)]
        return {
            "sequences": sequences,
            "read_tps": sequences * len(prompt) / reading,
            "write_tps": sequences * steps / writing,
            "step_ms": writing / steps * 1000,
        }
    finally:
        llama_cpp.llama_batch_free(batch)
        llama_cpp.llama_free(context)


def gum_medians(path: Path) -> tuple[float, float]:
    """Median prompt and written tokens of a GUM run's briefs."""
    usage = [line["result"]["usage"] for line in read_jsonl(path) if line["status"] == "done"]
    return (
        statistics.median(u["prompt_tokens"] for u in usage),
        statistics.median(u["completion_tokens"] for u in usage),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompt-tokens", type=int, default=1100)
    parser.add_argument("--steps", type=int, default=32)
    parser.add_argument("--sequences", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--gum", type=Path, help="a bench/eval.py output for the medians")
    args = parser.parse_args()

    import llama_cpp
    from llama_cpp._logger import set_verbose

    set_verbose(False)  # llama.cpp's load messages, as summarize loads the model
    llama_cpp.llama_backend_init()
    path = ensure_weights(LOCAL_MODELS[0])  # the default, 1.5B
    model = llama_cpp.llama_model_load_from_file(
        str(path).encode(), llama_cpp.llama_model_default_params()
    )
    vocab = llama_cpp.llama_model_get_vocab(model)
    prompt = tokens_of(llama_cpp, vocab, SEED.read_text(encoding="utf-8"), args.prompt_tokens)
    rows = [measure(llama_cpp, model, vocab, b, prompt, args.steps) for b in args.sequences]
    llama_cpp.llama_model_free(model)

    print(f"{path.name}, {os.cpu_count()} threads, prompt {len(prompt)} tokens a sequence")
    print("| sequences | reading, tokens/s | writing, tokens/s (all sequences) | ms a step |")
    print("|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['sequences']} | {row['read_tps']:.1f} | {row['write_tps']:.1f} "
            f"| {row['step_ms']:.0f} |"
        )
    if args.gum:
        read, written = gum_medians(args.gum)
        one = read / rows[0]["read_tps"] + written / rows[0]["write_tps"]
        print(f"\nGUM medians ({args.gum.name}): {read:.0f} prompt tokens, {written:.0f} written")
        print(f"one at a time: {one:.1f} s an article (model time only)")
        for row in rows[1:]:
            each = read / row["read_tps"] + written / row["write_tps"]
            print(
                f"{row['sequences']} at once: {each:.1f} s an article, "
                f"at most {one / each:.2f}x the articles an hour"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
