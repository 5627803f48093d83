"""The README and the docs site stay true: the README is small and its links resolve,
the API reference lists the public API, and the sample briefs are the recording's."""

from __future__ import annotations

import re

import pytest

import summarize
from summarize._cli import main
from tests.conftest import ROOT, SEED

README = ROOT / "README.md"
DOCS = ROOT / "docs"
SAMPLE = re.compile(r"```\n(╭.*?)```", re.S)  # a rendered brief starts with its panel


def test_the_readme_is_at_most_8_kib():
    assert len(README.read_bytes()) <= 8192


def test_the_readmes_relative_links_exist():
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README.read_text(encoding="utf-8"))
    local = [link for link in links if not re.match(r"[a-z]+:", link)]
    assert local, "the README links to the docs"
    for link in local:
        assert (ROOT / link).exists(), link


def test_the_api_reference_lists_the_public_api():
    page = (DOCS / "api.md").read_text()
    listed = re.findall(r"^::: summarize\.(\w+)$", page, re.M)
    if "`summarize.__version__`" in page:  # a string: described, not rendered
        listed.append("__version__")
    assert sorted(listed) == sorted(summarize.__all__)


def test_every_page_is_in_the_nav():
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in DOCS.glob("*.md"):
        assert f": {page.name}" in nav, page.name


@pytest.fixture
def rendered_seed_brief(capsys, monkeypatch) -> list[str]:
    """The demo brief as `summarize` prints it, replayed from the recording."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    assert main([str(SEED)]) == 0
    return capsys.readouterr().out.splitlines()


@pytest.mark.vcr
@pytest.mark.default_cassette("seed_brief.yaml")
def test_the_docs_sample_brief_is_the_recordings(rendered_seed_brief):
    (sample,) = SAMPLE.findall((DOCS / "brief.md").read_text(encoding="utf-8"))
    assert sample.splitlines() == rendered_seed_brief


@pytest.mark.vcr
@pytest.mark.default_cassette("seed_brief.yaml")
def test_the_readmes_sample_brief_is_the_recordings_shortened(rendered_seed_brief):
    """Each line of the README's sample is a line of the real output, in order; "…"
    alone on a line stands for lines left out."""
    (sample,) = SAMPLE.findall(README.read_text(encoding="utf-8"))
    lines = iter(rendered_seed_brief)
    for line in sample.splitlines():
        if line.strip() == "…":
            continue
        assert line in lines, f"not in the rendered brief (in this order): {line!r}"


@pytest.mark.vcr
@pytest.mark.default_cassette("seed_brief.yaml")
def test_the_readmes_library_example_runs(capsys, monkeypatch):
    (code,) = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    monkeypatch.chdir(ROOT)
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "Donald Trump person" in out and '"headline"' in out
