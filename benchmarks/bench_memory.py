"""Memory: peak RSS fetching 10,000 chargers, and RSS after 1 vs 5 rounds of chargers.watch and fleet.watch.

    python benchmarks/bench_memory.py [--chargers 10000] [--watch-chargers 2000]

The emulator runs in its own process, so only the client's memory is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import subprocess
import sys

from plugchoice_async import Charger, PlugchoiceClient

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from _servers import emulator_process

TOKEN = "bench-token"


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def uuids_of(client: PlugchoiceClient) -> list[str]:
    return [c.uuid async for c in client.chargers.list(per_page=100)]


async def fetch_all(base_url: str) -> tuple[int, float, float]:
    async with PlugchoiceClient(TOKEN, base_url=base_url, rate_limit=None) as client:
        uuids = await uuids_of(client)
        before = rss_mib()
        results = await client.chargers.get_many(uuids)
        assert all(isinstance(r, Charger) for r in results)
        return len(results), before, peak_mib()


async def watch_rounds(base_url: str, rounds: int) -> list[float]:
    samples: list[float] = []
    async with PlugchoiceClient(TOKEN, base_url=base_url, rate_limit=None) as client:
        uuids = await uuids_of(client)
        async for update in client.chargers.watch(uuids, interval=0):
            assert not update.failures
            del update
            gc.collect()
            samples.append(rss_mib())
            if len(samples) == rounds:
                break
    return samples


async def fleet_watch_rounds(base_url: str, rounds: int) -> list[float]:
    samples: list[float] = []
    async with PlugchoiceClient(TOKEN, base_url=base_url, rate_limit=None) as client:
        async for update in client.fleet.watch(interval=0):
            assert update.error is None and not update.failures
            del update
            gc.collect()
            samples.append(rss_mib())
            if len(samples) == rounds:
                break
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chargers", type=int, default=10_000)
    parser.add_argument("--watch-chargers", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5, help="at least 2")
    parser.add_argument("--fleet-chargers", type=int, default=5000)
    parser.add_argument("--part", choices=("fetch", "watch", "fleet-watch"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part is None:  # each part in a fresh process, so neither sees the other's peak
        print("Memory (client process only)")
        status = 0
        for part in ("fetch", "watch", "fleet-watch"):
            done = subprocess.run([sys.executable, __file__, "--part", part, *sys.argv[1:]], check=False)
            status = status or done.returncode
        return status
    start = rss_mib()
    if args.part == "fetch":
        with emulator_process(args.chargers, token=TOKEN) as base_url:
            n, before, peak = asyncio.run(fetch_all(base_url))
        print(
            f"peak RSS fetching {n} chargers with get_many: {peak:.1f} MiB "
            f"(interpreter + SDK at start {start:.1f} MiB, before the fetch {before:.1f} MiB)"
        )
        return 0
    if args.part == "watch":
        name, size, rounds_of = "chargers.watch", args.watch_chargers, watch_rounds
    else:
        name, size, rounds_of = "fleet.watch", args.fleet_chargers, fleet_watch_rounds
    with emulator_process(size, token=TOKEN) as base_url:
        samples = asyncio.run(rounds_of(base_url, args.rounds))
    # Round 1 is a warm-up (fleet.watch walks its listings page by page then; from round 2 on it fetches
    # the pages it knows concurrently): growth counts from round 2.
    growth = samples[-1] - samples[1]
    print(
        f"{name} over {size} chargers, RSS after each round: "
        + ", ".join(f"{s:.1f}" for s in samples)
        + f" MiB; round {args.rounds} - round 2 = {growth:+.1f} MiB"
    )
    flat = growth <= max(2.0, 0.05 * samples[1])
    print(f"{name} memory:", "flat" if flat else "GROWING")
    return 0 if flat else 1


if __name__ == "__main__":
    sys.exit(main())
