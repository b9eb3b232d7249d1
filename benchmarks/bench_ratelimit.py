"""Throughput under the server's rate limit: the SDK's limiters vs a naive gather with tenacity.

    python benchmarks/bench_ratelimit.py [--cases 1,3,6] [--scale 0.5] [--cap 3]

Every case fetches a fleet charger by charger (``client.chargers.get_many``) from a FRESH emulator process,
so no case inherits another's spent budget. The uuids are listed beforehand from a throwaway emulator of the
same size (the fleet is deterministic for a size and seed) without a rate limit, and the wall time covers the
fetching only. ``--scale`` multiplies every fleet size; ``--cases`` picks cases by number (default: all).

== ======================================================== ================================================ =========
#  case (client)                                            server                                           target
== ======================================================== ================================================ =========
1  fixed window, headers on every answer, default settings  fixed-window, headers always, 100/5 s, 600       1%, 1.05x
   (``RateLimit()``: 500 per 60 s, learns the limit from the headers)
2  fixed window, headers only on the 429, configured like   fixed-window, headers on-429, 100/5 s, 600       1%, 1.10x
   the server (``RateLimit(100, 5.0)``)
3  leaky bucket, configured like the server                 leaky-bucket, no headers, 100/1 s, burst 10,     2%, 1.10x
   (``RateLimit(100, 1.0)``)                                1000
4  client configured 10x above a leaky bucket               as case 3                                        5%, 1.30x
   (``RateLimit(1000, 1.0)``: learns from the 429s alone)
5  3 processes, one token, RedisRateLimiter, fixed window   as case 1, the 600 chargers split in 3           1%, 1.10x
   (each ``RedisRateLimiter(url, rate_limit=RateLimit(100, 5.0))`` on a redis-server started here)
6  naive gather + tenacity retrying 429s                    as case 1                                        none
7  naive gather + tenacity retrying 429s                    as case 3                                        none
== ======================================================== ================================================ =========

A target is met when every charger is fetched, at most that share of the requests was answered 429 (counted
by the clients) and the wall time is at most that multiple of the ideal time: ``ceil(N / limit) * period`` for
a window, ``N / rate`` for the leaky bucket. Case 5 runs this script three times with ``--worker``; they start
together (each says "ready", then all get "go") and the wall time runs from the first start to the last finish.
A case still running at ``--cap`` times its ideal time (default 3) is stopped there and shows what it had
fetched by then. Below the table, every SDK case that met 429s shows when they came (seconds since its start).
The exit status is 0 only if every SDK case run met its target.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any, Literal

import aiohttp
import tenacity

from plugchoice_async import Charger, PlugchoiceClient, RateLimit, RateLimiter, RequestEvent

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from _servers import _wait_for_port, emulator_process, free_port

TOKEN = "bench-token"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
WORKERS = 3


@dataclasses.dataclass(frozen=True)
class Server:
    throttle: Literal["fixed-window", "sliding-window", "leaky-bucket"]
    headers: Literal["always", "on-429", "never"]
    limit: int
    period: float
    chargers: int
    burst: int = 10

    def ideal(self, n: int) -> float:
        if self.throttle == "leaky-bucket":
            return n / (self.limit / self.period)
        return math.ceil(n / self.limit) * self.period


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    server: Server
    client: Literal["sdk", "redis", "naive"]
    rate_limit: RateLimit | None = None  # the SDK's; None for the naive client
    max_share: float | None = None  # targets; None: figures only
    max_ratio: float | None = None


def limit(max_requests: int, period: float) -> RateLimit:
    return RateLimit(max_requests=max_requests, period=period)


FIXED = Server("fixed-window", "always", 100, 5.0, 600)
LEAKY = Server("leaky-bucket", "never", 100, 1.0, 1000, burst=10)
CASES = {
    1: Case("fixed window, headers on every answer, default settings", FIXED, "sdk", RateLimit(), 0.01, 1.05),
    2: Case(
        "fixed window, headers only on the 429, configured like the server",
        dataclasses.replace(FIXED, headers="on-429"),
        "sdk",
        limit(100, 5.0),
        0.01,
        1.10,
    ),
    3: Case("leaky bucket, configured like the server", LEAKY, "sdk", limit(100, 1.0), 0.02, 1.10),
    4: Case("client configured 10x above a leaky bucket", LEAKY, "sdk", limit(1000, 1.0), 0.05, 1.30),
    5: Case("3 processes, one token, RedisRateLimiter, fixed window", FIXED, "redis", limit(100, 5.0), 0.01, 1.10),
    6: Case("naive gather + tenacity on 429, fixed window (as 1)", FIXED, "naive"),
    7: Case("naive gather + tenacity on 429, leaky bucket (as 3)", LEAKY, "naive"),
}


@dataclasses.dataclass
class Result:
    ok: int
    requests: int
    rejected: int  # 429s
    started: float  # time.time(): a clock the worker processes share
    finished: float
    rejected_at: list[float]  # time.time() of every 429 answer
    requeued: int = 0
    stopped: bool = False  # cut off at the time cap

    @property
    def elapsed(self) -> float:
        return self.finished - self.started

    @classmethod
    def merge(cls, parts: list[Result]) -> Result:
        return cls(
            ok=sum(p.ok for p in parts),
            requests=sum(p.requests for p in parts),
            rejected=sum(p.rejected for p in parts),
            started=min(p.started for p in parts),
            finished=max(p.finished for p in parts),
            rejected_at=sorted(t for p in parts for t in p.rejected_at),
            requeued=sum(p.requeued for p in parts),
            stopped=any(p.stopped for p in parts),
        )


async def list_uuids(base_url: str) -> list[str]:
    async with PlugchoiceClient(TOKEN, base_url=base_url, rate_limit=None) as client:
        return [c.uuid async for c in client.chargers.list(per_page=100)]


def fleet_uuids(chargers: int) -> list[str]:
    """The fleet's uuids, listed from a throwaway emulator without a rate limit (same size and seed)."""
    with emulator_process(chargers, token=TOKEN, rate_limit=0) as base_url:
        return asyncio.run(list_uuids(base_url))


