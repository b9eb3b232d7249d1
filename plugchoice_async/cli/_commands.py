"""Commands that reach chargers: ``plugchoice charger start|stop|restart|limit`` and ``plugchoice bulk``.

Every one says what it will do and asks before sending (unless ``--yes``); a refused or unanswerable
question (no terminal) sends nothing. A command is sent once: an answer that leaves the outcome
unknown (the charger did not confirm in time, or the connection dropped after sending) is reported
as such and never retried.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

import click
from rich.table import Table

from .. import ActionResult, ActionStatus, BulkCommandRun, BulkResultStatus, Charger, PlugchoiceClient, PlugchoiceError
from ._common import (
    EXIT_FAILED,
    EXIT_OK,
    Failed,
    ProgressBar,
    RequestTracker,
    Settings,
    UsageProblem,
    make_client,
    outcome_unknown,
    run,
    settings_of,
    stdout_console,
)
from ._fleet import take_snapshot

__all__ = ["bulk", "charger"]

_LISTED: Final = 10
_MAX_ID_TOKEN: Final = 20

Action = Callable[[PlugchoiceClient, str], Awaitable[ActionResult]]


def confirmed(question: str) -> bool:
    """Ask on stderr (default no); no answer (no terminal, end of input) is a no."""
    try:
        answer = click.confirm(question, default=False, err=True)
    except click.Abort:
        answer = False
        click.echo("", err=True)
    else:
        if not sys.stdin.isatty():  # a piped answer is not echoed: end the question's line
            click.echo("", err=True)
    return answer


def _nothing_sent() -> int:
    click.echo("Nothing sent.", err=True)
    return EXIT_FAILED


def _describe(charger: Charger) -> str:
    state = ", ".join(str(v) for v in (charger.connection_status, charger.status) if v is not None)
    return f"{charger.identity} ({charger.uuid}){f'; {state}' if state else ''}"


async def send_to_charger(settings: Settings, charger_id: str, what: str, action: Action, *, yes: bool) -> int:
    """Show the charger and ``what`` will be done, ask, send once, and report the charger's answer."""
    tracker = RequestTracker()
    async with make_client(settings, tracker) as client:
        charger = await client.chargers.get(charger_id)
        click.echo(f"Charger: {_describe(charger)}")
        click.echo(f"Command: {what}")
        if not yes and not confirmed("Send it?"):
            return _nothing_sent()
        try:
            result = await action(client, charger.uuid)
        except PlugchoiceError as exc:
            if not outcome_unknown(exc):
                raise
            click.echo(f"{charger.identity}: outcome unknown: the charger did not confirm in time (not retried).")
            click.echo("It may have executed the command: check its state before sending it again.")
            return EXIT_FAILED
    if result.status is None:
        click.echo(f"{charger.identity}: sent (the server reported no outcome)")
        return EXIT_OK
    click.echo(f"{charger.identity}: {result.status}")
    return EXIT_OK if result.status == ActionStatus.ACCEPTED else EXIT_FAILED


_yes_option = click.option("--yes", "-y", is_flag=True, help="Send without asking.")
_charger_argument = click.argument("charger_id", metavar="CHARGER_UUID")


@click.group(short_help="Start, stop, restart or limit one charger.")
def charger() -> None:
    """Live commands to one charger (each asks before sending, unless --yes)."""


@charger.command("start")
@_charger_argument
@click.option("--id-token", required=True, help="The card or token the session is authorised with (1-20 chars).")
@click.option("--connector", type=click.IntRange(min=1), help="Connector number (the charger picks one if left out).")
@_yes_option
@click.pass_context
def start(ctx: click.Context, charger_id: str, id_token: str, connector: int | None, yes: bool) -> None:
    """Start a charging session (OCPP RemoteStartTransaction)."""
    if not 1 <= len(id_token) <= _MAX_ID_TOKEN:
        raise click.BadParameter(f"must be 1 to {_MAX_ID_TOKEN} characters", param_hint="--id-token")
    where = f" on connector {connector}" if connector is not None else ""

    def action(client: PlugchoiceClient, uuid: str) -> Awaitable[ActionResult]:
        return client.chargers.actions.start(uuid, id_token=id_token, connector_id=connector)

    what = f"start a session{where} for id token {id_token}"
    ctx.exit(run(ctx, send_to_charger(settings_of(ctx), charger_id, what, action, yes=yes)))


