"""``plugchoice fleet status|watch`` and ``plugchoice demo``: the fleet from the listings (``client.fleet``)."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import signal
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

import attrs
import click
from rich.console import Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from .. import ChargePointStatus, PlugchoiceClient
from ..models.fleet import FleetCharger, FleetSnapshot, SnapshotUpdate, StatusChange
from ._common import (
    EXIT_FAILED,
    EXIT_OK,
    ProgressBar,
    RequestTracker,
    Settings,
    counting_requests,
    make_client,
    run,
    settings_of,
    stdout_console,
)

__all__ = ["CSV_COLUMNS", "demo", "fleet", "snapshot_csv", "snapshot_json"]

FORMATS: Final = ("table", "json", "csv")
CSV_COLUMNS: Final = (
    "uuid",
    "identity",
    "reference",
    "team",
    "site",
    "connection_status",
    "status",
    "error",
    "connectors",
)
_FAULTED_SHOWN: Final = 10


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def faulted(charger: FleetCharger) -> bool:
    """Whether the charger or one of its connectors reports ``Faulted``."""
    return charger.status == ChargePointStatus.FAULTED or any(
        c.status == ChargePointStatus.FAULTED for c in charger.connectors
    )


def snapshot_json(snap: FleetSnapshot) -> dict[str, Any]:
    """The snapshot as plain JSON values: the counts, every charger, and the chargers that failed."""
    return {
        "taken_at": snap.taken_at.isoformat(),
        "requests": snap.requests,
        "by_connection_status": dict(snap.by_connection_status),
        "by_status": dict(snap.by_status),
        "by_connector_status": dict(snap.by_connector_status),
        "chargers": [
            {
                "uuid": c.uuid,
                "identity": c.identity,
                "reference": c.reference,
                "team": c.team,
                "site": c.site,
                "connection_status": _text(c.connection_status),
                "status": _text(c.status),
                "error": _text(c.error),
                "connectors": [
                    {"connector_id": k.connector_id, "status": _text(k.status), "error": _text(k.error)}
                    for k in c.connectors
                ],
            }
            for c in snap.chargers.values()
        ],
        "failures": [{"charger": f.charger, "error": str(f.error)} for f in snap.failures],
    }


def snapshot_csv(snap: FleetSnapshot) -> str:
    """One CSV row per charger (``connectors`` as ``1:Available;2:Charging``), with a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for c in snap.chargers.values():
        connectors = ";".join(f"{k.connector_id}:{_text(k.status) or ''}" for k in c.connectors)
        writer.writerow(
            [
                c.uuid,
                c.identity,
                c.reference or "",
                c.team or "",
                c.site or "",
                _text(c.connection_status) or "",
                _text(c.status) or "",
                _text(c.error) or "",
                connectors,
            ]
        )
    return out.getvalue()


def _counts_table(snap: FleetSnapshot) -> Table:
    total = len(snap.chargers)
    connectors = sum(snap.by_connector_status.values())
    table = Table(title=f"Fleet status: {total:,} chargers", title_justify="left")
    table.add_column("", no_wrap=True)
    table.add_column("Value", no_wrap=True)
    table.add_column("Count", justify="right")
    table.add_column("Share", justify="right")
    sections: tuple[tuple[str, Mapping[str, int], int], ...] = (
        ("Connection", snap.by_connection_status, total),
        ("Status", snap.by_status, total),
        ("Connectors", snap.by_connector_status, connectors),
    )
    for index, (name, counts, whole) in enumerate(sections):
        if index:
            table.add_section()
        for row, (value, count) in enumerate(counts.items()):
            share = f"{100 * count / whole:.0f}%" if whole else "-"
            table.add_row(name if row == 0 else "", value, f"{count:,}", share)
        if not counts:
            table.add_row(name, "-", "0", "-")
    return table


def _faulted_table(chargers: list[FleetCharger]) -> Table:
    title = f"Faulted chargers (the charger or a connector): {len(chargers)}"
    table = Table(title=title, title_justify="left")
    table.add_column("Identity", no_wrap=True, max_width=14)
    table.add_column("UUID", no_wrap=True, min_width=36)
    table.add_column("Error", no_wrap=True, max_width=20)
    for charger in chargers[:_FAULTED_SHOWN]:
        errors = [str(charger.error)] if charger.error not in (None, "NoError") else []
        errors += [f"#{k.connector_id} {k.error}" for k in charger.connectors if k.error not in (None, "NoError")]
        table.add_row(charger.identity, charger.uuid, ", ".join(errors) or "-")
    if len(chargers) > _FAULTED_SHOWN:
        table.add_row(f"... {len(chargers) - _FAULTED_SHOWN} more", "(--format csv lists all)", "")
    return table