async def sdk(
    base_url: str, uuids: list[str], rate_limit: RateLimit | RateLimiter, cap: float, barrier: bool = False
) -> Result:
    """``get_many`` through the SDK, stopped after ``cap`` seconds; with ``barrier``, says "ready" on stdout and
    starts on a "go" line on stdin."""
    rejected_at: list[float] = []
    answered = 0  # 200s: what was fetched if the cap cuts ``get_many`` off

    def on_attempt(event: RequestEvent) -> None:
        nonlocal answered
        if event.status == 429:
            rejected_at.append(time.time())
        answered += event.status == 200

    async with PlugchoiceClient(TOKEN, base_url=base_url, rate_limit=rate_limit, hooks=[on_attempt]) as client:
        if barrier:
            print("ready", flush=True)
            await asyncio.to_thread(sys.stdin.readline)
        started = time.time()
        try:
            async with asyncio.timeout(cap):
                results = await client.chargers.get_many(uuids)
            ok, stopped = sum(isinstance(r, Charger) for r in results), False
        except TimeoutError:
            ok, stopped = answered, True
        finished = time.time()
        stats = client.stats
        return Result(ok, stats.requests, stats.rate_limited, started, finished, rejected_at, stats.requeued, stopped)


async def naive(base_url: str, uuids: list[str], cap: float) -> Result:
    """What people write today: gather everything, tenacity retries 429 after Retry-After (stopped after ``cap`` s)."""
    counts = {"requests": 0, "429": 0, "ok": 0}
    rejected_at: list[float] = []

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
                    rejected_at.append(time.time())
                    raise TooMany(float(resp.headers.get("Retry-After", "1")))
                resp.raise_for_status()
                data: dict[str, Any] = json.loads(await resp.read())["data"]
                counts["ok"] += 1
                return data

        async def one(uuid: str) -> dict[str, Any]:
            return await retrying.copy()(once, uuid)

        started = time.time()
        stopped = False
        try:
            async with asyncio.timeout(cap):
                await asyncio.gather(*(one(u) for u in uuids), return_exceptions=True)
        except TimeoutError:
            stopped = True
        finished = time.time()
    return Result(counts["ok"], counts["requests"], counts["429"], started, finished, rejected_at, stopped=stopped)


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A redis-server of our own on a free loopback port, without persistence; yields its URL."""
    port = free_port()
    cmd = [REDIS_SERVER, "--save", "", "--appendonly", "no", "--port", str(port), "--bind", "127.0.0.1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    try:
        _wait_for_port(port, proc)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


def worker() -> int:
    """``--worker``: read a job (JSON line) from stdin, fetch after the barrier, print the Result as JSON."""
    from plugchoice_async import RedisRateLimiter

    job = json.loads(sys.stdin.readline())
    limiter = RedisRateLimiter(job["redis_url"], rate_limit=limit(job["limit"], job["period"]))
    result = asyncio.run(sdk(job["base_url"], job["uuids"], limiter, job["cap"], barrier=True))
    print(json.dumps(dataclasses.asdict(result)), flush=True)
    return 0


def run_workers(base_url: str, redis_url: str, uuids: list[str], rate_limit: RateLimit, cap: float) -> Result:
    """Fetch ``uuids`` from WORKERS processes sharing one token and one Redis budget, started together."""
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for _ in range(WORKERS)
    ]
    try:
        for i, proc in enumerate(procs):
            part = uuids[i * len(uuids) // WORKERS : (i + 1) * len(uuids) // WORKERS]
            job = {"base_url": base_url, "redis_url": redis_url, "uuids": part, "cap": cap}
            job |= {"limit": rate_limit.max_requests, "period": rate_limit.period}
            assert proc.stdin and proc.stdout
            proc.stdin.write(json.dumps(job) + "\n")
            proc.stdin.flush()
        for proc in procs:
            assert proc.stdout
            if proc.stdout.readline().strip() != "ready":
                raise RuntimeError(f"worker {proc.pid} did not get ready (exit status {proc.wait(10)})")
        for proc in procs:
            assert proc.stdin
            proc.stdin.write("go\n")
            proc.stdin.flush()
        parts = []
        for proc in procs:
            assert proc.stdout
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"worker {proc.pid} died (exit status {proc.wait(10)})")
            parts.append(Result(**json.loads(line)))
        return Result.merge(parts)
    finally:
        for proc in procs:
            for pipe in (proc.stdin, proc.stdout):
                if pipe:
                    pipe.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def run(case: Case, uuids: list[str], redis_url: str | None, cap: float) -> Result:
    s = case.server
    with emulator_process(
        len(uuids),
        token=TOKEN,
        rate_limit=s.limit,
        rate_period=s.period,
        throttle=s.throttle,
        rate_limit_headers=s.headers,
        rate_burst=s.burst,
    ) as base_url:
        if case.client == "naive":
            return asyncio.run(naive(base_url, uuids, cap))
        assert case.rate_limit is not None
        if case.client == "redis":
            assert redis_url is not None
            return run_workers(base_url, redis_url, uuids, case.rate_limit, cap)
        return asyncio.run(sdk(base_url, uuids, case.rate_limit, cap))


def verdict(case: Case, result: Result, n: int, ideal: float) -> tuple[str, bool | None]:
    """The target's text and whether it was met (None: no target)."""
    if case.max_share is None or case.max_ratio is None:
        return "-", None
    share = result.rejected / max(1, result.requests)
    met = result.ok == n and share <= case.max_share and result.elapsed / ideal <= case.max_ratio
    return f"all, <={case.max_share:.0%} 429, <={case.max_ratio:.2f}x", met


