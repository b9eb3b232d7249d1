"""Fleet snapshots and fleet watch against the emulator: complete, correct, and cheap in requests."""

from __future__ import annotations

import asyncio
import math

import pytest

from plugchoice_async import (
    FleetSnapshot,
    InternalServerError,
    InvalidRequestError,
    PlugchoiceClient,
    RequestEvent,
    RetryPolicy,
    SnapshotUpdate,
)
from plugchoice_async.testing import Fault, PlugchoiceEmulator
from tests.conftest import TOKEN, FakeSleep, make_client


def budget(chargers: int, page: int, teams: int, fallbacks: int = 0) -> int:
    """The most a snapshot may cost (issue's bound): two listings, the team list pages, fallbacks, 2."""
    return 2 * math.ceil(chargers / page) + teams + fallbacks + 2


async def assert_matches_get(client: PlugchoiceClient, snap: FleetSnapshot) -> None:
    """Every charger's statuses equal what GET /chargers/{c} says now (nothing changes meanwhile)."""
    uuids = list(snap.chargers)
    fetched = await client.chargers.get_many(uuids)
    for charger in fetched:
        assert not isinstance(charger, Exception)
        seen = snap.chargers[charger.uuid]
        assert seen.identity == charger.identity
        assert (seen.connection_status, seen.status) == (charger.connection_status, charger.status)
        assert [(c.connector_id, c.status) for c in seen.connectors] == [
            (c.connector_id, c.status) for c in charger.connectors
        ]


async def test_snapshot_is_complete_correct_and_cheap() -> None:
    async with PlugchoiceEmulator(chargers=260, token=TOKEN, rate_limit=None) as emu:
        async with PlugchoiceClient(TOKEN, base_url=emu.base_url, rate_limit=None) as client:
            snap = await client.fleet.snapshot()
            assert list(snap.chargers) == emu.uuids  # every charger of GET /chargers, once, in order
            assert snap.requests <= budget(260, 100, len(emu.teams))
            assert client.stats.requests == snap.requests
            assert sum(snap.by_connection_status.values()) == 260
            assert sum(snap.by_connector_status.values()) == sum(len(c.connectors) for c in snap.chargers.values())
            assert all(c.team in emu.teams for c in snap.chargers.values())
            await assert_matches_get(client, snap)


async def test_two_teams_no_team_and_a_status_change() -> None:
    async with PlugchoiceEmulator(chargers=60, token=TOKEN, rate_limit=None) as emu:
        shared, lonely = emu.uuids[3], emu.uuids[10]
        async with PlugchoiceClient(TOKEN, base_url=emu.base_url, rate_limit=None) as client:
            before = await client.fleet.snapshot()
            first_team = before.chargers[shared].team
            emu.add_charger_to_team(shared, next(t for t in emu.teams if t != first_team))
            emu.remove_charger_from_teams(lonely)
            connectors = {c["connector_id"]: "Faulted" for c in emu.chargers[shared]["connectors"]}
            emu.set_charger(shared, status="Faulted", connectors=connectors)
            snap = await client.fleet.snapshot()
            assert list(snap.chargers) == emu.uuids  # the shared charger once, the lonely one too
            assert snap.chargers[lonely].team is None and snap.chargers[lonely].connectors  # fetched on its own
            assert snap.chargers[shared].status == "Faulted"
            assert {c.status for c in snap.chargers[shared].connectors} == {"Faulted"}
            assert snap.requests <= budget(60, 100, len(emu.teams), fallbacks=1)
            await assert_matches_get(client, snap)


@pytest.mark.parametrize("honour", [True, False])
async def test_per_page_honoured_or_ignored(honour: bool) -> None:
    async with PlugchoiceEmulator(chargers=230, token=TOKEN, rate_limit=None, honour_per_page=honour) as emu:
        async with PlugchoiceClient(TOKEN, base_url=emu.base_url, rate_limit=None) as client:
            first = await client.fleet.snapshot()
            second = await client.fleet.snapshot()
        page = 100 if honour else 25
        for snap in (first, second):
            assert list(snap.chargers) == emu.uuids
            assert snap.requests <= budget(230, page, len(emu.teams))
        sizes = {r.query.get("per_page") for r in emu.requests if r.path.endswith("/chargers")}
        assert sizes == {"100"}  # asked for 100 either way; the answer's page size is what counts


async def test_later_snapshots_fetch_known_pages_concurrently() -> None:
    held = 0
    all_held = asyncio.Event()

    async def until_all_held(_: float) -> None:  # the emulator's sleep: no page answered before all 5 are asked
        nonlocal held
        held += 1
        if held == 5:
            all_held.set()
        await all_held.wait()

    async with PlugchoiceEmulator(chargers=500, token=TOKEN, rate_limit=None, sleep=until_all_held) as emu:
        async with PlugchoiceClient(TOKEN, base_url=emu.base_url, rate_limit=None) as client:
            await client.fleet.snapshot()
            emu.reset_stats()
            # /chargers' 5 pages wait in until_all_held: pages asked one after another would never be answered.
            emu.add_fault(Fault("delay", delay=1.0, method="GET", path="/chargers", times=5))
            snap = await client.fleet.snapshot()
        assert list(snap.chargers) == emu.uuids
        assert emu.max_in_flight >= 5  # /chargers' 5 pages (and the teams' pages) at once


