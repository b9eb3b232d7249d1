"""Fleet status rounds: a GET per charger vs snapshots from the listings, in requests and in time.

    python benchmarks/bench_fleet.py [--chargers 5000] [--rounds 3]

The emulator (its own process) holds ``--chargers`` chargers in its teams and applies the real API's
limit, 500 requests per 60 s, with the SDK's default client. For each approach the benchmark reports
requests per round, wall time per round (median of ``--rounds``) and how many rounds an hour the budget
of 500 requests a minute allows (``30,000 / requests``, or fewer when a round takes longer than that):

(a) a ``chargers.get`` per charger after listing the fleet (today's way): at the real limit a 5,000-charger
    round takes ten minutes, so its requests are counted and its time measured against an emulator with
    no limit; (b) ``client.fleet.snapshot()`` where the API ignores ``per_page`` (25 a page); (c) snapshots
    at 100 a page. Targets: a 5,000-charger round costs at most 500 requests at 25 a page, and takes at
    most 5 s of wall time. The first snapshot of a client walks the listings page after page; later ones
    fetch the pages they know concurrently, so the rounds after the first are what a poller sees (a round
that would not fit the window's budget waits for the next window first; that wait is not its time).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from typing import Any

from plugchoice_async import Charger, PlugchoiceClient

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from _servers import emulator_process

TOKEN = "bench-token"
BUDGET_PER_HOUR = 500 * 60


async def per_charger(base_url: str, rounds: int) -> dict[str, Any]:
    """(a): list the fleet, then one GET per charger, each round."""
    times: list[float] = []
    costs: list[int] = []
    async with PlugchoiceClient(TOKEN, base_url=base_url, rate_limit=None) as client:
        for _ in range(rounds):
            sent = client.stats.requests
            started = time.perf_counter()
            uuids = [c.uuid async for c in client.chargers.list(per_page=100)]
            results = await client.chargers.get_many(uuids)
            times.append(time.perf_counter() - started)
            costs.append(client.stats.requests - sent)
            assert all(isinstance(r, Charger) for r in results)
    return {"requests": costs[-1], "wall": statistics.median(times), "chargers": len(uuids)}


async def snapshots(base_url: str, rounds: int) -> dict[str, Any]:
    """(b)/(c): one snapshot a round with the default client (limiter on), the first round walked."""
    times: list[float] = []
    costs: list[int] = []
    async with PlugchoiceClient(TOKEN, base_url=base_url) as client:
        window_start = time.perf_counter()
        first = await client.fleet.snapshot()
        first_wall = time.perf_counter() - window_start
        spent = first.requests
        for _ in range(rounds):
            if spent + first.requests > 500:  # the next round would not fit the window: let it pass first
                await asyncio.sleep(max(0.0, 61.0 - (time.perf_counter() - window_start)))
                window_start, spent = time.perf_counter(), 0
            started = time.perf_counter()
            snap = await client.fleet.snapshot()
            times.append(time.perf_counter() - started)
            costs.append(snap.requests)
            spent += snap.requests
        rate_limited = client.stats.rate_limited
    return {
        "requests": costs[-1],
        "first": first.requests,
        "first_wall": first_wall,
        "wall": statistics.median(times),
        "chargers": len(snap.chargers),
        "429": rate_limited,
    }


def per_hour(requests: int, wall: float) -> float:
    by_budget = BUDGET_PER_HOUR / requests
    return min(by_budget, 3600 / wall)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chargers", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    n = args.chargers
    print(f"Fleet status rounds over {n} chargers (emulator in its own process, 500 requests per 60 s)")
    print(f"{'approach':<44} {'requests':>9} {'wall s':>7} {'rounds/h':>9}  notes")
    with emulator_process(n, token=TOKEN, rate_limit=0) as base_url:
        a = asyncio.run(per_charger(base_url, 1))
    # At the real budget a round of (a) cannot be faster than its requests allow.
    a_wall = max(a["wall"], a["requests"] / 500 * 60)
    print(
        f"{'(a) GET per charger (listing + N gets)':<44} {a['requests']:>9} {a_wall:>7.1f} "
        f"{per_hour(a['requests'], a_wall):>9.1f}  measured {a['wall']:.2f} s without a limit"
    )
    ok = True
    for label, ignore, page in (("(b) snapshot, 25 a page", True, 25), ("(c) snapshot, 100 a page", False, 100)):
        with emulator_process(n, token=TOKEN, rate_limit=500, rate_period=60.0, ignore_per_page=ignore) as base_url:
            r = asyncio.run(snapshots(base_url, args.rounds))
        assert r["chargers"] == n, r
        print(
            f"{label:<44} {r['requests']:>9} {r['wall']:>7.2f} {per_hour(r['requests'], r['wall']):>9.1f}  "
            f"first round (pages walked one by one) {r['first']} requests in {r['first_wall']:.2f} s; 429s {r['429']}"
        )
        if page == 25:
            ok = r["requests"] <= 500 and r["wall"] <= 5.0
            target = "met" if ok else "NOT met"
            print(f"    target at 25 a page (<= 500 requests, <= 5 s): {target}")
        else:
            ok = ok and r["wall"] <= 5.0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
