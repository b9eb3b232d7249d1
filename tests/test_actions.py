"""``client.chargers.actions``: live OCPP commands, which the SDK must never send twice on its own.

1. Exact requests (aioresponses): each command's path and JSON body, wrapped/flat/empty answers, and the
   transport rules as they apply to commands (504 -> ChargerTimeoutError, 5xx and lost connections not
   retried, a refused connection or a 429 retried).
2. Validation before sending: a bad argument raises InvalidRequestError and the emulator sees nothing.
3. Safety against the emulator, whose chargers really apply commands: a charger that confirms too late, a
   connection cut before or after the command ran, a 429, an offline charger, a refusal; in every case the
   number of commands that reached the charger (``emu.actions``) and the state after it are checked.
4. Each command end to end (start/stop, restart, limits and their stack levels, profiles), 403 and 422.
"""

from __future__ import annotations

import math
import types
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import orjson
import pytest
from aioresponses import CallbackResult, aioresponses

from plugchoice_async import (
    APIConnectionError,
    ChargerTimeoutError,
    InternalServerError,
    InvalidRequestError,
    PermissionDeniedError,
    PlugchoiceClient,
    RetryPolicy,
    UnprocessableEntityError,
)
from plugchoice_async.models import (
    ActionResult,
    ActionStatus,
    ChargePointStatus,
    ChargingProfile,
    ChargingProfileKind,
    ChargingProfilePurpose,
    ChargingRateUnit,
    ChargingSchedule,
    ChargingSchedulePeriod,
    RecurrencyKind,
)
from plugchoice_async.testing import Fault, PlugchoiceEmulator
from tests.conftest import FakeSleep, bodies, make_client

BASE = "https://api.test/api/v3"
UUID = "445bd3f6-8f2c-38cb-aa04-2f4e1edb32bb"
ACTIONS = f"{BASE}/chargers/{UUID}/actions"
TIMEOUT_BODY = {"message": "The charger did not respond in time."}


def profile(**changes: Any) -> ChargingProfile:
    fields: dict[str, Any] = {
        "charging_profile_id": 7,
        "stack_level": 2,
        "charging_profile_purpose": ChargingProfilePurpose.TX_DEFAULT_PROFILE,
        "charging_profile_kind": ChargingProfileKind.ABSOLUTE,
        "valid_from": datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
        "charging_schedule": ChargingSchedule(
            start_schedule=datetime(2026, 3, 1, 8, 0),
            charging_rate_unit=ChargingRateUnit.A,
            charging_schedule_period=(
                ChargingSchedulePeriod(start_period=0, limit=16.0, number_phases=3),
                ChargingSchedulePeriod(start_period=3600, limit=6.5),
            ),
        ),
    }
    fields.update(changes)
    return ChargingProfile(**fields)


# -- 1. exact requests ------------------------------------------------------------------------------

Send = Callable[[PlugchoiceClient], Awaitable[ActionResult]]

