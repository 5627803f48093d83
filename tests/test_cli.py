"""The command's structure: `summarize ARTICLE` and the `summarize batch` command, and how
a file named like a command is briefed. The model is the loopback server answering with
the recorded brief of the seed article."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT, SEED
from tests.faultserver import FaultServer, Reply
from tests.test_faults import GOOD


@pytest.fixture
def server():
    with FaultServer() as running:
        running.repeat = Reply(200, GOOD)
        yield running


def run_in(folder, *args: str) -> subprocess.CompletedProcess:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZE_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "summarize", *args],
        capture_output=True,
        text=True,
        cwd=folder,
        timeout=60,
        env={**environment, "PYTHONPATH": str(ROOT), "SUMMARIZE_CACHE_DIR": str(folder / "cache")},
    )


@pytest.mark.parametrize("given", [["./batch"], ["--", "batch"]])
def test_a_file_named_batch_is_briefed_as_a_path_or_after_a_double_dash(server, tmp_path, given):
    shutil.copy(SEED, tmp_path / "batch")
    result = run_in(tmp_path, "--base-url", server.url, "-m", "m", "--json", *given)
    assert result.returncode == 0, result.stderr
    assert '"headline"' in result.stdout
    assert len(server.requests) == 1


def test_batch_first_is_the_command_and_its_usage_error_points_at_the_file(tmp_path):
    shutil.copy(SEED, tmp_path / "batch")
    result = run_in(tmp_path, "batch")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "usage: summarize batch" in result.stderr
    assert "the following arguments are required: input, -o/--output" in result.stderr
    assert "to brief the file named batch: summarize ./batch" in result.stderr


def test_without_a_file_named_batch_the_usage_error_has_no_hint(tmp_path):
    result = run_in(tmp_path, "batch")
    assert result.returncode == 2
    assert "the following arguments are required" in result.stderr
    assert "./batch" not in result.stderr


def test_the_help_says_how_to_brief_a_file_named_like_a_command(tmp_path):
    result = run_in(tmp_path, "--help")
    assert result.returncode == 0
    assert "summarize batch INPUT -o OUT.jsonl" in result.stdout
    assert "summarize ./batch, or summarize -- batch" in result.stdout


def test_the_version_is_the_installed_packages_written_once_in_pyproject(tmp_path):
    from importlib.metadata import version

    import summarize

    installed = version("summarize")
    assert summarize.__version__ == installed
    result = run_in(tmp_path, "--version")
    assert (result.returncode, result.stdout) == (0, f"summarize {installed}\n")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    written = re.search(r'^version = "(.+)"$', pyproject, re.MULTILINE).group(1)
    copies = [p.name for p in (ROOT / "summarize").rglob("*.py") if written in p.read_text()]
    assert copies == [], f"version {written} written again in {copies}: read it from metadata"
