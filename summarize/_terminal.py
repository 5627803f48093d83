"""What the command shows at the terminal: the brief and its figures, progress, and its logs."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from rich.console import Console

    from summarize._batch import BatchTotals, ItemResult
    from summarize._result import BriefResult

# What to do about a brief refused after its re-asks: the re-asks are seeded, so the
# same command refuses again.
GROUNDING_HINT = (
    " (another --reask-seed draws other re-asks; --lenient prints the brief without what failed)"
)


def configure_logging(verbose: bool) -> None:
    """With -v, the libraries' log on stderr, API keys masked; without, instructor's kept off it."""
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
        for handler in logging.getLogger().handlers:
            handler.addFilter(_redact_secrets)
    else:
        # instructor logs each failed attempt at ERROR; the CLI reports the outcome once.
        logging.getLogger("instructor").addHandler(logging.NullHandler())
        logging.getLogger("instructor").propagate = False


def show_result(
    result: BriefResult, out: Console, err: Console, *, json: bool, markdown: bool, usage: bool
) -> None:
    """The brief on stdout (as JSON, Markdown or for the terminal); on stderr, what was left
    out of it and, when ``usage``, its tokens, attempts and time."""
    from summarize._render import to_json, to_markdown, to_rich

    if json:
        sys.stdout.write(to_json(result.brief) + "\n")
    elif markdown:
        sys.stdout.write(to_markdown(result.brief))
    else:
        out.print(to_rich(result.brief))
    for item in result.dropped:
        err.print(f"summarize: left out: {item}", markup=False, highlight=False, soft_wrap=True)
    if usage:
        spent = result.usage
        err.print(
            f"{result.model}: {spent.prompt_tokens} prompt + {spent.completion_tokens} completion "
            f"= {spent.total_tokens} tokens, {result.attempts} attempt(s), {result.seconds:.1f} s"
            + (" (from the cache)" if result.cached else "")
            + (f" ({result.parts} parts)" if result.parts > 1 else ""),
            highlight=False,
            soft_wrap=True,
        )


def show_totals(err: Console, totals: BatchTotals, out: Path) -> None:
    """What a batch did, on one line of stderr."""
    err.print(
        f"summarize batch: {totals.done} done ({totals.cached} from the cache), "
        f"{totals.failed} failed, {totals.skipped} already done; {totals.tokens} tokens; "
        f"{totals.seconds:.1f} s -> {out}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def show_error(err: Console, error: BaseException, *, verbose: bool) -> None:
    """One line on stderr for what ended the command (and, with -v, the traceback of an
    error the library does not raise on purpose)."""
    from summarize._errors import GroundingError, SummarizeError, redact

    if isinstance(error, KeyboardInterrupt):
        err.print("summarize: interrupted")
    elif isinstance(error, SummarizeError):
        hint = GROUNDING_HINT if isinstance(error, GroundingError) else ""
        err.print(f"summarize: error: {error}{hint}", markup=False, highlight=False, soft_wrap=True)
    else:
        if verbose:
            err.print_exception()
        message = redact(f"{type(error).__name__}: {error}", None)
        err.print(f"summarize: internal error: {message} (run with -v for details)", markup=False)


def _redact_secrets(record: logging.LogRecord) -> bool:
    """Mask API keys in what the libraries log (a server's 401 echoes part of the key)."""
    from summarize._errors import redact

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


class LiveDraft:
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

        from summarize._render import draft, to_rich_draft

        self.live.update(Group(self.status, to_rich_draft(draft(text))))

    def __enter__(self) -> LiveDraft:
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


class progress:
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


class BatchProgress:
    """Batch progress on stderr: a bar with done, failed, rate and ETA at a terminal;
    otherwise a plain line every ``every`` seconds (for logs)."""

    def __init__(self, console: Console, total: int, every: float = 30.0) -> None:
        self.console = console
        self.total = total
        self.every = every
        self.done = self.failed = 0
        self.started = self.last = time.monotonic()
        self.bar: Any = None

    def __enter__(self) -> BatchProgress:
        if self.console.is_terminal:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[failed]} failed"),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=self.console,
            )
            self.bar.__enter__()
            self.task = self.bar.add_task("Summarising", total=self.total, failed=0, rate="")
        return self

    def update(self, record: ItemResult) -> None:
        if record.status == "done":
            self.done += 1
        else:
            self.failed += 1
            self.console.print(
                f"summarize batch: {record.id} failed: {record.error.message if record.error else ''}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        now = time.monotonic()
        finished = self.done + self.failed
        rate = finished / max(now - self.started, 1e-9) * 60
        if self.bar is not None:
            self.bar.update(self.task, advance=1, failed=self.failed, rate=f"{rate:.1f}/min")
        elif now - self.last >= self.every or finished == self.total:
            self.last = now
            left = (self.total - finished) / rate if rate else 0
            self.console.print(
                f"summarize batch: {finished}/{self.total} ({self.failed} failed), "
                f"{rate:.1f}/min, ETA {left:.0f} min",
                markup=False,
                highlight=False,
            )

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)