REQUESTS: list[tuple[str, Send, str, Any]] = [
    (
        "start",
        lambda c: c.chargers.actions.start(UUID, id_token="04A1B2C3", connector_id=2),
        "start",
        {"id_token": "04A1B2C3", "connector_id": 2},
    ),
    ("start-any-connector", lambda c: c.chargers.actions.start(UUID, id_token="T"), "start", {"id_token": "T"}),
    ("stop", lambda c: c.chargers.actions.stop(UUID, transaction_id=5), "stop", {"transaction_id": 5}),
    ("stop-active", lambda c: c.chargers.actions.stop(UUID), "stop", {}),
    ("restart", lambda c: c.chargers.actions.restart(UUID), "restart", None),
    (
        "charge-limit-defaults",
        lambda c: c.chargers.actions.set_charge_limit(UUID, limit=16),
        "charge-limit",
        {"connector_id": 0, "limit": 16, "stack_level": 1},
    ),
    (
        "charge-limit",
        lambda c: c.chargers.actions.set_charge_limit(UUID, limit=6.5, connector_id=2, stack_level=0),
        "charge-limit",
        {"connector_id": 2, "limit": 6.5, "stack_level": 0},
    ),
    (
        "charging-profile",
        lambda c: c.chargers.actions.set_charging_profile(UUID, connector_id=1, charging_profile=profile()),
        "charging-profile",
        {
            "connector_id": 1,
            "charging_profile": {
                "charging_profile_id": 7,
                "stack_level": 2,
                "charging_profile_purpose": "TxDefaultProfile",
                "charging_profile_kind": "Absolute",
                "valid_from": "2026-03-01T08:00:00Z",
                "charging_schedule": {
                    "start_schedule": "2026-03-01T08:00:00Z",
                    "charging_rate_unit": "A",
                    "charging_schedule_period": [
                        {"start_period": 0, "limit": 16, "number_phases": 3},
                        {"start_period": 3600, "limit": 6.5},
                    ],
                },
            },
        },
    ),
    (
        "clear-all",
        lambda c: c.chargers.actions.clear_charging_profile(UUID),
        "clear-charging-profile",
        {},
    ),
    (
        "clear-some",
        lambda c: c.chargers.actions.clear_charging_profile(
            UUID, id=7, connector_id=0, charging_profile_purpose="TxProfile", stack_level=3
        ),
        "clear-charging-profile",
        {"id": 7, "connector_id": 0, "charging_profile_purpose": "TxProfile", "stack_level": 3},
    ),
]


@pytest.mark.parametrize(("send", "action", "body"), [pytest.param(s, a, b, id=i) for i, s, a, b in REQUESTS])
@pytest.mark.parametrize("wrapped", [False, True])
async def test_each_command_posts_its_body_once(send: Send, action: str, body: Any, wrapped: bool) -> None:
    answer = {"status": "Accepted"}
    with aioresponses() as mocked:
        mocked.post(f"{ACTIONS}/{action}", payload={"data": answer} if wrapped else answer)
        async with make_client(BASE) as client:
            result = await send(client)
    assert result == ActionResult(status=ActionStatus.ACCEPTED)
    assert bodies(mocked) == [("POST", f"/api/v3/chargers/{UUID}/actions/{action}", body)]


async def test_integral_limits_go_out_as_integers() -> None:
    with aioresponses() as mocked:
        mocked.post(f"{ACTIONS}/charge-limit", payload={"status": "Accepted"})
        async with make_client(BASE) as client:
            await client.chargers.actions.set_charge_limit(UUID, limit=16.0)
    [(_, _, body)] = bodies(mocked)
    assert type(body["limit"]) is int


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        ({}, None),  # the older reference prints {} for charge-limit: no outcome reported
        ({"data": {}}, None),
        ({"status": "Rejected"}, ActionStatus.REJECTED),
        ({"status": "Unknown"}, ActionStatus.UNKNOWN),
        ({"status": "SomethingNew"}, "SomethingNew"),  # open enum: a new value never fails
    ],
)
async def test_answers_flat_empty_and_unknown(answer: Any, status: Any) -> None:
    with aioresponses() as mocked:
        mocked.post(f"{ACTIONS}/charge-limit", payload=answer)
        async with make_client(BASE) as client:
            result = await client.chargers.actions.set_charge_limit(UUID, limit=10)
    assert result.status == status


async def test_an_empty_204_answer_is_a_result_without_status() -> None:
    with aioresponses() as mocked:
        mocked.post(f"{ACTIONS}/restart", status=204, body=b"")
        async with make_client(BASE) as client:
            assert await client.chargers.actions.restart(UUID) == ActionResult(status=None)