async def test_a_failing_page_is_retried(fake_sleep: FakeSleep) -> None:
    async with PlugchoiceEmulator(chargers=150, token=TOKEN, rate_limit=None) as emu:
        team = next(iter(emu.teams))
        emu.add_fault(Fault("status", status=500, method="GET", path=f"/teams/{team}/chargers"))
        async with make_client(emu.base_url, sleep=fake_sleep) as client:
            snap = await client.fleet.snapshot()
            assert client.stats.retries == {"500": 1}
        assert list(snap.chargers) == emu.uuids
        assert all(c.connectors for c in snap.chargers.values())


async def test_a_page_that_keeps_failing_raises_the_error_itself(fake_sleep: FakeSleep) -> None:
    async with PlugchoiceEmulator(chargers=150, token=TOKEN, rate_limit=None) as emu:
        emu.add_fault(Fault("status", status=500, method="GET", path="/chargers", times=10))
        async with make_client(emu.base_url, sleep=fake_sleep) as client:
            with pytest.raises(InternalServerError):  # not an ExceptionGroup
                await client.fleet.snapshot()


async def test_team_snapshot() -> None:
    async with PlugchoiceEmulator(chargers=80, token=TOKEN, rate_limit=None) as emu:
        team = next(iter(emu.teams))
        async with PlugchoiceClient(TOKEN, base_url=emu.base_url, rate_limit=None) as client:
            snap = await client.fleet.snapshot(team=team)
            listed = [c.uuid async for c in client.teams.chargers(team)]
        assert list(snap.chargers) == listed
        assert all(c.team == team for c in snap.chargers.values())
        assert snap.requests == math.ceil(len(listed) / 100)
        with pytest.raises(InvalidRequestError):
            await client.fleet.snapshot(team="../user")


async def test_watch_reports_changes_arrivals_departures_and_failed_rounds(fake_sleep: FakeSleep) -> None:
    async with PlugchoiceEmulator(chargers=40, token=TOKEN, rate_limit=None) as emu:
        changed, removed = emu.uuids[1], emu.uuids[2]
        emu.set_charger(changed, status="Available")
        updates: list[SnapshotUpdate] = []
        async with make_client(emu.base_url, sleep=fake_sleep, retry=RetryPolicy(max_retries=0)) as client:
            async for update in client.fleet.watch(interval=0):
                updates.append(update)
                if update.round == 1:
                    emu.set_charger(changed, status="Faulted")
                    emu.remove_charger(removed)
                    added = emu.add_charger()
                elif update.round == 2:
                    emu.add_fault(Fault("status", status=500, method="GET", path="/chargers", times=20))
                elif update.round == 3:
                    emu.clear_faults()
                    emu.set_charger(changed, status="Available")
                else:
                    break
        first, second, failed, fourth = updates
        assert first.initial and not first.changes and first.snapshot is not None
        assert [(c.charger, c.field, c.old, c.new) for c in second.changes] == [
            (changed, "status", "Available", "Faulted")
        ]
        assert [c.uuid for c in second.appeared] == [added] and second.disappeared == (removed,)
        assert failed.snapshot is None and isinstance(failed.error, InternalServerError)
        assert [(c.field, c.old, c.new) for c in fourth.changes] == [("status", "Faulted", "Available")]
        assert not fourth.appeared and not fourth.disappeared  # compared with the last good round


async def test_watch_break_stops_and_validates_interval() -> None:
    async with PlugchoiceEmulator(chargers=10, token=TOKEN, rate_limit=None) as emu:
        async with PlugchoiceClient(TOKEN, base_url=emu.base_url, rate_limit=None) as client:
            async for update in client.fleet.watch(interval=0):
                if update.round == 2:
                    break
            sent = client.stats.requests
            await asyncio.sleep(0)
            assert client.stats.requests == sent
            with pytest.raises(InvalidRequestError):
                async for _ in client.fleet.watch(interval=-1):
                    pass


async def test_watch_cancelled_mid_round_leaves_nothing_running() -> None:
    release = asyncio.Event()

    async def held(_: float) -> None:  # the emulator's sleep: a delayed page is answered when the test says so
        await release.wait()

    async with PlugchoiceEmulator(chargers=300, token=TOKEN, rate_limit=None, sleep=held) as emu:
        second_round = asyncio.Event()

        def on_attempt(event: RequestEvent) -> None:
            if rounds and event.path != "/teams":  # round 2's listing pages: sent together, one answered
                second_round.set()

        rounds: list[int] = []

        async def consume(client: PlugchoiceClient) -> None:
            async for update in client.fleet.watch(interval=0):
                rounds.append(update.round)
                # Round 2 has a page held by the emulator: cancelling finds it on the wire.
                emu.add_fault(Fault("delay", delay=1.0, method="GET", path="/chargers"))

        async with PlugchoiceClient(TOKEN, base_url=emu.base_url, rate_limit=None, hooks=[on_attempt]) as client:
            task = asyncio.ensure_future(consume(client))
            await second_round.wait()  # a request of round 2 has been answered: others are on the wire
            assert client.stats.in_flight > 0
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert client.stats.in_flight == 0
        ours = [
            t
            for t in asyncio.all_tasks()
            if not t.done() and "plugchoice_async/resources" in t.get_coro().cr_code.co_filename  # type: ignore[union-attr]
        ]
        assert ours == []
        release.set()
