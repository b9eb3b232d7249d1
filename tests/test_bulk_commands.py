"""``client.chargers.bulk_command``, ``bulk_command_run`` and ``wait_bulk_command``.

1. Exact requests (aioresponses): the POST body, the 202, both envelopes of the run (a bare run has a
   ``data`` key of its own), the GET, and the command safety rules (a dropped connection and a 504 are
   raised after one request, never repeated).
2. Validation before sending: a bad argument raises InvalidRequestError and nothing is sent.
3. Waiting: polls every ``interval`` until ``completed``, or raises BulkCommandTimeoutError with the
   last run seen (a fake clock stepped by a fake sleep: no real waiting).
4. The models against the published example through the strict converter.
5. Against the emulator: a Reset over a few chargers, a foreign charger skipped, a dropped POST.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

from plugchoice_async import (
    APIConnectionError,
    BulkCommandCharger,
    BulkCommandResult,
    BulkCommandRun,
    BulkCommandTimeoutError,
    BulkResultStatus,
    BulkRunStatus,
    ChargerTimeoutError,
    InvalidRequestError,
    NotFoundError,
    PlugchoiceClient,
    PlugchoiceError,
    RetryPolicy,
    _converter,
)
from plugchoice_async.resources.chargers import Chargers, _run_document
from plugchoice_async.testing import Fault, PlugchoiceEmulator
from tests.conftest import TOKEN, FakeClock, FakeSleep, bodies, load_fixture, make_client

BASE = "https://api.test/api/v3"
BULK = f"{BASE}/chargers/commands/bulk"
RUN = "9b1d2c3e-5a6f-4b7c-8d9e-0f1a2b3c4d5e"
A = "445bd3f6-8f2c-38cb-aa04-2f4e1edb32bb"
B = "51c7cf5e-fac2-3ac6-8ef8-61e6050503af"
TIMEOUT_BODY = {"message": "The charger did not respond in time."}


def run_json(status: str = "running", *, data: Any = None, sent: int = 0, pending: int = 2) -> dict[str, Any]:
    """A run over chargers A (sent, or pending) and B (pending), as the API documents it."""
    results: list[dict[str, Any]] = [
        {
            "charger_uuid": A,
            "status": "sent" if sent else "pending",
            "message": None,
            "executed_at": "2026-01-10T01:14:32.000000Z" if sent else None,
            "charger": {"uuid": A, "identity": "EVB-P2447137", "reference": None},
        },
        {"charger_uuid": B, "status": "pending", "message": None, "executed_at": None, "charger": None},
    ]
    return {
        "uuid": RUN,
        "command": "Reset",
        "data": {"type": "Soft"} if data is None else data,
        "status": status,
        "total_count": 2,
        "sent_count": sent,
        "offline_count": 0,
        "error_count": 0,
        "skipped_count": 2 - sent - pending,
        "results": results,
    }


class ClockedSleep(FakeSleep):
    """A fake sleep that steps a fake clock by the delay it is asked for: time passes, nobody waits."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock

    async def __call__(self, delay: float) -> None:
        self.clock.advance(delay)
        await super().__call__(delay)


@pytest.fixture
async def client() -> AsyncIterator[PlugchoiceClient]:
    async with make_client(BASE, retry=RetryPolicy(max_retries=3)) as c:
        yield c


def polling(client: PlugchoiceClient, clock: FakeClock, sleep: ClockedSleep) -> Chargers:
    """``client.chargers`` with the fake clock and sleep (the resource's injection points)."""
    return client.with_options(sleep=sleep, clock=clock).chargers


# -- 1. exact requests -----------------------------------------------------------------------------------


@pytest.mark.parametrize("wrapped", [False, True], ids=["bare", "wrapped"])
async def test_posts_the_command_once_and_reads_the_202_run(client: PlugchoiceClient, wrapped: bool) -> None:
    answer = run_json()
    with aioresponses() as mocked:
        mocked.post(BULK, status=202, payload={"data": answer} if wrapped else answer)
        run = await client.chargers.bulk_command("Reset", [A, B], {"type": "Soft"})
    assert bodies(mocked) == [
        (
            "POST",
            "/api/v3/chargers/commands/bulk",
            {"command": "Reset", "charger_ids": [A, B], "data": {"type": "Soft"}},
        )
    ]
    # the bare run's own "data" (an object) is the payload, not an envelope
    assert run.data == {"type": "Soft"}
    assert run.uuid == RUN and run.command == "Reset"
    assert run.status is BulkRunStatus.RUNNING and not run.done
    assert (run.total_count, run.sent_count, run.skipped_count) == (2, 0, 0)
    assert [r.status for r in run.results] == [BulkResultStatus.PENDING] * 2
    assert run.results[0].charger == BulkCommandCharger(uuid=A, identity="EVB-P2447137", reference=None)
    assert run.results[1].charger is None


