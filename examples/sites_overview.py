"""Sites overview: every site with its chargers, and each team's latest charging sessions.

    python examples/sites_overview.py                  # embedded emulator, no token needed
    python examples/sites_overview.py --chargers 500 --sessions 10
    PLUGCHOICE_TOKEN=... python examples/sites_overview.py   # the real API (read-only)

Sites come from ``GET /sites`` (every page); each site's chargers are walked at once with
one ``asyncio.gather`` to count how many are online; each team's newest sessions are the
first page of ``GET /teams/{uuid}/transactions?sort=-started_at``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from plugchoice_async import ConnectionStatus, PlugchoiceClient
from plugchoice_async.models import Site, TeamTransaction
from plugchoice_async.testing import PlugchoiceEmulator


async def _online(client: PlugchoiceClient, site: Site) -> tuple[int, int]:
    """(chargers on the site, of which online), counted over every page of its charger list."""
    total = online = 0
    async for charger in client.sites.chargers(site.uuid):
        total += 1
        online += charger.connection_status == ConnectionStatus.ONLINE
    return total, online


def _session_line(tx: TeamTransaction) -> str:
    """One session; what the answer left out (start, energy, charger, site) shows as "?" or "(no site)"."""
    started = "?" if tx.started_at is None else f"{tx.started_at:%Y-%m-%d %H:%M}"
    stopped = "charging" if tx.stopped_at is None else f"{tx.stopped_at:%Y-%m-%d %H:%M}"
    kwh = "?" if tx.total_kwh is None else f"{tx.total_kwh:.2f}"
    charger = tx.charger
    identity = "?" if charger is None else charger.identity
    site = charger.site.name if charger is not None and charger.site is not None else None
    return f"  {started:<16} -> {stopped:<16} {kwh:>8} kWh  {identity:<16} {site or '(no site)'}"


async def sites_overview(client: PlugchoiceClient, *, sessions: int = 5) -> str:
    """Build the printed report: sites with charger counts, then each team's newest sessions."""
    sites = [site async for site in client.sites.list()]
    counts = await asyncio.gather(*(_online(client, site) for site in sites))
    lines = [f"Sites: {len(sites)}"]
    for site, (total, online) in zip(sites, counts, strict=True):
        name, city, country = site.name or "(unnamed)", site.city or "-", site.country or "-"
        lines.append(f"  {name:<28} {city:<14} {country}  {total:>4} chargers, {online:>4} online")
    lines.append(f"  {'total':<28} {'':<14}     {sum(t for t, _ in counts):>4} chargers")
    async for team in client.teams.list():
        page = await client.teams.transactions(team.uuid, sort="-started_at", per_page=sessions)
        lines += ["", f"Latest sessions of {team.name or team.uuid}:"]
        lines += [_session_line(tx) for tx in page.items] or ["  (none)"]
    return "\n".join(lines)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chargers", type=int, default=200, help="emulated fleet size (default 200)")
    parser.add_argument("--sessions", type=int, default=5, help="sessions shown per team (default 5)")
    args = parser.parse_args(argv)

    if os.environ.get("PLUGCHOICE_TOKEN"):
        async with PlugchoiceClient() as client:
            print(f"Sites overview against {client.base_url}")
            print(await sites_overview(client, sessions=args.sessions))
        return 0

    async with PlugchoiceEmulator(chargers=args.chargers, rate_limit=None, seed=7) as emulator:
        print(f"No PLUGCHOICE_TOKEN: using the embedded emulator at {emulator.base_url} ({args.chargers} chargers)")
        async with PlugchoiceClient(emulator.token, base_url=emulator.base_url) as client:
            print(await sites_overview(client, sessions=args.sessions))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
