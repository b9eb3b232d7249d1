"""Bulk work against the emulator: get_many, watch, the shared 429 pause, learning the server's limit, stats."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from plugchoice_async import (
    Charger,
    InvalidRequestError,
    LocalRateLimiter,
    NotFoundError,
    PlugchoiceClient,
    RateLimit,
    RequestEvent,
    RetryPolicy,
)
from plugchoice_async.testing import Fault, PlugchoiceEmulator
from tests.conftest import TOKEN, FakeSleep, make_client

MISSING = "00000000-0000-4000-8000-000000000000"


async def test_get_many_keeps_order_and_per_item_errors(emulator: PlugchoiceEmulator) -> None:
    ids = [emulator.uuids[3], MISSING, "../user", emulator.uuids[0], emulator.uuids[7]]
    emulator.add_fault(Fault("status", status=500, path=f"/chargers/{emulator.uuids[7]}", times=10))
    async with make_client(emulator.base_url, retry=RetryPolicy(max_retries=1)) as client:
        results = await client.chargers.get_many(ids)
    assert len(results) == 5
    assert isinstance(results[0], Charger)
    assert results[0].uuid == emulator.uuids[3]
    assert isinstance(results[1], NotFoundError)
    assert isinstance(results[2], InvalidRequestError)
    assert isinstance(results[3], Charger)
    assert results[3].uuid == emulator.uuids[0]
    assert type(results[4]).__name__ == "InternalServerError"
    # the invalid id sent nothing; the others were all fetched despite the failures
    paths = {r.path for r in emulator.requests}
    assert f"/api/v3/chargers/{emulator.uuids[0]}" in paths
    assert not any("user" in p for p in paths)


async def test_gather_and_get_many_share_the_same_bounds(emulator: PlugchoiceEmulator) -> None:
    emulator.latency = 0.002
    async with make_client(emulator.base_url, max_concurrency=3) as client:
        results = await client.chargers.get_many(emulator.uuids)
        assert client.stats.peak_in_flight == 3
    assert [r.uuid for r in results if isinstance(r, Charger)] == emulator.uuids
    assert emulator.max_in_flight <= 3


async def test_watch_reports_changes_failures_and_recovery(emulator: PlugchoiceEmulator) -> None:
    fleet = emulator.uuids[:5]
    target, flaky = fleet[1], fleet[4]
    async with make_client(emulator.base_url, retry=RetryPolicy(max_retries=0)) as client:
        watcher = client.chargers.watch(fleet, interval=0)
        first = await anext(watcher)
        assert first.initial
        assert first.round == 1
        assert first.changes == ()
        assert set(first.chargers) == set(fleet)

        emulator.set_charger(target, status="Faulted", connectors={1: "Faulted"})
        emulator.add_fault(Fault("status", status=500, path=f"/chargers/{flaky}", times=1))
        second = await anext(watcher)
        assert not second.initial
        fields = {(c.charger, c.field): (c.old, c.new) for c in second.changes}
        assert fields[(target, "status")][1] == "Faulted"
        assert fields[(target, "connectors[1].status")][1] == "Faulted"
        assert {c.charger for c in second.changes} == {target}
        assert [f.charger for f in second.failures] == [flaky]
        assert flaky not in second.chargers
        change = second.changes[0]
        assert change.identity == emulator.chargers[target]["identity"]
        assert change.seen_at.tzinfo is not None

        third = await anext(watcher)
        assert third.changes == ()  # nothing changed, and the flaky charger is back with the same state
        assert third.failures == ()
        assert flaky in third.chargers
        await watcher.aclose()


async def test_watch_stops_cleanly_on_cancel() -> None:
    release = asyncio.Event()

    async def held(_: float) -> None:  # the emulator's sleep: round 2's requests stay on the wire until released
        await release.wait()

    async with PlugchoiceEmulator(chargers=50, token=TOKEN, rate_limit=None, sleep=held) as emulator:
        fleet = emulator.uuids
        starts = 0
        second_round_sending = asyncio.Event()

        async def on_start(*_: object) -> None:
            nonlocal starts
            starts += 1
            if starts > len(fleet):
                emulator.latency = 1.0  # nominal: from now on every request waits in held
                second_round_sending.set()

        trace = aiohttp.TraceConfig()
        trace.on_request_start.append(on_start)

        async def consume(client: PlugchoiceClient) -> None:
            async for _ in client.chargers.watch(fleet, interval=0):
                pass

        async with make_client(emulator.base_url, trace_configs=[trace]) as client:
            task = asyncio.ensure_future(consume(client))
            await second_round_sending.wait()  # cancel mid-round, with requests on the wire
            assert client.stats.in_flight > 0
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert client.stats.in_flight == 0
        ours = [
            t
            for t in asyncio.all_tasks()
            if not t.done()
            and "plugchoice_async/" in t.get_coro().cr_code.co_filename  # type: ignore[union-attr]
            and "/testing/" not in t.get_coro().cr_code.co_filename  # type: ignore[union-attr]
        ]
        assert ours == []
        release.set()


async def test_watch_break_stops_polling(emulator: PlugchoiceEmulator) -> None:
    async with make_client(emulator.base_url) as client:
        async for update in client.chargers.watch(emulator.uuids[:3], interval=0):
            if update.round == 2:
                break
        sent = client.stats.requests
        await asyncio.sleep(0)
        assert client.stats.requests == sent == 6


async def test_one_429_pauses_every_request() -> None:
    """Another user of the token spent the window: the first 429 pauses all in-flight work."""
    async with PlugchoiceEmulator(chargers=20, token=TOKEN, rate_limit=20, rate_period=1.0) as emu:
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as other:
            for _ in range(20):
                async with other.get(f"{emu.base_url}/user") as resp:
                    assert resp.status == 200
        emu.reset_stats()
        limiter = LocalRateLimiter(RateLimit(max_requests=20, period=1.0))
        async with make_client(emu.base_url, limiter=limiter, max_concurrency=4, sleep=asyncio.sleep) as client:
            started = time.monotonic()
            chargers = await asyncio.gather(*(client.chargers.get(u) for u in emu.uuids))
            assert client.stats.rate_limited == emu.rate_limited
        assert [c.uuid for c in chargers] == emu.uuids
        log = emu.requests
        first_429 = min(r.at for r in log if r.status == 429)
        assert 1 <= emu.rate_limited <= 4  # only what was already in flight, not a retry storm
        resumed = min(r.at for r in log if r.status == 200)
        during_pause = [r for r in log if first_429 <= r.at < resumed]
        assert all(r.status == 429 for r in during_pause)
        assert len(during_pause) <= 4
        assert resumed - started >= 0.5  # waited for the server's window to end


async def test_learns_a_smaller_server_limit_with_one_429() -> None:
    """Default client (500 per 60 s) against a server allowing 5 per second."""
    async with PlugchoiceEmulator(chargers=12, token=TOKEN, rate_limit=5, rate_period=1.0) as emu:
        async with PlugchoiceClient(TOKEN, base_url=emu.base_url, max_concurrency=2) as client:
            chargers = await client.chargers.get_many(emu.uuids)
            assert client.stats.rate_limited == 1  # the one probe that taught the window length
        assert all(isinstance(c, Charger) for c in chargers)
        assert emu.rate_limited == 1


async def test_hooks_and_trace_configs_see_every_request(emulator: PlugchoiceEmulator) -> None:
    events: list[RequestEvent] = []
    traced: list[str] = []

    async def on_start(session: object, ctx: object, params: aiohttp.TraceRequestStartParams) -> None:
        traced.append(params.method)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    emulator.add_fault(Fault("status", status=503))
    async with PlugchoiceClient(
        TOKEN, base_url=emulator.base_url, hooks=[events.append], trace_configs=[trace], sleep=FakeSleep()
    ) as client:
        await client.chargers.get(emulator.uuids[0])
    assert [e.status for e in events] == [503, 200]
    assert all(e.path == f"/chargers/{emulator.uuids[0]}" and e.elapsed >= 0 for e in events)
    assert traced == ["GET", "GET"]


async def test_failing_hook_does_not_break_requests(emulator: PlugchoiceEmulator) -> None:
    def broken(event: RequestEvent) -> None:
        raise RuntimeError("metrics backend down")

    async with PlugchoiceClient(TOKEN, base_url=emulator.base_url, hooks=[broken]) as client:
        assert (await client.chargers.get(emulator.uuids[0])).uuid == emulator.uuids[0]


async def test_stats_count_retries_by_cause(emulator: PlugchoiceEmulator, fake_sleep: FakeSleep) -> None:
    emulator.add_fault(Fault("status", status=503))
    emulator.add_fault(Fault("status", status=429, headers={"Retry-After": "1"}))
    async with make_client(emulator.base_url, sleep=fake_sleep) as client:
        await client.chargers.get(emulator.uuids[0])
        # No rate limiter here: the retry policy handles the 429 too.
        assert client.stats.retries == {"503": 1, "429": 1}
        assert client.stats.total_retries == 2
        assert client.stats.requests == 3
        assert client.stats.rate_limited == 1
        assert client.stats.requeued == 0