async def test_ids_are_checked_lowercased_and_sent_once_in_order(client: PlugchoiceClient) -> None:
    ids: list[str | uuid.UUID] = [B.upper(), uuid.UUID(A), B, A]
    with aioresponses() as mocked:
        mocked.post(BULK, status=202, payload=run_json())
        await client.chargers.bulk_command("Reset", iter(ids))  # any iterable, a generator too
    [(_, _, body)] = bodies(mocked)
    assert body == {"command": "Reset", "charger_ids": [B, A]}  # no data key when none is given


def test_the_request_has_the_documented_keys() -> None:
    """The body keys are those of the published request example (``command``, ``data``, ``charger_ids``)."""
    assert set(load_fixture("actions.bulk-command.docs-request.json")) == {"command", "data", "charger_ids"}


@pytest.mark.parametrize("answer", [run_json(data=[]), {"data": run_json(data=[])}], ids=["bare", "wrapped"])
async def test_an_empty_payload_php_encoded_as_a_list_is_an_empty_mapping(
    client: PlugchoiceClient, answer: Any
) -> None:
    with aioresponses() as mocked:
        mocked.post(BULK, status=202, payload=answer)
        run = await client.chargers.bulk_command("Reset", [A])
    assert run.data == {}


async def test_a_completed_run_with_unknown_statuses(client: PlugchoiceClient) -> None:
    answer = run_json("completed", sent=1, pending=0)
    answer["results"][1].update(status="skipped_forbidden", message="No access to this charger.")
    fresh = {**answer, "status": "archived", "results": [{**answer["results"][0], "status": "acknowledged"}]}
    with aioresponses() as mocked:
        mocked.get(f"{BULK}/{RUN}", payload={"data": answer})
        mocked.get(f"{BULK}/{RUN}", payload=fresh)
        run = await client.chargers.bulk_command_run(RUN)
        newer = await client.chargers.bulk_command_run(uuid.UUID(RUN))
    assert run.done and run.sent_count == 1 and run.skipped_count == 1
    assert run.results[0].executed_at == datetime(2026, 1, 10, 1, 14, 32, tzinfo=UTC)
    assert run.results[1].status is BulkResultStatus.SKIPPED_FORBIDDEN
    assert run.results[1].message == "No access to this charger."
    # open enums: values the API adds later stay strings and never fail
    assert newer.status == "archived" and not newer.done
    assert newer.results[0].status == "acknowledged"


async def test_an_unknown_run_is_not_found(client: PlugchoiceClient) -> None:
    with aioresponses() as mocked:
        mocked.get(f"{BULK}/{RUN}", status=404, payload={"message": "Not found."})
        with pytest.raises(NotFoundError):
            await client.chargers.bulk_command_run(RUN)


async def test_a_connection_dropped_after_sending_is_not_repeated(fake_sleep: FakeSleep) -> None:
    with aioresponses() as mocked:
        mocked.post(BULK, exception=aiohttp.ServerDisconnectedError(), repeat=True)
        async with make_client(BASE, sleep=fake_sleep, retry=RetryPolicy(max_retries=3)) as client:
            with pytest.raises(APIConnectionError) as info:
                await client.chargers.bulk_command("Reset", [A, B])
            assert client.stats.requests == 1
    assert info.value.request_sent is True
    assert len(bodies(mocked)) == 1
    assert fake_sleep.delays == []


async def test_504_is_charger_timeout_and_not_repeated(fake_sleep: FakeSleep) -> None:
    with aioresponses() as mocked:
        mocked.post(BULK, status=504, payload=TIMEOUT_BODY, repeat=True)
        async with make_client(BASE, sleep=fake_sleep, retry=RetryPolicy(max_retries=3)) as client:
            with pytest.raises(ChargerTimeoutError) as info:
                await client.chargers.bulk_command("Reset", [A])
    assert len(bodies(mocked)) == 1
    assert fake_sleep.delays == []
    assert info.value.message == TIMEOUT_BODY["message"]


