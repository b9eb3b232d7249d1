"""Start and stop a charging session safely: never send a live command twice.

    python examples/start_stop.py      # embedded emulator; its charger confirms the start too late, on purpose
    PLUGCHOICE_TOKEN=... python examples/start_stop.py --charger <uuid> --id-token <card> [--connector 1]

A start or stop is a live OCPP command. When the charger does not confirm in time the API answers 504
(``ChargerTimeoutError``) although the charger may have carried the command out; a connection lost after
sending is just as ambiguous. The safe reaction is the one below: re-read the state (is a session running
on the connector?) and decide from that, never re-send blindly. The SDK itself never retries a command
that may have reached the charger.

Against the real API this starts a real session: it needs ``--charger`` and ``--id-token`` and stops the
session again after ``--seconds``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from plugchoice_async import (
    APIConnectionError,
    ChargePointStatus,
    ChargerTimeoutError,
    ConnectionStatus,
    PlugchoiceClient,
)
from plugchoice_async.models import ActionStatus, Transaction
from plugchoice_async.testing import PlugchoiceEmulator

_STARTABLE = (ChargePointStatus.AVAILABLE, ChargePointStatus.PREPARING)


async def _session_on(
    client: PlugchoiceClient, uuid: str, connector: int, *, attempts: int, pause: float
) -> Transaction | None:
    """The session running on the connector, read a few times (a charger reports a start a moment late)."""
    for attempt in range(attempts):
        session = await client.chargers.active_transaction(uuid, connector=connector)
        if session is not None:
            return session
        if attempt + 1 < attempts:
            await asyncio.sleep(pause)
    return None


async def start_session(
    client: PlugchoiceClient, uuid: str, connector: int, id_token: str, *, attempts: int = 5, pause: float = 2.0
) -> Transaction | None:
    """Check the connector, start once, and confirm from the charger's state; the running session or None."""
    charger = await client.chargers.get(uuid)
    found = next((c for c in charger.connectors if c.connector_id == connector), None)
    print(
        f"Charger {charger.identity}: {charger.connection_status}, connector {connector}: "
        f"{found.status if found else 'missing'}"
    )
    if charger.connection_status != ConnectionStatus.ONLINE or found is None or found.status not in _STARTABLE:
        print("Not starting: the charger is not online or the connector is not free.")
        return None
    if await client.chargers.active_transaction(uuid, connector=connector) is not None:
        print("Not starting: a session already runs on this connector.")
        return None

    print(f"Sending start (id token {id_token}) ...")
    try:
        result = await client.chargers.actions.start(uuid, id_token=id_token, connector_id=connector)
    except ChargerTimeoutError:
        print("The charger did not confirm in time. Re-reading its state instead of sending the start again.")
    except APIConnectionError as exc:
        print(f"The connection broke after sending ({exc}). Re-reading the state instead of sending again.")
    else:
        print(f"The charger answered {result.status}.")
        if result.status not in (ActionStatus.ACCEPTED, None):
            return None
    session = await _session_on(client, uuid, connector, attempts=attempts, pause=pause)
    if session is None:
        print("No session appeared: the start did not take effect. Check the charger before trying again.")
    else:
        since = "at an unknown time" if session.started_at is None else f"{session.started_at:%H:%M:%S} UTC"
        print(f"Session {session.id} is running (started {since}, meter {session.meter_start} Wh).")
    return session


def _kwh(total: float | None) -> str:
    """Energy charged, or "energy unknown" when the answer left ``total_kwh`` out."""
    return "energy unknown" if total is None else f"{total:.2f} kWh"


def _minutes(elapsed: timedelta) -> str:
    return f"{elapsed.total_seconds() / 60:.0f} min"


