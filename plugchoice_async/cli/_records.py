"""Read-only listings for back offices: ``plugchoice chargers list|get`` and ``plugchoice transactions export``."""

from __future__ import annotations

import csv
import enum
import io
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any, Final

import attrs
import click
from rich.table import Table

from .. import Charger, PlugchoiceClient
from ..models import TeamTransaction
from ._common import (
    EXIT_OK,
    ProgressBar,
    RequestTracker,
    Settings,
    make_client,
    run,
    settings_of,
    stdout_console,
)

__all__ = ["CHARGER_COLUMNS", "TRANSACTION_COLUMNS", "chargers", "transactions"]

CHARGER_COLUMNS: Final = ("uuid", "identity", "reference", "connection_status", "status", "error", "last_heartbeat_at")
TRANSACTION_COLUMNS: Final = (
    "id",
    "status",
    "team",
    "charger_uuid",
    "charger_identity",
    "connector_id",
    "id_tag",
    "started_at",
    "stopped_at",
    "meter_start",
    "meter_stop",
    "total_kwh",
    "stop_reason",
)
_PAGE: Final = 100


def _plain(value: Any) -> Any:
    """A value as JSON/CSV shows it: enums by value, datetimes in ISO 8601, None as is."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def as_json(value: Any) -> str:
    """An attrs model (or a list of them) as indented JSON; secrets (``pincode``) are left out."""

    def plain(item: Any) -> Any:
        return attrs.asdict(item, filter=lambda field, _v: field.name != "pincode", value_serializer=_serialize)

    data = [plain(item) for item in value] if isinstance(value, list) else plain(value)
    return json.dumps(data, indent=2, default=_json_default)


def _serialize(_instance: Any, _field: Any, value: Any) -> Any:
    return _plain(value)


def _csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if v is None else _plain(v) for v in row])
    return out.getvalue()


# -- chargers -------------------------------------------------------------------------------------


@click.group()
def chargers() -> None:
    """The chargers the token can see."""


def _charger_row(c: Charger) -> tuple[Any, ...]:
    return (c.uuid, c.identity, c.reference, c.connection_status, c.status, c.error, c.last_heartbeat_at)


async def list_chargers(settings: Settings, output: str) -> int:
    """Every charger of ``GET /chargers`` (all pages, with a progress bar) in ``output`` format."""
    tracker = RequestTracker()
    async with make_client(settings, tracker) as client:
        found: list[Charger] = []
        with ProgressBar("Listing chargers", unit="chargers") as bar:
            async for page in client.chargers.list(per_page=_PAGE).iter_pages():
                if page.total is not None:
                    bar.update(total=page.total)
                found += page.items
                bar.advance(len(page.items))
    if output == "json":
        click.echo(as_json(found))
    elif output == "csv":
        click.echo(_csv(CHARGER_COLUMNS, (_charger_row(c) for c in found)), nl=False)
    else:
        table = Table(title=f"{len(found):,} chargers", title_justify="left", box=None, pad_edge=False)
        table.add_column("UUID", no_wrap=True, min_width=36)
        table.add_column("Identity", no_wrap=True, max_width=16)
        table.add_column("Connection", no_wrap=True)
        table.add_column("Status", no_wrap=True)
        for c in found:
            table.add_row(c.uuid, c.identity, str(c.connection_status or "-"), str(c.status or "-"))
        stdout_console().print(table)
    return EXIT_OK


_format = click.option(
    "--format", "output", type=click.Choice(("table", "json", "csv")), default="table", show_default=True
)


@chargers.command("list")
@_format
@click.pass_context
def list_command(ctx: click.Context, output: str) -> None:
    """Every charger (GET /chargers, all pages)."""
    ctx.exit(run(ctx, list_chargers(settings_of(ctx), output)))


async def get_charger(settings: Settings, charger_id: str, output: str) -> int:
    """One charger with its connectors."""
    tracker = RequestTracker()
    async with make_client(settings, tracker) as client:
        charger = await client.chargers.get(charger_id)
    if output == "json":
        click.echo(as_json(charger))
        return EXIT_OK
    console = stdout_console()
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    for label, value in (
        ("Identity", charger.identity),
        ("UUID", charger.uuid),
        ("Reference", charger.reference),
        ("Connection", charger.connection_status),
        ("Status", charger.status),
        ("Error", charger.error),
        ("Firmware", charger.firmware_version),
        ("Last heartbeat", charger.last_heartbeat_at),
        ("Max current", None if charger.max_current is None else f"{charger.max_current:g} A"),
    ):
        grid.add_row(label, "-" if value is None else str(_plain(value)))
    console.print(grid)
    if charger.connectors:
        table = Table(title="Connectors", title_justify="left")
        for name in ("#", "Status", "Error", "Format", "Max current"):
            table.add_column(name, no_wrap=True)
        for k in charger.connectors:
            amps = "-" if k.max_amperage is None else f"{k.max_amperage} A"
            table.add_row(str(k.connector_id), str(k.status or "-"), str(k.error or "-"), str(k.format or "-"), amps)
        console.print(table)
    return EXIT_OK


@chargers.command("get")
@click.argument("charger_id", metavar="CHARGER_UUID")
@click.option("--format", "output", type=click.Choice(("table", "json")), default="table", show_default=True)
@click.pass_context
def get_command(ctx: click.Context, charger_id: str, output: str) -> None:
    """One charger with its connectors."""
    ctx.exit(run(ctx, get_charger(settings_of(ctx), charger_id, output)))


# -- transactions ---------------------------------------------------------------------------------


@click.group()
def transactions() -> None:
    """Charging sessions."""


def _since(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


async def team_sessions(
    client: PlugchoiceClient, team: str, since: datetime, bar: ProgressBar
) -> list[TeamTransaction]:
    """The team's sessions started at or after ``since``: newest first, pages read until they get older.

    A session the API sends without ``started_at`` cannot be placed before or after ``since``: it is
    kept (exported with an empty start) rather than lost, and does not end the reading.
    """
    found: list[TeamTransaction] = []
    pages = client.teams.transactions(team, sort="-started_at", per_page=_PAGE).iter_pages()
    try:
        async for page in pages:
            recent = [tx for tx in page.items if tx.started_at is None or tx.started_at >= since]
            found += recent
            bar.advance(len(recent))
            if len(recent) < len(page.items):  # sorted newest first: the rest are older
                break
    finally:
        await pages.aclose()
    return found


def _newest_first(pair: tuple[str, TeamTransaction]) -> tuple[bool, float]:
    """Sort key: newest start first, sessions without ``started_at`` last."""
    started = pair[1].started_at
    return (started is None, 0.0 if started is None else -started.timestamp())


async def export_transactions(settings: Settings, since: datetime, team: str | None, output: str) -> int:
    """Every session started since ``since`` on the teams' chargers, as CSV or JSON (each once)."""
    tracker = RequestTracker()
    async with make_client(settings, tracker) as client:
        teams = [team] if team is not None else [t.uuid async for t in client.teams.list()]
        sessions: dict[int, tuple[str, TeamTransaction]] = {}
        with ProgressBar("Exporting sessions", unit="sessions") as bar:
            for team_id in teams:
                for tx in await team_sessions(client, team_id, since, bar):
                    sessions.setdefault(tx.id, (team_id, tx))  # a charger may be in several teams
    ordered = sorted(sessions.values(), key=_newest_first)
    if output == "json":
        rows = [{"team": team_id, **json.loads(as_json(tx))} for team_id, tx in ordered]
        click.echo(json.dumps(rows, indent=2))
    else:
        click.echo(
            _csv(
                TRANSACTION_COLUMNS,
                (
                    (
                        tx.id,
                        tx.status,
                        team_id,
                        None if tx.charger is None else tx.charger.uuid,
                        None if tx.charger is None else tx.charger.identity,
                        tx.connector_id,
                        tx.id_tag,
                        tx.started_at,
                        tx.stopped_at,
                        tx.meter_start,
                        tx.meter_stop,
                        tx.total_kwh,
                        tx.stop_reason,
                    )
                    for team_id, tx in ordered
                ),
            ),
            nl=False,
        )
    return EXIT_OK


@transactions.command("export")
@click.option(
    "--since",
    required=True,
    type=click.DateTime(formats=("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S")),
    help="Sessions started at or after this date (UTC).",
)
@click.option("--team", metavar="UUID", help="Only this team (default: every team the token can see).")
@click.option("--format", "output", type=click.Choice(("csv", "json")), default="csv", show_default=True)
@click.pass_context
def export(ctx: click.Context, since: datetime, team: str | None, output: str) -> None:
    """Every session since a date, from the teams' transaction lists (newest first, one row each).

    Reads GET /teams/{team}/transactions sorted by start, newest first, and stops at the first
    older session: the cost is the pages of the period, not one request per charger. A session
    sent without its start time is kept, with an empty started_at, and listed last.
    """
    ctx.exit(run(ctx, export_transactions(settings_of(ctx), _since(since), team, output)))