# -- 2. validation before sending ------------------------------------------------------------------------

Call = Callable[[PlugchoiceClient], Awaitable[Any]]


def bulk(*args: Any) -> Call:
    """``client.chargers.bulk_command(*args)``, untyped: the point is to pass what the types forbid."""
    return lambda c: c.chargers.bulk_command(*args)


INVALID: list[tuple[str, Call, str]] = [
    ("empty command", bulk("", [A]), "command must not be empty"),
    ("blank command", bulk("  ", [A]), "command must not be empty"),
    ("command with a space", bulk("Re set", [A]), "letters only"),
    ("command with a digit", bulk("Reset2", [A]), "letters only"),
    ("command not text", bulk(5, [A]), "command must be a string"),
    ("no chargers", bulk("Reset", []), "at least one charger id"),
    ("one id, not a list", bulk("Reset", A), "iterable of charger ids"),
    ("one UUID, not a list", bulk("Reset", uuid.UUID(A)), "iterable of charger ids"),
    ("not an iterable", bulk("Reset", 7), "iterable of charger ids"),
    ("not an id", bulk("Reset", [A, "../user"]), "must be a UUID"),
    ("data not a mapping", bulk("Reset", [A], [("type", "Soft")]), "data must be a mapping"),
    ("data key not text", bulk("Reset", [A], {1: "Soft"}), "string keys"),
    ("run not a uuid", lambda c: c.chargers.bulk_command_run("latest"), "bulk command run id must be a UUID"),
    ("wait: run not a uuid", lambda c: c.chargers.wait_bulk_command("x"), "bulk command run id must be a UUID"),
    ("wait: interval 0", lambda c: c.chargers.wait_bulk_command(RUN, interval=0), "interval must be greater than 0"),
    ("wait: timeout < 0", lambda c: c.chargers.wait_bulk_command(RUN, timeout=-1), "timeout must be greater than 0"),
    ("wait: timeout NaN", lambda c: c.chargers.wait_bulk_command(RUN, timeout=float("nan")), "finite number"),
]


@pytest.mark.parametrize(("call", "match"), [pytest.param(c, m, id=i) for i, c, m in INVALID])
async def test_invalid_arguments_send_nothing(client: PlugchoiceClient, call: Call, match: str) -> None:
    with aioresponses() as mocked:
        with pytest.raises(InvalidRequestError, match=match):
            await call(client)
    assert bodies(mocked) == []


# -- 3. waiting ------------------------------------------------------------------------------------------


async def test_wait_polls_every_interval_until_completed(client: PlugchoiceClient) -> None:
    clock = FakeClock()
    sleep = ClockedSleep(clock)
    chargers = polling(client, clock, sleep)
    with aioresponses() as mocked:
        mocked.post(BULK, status=202, payload=run_json())
        mocked.get(f"{BULK}/{RUN}", payload={"data": run_json()})
        mocked.get(f"{BULK}/{RUN}", payload={"data": run_json(sent=1, pending=1)})
        mocked.get(f"{BULK}/{RUN}", payload=run_json("completed", sent=2, pending=0))
        started = await chargers.bulk_command("Reset", [A, B], {"type": "Soft"})
        run = await chargers.wait_bulk_command(started, interval=2.5)
    assert run.done and run.sent_count == 2
    assert [m for m, _, _ in bodies(mocked)] == ["POST", "GET", "GET", "GET"]
    assert sleep.delays == [2.5, 2.5, 2.5]  # no poll right after the POST: the run was just read


async def test_wait_on_a_uuid_reads_at_once_and_a_completed_run_is_returned_as_is(client: PlugchoiceClient) -> None:
    clock = FakeClock()
    sleep = ClockedSleep(clock)
    chargers = polling(client, clock, sleep)
    with aioresponses() as mocked:
        mocked.get(f"{BULK}/{RUN}", payload={"data": run_json("completed", sent=2, pending=0)})
        run = await chargers.wait_bulk_command(RUN)
        again = await chargers.wait_bulk_command(run)
    assert again is run and run.done
    assert len(bodies(mocked)) == 1
    assert sleep.delays == []


