"""``summarize`` and ``asummarize``: an article in, a validated brief out."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from summarize._analysis import Analysis, analyse
from summarize._article import Article
from summarize._assemble import MAX_ROLES_ASKED, assemble, listed_actors, listed_dates
from summarize._cache import BriefCache, cache_key
from summarize._errors import (
    ArticleTooLongError,
    ConfigurationError,
    GroundingError,
    ModelError,
    SummarizeError,
)
from summarize._grounding import ArticleIndex
from summarize._llm import (
    Mode,
    ModelSpec,
    RetryPolicy,
    build_client,
    parse_model_spec,
    served_model,
)
from summarize._parts import estimate_tokens, merge_briefs, part_articles, split_article
from summarize._prompts import render_messages
from summarize._schema import CHECKING, Brief, Prose, prose_model

log = logging.getLogger("summarize")


@dataclass(frozen=True)
class Settings:
    """Everything that shapes a summary. Plain and picklable: safe to send to a process pool."""

    model: str | None = None
    """The model spec: "local", "local/qwen2.5-coder-0.5b", "openai/gpt-4o-mini", ...;
    None is ``SUMMARIZE_MODEL`` or the embedded model."""
    base_url: str | None = None
    """An OpenAI-compatible server; ``OPENAI_BASE_URL`` also works."""
    api_key: str | None = field(default=None, repr=False)
    """The server's API key; else ``OPENAI_API_KEY``."""
    mode: Mode | None = None
    """How to ask for structure (tools, json_schema, json); chosen from the backend when None."""
    model_path: str | None = None
    """A GGUF file for the embedded model; else ``SUMMARIZE_MODEL_PATH``."""
    templates: str | None = None
    """A directory with your own ``system.j2`` and ``user.j2``."""
    language: str | None = None
    """The language of the brief; the article's own by default."""
    summary_sentences: str = "2 or 3"
    """How many sentences the summary has, as the prompt says it."""
    max_reasks: int = 2
    """Re-asks after a brief fails validation."""
    lenient: bool = False
    """After the last re-ask, leave out what failed (listed in ``BriefResult.dropped``)."""
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    """Bounds for retrying transport faults."""
    timeout: float = 600.0
    """Seconds to wait for one answer (a small model on a CPU writes for minutes)."""
    temperature: float = 0.0
    """Sampling temperature of the first answer."""
    reask_temperature: float = 0.7
    """The re-asks' temperature: at 0 a model writes the brief it was told to fix again."""
    reask_seed: int | None = 0
    """Re-asks sample from this seed (plus their number), so that an article gets the
    same brief alone or in a batch, in any order; None leaves it to the server."""
    max_tokens: int = 2048
    """The output token limit of one answer."""
    context_tokens: int | None = None
    """The model's context window in tokens: a longer article is briefed in parts and
    merged. Known for the embedded model and OpenAI; for another server, give it
    to have long articles split (else its "too long" answer is an error)."""

    @property
    def model_spec(self) -> ModelSpec:
        """The backend these settings name (provider, model, server, mode); a server named
        without a model is asked once which model it serves."""
        spec = parse_model_spec(self.model, base_url=self.base_url, mode=self.mode)
        return _served(spec, self.api_key)


class Usage(BaseModel):
    """Tokens spent on one brief, summed over every attempt and re-ask."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    def plus(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
        )


class BriefResult(BaseModel):
    """A validated brief with what it cost to make."""

    brief: Brief
    model: str
    """The model spec that wrote it, e.g. "local/qwen2.5-coder-1.5b"."""
    usage: Usage
    attempts: int
    """The model's answers, re-asks included."""
    seconds: float
    """Wall time."""
    dropped: list[str] = []
    """What the checks left out of the brief or replaced, and why: key points the article
    does not state (while three stated remain), a quoted speaker's stance their quotes do
    not state (their own words stand for it); in lenient mode, whatever failed."""
    cached: bool = False
    """From the brief cache: no model call was made."""
    parts: int = 1
    """A long article is briefed in parts, then merged."""


_SECRET = re.compile(r"\b(sk-[A-Za-z0-9_\-*]{6,}|Bearer\s+\S+)")


