"""Many articles past one machine, on Ray Data (``pip install '.[ray]'``).

    import ray
    from summarize import Settings
    from summarize.ray import BriefBatch

    settings = Settings(model="Qwen/Qwen2.5-7B-Instruct", base_url="http://127.0.0.1:8000/v1")
    briefs = ray.data.read_json("articles.jsonl").map_batches(
        BriefBatch,
        fn_constructor_kwargs={"settings": settings, "concurrency": 16},
        batch_size=64,
        compute=ray.data.ActorPoolStrategy(size=4),
        num_cpus=0.5,
    )
    briefs.write_json("briefs/")

``BriefBatch`` is a callable class: Ray Data makes one per worker (an actor),
which builds its HTTP client once and keeps it for every batch, so the
worker's ``concurrency``, ``requests_per_minute`` and ``tokens_per_minute``
hold across batches exactly as in ``summarize batch`` (they are per worker:
divide a cluster-wide limit by the number of workers). Each row in (``id``
and one of ``text``, ``path``, ``url``; ``title`` and ``date`` optional) gives
one row out: ``id``, ``status`` ("done" or "failed"), ``brief`` (the Brief as
JSON), ``error`` and ``error_kind``, ``seconds``, and ``record`` (the line
``summarize batch`` writes for it). A failed article is a row, never a
failed job.

The embedded model is placed one per node: ``start_node_models`` starts one
actor on each node, reserving its CPUs, that loads the model and answers
OpenAI requests on the node's loopback address; ``BriefBatch(...,
node_model=True)`` sends each worker's requests to the model of its own node.

Ray is imported by this module only: ``import summarize`` and the command
line never load it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from summarize import BatchItem, ItemError, ItemResult, Settings, SummarizeError, asummarize
from summarize._requirements import require

# Without the extra, importing this module is a one-line error naming it.
pa = require("pyarrow", "[ray]", "summarize.ray")
ray = require("ray", "[ray]", "summarize.ray")

NAMESPACE = "summarize"
COLUMNS = ("id", "status", "brief", "error", "error_kind", "seconds", "record")
_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("status", pa.string()),
        ("brief", pa.string()),
        ("error", pa.string()),
        ("error_kind", pa.string()),
        ("seconds", pa.float64()),
        ("record", pa.string()),
    ]
)


def _make_client(settings: Settings, concurrency: int, rpm: float | None, tpm: float | None):
    # The one name used here that summarize/__init__.py does not export: the client
    # that asummarize's ``client`` argument takes (see its docstring). One per worker
    # keeps the connections open and the rate limits counting across batches.
    from summarize._client import make_client

    return make_client(
        settings,
        is_async=True,
        requests_per_minute=rpm,
        tokens_per_minute=tpm,
        connections=concurrency,
    )


def _columns(batch: Any) -> dict[str, list[Any]]:
    """A Ray Data batch (numpy dict, pandas DataFrame or pyarrow Table) as lists."""
    if hasattr(batch, "to_pydict"):  # pyarrow
        return batch.to_pydict()
    if hasattr(batch, "to_dict") and hasattr(batch, "columns"):  # pandas
        return batch.to_dict("list")
    return {name: list(values) for name, values in dict(batch).items()}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # pandas' missing value
        return None
    return str(value)


def _item(columns: Mapping[str, Sequence[Any]], row: int) -> BatchItem:
    fields = ("text", "path", "url", "title", "date")
    values = {name: _text(columns[name][row]) for name in fields if name in columns}
    item_id = _text(columns["id"][row])
    if item_id is None:
        return BatchItem(id=f"row {row}", problem=f"row {row} of a batch has no id")
    if not any(values.get(name) for name in ("text", "path", "url")):
        values["problem"] = f"item {item_id!r} has no text, path or url"
    return BatchItem(id=item_id, **values)


def _failure(item_id: str, exc: BaseException, started: float, api_key: str | None) -> ItemResult:
    if isinstance(exc, SummarizeError):
        kind, message = type(exc).__name__, str(exc)
    else:
        kind, message = "InternalError", f"{type(exc).__name__}: {exc}"
        if api_key:
            message = message.replace(api_key, "***")
    return ItemResult(
        id=item_id,
        status="failed",
        error=ItemError(kind=kind, message=message),
        seconds=round(time.perf_counter() - started, 3),
    )


class BriefBatch:
    """A Ray Data ``map_batches`` callable: the briefs of a batch of articles.

    ``settings``: the model and every option, as for ``summarize batch``.
    ``concurrency``: briefs in flight at once in this worker (all its batches together).
    ``requests_per_minute`` / ``tokens_per_minute``: this worker's rate limits.
    ``node_model``: send requests to the embedded model of this worker's node,
    started by ``start_node_models`` (``settings.model`` then names that model).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        concurrency: int = 8,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        node_model: bool = False,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.settings = settings or Settings()
        self.concurrency = concurrency
        self.requests_per_minute = requests_per_minute
        self.tokens_per_minute = tokens_per_minute
        self.node_model = node_model
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: Any = None
        self._client_url: str | None = None
        self._slots: asyncio.Semaphore | None = None

    async def _settings(self) -> Settings:
        if not self.node_model:
            return self.settings
        node = ray.get_runtime_context().get_node_id()
        try:
            server = ray.get_actor(node_model_name(node), namespace=NAMESPACE)
        except ValueError:
            raise RuntimeError(
                f"no embedded model on node {node}: call summarize.ray.start_node_models() "
                "before the pipeline runs"
            ) from None
        info = await server.info.remote()  # asked again each batch: a restarted one moves
        return dataclasses.replace(
            self.settings,
            model=info["model"],
            base_url=info["url"],
            mode=info["mode"],
            context_tokens=self.settings.context_tokens or info["context_tokens"],
        )

    async def _prepare(self) -> Settings:
        settings = await self._settings()
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._client_url != settings.base_url:
            self._loop = loop
            self._client_url = settings.base_url
            self._slots = asyncio.Semaphore(self.concurrency)
            self._client = _make_client(
                settings, self.concurrency, self.requests_per_minute, self.tokens_per_minute
            )
        return settings

    async def _one(self, item: BatchItem, settings: Settings) -> ItemResult:
        assert self._slots is not None
        async with self._slots:
            started = time.perf_counter()
            try:
                article = await asyncio.to_thread(item.load) if item.url else item.load()
                result = await asummarize(article, settings, client=self._client)
            except Exception as exc:  # one article's failure is a row, not the end
                return _failure(item.id, exc, started, settings.api_key)
            seconds = round(time.perf_counter() - started, 3)
            return ItemResult(id=item.id, status="done", result=result, seconds=seconds)

    async def __call__(self, batch: Any) -> pa.Table:
        columns = _columns(batch)
        if "id" not in columns:
            raise ValueError(f"BriefBatch needs an 'id' column; the batch has {sorted(columns)}")
        rows = len(columns["id"])
        items = [_item(columns, row) for row in range(rows)]
        started = time.perf_counter()
        try:
            settings = await self._prepare()
        except Exception as exc:  # e.g. no API key: every article of the batch says so
            records = [_failure(item.id, exc, started, None) for item in items]
        else:
            records = await asyncio.gather(*(self._one(item, settings) for item in items))
        return _table(records)


