"""Model specs: which backend a ``-m`` names, where it lives and how to ask it for structure."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

import httpx2

from summarize._errors import ConfigurationError

Mode = Literal["tools", "json_schema", "json"]
LOCAL_MODELS = ("qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b")
OPENAI_URL = "https://api.openai.com/v1"
LOCAL_URL = "http://embedded.summarize.invalid/v1"  # never resolved: served in-process


@dataclass(frozen=True)
class ModelSpec:
    """Where a model lives and how to ask it for structured output."""

    provider: Literal["local", "openai", "ollama", "compatible"]
    model: str
    base_url: str
    mode: Mode

    @property
    def label(self) -> str:
        return f"{self.provider}/{self.model}"


def parse_model_spec(
    spec: str | None = None, *, base_url: str | None = None, mode: Mode | None = None
) -> ModelSpec:
    """Parse ``local``, ``local/NAME``, ``openai/NAME``, ``ollama/NAME`` or a bare model name.

    With ``base_url`` (or ``OPENAI_BASE_URL``) a bare name is a model on that
    OpenAI-compatible server, and no name at all the model it serves (see
    ``served_model``). With no spec, no ``SUMMARIZE_MODEL`` and no server, the
    embedded model is used.
    """
    env_url = os.environ.get("OPENAI_BASE_URL")
    chosen = spec or os.environ.get("SUMMARIZE_MODEL")
    if not chosen and (base_url or env_url):
        url = (base_url or env_url or "").rstrip("/")
        return ModelSpec("compatible", SERVED, url, mode or "json_schema")
    spec = (chosen or "local").strip()
    prefix, _, name = spec.partition("/") if "/" in spec else ("", "", spec)
    if spec == "local":
        prefix, name = "local", ""

    if prefix == "local":
        name = name or LOCAL_MODELS[0]
        if name not in LOCAL_MODELS:
            raise ConfigurationError(
                f"unknown embedded model {name!r}: choose local/{' or local/'.join(LOCAL_MODELS)}"
            )
        # llama.cpp's grammar takes a JSON schema: constrained decoding keeps a small
        # model's output parseable (the transport adapts the request, see _local.py).
        return ModelSpec("local", name, LOCAL_URL, mode or "json_schema")
    if prefix == "ollama":
        host = os.environ.get("OLLAMA_HOST", "http://localhost:11434").rstrip("/")
        if not host.startswith(("http://", "https://")):
            host = "http://" + host
        return ModelSpec("ollama", name, base_url or host + "/v1", mode or "json_schema")
    if not name:
        raise ConfigurationError(
            f"model spec {spec!r} names no model: write e.g. openai/gpt-4o-mini"
        )
    if prefix not in ("", "openai"):
        # e.g. "meta-llama/Llama-3.1-8B" on a vLLM server: the whole spec is the name.
        name = spec
    url = (base_url or env_url or OPENAI_URL).rstrip("/")
    if url == OPENAI_URL:
        return ModelSpec("openai", name, url, mode or "tools")
    return ModelSpec("compatible", name, url, mode or "json_schema")


# The model of a server given without one: the first its /models lists (see served_model).
SERVED = ""


def served_model(spec: ModelSpec, api_key: str | None = None, timeout: float = 10.0) -> ModelSpec:
    """``spec`` with the model its server serves when it names none (``SERVED``): the first
    of the server's ``GET /models``, as vLLM, llama.cpp's server, Ollama and LM Studio list
    them. A server that cannot be reached or lists none is an error that says what to do."""
    if spec.model != SERVED:
        return spec
    from summarize._errors import ModelError

    headers = {"authorization": f"Bearer {api_key_for(spec, api_key)}"}
    try:
        response = httpx2.get(f"{spec.base_url}/models", headers=headers, timeout=timeout)
        models = [m["id"] for m in response.json().get("data", [])] if response.is_success else []
    except (httpx2.HTTPError, ValueError, KeyError, AttributeError) as error:
        raise ModelError(
            f"cannot reach {spec.base_url} to ask which model it serves ({type(error).__name__}): "
            "is the server running? Or name the model with -m"
        ) from None
    if not models:
        raise ConfigurationError(
            f"{spec.base_url} lists no model at /models: name the model with -m"
        )
    return ModelSpec(spec.provider, models[0], spec.base_url, spec.mode)


def api_key_for(spec: ModelSpec, api_key: str | None = None) -> str:
    """The key to send: given, or from ``OPENAI_API_KEY``; only OpenAI itself requires one."""
    key = api_key or os.environ.get("OPENAI_API_KEY")
    if key:
        return key
    if spec.provider == "openai":
        raise ConfigurationError(
            "no API key for OpenAI: set OPENAI_API_KEY, or use the embedded model with -m local"
        )
    return "not-needed"  # local servers ignore it, but the client wants a value