def redact(text: str, key: str | None) -> str:
    """``text`` with the API key (and anything that looks like a key) masked."""
    if key and key != "not-needed":
        text = text.replace(key, "***")
    return _SECRET.sub("***", text)


class _FromSettings:
    """The default of ``summarize``'s options: the value the settings already have."""

    def __repr__(self) -> str:
        return "FROM_SETTINGS"


# Typed Any so that each option shows its own type in the signature; never passed in.
FROM_SETTINGS: Any = _FromSettings()


def _settings(settings: Settings | None, arguments: dict[str, Any]) -> Settings:
    """``settings`` (or the defaults) with the options given, taken from a call's
    ``locals()`` by the names of the fields of ``Settings``."""
    given = {f.name: arguments[f.name] for f in fields(Settings)}
    options = {name: value for name, value in given.items() if value is not FROM_SETTINGS}
    return replace(settings or Settings(), **options)


def _article(article: Article | str) -> Article:
    return article if isinstance(article, Article) else Article.from_text(article)


def _usage(total: Any) -> Usage:
    if total is None:
        return Usage()
    return Usage(
        prompt_tokens=total.prompt_tokens or 0,
        completion_tokens=total.completion_tokens or 0,
        total_tokens=total.total_tokens or 0,
    )


@lru_cache(maxsize=64)
def _response_model(model: type[BaseModel]) -> type[BaseModel]:
    """A ``Prose`` model as instructor wants it, made once: instructor would otherwise wrap it in
    a new pydantic class, and build that class's JSON schema, on every request (~10 ms)."""
    from instructor.v2.core import patch
    from instructor.v2.core.function_calls import response_schema
    from instructor.v2.validation import async_validators

    # instructor 1.17 walks the model's classes for async validators five times a
    # request (~2 ms, most of a batch's overhead per article); a class checked once
    # stays checked. Its call sites import the function anew each time, but one.
    check = async_validators.reject_async_validators
    checked: set[Any] = set()

    def reject_async_validators_once(response_model: Any) -> None:
        if response_model not in checked:
            check(response_model)
            checked.add(response_model)

    async_validators.reject_async_validators = reject_async_validators_once
    patch.reject_async_validators = reject_async_validators_once
    return response_schema(model)


# Attempts (first request and re-asks) are counted by a client hook; the count
# lives in a context variable so one client can serve concurrent briefs.
_ATTEMPTS: ContextVar[list[int] | None] = ContextVar("summarize_attempts", default=None)


def _count_attempt(*args: Any, **kwargs: Any) -> None:
    counter = _ATTEMPTS.get()
    if counter is not None:
        counter[0] += 1


def _log_rejection(error: Exception, attempt_number: int = 0, **_: Any) -> None:
    """Say (at -v) why an answer is asked again: the checks it failed."""
    if isinstance(error, ValidationError):
        reasons = [e["msg"].removeprefix("Value error, ") for e in error.errors()]
    else:
        reasons = str(error).splitlines()[:1]
    log.info("Answer %s failed its checks: %s", attempt_number or "", " | ".join(reasons))


def make_client(
    settings: Settings,
    *,
    is_async: bool,
    on_text: Callable[[str], None] | None = None,
    requests_per_minute: float | None = None,
    tokens_per_minute: float | None = None,
    connections: int | None = None,
) -> Any:
    """The instructor client for ``settings``; one may serve many briefs (the rate
    limits, async only, hold across all of them; ``connections`` are kept open for
    as many requests at once)."""
    spec = settings.model_spec
    client = build_client(
        spec,
        api_key=settings.api_key,
        policy=settings.retry,
        timeout=settings.timeout,
        model_path=settings.model_path,
        reask_temperature=settings.reask_temperature,
        reask_seed=settings.reask_seed,
        on_text=on_text,
        is_async=is_async,
        requests_per_minute=requests_per_minute,
        tokens_per_minute=tokens_per_minute,
        connections=connections,
    )
    client.on("completion:kwargs", _count_attempt)
    client.on("parse:error", _log_rejection)
    return client


