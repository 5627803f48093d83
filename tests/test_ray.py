"""summarize.ray on a local Ray (2 CPUs, bound to 127.0.0.1) against the loopback fake
server of the batch benchmark (tests/faultserver.py): every id once in the output,
briefs that validate against the article, failures as rows, a worker killed mid-run
losing nothing, and the embedded model placed one per node.

Runs when ray is installed (pip install '.[ray]'); skipped otherwise.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import threading
import time
from collections import Counter

import pytest

ray = pytest.importorskip("ray")
httpx2 = pytest.importorskip("httpx2")
psutil = pytest.importorskip("psutil")  # a dependency of ray

from summarize import Brief, ItemResult, Settings  # noqa: E402
from summarize._transport import RetryPolicy  # noqa: E402
from summarize.ray import (  # noqa: E402
    BriefBatch,
    node_model_name,
    start_node_models,
    stop_node_models,
)
from tests.conftest import SEED  # noqa: E402
from tests.faultserver import FaultServer, Reply, canned_answer  # noqa: E402

ARTICLE = SEED.read_text(encoding="utf-8")
ARTICLES = 200
UNANSWERED = "UNANSWERED-BY-THE-SERVER"  # the server refuses the article holding this
WORKERS = 2
ASKED = re.compile(r"\(Article (a\d{4})\.\)")


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray for the module: the machine's 2 CPUs, every address 127.0.0.1
    (the tests' network is loopback only)."""
    if ray.is_initialized():
        ray.shutdown()
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        _node_ip_address="127.0.0.1",
        log_to_driver=False,
        configure_logging=False,
    )
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    yield ray
    ray.shutdown()


@pytest.fixture
def server():
    """The batch benchmark's fake server with a short delay, so that requests overlap."""
    with FaultServer(keep_alive=True) as fake:
        fake.answer = lambda body: (
            Reply(400, {"error": {"message": "refused for the test"}})
            if UNANSWERED in json.dumps(body)
            else Reply(200, canned_answer(), delay=0.02)
        )
        yield fake


def settings_for(url: str) -> Settings:
    return Settings(
        model="bench-model", base_url=url, api_key="sk-test", retry=RetryPolicy(max_attempts=2)
    )


def rows(count: int = ARTICLES) -> list[dict]:
    # Each text names its id, so that the server can tell which article a request is for.
    articles = [
        {"id": f"a{n:04d}", "text": f"{ARTICLE}\n\n(Article a{n:04d}.)"} for n in range(count)
    ]
    articles[7]["text"] += "\n\n" + UNANSWERED  # the server answers 400
    articles[11]["text"] = "   "  # no article at all: an InputError before any request
    return articles


def run_pipeline(settings: Settings, **options) -> list[dict]:
    dataset = ray.data.from_items(rows(), override_num_blocks=8)
    briefs = dataset.map_batches(
        BriefBatch,
        fn_constructor_kwargs={"settings": settings, "concurrency": 8, **options},
        batch_size=8,
        compute=ray.data.ActorPoolStrategy(size=WORKERS),
        num_cpus=0.5,  # leaves room for the embedded model's reservation
    )
    return briefs.take_all()


def check_output(out: list[dict]) -> None:
    ids = Counter(row["id"] for row in out)
    assert sorted(ids) == [f"a{n:04d}" for n in range(ARTICLES)]
    assert set(ids.values()) == {1}, [i for i, n in ids.items() if n > 1]
    failed = {row["id"]: row for row in out if row["status"] == "failed"}
    assert sorted(failed) == ["a0007", "a0011"]
    assert failed["a0007"]["error_kind"] == "ModelError"
    assert "refused for the test" in failed["a0007"]["error"]
    assert failed["a0011"]["error_kind"] == "InputError"
    assert all(row["brief"] is None for row in failed.values())
    done = [row for row in out if row["status"] == "done"]
    assert len(done) == ARTICLES - 2
    # Every brief is whole, and what it presents as the article's is the article's.
    for brief in {row["brief"] for row in done}:
        checked = Brief.model_validate_json(brief)
        assert checked.headline and checked.key_points
        evidence = [e for point in checked.key_points for e in point.evidence]
        quotes = [q for actor in checked.actors for q in actor.quotes]
        assert evidence and all(passage in ARTICLE for passage in evidence + quotes)
    # And each row carries the line `summarize batch` would write for it.
    for row in out:
        record = ItemResult.model_validate_json(row["record"])
        assert (record.id, record.status) == (row["id"], row["status"])


