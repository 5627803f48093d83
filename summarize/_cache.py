"""A cache of briefs in SQLite, so that an article seen before costs no model call.

A brief is keyed by everything that shapes it: the rendered prompt (article
text, title, date, templates, language), the model and its server, the brief's
schema version and the settings that change the answer. The file lives in the
user cache directory, is readable by its owner only, and takes concurrent
writers (WAL journal, busy timeout). Only validated briefs are stored; failures
are not, so a later run can succeed.

A ``BriefCache`` holds only its path (a connection is opened per use), so it
pickles and works from threads, processes and event loops alike.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
from contextlib import closing, suppress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import platformdirs

from summarize._errors import ConfigurationError

# Bump when the validators change what a valid brief is, or the analysis what its facts
# are (2: a key point's evidence must name the people it names; titles end clauses; 3: a
# timeline event must be its date's, a stance not someone else's words, a question's
# actors are those it names). Field changes need no bump: the brief's JSON schema is
# hashed into every key.
SCHEMA_VERSION = 3


def cache_root() -> Path:
    """The user cache directory for summarize (``SUMMARIZE_CACHE_DIR`` overrides)."""
    root = os.environ.get("SUMMARIZE_CACHE_DIR")
    return Path(root) if root else platformdirs.user_cache_path("summarize")


@lru_cache(maxsize=1)
def schema_version() -> str:
    from summarize._schema import Brief

    schema = json.dumps(Brief.model_json_schema(), sort_keys=True)
    return f"{SCHEMA_VERSION}:{hashlib.sha256(schema.encode()).hexdigest()[:16]}"


def cache_key(messages: list[dict[str, str]], model: str, server: str, **settings: Any) -> str:
    """The key of a brief: prompt, model, server, schema version and answer-shaping settings."""
    material = json.dumps(
        {
            "messages": messages,
            "model": model,
            "server": server,
            "schema": schema_version(),
            "settings": settings,
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(material.encode()).hexdigest()


_CREATE = "CREATE TABLE IF NOT EXISTS briefs (key TEXT PRIMARY KEY, result TEXT NOT NULL)"


@dataclass(frozen=True)
class BriefCache:
    """Briefs by key in one SQLite file."""

    path: Path

    @classmethod
    def default(cls) -> BriefCache:
        return cls(cache_root() / "briefs.sqlite3")

    def _connect(self) -> sqlite3.Connection:
        try:
            if not self.path.exists():
                self._create()
            db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            db.execute(_CREATE)  # a no-op read once the table exists
        except (OSError, sqlite3.Error) as exc:
            raise ConfigurationError(
                f"cannot use the brief cache {self.path} ({exc}): fix its permissions, "
                "delete it, or run with --no-cache"
            ) from None
        return db

    def _create(self) -> None:
        """Make the file aside, in WAL mode with its table, and link it into place.

        Switching a database to WAL takes an exclusive lock, and processes that
        race to do it on the same new file can get "database is locked" at once,
        without the busy timeout (SQLite's deadlock rule). Built aside, the file
        is never seen half made; a process that loses the race uses the winner's.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, draft = tempfile.mkstemp(dir=self.path.parent, suffix=".new")  # owner-only
        os.close(handle)
        try:
            with closing(sqlite3.connect(draft, isolation_level=None)) as db:
                db.execute("PRAGMA journal_mode=WAL")  # kept in the file
                db.execute(_CREATE)
            with suppress(FileExistsError):
                os.link(draft, self.path)
        finally:
            os.unlink(draft)

    def get(self, key: str) -> str | None:
        """The stored result (JSON) for ``key``, or None."""
        with closing(self._connect()) as db:
            row = db.execute("SELECT result FROM briefs WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put(self, key: str, result: str) -> None:
        with closing(self._connect()) as db:
            db.execute("INSERT OR REPLACE INTO briefs (key, result) VALUES (?, ?)", (key, result))
