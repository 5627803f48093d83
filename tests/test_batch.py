"""Batches: input forms, JSONL output, failures that do not stop the run, resume after
SIGKILL, the brief cache, rate limits, and summarise in a process pool.

The model is the loopback server of tests/faultserver.py answering with the embedded
model's recorded brief of the seed article (fixtures/recordings/seed_brief.yaml).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import signal
import stat
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import httpx2
import pytest

from summarize import InputError, Settings, summarize
from summarize._batch import BatchItem, ItemResult, load_done, read_items, run_batch
from summarize._cache import BriefCache
from summarize._transport import RateLimitedTransport, RetryPolicy
from tests.conftest import ROOT, SEED
from tests.faultserver import FaultServer, Reply
from tests.test_faults import GOOD

FAST = RetryPolicy(max_attempts=2, max_seconds=5, initial_wait=0.05, max_wait=0.1)


@pytest.fixture
def server():
    with FaultServer() as running:
        running.repeat = Reply(200, GOOD)
        yield running


def settings_for(server: FaultServer) -> Settings:
    return Settings(model="test-model", base_url=server.url, api_key="sk-test", retry=FAST)


def seed_items(n: int) -> list[BatchItem]:
    text = SEED.read_text(encoding="utf-8")
    return [BatchItem(id=f"a{i:02d}", text=text) for i in range(n)]


def lines_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# Input forms ------------------------------------------------------------------


def test_a_directory_gives_its_article_files_with_relative_ids(tmp_path):
    (tmp_path / "world").mkdir()
    (tmp_path / "world" / "b.txt").write_text("text b")
    (tmp_path / "a.html").write_text("<html></html>")
    (tmp_path / "notes.json").write_text("{}")
    assert [i.id for i in read_items(str(tmp_path))] == ["a.html", "world/b.txt"]


def test_a_glob_gives_the_files_it_matches(tmp_path):
    for name in ("x.txt", "y.txt", "z.md"):
        (tmp_path / name).write_text("text")
    assert [Path(i.path).name for i in read_items(str(tmp_path / "*.txt"))] == ["x.txt", "y.txt"]


def test_a_jsonl_gives_text_path_url_and_metadata(tmp_path):
    (tmp_path / "one.txt").write_text("date 2025-02-13 The story.")
    source = tmp_path / "items.jsonl"
    source.write_text(
        "\n".join(
            [
                json.dumps({"id": "t", "text": "A story.", "title": "T", "date": "2024-01-02"}),
                json.dumps({"id": "p", "path": "one.txt"}),
                json.dumps({"id": "u", "url": "http://127.0.0.1:9/x"}),
                "not json",
                json.dumps({"id": "e"}),
            ]
        )
    )
    items = {i.id: i for i in read_items(str(source))}
    assert items["t"].load().date.isoformat() == "2024-01-02"
    assert items["t"].load().title == "T"
    assert items["p"].load().date.isoformat() == "2025-02-13"  # path relative to the JSONL
    assert items["u"].url == "http://127.0.0.1:9/x"
    with pytest.raises(InputError, match="line 4 is not JSON"):
        items["line 4"].load()
    with pytest.raises(InputError, match="no text, path or url"):
        items["e"].load()


def test_repeated_ids_are_refused_before_anything_runs(tmp_path):
    source = tmp_path / "items.jsonl"
    source.write_text('{"id": "x", "text": "a"}\n{"id": "x", "text": "b"}\n')
    with pytest.raises(InputError, match="line 2: id 'x' is already used on line 1"):
        read_items(str(source))


def test_an_input_that_is_none_of_the_forms_says_what_is_accepted(tmp_path):
    with pytest.raises(InputError, match=r"not a directory, a glob or a \.jsonl file"):
        read_items(str(tmp_path / "missing.txt"))


# Output and failures ----------------------------------------------------------


def test_every_item_gets_one_line_with_brief_usage_and_timing(server, tmp_path):
    out = tmp_path / "out.jsonl"
    totals = run_batch(seed_items(6), out, settings_for(server), concurrency=3)
    lines = lines_of(out)
    assert sorted(line["id"] for line in lines) == [f"a{i:02d}" for i in range(6)]
    for line in lines:
        record = ItemResult.model_validate(line)
        assert record.status == "done" and record.result.brief.headline
        assert record.result.usage.total_tokens == 150 and record.seconds > 0
    assert (totals.done, totals.failed, totals.tokens) == (6, 0, 900)
    assert len(server.requests) == 6


def test_a_failed_item_is_written_as_failed_and_the_run_goes_on(server, tmp_path):
    items = [*seed_items(2), BatchItem(id="gone", path=str(tmp_path / "missing.txt"))]
    out = tmp_path / "out.jsonl"
    totals = run_batch(items, out, settings_for(server))
    failed = [line for line in lines_of(out) if line["status"] == "failed"]
    assert [line["id"] for line in failed] == ["gone"]
    # The error's class and message; exit codes belong to the command, not to each article.
    assert set(failed[0]["error"]) == {"kind", "message"}
    assert (
        failed[0]["error"]["kind"] == "InputError"
        and "no such file" in failed[0]["error"]["message"]
    )
    assert (totals.done, totals.failed) == (2, 1)


def test_a_rerun_skips_what_is_done_and_retries_what_failed(server, tmp_path):
    out = tmp_path / "out.jsonl"
    missing = tmp_path / "late.txt"
    items = [*seed_items(3), BatchItem(id="late", path=str(missing))]
    run_batch(items, out, settings_for(server))
    assert len(server.requests) == 3
    missing.write_text(SEED.read_text(encoding="utf-8"))  # the cause of the failure is fixed
    totals = run_batch(items, out, settings_for(server))
    assert (totals.skipped, totals.done, totals.failed) == (3, 1, 0)
    assert len(server.requests) == 4
    ids = [line["id"] for line in lines_of(out)]
    assert sorted(ids) == ["a00", "a01", "a02", "late"]  # once each: the failed line is gone


def test_a_line_cut_short_by_a_kill_is_dropped_and_redone(server, tmp_path):
    out = tmp_path / "out.jsonl"
    run_batch(seed_items(2), out, settings_for(server))
    whole = out.read_text(encoding="utf-8")
    out.write_text(whole + whole.splitlines()[0][:100], encoding="utf-8")  # a torn third line
    assert load_done(out) == {"a00", "a01"}
    assert out.read_text(encoding="utf-8") == whole


def test_the_command_exits_6_when_some_failed_and_says_the_totals(server, tmp_path):
    source = tmp_path / "items.jsonl"
    seed = SEED.read_text(encoding="utf-8")
    source.write_text(
        json.dumps({"id": "ok", "text": seed})
        + "\n"
        + json.dumps({"id": "bad", "text": " "})
        + "\n"
    )
    result = run_command(server, source, tmp_path / "out.jsonl", tmp_path / "cache")
    stderr = result.stderr.decode()
    assert result.returncode == 6, stderr
    assert "1 done (0 from the cache), 1 failed" in stderr
    assert "bad failed: the article is empty" in stderr
    assert "Traceback" not in stderr


def run_command(server, source, out, cache, *extra, wait=True):
    env = {**os.environ, "SUMMARIZE_CACHE_DIR": str(cache), "OPENAI_API_KEY": "sk-test"}
    args = [sys.executable, "-m", "summarize", "batch", str(source), "-o", str(out)]
    args += ["--base-url", server.url, "-m", "test-model", "--max-attempts", "2"]
    args += [*extra]  # one request per brief, as in settings_for
    if not wait:
        return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return subprocess.run(args, env=env, capture_output=True, timeout=120)


def test_a_run_killed_with_sigkill_resumes_to_every_item_exactly_once(server, tmp_path):
    server.repeat = Reply(200, GOOD, delay=0.1)
    source = tmp_path / "items.jsonl"
    seed = SEED.read_text(encoding="utf-8")
    source.write_text("".join(json.dumps({"id": f"n{i}", "text": seed}) + "\n" for i in range(30)))
    out = tmp_path / "out.jsonl"
    first = run_command(
        server, source, out, tmp_path / "cache", "--no-cache", "-c", "2", wait=False
    )
    # Read while the run writes, the file may end in part of a line (a read does not wait
    # for a write to finish; the resume drops such a line): only the lines ending in a
    # newline are written.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not out.exists() or out.read_text().count("\n") < 5):
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    written = out.read_text().count("\n")
    assert 5 <= written < 30, "the kill must land midway"

    second = run_command(server, source, out, tmp_path / "cache", "--no-cache", "-c", "2")
    assert second.returncode == 0, second.stderr.decode()
    assert f"{written} already done" in second.stderr.decode()
    ids = [ItemResult.model_validate(line).id for line in lines_of(out)]
    assert sorted(ids) == sorted(f"n{i}" for i in range(30))  # each exactly once


# Cache --------------------------------------------------------------------------


def test_a_repeated_article_costs_no_model_call(server, tmp_path):
    cache = BriefCache(tmp_path / "cache" / "briefs.sqlite3")
    first = summarize(SEED.read_text(encoding="utf-8"), settings_for(server), cache=cache)
    again = summarize(SEED.read_text(encoding="utf-8"), settings_for(server), cache=cache)
    assert len(server.requests) == 1
    assert again.cached and not first.cached
    assert again.brief.model_dump() == first.brief.model_dump()
    assert again.usage.total_tokens == 0 and again.attempts == 0


def test_the_cache_key_changes_with_model_settings_and_article(server, tmp_path):
    cache = BriefCache(tmp_path / "briefs.sqlite3")
    seed = SEED.read_text(encoding="utf-8")
    summarize(seed, settings_for(server), cache=cache)
    summarize(seed, settings_for(server), cache=cache, model="other-model")
    summarize(seed, settings_for(server), cache=cache, lenient=True)
    summarize(seed + "\n\nOne more paragraph.", settings_for(server), cache=cache)
    assert len(server.requests) == 4


def test_the_cache_file_is_readable_by_its_owner_only(server, tmp_path):
    cache = BriefCache(tmp_path / "new" / "briefs.sqlite3")
    summarize(SEED.read_text(encoding="utf-8"), settings_for(server), cache=cache)
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.path.parent.stat().st_mode) == 0o700


def test_no_cache_makes_the_call_again(server, tmp_path):
    source = tmp_path / "items.jsonl"
    source.write_text(json.dumps({"id": "x", "text": SEED.read_text(encoding="utf-8")}) + "\n")
    for out in ("one.jsonl", "two.jsonl"):
        assert run_command(server, source, tmp_path / out, tmp_path / "c").returncode == 0
    assert len(server.requests) == 1  # the second run came from the cache
    assert lines_of(tmp_path / "two.jsonl")[0]["result"]["cached"] is True
    run_command(server, source, tmp_path / "three.jsonl", tmp_path / "c", "--no-cache")
    assert len(server.requests) == 2


def _write_entries(path: str, writer: int, start) -> None:
    cache = BriefCache(Path(path))
    start.wait()  # all writers meet the new file at once
    for n in range(25):
        cache.put(f"{writer}-{n}", json.dumps({"writer": writer, "n": n}))


@pytest.mark.parametrize("round_", range(5))
def test_concurrent_writers_lose_nothing(tmp_path, round_):
    path = str(tmp_path / "briefs.sqlite3")
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(4, mp_context=context) as pool:
        start = manager.Barrier(4)
        list(pool.map(_write_entries, [path] * 4, range(4), [start] * 4))
    cache = BriefCache(Path(path))
    assert all(cache.get(f"{w}-{n}") for w in range(4) for n in range(25))


def test_secrets_never_reach_the_cache(server, tmp_path):
    cache = BriefCache(tmp_path / "briefs.sqlite3")
    settings = Settings(
        model="test-model", base_url=server.url, api_key="sk-test-CACHESECRET123456", retry=FAST
    )
    summarize(SEED.read_text(encoding="utf-8"), settings, cache=cache)
    assert b"CACHESECRET" not in cache.path.read_bytes()


# Limits and other pipelines ---------------------------------------------------------


def test_rate_limits_hold_requests_back():
    class Instant(httpx2.AsyncBaseTransport):
        async def handle_async_request(self, request):
            return httpx2.Response(200, json={})

    async def go(transport):
        started = time.monotonic()
        request = httpx2.Request("POST", "http://x/v1", json={"max_tokens": 40})
        for _ in range(4):
            await transport.handle_async_request(request)
        return time.monotonic() - started

    # 2 requests a second: the first 2 pass, the next 2 wait about 1 s in all.
    per_second = RateLimitedTransport(Instant(), 2, None, period=1.0)
    assert 0.8 < asyncio.run(go(per_second)) < 3.0
    # 100 tokens a second; each request is 40 + 4 (its 17 bytes / 4): 2 pass, 2 wait.
    tokens = RateLimitedTransport(Instant(), None, 100, period=1.0)
    assert 0.4 < asyncio.run(go(tokens)) < 3.0


def test_a_batch_keeps_one_connection_open_for_each_request_in_flight(tmp_path):
    # httpx keeps 20 connections alive by default: at a concurrency above that, each
    # answer closed one and the next request opened another (a new connection, and on
    # a real server a new TLS handshake, per request).
    with FaultServer(keep_alive=True) as running:
        running.repeat = Reply(200, GOOD, delay=0.05)  # so that all 32 are in flight together
        totals = run_batch(
            seed_items(96), tmp_path / "out.jsonl", settings_for(running), concurrency=32
        )
        connections = {request["client"] for request in running.requests}
    assert totals.done == 96
    assert len(connections) <= 32


def test_a_batch_leaves_the_garbage_collector_alone(server, tmp_path):
    # The library runs in its callers' processes: whether to freeze the heap is theirs.
    import gc

    frozen = gc.get_freeze_count()
    run_batch(seed_items(2), tmp_path / "out.jsonl", settings_for(server))
    assert gc.get_freeze_count() == frozen


def test_the_batch_command_leaves_the_imported_heap_out_of_garbage_collection(server, tmp_path):
    source = tmp_path / "items.jsonl"
    source.write_text(json.dumps({"id": "a", "text": SEED.read_text(encoding="utf-8")}) + "\n")
    code = (
        "import gc, sys\nfrom summarize._cli import main\n"
        "code = main(sys.argv[1:])\nprint(gc.get_freeze_count())\nsys.exit(code)"
    )
    args = [sys.executable, "-c", code, "batch", str(source), "-o", str(tmp_path / "out.jsonl")]
    args += ["--base-url", server.url, "-m", "test-model", "--max-attempts", "2", "--no-cache"]
    env = {**os.environ, "OPENAI_API_KEY": "sk-test"}
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    # openai's, instructor's and pydantic's objects: full collections no longer walk them.
    assert int(result.stdout) > 50_000


def test_the_embedded_model_gets_one_article_at_a_time(monkeypatch):
    # It writes one brief at a time: a second article in flight would only wait, and
    # count the wait in its own seconds.
    import summarize._batch as batch

    in_flight, most = 0, 0

    async def one(item, settings, cache, client):
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return ItemResult(id=item.id, status="done", seconds=0.01)

    class Client:
        class client:  # the shape of instructor's client.client
            @staticmethod
            async def close():
                pass

    monkeypatch.setattr(batch, "_one", one)
    monkeypatch.setattr(batch, "make_client", lambda *args, **kwargs: Client)

    async def run(model: str) -> int:
        nonlocal most
        most = 0
        items = [f"article {n}" for n in range(8)]
        settings = Settings(model=model, base_url="http://127.0.0.1:9/v1", api_key="sk-test")
        assert len([r async for r in batch.abatch(items, settings, concurrency=4)]) == 8
        return most

    assert asyncio.run(run("local")) == 1
    assert asyncio.run(run("test-model")) == 4


def _brief_headline(args: tuple[str, Settings]) -> str:
    text, settings = args
    return summarize(text, settings).brief.headline


def test_summarize_and_settings_run_in_a_process_pool(server):
    context = multiprocessing.get_context("spawn")  # nothing inherited: all is pickled
    work = [(SEED.read_text(encoding="utf-8"), settings_for(server))] * 3
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        headlines = list(pool.map(_brief_headline, work))
    assert len(set(headlines)) == 1 and headlines[0]
    assert len(server.requests) == 3


def test_the_batch_help_documents_resume_and_exit_codes():
    result = subprocess.run(
        [sys.executable, "-m", "summarize", "batch", "--help"],
        capture_output=True,
        cwd=ROOT,
        timeout=60,
    )
    help_text = result.stdout.decode()
    assert result.returncode == 0
    assert "resume" in help_text and "6  some articles failed" in help_text


def test_an_output_that_is_a_directory_is_a_clear_error(server, tmp_path):
    with pytest.raises(InputError, match="is a directory"):
        run_batch(seed_items(1), tmp_path, settings_for(server))
    run_batch(seed_items(1), tmp_path / "new" / "out.jsonl", settings_for(server))
    assert len(lines_of(tmp_path / "new" / "out.jsonl")) == 1


def test_a_date_that_is_not_one_fails_that_item_as_bad_input():
    item = BatchItem(id="x", text="A story.", date="13/02/2025")
    with pytest.raises(InputError, match="item 'x': date"):
        item.load()
