"""Fleet status: fetch every charger at once and print a summary.

    python examples/fleet_status.py                 # embedded emulator, 2,000 chargers, no token
    python examples/fleet_status.py --chargers 5000 --error-rate 0.05
    PLUGCHOICE_TOKEN=... python examples/fleet_status.py   # the real API (read-only)

The fleet is discovered from ``GET /chargers`` (every page), then every charger is
fetched with one ``asyncio.gather``; the client bounds concurrency, paces to the
rate limit and retries what is safe to retry.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import sys
import time
from collections.abc import Sequence

from plugchoice_async import ChargePointStatus, Charger, PlugchoiceClient, PlugchoiceError
from plugchoice_async.testing import PlugchoiceEmulator


def _faulted(charger: Charger) -> bool:
    return charger.status == ChargePointStatus.FAULTED or any(
        c.status == ChargePointStatus.FAULTED for c in charger.connectors
    )


def summarise(results: Sequence[Charger | BaseException], elapsed: float, client: PlugchoiceClient) -> str:
    """The printed report for one fleet run."""
    chargers = [r for r in results if isinstance(r, Charger)]
    failures = [r for r in results if not isinstance(r, Charger)]
    by_connection = collections.Counter(str(c.connection_status) for c in chargers)
    by_status = collections.Counter(str(c.status) if c.status is not None else "(none)" for c in chargers)
    by_connector = collections.Counter(str(conn.status) for c in chargers for conn in c.connectors)
    faulted = [c for c in chargers if _faulted(c)]
    stats = client.stats
    lines = [
        f"Fleet status: {len(chargers)} of {len(results)} chargers fetched in {elapsed:.2f} s",
        "",
        "Connection status: " + ", ".join(f"{k} {v}" for k, v in by_connection.most_common()),
        "Charger status:    " + ", ".join(f"{k} {v}" for k, v in by_status.most_common()),
        "Connector status:  " + ", ".join(f"{k} {v}" for k, v in by_connector.most_common()),
        "",
        f"Faulted chargers: {len(faulted)}",
    ]
    for charger in faulted[:10]:
        errors = sorted({str(conn.error) for conn in charger.connectors if conn.status == ChargePointStatus.FAULTED})
        lines.append(f"  {charger.identity:<16} {charger.uuid}  {', '.join(errors) or charger.error or ''}")
    if len(faulted) > 10:
        lines.append(f"  ... and {len(faulted) - 10} more")
    if failures:
        lines.append(f"Failed to fetch: {len(failures)}")
        for kind, count in collections.Counter(type(f).__name__ for f in failures).most_common():
            lines.append(f"  {kind}: {count}")
    retries = ", ".join(f"{cause} x{n}" for cause, n in sorted(stats.retries.items())) or "none"
    lines += [
        "",
        f"Requests: {stats.requests} (peak {stats.peak_in_flight} in flight), "
        f"retries: {stats.total_retries} ({retries}), 429s: {stats.rate_limited}, "
        f"waited for the rate limiter: {stats.limiter_wait:.2f} s",
    ]
    return "\n".join(lines)


async def fleet_status(client: PlugchoiceClient) -> str:
    """Discover the fleet, fetch every charger with one gather, return the report."""
    started = time.perf_counter()
    uuids = [charger.uuid async for charger in client.chargers.list()]
    results = await asyncio.gather(*(client.chargers.get(u) for u in uuids), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, PlugchoiceError):
            raise result
    return summarise(results, time.perf_counter() - started, client)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chargers", type=int, default=2000, help="emulated fleet size (default 2000)")
    parser.add_argument("--error-rate", type=float, default=0.02, help="emulated share of 500 answers (default 0.02)")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight (default 64)")
    args = parser.parse_args(argv)

    if os.environ.get("PLUGCHOICE_TOKEN"):
        async with PlugchoiceClient(max_concurrency=args.concurrency) as client:
            print(f"Fleet status against {client.base_url}")
            print(await fleet_status(client))
        return 0

    async with PlugchoiceEmulator(chargers=args.chargers, rate_limit=100_000, seed=7) as emulator:
        emulator.error_rate = args.error_rate
        print(f"No PLUGCHOICE_TOKEN: using the embedded emulator at {emulator.base_url} ({args.chargers} chargers)")
        async with PlugchoiceClient(
            emulator.token, base_url=emulator.base_url, max_concurrency=args.concurrency
        ) as client:
            print(await fleet_status(client))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