def render_status(snap: FleetSnapshot, client: PlugchoiceClient, tracker: RequestTracker, elapsed: float) -> list[Any]:
    """The table report of one snapshot: counts, faulted chargers, what the round cost."""
    parts: list[Any] = [_counts_table(snap), ""]
    broken = [c for c in snap.chargers.values() if faulted(c)]
    parts += [_faulted_table(broken) if broken else Text("No faulted chargers."), ""]
    if snap.failures:
        parts.append(Text(f"Could not read {len(snap.failures)} chargers (shown without connectors)."))
    stats = client.stats
    retries = ", ".join(f"{cause} x{n}" for cause, n in sorted(stats.retries.items()))
    parts.append(
        Text(
            f"Requests: {snap.requests} for the snapshot in {elapsed:.2f} s ({tracker.requests} attempts; "
            f"retries: {stats.total_retries}{f', {retries}' if retries else ''}; 429s: {stats.rate_limited})"
        )
    )
    parts.append(Text(f"Rate budget: {tracker.budget()}"))
    return parts


async def take_snapshot(client: PlugchoiceClient, tracker: RequestTracker, team: str | None) -> FleetSnapshot:
    """One snapshot, with a progress bar on stderr counting the requests as the pages arrive."""
    with ProgressBar("Reading the fleet") as bar, counting_requests(tracker, bar):
        return await client.fleet.snapshot(team)


async def fleet_status(client: PlugchoiceClient, tracker: RequestTracker, *, team: str | None, output: str) -> int:
    """Take a snapshot and write it in ``output`` format; exit status 1 when some chargers could not be read."""
    started = time.perf_counter()
    snap = await take_snapshot(client, tracker, team)
    elapsed = time.perf_counter() - started
    if output == "json":
        click.echo(json.dumps(snapshot_json(snap), indent=2))
    elif output == "csv":
        click.echo(snapshot_csv(snap), nl=False)
    else:
        console = stdout_console()
        for part in render_status(snap, client, tracker, elapsed):
            console.print(part)
    return EXIT_FAILED if snap.failures else EXIT_OK


_team_option = click.option("--team", metavar="UUID", help="Only this team's chargers (from its listing alone).")
_format_option = click.option(
    "--format",
    "output",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table for people; json (the snapshot) or csv (one row per charger) for programs.",
)


@click.group(short_help="Fleet status and live watch, from the listings.")
def fleet() -> None:
    """The whole fleet's status from the listings (about N / 100 requests)."""


@fleet.command("status")
@_team_option
@_format_option
@click.pass_context
def status(ctx: click.Context, team: str | None, output: str) -> None:
    """One snapshot of every charger: counts by status, faulted chargers, cost.

    Exits 1 when some chargers could not be read.
    """
    settings = settings_of(ctx)

    async def main() -> int:
        tracker = RequestTracker()
        async with make_client(settings, tracker) as client:
            return await fleet_status(client, tracker, team=team, output=output)

    ctx.exit(run(ctx, main()))


# -- watch ----------------------------------------------------------------------------------------


@attrs.define
class WatchState:
    """What ``fleet watch`` has seen so far."""

    interval: float
    started: float = attrs.field(factory=time.monotonic)
    rounds: int = 0
    failed_rounds: int = 0
    changes: int = 0
    requests: int = 0
    chargers: int = 0
    counts: Mapping[str, int] = attrs.field(factory=dict)
    recent: list[tuple[datetime, str, str, str]] = attrs.field(factory=list)  # when, identity, what, change
    last_error: str | None = None

    def add(self, update: SnapshotUpdate, requests: int) -> list[tuple[datetime, str, str, str]]:
        """Take in one round; returns its rows for the change list."""
        self.rounds += 1
        self.requests += requests
        if update.snapshot is None:
            self.failed_rounds += 1
            self.last_error = " ".join(str(update.error).split())
            return []
        self.last_error = None
        self.chargers = len(update.snapshot.chargers)
        self.counts = update.snapshot.by_status
        rows = [_change_row(change) for change in update.changes]
        at = update.finished_at
        rows += [(at, c.identity, "appeared", _text(c.status) or "-") for c in update.appeared]
        rows += [(at, uuid[:8], "removed", "-") for uuid in update.disappeared]
        self.changes += len(rows)
        self.recent = (self.recent + rows)[-200:]
        return rows

    def summary(self) -> str:
        """The one line printed when the watch stops."""
        took = int(time.monotonic() - self.started)
        return (
            f"Stopped after {self.rounds} rounds in {took // 60}:{took % 60:02d}: {self.changes} changes, "
            f"{self.failed_rounds} failed rounds, {self.requests} requests."
        )


def _change_row(change: StatusChange) -> tuple[datetime, str, str, str]:
    what = change.field.replace("connection_status", "connection").replace("connectors[", "connector ")
    what = what.replace("].", " ")
    return change.seen_at, change.identity, what, f"{change.old or '-'} → {change.new or '-'}"