@charger.command("stop")
@_charger_argument
@click.option("--transaction", type=click.IntRange(min=0), help="The session's id (default: the active one).")
@_yes_option
@click.pass_context
def stop(ctx: click.Context, charger_id: str, transaction: int | None, yes: bool) -> None:
    """Stop a charging session (OCPP RemoteStopTransaction)."""

    def action(client: PlugchoiceClient, uuid: str) -> Awaitable[ActionResult]:
        return client.chargers.actions.stop(uuid, transaction_id=transaction)

    what = f"stop session {transaction}" if transaction is not None else "stop the active session"
    ctx.exit(run(ctx, send_to_charger(settings_of(ctx), charger_id, what, action, yes=yes)))


@charger.command("restart")
@_charger_argument
@_yes_option
@click.pass_context
def restart(ctx: click.Context, charger_id: str, yes: bool) -> None:
    """Reboot the charger (OCPP Reset); running sessions end."""

    def action(client: PlugchoiceClient, uuid: str) -> Awaitable[ActionResult]:
        return client.chargers.actions.restart(uuid)

    what = "restart (OCPP Reset): running sessions end"
    ctx.exit(run(ctx, send_to_charger(settings_of(ctx), charger_id, what, action, yes=yes)))


@charger.command("limit")
@_charger_argument
@click.argument("amperes", type=click.FloatRange(min=0))
@click.option("--connector", type=click.IntRange(min=0), default=0, show_default=True, help="0: the whole charger.")
@_yes_option
@click.pass_context
def limit(ctx: click.Context, charger_id: str, amperes: float, connector: int, yes: bool) -> None:
    """Cap the charging current at AMPERES (0 pauses charging)."""
    if not math.isfinite(amperes):  # FloatRange lets nan and inf through
        raise click.BadParameter(f"must be a finite number of amperes, got {amperes}", param_hint="AMPERES")

    def action(client: PlugchoiceClient, uuid: str) -> Awaitable[ActionResult]:
        return client.chargers.actions.set_charge_limit(uuid, limit=amperes, connector_id=connector)

    where = "the whole charger" if connector == 0 else f"connector {connector}"
    what = f"limit {where} to {amperes:g} A"
    ctx.exit(run(ctx, send_to_charger(settings_of(ctx), charger_id, what, action, yes=yes)))


# -- bulk -----------------------------------------------------------------------------------------


def _total(run_: BulkCommandRun, asked: int) -> int:
    """The chargers of the run: the server's total, else its results, else as many as were asked for."""
    return run_.total if run_.total_count is not None or run_.results else asked


def _finished(run_: BulkCommandRun) -> int:
    """Chargers with a terminal result (the server's counts, or counted from the results when absent)."""
    return sum(run_.count(status) for status in ("sent", "offline", "error", "skipped_forbidden"))


def _outcome(run_: BulkCommandRun, asked: int) -> str:
    count = run_.count
    return (
        f"{run_.command}: {count('sent')} sent, {count('offline')} offline, {count('error')} errors, "
        f"{count('skipped_forbidden')} skipped of {_total(run_, asked)} chargers"
    )


def _results_table(run_: BulkCommandRun, names: dict[str, str]) -> Table:
    table = Table(title="Chargers that did not take it", title_justify="left")
    table.add_column("Charger", no_wrap=True, max_width=36)
    table.add_column("Status", no_wrap=True)
    table.add_column("Message", max_width=30)
    for result in run_.results:
        if result.status == BulkResultStatus.SENT:
            continue
        name = (result.charger.identity if result.charger is not None else None) or names.get(result.charger_uuid)
        table.add_row(name or result.charger_uuid, str(result.status or "-"), result.message or "")
    return table


def _payload(data: str | None) -> dict[str, Any] | None:
    if data is None:
        return None
    try:
        value = json.loads(data)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc.msg}", param_hint="--data") from None
    if not isinstance(value, dict):
        raise click.BadParameter('must be a JSON object, e.g. \'{"type": "Soft"}\'', param_hint="--data")
    return value