@lru_cache(maxsize=16)
def _served(spec: ModelSpec, api_key: str | None) -> ModelSpec:
    return served_model(spec, api_key)


# The analyses of the last articles seen, by (text, date), least recently used first.
_ANALYSES: OrderedDict[tuple[str, Any], Analysis] = OrderedDict()
_ANALYSES_KEPT = 32
_ANALYSES_LOCK = threading.Lock()


def analysis_of(text: str, published: Any = None) -> Analysis:
    """The analysis of an article, made once (its parts and its token count reuse it)."""
    key = (text, published)
    with _ANALYSES_LOCK:
        if key in _ANALYSES:
            _ANALYSES.move_to_end(key)
            return _ANALYSES[key]
    analysis = analyse(text, published)
    with _ANALYSES_LOCK:
        _ANALYSES[key] = analysis
        while len(_ANALYSES) > _ANALYSES_KEPT:
            _ANALYSES.popitem(last=False)
    return analysis


def _is_analysed(article: Article) -> bool:
    return (article.text, article.date) in _ANALYSES


class _Call:
    """One brief in the making: the analysis, the request, the cache entry and the counters."""

    def __init__(
        self,
        article: Article | str,
        settings: Settings,
        cache: BriefCache | None,
        whole: Article | None = None,
    ) -> None:
        self.started = time.perf_counter()
        self.article = _article(article)
        # A part of a long article is briefed with the whole article's facts: an actor
        # the part calls "Putin" is "Vladimir Putin" a few paragraphs earlier.
        whole = whole or self.article
        self.analysis = analysis_of(whole.text, whole.date)
        self.actors = listed_actors(self.analysis)
        self.dates = listed_dates(self.analysis)
        self.index = ArticleIndex.of(whole.text, tuple(self.analysis.sentences))
        self.settings = settings
        self.spec: ModelSpec = settings.model_spec
        templates = Path(settings.templates) if settings.templates else None
        asked = self.actors[:MAX_ROLES_ASKED]  # the model writes these actors' roles
        messages = render_messages(
            self.article,
            asked,
            self.dates,
            templates=templates,
            language=settings.language,
            summary_sentences=settings.summary_sentences,
        )
        self.prose_model = prose_model(
            tuple((a.name, bool(a.quotes)) for a in asked), tuple(d.text for d in self.dates)
        )
        self.kwargs = {
            "response_model": _response_model(self.prose_model),
            "messages": messages,
            "model": self.spec.model,
            "max_retries": settings.max_reasks,
            "temperature": settings.temperature,
            "max_tokens": settings.max_tokens,
        }
        self.checking = {"article": self.index, "actors": self.actors, "title": whole.title}
        self.cache = cache
        self.key = ""
        if cache is not None:
            self.key = cache_key(
                messages,
                self.spec.label,
                self.spec.base_url or "",
                mode=self.spec.mode,
                lenient=settings.lenient,
                temperature=settings.temperature,
                max_reasks=settings.max_reasks,
                reask_seed=settings.reask_seed,
                grounded_in=hashlib.sha256(whole.text.encode()).hexdigest()[:16],
            )
        self.attempts = [0]
        self.error: Exception | None = None  # what the last request raised
        self.spent: Any = None  # the usage of an answer cut at the output limit

    def requests(self) -> Iterator[dict[str, Any]]:
        """The request; and once more, sampled at the re-ask temperature, when its answer
        stopped at the output limit: a small model that falls into repeating a string
        until the limit does it again on the same prompt at temperature 0; sampled, it
        writes a new answer."""
        from instructor.core import IncompleteOutputException

        yield self.kwargs
        if isinstance(self.error, IncompleteOutputException):
            self.spent = getattr(self.error.last_completion, "usage", None)
            temperature = max(self.settings.temperature, self.settings.reask_temperature)
            again = {**self.kwargs, "temperature": temperature}
            if self.settings.reask_seed is not None:
                again["seed"] = self.settings.reask_seed
            yield again

    @contextmanager
    def answering(self) -> Iterator[None]:
        """While the model answers: the article for the checks, and the attempt counter,
        in this thread's or task's context; both put back afterwards."""
        checking, attempts = CHECKING.set(self.checking), _ATTEMPTS.set(self.attempts)
        try:
            yield
        finally:
            CHECKING.reset(checking)
            _ATTEMPTS.reset(attempts)

    def cached(self) -> BriefResult | None:
        """The brief from the cache, if it holds one: no model call, no tokens."""
        stored = self.cache.get(self.key) if self.cache is not None else None
        if stored is None:
            return None
        return BriefResult.model_validate_json(stored).model_copy(
            update={
                "usage": Usage(),
                "attempts": 0,
                "cached": True,
                "seconds": round(time.perf_counter() - self.started, 3),
            }
        )

    def result(
        self, prose: Prose, usage: Any = None, dropped: list[str] | None = None
    ) -> BriefResult:
        brief = assemble(prose, self.analysis, self.actors, self.dates, self.index)
        usage = _usage(usage or getattr(prose, "_total_usage", None))
        result = BriefResult(
            brief=brief,
            model=self.spec.label,
            usage=usage.plus(_usage(self.spent)),
            attempts=self.attempts[0],
            seconds=round(time.perf_counter() - self.started, 3),
            dropped=[*prose._left_out, *(dropped or [])],
        )
        if self.cache is not None:
            self.cache.put(self.key, result.model_dump_json())
        return result

    def failed(self, exc: Exception) -> BriefResult:
        """Raise what the client raised as a ``summarize`` error, or, in lenient mode,
        return the last answer with what failed its checks left out."""
        error = _map_error(exc, self.spec, self.settings.api_key)
        failed = getattr(exc, "failed_attempts", None)
        if not (self.settings.lenient and isinstance(error, GroundingError) and failed):
            raise error from None
        dropped: list[str] = []
        context = {**self.checking, "dropped": dropped}
        try:
            prose = self.prose_model.model_validate_json(
                _answer_text(failed[-1].completion), context=context
            )
        except ValueError:
            raise error from None
        return self.result(prose, usage=getattr(exc, "total_usage", None), dropped=dropped)


