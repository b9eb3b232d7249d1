"""Transactions report: the charging sessions of a few chargers, their energy, and what is running now.

    python examples/transactions_report.py                    # embedded emulator, no token needed
    python examples/transactions_report.py --chargers 8 --since 2025-12-01
    PLUGCHOICE_TOKEN=... python examples/transactions_report.py   # the real API (read-only)

For each charger every page of ``GET /chargers/{uuid}/transactions`` is walked with ``async for``
(the chargers concurrently, within the client's limits); running sessions come from the same list
(``stopped_at`` is None) so nothing is fetched twice.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import UTC, date, datetime

import attrs

from plugchoice_async import ConnectionStatus, PlugchoiceClient, PlugchoiceError
from plugchoice_async.models import Transaction
from plugchoice_async.testing import PlugchoiceEmulator


@attrs.frozen
class ChargerSessions:
    """One charger's sessions."""

    uuid: str
    identity: str
    sessions: tuple[Transaction, ...]

    @property
    def finished(self) -> tuple[Transaction, ...]:
        return tuple(tx for tx in self.sessions if tx.stopped_at is not None)

    @property
    def active(self) -> tuple[Transaction, ...]:
        return tuple(tx for tx in self.sessions if tx.stopped_at is None)

    @property
    def kwh(self) -> float:
        """Energy of the finished sessions; a session sent without ``total_kwh`` adds nothing (see ``unmetered``)."""
        return sum(tx.total_kwh for tx in self.finished if tx.total_kwh is not None)

    @property
    def unmetered(self) -> int:
        """Finished sessions whose answer left ``total_kwh`` out: not in ``kwh``."""
        return sum(1 for tx in self.finished if tx.total_kwh is None)


async def pick_chargers(client: PlugchoiceClient, count: int) -> list[tuple[str, str]]:
    """The first ``count`` chargers that have ever connected: (uuid, identity)."""
    picked: list[tuple[str, str]] = []
    async for page in client.chargers.list().iter_pages():  # one page at a time: stop when there are enough
        picked += [(c.uuid, c.identity) for c in page if c.connection_status != ConnectionStatus.NEVER_SEEN]
        if len(picked) >= count:
            break
    return picked[:count]


async def sessions_of(client: PlugchoiceClient, uuid: str, identity: str, since: date | None) -> ChargerSessions:
    """Every session of one charger (all pages), newest first (a session without ``started_at`` last)."""
    sessions = [tx async for tx in client.chargers.transactions(uuid, started_from=since, limit=100)]
    sessions.sort(key=lambda tx: tx.started_at is None)  # stable: keeps the API's order otherwise
    return ChargerSessions(uuid, identity, tuple(sessions))


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def render(rows: list[ChargerSessions | PlugchoiceError], chargers: list[tuple[str, str]]) -> str:
    """The printed report."""
    done = [row for row in rows if isinstance(row, ChargerSessions)]
    total_sessions = sum(len(row.sessions) for row in done)
    total_kwh = sum(row.kwh for row in done)
    lines = [
        f"Transactions report: {len(done)} chargers, {total_sessions} sessions, {total_kwh:.1f} kWh charged",
        "",
        f"{'charger':<16} {'sessions':>8} {'finished':>8} {'active':>6} {'kWh':>9}  last session started",
    ]
    for row in done:
        last = row.sessions[0].started_at if row.sessions else None
        lines.append(
            f"{row.identity:<16} {len(row.sessions):>8} {len(row.finished):>8} {len(row.active):>6} "
            f"{row.kwh:>9.2f}  {_when(last)}"
        )
    unmetered = sum(row.unmetered for row in done)
    if unmetered:
        lines.append(f"({unmetered} finished sessions came without total_kwh: not in the kWh figures)")
    active = [(row, tx) for row in done for tx in row.active]
    lines += ["", f"Active sessions: {len(active)}"]
    for row, tx in active:
        connector = tx.connector.connector_id if tx.connector is not None else "?"
        lines.append(
            f"  {row.identity:<16} connector {connector}  id tag {tx.id_tag or '-':<16} "
            f"since {_when(tx.started_at)} UTC  (transaction {tx.id})"
        )
    for (uuid, identity), result in zip(chargers, rows, strict=True):
        if not isinstance(result, ChargerSessions):
            lines.append(f"  could not read {identity} ({uuid}): {result}")
    return "\n".join(lines)


async def report(client: PlugchoiceClient, count: int, since: date | None) -> str:
    """Pick ``count`` chargers, read all their sessions concurrently, and render the report."""
    chargers = await pick_chargers(client, count)
    results = await asyncio.gather(
        *(sessions_of(client, uuid, identity, since) for uuid, identity in chargers), return_exceptions=True
    )
    rows: list[ChargerSessions | PlugchoiceError] = []
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, PlugchoiceError):
            raise result
        rows.append(result)
    return render(rows, chargers)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chargers", type=int, default=5, help="how many chargers to report on (default 5)")
    parser.add_argument("--since", type=date.fromisoformat, help="only sessions started on or after this date")
    args = parser.parse_args(argv)

    if os.environ.get("PLUGCHOICE_TOKEN"):
        async with PlugchoiceClient() as client:
            print(f"Against {client.base_url}")
            print(await report(client, args.chargers, args.since))
        return 0

    async with PlugchoiceEmulator(chargers=40, rate_limit=None, seed=3) as emulator:
        print(f"No PLUGCHOICE_TOKEN: using the embedded emulator at {emulator.base_url}")
        async with PlugchoiceClient(emulator.token, base_url=emulator.base_url) as client:
            print(await report(client, args.chargers, args.since))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
