"""Ray is optional: neither ``import summarize`` (with the CLI) nor ``summarize --help``
loads it, whether or not it is installed; nor spaCy, which only a brief needs."""

from __future__ import annotations

import subprocess
import sys


def _imported(code: str) -> set[str]:
    """The top-level modules that ``python -X importtime -c code`` imported."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    names = set()
    for line in run.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    assert "summarize" in names, run.stderr[-2000:]
    return names


def test_import_summarize_and_its_cli_does_not_import_ray():
    names = _imported("import summarize, summarize._cli, summarize._batch, summarize._core")
    assert "ray" not in names and "pyarrow" not in names
    assert "spacy" not in names


def test_summarize_help_does_not_import_ray():
    code = (
        "import sys; from summarize._cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "assert 'ray' not in sys.modules"
    )
    names = _imported(code)
    assert "ray" not in names
    assert "spacy" not in names and "thinc" not in names  # the analysis: only for a brief