async def test_wait_timeout_raises_with_the_last_run(client: PlugchoiceClient) -> None:
    clock = FakeClock()
    sleep = ClockedSleep(clock)
    chargers = polling(client, clock, sleep)
    with aioresponses() as mocked:
        for _ in range(3):
            mocked.get(f"{BULK}/{RUN}", payload={"data": run_json()})
        mocked.get(f"{BULK}/{RUN}", payload={"data": run_json(sent=1, pending=1)})
        with pytest.raises(BulkCommandTimeoutError) as info:
            await chargers.wait_bulk_command(uuid.UUID(RUN), interval=2, timeout=5)
    # read at once, then at 2 s, 4 s and at the deadline (5 s): never waits past it
    assert sleep.delays == [2, 2, 1]
    assert len(bodies(mocked)) == 4
    error = info.value
    assert isinstance(error, PlugchoiceError)
    assert isinstance(error.run, BulkCommandRun) and error.run.sent_count == 1 and not error.run.done
    assert error.timeout == 5
    assert str(error) == (
        f"bulk command run {RUN} (Reset) not completed after 5 s: "
        "1 sent, 0 offline, 0 errors, 0 skipped, 1 pending of 2 chargers"
    )


async def test_a_failing_poll_is_raised(client: PlugchoiceClient) -> None:
    clock = FakeClock()
    chargers = polling(client, clock, ClockedSleep(clock))
    with aioresponses() as mocked:
        mocked.get(f"{BULK}/{RUN}", payload={"data": run_json()})
        mocked.get(f"{BULK}/{RUN}", status=404, payload={"message": "Not found."})
        with pytest.raises(NotFoundError):
            await chargers.wait_bulk_command(RUN)


# -- 4. models against the published example -------------------------------------------------------------


def test_the_published_run_structures_strictly() -> None:
    doc = copy.deepcopy(load_fixture("actions.bulk-command.docs.json"))
    # the page shows results as [{}]: fill the one row with the documented fields
    doc["results"] = [
        {
            "charger_uuid": "<string>",
            "status": "<string>",
            "message": "<string>",
            "executed_at": "2026-01-10T01:14:32.000000Z",
            "charger": {"uuid": "<string>", "identity": "<string>", "reference": "<string>"},
        }
    ]
    for answer in (doc, {"data": doc}):
        run = _converter.structure_strict(_run_document(answer), BulkCommandRun)
        assert run == _converter.structure(_run_document(answer), BulkCommandRun)  # production reads the same
        assert run.data == {} and run.status == "<string>" and run.total_count == 123
        assert run.results == (
            BulkCommandResult(
                charger_uuid="<string>",
                status="<string>",
                message="<string>",
                executed_at=datetime(2026, 1, 10, 1, 14, 32, tzinfo=UTC),
                charger=BulkCommandCharger(uuid="<string>", identity="<string>", reference="<string>"),
            ),
        )
    # a stray key anywhere is API drift: the strict converter names it
    doc["results"][0]["charger"]["site"] = None
    with pytest.raises(_converter.StructureError, match="site"):
        _converter.structure_strict(_run_document(doc), BulkCommandRun)


def test_minimal_result_rows_default_to_none() -> None:
    row = _converter.structure_strict({"charger_uuid": A, "status": "pending"}, BulkCommandResult)
    assert row == BulkCommandResult(charger_uuid=A, status=BulkResultStatus.PENDING)
    assert row.message is None and row.executed_at is None and row.charger is None


# -- 5. against the emulator -----------------------------------------------------------------------------


def bulk_posts(emu: PlugchoiceEmulator) -> list[int]:
    """The statuses of the bulk-command POSTs the emulator received (0: connection dropped)."""
    return [r.status for r in emu.requests if r.method == "POST" and r.path.endswith("/chargers/commands/bulk")]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def emu(clock: FakeClock) -> AsyncIterator[PlugchoiceEmulator]:
    """An emulator on a fake clock: a bulk run progresses only when the test's sleep steps the clock."""
    async with PlugchoiceEmulator(chargers=20, token=TOKEN, rate_limit=None, clock=clock) as emulator:
        emulator.bulk_delay = 1.0  # the i-th charger's job runs i + 1 seconds after the run is created
        yield emulator