async def stop_session(client: PlugchoiceClient, uuid: str, session: Transaction) -> Transaction | None:
    """Stop the session once and read back how it ended; the finished session or None."""
    print(f"Sending stop for session {session.id} ...")
    try:
        result = await client.chargers.actions.stop(uuid, transaction_id=session.id)
        print(f"The charger answered {result.status}.")
    except (ChargerTimeoutError, APIConnectionError):
        print("No confirmation from the charger. Re-reading the state instead of sending the stop again.")
    # Without its start time the session is looked for among every finished one.
    async for tx in client.chargers.transactions(uuid, status="finished", started_from=session.started_at):
        if tx.id == session.id:
            started = tx.started_at or session.started_at
            took = "" if started is None or tx.stopped_at is None else f" in {_minutes(tx.stopped_at - started)}"
            print(f"Session {tx.id} finished ({tx.stop_reason}): {_kwh(tx.total_kwh)}{took}.")
            return tx
    print(f"Session {session.id} is still running: check the charger.")
    return None


async def run(
    client: PlugchoiceClient,
    uuid: str,
    connector: int,
    id_token: str,
    *,
    charge: Callable[[], Awaitable[None]],
    pause: float = 2.0,
) -> bool:
    """Start, let it ``charge``, stop. True when both took effect."""
    session = await start_session(client, uuid, connector, id_token, pause=pause)
    if session is None:
        return False
    await charge()
    return await stop_session(client, uuid, session) is not None


class _Clock:
    """The emulator's clock, so the demo can let 45 minutes of charging pass at once."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset


async def _find_ready_charger(client: PlugchoiceClient) -> tuple[str, int] | None:
    """An online charger with a free connector, found through the API."""
    async for page in client.chargers.list().iter_pages():
        for listed in page:
            if listed.connection_status != ConnectionStatus.ONLINE:
                continue
            charger = await client.chargers.get(listed.uuid)
            free = next((c.connector_id for c in charger.connectors if c.status == ChargePointStatus.AVAILABLE), None)
            if free is not None and await client.chargers.active_transaction(charger.uuid) is None:
                return charger.uuid, free
    return None


async def demo() -> int:
    """Against the embedded emulator: a charger that applies the start but confirms it too late."""
    clock = _Clock()
    async with PlugchoiceEmulator(chargers=20, rate_limit=None, seed=5, clock=clock) as emulator:
        print(f"No PLUGCHOICE_TOKEN: using the embedded emulator at {emulator.base_url}")
        async with PlugchoiceClient(emulator.token, base_url=emulator.base_url) as client:
            found = await _find_ready_charger(client)
            if found is None:
                print("No free charger in the emulated fleet.")
                return 1
            uuid, connector = found
            emulator.set_action_behaviour(uuid, "slow")  # the start will run, and its answer will be a 504
            print("(emulator: this charger will confirm the start too late)")

            async def charge() -> None:
                emulator.set_action_behaviour(uuid, None)  # answers in time from now on
                clock.offset += 45 * 60
                print("(emulator: 45 minutes of charging pass)")

            ok = await run(client, uuid, connector, "04A1B2C3", charge=charge, pause=0.05)
        sent = ", ".join(
            f"{a.action} ({a.outcome}, {'applied' if a.applied else 'not applied'})" for a in emulator.actions
        )
        print(f"Commands that reached the charger: {sent}")
    return 0 if ok else 1


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--charger", help="charger UUID (real API)")
    parser.add_argument("--connector", type=int, default=1, help="connector number (default 1)")
    parser.add_argument("--id-token", help="card or token to start the session with (real API)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to charge before stopping (default 60)")
    args = parser.parse_args(argv)

    if not os.environ.get("PLUGCHOICE_TOKEN"):
        return await demo()
    if not args.charger or not args.id_token:
        parser.error("against the real API, --charger and --id-token are required (this starts a real session)")
    async with PlugchoiceClient() as client:

        async def charge() -> None:
            print(f"Charging for {args.seconds:g} s ...")
            await asyncio.sleep(args.seconds)

        ok = await run(client, args.charger, args.connector, args.id_token, charge=charge)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
