"""``client.chargers.settings`` and ``client.chargers.connectors``.

Exact requests through aioresponses (paths, bodies, wrapped and flat answers, 204), then end to end against
the emulator: settings that change the charger (a lock makes it Unavailable), validation before sending, and
the server's 403/404/422.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest
from aioresponses import aioresponses

from plugchoice_async import (
    ChargerTimeoutError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    PlugchoiceClient,
    RetryPolicy,
    UnprocessableEntityError,
)
from plugchoice_async.models import (
    ActionStatus,
    ChargePointStatus,
    Connector,
    LatestMeterValue,
    LockSetting,
    Measurand,
    PlugAndChargeSetting,
    PowerUsage,
    PublicChargingSetting,
    SocketLockSetting,
)
from plugchoice_async.testing import PlugchoiceEmulator
from tests.conftest import FakeSleep, load_fixture, make_client

BASE = "https://api.test/api/v3"
UUID = "445bd3f6-8f2c-38cb-aa04-2f4e1edb32bb"
CHARGER = f"{BASE}/chargers/{UUID}"


def sent(mocked: aioresponses) -> list[tuple[str, str, Any]]:
    """(method, path, decoded JSON body or None) of every request aioresponses saw."""
    out = []
    for (method, url), calls in mocked.requests.items():
        for call in calls:
            data = call.kwargs.get("data")
            out.append((method, url.path, orjson.loads(data) if data else None))
    return out


def public_charging() -> dict[str, Any]:
    body = load_fixture("settings.public-charging.docs.json")
    body.update(currency="EUR", public_code="12DDBB", public_url="https://app.plugchoice.com/charge/12DDBB")
    body["connect"]["team_name"] = "Team"
    body["billing"]["plan"] = "percentage"
    return body  # type: ignore[no-any-return]


# -- settings: exact requests ------------------------------------------------------------------------------


@pytest.mark.parametrize("wrapped", [False, True])
async def test_setting_reads_wrapped_or_flat(wrapped: bool) -> None:
    def answer(body: Any) -> Any:
        return {"data": body} if wrapped else body

    with aioresponses() as mocked:
        mocked.get(f"{CHARGER}/settings/lock", payload=answer({"enabled": True}))
        mocked.get(f"{CHARGER}/settings/socket-lock", payload=answer({"enabled": False, "interactable": False}))
        mocked.get(f"{CHARGER}/settings/plug-charge", payload=answer({"enabled": True, "current_card": "04A1B2C3"}))
        mocked.get(f"{CHARGER}/settings/public-charging", payload=answer(public_charging()))
        async with make_client(BASE) as client:
            lock = await client.chargers.settings.get_lock(UUID)
            socket = await client.chargers.settings.get_socket_lock(UUID)
            plug = await client.chargers.settings.get_plug_and_charge(UUID)
            public = await client.chargers.settings.get_public_charging(UUID)
    assert lock == LockSetting(enabled=True)
    assert socket == SocketLockSetting(enabled=False, interactable=False, error=None)
    assert plug == PlugAndChargeSetting(enabled=True, current_card="04A1B2C3")
    assert isinstance(public, PublicChargingSetting)
    assert public.price_per_kwh == 123 and public.limits is not None and public.limits.max_start_fee == 123
    assert [(m, p) for m, p, _ in sent(mocked)] == [
        ("GET", f"/api/v3/chargers/{UUID}/settings/{name}")
        for name in ("lock", "socket-lock", "plug-charge", "public-charging")
    ]


async def test_setters_post_their_bodies_and_accept_204_or_an_empty_object() -> None:
    with aioresponses() as mocked:
        mocked.post(f"{CHARGER}/settings/lock", status=204, body=b"")
        mocked.post(f"{CHARGER}/settings/plug-charge", payload={})  # the published answer is {}
        mocked.post(f"{CHARGER}/settings/plug-charge", status=204, body=b"")
        async with make_client(BASE) as client:
            # neither a 204 nor {} is structured into anything: these setters return None
            await client.chargers.settings.set_lock(UUID, True)
            await client.chargers.settings.set_plug_and_charge(UUID, enabled=True, card_uid="bngzmiyvdljnikhw")
            await client.chargers.settings.set_plug_and_charge(UUID, enabled=False)
    assert sent(mocked) == [
        ("POST", f"/api/v3/chargers/{UUID}/settings/lock", {"enabled": True}),
        ("POST", f"/api/v3/chargers/{UUID}/settings/plug-charge", {"enabled": True, "card_uid": "bngzmiyvdljnikhw"}),
        ("POST", f"/api/v3/chargers/{UUID}/settings/plug-charge", {"enabled": False}),
    ]


async def test_set_public_charging_body_and_answer() -> None:
    request = load_fixture("settings.public-charging-set.docs-request.json")
    with aioresponses() as mocked:
        mocked.post(f"{CHARGER}/settings/public-charging", payload={"data": public_charging()})
        async with make_client(BASE) as client:
            setting = await client.chargers.settings.set_public_charging(
                UUID, enabled=True, price_per_kwh=123, start_fee=123, billing_plan="<string>"
            )
    assert setting.enabled is True
    assert sent(mocked) == [("POST", f"/api/v3/chargers/{UUID}/settings/public-charging", request)]


async def test_set_public_charging_leaves_out_what_is_not_given_and_reads_back_after_204() -> None:
    with aioresponses() as mocked:
        mocked.post(f"{CHARGER}/settings/public-charging", status=204, body=b"")
        mocked.get(f"{CHARGER}/settings/public-charging", payload={**public_charging(), "enabled": False})
        async with make_client(BASE) as client:
            setting = await client.chargers.settings.set_public_charging(UUID, enabled=False)
    assert setting.enabled is False
    assert sent(mocked) == [
        ("POST", f"/api/v3/chargers/{UUID}/settings/public-charging", {"enabled": False}),
        ("GET", f"/api/v3/chargers/{UUID}/settings/public-charging", None),
    ]


async def test_a_504_on_the_lock_is_a_charger_timeout_never_retried(fake_sleep: FakeSleep) -> None:
    with aioresponses() as mocked:
        mocked.post(f"{CHARGER}/settings/lock", status=504, payload={"message": "The charger did not respond in time."})
        async with make_client(BASE, sleep=fake_sleep, retry=RetryPolicy(max_retries=3)) as client:
            with pytest.raises(ChargerTimeoutError):
                await client.chargers.settings.set_lock(UUID, False)
    assert len(sent(mocked)) == 1
    assert fake_sleep.delays == []


# -- connectors: exact requests ---------------------------------------------------------------------------


@pytest.mark.parametrize("wrapped", [True, False])
async def test_connector_update_puts_rotation_and_amperage(wrapped: bool) -> None:
    answer = load_fixture("connectors.update.volttime.json")
    with aioresponses() as mocked:
        mocked.put(f"{CHARGER}/connectors/2", payload=answer if wrapped else answer["data"])
        async with make_client(BASE) as client:
            connector = await client.chargers.connectors.update(UUID, 2, phase_rotation="RS", max_amperage=1)
    assert isinstance(connector, Connector)
    assert connector.status == ChargePointStatus.UNAVAILABLE
    assert sent(mocked) == [
        ("PUT", f"/api/v3/chargers/{UUID}/connectors/2", load_fixture("connectors.update.volttime-request.json"))
    ]


async def test_latest_meter_value_and_power_usage() -> None:
    latest = {
        "connectorId": 1,
        "meterValue": [
            {
                "timestamp": "2026-03-01T10:00:00Z",
                "sampledValue": [
                    {"value": "12345", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                    {"value": "-", "measurand": "Power.Active.Import", "unit": "W"},
                ],
            }
        ],
    }
    with aioresponses() as mocked:
        mocked.get(f"{CHARGER}/connectors/1/latest-metervalue", payload=latest)
        mocked.get(f"{CHARGER}/connectors/1/power-usage", payload=load_fixture("connectors.power-usage.volttime.json"))
        async with make_client(BASE) as client:
            reading = await client.chargers.connectors.latest_meter_value(UUID, 1)
            power = await client.chargers.connectors.power_usage(UUID, 1)
    assert isinstance(reading, LatestMeterValue)
    [sample] = reading.meter_value
    assert sample.sampled_value[0].value == 12345.0
    assert sample.sampled_value[0].measurand == Measurand.ENERGY_ACTIVE_IMPORT_REGISTER
    assert sample.sampled_value[1].value is None and sample.sampled_value[1].raw_value == "-"
    assert isinstance(power, PowerUsage)
    assert (power.l1, power.l2, power.l3, power.kw) == (0.0, None, None, 0.0)
    assert [p for _, p, _ in sent(mocked)] == [
        f"/api/v3/chargers/{UUID}/connectors/1/latest-metervalue",
        f"/api/v3/chargers/{UUID}/connectors/1/power-usage",
    ]


# -- validation before sending ------------------------------------------------------------------------------

Call = Callable[[PlugchoiceClient, str], Awaitable[Any]]

INVALID: list[tuple[str, Call, str]] = [
    ("lock: not a bool", lambda c, u: c.chargers.settings.set_lock(u, 1), "enabled"),  # type: ignore[arg-type]
    ("lock: bad uuid", lambda c, u: c.chargers.settings.get_lock("x"), "UUID"),
    ("plug: card missing", lambda c, u: c.chargers.settings.set_plug_and_charge(u, enabled=True), "card_uid"),
    (
        "plug: card of 21",
        lambda c, u: c.chargers.settings.set_plug_and_charge(u, enabled=True, card_uid="A" * 21),
        "20 characters",
    ),
    (
        "plug: empty card",
        lambda c, u: c.chargers.settings.set_plug_and_charge(u, enabled=True, card_uid=""),
        "card_uid",
    ),
    (
        "public: negative price",
        lambda c, u: c.chargers.settings.set_public_charging(u, enabled=True, price_per_kwh=-1),
        "price_per_kwh",
    ),
    (
        "public: price in euros",
        lambda c, u: c.chargers.settings.set_public_charging(u, enabled=True, price_per_kwh=0.35),  # type: ignore[arg-type]
        "price_per_kwh",
    ),
    (
        "public: negative fee",
        lambda c, u: c.chargers.settings.set_public_charging(u, enabled=True, start_fee=-5),
        "start_fee",
    ),
    (
        "public: enabled missing",
        lambda c, u: c.chargers.settings.set_public_charging(u, enabled=None),  # type: ignore[arg-type]
        "enabled",
    ),
    ("connector: number 0", lambda c, u: c.chargers.connectors.power_usage(u, 0), "connector"),
    ("connector: number as text", lambda c, u: c.chargers.connectors.latest_meter_value(u, "1"), "connector"),  # type: ignore[arg-type]
    (
        "connector: unknown rotation",
        lambda c, u: c.chargers.connectors.update(u, 1, phase_rotation="ABC", max_amperage=16),
        "phase_rotation",
    ),
    (
        "connector: amperage 0",
        lambda c, u: c.chargers.connectors.update(u, 1, phase_rotation="RST", max_amperage=0),
        "max_amperage",
    ),
    (
        "connector: amperage 1001",
        lambda c, u: c.chargers.connectors.update(u, 1, phase_rotation="RST", max_amperage=1001),
        "max_amperage",
    ),
    (
        "connector: amperage float",
        lambda c, u: c.chargers.connectors.update(u, 1, phase_rotation="RST", max_amperage=16.5),  # type: ignore[arg-type]
        "max_amperage",
    ),
]


@pytest.mark.parametrize(("call", "match"), [pytest.param(c, m, id=i) for i, c, m in INVALID])
async def test_invalid_arguments_send_nothing(emulator: PlugchoiceEmulator, call: Call, match: str) -> None:
    async with make_client(emulator.base_url) as client:
        with pytest.raises(InvalidRequestError, match=match):
            await call(client, emulator.uuids[0])
    assert emulator.requests == []


# -- end to end (emulator) ------------------------------------------------------------------------------


def ready(emu: PlugchoiceEmulator) -> str:
    """An online three-phase socket charger, every connector Available and no session."""
    uuid = next(
        u
        for u, c in emu.chargers.items()
        if c["connection_status"] == "online"
        and c["connectors"][0].get("power_type") == "AC_3_PHASE"
        and c["connectors"][0].get("format") == "Socket"
    )
    connectors = {c["connector_id"]: "Available" for c in emu.chargers[uuid]["connectors"]}
    emu.set_charger(uuid, status="Available", connectors=connectors)
    return uuid


async def test_lock_makes_the_charger_unavailable_and_refuses_sessions(emulator: PlugchoiceEmulator) -> None:
    uuid = ready(emulator)
    async with make_client(emulator.base_url) as client:
        assert await client.chargers.settings.get_lock(uuid) == LockSetting(enabled=False)
        await client.chargers.settings.set_lock(uuid, True)
        assert await client.chargers.settings.get_lock(uuid) == LockSetting(enabled=True)
        locked = await client.chargers.get(uuid)
        refused = await client.chargers.actions.start(uuid, id_token="T", connector_id=1)
        await client.chargers.settings.set_lock(uuid, False)
        unlocked = await client.chargers.get(uuid)
    assert locked.status == ChargePointStatus.UNAVAILABLE
    assert all(c.status == ChargePointStatus.UNAVAILABLE for c in locked.connectors)
    assert refused.status == ActionStatus.REJECTED
    assert unlocked.status == ChargePointStatus.AVAILABLE
    assert unlocked.connectors[0].status == ChargePointStatus.AVAILABLE
    assert [r.status for r in emulator.requests if r.method == "POST" and r.path.endswith("/lock")] == [204, 204]


async def test_socket_lock_reports_why_it_cannot_change(emulator: PlugchoiceEmulator) -> None:
    online = ready(emulator)
    never_seen = next(u for u, c in emulator.chargers.items() if c["connection_status"] == "never_seen")
    async with make_client(emulator.base_url) as client:
        socket = await client.chargers.settings.get_socket_lock(online)
        unseen = await client.chargers.settings.get_socket_lock(never_seen)
    assert socket == SocketLockSetting(enabled=True, interactable=True, error=None)
    assert unseen.interactable is False and unseen.error


async def test_plug_and_charge_round_trip(emulator: PlugchoiceEmulator) -> None:
    uuid = ready(emulator)
    async with make_client(emulator.base_url) as client:
        await client.chargers.settings.set_plug_and_charge(uuid, enabled=True, card_uid="04A1B2C3D4E5F6")
        on = await client.chargers.settings.get_plug_and_charge(uuid)
        await client.chargers.settings.set_plug_and_charge(uuid, enabled=False)
        off = await client.chargers.settings.get_plug_and_charge(uuid)
    assert on == PlugAndChargeSetting(enabled=True, current_card="04A1B2C3D4E5F6")
    assert off == PlugAndChargeSetting(enabled=False, current_card=None)


async def test_public_charging_round_trip_and_the_servers_price_cap(emulator: PlugchoiceEmulator) -> None:
    uuid = ready(emulator)
    async with make_client(emulator.base_url, retry=RetryPolicy(max_retries=3)) as client:
        before = await client.chargers.settings.get_public_charging(uuid)
        assert before.limits is not None and before.limits.max_price_per_kwh is not None
        cap = before.limits.max_price_per_kwh
        after = await client.chargers.settings.set_public_charging(
            uuid, enabled=True, price_per_kwh=cap, start_fee=0, billing_plan="percentage"
        )
        assert await client.chargers.settings.get_public_charging(uuid) == after
        requests_before = len(emulator.requests)
        with pytest.raises(UnprocessableEntityError) as info:  # the cap is the platform's: only it can check
            await client.chargers.settings.set_public_charging(uuid, enabled=True, price_per_kwh=cap + 1)
        unchanged = await client.chargers.settings.get_public_charging(uuid)
    assert (after.enabled, after.price_per_kwh, after.start_fee) == (True, cap, 0)
    assert list(info.value.errors) == ["price_per_kwh"]
    assert str(cap) in info.value.errors["price_per_kwh"][0]
    assert len(emulator.requests) == requests_before + 2  # the 422 was not retried (+ the GET after it)
    assert unchanged.price_per_kwh == cap


async def test_connector_update_round_trip(emulator: PlugchoiceEmulator) -> None:
    uuid = ready(emulator)
    async with make_client(emulator.base_url) as client:
        connector = await client.chargers.connectors.update(uuid, 1, phase_rotation="TSR", max_amperage=25)
        charger = await client.chargers.get(uuid)
        with pytest.raises(NotFoundError):
            await client.chargers.connectors.update(uuid, 9, phase_rotation="R", max_amperage=16)
    assert (connector.connector_id, connector.phase_rotation, connector.max_amperage) == (1, "TSR", 25)
    assert (charger.connectors[0].phase_rotation, charger.connectors[0].max_amperage) == ("TSR", 25)


async def test_live_readings_of_a_charging_connector(emulator: PlugchoiceEmulator) -> None:
    uuid = ready(emulator)
    async with make_client(emulator.base_url) as client:
        idle = await client.chargers.connectors.power_usage(uuid, 1)
        await client.chargers.actions.start(uuid, id_token="T", connector_id=1)
        power = await client.chargers.connectors.power_usage(uuid, 1)
        latest = await client.chargers.connectors.latest_meter_value(uuid, 1)
        session = await client.chargers.active_transaction(uuid)
    assert idle.kw == 0.0
    assert power.kw is not None and power.kw > 0
    assert power.l1 is not None and power.l1 == power.l2 == power.l3  # three phases, evenly loaded
    assert latest.connector_id == 1
    [sample] = latest.meter_value
    register = next(s for s in sample.sampled_value if s.measurand == Measurand.ENERGY_ACTIVE_IMPORT_REGISTER)
    assert session is not None and session.meter_start is not None and register.value is not None
    assert register.value >= session.meter_start


async def test_connector_that_does_not_exist_is_not_found(emulator: PlugchoiceEmulator) -> None:
    async with make_client(emulator.base_url) as client:
        with pytest.raises(NotFoundError):
            await client.chargers.connectors.power_usage(emulator.uuids[0], 9)


FOREIGN: list[tuple[str, Call]] = [
    ("get_lock", lambda c, u: c.chargers.settings.get_lock(u)),
    ("set_lock", lambda c, u: c.chargers.settings.set_lock(u, True)),
    ("get_socket_lock", lambda c, u: c.chargers.settings.get_socket_lock(u)),
    ("get_plug_and_charge", lambda c, u: c.chargers.settings.get_plug_and_charge(u)),
    ("set_plug_and_charge", lambda c, u: c.chargers.settings.set_plug_and_charge(u, enabled=False)),
    ("get_public_charging", lambda c, u: c.chargers.settings.get_public_charging(u)),
    ("set_public_charging", lambda c, u: c.chargers.settings.set_public_charging(u, enabled=False)),
    ("connector update", lambda c, u: c.chargers.connectors.update(u, 1, phase_rotation="R", max_amperage=16)),
    ("latest_meter_value", lambda c, u: c.chargers.connectors.latest_meter_value(u, 1)),
    ("power_usage", lambda c, u: c.chargers.connectors.power_usage(u, 1)),
]


@pytest.mark.parametrize("call", [pytest.param(c, id=i) for i, c in FOREIGN])
async def test_another_owners_charger_is_permission_denied(emulator: PlugchoiceEmulator, call: Call) -> None:
    async with make_client(emulator.base_url, retry=RetryPolicy(max_retries=3)) as client:
        with pytest.raises(PermissionDeniedError):
            await call(client, emulator.foreign_uuids[0])
    assert len(emulator.requests) == 1
