"""``Settings``: every option that shapes a brief, and how a call's options replace them."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from typing import Any

from summarize._spec import Mode, ModelSpec, parse_model_spec, served_model
from summarize._transport import RetryPolicy


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


@lru_cache(maxsize=16)
def _served(spec: ModelSpec, api_key: str | None) -> ModelSpec:
    return served_model(spec, api_key)


class _FromSettings:
    """The default of ``summarize``'s options: the value the settings already have."""

    def __repr__(self) -> str:
        return "FROM_SETTINGS"


# Typed Any so that each option shows its own type in the signature; never passed in.
FROM_SETTINGS: Any = _FromSettings()


def with_options(settings: Settings | None, arguments: dict[str, Any]) -> Settings:
    """``settings`` (or the defaults) with the options given, taken from a call's
    ``locals()`` by the names of the fields of ``Settings``."""
    given = {f.name: arguments[f.name] for f in fields(Settings)}
    options = {name: value for name, value in given.items() if value is not FROM_SETTINGS}
    return replace(settings or Settings(), **options)
