"""The public surface: the options of ``summarize``/``asummarize``, and ``summarize.__all__``."""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import fields, replace

import pytest

import summarize as package
from summarize import Settings, asummarize, summarize
from summarize import _core as core
from summarize._settings import FROM_SETTINGS
from tests.conftest import ROOT


@pytest.mark.parametrize("function", [summarize, asummarize])
def test_every_setting_is_a_documented_keyword_option(function):
    parameters = inspect.signature(function).parameters
    options = {name: p for name, p in parameters.items() if p.default is FROM_SETTINGS}
    assert list(options) == [field.name for field in fields(Settings)]
    for name, parameter in options.items():
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
        assert parameter.annotation not in ("Any", inspect.Parameter.empty), name
        assert f"``{name}``" in function.__doc__, f"{function.__name__} does not document {name}"
    assert not [p for p in parameters.values() if p.kind is inspect.Parameter.VAR_KEYWORD]


@pytest.fixture
def settings_seen(monkeypatch) -> list[Settings]:
    """The settings a brief would be made with; no model is asked."""
    seen: list[Settings] = []

    def requests(article, settings, backend):
        seen.append(settings)
        return ["request"]

    async def aask(*args, **kwargs):
        return "brief"

    monkeypatch.setattr(core, "requests_for", requests)
    monkeypatch.setattr(core, "ask", lambda *args, **kwargs: "brief")
    monkeypatch.setattr(core, "aask", aask)
    return seen


def test_an_option_replaces_its_field_and_the_others_keep_theirs(settings_seen):
    base = Settings(model="openai/gpt-4o-mini", max_reasks=5, reask_seed=3, lenient=True)
    summarize("A story.", base, max_reasks=1, reask_seed=None)  # None is a value, not "unset"
    summarize("A story.", base)
    asyncio.run(asummarize("A story.", base, lenient=False))
    summarize("A story.", model="openai/gpt-4o")  # no settings: the defaults
    assert settings_seen == [
        replace(base, max_reasks=1, reask_seed=None),
        base,
        replace(base, lenient=False),
        Settings(model="openai/gpt-4o"),
    ]


def test_an_unknown_option_is_a_type_error():
    with pytest.raises(TypeError, match="max_retries"):
        summarize("A story.", max_retries=3)


def test_the_public_api_is_what_is_exported_each_name_documented():
    public = set(package.__all__)
    assert public == {*package._EXPORTS, "__version__"}
    reference = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for name in public:
        assert f"summarize.{name}" in reference, f"{name} is public but not in docs/api.md"
        value = getattr(package, name)
        assert name == "__version__" or value.__doc__, f"{name} has no docstring"
    # Internal by decision: an instructor client, helpers of the command and the batch file.
    assert not public & {"make_client", "redact", "done_ids", "load_done", "FROM_SETTINGS"}


def test_the_types_public_functions_return_are_public():
    assert package.run_batch.__annotations__["return"] == "BatchTotals"
    assert package.ItemResult.model_fields["error"].annotation == package.ItemError | None