async def test_504_is_charger_timeout_and_never_retried(fake_sleep: FakeSleep) -> None:
    with aioresponses() as mocked:
        mocked.post(f"{ACTIONS}/start", status=504, payload=TIMEOUT_BODY, repeat=True)
        async with make_client(BASE, sleep=fake_sleep, retry=RetryPolicy(max_retries=3)) as client:
            with pytest.raises(ChargerTimeoutError) as info:
                await client.chargers.actions.start(UUID, id_token="T")
            assert client.stats.requests == 1
    assert len(bodies(mocked)) == 1
    assert fake_sleep.delays == []
    assert "may still have been executed" in str(info.value)
    assert info.value.message == TIMEOUT_BODY["message"]


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_on_a_command_are_not_retried(status: int, fake_sleep: FakeSleep) -> None:
    with aioresponses() as mocked:
        mocked.post(f"{ACTIONS}/stop", status=status, payload={"message": "Server Error"}, repeat=True)
        async with make_client(BASE, sleep=fake_sleep, retry=RetryPolicy(max_retries=3)) as client:
            with pytest.raises(InternalServerError) as info:
                await client.chargers.actions.stop(UUID)
    assert not isinstance(info.value, ChargerTimeoutError)
    assert len(bodies(mocked)) == 1
    assert fake_sleep.delays == []


async def test_a_connection_lost_after_sending_is_not_retried(fake_sleep: FakeSleep) -> None:
    with aioresponses() as mocked:
        mocked.post(f"{ACTIONS}/start", exception=aiohttp.ServerDisconnectedError(), repeat=True)
        async with make_client(BASE, sleep=fake_sleep, retry=RetryPolicy(max_retries=3)) as client:
            with pytest.raises(APIConnectionError) as info:
                await client.chargers.actions.start(UUID, id_token="T")
    assert info.value.request_sent is True
    assert len(bodies(mocked)) == 1
    assert fake_sleep.delays == []


async def test_a_refused_connection_is_retried_because_nothing_was_sent(fake_sleep: FakeSleep) -> None:
    refused = aiohttp.ClientConnectorError(
        types.SimpleNamespace(host="api.test", port=443, ssl=True),  # type: ignore[arg-type]
        ConnectionRefusedError(111, "Connection refused"),
    )
    with aioresponses() as mocked:
        mocked.post(f"{ACTIONS}/start", exception=refused)
        mocked.post(f"{ACTIONS}/start", payload={"status": "Accepted"})
        async with make_client(BASE, sleep=fake_sleep, retry=RetryPolicy(max_retries=3)) as client:
            result = await client.chargers.actions.start(UUID, id_token="T")
            assert client.stats.retries == {"connection": 1}
    assert result.status == ActionStatus.ACCEPTED
    assert len(fake_sleep.delays) == 1


async def test_a_429_on_a_command_is_retried_after_the_servers_delay(fake_sleep: FakeSleep) -> None:
    calls: list[Any] = []

    def answer(url: Any, **kwargs: Any) -> CallbackResult:
        calls.append(orjson.loads(kwargs["data"]))
        if len(calls) == 1:
            return CallbackResult(status=429, payload={"message": "Too Many Attempts."}, headers={"Retry-After": "2"})
        return CallbackResult(payload={"status": "Accepted"})

    with aioresponses() as mocked:
        mocked.post(f"{ACTIONS}/start", callback=answer, repeat=True)
        async with make_client(BASE, sleep=fake_sleep, retry=RetryPolicy(max_retries=3)) as client:
            result = await client.chargers.actions.start(UUID, id_token="T", connector_id=1)
    assert result.status == ActionStatus.ACCEPTED
    assert calls == [{"id_token": "T", "connector_id": 1}] * 2
    assert fake_sleep.delays == [2.0]


# -- 2. validation before sending ----------------------------------------------------------------------

Call = Callable[[PlugchoiceClient, str], Awaitable[Any]]

