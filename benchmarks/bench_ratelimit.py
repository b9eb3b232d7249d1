"""Throughput under the server's rate limit: the SDK's limiter vs a naive gather with tenacity.

    python benchmarks/bench_ratelimit.py [--chargers 600] [--limit 100] [--period 2]

The emulator (in its own process) applies Laravel's fixed window: ``--limit`` requests per
``--period`` seconds. The SDK runs with default settings and must learn the limit from the
headers. Ideal time = windows needed x window length; target: every charger fetched, at most
1% of requests answered 429, in at most 1.05 x ideal.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from typing import Any

import aiohttp
import tenacity

from plugchoice_async import Charger, PlugchoiceClient

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from _servers import emulator_process

TOKEN = "bench-token"


async def uuids_of(base_url: str) -> list[str]:
    # Listing pages would spend the same rate budget; read the fleet once before the window is used.
    async with PlugchoiceClient(TOKEN, base_url=base_url, rate_limit=None) as client:
        return [c.uuid async for c in client.chargers.list(per_page=100)]


async def sdk(base_url: str, uuids: list[str]) -> dict[str, Any]:
    async with PlugchoiceClient(TOKEN, base_url=base_url) as client:
        started = time.perf_counter()
        results = await client.chargers.get_many(uuids)
        elapsed = time.perf_counter() - started
        stats = client.stats
        return {
            "elapsed": elapsed,
            "ok": sum(isinstance(r, Charger) for r in results),
            "requests": stats.requests,
            "429": stats.rate_limited,
        }


async def naive(base_url: str, uuids: list[str]) -> dict[str, Any]:
    """What people write today: gather everything, tenacity retries 429 after Retry-After."""
    counts = {"requests": 0, "429": 0}

    class TooMany(Exception):
        def __init__(self, delay: float) -> None:
            self.delay = delay

    def wait_retry_after(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        return exc.delay if isinstance(exc, TooMany) else 1.0

    retrying = tenacity.AsyncRetrying(
        retry=tenacity.retry_if_exception_type(TooMany),
        wait=wait_retry_after,
        stop=tenacity.stop_after_attempt(50),
        reraise=True,
    )
    semaphore = asyncio.Semaphore(64)
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
    async with aiohttp.ClientSession(headers=headers, connector=aiohttp.TCPConnector(limit=64)) as session:

        async def once(uuid: str) -> dict[str, Any]:
            async with semaphore, session.get(f"{base_url}/chargers/{uuid}") as resp:
                counts["requests"] += 1
                if resp.status == 429:
                    counts["429"] += 1
                    raise TooMany(float(resp.headers.get("Retry-After", "1")))
                resp.raise_for_status()
                data: dict[str, Any] = json.loads(await resp.read())["data"]
                return data

        async def one(uuid: str) -> dict[str, Any]:
            return await retrying.copy()(once, uuid)

        started = time.perf_counter()
        results = await asyncio.gather(*(one(u) for u in uuids), return_exceptions=True)
        elapsed = time.perf_counter() - started
    return {"elapsed": elapsed, "ok": sum(isinstance(r, dict) for r in results), **counts}


def report(name: str, result: dict[str, Any], n: int, ideal: float) -> bool:
    share = result["429"] / max(1, result["requests"])
    ratio = result["elapsed"] / ideal
    print(
        f"{name:<36} {result['ok']:>5}/{n} {result['elapsed']:>8.2f} s {ratio:>7.2f}x "
        f"{result['requests']:>9} {result['429']:>6} {share:>7.1%}"
    )
    return result["ok"] == n and share <= 0.01 and ratio <= 1.05


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chargers", type=int, default=600)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--period", type=float, default=2.0)
    args = parser.parse_args()
    ideal = math.ceil(args.chargers / args.limit) * args.period
    print(
        f"Throughput under a fixed window of {args.limit} requests per {args.period:g} s, "
        f"{args.chargers} chargers; ideal {ideal:g} s"
    )
    print(f"{'client':<36} {'fetched':>11} {'time':>10} {'/ideal':>8} {'requests':>9} {'429s':>6} {'429 %':>7}")
    ok = True
    for name, fn in (("plugchoice_async (default settings)", sdk), ("naive gather + tenacity on 429", naive)):
        # A fresh server per client, so that neither inherits the other's spent window.
        with emulator_process(args.chargers, token=TOKEN, rate_limit=args.limit, rate_period=args.period) as base_url:
            uuids = asyncio.run(uuids_of(base_url))
            time.sleep(args.period + 0.1)  # let the window the listing used expire
            passed = report(name, asyncio.run(fn(base_url, uuids)), len(uuids), ideal)
            if fn is sdk:
                ok = passed
    print("SDK target (all fetched, <= 1% 429s, <= 1.05x ideal):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
