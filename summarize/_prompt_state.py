"""The embedded model's reading of the system prompt, kept on disk between processes.

Every brief's prompt starts with the same system message (the instructions,
~400 tokens). Reading it costs a fresh process ~10 s on a 2-core CPU, the
same every time. The first process to read it saves llama.cpp's state of that
prefix (its key/value cache, ~11 MB) in the user cache directory; later ones
load it and read only what follows. A state is used only by the same model
file, the same llama.cpp build and the same context settings, for the same
prefix tokens, all in its file's name; within one process llama-cpp-python
already reuses the prefix of the previous prompt.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger("summarize")

KEPT_STATES = 8  # one per system prompt (language, templates): the oldest go beyond this


def states_dir() -> Path:
    from summarize._cache import cache_root

    return cache_root() / "prompt-state"


def system_prefix(llama: Any, messages: list[dict[str, Any]]) -> list[int]:
    """The prompt's tokens up to the end of its system message, as the model's chat
    template writes them; [] when the prompt has no system message first."""
    from llama_cpp import llama_chat_format

    if not messages or messages[0].get("role") != "system":
        return []
    template = llama.metadata.get("tokenizer.chat_template")
    if not template:
        return []
    bos = llama.token_bos()
    formatter = llama_chat_format.Jinja2ChatFormatter(
        template=template,
        eos_token=llama._model.token_get_text(llama.token_eos()),
        bos_token=llama._model.token_get_text(bos) if bos != -1 else "",
        add_generation_prompt=False,
    )
    written = formatter(messages=messages[:1])
    return llama.tokenize(
        written.prompt.encode("utf-8"), add_bos=not written.added_special, special=True
    )


def _state_file(llama: Any, model_file: Path, prefix: list[int]) -> Path:
    import llama_cpp

    stat = model_file.stat()
    key = hashlib.sha256()
    for part in (
        model_file.name,
        stat.st_size,
        stat.st_mtime_ns,
        llama_cpp.__version__,
        llama.n_ctx(),
        llama.context_params.flash_attn_type,
        llama.context_params.type_k,
        llama.context_params.type_v,
        ",".join(map(str, prefix)),
    ):
        key.update(f"{part}\0".encode())
    return states_dir() / f"{key.hexdigest()[:32]}.bin"


def restore_or_save(llama: Any, model_file: Path, messages: list[dict[str, Any]]) -> int:
    """Before the first prompt of a process: load the saved state of its system prefix,
    or read the prefix and save its state for the next process. Returns the number of
    prefix tokens loaded (0 when they were read, or there is nothing to do)."""
    import llama_cpp

    if llama.n_tokens:  # this process has read a prompt already: llama-cpp-python reuses it
        return 0
    prefix = system_prefix(llama, messages)
    if not prefix:
        return 0
    path = _state_file(llama, model_file, prefix)
    if path.is_file():
        tokens = (llama_cpp.llama_token * len(prefix))()
        count = ctypes.c_size_t(0)
        loaded = llama_cpp.llama_state_seq_load_file(
            llama.ctx, str(path).encode(), 0, tokens, len(prefix), ctypes.byref(count)
        )
        if loaded and list(tokens[: count.value]) == prefix:
            llama.input_ids[: len(prefix)] = prefix
            llama.n_tokens = len(prefix)
            os.utime(path)  # recently used: kept
            log.info("Restored the system prompt's state (%d tokens)", len(prefix))
            return len(prefix)
        llama._ctx.kv_cache_clear()  # a partial load leaves nothing usable
        path.unlink(missing_ok=True)
    llama.eval(prefix)
    _save(llama, path, prefix)
    return 0


def _save(llama: Any, path: Path, prefix: list[int]) -> None:
    import llama_cpp

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    os.close(handle)
    tokens = (llama_cpp.llama_token * len(prefix))(*prefix)
    try:
        if llama_cpp.llama_state_seq_save_file(
            llama.ctx, temporary.encode(), 0, tokens, len(prefix)
        ):
            os.replace(temporary, path)  # atomic: a reader never sees half a state
    finally:
        Path(temporary).unlink(missing_ok=True)
    for old in sorted(path.parent.glob("*.bin"), key=lambda p: p.stat().st_mtime)[:-KEPT_STATES]:
        old.unlink(missing_ok=True)
