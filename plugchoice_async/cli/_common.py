"""What every command shares: options, the client, request accounting, progress bars, errors and exit codes."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, TypeVar

import attrs
import click
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from .. import (
    APIConnectionError,
    ChargerTimeoutError,
    ConfigurationError,
    InvalidRequestError,
    PlugchoiceClient,
    PlugchoiceError,
    RequestEvent,
)

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "Failed",
    "ProgressBar",
    "RequestTracker",
    "Settings",
    "make_client",
    "outcome_unknown",
    "run",
    "stderr_console",
    "stdout_console",
]

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1  # some chargers failed, the API refused, or the outcome is unknown
EXIT_USAGE: Final = 2  # a bad command line (click's own usage errors exit 2 too)

T = TypeVar("T")


@attrs.define
class Settings:
    """The root options, kept in ``ctx.obj``."""

    token_file: Path | None = None
    debug: bool = False


class Failed(click.ClickException):
    """The command ran but something failed: one line on stderr, exit status 1."""

    exit_code = EXIT_FAILED

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class UsageProblem(click.ClickException):
    """A mistake in what was asked (a bad id or value) found after parsing: one line, exit status 2."""

    exit_code = EXIT_USAGE

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def outcome_unknown(exc: BaseException) -> bool:
    """Whether a command may have reached the charger although no answer says so (never retry it blindly)."""
    if isinstance(exc, ChargerTimeoutError):
        return True
    return isinstance(exc, APIConnectionError) and exc.request_sent and exc.action


def as_click_error(exc: PlugchoiceError) -> click.ClickException:
    """The one-line error (and exit status) an SDK error becomes."""
    text = " ".join(str(exc).split())
    if isinstance(exc, (ConfigurationError, InvalidRequestError)):
        return UsageProblem(text)
    if outcome_unknown(exc):
        return Failed(f"outcome unknown, not retried: {text}")
    return Failed(text)


def settings_of(ctx: click.Context) -> Settings:
    """The root settings (defaults when a command is invoked on its own, as in tests)."""
    found = ctx.find_object(Settings)
    return found if found is not None else Settings()


def read_token(settings: Settings) -> str:
    """The API token from ``--token-file`` or ``$PLUGCHOICE_TOKEN``; the message never shows it."""
    if settings.token_file is not None:
        try:
            token = settings.token_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageProblem(f"cannot read the token file {settings.token_file}: {exc.__class__.__name__}") from None
        if not token:
            raise UsageProblem(f"the token file {settings.token_file} is empty")
        return token
    token = os.environ.get("PLUGCHOICE_TOKEN", "").strip()
    if not token:
        raise UsageProblem("no API token: set PLUGCHOICE_TOKEN or pass --token-file FILE (or try `plugchoice demo`)")
    return token


class RequestTracker:
    """A request hook: counts the attempts and keeps the lowest ``X-RateLimit-Remaining`` since ``reset``.

    ``listener`` (if set) hears every event too, e.g. to move a progress bar.
    """

    def __init__(self) -> None:
        self.requests = 0
        self.limit: int | None = None
        self.remaining: int | None = None
        self.listener: Callable[[RequestEvent], None] | None = None

    def reset(self) -> None:
        """Start a new round: the counts and the budget seen start afresh."""
        self.requests = 0
        self.remaining = None

    def __call__(self, event: RequestEvent) -> None:
        self.requests += 1
        if event.rate_limit_remaining is not None:
            self.limit = event.rate_limit
            if self.remaining is None or event.rate_limit_remaining < self.remaining:
                self.remaining = event.rate_limit_remaining
        if self.listener is not None:
            self.listener(event)

    def budget(self) -> str:
        """What is left of the rate budget, as the server said."""
        if self.remaining is None:
            return "the server sent no rate-limit headers"
        of = f" of {self.limit}" if self.limit is not None else ""
        return f"{self.remaining}{of} requests left in the server's window"


def make_client(
    settings: Settings, tracker: RequestTracker, *, token: str | None = None, base_url: str | None = None
) -> PlugchoiceClient:
    """A client for the token (``--token-file`` / ``$PLUGCHOICE_TOKEN``) and ``$PLUGCHOICE_BASE_URL``."""
    return PlugchoiceClient(token if token is not None else read_token(settings), base_url=base_url, hooks=[tracker])


def stdout_console() -> Console:
    """The console of the command's output (made per command: tests swap ``sys.stdout``)."""
    return Console(highlight=False, soft_wrap=False)


def stderr_console() -> Console:
    """The console of progress bars and notes."""
    return Console(stderr=True, highlight=False)


class ProgressBar:
    """A progress bar on stderr, shown only when stderr is a terminal (otherwise every call does nothing)."""

    def __init__(self, description: str, *, total: float | None = None, unit: str = "requests") -> None:
        console = stderr_console()
        self.shown = console.is_terminal
        self._progress = Progress(
            SpinnerColumn(finished_text="[green]✓[/]"),
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            TextColumn(f"{{task.completed:>5.0f}} {unit}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._task: TaskID = self._progress.add_task(description, total=total, start=True)

    def __enter__(self) -> ProgressBar:
        if self.shown:
            self._progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.shown:
            self.finish()
            self._progress.stop()

    def advance(self, steps: float = 1) -> None:
        """Move the bar on by ``steps``."""
        self._progress.advance(self._task, steps)

    def update(
        self, *, completed: float | None = None, total: float | None = None, description: str | None = None
    ) -> None:
        """Set the bar's position, length or label."""
        self._progress.update(self._task, completed=completed, total=total, description=description)

    def finish(self) -> None:
        """Fill the bar; a bar without a length takes the count it reached as its length."""
        task = self._progress.tasks[0]
        if task.total is None:
            self._progress.update(self._task, total=task.completed)


@contextmanager
def counting_requests(tracker: RequestTracker, bar: ProgressBar) -> Iterator[None]:
    """Advance ``bar`` by one for every request while the block runs."""
    tracker.listener = lambda _event: bar.advance()
    try:
        yield
    finally:
        tracker.listener = None


def run(ctx: click.Context, coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; an SDK error becomes one line on stderr (a traceback with ``--debug``)."""
    try:
        return asyncio.run(coro)
    except PlugchoiceError as exc:
        if settings_of(ctx).debug:
            raise
        raise as_click_error(exc) from None
    except (click.ClickException, click.exceptions.Exit, click.Abort):
        raise  # the command's own refusals and exits
    except Exception as exc:
        # A defect, not the user's doing: still one line (the traceback is --debug's), and exit 1.
        if settings_of(ctx).debug:
            raise
        text = " ".join(str(exc).split())
        raise Failed(
            f"unexpected {type(exc).__name__}{': ' + text if text else ''} (run again with --debug for the traceback)"
        ) from None
