"""Bulk overhead: 5,000 GET /chargers/{uuid} via gather, same server, same concurrency, four clients.

    python benchmarks/bench_bulk.py [--chargers 5000] [--concurrency 64] [--rounds 7]

* raw aiohttp + json.loads -> dicts: the floor (no checks, no types);
* plugchoice_async ``chargers.get`` -> ``Charger``: typed models, retries and the rate
  limiter armed (not binding);
* what users pick instead: a Home Assistant-style client (aiohttp, ``await resp.json()``,
  dicts), and aiohttp + orjson + stock cattrs (a default ``cattrs.Converter`` structuring
  attrs classes equivalent to ``Charger``).

The bar: the SDK's wall time and CPU per request at most 1.15x raw, and below the typed
alternative (cattrs). The dict client is shown for reference: it checks and types nothing,
so it costs about what raw costs, and no typed client can be below it. The server is nginx
serving the charger documents as static files (the emulator in its own process when nginx
is missing). Each round runs every client once, in a rotating order, so a busy machine
slows them alike; each ratio is the median over the rounds of that round's time over raw's.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Any

import aiohttp
import attrs
import cattrs
import orjson

from plugchoice_async import ChargePointErrorCode, ChargePointStatus, ConnectionStatus, PlugchoiceClient, RateLimit
from plugchoice_async.models import ConnectorFormat, PowerType
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


# -- what users pick instead ----------------------------------------------------------------------


async def ha_run(base_url: str, uuids: list[str], concurrency: int) -> list[dict[str, Any]]:
    """A Home Assistant-style client: aiohttp, ``await resp.json()`` (content-type check, json.loads), dicts."""
    semaphore = asyncio.Semaphore(concurrency)
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def one(uuid: str) -> dict[str, Any]:
            async with semaphore, session.get(f"{base_url}/chargers/{uuid}") as resp:
                resp.raise_for_status()
                body = await resp.json()
                data: dict[str, Any] = body["data"]
                return data

        return list(await asyncio.gather(*(one(u) for u in uuids)))


# attrs classes equivalent to the SDK's Charger (same fields and types; closed enums, as stock
# cattrs cannot structure ``Enum | str``), structured by a default cattrs.Converter that is only
# taught ISO 8601 timestamps.


@attrs.frozen(kw_only=True)
class _Licenses:
    smart: bool | None = None
    pro: bool | None = None


@attrs.frozen(kw_only=True)
class _Model:
    vendor: str | None = None
    name: str | None = None
    is_dc: bool | None = None


@attrs.frozen(kw_only=True)
class _Permissions:
    basic: bool | None = None
    sensitive: bool | None = None
    full: bool | None = None


@attrs.frozen(kw_only=True)
class _Connector:
    id: int
    charger_id: int | None = None
    connector_id: int
    status: ChargePointStatus | None = None
    max_amperage: int | None = None
    max_voltage: int | None = None
    standard: str | None = None
    format: ConnectorFormat | None = None
    power_type: PowerType | None = None
    phase_rotation: str | None = None
    error: ChargePointErrorCode | None = None
    error_info: str | None = None
    vendor_id: str | None = None
    vendor_error_code: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True)
class _Charger:
    uuid: str
    id: int
    identity: str
    reference: str | None = None
    connection_status: ConnectionStatus | None = None
    status: ChargePointStatus | None = None
    error: ChargePointErrorCode | None = None
    error_info: str | None = None
    vendor_id: str | None = None
    vendor_error_code: str | None = None
    firmware_version: str | None = None
    parsed_firmware_version: str | None = None
    server: str | None = None
    last_connection_at: datetime | None = None
    last_disconnection_at: datetime | None = None
    last_heartbeat_at: datetime | None = None
    setup_pending: bool | None = None
    setup_completed: bool | None = None
    blocked: bool | None = None
    max_current: float | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    licenses: _Licenses | None = None
    pincode: str | None = attrs.field(default=None, repr=False)
    model_id: int | None = None
    model: _Model | None = None
    connectors: tuple[_Connector, ...] = ()
    permissions: _Permissions | None = None


_cattrs = cattrs.Converter()
_cattrs.register_structure_hook(datetime, lambda value, _: datetime.fromisoformat(value))


async def cattrs_run(base_url: str, uuids: list[str], concurrency: int) -> list[_Charger]:
    """aiohttp + orjson + a stock ``cattrs.Converter`` structuring attrs classes like ``Charger``."""
    semaphore = asyncio.Semaphore(concurrency)
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def one(uuid: str) -> _Charger:
            async with semaphore, session.get(f"{base_url}/chargers/{uuid}") as resp:
                resp.raise_for_status()
                return _cattrs.structure(orjson.loads(await resp.read())["data"], _Charger)

        return list(await asyncio.gather(*(one(u) for u in uuids)))


#: The clients compared, in the order printed: (key, label, run).
RUNS: dict[str, tuple[str, Callable[[str, list[str], int], Coroutine[Any, Any, list[Any]]]]] = {
    "raw": ("raw aiohttp + json.loads -> dicts", raw_run),
    "sdk": ("plugchoice_async chargers.get -> Charger", sdk_run),
    "ha": ("Home Assistant style: aiohttp, resp.json() -> dicts", ha_run),
    "cattrs": ("aiohttp + orjson + stock cattrs -> attrs classes", cattrs_run),
}
#: The bar: SDK wall and CPU at most this many times raw's, and below every alternative.
TARGET = 1.15


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
    parser.add_argument("--rounds", type=int, default=7)
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
        print(
            f"Bulk overhead: {n} x GET /chargers/{{uuid}} at concurrency {args.concurrency} against {name}, "
            f"{args.rounds} rounds (every client once a round, in a rotating order)"
        )
        for _, run in RUNS.values():  # warm-up (imports, page cache)
            asyncio.run(run(base_url, uuids[:200], args.concurrency))
        times: dict[str, list[tuple[float, float]]] = {key: [] for key in RUNS}
        keys = list(RUNS)
        for round_ in range(args.rounds):
            for key in keys[round_ % len(keys) :] + keys[: round_ % len(keys)]:
                gc.collect()  # the previous client's garbage is not billed to this one
                run = RUNS[key][1]
                times[key].append(asyncio.run(timed(functools.partial(run, base_url, uuids, args.concurrency), n)))
    return report(times, n)


def report(times: dict[str, list[tuple[float, float]]], n: int) -> int:
    """Print medians and ratios to raw; 0 when the SDK meets the bar (TARGET, and ahead of the typed alternative)."""

    def ratio(key: str, index: int) -> float:  # the median over the rounds of that round's time over raw's
        return statistics.median(t[index] / r[index] for t, r in zip(times[key], times["raw"], strict=True))

    print(f"{'client':<52} {'wall s':>7} {'CPU us/req':>10} {'wall x raw':>10} {'CPU x raw':>9}")
    for key, (label, _) in RUNS.items():
        wall = statistics.median(w for w, _ in times[key])
        cpu = statistics.median(c for _, c in times[key])
        print(f"{label:<52} {wall:>7.3f} {cpu / n * 1e6:>10.0f} {ratio(key, 0):>10.2f} {ratio(key, 1):>9.2f}")
    wall, cpu = ratio("sdk", 0), ratio("sdk", 1)
    within = wall <= TARGET and cpu <= TARGET

    def ahead_of(key: str) -> bool:
        return wall < ratio(key, 0) and cpu < ratio(key, 1)

    # The bar compares like with like: the typed alternative. The dict client is shown for reference:
    # it checks and types nothing, so it costs what raw costs; no typed client can be ahead of it.
    typed = ahead_of("cattrs")
    print(
        f"SDK: wall {wall:.2f}x raw, CPU {cpu:.2f}x raw (target <= {TARGET:.2f}: {'met' if within else 'NOT met'}); "
        f"ahead of the typed alternative (cattrs): {'yes' if typed else 'NO'}; "
        f"of the dict client (ha, for reference): {'yes' if ahead_of('ha') else 'no'}"
    )
    print("rounds, wall s: " + "; ".join(f"{key} {[round(w, 3) for w, _ in times[key]]}" for key in RUNS))
    return 0 if within and typed else 1


async def _emulator_uuids(base_url: str) -> list[str]:
    async with PlugchoiceClient(TOKEN, base_url=base_url, rate_limit=None) as client:
        return [c.uuid async for c in client.chargers.list(per_page=100)]


if __name__ == "__main__":
    sys.exit(main())
