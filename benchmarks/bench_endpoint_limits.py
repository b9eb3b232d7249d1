"""Per-endpoint budgets beside the user's: do the limited routes slow everything else?

    python benchmarks/bench_endpoint_limits.py [--reads 300] [--period 2] [--rounds 3]

The emulator (in this process) keeps the user's budget (100 requests per ``--period`` seconds, fixed
windows, headers on every answer) and the routes' own budgets in windows of the same length: the
Chargee meter and site invitations 5 per window. Time is scaled: a 60 s window of the real API is
``--period`` seconds here, so the limits are the API's, 30 times faster.

(a) ``--reads`` charger GETs alone; (b) the same GETs while 12 Chargee readings and 8 invitations
run at the same time, with the default ``endpoint_limits``; (c) the same mix with
``endpoint_limits=None`` (routes not known to the client), stopped after three times (a)'s time.
Targets: in (b) the GETs take at most 1.05x their time in (a) (medians of the rounds, interleaved),
and no request of (b) is refused (0 429s in every round).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import attrs

from plugchoice_async import DEFAULT_ENDPOINT_LIMITS, PlugchoiceClient, RateLimit
from plugchoice_async.testing import PlugchoiceEmulator

TOKEN = "bench-token"
USER_LIMIT = 100
CHARGEE_CALLS = 12
INVITES = 8


async def run_case(reads: int, period: float, *, routes: bool, mixed: bool, give_up: float | None) -> dict[str, Any]:
    """One case against a fresh emulator: the GETs' time, the routes' calls' time, 429s and requests."""
    async with PlugchoiceEmulator(
        chargers=reads, token=TOKEN, rate_limit=USER_LIMIT, rate_period=period, endpoint_period=period
    ) as emu:
        limits = [attrs.evolve(limit, period=period) for limit in DEFAULT_ENDPOINT_LIMITS] if routes else None
        async with PlugchoiceClient(
            TOKEN,
            base_url=emu.base_url,
            rate_limit=RateLimit(max_requests=USER_LIMIT, period=period),
            endpoint_limits=limits,
        ) as client:
            site = (await client.sites.list()).items[0].uuid
            await asyncio.sleep(period)  # a fresh window for every case
            emu.reset_stats()
            started = time.perf_counter()
            done = 0

            async def get(uuid: str) -> None:
                nonlocal done
                await client.chargers.get(uuid)
                done += 1

            async def gets() -> float:
                await asyncio.gather(*(get(uuid) for uuid in emu.uuids[:reads]))
                return time.perf_counter() - started

            async def limited() -> float:
                readings = (client.meters.chargee("CHG-0001") for _ in range(CHARGEE_CALLS))
                invites = (client.sites.access.invite(site, email=f"bench{n}@example.com") for n in range(INVITES))
                await asyncio.gather(*readings, *invites)
                return time.perf_counter() - started

            jobs = [gets(), limited()] if mixed else [gets()]
            try:
                times = await asyncio.wait_for(asyncio.gather(*jobs), timeout=give_up)
            except TimeoutError:
                times = [None, None]
            return {
                "gets": times[0],
                "done": done,
                "limited": times[1] if mixed else None,
                "refused": emu.rate_limited,
                "requests": client.stats.requests,
            }


def _seconds(value: float | None) -> str:
    return "stopped" if value is None else f"{value:.2f} s"


def _median_case(cases: list[dict[str, Any]]) -> dict[str, Any]:
    """The case whose GET time is the median of its rounds (a stopped round counts as the slowest)."""
    ranked = sorted(cases, key=lambda case: float("inf") if case["gets"] is None else case["gets"])
    return ranked[len(ranked) // 2]


async def main(reads: int, period: float, rounds: int) -> int:
    names = ("alone", "mixed", "naive")
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for _ in range(rounds):  # interleaved, so that a busy moment of the machine hits every case alike
        alone = await run_case(reads, period, routes=True, mixed=False, give_up=None)
        runs["alone"].append(alone)
        runs["mixed"].append(await run_case(reads, period, routes=True, mixed=True, give_up=None))
        runs["naive"].append(await run_case(reads, period, routes=False, mixed=True, give_up=3 * alone["gets"]))
    alone, mixed, naive = (_median_case(runs[name]) for name in names)
    refused = {name: sum(case["refused"] for case in runs[name]) for name in names}
    sent = {name: sum(case["requests"] for case in runs[name]) for name in names}
    print(f"user budget {USER_LIMIT} per {period:g} s; Chargee meter and invitations 5 per {period:g} s each")
    print(f"{rounds} rounds; times: the median round; 429s and requests: all rounds")
    print(f"{'case':<44} {'GETs':>10} {'routes':>10} {'429s':>5} {'requests':>8}")
    for name, label in (
        ("alone", f"(a) {reads} GETs alone"),
        ("mixed", f"(b) + {CHARGEE_CALLS} readings, {INVITES} invites, budgets known"),
        ("naive", "(c) the same, endpoint_limits=None"),
    ):
        case = {"alone": alone, "mixed": mixed, "naive": naive}[name]
        routes = "-" if name == "alone" else _seconds(case["limited"])
        print(f"{label:<44} {_seconds(case['gets']):>10} {routes:>10} {refused[name]:>5} {sent[name]:>8}")
    ratio = mixed["gets"] / alone["gets"]
    paced = (CHARGEE_CALLS - 1) * period / 5 * 1.02
    print(f"(b)/(a) GET time: {ratio:.3f} (target <= 1.05); 429s in (b): {refused['mixed']} (target 0)")
    print(
        f"(b) the limited calls end {mixed['limited']:.2f} s after the start: they queue behind the GETs in the "
        f"user's budget, then {CHARGEE_CALLS} readings paced 5 per window take {paced:.2f} s"
    )
    met = ratio <= 1.05 and refused["mixed"] == 0
    print("targets met" if met else "TARGET MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=300, help="charger GETs per case (default: %(default)s)")
    parser.add_argument("--period", type=float, default=2.0, help="seconds per window (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the three cases (default: %(default)s)")
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main(args.reads, args.period, args.rounds)))