def _answer_text(completion: Any) -> str:
    """The JSON a chat completion carries: a tool call's arguments, or the message."""
    message = completion.choices[0].message
    if message.tool_calls:
        return message.tool_calls[0].function.arguments
    return message.content or ""


def summarize(
    article: Article | str,
    settings: Settings | None = None,
    *,
    on_text: Callable[[str], None] | None = None,
    cache: BriefCache | None = None,
    model: str | None = FROM_SETTINGS,
    base_url: str | None = FROM_SETTINGS,
    api_key: str | None = FROM_SETTINGS,
    mode: Mode | None = FROM_SETTINGS,
    model_path: str | None = FROM_SETTINGS,
    templates: str | None = FROM_SETTINGS,
    language: str | None = FROM_SETTINGS,
    summary_sentences: str = FROM_SETTINGS,
    max_reasks: int = FROM_SETTINGS,
    lenient: bool = FROM_SETTINGS,
    retry: RetryPolicy = FROM_SETTINGS,
    timeout: float = FROM_SETTINGS,
    temperature: float = FROM_SETTINGS,
    reask_temperature: float = FROM_SETTINGS,
    reask_seed: int | None = FROM_SETTINGS,
    max_tokens: int = FROM_SETTINGS,
    context_tokens: int | None = FROM_SETTINGS,
) -> BriefResult:
    """Summarise ``article`` (an ``Article`` or its text) into a validated ``Brief``.

    ``settings`` holds every option (``Settings()`` when None); an option given here
    replaces that field of it, one left out keeps its value, e.g.
    ``summarize(text, model="openai/gpt-4o-mini", max_reasks=1)``:

    - ``model``: the model spec, "local", "local/qwen2.5-coder-0.5b", "openai/gpt-4o-mini",
      "ollama/llama3.1" or a name on ``base_url`` (default: SUMMARIZE_MODEL, else the
      model ``base_url`` serves, else "local")
    - ``base_url``: an OpenAI-compatible server's URL (or OPENAI_BASE_URL)
    - ``api_key``: the server's key (default: OPENAI_API_KEY); never logged or cached
    - ``mode``: "tools", "json_schema" or "json", how to ask for structure (default: by backend)
    - ``model_path``: a GGUF file for the embedded model (or SUMMARIZE_MODEL_PATH)
    - ``templates``: a directory with your own ``system.j2`` and ``user.j2``
    - ``language``: the language of the brief (default: the article's)
    - ``summary_sentences``: how long the summary is, in words for the prompt ("2 to 4")
    - ``max_reasks``: re-asks after a brief fails validation (2)
    - ``lenient``: after the last re-ask, return the brief with what failed left out and
      listed in ``BriefResult.dropped``, instead of raising ``GroundingError`` (False)
    - ``retry``: the ``RetryPolicy`` for transport faults (429, 5xx, timeouts)
    - ``timeout``: seconds to wait for one answer (600)
    - ``temperature``: the first request's sampling temperature (0)
    - ``reask_temperature``: the re-asks' temperature (0.7)
    - ``reask_seed``: where the re-asks' sampling starts (0; None leaves it to the server)
    - ``max_tokens``: the answer's token limit (2048)
    - ``context_tokens``: the model's context window; a longer article is briefed in parts
      and merged (known for "local" and "openai/")

    With ``on_text``, the answer is streamed and ``on_text`` gets the text written so
    far as it grows (for a live view); validation still runs on the complete answer.
    With ``cache`` (e.g. ``BriefCache.default()``), a brief made before is returned
    without a model call, and a new one is stored.
    Raises a ``SummarizeError`` subclass on failure; never returns an ungrounded brief.
    """
    settings = _settings(settings, locals())
    article = _article(article)
    parts = split_for_context(article, settings)
    if len(parts) == 1:
        return _brief(article, settings, cache, on_text)
    started = time.perf_counter()
    results = [_brief(part, settings, cache, on_text, whole=article) for part in parts]
    return _merged(results, parts, started)