def test_two_hundred_articles_every_id_once_failures_as_rows(local_ray, server):
    out = run_pipeline(settings_for(server.url))
    check_output(out)
    assert len(server.requests) >= ARTICLES - 1  # a0011 fails before asking


def _map_worker_pids() -> list[int]:
    """Ray Data's actors for BriefBatch on this machine (their process titles)."""
    pids = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        if "MapWorker(MapBatches(BriefBatch" in " ".join(process.info["cmdline"] or []):
            pids.append(process.info["pid"])
    return pids


def test_a_worker_killed_mid_run_loses_nothing(local_ray, server):
    killed: list[int] = []
    lock = threading.Lock()
    answer = server.answer

    def answer_and_kill_once(body):
        with lock:
            if len(server.requests) >= 60 and not killed:
                pids = _map_worker_pids()
                if pids:
                    os.kill(pids[0], signal.SIGKILL)  # mid-run: both workers have requests out
                    killed.append(pids[0])
        return answer(body)

    server.answer = answer_and_kill_once
    out = run_pipeline(settings_for(server.url))
    assert killed, "no worker was found to kill"
    assert not psutil.pid_exists(killed[0]) or psutil.Process(killed[0]).status() == "zombie"
    check_output(out)  # every id exactly once, the two failures as rows
    # The killed worker's batch was run again by a restarted worker: its articles were
    # asked for again (each article of a clean run makes the same number of requests).
    asked = Counter(
        match for request in server.requests for match in ASKED.findall(json.dumps(request["json"]))
    )
    usual = Counter(asked.values()).most_common(1)[0][0]
    assert max(asked.values()) > usual, asked


def stand_in_for_the_embedded_model(request):
    """A STAND-IN for llama.cpp: answers like LocalModel.handle (an httpx2 request in, a
    response out) with the fake server's canned brief. The real model is too slow to
    load here; what is tested is where it runs and who it serves."""
    body = json.loads(request.content)
    if UNANSWERED in json.dumps(body):
        return httpx2.Response(400, json={"error": {"message": "refused for the test"}})
    return httpx2.Response(200, json=canned_answer())


# Ray ships the stand-in to the actor by value: pytest imports this file as a module
# ("test_ray") that Ray's worker processes could not import by name.
ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])


def settled_free_cpus() -> float:
    """The free CPUs once the actors of the tests before have given theirs back (Ray
    releases a killed actor's CPUs a moment later)."""
    total = ray.cluster_resources().get("CPU", 0)
    deadline = time.monotonic() + 30
    while ray.available_resources().get("CPU", 0) < total and time.monotonic() < deadline:
        time.sleep(0.1)
    return ray.available_resources().get("CPU", 0)


def test_embedded_model_one_per_node_its_cpus_reserved_serving_every_worker(local_ray):
    free_before = settled_free_cpus()
    servers = start_node_models(
        Settings(model="local"), cpus=1, answer=stand_in_for_the_embedded_model
    )
    try:
        node = ray.get_runtime_context().get_node_id()
        assert list(servers) == [node]  # one node here, one model
        assert ray.available_resources().get("CPU", 0) == free_before - 1  # reserved
        # Asking again keeps the one there: never two models on a node.
        again = start_node_models(
            Settings(model="local"), cpus=1, answer=stand_in_for_the_embedded_model
        )
        first, second = ray.get([servers[node].stats.remote(), again[node].stats.remote()])
        assert first["pid"] == second["pid"]
        assert ray.get_actor(node_model_name(node), namespace="summarize") is not None

        settings = Settings(model="local", retry=RetryPolicy(max_attempts=2))
        out = run_pipeline(settings, node_model=True)
        check_output(out)
        stats = ray.get(servers[node].stats.remote())
        assert stats["node"] == node
        # Every brief's request went to the one model of the node (the two workers had
        # no other server: the settings name the embedded model, not a URL).
        assert stats["served"] >= ARTICLES - 1
    finally:
        stop_node_models(servers)
