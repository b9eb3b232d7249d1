"""``RedisRateLimiter`` against a real redis-server: the same decisions as the in-process limiter,
one budget for several OS processes, and Redis going away in the middle of a run."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import textwrap
from typing import Any

import pytest
import redis.asyncio

from plugchoice_async import (
    Charger,
    PauseTooLong,
    PlugchoiceClient,
    RateLimit,
    RateLimiterUnavailableError,
    RedisRateLimiter,
    RequestEvent,
    Ticket,
)
from plugchoice_async._ratelimit import PacingState
from plugchoice_async._redis_limiter import KEY_PREFIX, credential_key
from plugchoice_async.testing import PlugchoiceEmulator

from ._redis import RedisServer

TOKEN = "redis-test-token-s3cr3t"
WALL = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


def h(limit: int | None = None, remaining: int | None = None, **extra: str) -> dict[str, str]:
    out = dict(extra)
    if limit is not None:
        out["X-RateLimit-Limit"] = str(limit)
    if remaining is not None:
        out["X-RateLimit-Remaining"] = str(remaining)
    return out


# A scenario: ("grant", dt) advances the clock by dt and asks for a ticket (the answer: a ticket's
# (seq, gen, probe), or the seconds to wait, or "fail"); ("learn", index, status, headers) records
# the answer to the index-th ticket granted (the answer: the verdict).
Step = tuple[Any, ...]
SCENARIOS: dict[str, tuple[RateLimit, list[Step]]] = {
    "pacing and burst": (
        RateLimit(max_requests=100, period=10.0),
        [("grant", 0.0), ("grant", 0.0), ("grant", 0.0), ("grant", 0.0), ("grant", 0.05), ("grant", 0.1)],
    ),
    "credit, limit adoption, probe, learned period": (
        RateLimit(max_requests=500, period=60.0),
        [
            ("grant", 0.0),
            ("learn", 0, 200, h(3, 2)),
            ("grant", 0.0),
            ("grant", 0.0),
            ("grant", 0.0),  # the probe
            ("grant", 0.0),  # one probe at a time
            ("learn", 1, 200, h(3, 1)),
            ("learn", 3, 429, {**h(3, 0), "Retry-After": "2"}),
            ("grant", 1.0),
            ("grant", 1.2),
            ("grant", 0.0),
        ],
    ),
    "surprise 429s, one cut per episode, CUBIC recovery": (
        RateLimit(max_requests=1000, period=1.0),
        [
            ("grant", 0.0),
            ("grant", 0.0),
            ("grant", 0.0),
            ("learn", 0, 429, {"Retry-After": "1"}),
            ("learn", 1, 429, {"Retry-After": "1"}),
            ("grant", 0.01),
            ("learn", 3, 429, {}),
            ("grant", 0.5),
            ("grant", 3.0),
            ("grant", 20.0),
        ],
    ),
    "a pause beyond max_pause fails fast, then passes": (
        RateLimit(max_requests=500, period=60.0, max_pause=30.0),
        [("grant", 0.0), ("learn", 0, 429, {"Retry-After": "45"}), ("grant", 1.0), ("grant", 50.0)],
    ),
}


def _ticket_answer(granted: Ticket | float | str) -> Any:
    if isinstance(granted, Ticket):
        return ("ticket", granted.seq, granted.gen, granted.probe)
    if isinstance(granted, str):
        return granted
    return ("wait", round(granted, 6))


async def run_local(config: RateLimit, steps: list[Step]) -> list[Any]:
    state = PacingState(config)
    now = 5000.0
    tickets: list[Ticket] = []
    out: list[Any] = []
    for step in steps:
        if step[0] == "grant":
            now += step[1]
            try:
                granted: Ticket | float | str = state.grant(now)
            except PauseTooLong:
                granted = "fail"
            if isinstance(granted, Ticket):
                tickets.append(granted)
            out.append(_ticket_answer(granted))
        else:
            verdict = state.learn(tickets[step[1]], now, now - 5000.0 + WALL, step[2], step[3])
            out.append(None if verdict is None else round(verdict, 6))
    return out


async def run_redis(url: str, config: RateLimit, steps: list[Step], monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    clock = Clock()
    monkeypatch.setattr("plugchoice_async._redis_limiter.time.time", lambda: clock.now - 5000.0 + WALL)
    limiter = RedisRateLimiter(url, config, key=credential_key("scenario"), clock=clock)
    tickets: list[Ticket] = []
    out: list[Any] = []
    try:
        for step in steps:
            if step[0] == "grant":
                clock.now += step[1]
                answer = await limiter._script("grant", [])
                granted: Ticket | float | str
                if answer[0] == "ok":
                    granted = Ticket(seq=int(answer[1]), sent_at=float(answer[2]), gen=int(answer[3]),
                                     probe=answer[4] == "1", shared=True)  # fmt: skip
                    tickets.append(granted)
                else:
                    granted = "fail" if answer[0] == "fail" else float(answer[1])
                out.append(_ticket_answer(granted))
            else:
                verdict = await limiter.record(tickets[step[1]], step[2], step[3])
                out.append(None if verdict is None else round(verdict, 6))
    finally:
        await limiter.aclose()
    return out


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_redis_and_local_make_the_same_decisions(
    name: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One algorithm, two executors: every grant, wait and verdict agrees step by step."""
    config, steps = SCENARIOS[name]
    local = await run_local(config, steps)
    shared = await run_redis(redis_url, config, steps, monkeypatch)
    assert shared == local
    assert any(not (isinstance(a, tuple) and a[0] == "ticket") for a in local)  # not a trivial run


