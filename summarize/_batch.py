"""Many articles: bounded concurrency, rate limits, resumable JSONL output.

``abatch`` takes articles and yields a result for each as it finishes (a brief
or an error: one failure never stops the run). ``run_batch`` writes those
results to a JSONL file, one line each, and on a second run with the same file
skips what is already done: a run killed at any moment, even with SIGKILL,
is resumed by running it again.
"""

from __future__ import annotations

import asyncio
import glob
import json
import os
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from summarize._article import Article, read_article
from summarize._backends import backend_for
from summarize._cache import BriefCache
from summarize._client import make_client
from summarize._core import asummarize
from summarize._errors import InputError, SummarizeError
from summarize._result import BriefResult
from summarize._settings import Settings

# What a directory or glob of articles is made of.
ARTICLE_SUFFIXES = (".txt", ".md", ".text", ".html", ".htm")


@dataclass(frozen=True)
class BatchItem:
    """One article of a batch, not yet read: its id and where its text comes from."""

    id: str
    text: str | None = None
    path: str | None = None
    url: str | None = None
    title: str | None = None
    date: str | None = None
    problem: str | None = None  # the input line itself was unusable

    def load(self) -> Article:
        try:
            return self._load()
        except ValidationError as error:  # a caller-given date or title that is not one
            problem = error.errors()[0]
            field = ".".join(str(part) for part in problem["loc"])
            raise InputError(f"item {self.id!r}: {field}: {problem['msg']}") from None

    def _load(self) -> Article:
        if self.problem:
            raise InputError(self.problem)
        known = {"title": self.title} if self.title else {}
        if self.date:
            known["date"] = self.date
        if self.text is not None:
            return Article.from_text(self.text, url=self.url, **known)
        if self.path is not None:
            article = read_article(self.path)
            return article.model_copy(update=_validated(known))
        if self.url is not None:
            from summarize._web import fetch_article

            article = fetch_article(self.url)
            return article.model_copy(update=_validated(known))
        raise InputError(f"item {self.id!r} has no text, path or url")


def _validated(known: dict[str, Any]) -> dict[str, Any]:
    """Caller-given title/date, checked (model_copy does not validate)."""
    if not known:
        return {}
    checked = Article(text="x", **known)
    return {name: getattr(checked, name) for name in known}


class ItemError(BaseModel):
    """Why one article of a batch failed: the error's class and its one-line message."""

    kind: str  # the SummarizeError subclass, e.g. "GroundingError"; else "InternalError"
    message: str


class ItemResult(BaseModel):
    """One line of a batch's output."""

    id: str
    status: Literal["done", "failed"]
    result: BriefResult | None = None
    error: ItemError | None = None
    seconds: float


def read_items(source: str) -> list[BatchItem]:
    """The articles named by ``source``: a directory, a glob, or a JSONL file of
    ``{"id", "text" | "path" | "url", "title"?, "date"?}`` objects."""
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in ARTICLE_SUFFIXES)
        return [BatchItem(id=str(p.relative_to(path)), path=str(p)) for p in files]
    if path.suffix.lower() in (".jsonl", ".ndjson") and path.is_file():
        return _read_jsonl(path)
    if glob.has_magic(source):
        return [BatchItem(id=p, path=p) for p in sorted(glob.glob(source, recursive=True))]
    raise InputError(
        f"{source} is not a directory, a glob or a .jsonl file: give one of those "
        "(e.g. articles/, 'articles/*.txt' or articles.jsonl)"
    )


def _read_jsonl(path: Path) -> list[BatchItem]:
    items: list[BatchItem] = []
    lines_of: dict[str, int] = {}
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                if not isinstance(data, dict):
                    raise ValueError("not an object")
            except ValueError as exc:
                items.append(
                    BatchItem(id=f"line {number}", problem=f"line {number} is not JSON ({exc})")
                )
                continue
            item_id = str(data.get("id", f"line {number}"))
            if item_id in lines_of:
                raise InputError(
                    f"{path} line {number}: id {item_id!r} is already used on line "
                    f"{lines_of[item_id]}: ids must be unique"
                )
            lines_of[item_id] = number
            path_value = data.get("path")
            if path_value and not Path(path_value).is_absolute():
                path_value = str(path.parent / path_value)  # relative to the JSONL file
            fields = {k: data.get(k) for k in ("text", "url", "title", "date")}
            if not any(data.get(k) for k in ("text", "path", "url")):
                fields["problem"] = f"line {number} has no text, path or url"
            items.append(BatchItem(id=item_id, path=path_value, **fields))
    return items


def _failure(item_id: str, exc: BaseException, started: float) -> ItemResult:
    if isinstance(exc, SummarizeError):
        error = ItemError(kind=type(exc).__name__, message=str(exc))
    else:
        from summarize._errors import redact

        message = redact(f"{type(exc).__name__}: {exc}", None)
        error = ItemError(kind="InternalError", message=message)
    return ItemResult(
        id=item_id,
        status="failed",
        error=error,
        seconds=round(time.perf_counter() - started, 3),
    )


async def _one(item: BatchItem, settings: Settings, cache: BriefCache | None, client: Any):
    started = time.perf_counter()
    try:
        article = await asyncio.to_thread(item.load) if item.url else item.load()
        result = await asummarize(article, settings, cache=cache, client=client)
    except Exception as exc:  # one article's failure is a line in the output, not the end
        return _failure(item.id, exc, started)
    return ItemResult(
        id=item.id, status="done", result=result, seconds=round(time.perf_counter() - started, 3)
    )


