"""Shared test set-up: recorded model traffic (vcrpy), the seed article, no network.

Model traffic is replayed from ``fixtures/recordings/``. The network is blocked
(pytest-socket, see pyproject.toml), so a request with no recording fails.
To record, with the embedded model installed (pip install -e '.[local,test]'):

    python -m pytest --record-mode=once tests/
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SEED = FIXTURES / "articles" / "trump-putin-call-2025-02-13.txt"
RECORD_COMMAND = (
    "python -m pytest --record-mode=once {nodeid}  (needs pip install -e '.[local,test]')"
)


@pytest.fixture(autouse=True)
def _own_brief_cache(tmp_path, monkeypatch):
    """Tests never read or write the user's brief cache (the CLI uses it by default)."""
    from summarize._cache import BriefCache

    path = tmp_path / "brief-cache" / "briefs.sqlite3"
    monkeypatch.setattr(BriefCache, "default", classmethod(lambda cls: cls(path)))


def _is_missing_recording(exc: BaseException | None) -> bool:
    while exc is not None:
        if type(exc).__name__ == "CannotOverwriteExistingCassetteException":
            return True
        exc = exc.__cause__ or exc.__context__
    return False


@pytest.fixture(scope="session")
def vcr_config() -> dict:
    return {
        # Secrets never reach a recording.
        "filter_headers": [
            "authorization",
            "api-key",
            "x-api-key",
            "openai-organization",
            "cookie",
        ],
        "decode_compressed_response": True,
        # The exact request: a changed prompt or schema needs a new recording.
        "match_on": ["method", "scheme", "host", "port", "path", "query", "body"],
    }


@pytest.fixture(scope="session")
def vcr_cassette_dir() -> str:
    return str(FIXTURES / "recordings")


@pytest.fixture
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture
def article():
    """The seed article, as the library takes it."""
    from summarize import Article

    return Article.from_text(SEED.read_text(encoding="utf-8"))


@pytest.fixture
def server():
    """A loopback OpenAI-compatible server that answers as its test scripts it."""
    from tests.faultserver import FaultServer

    with FaultServer() as running:
        yield running


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Say how to record when a test fails for want of a recording."""
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is None or report.when != "call":
        return
    if _is_missing_recording(call.excinfo.value):
        report.sections.append(
            (
                "missing recording",
                "No recorded model response matches this request (a new test, or the prompt "
                "or schema changed).\nRecord it with:\n    "
                + RECORD_COMMAND.format(nodeid=item.nodeid),
            )
        )