async def test_key_is_a_digest_of_the_token_and_expires(redis_url: str) -> None:
    async with PlugchoiceEmulator(chargers=3, token=TOKEN, rate_limit=None) as emu:
        async with PlugchoiceClient(TOKEN, base_url=emu.base_url, rate_limit=RedisRateLimiter(redis_url)) as client:
            await client.chargers.get(emu.uuids[0])
    r = redis.asyncio.Redis.from_url(redis_url)
    try:
        keys = [k.decode() async for k in r.scan_iter("*")]
        assert keys == [credential_key(TOKEN)]
        assert keys[0].startswith(KEY_PREFIX) and TOKEN not in keys[0]
        values = await r.hgetall(keys[0])
        assert all(TOKEN.encode() not in v for v in values.values())
        ttl = await r.pttl(keys[0])
        assert 0 < ttl <= 172_800_000
    finally:
        await r.aclose()


def test_repr_and_errors_never_show_the_password() -> None:
    limiter = RedisRateLimiter("redis://:hunter2@127.0.0.1:1/0")
    assert "hunter2" not in repr(limiter)


async def test_unreachable_redis_without_fallback_raises_a_clear_error(fresh_redis_server: RedisServer) -> None:
    url = f"redis://:hunter2@127.0.0.1:{fresh_redis_server.port}/0"
    fresh_redis_server.stop()
    limiter = RedisRateLimiter(url, key=credential_key("x"), fallback=False, timeout=0.5)
    with pytest.raises(RateLimiterUnavailableError) as caught:
        await limiter.acquire()
    text = str(caught.value)
    assert f"127.0.0.1:{fresh_redis_server.port}" in text and "hunter2" not in text
    await limiter.aclose()


async def test_redis_stopped_mid_run_falls_back_and_loses_nothing(
    fresh_redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis dies after 20 requests: a WARNING, in-process pacing, every charger fetched."""
    caplog.set_level(logging.WARNING, logger="plugchoice_async")
    seen: list[RequestEvent] = []

    def hook(event: RequestEvent) -> None:
        seen.append(event)
        if len(seen) == 20:
            fresh_redis_server.stop()

    limiter = RedisRateLimiter(fresh_redis_server.url, RateLimit(max_requests=1000, period=1.0), timeout=0.5)
    async with PlugchoiceEmulator(chargers=60, token=TOKEN, rate_limit=1000, rate_period=1.0) as emu:
        async with PlugchoiceClient(
            TOKEN, base_url=emu.base_url, rate_limit=limiter, hooks=[hook], max_concurrency=4
        ) as client:
            results = await client.chargers.get_many(emu.uuids)
    assert all(isinstance(r, Charger) for r in results)
    assert not fresh_redis_server.running
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("unreachable" in w and "pacing in this process only" in w for w in warnings)


WORKER = textwrap.dedent(
    """
    import asyncio, json, sys
    from plugchoice_async import Charger, PlugchoiceClient, RateLimit, RedisRateLimiter

    async def main() -> None:
        base_url, token, redis_url, uuids = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(",")
        shared = redis_url != "-"
        limit = RateLimit(max_requests=20, period=1.0)
        rate_limit = RedisRateLimiter(redis_url, limit) if shared else limit
        async with PlugchoiceClient(token, base_url=base_url, rate_limit=rate_limit, max_concurrency=8) as client:
            results = await client.chargers.get_many(uuids)
            print(json.dumps({"ok": sum(isinstance(r, Charger) for r in results), "429": client.stats.rate_limited}))

    asyncio.run(main())
    """
)


async def run_workers(emu: PlugchoiceEmulator, redis_url: str, workers: int = 3) -> list[dict[str, int]]:
    slices = [emu.uuids[i::workers] for i in range(workers)]
    procs = []
    for part in slices:
        args = (WORKER, emu.base_url, TOKEN, redis_url, ",".join(part))
        procs.append(await asyncio.create_subprocess_exec(sys.executable, "-c", *args, stdout=asyncio.subprocess.PIPE))
    outputs = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in procs)), 60)
    assert all(p.returncode == 0 for p in procs)
    return [json.loads(out) for out, _ in outputs]


async def test_three_processes_share_one_budget(redis_url: str) -> None:
    """3 OS processes, one token, 20 requests per second allowed (and no headers to learn from):
    through Redis they pace as one, with (almost) no 429s."""
    async with PlugchoiceEmulator(
        chargers=60, token=TOKEN, rate_limit=20, rate_period=1.0, rate_limit_headers="never"
    ) as emu:
        reports = await run_workers(emu, redis_url)
        assert sum(r["ok"] for r in reports) == 60
        assert emu.rate_limited <= 2
        assert sum(r["429"] for r in reports) == emu.rate_limited


async def test_three_processes_without_redis_collide() -> None:
    """The control: the same run with an in-process limiter each sees the server refuse requests."""
    async with PlugchoiceEmulator(
        chargers=60, token=TOKEN, rate_limit=20, rate_period=1.0, rate_limit_headers="never"
    ) as emu:
        reports = await run_workers(emu, "-")
        assert sum(r["ok"] for r in reports) == 60  # 429s are re-queued: nothing lost either way
        assert emu.rate_limited >= 5