def timeline(result: Result) -> str:
    """The 429s counted per second since the start: ``t=0s:3 t=5s:1``."""
    per_second = Counter(int(t - result.started) for t in result.rejected_at)
    return " ".join(f"t={second}s:{count}" for second, count in sorted(per_second.items()))


def redis_missing() -> str | None:
    """Why the Redis case cannot run, or None."""
    try:
        from plugchoice_async import RedisRateLimiter  # noqa: F401
    except ImportError:
        return "RedisRateLimiter is not importable"
    return None if os.access(REDIS_SERVER, os.X_OK) else "redis-server is not installed (scripts/debian-packages.sh)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default=",".join(map(str, CASES)), help="case numbers, comma-separated")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every fleet size (default 1)")
    parser.add_argument("--cap", type=float, default=3.0, help="stop a case at this multiple of its ideal (default 3)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker()
    chosen = [int(n) for n in args.cases.split(",")]
    if unknown := set(chosen) - set(CASES):
        parser.error(f"no case {sorted(unknown)}; cases are {list(CASES)}")

    print("Each case against a fresh emulator; ideal = ceil(N / limit) x period (window) or N / rate (leaky bucket)")
    head = f"{'#':>2} {'case':<66} {'fetched':>11} {'requests':>8} {'429s':>6} {'429 %':>6}"
    print(f"{head} {'wall':>8} {'ideal':>7} {'/ideal':>7}  {'target':<26} result")
    all_met = True
    notes: list[str] = []
    fleets: dict[int, list[str]] = {}
    with contextlib.ExitStack() as stack:
        redis_url = None
        missing = redis_missing()
        if missing is None and any(CASES[number].client == "redis" for number in chosen):
            redis_url = stack.enter_context(redis_server())
        for number in chosen:
            case = CASES[number]
            n = max(WORKERS, round(case.server.chargers * args.scale))
            if case.client == "redis" and redis_url is None:
                print(f"{number:>2} {case.name:<66} not run: {missing}  NOT met")
                all_met = False
                continue
            if n not in fleets:
                fleets[n] = fleet_uuids(n)
            ideal = case.server.ideal(n)
            result = run(case, fleets[n], redis_url, args.cap * ideal)
            target, met = verdict(case, result, n, ideal)
            share = result.rejected / max(1, result.requests)
            row = f"{number:>2} {case.name:<66} {result.ok:>5}/{n:<5} {result.requests:>8} {result.rejected:>6}"
            row += f" {share:>6.1%} {result.elapsed:>6.2f} s {ideal:>5.1f} s {result.elapsed / ideal:>6.2f}x"
            outcome = "-" if met is None else "met" if met else "NOT met"
            if result.stopped:
                outcome += f" (stopped at {args.cap:g}x ideal)"
            print(f"{row}  {target:<26} {outcome}", flush=True)
            if met is not None:
                all_met = all_met and met
                if result.rejected:
                    notes.append(f"{number:>2}: 429s {timeline(result)}; requeued {result.requeued}")
    if notes:
        print("429s per second since the start of the SDK cases that met any:")
        print("\n".join(notes))
    print("SDK targets:", "all met" if all_met else "NOT all met")
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
