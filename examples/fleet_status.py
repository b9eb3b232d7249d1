"""Fleet status: one snapshot of the whole fleet from the listings, and a summary.

    python examples/fleet_status.py                 # embedded emulator, 2,000 chargers, no token
    python examples/fleet_status.py --chargers 5000 --error-rate 0.05
    PLUGCHOICE_TOKEN=... python examples/fleet_status.py   # the real API (read-only)

``client.fleet.snapshot()`` reads ``GET /chargers`` and every team's charger listing (their pages
concurrently, within the rate limit) instead of one ``GET /chargers/{c}`` per charger: a 2,000-charger
fleet costs about 45 requests of the 500 a minute Plugchoice allows, not 2,000. The report says what
the round cost and what the server says is left of the budget.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Mapping

from plugchoice_async import ChargePointStatus, FleetCharger, FleetSnapshot, PlugchoiceClient, RequestEvent
from plugchoice_async.testing import PlugchoiceEmulator


class BudgetSeen:
    """A request hook keeping the lowest ``X-RateLimit-Remaining`` the server reported."""

    def __init__(self) -> None:
        self.limit: int | None = None
        self.remaining: int | None = None

    def __call__(self, event: RequestEvent) -> None:
        if event.rate_limit_remaining is not None:
            self.limit = event.rate_limit
            if self.remaining is None or event.rate_limit_remaining < self.remaining:
                self.remaining = event.rate_limit_remaining


def _faulted(charger: FleetCharger) -> bool:
    return charger.status == ChargePointStatus.FAULTED or any(
        c.status == ChargePointStatus.FAULTED for c in charger.connectors
    )


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name} {n}" for name, n in counts.items()) or "-"


def summarise(snap: FleetSnapshot, elapsed: float, client: PlugchoiceClient, budget: BudgetSeen) -> str:
    """The printed report for one snapshot."""
    faulted = [c for c in snap.chargers.values() if _faulted(c)]
    stats = client.stats
    lines = [
        f"Fleet status: {len(snap.chargers)} chargers in {elapsed:.2f} s, {snap.requests} requests",
        "",
        "Connection status: " + _counts(snap.by_connection_status),
        "Charger status:    " + _counts(snap.by_status),
        "Connector status:  " + _counts(snap.by_connector_status),
        "",
        f"Faulted chargers: {len(faulted)}",
    ]
    for charger in faulted[:10]:
        error = "" if charger.error in (None, "NoError") else str(charger.error)
        lines.append(f"  {charger.identity:<16} {charger.uuid}  {error}")
    if len(faulted) > 10:
        lines.append(f"  ... and {len(faulted) - 10} more")
    if snap.failures:
        lines.append(f"Fetched without connectors (their fetch failed): {len(snap.failures)}")
    retries = ", ".join(f"{cause} x{n}" for cause, n in sorted(stats.retries.items())) or "none"
    left = (
        f"{budget.remaining} of {budget.limit} left in the server's window"
        if budget.remaining is not None
        else "the server sent no rate-limit headers"
    )
    lines += [
        "",
        f"Requests: {stats.requests} sent (retries: {stats.total_retries}, {retries}; 429s: {stats.rate_limited}); "
        f"rate budget: {left}",
    ]
    return "\n".join(lines)


async def fleet_status(client: PlugchoiceClient, budget: BudgetSeen) -> str:
    """Take one snapshot and return the report."""
    started = time.perf_counter()
    snap = await client.fleet.snapshot()
    return summarise(snap, time.perf_counter() - started, client, budget)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chargers", type=int, default=2000, help="emulated fleet size (default 2000)")
    parser.add_argument("--error-rate", type=float, default=0.02, help="emulated share of 500 answers (default 0.02)")
    args = parser.parse_args(argv)
    budget = BudgetSeen()

    if os.environ.get("PLUGCHOICE_TOKEN"):
        async with PlugchoiceClient(hooks=[budget]) as client:
            print(f"Fleet status against {client.base_url}")
            print(await fleet_status(client, budget))
        return 0

    # The emulator applies the real API's limit: 500 requests a minute.
    async with PlugchoiceEmulator(chargers=args.chargers, rate_limit=500, rate_period=60.0, seed=7) as emulator:
        emulator.error_rate = args.error_rate
        print(f"No PLUGCHOICE_TOKEN: using the embedded emulator at {emulator.base_url} ({args.chargers} chargers)")
        async with PlugchoiceClient(emulator.token, base_url=emulator.base_url, hooks=[budget]) as client:
            print(await fleet_status(client, budget))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
