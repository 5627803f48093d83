"""A missing optional piece is a configuration error that names what to install (exit 3),
never an ImportError reported as an internal error. A module is made missing by putting
None in sys.modules: importing it then raises ModuleNotFoundError, as when uninstalled."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import pytest

from summarize import ConfigurationError
from summarize._cli import exit_code
from summarize._requirements import require
from tests.conftest import FIXTURES

PAGE = FIXTURES / "pages" / "trump-putin-call.html"


def test_a_present_module_is_returned():
    import json

    assert require("json", "json", "reading JSON") is json


def test_a_missing_extra_names_the_pip_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    with pytest.raises(ConfigurationError) as caught:
        require("llama_cpp", "[local]", "the embedded model")
    message = str(caught.value)
    assert message == (
        "the embedded model needs llama_cpp, which is not installed: "
        "pip install '.[local]' in the summarize source tree"
    )
    assert exit_code(caught.value) == 3  # the command's configuration error


def test_a_missing_package_names_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "lxml_html_clean", None)
    with pytest.raises(ConfigurationError, match=r"pip install lxml_html_clean$"):
        require("lxml_html_clean", "lxml_html_clean", "reading a web page")


def test_a_page_without_the_html_cleaner_says_what_to_install(monkeypatch):
    from summarize._web import article_from_html

    monkeypatch.setitem(sys.modules, "lxml_html_clean", None)
    with pytest.raises(
        ConfigurationError, match=r"needs lxml_html_clean.*pip install lxml_html_clean"
    ):
        article_from_html(PAGE.read_bytes())


def test_the_embedded_model_without_llama_cpp_names_the_local_extra(monkeypatch, tmp_path):
    from summarize import _local as local

    weights = tmp_path / "model.gguf"
    weights.write_bytes(b"GGUF")
    monkeypatch.setattr(local, "ensure_weights", lambda name, path=None: weights)
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    with pytest.raises(ConfigurationError, match=r"pip install '\.\[local\]'"):
        local.LocalModel("local/qwen2.5-coder-1.5b").llama()


def test_the_cli_exits_3_with_one_line_when_the_html_cleaner_is_missing():
    code = (
        "import sys\n"
        "sys.modules['lxml_html_clean'] = None\n"
        "from summarize._cli import main\n"
        f"sys.exit(main([{str(PAGE)!r}, '--json', '--base-url', 'http://127.0.0.1:9/v1']))\n"
    )
    with tempfile.TemporaryDirectory(prefix="summarize-test-cache-") as cache:
        result = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            env={**os.environ, "SUMMARIZE_CACHE_DIR": cache},
            timeout=60,
        )
    stderr = result.stderr.decode()
    assert result.returncode == 3, stderr
    assert result.stdout == b""
    assert "Traceback" not in stderr and "internal error" not in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert stderr.startswith("summarize: error: reading a web page")
    assert "pip install lxml_html_clean" in stderr


def test_the_ray_module_without_its_extra_names_the_extra():
    code = (
        "import sys; sys.modules['pyarrow'] = None; sys.modules['ray'] = None\n"
        "from summarize._errors import ConfigurationError\n"
        "try:\n    import summarize.ray\n"
        "except ConfigurationError as error:\n    print(error)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "summarize.ray needs pyarrow, which is not installed: pip install '.[ray]'" in out.stdout