def watch_view(state: WatchState, height: int) -> RenderableType:
    """The live screen: a header, the latest changes (as many as fit) and the counts by status."""
    header = Text(
        f"Fleet watch: {state.chargers:,} chargers, round {state.rounds}, every {state.interval:g} s, "
        f"{state.changes} changes (Ctrl-C stops)"
        if state.rounds
        else "Fleet watch: reading the fleet... (Ctrl-C stops)",
        style="bold",
    )
    table = Table(expand=False)
    table.add_column("Time (UTC)", no_wrap=True)
    table.add_column("Charger", no_wrap=True, max_width=18)
    table.add_column("What", no_wrap=True, max_width=16)
    table.add_column("Change", no_wrap=True, max_width=30)
    shown = max(1, height - 9)
    for at, identity, what, change in state.recent[-shown:]:
        table.add_row(at.astimezone(UTC).strftime("%H:%M:%S"), identity, what, change)
    if not state.recent:
        table.add_row("-", "no changes yet", "", "")
    counts = Text(" · ".join(f"{value} {n:,}" for value, n in state.counts.items()) or "-", overflow="fold")
    parts: list[RenderableType] = [header, table, counts]
    if state.last_error is not None:
        parts.append(Text(f"last round failed: {state.last_error}", style="red", overflow="ellipsis", no_wrap=True))
    return Group(*parts)


async def watch_fleet(
    client: PlugchoiceClient, tracker: RequestTracker, *, interval: float, team: str | None, rounds: int | None
) -> WatchState:
    """Follow the fleet until Ctrl-C (SIGINT) or ``rounds`` rounds; returns what was seen."""
    console = stdout_console()
    state = WatchState(interval=interval)
    updates = client.fleet.watch(interval=interval, team=team)  # checks its arguments before anything is sent

    async def follow(live: Live | None) -> None:
        tracker.reset()
        async for update in updates:
            rows = state.add(update, tracker.requests)
            tracker.reset()
            if live is not None:
                live.update(watch_view(state, console.height))
            else:
                for at, identity, what, change in rows:
                    click.echo(f"{at.astimezone(UTC):%H:%M:%S}  {identity}  {what}  {change}")
                if state.last_error is not None:
                    click.echo(f"round {state.rounds} failed: {state.last_error}", err=True)
            if rounds is not None and state.rounds >= rounds:
                return

    loop = asyncio.get_running_loop()
    with contextlib.ExitStack() as stack:
        live = None
        if console.is_terminal:
            live = Live(watch_view(state, console.height), console=console, refresh_per_second=4, transient=False)
            stack.enter_context(live)
        task = asyncio.ensure_future(follow(live))
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C raises KeyboardInterrupt instead
            loop.add_signal_handler(signal.SIGINT, task.cancel)
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():  # this coroutine was cancelled, not the watch
                raise
        finally:
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(signal.SIGINT)
            await updates.aclose()
    return state


@fleet.command("watch")
@click.option(
    "--interval",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    help="Seconds between the starts of two rounds.",
)
@click.option("--rounds", type=click.IntRange(min=1), help="Stop after this many rounds (default: until Ctrl-C).")
@_team_option
@click.pass_context
def watch(ctx: click.Context, interval: float, rounds: int | None, team: str | None) -> None:
    """Follow the fleet: a live table of the changes as they happen.

    Each round is one snapshot. Ctrl-C stops it and prints a one-line summary.
    """
    settings = settings_of(ctx)

    async def main() -> WatchState:
        tracker = RequestTracker()
        async with make_client(settings, tracker) as client:
            return await watch_fleet(client, tracker, interval=interval, team=team, rounds=rounds)

    state = run(ctx, main())
    click.echo(state.summary())
    ctx.exit(EXIT_FAILED if state.failed_rounds and state.failed_rounds == state.rounds else EXIT_OK)


# -- demo -----------------------------------------------------------------------------------------


async def run_demo(settings: Settings, *, chargers: int, error_rate: float, output: str) -> int:
    """Start the embedded emulator and run ``fleet status`` against it."""
    from ..testing import PlugchoiceEmulator

    # The emulator applies the real API's limit: 500 requests a minute.
    async with PlugchoiceEmulator(chargers=chargers, rate_limit=500, rate_period=60.0, seed=7) as emulator:
        emulator.error_rate = error_rate
        click.echo(f"Embedded emulator at {emulator.base_url} ({chargers:,} chargers)", err=True)
        tracker = RequestTracker()
        client = make_client(settings, tracker, token=emulator.token, base_url=emulator.base_url)
        async with client:
            return await fleet_status(client, tracker, team=None, output=output)


@click.command(short_help="Fleet status against the embedded emulator.")
@click.option("--chargers", type=click.IntRange(min=0), default=2000, show_default=True, help="Emulated fleet size.")
@click.option(
    "--error-rate",
    type=click.FloatRange(min=0, max=1),
    default=0.02,
    show_default=True,
    help="Share of requests the emulator answers 500 (the client retries them).",
)
@_format_option
@click.pass_context
def demo(ctx: click.Context, chargers: int, error_rate: float, output: str) -> None:
    """Start the embedded emulator and run `fleet status` against it (no token needed)."""
    ctx.exit(run(ctx, run_demo(settings_of(ctx), chargers=chargers, error_rate=error_rate, output=output)))
