"""Bad input through the real command, in a subprocess: one line, an exit code, no traceback."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile

import pytest

from tests.test_article import SYNTHETIC_PDF

SECRET = "sk-test-SECRET-0123456789abcdef"


def run(*args: str, stdin: bytes = b"", env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZE_"))
    }
    environment.update(env or {})
    # Never the user's own brief cache.
    with tempfile.TemporaryDirectory(prefix="summarize-test-cache-") as cache:
        return subprocess.run(
            [sys.executable, "-m", "summarize", *args],
            input=stdin,
            capture_output=True,
            env={"SUMMARIZE_CACHE_DIR": cache, **environment},
            timeout=60,
        )


def assert_one_line_error(result: subprocess.CompletedProcess, code: int, text: str) -> None:
    stderr = result.stderr.decode()
    assert result.returncode == code, stderr
    assert result.stdout == b""
    assert "Traceback" not in stderr
    assert stderr.startswith("summarize: error: ")
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert text in stderr


def test_missing_file(tmp_path):
    assert_one_line_error(run(str(tmp_path / "nope.txt")), 2, "no such file")


def test_directory(tmp_path):
    assert_one_line_error(run(str(tmp_path)), 2, "is a directory")


@pytest.mark.parametrize("content", [b"", b"   \n\t  \n"])
def test_empty_and_whitespace_files(tmp_path, content):
    path = tmp_path / "a.txt"
    path.write_bytes(content)
    assert_one_line_error(run(str(path)), 2, "is empty")


def test_empty_stdin():
    assert_one_line_error(run("-", stdin=b"\n"), 2, "standard input is empty")


def test_binary_file(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(range(256)))
    assert_one_line_error(run(str(path)), 2, "is not text")


def test_a_pdf_is_bad_input_with_what_to_do(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(SYNTHETIC_PDF)
    result = run(str(path), "-m", "openai/gpt-4o-mini")  # no key: the model is never reached
    assert_one_line_error(result, 2, "report.pdf is not text but a PDF: extract its text")
    assert "pdftotext" in result.stderr.decode()


def test_a_pdf_is_refused_before_any_model_is_set_up(tmp_path, monkeypatch, capsys):
    from summarize import _cli as cli
    from summarize import _core as core
    from summarize import _settings

    def set_up(*args, **kwargs):
        raise AssertionError("a model was set up for a PDF")

    monkeypatch.setattr(cli, "_settings", set_up)
    monkeypatch.setattr(core, "make_client", set_up)
    monkeypatch.setattr(_settings, "parse_model_spec", set_up)
    monkeypatch.setattr(logging.getLogger("instructor"), "propagate", True)  # main() changes it
    path = tmp_path / "report.pdf"
    path.write_bytes(SYNTHETIC_PDF)
    assert cli.main([str(path), "-m", "openai/gpt-4o-mini"]) == 2
    assert "is not text but a PDF" in capsys.readouterr().err


def test_remote_model_without_api_key(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("Trump called Putin on Wednesday.")
    result = run(str(path), "-m", "openai/gpt-4o-mini")
    assert_one_line_error(result, 3, "set OPENAI_API_KEY")


def test_unknown_model(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("Trump called Putin on Wednesday.")
    assert_one_line_error(run(str(path), "-m", "local/gpt-5"), 3, "unknown embedded model")


def test_unreachable_server_names_the_endpoint_not_the_key(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("Trump called Putin on Wednesday.")
    result = run(
        str(path),
        "--base-url",
        "http://127.0.0.1:9/v1",  # the discard port: nothing listens
        "-m",
        "some-model",
        "--max-attempts",
        "2",
        env={"OPENAI_API_KEY": SECRET},
    )
    assert_one_line_error(result, 4, "cannot reach compatible/some-model at http://127.0.0.1:9/v1")
    assert SECRET not in result.stderr.decode()


def test_a_server_given_without_a_model_is_asked_which_it_serves(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("Trump called Putin on Wednesday.")
    result = run(str(path), "--base-url", "http://127.0.0.1:9/v1", "--max-attempts", "2")
    assert_one_line_error(result, 4, "cannot reach http://127.0.0.1:9/v1 to ask which model")


def test_bad_arguments_are_usage_errors():
    result = run("--json", "--markdown", "a.txt")
    assert result.returncode == 2
    assert "not allowed with argument" in result.stderr.decode()


def test_help_documents_exit_codes_and_models():
    result = run("--help")
    out = result.stdout.decode()
    assert result.returncode == 0
    assert "exit codes:" in out and "5  the model's brief failed validation" in out
    assert "local/qwen2.5-coder-0.5b" in out


def test_help_does_not_import_the_model_stack():
    code = (
        "import sys, contextlib, io\n"
        "from summarize._cli import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help'])\n"
        "heavy = [m for m in ('openai', 'instructor', 'pydantic', 'rich') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert result.stdout.decode().strip() == ""


def test_html_page_without_an_article(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("<html><body><script>alert(1)</script><p>News.</p></body></html>")
    assert_one_line_error(run(str(path)), 2, "no article found")


def test_url_while_offline():
    assert_one_line_error(run("http://127.0.0.1:9/story.html"), 2, "are you offline")


def test_a_bad_date(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("Some news.")
    assert_one_line_error(run(str(path), "--date", "13/02/2025"), 2, "give it as YYYY-MM-DD")


def test_exit_codes_come_from_the_one_table_by_the_most_specific_error():
    from summarize import _errors as errors
    from summarize._cli import exit_code

    assert exit_code(errors.InputError("x")) == 2
    assert exit_code(errors.ArticleTooLongError("x")) == 2  # an InputError
    assert exit_code(errors.ConfigurationError("x")) == 3
    assert exit_code(errors.ModelError("x")) == 4
    assert exit_code(errors.GroundingError("x")) == 5  # before its base, ModelError
    assert exit_code(errors.SummarizeError("x")) == 1
    assert exit_code(ValueError("x")) == 1
    assert exit_code(KeyboardInterrupt()) == 130


def test_the_library_errors_carry_no_exit_code():
    from summarize import _errors as errors

    kinds = [v for v in vars(errors).values() if isinstance(v, type)]
    assert errors.GroundingError in kinds
    assert not [kind.__name__ for kind in kinds if hasattr(kind("x"), "exit_code")]


def test_both_help_texts_list_the_codes_of_the_table():
    from summarize._cli import EXIT_CODES, build_batch_parser, build_parser

    article, batch = build_parser().format_help(), build_batch_parser().format_help()
    for row in EXIT_CODES:
        if row.meaning:
            assert f"{row.code:>3}  {row.meaning}\n" in article
        meaning = row.meaning if row.batch is None else row.batch
        if meaning:
            assert f"{row.code:>3}  {meaning}\n" in batch
    assert "  6  some articles failed" in batch and "  6  " not in article
