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
