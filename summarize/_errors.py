"""The exceptions ``summarize`` raises, in the style of httpx's ``_exceptions``.

Catch ``SummarizeError`` for everything; the subclasses say what went wrong.
Each message is one line that says what to do. Messages never contain secrets.
The library knows nothing of exit codes: the command line maps these errors onto
them, in one table (``summarize._cli.EXIT_CODES``).

    SummarizeError
    ├── InputError          the article could not be read or is not usable
    │   └── ArticleTooLongError
    ├── ConfigurationError  the model spec, key, templates or weights are wrong
    └── ModelError          the model could not produce a brief
        └── GroundingError  the model's brief failed validation after every re-ask
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from summarize._spec import ModelSpec


class SummarizeError(Exception):
    """Base class for every error ``summarize`` raises."""


class InputError(SummarizeError):
    """The article could not be read, or holds no text to summarise."""


class ArticleTooLongError(InputError):
    """The article does not fit the model's context window."""


class ConfigurationError(SummarizeError):
    """The model spec, API key, templates or model weights are missing or wrong."""


class ModelError(SummarizeError):
    """The model or its server failed after every retry."""


class GroundingError(ModelError):
    """The model's brief still failed validation against the article after every re-ask."""

    def __init__(self, message: str, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


_SECRET = re.compile(r"\b(sk-[A-Za-z0-9_\-*]{6,}|Bearer\s+\S+)")


def redact(text: str, key: str | None) -> str:
    """``text`` with the API key (and anything that looks like a key) masked."""
    if key and key != "not-needed":
        text = text.replace(key, "***")
    return _SECRET.sub("***", text)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def from_client(exc: Exception, spec: ModelSpec, api_key: str | None) -> SummarizeError:
    """What the openai or instructor client raised, as the ``SummarizeError`` that says what
    to do: the one table from their exceptions to ours."""
    import openai
    from instructor.core import IncompleteOutputException, InstructorRetryException
    from pydantic import ValidationError

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
