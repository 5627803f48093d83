"""summarize.ray on a local Ray against `summarize batch`, side by side in one run.

    python bench/ray_batch.py [--articles 1024] [--rounds 3]

Both paths brief the same articles (copies of the seed article, distinct ids)
against the same loopback server as bench/batch.py (its own process, the
recorded brief after 250 ms) with the same total concurrency, 32: `run_batch`
with concurrency 32 in this process, and Ray Data with 2 BriefBatch workers of
concurrency 16 each on a local Ray of the machine's 2 CPUs. Each round runs
both; the figures are medians. Ray's time is the whole pipeline (the workers
start, every row comes back to this process), not counting ``ray.init``
(reported apart). Any failed article is reported, and the run exits 1.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarize import BatchItem, run_batch  # noqa: E402

# The server, its canned answer and the settings are bench/batch.py's own (imported by
# name, so that its server process can be spawned).
sys.path.insert(0, str(ROOT / "bench"))
import batch as bench_batch  # noqa: E402

DELAY = 0.25
CONCURRENCY = 32
WORKERS = 2


def batch_path(count: int, url: str) -> tuple[float, int]:
    items = [BatchItem(id=f"a{n}", text=bench_batch.SEED) for n in range(count)]
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        totals = run_batch(
            items, Path(tmp) / "out.jsonl", bench_batch.settings_for(url), concurrency=CONCURRENCY
        )
        seconds = time.perf_counter() - started
    if totals.done + totals.failed != count:
        raise SystemExit(f"run_batch wrote {totals.done + totals.failed} of {count} articles")
    return seconds, totals.failed


def ray_path(count: int, url: str, batch_size: int, blocks: int) -> tuple[float, int]:
    import ray

    from summarize.ray import BriefBatch

    rows = [{"id": f"a{n}", "text": bench_batch.SEED} for n in range(count)]
    dataset = ray.data.from_items(rows, override_num_blocks=blocks)
    started = time.perf_counter()
    out = dataset.map_batches(
        BriefBatch,
        fn_constructor_kwargs={
            "settings": bench_batch.settings_for(url),
            "concurrency": CONCURRENCY // WORKERS,
        },
        batch_size=batch_size,
        compute=ray.data.ActorPoolStrategy(size=WORKERS),
        num_cpus=1,
    ).take_all()
    seconds = time.perf_counter() - started
    ids = {row["id"] for row in out}
    if len(out) != count or len(ids) != count:
        raise SystemExit(f"Ray returned {len(out)} rows, {len(ids)} ids, for {count} articles")
    return seconds, sum(row["status"] != "done" for row in out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--blocks", type=int, default=32)
    args = parser.parse_args()

    import ray

    started = time.perf_counter()
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        _node_ip_address="127.0.0.1",
        log_to_driver=False,
        configure_logging=False,
    )
    ray.data.DataContext.get_current().enable_progress_bars = False
    init_seconds = time.perf_counter() - started

    process, url = bench_batch.start_server(DELAY)
    failed = 0
    batch_rates, ray_rates, overheads = [], [], []
    try:
        for round_ in range(1, args.rounds + 1):
            batch_seconds, batch_failed = batch_path(args.articles, url)
            ray_seconds, ray_failed = ray_path(args.articles, url, args.batch_size, args.blocks)
            failed += batch_failed + ray_failed
            batch_rates.append(args.articles / batch_seconds)
            ray_rates.append(args.articles / ray_seconds)
            overheads.append(ray_seconds - batch_seconds)
            print(
                f"round {round_}: summarize batch {batch_rates[-1]:.1f}/s ({batch_seconds:.2f} s, "
                f"{batch_failed} failed), Ray {ray_rates[-1]:.1f}/s ({ray_seconds:.2f} s, "
                f"{ray_failed} failed)",
                flush=True,
            )
    finally:
        process.terminate()
        ray.shutdown()

    batch_rate, ray_rate = statistics.median(batch_rates), statistics.median(ray_rates)
    print(
        f"{args.articles} articles, 250 ms server delay, total concurrency {CONCURRENCY} "
        f"(Ray: {WORKERS} workers x {CONCURRENCY // WORKERS}, batch size {args.batch_size}, "
        f"{args.blocks} blocks), medians of {args.rounds}:\n"
        f"  summarize batch (run_batch): {batch_rate:.1f} articles/s "
        f"({batch_rate / (CONCURRENCY / DELAY):.1%} of the ideal {CONCURRENCY / DELAY:.0f}/s)\n"
        f"  Ray Data (BriefBatch):       {ray_rate:.1f} articles/s\n"
        f"  Ray / batch: {ray_rate / batch_rate:.1%}; the engine's overhead: "
        f"{statistics.median(overheads):+.2f} s a run (workers starting, rows returned), "
        f"ray.init {init_seconds:.1f} s once"
    )
    if failed:
        print(f"FAILED: {failed} articles failed: these figures do not count", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