def _brief(
    article: Article,
    settings: Settings,
    cache: BriefCache | None,
    on_text: Callable[[str], None] | None,
    whole: Article | None = None,
) -> BriefResult:
    call = _Call(article, settings, cache, whole)
    hit = call.cached()
    if hit is not None:
        return hit
    client = make_client(settings, is_async=False, on_text=on_text)
    with call.answering():
        for request in call.requests():
            try:
                prose = client.create(**request)
                break
            except Exception as exc:
                call.error = exc
        else:
            return call.failed(call.error)
    return call.result(prose)


async def asummarize(
    article: Article | str,
    settings: Settings | None = None,
    *,
    cache: BriefCache | None = None,
    client: Any = None,
    model: str | None = FROM_SETTINGS,
    base_url: str | None = FROM_SETTINGS,
    api_key: str | None = FROM_SETTINGS,
    mode: Mode | None = FROM_SETTINGS,
    model_path: str | None = FROM_SETTINGS,
    templates: str | None = FROM_SETTINGS,
    language: str | None = FROM_SETTINGS,
    summary_sentences: str = FROM_SETTINGS,
    max_reasks: int = FROM_SETTINGS,
    lenient: bool = FROM_SETTINGS,
    retry: RetryPolicy = FROM_SETTINGS,
    timeout: float = FROM_SETTINGS,
    temperature: float = FROM_SETTINGS,
    reask_temperature: float = FROM_SETTINGS,
    reask_seed: int | None = FROM_SETTINGS,
    max_tokens: int = FROM_SETTINGS,
    context_tokens: int | None = FROM_SETTINGS,
) -> BriefResult:
    """The async form of ``summarize``, with the same options: ``model``, ``base_url``,
    ``api_key``, ``mode``, ``model_path``, ``templates``, ``language``,
    ``summary_sentences``, ``max_reasks``, ``lenient``, ``retry``, ``timeout``,
    ``temperature``, ``reask_temperature``, ``reask_seed``, ``max_tokens`` and
    ``context_tokens``, each replacing that field of ``settings`` (see ``summarize``).

    ``client`` is internal: ``abatch`` and ``summarize.ray`` pass the one (from
    ``make_client``) that their briefs share; to share one connection pool and rate
    limits across many articles, use ``abatch``.
    """
    settings = _settings(settings, locals())
    article = _article(article)
    # The analysis (a parse, ~0.5 s of CPU) and the token count (which may load the
    # embedded model's tokenizer) run off the event loop: other briefs' requests go on
    # meanwhile. An article analysed before and counted by an estimate take well under
    # a millisecond: a thread would cost more than that, and a batch pays it per article.
    if _is_analysed(article) and settings.model_spec.provider != "local":
        parts = split_for_context(article, settings)
    else:
        parts = await asyncio.to_thread(_analysed_parts, article, settings)
    if len(parts) == 1:
        return await _abrief(article, settings, cache, client)
    started = time.perf_counter()
    results = await asyncio.gather(
        *(_abrief(part, settings, cache, client, whole=article) for part in parts)
    )
    return _merged(list(results), parts, started)


