"""The batch path against a loopback OpenAI-compatible server, measured side by side.

    python bench/batch.py [--articles 1024] [--only a|b|c]

The server (tests/faultserver.py, in its own process) answers every request
with the embedded model's recorded brief of the seed article after a fixed
delay; every brief goes through the whole path: HTTP, instructor parsing,
validation against the article (grounding), and a JSONL line written.

(a) 250 ms delay, concurrency 32: throughput against the ideal 32 / 0.25 s = 128/s.
(b) no delay, concurrency 1: per-article time between consecutive written lines
    (the overhead of the whole path), median and p90; and the client's process CPU
    time per article, which a shared machine's other load inflates less than the
    wall time.
(c) a cache hit: ``summarize`` of an article whose brief is cached, median of 50.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarize import Settings, summarize  # noqa: E402
from summarize._batch import BatchItem, ItemResult, run_batch  # noqa: E402
from summarize._cache import BriefCache  # noqa: E402
from summarize._transport import RetryPolicy  # noqa: E402

SEED = (ROOT / "fixtures/articles/trump-putin-call-2025-02-13.txt").read_text(encoding="utf-8")


def serve(delay: float, urls: multiprocessing.Queue) -> None:
    from tests.faultserver import FaultServer, Reply, canned_answer

    with FaultServer(keep_alive=True) as server:
        server.repeat = Reply(200, canned_answer(), delay=delay)
        urls.put(server.url)
        while True:
            time.sleep(3600)


def start_server(delay: float) -> tuple[multiprocessing.Process, str]:
    context = multiprocessing.get_context("spawn")
    urls = context.Queue()
    process = context.Process(target=serve, args=(delay, urls), daemon=True)
    process.start()
    return process, urls.get(timeout=60)


def settings_for(url: str) -> Settings:
    return Settings(
        model="bench-model", base_url=url, api_key="sk-bench", retry=RetryPolicy(max_attempts=2)
    )


class FailedRun(Exception):
    """Some requests failed or were asked again: the figures would measure something else."""


def checked(record: ItemResult, problems: list[str]) -> None:
    """Note a result that is not a brief made at the first answer."""
    if record.result is None:
        problems.append(f"{record.id}: {record.error}")
    elif record.result.attempts != 1:
        problems.append(f"{record.id}: {record.result.attempts} attempts")


def throughput(articles: int, concurrency: int, delay: float) -> float:
    process, url = start_server(delay)
    problems: list[str] = []
    try:
        items = [BatchItem(id=str(n), text=SEED) for n in range(articles)]
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            run_batch(
                items,
                Path(tmp) / "out.jsonl",
                settings_for(url),
                concurrency=concurrency,
                on_result=lambda record: checked(record, problems),
            )
            seconds = time.perf_counter() - started
        if problems:
            raise FailedRun(f"{len(problems)} of {articles} articles: {problems[0]}")
        return articles / seconds
    finally:
        process.terminate()


def overhead(articles: int) -> tuple[list[float], float]:
    """The gaps between consecutive results, and the client's process CPU seconds per
    article (the mean over the same gaps), after a warm-up."""
    process, url = start_server(0.0)
    try:
        items = [BatchItem(id=str(n), text=SEED) for n in range(articles)]
        stamps: list[float] = []
        cpu: list[float] = []
        problems: list[str] = []

        def stamp(record: ItemResult) -> None:
            stamps.append(time.perf_counter())
            cpu.append(time.process_time())
            checked(record, problems)

        with tempfile.TemporaryDirectory() as tmp:
            run_batch(
                items, Path(tmp) / "out.jsonl", settings_for(url), concurrency=1, on_result=stamp
            )
        if problems:
            raise FailedRun(f"{len(problems)} of {articles} articles: {problems[0]}")
        gaps = [b - a for a, b in itertools.pairwise(stamps[10:])]  # after warm-up
        return gaps, (cpu[-1] - cpu[10]) / len(gaps)
    finally:
        process.terminate()


def cache_hits(times: int) -> list[float]:
    process, url = start_server(0.0)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cache = BriefCache(Path(tmp) / "briefs.sqlite3")
            summarize(SEED, settings_for(url), cache=cache)  # the miss that fills it
            seconds = []
            for _ in range(times):
                started = time.perf_counter()
                result = summarize(SEED, settings_for(url), cache=cache)
                seconds.append(time.perf_counter() - started)
                assert result.cached
        return seconds
    finally:
        process.terminate()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1024)
    parser.add_argument("--only", choices=("a", "b", "c"), help="one of the three measurements")
    args = parser.parse_args()
    try:
        measure(args.articles, args.only or "abc")
    except FailedRun as failed:
        print(f"FAILED: {failed}; no figures from this run", file=sys.stderr)
        return 1
    return 0


def freeze_the_imported_heap() -> None:
    """As ``summarize batch`` does in its own process (the library leaves the collector
    alone): the ~190,000 long-lived objects of openai, instructor and pydantic are left out
    of every later garbage collection, which would walk them all, ~90 ms each time."""
    import instructor  # noqa: F401  imported now, not by the first brief, to be frozen too
    import openai.resources  # noqa: F401

    gc.collect()  # what is garbage now is collected, not kept for good
    gc.freeze()


def measure(articles: int, which: str) -> None:
    if "a" in which or "b" in which:
        freeze_the_imported_heap()
    if "a" in which:
        rates = [throughput(articles, 32, 0.25) for _ in range(3)]
        rate = statistics.median(rates)
        print(
            f"(a) 250 ms, concurrency 32, {articles} articles: {rate:.1f} articles/s median of 3 "
            f"({', '.join(f'{r:.1f}' for r in rates)}) = {rate / 128:.1%} of the ideal 128/s"
        )
    if "b" in which:
        gaps, cpu = overhead(max(articles // 4, 100))
        gaps.sort()
        print(
            f"(b) no delay, concurrency 1: {statistics.median(gaps) * 1000:.2f} ms per article "
            f"median, p90 {gaps[int(len(gaps) * 0.9)] * 1000:.2f} ms ({len(gaps)} articles); "
            f"client CPU {cpu * 1000:.2f} ms per article (mean)"
        )
    if "c" not in which:
        return
    hits = sorted(cache_hits(50))
    print(
        f"(c) cache hit: {statistics.median(hits) * 1000:.2f} ms median, "
        f"max {hits[-1] * 1000:.2f} ms (50 hits)"
    )


if __name__ == "__main__":
    sys.exit(main())