def _table(records: Sequence[ItemResult]) -> pa.Table:
    out: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    for record in records:
        out["id"].append(record.id)
        out["status"].append(record.status)
        out["brief"].append(record.result.brief.model_dump_json() if record.result else None)
        out["error"].append(record.error.message if record.error else None)
        out["error_kind"].append(record.error.kind if record.error else None)
        out["seconds"].append(record.seconds)
        out["record"].append(record.model_dump_json(exclude_none=True))
    return pa.table(out, schema=_SCHEMA)


# The embedded model, one per node.

Answer = Callable[[Any], Any]  # httpx2.Request -> httpx2.Response, as LocalModel.handle


def node_model_name(node_id: str) -> str:
    return f"summarize-model-{node_id}"


def _embedded(settings: Settings) -> tuple[Answer, dict[str, Any]]:
    """The library's embedded model (llama.cpp in this process) as an answer function.
    Its weights load at the first request, once per actor."""
    from summarize._local import CONTEXT_TOKENS, LocalModel

    spec = settings.model_spec
    model = LocalModel.shared(spec.model, settings.model_path)
    return model.handle, {"model": spec.model, "context_tokens": CONTEXT_TOKENS}


class NodeModel:
    """An OpenAI-compatible ``/chat/completions`` server on this node's 127.0.0.1 that
    answers with ``answer`` (by default the embedded model). Run as a Ray actor by
    ``start_node_models``, one per node; only workers on the same node reach it."""

    def __init__(self, settings: Settings, answer: Answer | None = None) -> None:
        import httpx2

        if answer is None:
            answer, about = _embedded(settings)
        else:
            about = {"model": settings.model_spec.model, "context_tokens": None}
        self.about = {**about, "mode": "json_schema"}
        self.served = 0
        served_lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the workers' clients expect
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                request = httpx2.Request(
                    "POST",
                    f"http://127.0.0.1{self.path}",
                    headers={"content-type": "application/json"},
                    content=body,
                )
                try:
                    response = answer(request)
                    payload = response.read()
                    status = response.status_code
                    kind = response.headers.get("content-type", "application/json")
                except Exception as exc:  # the worker sees a server error and retries
                    payload = f'{{"error": {{"message": "{type(exc).__name__}"}}}}'.encode()
                    status, kind = 500, "application/json"
                with served_lock:
                    owner.served += 1
                self.send_response(status)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def info(self) -> dict[str, Any]:
        """Where the workers of this node send requests, and what to ask for."""
        host, port = self._httpd.server_address[:2]
        return {**self.about, "url": f"http://{host}:{port}/v1"}

    def stats(self) -> dict[str, Any]:
        import os

        return {
            "served": self.served,
            "pid": os.getpid(),
            "node": ray.get_runtime_context().get_node_id(),
        }


def start_node_models(
    settings: Settings | None = None,
    *,
    cpus: float | None = None,
    answer: Answer | None = None,
) -> dict[str, Any]:
    """One ``NodeModel`` actor on each alive node with CPUs, by node id (an existing one
    is kept: never two on a node). Each reserves ``cpus`` CPUs (default: all of the
    node's but one, which is left to Ray Data's own tasks and the workers), so Ray
    places no other CPU work there. ``answer`` replaces the embedded model (tests)."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    settings = settings or Settings(model="local")
    actor = ray.remote(NodeModel)
    servers: dict[str, Any] = {}
    for node in ray.nodes():
        node_cpus = node.get("Resources", {}).get("CPU", 0)
        if not node.get("Alive") or not node_cpus:
            continue
        reserve = cpus if cpus is not None else max(1.0, node_cpus - 1)
        servers[node["NodeID"]] = actor.options(
            name=node_model_name(node["NodeID"]),
            namespace=NAMESPACE,
            get_if_exists=True,
            num_cpus=reserve,
            max_concurrency=4,  # info() answers while the model writes
            max_restarts=-1,
            scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False),
        ).remote(settings, answer)
    ray.get([server.info.remote() for server in servers.values()])  # all up
    return servers


def stop_node_models(servers: Mapping[str, Any]) -> None:
    for server in servers.values():
        ray.kill(server, no_restart=True)