async def _abrief(
    article: Article,
    settings: Settings,
    cache: BriefCache | None,
    client: Any,
    whole: Article | None = None,
) -> BriefResult:
    call = _Call(article, settings, cache, whole)
    hit = call.cached()
    if hit is not None:
        return hit
    client = client or make_client(settings, is_async=True)
    with call.answering():  # a task has its own copy of the context
        for request in call.requests():
            try:
                prose = await client.create(**request)
                break
            except Exception as exc:
                call.error = exc
        else:
            return call.failed(call.error)
    return call.result(prose)


def _analysed_parts(article: Article, settings: Settings) -> list[Article]:
    analysis_of(article.text, article.date)
    return split_for_context(article, settings)


# Context windows known without asking: the embedded model's, and OpenAI's current models.
_KNOWN_WINDOWS = {"openai": 128_000}


def split_for_context(article: Article, settings: Settings) -> list[Article]:
    """``[article]`` when it fits the model's context with room for the answer; else
    its parts, cut on paragraph boundaries, each of which fits."""
    spec = settings.model_spec
    window = settings.context_tokens
    if spec.provider == "local":
        from summarize._local import CONTEXT_TOKENS

        window = window or CONTEXT_TOKENS
        count = _local_token_counter(spec.model, settings.model_path)
    else:
        window = window or _KNOWN_WINDOWS.get(spec.provider)
        count = estimate_tokens  # no tokenizer download: a documented estimate
    if window is None:
        return [article]

    templates = Path(settings.templates) if settings.templates else None
    analysis = analysis_of(article.text, article.date)
    actors, dates = listed_actors(analysis), listed_dates(analysis)

    def prompt_tokens(text: str) -> int:
        messages = render_messages(
            article.model_copy(update={"text": text}),
            actors[:MAX_ROLES_ASKED],
            dates,
            templates=templates,
            language=settings.language,
            summary_sentences=settings.summary_sentences,
        )
        return sum(count(m["content"]) for m in messages) + _schema_tokens(
            min(len(actors), MAX_ROLES_ASKED), len(dates)
        )

    room = window - settings.max_tokens
    if prompt_tokens(article.text) <= room:
        return [article]
    budget = room - prompt_tokens(".")
    if budget < 200:
        raise ArticleTooLongError(
            f"the prompt and an answer of {settings.max_tokens} tokens leave no room for the "
            f"article in {spec.label}'s {window}-token context: lower --max-tokens"
        )
    texts = split_article(article.text, analysis.sentences, budget, count)
    log.info(
        "The article is longer than %s's context: briefing it in %d parts", spec.label, len(texts)
    )
    return part_articles(article, texts)


def _local_token_counter(name: str, model_path: str | None) -> Callable[[str], int]:
    """The embedded model's tokenizer, or the estimate where it is not installed."""
    from summarize._local import LocalModel

    model = LocalModel.shared(name, model_path)
    try:
        model.count_tokens(".")
    except (ImportError, ConfigurationError):
        return estimate_tokens
    return model.count_tokens