def online(emu: PlugchoiceEmulator, count: int) -> list[str]:
    return [u for u in emu.uuids if emu.chargers[u]["connection_status"] == "online"][:count]


async def test_emulator_reset_over_a_few_chargers_completes(emu: PlugchoiceEmulator, clock: FakeClock) -> None:
    fleet = online(emu, 3)
    sleep = ClockedSleep(clock)
    async with make_client(emu.base_url) as client:
        chargers = polling(client, clock, sleep)
        started = await chargers.bulk_command("Reset", fleet, {"type": "Soft"})
        assert started.status is BulkRunStatus.RUNNING and started.total_count == 3 and started.sent_count == 0
        run = await chargers.wait_bulk_command(started, interval=0.5, timeout=60)
    assert run.done and run.uuid == started.uuid and run.data == {"type": "Soft"}
    assert run.sent_count == 3 == run.total_count
    assert (run.offline_count, run.error_count, run.skipped_count) == (0, 0, 0)
    assert [r.charger_uuid for r in run.results] == fleet
    assert all(r.status is BulkResultStatus.SENT and r.executed_at is not None for r in run.results)
    assert [r.charger.uuid for r in run.results if r.charger is not None] == fleet
    assert sleep.delays == [0.5] * 6  # the third job is due 3 s after the run was created
    assert bulk_posts(emu) == [202]
    # the emulator's documents are exactly the model (no key the model lacks)
    [document] = emu.bulk_runs
    assert _converter.structure_strict(_run_document(document), BulkCommandRun) == run
    # each charger received the command exactly once
    assert sorted(a.uuid for a in emu.actions if a.action == "bulk-command") == sorted(fleet)


async def test_emulator_foreign_charger_is_skipped_forbidden(emu: PlugchoiceEmulator, clock: FakeClock) -> None:
    [own] = online(emu, 1)
    foreign = emu.foreign_uuids[0]
    async with make_client(emu.base_url) as client:
        chargers = polling(client, clock, ClockedSleep(clock))
        started = await chargers.bulk_command("Reset", [own, foreign])
        run = await chargers.wait_bulk_command(started, interval=1, timeout=30)
    by_uuid = {r.charger_uuid: r for r in run.results}
    assert by_uuid[foreign].status is BulkResultStatus.SKIPPED_FORBIDDEN
    assert by_uuid[foreign].charger is None  # no access: the charger is not shown
    assert by_uuid[own].status is BulkResultStatus.SENT
    assert (run.sent_count, run.skipped_count, run.total_count) == (1, 1, 2)
    assert [a.uuid for a in emu.actions] == [own]


async def test_emulator_dropped_post_raises_once_and_creates_no_run(
    emu: PlugchoiceEmulator, fake_sleep: FakeSleep
) -> None:
    emu.add_fault(Fault("drop", method="POST", path="/chargers/commands/bulk"))
    async with make_client(emu.base_url, sleep=fake_sleep, retry=RetryPolicy(max_retries=3)) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.chargers.bulk_command("Reset", online(emu, 3))
    assert info.value.request_sent is True
    assert bulk_posts(emu) == [0]  # exactly one POST arrived, and the emulator dropped it
    assert len(emu.requests) == 1
    assert fake_sleep.delays == []
    assert emu.bulk_runs == []
    assert emu.actions == []


async def test_emulator_wait_gives_up_at_the_timeout_with_the_last_run(
    emu: PlugchoiceEmulator, clock: FakeClock
) -> None:
    fleet = online(emu, 5)
    async with make_client(emu.base_url) as client:
        chargers = polling(client, clock, ClockedSleep(clock))
        started = await chargers.bulk_command("Reset", fleet)
        with pytest.raises(BulkCommandTimeoutError) as info:
            await chargers.wait_bulk_command(started.uuid, interval=1, timeout=3)
    last = info.value.run
    assert last.uuid == started.uuid and not last.done
    # read at 3 s: three jobs done, two pending
    assert (last.sent_count, last.total_count) == (3, 5)
    assert [r.status for r in last.results].count(BulkResultStatus.PENDING) == 2
    assert f"{started.uuid} (Reset) not completed after 3 s: 3 sent" in str(info.value)
    assert "2 pending of 5 chargers" in str(info.value)
