"""``summarize`` and ``asummarize``: an article in, a validated brief out.

The pipeline, one step a module, in order:

1. read the article (``_article``), analyse it and render the prompt
   (``_request``: the facts in code, the prompt once; a long article in parts);
2. ask the model (``_ask``, through the client of ``_client`` over the backend of
   ``_backends``); instructor re-asks while the answer fails its checks (``_schema``);
3. assemble the brief from the analysis and the prose (``_assemble``);
4. show it (``_render``, in the CLI).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from functools import cache as cache_result
from typing import Any

from summarize._article import Article
from summarize._ask import aask, ask
from summarize._backends import backend_for
from summarize._cache import BriefCache
from summarize._client import make_client
from summarize._facts import is_analysed
from summarize._request import Request, requests_for
from summarize._result import BriefResult, merged
from summarize._settings import FROM_SETTINGS, Settings, with_options
from summarize._spec import Mode
from summarize._transport import RetryPolicy


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
    settings = with_options(settings, locals())
    started = time.perf_counter()
    requests = _requests(article, settings)
    client = cache_result(lambda: make_client(settings, is_async=False, on_text=on_text))
    results = [ask(request, client, cache) for request in requests]
    return _whole(results, requests, started)


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
    settings = with_options(settings, locals())
    started = time.perf_counter()
    article = _article(article)
    # The analysis (a parse, ~0.5 s of CPU) and the token count (which may load the
    # embedded model's tokenizer) run off the event loop: other briefs' requests go on
    # meanwhile. An article analysed before and counted by an estimate take well under
    # a millisecond: a thread would cost more than that, and a batch pays it per article.
    backend = backend_for(settings.model_spec, settings.model_path)
    if is_analysed(article) and backend.counts_instantly:
        requests = requests_for(article, settings, backend)
    else:
        requests = await asyncio.to_thread(requests_for, article, settings, backend)
    client_once = cache_result(lambda: client or make_client(settings, is_async=True))
    results = await asyncio.gather(*(aask(request, client_once, cache) for request in requests))
    return _whole(list(results), requests, started)


def _article(article: Article | str) -> Article:
    return article if isinstance(article, Article) else Article.from_text(article)


def _requests(article: Article | str, settings: Settings) -> list[Request]:
    backend = backend_for(settings.model_spec, settings.model_path)
    return requests_for(_article(article), settings, backend)


def _whole(results: list[BriefResult], requests: list[Request], started: float) -> BriefResult:
    """The brief: of the article, or merged from its parts' briefs."""
    if len(results) == 1:
        return results[0]
    return merged(results, [request.part.text for request in requests], started)