@lru_cache(maxsize=64)
def _schema_tokens(actors: int, dates: int) -> int:
    """The tokens of the answer's JSON schema, which the request carries."""
    model = prose_model(
        tuple((f"name {n}", True) for n in range(actors)), tuple(f"when {n}" for n in range(dates))
    )
    return estimate_tokens(json.dumps(model.model_json_schema()))


def _merged(results: list[BriefResult], parts: list[Article], started: float) -> BriefResult:
    """The brief of a whole article from its parts' briefs (see ``parts.merge_briefs``)."""
    brief = merge_briefs([r.brief for r in results], [part.text for part in parts])
    return BriefResult(
        brief=brief,
        model=results[0].model,
        usage=Usage(
            prompt_tokens=sum(r.usage.prompt_tokens for r in results),
            completion_tokens=sum(r.usage.completion_tokens for r in results),
            total_tokens=sum(r.usage.total_tokens for r in results),
        ),
        attempts=sum(r.attempts for r in results),
        seconds=round(time.perf_counter() - started, 3),
        dropped=[d for r in results for d in r.dropped],
        cached=all(r.cached for r in results),
        parts=len(results),
    )


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _map_error(exc: Exception, spec: ModelSpec, api_key: str | None) -> SummarizeError:
    import openai
    from instructor.core import IncompleteOutputException, InstructorRetryException

    where = f"{spec.label} at {spec.base_url}"
    chain = _chain(exc)
    for cause in chain:
        if isinstance(cause, SummarizeError):  # raised below the client, e.g. weights missing
            return cause

    failed = getattr(exc, "failed_attempts", None) or []
    problems = [a.exception for a in failed if isinstance(a.exception, ValidationError)]
    if problems and isinstance(exc, InstructorRetryException):
        errors = [
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in problems[-1].errors()
        ]
        return GroundingError(
            f"the brief from {spec.label} still failed validation after {len(failed)} attempts: "
            + redact(errors[0] if errors else str(problems[-1]), api_key),
            errors=errors,
        )

    def say(kind: type[SummarizeError], message: str) -> SummarizeError:
        return kind(redact(message, api_key))

    for cause in chain:
        if isinstance(cause, IndexError):  # instructor reading choices[0] of an empty list
            return say(ModelError, f"{where} sent an empty answer (no choices)")
        if isinstance(cause, IncompleteOutputException):
            return say(
                ModelError,
                f"{where} stopped at its output limit before the brief was complete: raise --max-tokens",
            )
        if isinstance(cause, openai.AuthenticationError):
            return say(
                ConfigurationError, f"{where} refused the API key (401): check OPENAI_API_KEY"
            )
        if isinstance(cause, openai.PermissionDeniedError):
            return say(
                ConfigurationError, f"{where} denied access (403): check the key's permissions"
            )
        if isinstance(cause, openai.NotFoundError):
            return say(
                ConfigurationError, f"{where} does not know model {spec.model!r} (404): check -m"
            )
        if isinstance(cause, openai.BadRequestError):
            if "context_length" in str(cause.code or "") + str(cause.message):
                return say(
                    ArticleTooLongError,
                    f"the article is too long for {spec.label}: {cause.message} (give the "
                    "model's context size with --context-tokens to have it briefed in parts)",
                )
            return say(ModelError, f"{where} rejected the request (400): {cause.message}")
        if isinstance(cause, openai.RateLimitError):
            return say(
                ModelError,
                f"{where} is rate limiting (429) and still was after the retries: wait and try again",
            )
        if isinstance(cause, openai.APIStatusError):
            return say(
                ModelError,
                f"{where} failed with HTTP {cause.status_code} after the retries: {cause.message}",
            )
        if isinstance(cause, openai.APITimeoutError):
            return say(
                ModelError, f"{where} timed out after the retries: is the server overloaded?"
            )
        if isinstance(cause, openai.APIConnectionError):
            below = chain[chain.index(cause) + 1 :]
            detail = next((str(c) for c in below if str(c)), "connection failed")
            return say(ModelError, f"cannot reach {where} ({detail}): is the server running?")
    return say(ModelError, f"{where} failed: {type(exc).__name__}: {exc}")