async def run_bulk(
    settings: Settings,
    command: str,
    *,
    charger_ids: list[str],
    status: str | None,
    team: str | None,
    data: dict[str, Any] | None,
    yes: bool,
    interval: float,
    give_up_after: float,
) -> int:
    """Pick the chargers, show them, ask, send the bulk command once and follow the run until it completes."""
    tracker = RequestTracker()
    async with make_client(settings, tracker) as client:
        names: dict[str, str] = {}
        if status is not None:
            snap = await take_snapshot(client, tracker, team)
            wanted = status.casefold()
            names = {  # a charger without a status never matches (not even --status None)
                c.uuid: c.identity
                for c in snap.chargers.values()
                if c.status is not None and str(c.status).casefold() == wanted
            }
            charger_ids = list(names)
            if not charger_ids:
                click.echo(f"No charger has status {status}: nothing to send.")
                return EXIT_OK
        payload = f" {json.dumps(data)}" if data else ""
        click.echo(f"About to send {command}{payload} to {len(charger_ids)} chargers:")
        for uuid in charger_ids[:_LISTED]:
            click.echo(f"  {names[uuid]} ({uuid})" if uuid in names else f"  {uuid}")
        if len(charger_ids) > _LISTED:
            click.echo(f"  ... and {len(charger_ids) - _LISTED} more")
        if not yes and not confirmed("Send it?"):
            return _nothing_sent()
        try:
            current = await client.chargers.bulk_command(command, charger_ids, data)
        except PlugchoiceError as exc:
            if not outcome_unknown(exc):
                raise
            click.echo("Outcome unknown: the server did not confirm the bulk command (not retried).")
            click.echo("The run may exist all the same: check the chargers before sending it again.")
            return EXIT_FAILED
        click.echo(f"Run {current.uuid}: {current.status}")
        deadline = time.monotonic() + give_up_after
        asked = len(charger_ids)
        with ProgressBar(f"{command}", total=_total(current, asked), unit="chargers") as bar:
            bar.update(completed=_finished(current))
            while not current.done:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise Failed(
                        f"run {current.uuid} not completed after {give_up_after:g} s ({_outcome(current, asked)}); "
                        "it goes on on the server"
                    )
                await asyncio.sleep(min(interval, remaining))
                current = await client.chargers.bulk_command_run(current.uuid)
                bar.update(total=_total(current, asked), completed=_finished(current))
    click.echo(_outcome(current, asked))
    if current.count("sent") == _total(current, asked):
        return EXIT_OK
    stdout_console().print(_results_table(current, names))
    return EXIT_FAILED


@click.command(short_help="Send an OCPP command to many chargers.")
@click.argument("command", metavar="OCPP_COMMAND")
@click.option(
    "--chargers",
    "charger_lists",
    multiple=True,
    metavar="UUID[,UUID...]",
    help="The chargers (comma-separated, or the option repeated).",
)
@click.option("--status", metavar="STATUS", help="Every charger with this status instead (e.g. Faulted).")
@click.option("--team", metavar="UUID", help="With --status: only this team's chargers.")
@click.option("--data", metavar="JSON", help='The command\'s payload, e.g. \'{"type": "Soft"}\' for Reset.')
@click.option("--interval", type=click.FloatRange(min=0.1), default=1.0, show_default=True, help="Poll every S s.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=120.0,
    show_default=True,
    help="Give up after S s.",
)
@_yes_option
@click.pass_context
def bulk(
    ctx: click.Context,
    command: str,
    charger_lists: tuple[str, ...],
    status: str | None,
    team: str | None,
    data: str | None,
    interval: float,
    timeout: float,
    yes: bool,
) -> None:
    """Send one OCPP command (Reset, ChangeAvailability, ...) to many chargers.

    Pick the chargers with --chargers (an id given twice is sent once) or --status (chargers
    without a status never match); the run is followed until it completes. Exits 1
    when some chargers did not take it (offline, error, skipped).
    """
    if not (command.isascii() and command.isalpha()):
        raise click.BadParameter("an OCPP command name is letters only, e.g. Reset", param_hint="OCPP_COMMAND")
    charger_ids = [part.strip() for chunk in charger_lists for part in chunk.split(",") if part.strip()]
    if bool(charger_ids) == (status is not None):
        raise click.UsageError("give either --chargers or --status")
    if team is not None and status is None:
        raise click.UsageError("--team goes with --status")
    if charger_ids:
        try:  # check every id before anything is sent (or asked)
            from ..resources._ids import uuid_segment

            charger_ids = list(dict.fromkeys(uuid_segment(uuid) for uuid in charger_ids))  # once each, in order
        except PlugchoiceError as exc:
            raise UsageProblem(str(exc)) from None
    payload = _payload(data)
    main = run_bulk(
        settings_of(ctx),
        command,
        charger_ids=charger_ids,
        status=status,
        team=team,
        data=payload,
        yes=yes,
        interval=interval,
        give_up_after=timeout,
    )
    ctx.exit(run(ctx, main))
