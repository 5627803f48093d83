"""The embedded model: Qwen2.5-Coder GGUF weights, verified, run by llama.cpp in-process.

The model is served to the one ``openai`` client through an httpx2 transport
that answers ``POST /chat/completions`` from llama-cpp-python, so the embedded
model takes exactly the code path of every remote server: same request, same
retry policy, same validation and re-asking, same recordings.

Its weights come from the ``[local]`` extra (see ``_weights.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import logging
import os
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx2

from summarize._backends import Backend
from summarize._errors import ArticleTooLongError, ConfigurationError
from summarize._parts import estimate_tokens
from summarize._prompt_state import restore_or_save
from summarize._requirements import require
from summarize._runtime import llama_class
from summarize._weights import ensure_weights

log = logging.getLogger("summarize")

CONTEXT_TOKENS = 8192
REPEAT_PENALTY = 1.1  # small models loop without it
DEFAULT_MAX_TOKENS = 2048


def _llama_request(body: dict[str, Any]) -> dict[str, Any]:
    """Adapt an OpenAI chat request to ``Llama.create_chat_completion``.

    llama-cpp-python rejects OpenAI's ``json_schema`` form; the schema becomes a grammar
    here (``_json_grammar``).
    """
    kwargs: dict[str, Any] = {
        "messages": body["messages"],
        "temperature": body.get("temperature", 0.0),
        "top_p": body.get("top_p", 1.0),
        "max_tokens": body.get("max_tokens")
        or body.get("max_completion_tokens")
        or DEFAULT_MAX_TOKENS,
        "repeat_penalty": REPEAT_PENALTY,
        "stream": bool(body.get("stream")),
    }
    if "seed" in body:
        kwargs["seed"] = body["seed"]
    response_format = body.get("response_format")
    if response_format and response_format.get("type") == "json_schema":
        schema = response_format["json_schema"]["schema"]
        kwargs["grammar"] = _json_grammar(json.dumps(schema))
    elif response_format:
        kwargs["response_format"] = response_format
    return kwargs


# llama-cpp-python's JSON-schema converter lets a string hold any character but '"' and
# '\\', raw newlines and other control characters included, which no JSON parser accepts:
# an answer the grammar allowed could not be read (a GUM article failed three answers
# so). JSON's own rule for a string's characters, as llama.cpp's converter writes it:
_LOOSE_CHAR = r'char ::= [^"\\] |'
_JSON_CHAR = r'char ::= [^"\\\x7F\x00-\x1F] |'


@lru_cache(maxsize=32)
def _json_grammar(schema: str) -> Any:
    """The grammar that holds the model to a JSON schema (given as JSON text)."""
    from llama_cpp.llama_grammar import LlamaGrammar, json_schema_to_gbnf

    gbnf = json_schema_to_gbnf(schema).replace(_LOOSE_CHAR, _JSON_CHAR)
    return LlamaGrammar.from_string(gbnf, verbose=False)


def _error(status: int, message: str, code: str | None = None) -> httpx2.Response:
    return httpx2.Response(
        status, json={"error": {"message": message, "type": "invalid_request_error", "code": code}}
    )


@contextlib.contextmanager
def _quiet_llama_cpp() -> Iterator[None]:
    import ctypes

    import llama_cpp
    import llama_cpp._logger

    @llama_cpp.llama_log_callback
    def silent(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        pass

    llama_cpp.llama_log_set(silent, ctypes.c_void_p(0))
    try:
        yield
    finally:
        llama_cpp.llama_log_set(llama_cpp._logger.llama_log_callback, ctypes.c_void_p(0))


class LocalModel:
    """A GGUF model loaded once per process and served as an OpenAI-compatible endpoint."""

    def __init__(self, name: str, model_path: str | None = None) -> None:
        self.name = name
        self.model_path = model_path
        self._llama: Any = None
        # llama.cpp holds one context: one generation at a time.
        self._lock = threading.Lock()
        self._vocabulary: Any = None
        self._path: Path | None = None

    @staticmethod
    @lru_cache(maxsize=2)
    def shared(name: str, model_path: str | None = None) -> LocalModel:
        """The process's instance for this model: loading weights costs seconds, do it once."""
        return LocalModel(name, model_path)

    def llama(self) -> Any:
        """The loaded ``llama_cpp.Llama``, loading it on first use."""
        with self._lock:
            if self._llama is None:
                path = ensure_weights(self.name, self.model_path)
                self._path = path
                llama_cpp = require("llama_cpp", "[local]", "the embedded model")
                log.info("Loading %s", path.name)
                self._llama = llama_class(llama_cpp)(
                    model_path=str(path),
                    n_ctx=CONTEXT_TOKENS,
                    n_threads=os.cpu_count() or 2,
                    flash_attn=True,  # ~8 % faster prompt processing on CPU
                    verbose=False,
                )
            return self._llama

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` takes, by the model's own tokenizer (its vocabulary alone is
        loaded for this when the model is not: a fraction of a second)."""
        with self._lock:
            if self._llama is None and self._vocabulary is None:
                import llama_cpp  # ImportError: the caller estimates instead

                path = ensure_weights(self.name, self.model_path)
                with _quiet_llama_cpp():  # it warns of a context it never uses
                    self._vocabulary = llama_cpp.Llama(
                        model_path=str(path), vocab_only=True, verbose=False
                    )
            tokenizer = self._llama or self._vocabulary
            return len(tokenizer.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        """Answer one OpenAI ``POST /chat/completions`` request."""
        if request.method != "POST" or not request.url.path.endswith("/chat/completions"):
            return _error(
                404, f"the embedded model serves /chat/completions, not {request.url.path}"
            )
        kwargs = _llama_request(json.loads(request.content))
        llama = self.llama()
        log.info("Reading the article and writing the brief")
        prompt_tokens = len(llama.tokenize(json.dumps(kwargs["messages"]).encode()))
        if prompt_tokens + 256 > CONTEXT_TOKENS:  # a prompt not split to fit (see _request.py)
            raise ArticleTooLongError(
                f"the prompt is about {prompt_tokens} tokens; the embedded model's window is "
                f"{CONTEXT_TOKENS}: shorten the templates, or lower --max-tokens"
            )
        if kwargs["stream"]:
            return httpx2.Response(
                200, headers={"content-type": "text/event-stream"}, content=self._events(kwargs)
            )
        with self._lock:
            restore_or_save(llama, self._path, kwargs["messages"])
            result = llama.create_chat_completion(**kwargs)
        return httpx2.Response(200, json=result)

    def _events(self, kwargs: dict[str, Any]) -> Iterator[bytes]:
        written = 0
        with self._lock:
            restore_or_save(self._llama, self._path, kwargs["messages"])
            for chunk in self._llama.create_chat_completion(**kwargs):
                written += any(c["delta"].get("content") for c in chunk["choices"])
                yield b"data: " + json.dumps(chunk).encode() + b"\n\n"
            prompt = self._llama.last_prompt_tokens
        # llama-cpp-python streams no usage; one chunk is one token.
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": written,
            "total_tokens": prompt + written,
        }
        yield b"data: " + json.dumps({"choices": [], "usage": usage}).encode() + b"\n\n"
        yield b"data: [DONE]\n\n"

    async def ahandle(self, request: httpx2.Request) -> httpx2.Response:
        # Generation is CPU-bound and blocking: keep it off the event loop.
        response = await asyncio.to_thread(self.handle, request)
        await asyncio.to_thread(response.read)
        return response

    def transport(self, *, is_async: bool = False) -> httpx2.MockTransport:
        # MockTransport is httpx's "answer requests with a function" transport; vcrpy
        # hooks it, so traffic to the embedded model can be recorded and replayed.
        return httpx2.MockTransport(self.ahandle if is_async else self.handle)


class Embedded(Backend):
    """The embedded model as a backend: llama.cpp in this process."""

    context_tokens = CONTEXT_TOKENS
    # It writes one brief at a time: more requests in flight would only wait for it,
    # and each would count that wait in its seconds.
    concurrency = 1
    counts_instantly = False  # its tokenizer may have to be loaded

    def __init__(self, spec: Any, model_path: str | None = None) -> None:
        super().__init__(spec, model_path)
        self.model = LocalModel.shared(spec.model, model_path)
        self.estimated: bool | None = None

    def transport(self, *, is_async: bool, connections: int | None = None) -> Any:
        return self.model.transport(is_async=is_async)

    def count_tokens(self, text: str) -> int:
        """By the model's own tokenizer; estimated where llama-cpp-python or the weights
        are not installed (a prompt's length decides only whether it is split)."""
        if self.estimated is None:
            try:
                self.model.count_tokens(".")
                self.estimated = False
            except (ImportError, ConfigurationError):
                self.estimated = True
        return estimate_tokens(text) if self.estimated else self.model.count_tokens(text)
