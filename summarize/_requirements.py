"""Optional and easily lost pieces, checked where they are imported.

A missing one is a ``ConfigurationError`` (exit code 3) whose one line names what
to install, never an ``ImportError`` that the CLI reports as an internal error::

    llama_cpp = require("llama_cpp", "[local]", "the embedded model")
"""

from __future__ import annotations

import importlib
from types import ModuleType

from summarize._errors import ConfigurationError


def install_hint(extra_or_package: str) -> str:
    """The pip command: ``[local]`` is an extra of summarize, anything else a package."""
    if extra_or_package.startswith("["):
        return f"pip install '.{extra_or_package}' in the summarize source tree"
    return f"pip install {extra_or_package}"


def require(module: str, extra_or_package: str, what: str) -> ModuleType:
    """Import ``module`` for ``what``; when it, or a module it imports, is missing,
    raise ``ConfigurationError`` naming the pip extra or package that brings it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        missing = exc.name or module
        raise ConfigurationError(
            f"{what} needs {missing}, which is not installed: {install_hint(extra_or_package)}"
        ) from None