INVALID: list[tuple[str, Call, str]] = [
    ("start: bad uuid", lambda c, u: c.chargers.actions.start("abc", id_token="T"), "UUID"),
    ("start: empty token", lambda c, u: c.chargers.actions.start(u, id_token=""), "id_token"),
    ("start: blank token", lambda c, u: c.chargers.actions.start(u, id_token="   "), "id_token"),
    ("start: token of 21", lambda c, u: c.chargers.actions.start(u, id_token="X" * 21), "20 characters"),
    ("start: token not text", lambda c, u: c.chargers.actions.start(u, id_token=1234), "id_token"),  # type: ignore[arg-type]
    ("start: connector 0", lambda c, u: c.chargers.actions.start(u, id_token="T", connector_id=0), "connector_id"),
    (
        "start: connector bool",
        lambda c, u: c.chargers.actions.start(u, id_token="T", connector_id=True),
        "connector_id",
    ),
    ("start: connector 1.0", lambda c, u: c.chargers.actions.start(u, id_token="T", connector_id=1.0), "connector_id"),  # type: ignore[arg-type]
    ("stop: negative id", lambda c, u: c.chargers.actions.stop(u, transaction_id=-1), "transaction_id"),
    ("stop: id as text", lambda c, u: c.chargers.actions.stop(u, transaction_id="12"), "transaction_id"),  # type: ignore[arg-type]
    ("restart: bad uuid", lambda c, u: c.chargers.actions.restart(u + "/x"), "UUID"),
    ("limit: negative", lambda c, u: c.chargers.actions.set_charge_limit(u, limit=-0.5), "limit"),
    ("limit: nan", lambda c, u: c.chargers.actions.set_charge_limit(u, limit=math.nan), "limit"),
    ("limit: inf", lambda c, u: c.chargers.actions.set_charge_limit(u, limit=math.inf), "limit"),
    ("limit: text", lambda c, u: c.chargers.actions.set_charge_limit(u, limit="16"), "limit"),  # type: ignore[arg-type]
    ("limit: connector -1", lambda c, u: c.chargers.actions.set_charge_limit(u, limit=6, connector_id=-1), "connector"),
    ("limit: stack -1", lambda c, u: c.chargers.actions.set_charge_limit(u, limit=6, stack_level=-1), "stack_level"),
    (
        "profile: not a profile",
        lambda c, u: c.chargers.actions.set_charging_profile(u, connector_id=1, charging_profile={"stack_level": 1}),  # type: ignore[arg-type]
        "ChargingProfile",
    ),
    (
        "profile: connector -1",
        lambda c, u: c.chargers.actions.set_charging_profile(u, connector_id=-1, charging_profile=profile()),
        "connector_id",
    ),
    (
        "profile: stack -1",
        lambda c, u: c.chargers.actions.set_charging_profile(
            u, connector_id=1, charging_profile=profile(stack_level=-1)
        ),
        "stack_level",
    ),
    (
        "profile: purpose",
        lambda c, u: c.chargers.actions.set_charging_profile(
            u, connector_id=1, charging_profile=profile(charging_profile_purpose="MaxProfile")
        ),
        "purpose",
    ),
    (
        "profile: recurring without recurrency",
        lambda c, u: c.chargers.actions.set_charging_profile(
            u, connector_id=1, charging_profile=profile(charging_profile_kind=ChargingProfileKind.RECURRING)
        ),
        "recurrency_kind",
    ),
    (
        "profile: no period",
        lambda c, u: c.chargers.actions.set_charging_profile(
            u,
            connector_id=1,
            charging_profile=profile(
                charging_schedule=ChargingSchedule(charging_rate_unit="A", charging_schedule_period=())
            ),
        ),
        "at least one period",
    ),
    (
        "profile: four phases",
        lambda c, u: c.chargers.actions.set_charging_profile(
            u,
            connector_id=1,
            charging_profile=profile(
                charging_schedule=ChargingSchedule(
                    charging_rate_unit="W",
                    charging_schedule_period=(ChargingSchedulePeriod(start_period=0, limit=1, number_phases=4),),
                )
            ),
        ),
        "number_phases",
    ),
    (
        "profile: negative limit",
        lambda c, u: c.chargers.actions.set_charging_profile(
            u,
            connector_id=1,
            charging_profile=profile(
                charging_schedule=ChargingSchedule(
                    charging_rate_unit="A",
                    charging_schedule_period=(ChargingSchedulePeriod(start_period=0, limit=-1),),
                )
            ),
        ),
        "limit",
    ),
    (
        "clear: purpose",
        lambda c, u: c.chargers.actions.clear_charging_profile(u, charging_profile_purpose="Everything"),
        "purpose",
    ),
    ("clear: stack -1", lambda c, u: c.chargers.actions.clear_charging_profile(u, stack_level=-1), "stack_level"),
    ("clear: id as text", lambda c, u: c.chargers.actions.clear_charging_profile(u, id="7"), "id"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("call", "match"), [pytest.param(c, m, id=i) for i, c, m in INVALID])
async def test_invalid_commands_send_nothing(emulator: PlugchoiceEmulator, call: Call, match: str) -> None:
    async with make_client(emulator.base_url) as client:
        with pytest.raises(InvalidRequestError, match=match) as info:
            await call(client, emulator.uuids[0])
    assert isinstance(info.value, ValueError)
    assert emulator.requests == []
    assert emulator.actions == []


# -- 3. safety: never a duplicate command --------------------------------------------------------------


def ready(emu: PlugchoiceEmulator) -> str:
    """An online charger, every connector Available and no session (set before its history exists)."""
    uuid = next(
        u
        for u, c in emu.chargers.items()
        if c["connection_status"] == "online" and c["connectors"][0].get("power_type") == "AC_3_PHASE"
    )
    connectors = {c["connector_id"]: "Available" for c in emu.chargers[uuid]["connectors"]}
    emu.set_charger(uuid, status="Available", connectors=connectors)
    return uuid


def posts(emu: PlugchoiceEmulator, action: str) -> list[int]:
    """The statuses of the POSTs of ``action`` the emulator received (0: connection dropped)."""
    return [r.status for r in emu.requests if r.method == "POST" and r.path.endswith(f"/actions/{action}")]


def started(emu: PlugchoiceEmulator) -> list[tuple[str, bool]]:
    return [(a.outcome, a.applied) for a in emu.actions if a.action == "start"]


async def test_slow_charger_timeout_is_not_retried_and_the_session_did_start(
    emulator: PlugchoiceEmulator, fake_sleep: FakeSleep
) -> None:
    uuid = ready(emulator)
    emulator.set_action_behaviour(uuid, "slow")  # applies the command, then answers 504
    async with make_client(emulator.base_url, sleep=fake_sleep, retry=RetryPolicy(max_retries=3)) as client:
        with pytest.raises(ChargerTimeoutError) as info:
            await client.chargers.actions.start(uuid, id_token="04A1B2C3", connector_id=1)
        assert client.stats.total_retries == 0
        # what an integration should do next: read the state instead of sending the command again
        session = await client.chargers.active_transaction(uuid, connector=1)
        charger = await client.chargers.get(uuid)
    assert info.value.status == 504
    assert "may still have been executed" in str(info.value)
    assert started(emulator) == [("Timeout", True)]  # exactly one start reached the charger, and it ran
    assert posts(emulator, "start") == [504]
    assert fake_sleep.delays == []
    assert session is not None and session.id_tag == "04A1B2C3" and session.stopped_at is None
    assert charger.connectors[0].status == ChargePointStatus.CHARGING


async def test_connection_dropped_before_an_answer_is_not_retried(
    emulator: PlugchoiceEmulator, fake_sleep: FakeSleep
) -> None:
    uuid = ready(emulator)
    emulator.add_fault(Fault("drop", method="POST", path=f"/chargers/{uuid}/actions/start"))
    async with make_client(emulator.base_url, sleep=fake_sleep, retry=RetryPolicy(max_retries=3)) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.chargers.actions.start(uuid, id_token="T", connector_id=1)
        assert client.stats.total_retries == 0
        assert await client.chargers.active_transaction(uuid) is None
    assert info.value.request_sent is True
    assert posts(emulator, "start") == [0]  # one start arrived; the emulator dropped it before the charger
    assert emulator.actions == []
    assert fake_sleep.delays == []


async def test_answer_lost_after_the_command_ran_is_not_retried(
    emulator: PlugchoiceEmulator, fake_sleep: FakeSleep
) -> None:
    uuid = ready(emulator)
    # the route runs (the session starts), then the connection breaks halfway through the answer
    emulator.add_fault(Fault("truncate", method="POST", path=f"/chargers/{uuid}/actions/start"))
    async with make_client(emulator.base_url, sleep=fake_sleep, retry=RetryPolicy(max_retries=3)) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.chargers.actions.start(uuid, id_token="T", connector_id=1)
        session = await client.chargers.active_transaction(uuid)
    assert info.value.request_sent is True
    assert started(emulator) == [("Accepted", True)]
    assert len(posts(emulator, "start")) == 1
    assert session is not None and session.id_tag == "T"
    assert fake_sleep.delays == []


async def test_429_on_start_is_retried_once_and_applied_once(
    emulator: PlugchoiceEmulator, fake_sleep: FakeSleep
) -> None:
    uuid = ready(emulator)
    emulator.add_fault(
        Fault("status", status=429, headers={"Retry-After": "1"}, method="POST", path=f"/chargers/{uuid}/actions/start")
    )
    async with make_client(emulator.base_url, sleep=fake_sleep, retry=RetryPolicy(max_retries=3)) as client:
        result = await client.chargers.actions.start(uuid, id_token="T", connector_id=1)
        assert client.stats.retries == {"429": 1}
        sessions = [tx async for tx in client.chargers.transactions(uuid, status="active")]
    assert result.status == ActionStatus.ACCEPTED
    assert posts(emulator, "start") == [429, 200]  # refused unprocessed, then sent once more
    assert started(emulator) == [("Accepted", True)]  # and applied exactly once
    assert len(sessions) == 1
    assert fake_sleep.delays == [1.0]


async def test_offline_charger_times_out_and_nothing_happens(
    emulator: PlugchoiceEmulator, fake_sleep: FakeSleep
) -> None:
    uuid = ready(emulator)
    emulator.set_action_behaviour(uuid, "offline")
    async with make_client(emulator.base_url, sleep=fake_sleep, retry=RetryPolicy(max_retries=3)) as client:
        with pytest.raises(ChargerTimeoutError):
            await client.chargers.actions.start(uuid, id_token="T", connector_id=1)
        assert await client.chargers.active_transaction(uuid) is None
        charger = await client.chargers.get(uuid)
    assert started(emulator) == [("Timeout", False)]
    assert posts(emulator, "start") == [504]
    assert charger.connectors[0].status == ChargePointStatus.AVAILABLE
    assert fake_sleep.delays == []


async def test_rejecting_charger_answers_rejected(emulator: PlugchoiceEmulator) -> None:
    uuid = ready(emulator)
    emulator.set_action_behaviour(uuid, "reject")
    async with make_client(emulator.base_url) as client:
        result = await client.chargers.actions.start(uuid, id_token="T")
        assert await client.chargers.active_transaction(uuid) is None
    assert result.status == ActionStatus.REJECTED
    assert started(emulator) == [("Rejected", False)]


async def test_start_then_stop_closes_the_session(emulator: PlugchoiceEmulator) -> None:
    uuid = ready(emulator)
    async with make_client(emulator.base_url) as client:
        assert (await client.chargers.actions.start(uuid, id_token="04A1B2C3", connector_id=1)).status == "Accepted"
        busy = await client.chargers.actions.start(uuid, id_token="04A1B2C3", connector_id=1)
        session = await client.chargers.active_transaction(uuid)
        assert session is not None
        stopped = await client.chargers.actions.stop(uuid, transaction_id=session.id)
        again = await client.chargers.actions.stop(uuid, transaction_id=session.id)
        after = await client.chargers.active_transaction(uuid)
        finished = await client.chargers.transactions(uuid, status="finished", limit=1)
        charger = await client.chargers.get(uuid)
    assert busy.status == ActionStatus.REJECTED  # the connector is busy: the charger itself refuses a second start
    assert stopped.status == ActionStatus.ACCEPTED
    assert again.status == ActionStatus.REJECTED
    assert after is None
    assert finished.items[0].id == session.id
    assert finished.items[0].stop_reason == "Remote"
    assert finished.items[0].stopped_at is not None
    assert charger.connectors[0].status == ChargePointStatus.AVAILABLE
    assert [(a.action, a.body) for a in emulator.actions] == [
        ("start", {"id_token": "04A1B2C3", "connector_id": 1}),
        ("start", {"id_token": "04A1B2C3", "connector_id": 1}),
        ("stop", {"transaction_id": session.id}),
        ("stop", {"transaction_id": session.id}),
    ]


async def test_restart_ends_the_running_session(emulator: PlugchoiceEmulator) -> None:
    uuid = ready(emulator)
    async with make_client(emulator.base_url) as client:
        await client.chargers.actions.start(uuid, id_token="T", connector_id=1)
        result = await client.chargers.actions.restart(uuid)
        assert await client.chargers.active_transaction(uuid) is None
        last = (await client.chargers.transactions(uuid, limit=1)).items[0]
    assert result.status == ActionStatus.ACCEPTED
    assert last.stop_reason == "SoftReset"
    assert [a.action for a in emulator.actions] == ["start", "restart"]


async def test_charge_limit_and_a_higher_stack_level_overriding_it(emulator: PlugchoiceEmulator) -> None:
    uuid = ready(emulator)
    async with make_client(emulator.base_url) as client:
        assert (await client.chargers.actions.set_charge_limit(uuid, limit=20)).status == "Accepted"
        assert (await client.chargers.get(uuid)).max_current == 20
        await client.chargers.actions.set_charge_limit(uuid, limit=10, stack_level=5)
        await client.chargers.actions.set_charge_limit(uuid, limit=25)  # stack level 1: overridden by level 5
        assert (await client.chargers.get(uuid)).max_current == 10
        cleared = await client.chargers.actions.clear_charging_profile(uuid, stack_level=5)
        assert (await client.chargers.get(uuid)).max_current == 25
        nothing = await client.chargers.actions.clear_charging_profile(uuid, stack_level=9)
    assert cleared.status == ActionStatus.ACCEPTED
    assert nothing.status == ActionStatus.UNKNOWN
    assert [a.body for a in emulator.actions if a.action == "charge-limit"] == [
        {"connector_id": 0, "limit": 20, "stack_level": 1},
        {"connector_id": 0, "limit": 10, "stack_level": 5},
        {"connector_id": 0, "limit": 25, "stack_level": 1},
    ]


async def test_zero_amps_pauses_the_session(emulator: PlugchoiceEmulator) -> None:
    uuid = ready(emulator)
    async with make_client(emulator.base_url) as client:
        await client.chargers.actions.start(uuid, id_token="T", connector_id=1)
        await client.chargers.actions.set_charge_limit(uuid, limit=0, connector_id=1)
        paused = (await client.chargers.get(uuid)).connectors[0].status
        await client.chargers.actions.set_charge_limit(uuid, limit=16, connector_id=1)
        resumed = (await client.chargers.get(uuid)).connectors[0].status
    assert (paused, resumed) == (ChargePointStatus.SUSPENDED_EVSE, ChargePointStatus.CHARGING)


async def test_charging_profile_reaches_the_charger_as_sent(emulator: PlugchoiceEmulator) -> None:
    uuid = ready(emulator)
    watts = profile(
        charging_profile_id=11,
        stack_level=3,
        charging_profile_kind=ChargingProfileKind.RECURRING,
        recurrency_kind=RecurrencyKind.DAILY,
        charging_schedule=ChargingSchedule(
            duration=86_400,
            charging_rate_unit=ChargingRateUnit.W,
            charging_schedule_period=(ChargingSchedulePeriod(start_period=0, limit=6900.0, number_phases=3),),
        ),
    )
    async with make_client(emulator.base_url) as client:
        result = await client.chargers.actions.set_charging_profile(uuid, connector_id=0, charging_profile=watts)
        charger = await client.chargers.get(uuid)
        removed = await client.chargers.actions.clear_charging_profile(uuid, id=11)
    assert result.status == removed.status == ActionStatus.ACCEPTED
    assert charger.max_current == 10  # 6900 W over 3 phases at 230 V
    assert emulator.actions[0].body["charging_profile"] == {
        "charging_profile_id": 11,
        "stack_level": 3,
        "charging_profile_purpose": "TxDefaultProfile",
        "charging_profile_kind": "Recurring",
        "recurrency_kind": "Daily",
        "valid_from": "2026-03-01T08:00:00Z",
        "charging_schedule": {
            "duration": 86400,
            "charging_rate_unit": "W",
            "charging_schedule_period": [{"start_period": 0, "limit": 6900, "number_phases": 3}],
        },
    }


async def test_tx_profile_without_a_session_is_rejected_by_the_charger(emulator: PlugchoiceEmulator) -> None:
    uuid = ready(emulator)
    async with make_client(emulator.base_url) as client:
        result = await client.chargers.actions.set_charging_profile(
            uuid, connector_id=1, charging_profile=profile(charging_profile_purpose="TxProfile", transaction_id=1)
        )
    assert result.status == ActionStatus.REJECTED


COMMANDS: list[tuple[str, Call]] = [
    ("start", lambda c, u: c.chargers.actions.start(u, id_token="T")),
    ("stop", lambda c, u: c.chargers.actions.stop(u)),
    ("restart", lambda c, u: c.chargers.actions.restart(u)),
    ("charge-limit", lambda c, u: c.chargers.actions.set_charge_limit(u, limit=6)),
    (
        "charging-profile",
        lambda c, u: c.chargers.actions.set_charging_profile(u, connector_id=1, charging_profile=profile()),
    ),
    ("clear-charging-profile", lambda c, u: c.chargers.actions.clear_charging_profile(u)),
]


@pytest.mark.parametrize("call", [pytest.param(c, id=i) for i, c in COMMANDS])
async def test_another_owners_charger_is_permission_denied(emulator: PlugchoiceEmulator, call: Call) -> None:
    async with make_client(emulator.base_url, retry=RetryPolicy(max_retries=3)) as client:
        with pytest.raises(PermissionDeniedError):
            await call(client, emulator.foreign_uuids[0])
    assert len(emulator.requests) == 1
    assert emulator.actions == []


async def test_server_422_on_a_command_keeps_the_field_errors(emulator: PlugchoiceEmulator) -> None:
    uuid = ready(emulator)
    body = orjson.dumps(
        {"message": "The id token is not known.", "errors": {"id_token": ["The id token is not known."]}}
    )
    emulator.add_fault(Fault("status", status=422, body=body, method="POST", path=f"/chargers/{uuid}/actions/start"))
    async with make_client(emulator.base_url, retry=RetryPolicy(max_retries=3)) as client:
        with pytest.raises(UnprocessableEntityError) as info:
            await client.chargers.actions.start(uuid, id_token="UNKNOWN")
    assert info.value.errors == {"id_token": ["The id token is not known."]}
    assert posts(emulator, "start") == [422]
    assert emulator.actions == []
