"""Where a model runs, behind one interface (as llm's model registry): each backend gives
the HTTP transport that reaches it, its context window, how it counts tokens and how
many requests it takes at once. The rest of the pipeline asks it, never which it is.

- ``Server``: OpenAI, or any OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio);
- the embedded model, ``_local.Embedded``: llama.cpp in this process.
"""

from __future__ import annotations

import importlib
from typing import Any, ClassVar

import httpx2

from summarize._parts import estimate_tokens
from summarize._spec import ModelSpec


class Backend:
    """A model's server as the pipeline needs it."""

    context_tokens: int | None = None
    """Its context window in tokens, when known without asking."""
    concurrency: int | None = None
    """How many requests it answers at once; None: as many as it is sent."""
    counts_instantly = True
    """Counting tokens takes no time (an estimate); else a tokenizer that may have to load."""

    def __init__(self, spec: ModelSpec, model_path: str | None = None) -> None:
        self.spec = spec
        self.model_path = model_path

    def transport(self, *, is_async: bool, connections: int | None = None) -> Any:
        """The httpx2 transport that takes its ``POST /chat/completions``."""
        raise NotImplementedError

    def count_tokens(self, text: str) -> int:
        """The tokens ``text`` takes: a documented estimate, no tokenizer download."""
        return estimate_tokens(text)


class Server(Backend):
    """A server reached over HTTP: OpenAI or any OpenAI-compatible one."""

    # Context windows known without asking: OpenAI's current models.
    KNOWN_WINDOWS: ClassVar[dict[str, int]] = {"openai": 128_000}

    def __init__(self, spec: ModelSpec, model_path: str | None = None) -> None:
        super().__init__(spec, model_path)
        self.context_tokens = self.KNOWN_WINDOWS.get(spec.provider)

    def transport(self, *, is_async: bool, connections: int | None = None) -> Any:
        # As many connections kept open as requests in flight (httpx keeps 20, and one
        # closed after each answer costs a new connection).
        transport = httpx2.AsyncHTTPTransport if is_async else httpx2.HTTPTransport
        if not connections:
            return transport()
        limits = httpx2.Limits(max_connections=connections, max_keepalive_connections=connections)
        return transport(limits=limits)


# Backends other than a server, by the provider of their model spec: "module:class".
REGISTERED = {"local": "summarize._local:Embedded"}


def backend_for(spec: ModelSpec, model_path: str | None = None) -> Backend:
    """The backend that serves ``spec``."""
    registered = REGISTERED.get(spec.provider)
    if registered is None:
        return Server(spec, model_path)
    module, _, name = registered.partition(":")
    backend: type[Backend] = getattr(importlib.import_module(module), name)
    return backend(spec, model_path)