def _as_item(number: int, article: BatchItem | Article | str) -> BatchItem:
    if isinstance(article, BatchItem):
        return article
    if isinstance(article, Article):
        return BatchItem(
            id=str(number),
            text=article.text,
            title=article.title,
            date=article.date.isoformat() if article.date else None,
        )
    return BatchItem(id=str(number), text=article)


async def abatch(
    articles: Iterable[BatchItem | Article | str],
    settings: Settings | None = None,
    *,
    concurrency: int = 4,
    requests_per_minute: float | None = None,
    tokens_per_minute: float | None = None,
    cache: BriefCache | None = None,
) -> AsyncIterator[ItemResult]:
    """Summarise ``articles``, at most ``concurrency`` at a time, yielding each result
    as it finishes (not in input order). Articles are read lazily, so the iterable
    may be endless. Plain articles and strings get their position (from 1) as id.
    The limits apply to every HTTP request, re-asks and retries included."""
    if concurrency < 1:
        raise InputError("concurrency must be at least 1")
    settings = settings or Settings()
    # More requests in flight than the backend answers at once (the embedded model: one)
    # would only wait for it, and each would count that wait in its seconds.
    most = backend_for(settings.model_spec, settings.model_path).concurrency
    concurrency = min(concurrency, most or concurrency)
    client = make_client(
        settings,
        is_async=True,
        requests_per_minute=requests_per_minute,
        tokens_per_minute=tokens_per_minute,
        connections=concurrency,
    )
    pending: set[asyncio.Task[ItemResult]] = set()
    source = iter(enumerate(articles, 1))
    exhausted = False
    try:
        while pending or not exhausted:
            while not exhausted and len(pending) < concurrency:
                try:
                    number, article = next(source)
                except StopIteration:
                    exhausted = True
                    break
                item = _as_item(number, article)
                pending.add(asyncio.create_task(_one(item, settings, cache, client)))
            if not pending:
                break
            finished, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in finished:
                yield task.result()
    finally:
        for task in pending:
            task.cancel()
        await client.client.close()


@dataclass
class BatchTotals:
    """What ``run_batch`` did: articles briefed (of them, from the cache), failed, and
    skipped as done by an earlier run of the same output; tokens spent; wall time."""

    done: int = 0
    failed: int = 0
    cached: int = 0
    skipped: int = 0  # done in an earlier run of the same output
    tokens: int = 0
    seconds: float = 0.0


def _done_lines(out: Path) -> dict[str, str]:
    """The lines of ``out`` for items done, by id (failed items and a line cut short
    by a killed run left out)."""
    kept: dict[str, str] = {}
    if not out.is_file():
        return kept
    with out.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                record = ItemResult.model_validate_json(line)
            except ValidationError:
                continue  # a line cut short by a kill
            if record.status == "done":
                kept[record.id] = line if line.endswith("\n") else line + "\n"
    return kept


def done_ids(out: Path) -> set[str]:
    """Ids already done in ``out``, reading it only."""
    return set(_done_lines(out))


def load_done(out: Path) -> set[str]:
    """Ids already done in ``out``, after rewriting it to hold just those lines.

    Failed items are dropped (they are tried again) and so is a line cut short
    by a killed run; the rewrite goes through a temporary file and a rename, so
    the output is never left half-written.
    """
    if not out.exists():
        return set()
    kept = _done_lines(out)
    temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    temporary.write_text("".join(kept.values()), encoding="utf-8")
    os.replace(temporary, out)
    return set(kept)


def run_batch(
    items: Iterable[BatchItem],
    out: Path,
    settings: Settings | None = None,
    *,
    concurrency: int = 4,
    requests_per_minute: float | None = None,
    tokens_per_minute: float | None = None,
    cache: BriefCache | None = None,
    on_result: Callable[[ItemResult], None] | None = None,
) -> BatchTotals:
    """Summarise ``items`` into the JSONL file ``out``, skipping ids it already holds.

    Each result is written and flushed as it arrives, so a killed run loses at
    most the articles in flight. A repeated id stops the run (what is written
    stays): two articles cannot share one line.
    """
    started = time.perf_counter()
    totals = BatchTotals()
    if out.is_dir():
        raise InputError(f"{out} is a directory: give the path of the JSONL file to write")
    out.parent.mkdir(parents=True, exist_ok=True)
    done = load_done(out)
    seen: set[str] = set()

    def todo() -> Iterator[BatchItem]:
        for item in items:
            if item.id in done:
                totals.skipped += 1
                continue
            if item.id in seen:
                raise InputError(f"id {item.id!r} appears twice in the input: ids must be unique")
            seen.add(item.id)
            yield item

    async def go() -> None:
        with out.open("a", encoding="utf-8") as output:
            async for record in abatch(
                todo(),
                settings,
                concurrency=concurrency,
                requests_per_minute=requests_per_minute,
                tokens_per_minute=tokens_per_minute,
                cache=cache,
            ):
                output.write(record.model_dump_json(exclude_none=True) + "\n")
                output.flush()  # on disk for the next run even if this one is killed
                if record.result is not None:
                    totals.done += 1
                    totals.cached += record.result.cached
                    totals.tokens += record.result.usage.total_tokens
                else:
                    totals.failed += 1
                if on_result is not None:
                    on_result(record)

    asyncio.run(go())
    totals.seconds = round(time.perf_counter() - started, 3)
    return totals
