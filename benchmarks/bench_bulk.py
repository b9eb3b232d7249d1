"""Bulk overhead: 5,000 chargers.get via gather vs raw aiohttp + json.loads, same server, same concurrency.

    python benchmarks/bench_bulk.py [--chargers 5000] [--concurrency 64] [--rounds 5]

The server is nginx serving the charger documents as static files (the emulator in
its own process when nginx is missing). The SDK runs with typed models, retries and
the rate limiter armed but not binding. Rounds alternate raw/SDK; medians are compared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import orjson

from plugchoice_async import PlugchoiceClient, RateLimit
from plugchoice_async.testing import PlugchoiceEmulator

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from _servers import emulator_process, nginx_path, nginx_serving

TOKEN = "bench-token"


async def raw_run(base_url: str, uuids: list[str], concurrency: int) -> list[dict[str, Any]]:
    """The floor: aiohttp, a semaphore, json.loads, plain dicts."""
    semaphore = asyncio.Semaphore(concurrency)
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def one(uuid: str) -> dict[str, Any]:
            async with semaphore, session.get(f"{base_url}/chargers/{uuid}") as resp:
                resp.raise_for_status()
                data: dict[str, Any] = json.loads(await resp.read())["data"]
                return data

        return list(await asyncio.gather(*(one(u) for u in uuids)))


async def sdk_run(base_url: str, uuids: list[str], concurrency: int) -> list[Any]:
    """The SDK: typed Charger models, retries armed, rate limiter armed but not binding."""
    async with PlugchoiceClient(
        TOKEN, base_url=base_url, max_concurrency=concurrency, rate_limit=RateLimit(max_requests=10**7, period=60)
    ) as client:
        return await asyncio.gather(*(client.chargers.get(u) for u in uuids))


async def timed(fn: Callable[[], Awaitable[list[Any]]], n: int) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    results = await fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert len(results) == n
    return wall, cpu


async def fleet_documents(n: int) -> tuple[list[str], dict[str, bytes]]:
    async with PlugchoiceEmulator(chargers=n, seed=11, rate_limit=None) as emu:
        docs = {f"/chargers/{u}": orjson.dumps({"data": emu.chargers[u]}) for u in emu.uuids}
        return list(emu.uuids), docs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chargers", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    uuids, docs = asyncio.run(fleet_documents(args.chargers))
    if nginx_path():
        server, name = nginx_serving(docs), "nginx (static files)"
    else:
        server, name = emulator_process(args.chargers, token=TOKEN), "the emulator (nginx not installed)"
        uuids = None  # type: ignore[assignment]
    with server as base_url:
        if uuids is None:
            uuids = asyncio.run(_emulator_uuids(base_url))
        n = len(uuids)
        print(f"Bulk overhead: {n} x GET /chargers/{{uuid}} at concurrency {args.concurrency} against {name}")
        loop_runs: dict[str, list[tuple[float, float]]] = {"raw": [], "sdk": []}
        asyncio.run(raw_run(base_url, uuids[:200], args.concurrency))  # warm-up (imports, page cache)
        asyncio.run(sdk_run(base_url, uuids[:200], args.concurrency))
        for _ in range(args.rounds):
            loop_runs["raw"].append(asyncio.run(timed(lambda: raw_run(base_url, uuids, args.concurrency), n)))
            loop_runs["sdk"].append(asyncio.run(timed(lambda: sdk_run(base_url, uuids, args.concurrency), n)))
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in loop_runs.items()}
    print(f"{'path':<48} {'wall s':>8} {'CPU us/req':>11}")
    print(f"{'raw aiohttp + json.loads -> dicts':<48} {med['raw'][0]:>8.3f} {med['raw'][1] / n * 1e6:>11.0f}")
    print(f"{'plugchoice_async chargers.get -> Charger':<48} {med['sdk'][0]:>8.3f} {med['sdk'][1] / n * 1e6:>11.0f}")
    ratio = med["sdk"][0] / med["raw"][0]
    print(f"SDK wall / raw wall = {ratio:.2f} (target <= 1.00); CPU ratio = {med['sdk'][1] / med['raw'][1]:.2f}")
    print(f"rounds: raw {[round(w, 3) for w, _ in loop_runs['raw']]}, sdk {[round(w, 3) for w, _ in loop_runs['sdk']]}")
    return 0 if ratio <= 1.0 else 1


async def _emulator_uuids(base_url: str) -> list[str]:
    async with PlugchoiceClient(TOKEN, base_url=base_url, rate_limit=None) as client:
        return [c.uuid async for c in client.chargers.list(per_page=100)]


if __name__ == "__main__":
    sys.exit(main())
