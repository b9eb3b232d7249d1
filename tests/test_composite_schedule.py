"""``client.chargers.actions.composite_schedule``: OCPP GetCompositeSchedule, a read sent as a command.

1. Exact requests (aioresponses): the body, both envelopes of the camelCase answer, a rejection without
   a schedule, and the command safety rules (a 504 and a dropped connection after one request).
2. Validation before sending: a bad argument raises InvalidRequestError and nothing is sent.
3. The published example through the strict converter.
4. Against the emulator: a charge limit set, then read back merged into the composite schedule.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

from plugchoice_async import (
    ActionStatus,
    APIConnectionError,
    ChargerTimeoutError,
    ChargingRateUnit,
    ChargingSchedule,
    ChargingSchedulePeriod,
    CompositeSchedule,
    InvalidRequestError,
    PlugchoiceClient,
    RetryPolicy,
    _converter,
)
from plugchoice_async.testing import PlugchoiceEmulator
from tests.conftest import FakeSleep, bodies, load_fixture, make_client

BASE = "https://api.test/api/v3"
UUID = "445bd3f6-8f2c-38cb-aa04-2f4e1edb32bb"
URL = f"{BASE}/chargers/{UUID}/actions/composite-schedule"
PATH = f"/api/v3/chargers/{UUID}/actions/composite-schedule"
TS = "2026-01-10T01:14:32.000000Z"

ANSWER: dict[str, Any] = {
    "status": "Accepted",
    "connectorId": 0,
    "scheduleStart": TS,
    "chargingSchedule": {
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [
            {"startPeriod": 0, "limit": 16, "numberPhases": 3},
            {"startPeriod": 1800, "limit": 6.5},
        ],
        "duration": 3600,
        "startSchedule": TS,
    },
}
EXPECTED = CompositeSchedule(
    status=ActionStatus.ACCEPTED,
    connector_id=0,
    schedule_start=datetime(2026, 1, 10, 1, 14, 32, tzinfo=UTC),
    charging_schedule=ChargingSchedule(
        duration=3600,
        start_schedule=datetime(2026, 1, 10, 1, 14, 32, tzinfo=UTC),
        charging_rate_unit=ChargingRateUnit.A,
        charging_schedule_period=(
            ChargingSchedulePeriod(start_period=0, limit=16.0, number_phases=3),
            ChargingSchedulePeriod(start_period=1800, limit=6.5),
        ),
    ),
)


@pytest.fixture
async def client() -> AsyncIterator[PlugchoiceClient]:
    async with make_client(BASE, retry=RetryPolicy(max_retries=3)) as c:
        yield c


# -- 1. exact requests -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "body"),
    [
        (None, {"connector_id": 0, "duration": 3600}),
        ("W", {"connector_id": 0, "duration": 3600, "charging_rate_unit": "W"}),
        (ChargingRateUnit.A, {"connector_id": 0, "duration": 3600, "charging_rate_unit": "A"}),
    ],
)
@pytest.mark.parametrize("wrapped", [False, True], ids=["bare", "wrapped"])
async def test_posts_its_body_once_and_reads_the_camel_case_answer(
    client: PlugchoiceClient, unit: Any, body: dict[str, Any], wrapped: bool
) -> None:
    with aioresponses() as mocked:
        mocked.post(URL, payload={"data": ANSWER} if wrapped else ANSWER)
        schedule = await client.chargers.actions.composite_schedule(
            UUID, connector_id=0, duration=3600, charging_rate_unit=unit
        )
    assert schedule == EXPECTED
    assert bodies(mocked) == [("POST", PATH, body)]


def test_the_request_has_the_documented_keys() -> None:
    assert set(load_fixture("actions.composite-schedule.docs-request.json")) == {
        "connector_id",
        "duration",
        "charging_rate_unit",
    }


async def test_a_rejection_has_no_schedule(client: PlugchoiceClient) -> None:
    with aioresponses() as mocked:
        mocked.post(URL, payload={"status": "Rejected", "connectorId": 2})
        schedule = await client.chargers.actions.composite_schedule(UUID, connector_id=2, duration=60)
    assert schedule == CompositeSchedule(status=ActionStatus.REJECTED, connector_id=2)


async def test_504_is_charger_timeout_and_not_repeated(fake_sleep: FakeSleep) -> None:
    with aioresponses() as mocked:
        mocked.post(URL, status=504, payload={"message": "The charger did not respond in time."}, repeat=True)
        async with make_client(BASE, sleep=fake_sleep, retry=RetryPolicy(max_retries=3)) as client:
            with pytest.raises(ChargerTimeoutError):
                await client.chargers.actions.composite_schedule(UUID, connector_id=1, duration=60)
    assert len(bodies(mocked)) == 1
    assert fake_sleep.delays == []


async def test_a_connection_dropped_after_sending_is_not_repeated(fake_sleep: FakeSleep) -> None:
    with aioresponses() as mocked:
        mocked.post(URL, exception=aiohttp.ServerDisconnectedError(), repeat=True)
        async with make_client(BASE, sleep=fake_sleep, retry=RetryPolicy(max_retries=3)) as client:
            with pytest.raises(APIConnectionError) as info:
                await client.chargers.actions.composite_schedule(UUID, connector_id=1, duration=60)
    assert info.value.request_sent is True
    assert len(bodies(mocked)) == 1
    assert fake_sleep.delays == []


# -- 2. validation before sending ------------------------------------------------------------------------


def composite(charger: Any = UUID, **kwargs: Any) -> Callable[[PlugchoiceClient], Awaitable[Any]]:
    """``actions.composite_schedule`` with what the types forbid."""
    fields = {"connector_id": 0, "duration": 60, **kwargs}
    return lambda c: c.chargers.actions.composite_schedule(charger, **fields)


INVALID = [
    ("connector below 0", composite(connector_id=-1), "connector_id must be at least 0"),
    ("connector a float", composite(connector_id=1.0), "connector_id must be an integer"),
    ("connector a bool", composite(connector_id=True), "connector_id must be an integer"),
    ("duration 0", composite(duration=0), "duration must be at least 1"),
    ("duration negative", composite(duration=-60), "duration must be at least 1"),
    ("duration a float", composite(duration=1.5), "duration must be an integer"),
    ("unit unknown", composite(charging_rate_unit="kW"), "charging_rate_unit must be one of"),
    ("unit lowercase", composite(charging_rate_unit="a"), "charging_rate_unit must be one of"),
    ("charger not a uuid", composite("../user"), "charger id must be a UUID"),
]


@pytest.mark.parametrize(("call", "match"), [pytest.param(c, m, id=i) for i, c, m in INVALID])
async def test_invalid_arguments_send_nothing(client: PlugchoiceClient, call: Any, match: str) -> None:
    with aioresponses() as mocked:
        with pytest.raises(InvalidRequestError, match=match):
            await call(client)
    assert bodies(mocked) == []


# -- 3. the published example ----------------------------------------------------------------------------


def test_the_published_answer_structures_strictly() -> None:
    doc = copy.deepcopy(load_fixture("actions.composite-schedule.docs.json"))
    # placeholders where a timestamp goes: give them one; every key stays as published
    doc["scheduleStart"] = doc["chargingSchedule"]["startSchedule"] = TS
    for answer in (doc, {"data": doc}):
        schedule = _converter.structure_strict(answer, CompositeSchedule)
        assert schedule == _converter.structure(answer, CompositeSchedule)
        assert schedule.status == "<string>" and schedule.connector_id == 123
        assert schedule.charging_schedule is not None
        assert schedule.charging_schedule.min_charging_rate == 123
        assert schedule.charging_schedule.charging_schedule_period == (
            ChargingSchedulePeriod(start_period=123, limit=123, number_phases=123),
        )


# -- 4. against the emulator -----------------------------------------------------------------------------


async def test_emulator_reads_back_a_charge_limit(emulator: PlugchoiceEmulator) -> None:
    charger = next(u for u in emulator.uuids if emulator.chargers[u]["connection_status"] == "online")
    async with make_client(emulator.base_url) as client:
        limited = await client.chargers.actions.set_charge_limit(charger, limit=10, connector_id=0)
        schedule = await client.chargers.actions.composite_schedule(
            charger, connector_id=0, duration=3600, charging_rate_unit="A"
        )
    assert limited.status is ActionStatus.ACCEPTED
    assert schedule.status is ActionStatus.ACCEPTED
    assert schedule.connector_id == 0
    assert schedule.charging_schedule is not None
    assert schedule.charging_schedule.charging_rate_unit is ChargingRateUnit.A
    assert [p.limit for p in schedule.charging_schedule.charging_schedule_period] == [10.0]
    posts = [r for r in emulator.requests if r.method == "POST" and r.path.endswith("/composite-schedule")]
    assert len(posts) == 1
