"""The emulator behaves as the real API where public clients saw it differ (issue 10, item 3).

Meter values follow the emulator's clock while a connector charges; the OCPP log holds the OCPP payloads the
central system sent (not the REST bodies); ``GET /user`` answers bare (wrapped on request); team charger listings
filter by identity (``search``); every listing honours or ignores ``per_page`` as switched.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

from plugchoice_async import InvalidRequestError, PlugchoiceClient, _converter
from plugchoice_async.models import Measurand, MeterValue, OcppLog, User
from plugchoice_async.testing import PlugchoiceEmulator
from plugchoice_async.testing.__main__ import _emulator, _parser
from tests.conftest import TOKEN, FakeClock, get, load_fixture, make_client

REGISTER = Measurand.ENERGY_ACTIVE_IMPORT_REGISTER
SAMPLE_SET = {
    ("Energy.Active.Import.Register", None),
    ("Power.Active.Import", None),
    ("Current.Import", "L1"),
    ("Current.Import", "L2"),
    ("Current.Import", "L3"),
    ("Voltage", "L1-N"),
    ("Voltage", "L2-N"),
    ("Voltage", "L3-N"),
}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def emu(clock: FakeClock) -> AsyncIterator[PlugchoiceEmulator]:
    async with PlugchoiceEmulator(chargers=40, token=TOKEN, rate_limit=None, clock=clock) as emulator:
        yield emulator


@pytest.fixture
async def session(emu: PlugchoiceEmulator) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {emu.token}"}) as client:
        yield client


def three_phase(emu: PlugchoiceEmulator) -> str:
    """An online three-phase charger with every connector Available (no session yet)."""
    uuid = next(
        u
        for u, c in emu.chargers.items()
        if c["connection_status"] == "online" and c["connectors"][0].get("power_type") == "AC_3_PHASE"
    )
    emu.set_charger(
        uuid, status="Available", connectors={c["connector_id"]: "Available" for c in emu.chargers[uuid]["connectors"]}
    )
    return uuid


async def start_charging(client: PlugchoiceClient, uuid: str) -> datetime:
    """Start a session on connector 1; the emulator's "now" at the start."""
    assert (await client.chargers.actions.start(uuid, id_token="CARD1", connector_id=1)).status == "Accepted"
    started = (await client.chargers.get(uuid)).updated_at
    assert started is not None
    return started


async def window(client: PlugchoiceClient, uuid: str, start: datetime, end: datetime) -> list[MeterValue]:
    return [v async for v in client.chargers.meter_values(uuid, date_from=start, date_to=end, limit=10_000)]


# -- 1. meter values follow the clock ---------------------------------------------------------------------


async def test_a_charging_connector_keeps_sampling_as_the_clock_moves(
    emu: PlugchoiceEmulator, clock: FakeClock
) -> None:
    uuid = three_phase(emu)
    async with make_client(emu.base_url) as client:
        started = await start_charging(client, uuid)
        now = started
        for _ in range(9):  # 9 x 7 minutes: samples every 5 minutes of the clock
            clock.advance(420)
            now += timedelta(seconds=420)
            recent = await window(client, uuid, now - timedelta(minutes=10), now)
            assert recent, f"nothing in the 10 minutes up to {now}"
            assert all(now - timedelta(minutes=10, seconds=1) <= v.timestamp <= now for v in recent if v.timestamp)
            newest_at = max(v.timestamp for v in recent if v.timestamp is not None)
            newest = {(str(v.measurand), v.phase and str(v.phase)): v for v in recent if v.timestamp == newest_at}
            assert set(newest) >= SAMPLE_SET
            latest = await client.chargers.connectors.latest_meter_value(uuid, 1)
            [reading] = latest.meter_value
            assert reading.timestamp == newest_at
            sampled = {(str(s.measurand), s.phase and str(s.phase)): s.value for s in reading.sampled_value}
            assert {key: newest[key].value for key in SAMPLE_SET} == {key: sampled[key] for key in SAMPLE_SET}
            power = await client.chargers.connectors.power_usage(uuid, 1)
            watts = newest[("Power.Active.Import", None)].value
            assert watts is not None and watts > 0
            assert power.kw == pytest.approx(watts / 1000, abs=0.005)
            assert (power.l1, power.l2, power.l3) == tuple(
                newest[("Current.Import", p)].value for p in ("L1", "L2", "L3")
            )
        everything = await window(client, uuid, started - timedelta(seconds=1), now)
        registers = [v.value or 0.0 for v in everything if v.measurand == REGISTER]
        session = await client.chargers.active_transaction(uuid, connector=1)
    assert registers == sorted(registers) and registers[0] > 0
    assert registers[-1] > registers[0]  # energy only increases, and it does increase while charging
    assert session is not None and registers[0] == session.meter_start
    contexts = [v.context for v in everything if v.measurand == REGISTER]
    assert contexts[0] == "Transaction.Begin" and set(contexts[1:]) == {"Sample.Periodic"}
    assert len(registers) == 1 + 63 * 60 // 300  # the begin reading, then one every 5 minutes


async def test_stopping_ends_the_samples_with_the_meter_stop(emu: PlugchoiceEmulator, clock: FakeClock) -> None:
    uuid = three_phase(emu)
    async with make_client(emu.base_url) as client:
        started = await start_charging(client, uuid)
        clock.advance(1000)  # nobody reads while it charges: the samples are made when asked for
        await client.chargers.actions.stop(uuid)
        clock.advance(3600)
        end = started + timedelta(seconds=4600)
        values = await window(client, uuid, started, end)
        [tx] = [tx async for tx in client.chargers.transactions(uuid, status="finished", started_from=started)]
        idle = await client.chargers.connectors.power_usage(uuid, 1)
        recent = await window(client, uuid, end - timedelta(minutes=10), end)
    registers = [(v.context, v.value) for v in values if v.measurand == REGISTER]
    assert [context for context, _ in registers] == ["Transaction.Begin", *["Sample.Periodic"] * 3, "Transaction.End"]
    assert registers[-1][1] == tx.meter_stop and registers[0][1] == tx.meter_start
    assert [value for _, value in registers] == sorted(value or 0 for _, value in registers)
    assert idle.kw == 0.0 and recent == []  # an idle connector sends nothing


async def test_a_jump_of_the_clock_costs_bounded_samples(emu: PlugchoiceEmulator, clock: FakeClock) -> None:
    uuid = three_phase(emu)
    async with make_client(emu.base_url) as client:
        started = await start_charging(client, uuid)
        clock.advance(400 * 86_400)  # 400 days later
        now = started + timedelta(days=400)
        first = await client.chargers.meter_values(
            uuid, date_from=started - timedelta(seconds=1), date_to=now, measurand=REGISTER
        )
        recent = await window(client, uuid, now - timedelta(minutes=10), now)
    assert first.total is not None and first.total <= 2 + 2 * 86_400 // 300  # begin + two days (both ends) at most
    assert recent and all(v.value is not None and v.value > 0 for v in recent if v.measurand == REGISTER)


async def test_a_generated_charging_session_has_fresh_samples(emu: PlugchoiceEmulator) -> None:
    uuid = next(
        u
        for u, c in emu.chargers.items()
        if c["connection_status"] == "online" and any(k["status"] == "Charging" for k in c["connectors"])
    )
    number = next(k["connector_id"] for k in emu.chargers[uuid]["connectors"] if k["status"] == "Charging")
    async with make_client(emu.base_url) as client:
        latest = await client.chargers.connectors.latest_meter_value(uuid, number)
        [reading] = latest.meter_value
        assert reading.timestamp is not None
        recent = await window(client, uuid, reading.timestamp - timedelta(minutes=10), reading.timestamp)
        power = await client.chargers.connectors.power_usage(uuid, number)
    assert {v.connector_id for v in recent} >= {number}
    assert power.kw is not None and power.kw > 0


# -- 2. the OCPP log holds OCPP payloads --------------------------------------------------------------------


async def test_commands_are_logged_as_the_ocpp_messages_sent(emu: PlugchoiceEmulator, clock: FakeClock) -> None:
    uuid = three_phase(emu)
    emu.bulk_delay = 0.0
    async with make_client(emu.base_url) as client:
        actions = client.chargers.actions
        await actions.set_charge_limit(uuid, connector_id=0, limit=16, stack_level=2)
        await actions.start(uuid, id_token="CARD1", connector_id=1)
        session = await client.chargers.active_transaction(uuid)
        assert session is not None and session.started_at is not None
        clock.advance(60)
        await actions.stop(uuid)
        await actions.clear_charging_profile(uuid, connector_id=0, stack_level=2)
        await actions.restart(uuid)
        await client.chargers.bulk_command("ChangeAvailability", [uuid], {"connectorId": 0, "type": "Operative"})
        assert emu.actions  # settles the bulk job
        sent = [entry async for entry in client.chargers.logs(uuid, destination="charger", sort="created_at")]
    live = [entry for entry in sent if entry.created_at is not None and entry.created_at >= session.started_at]
    by_method = {entry.method: entry for entry in live}
    assert by_method["SetChargingProfile"].params == {
        "connectorId": 0,
        "csChargingProfiles": {
            "chargingProfileId": 902,
            "stackLevel": 2,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
            },
        },
    }
    assert by_method["RemoteStartTransaction"].params == {"connectorId": 1, "idTag": "CARD1"}
    assert by_method["RemoteStopTransaction"].params == {"transactionId": session.id}  # the active one, resolved
    assert by_method["ClearChargingProfile"].params == {"connectorId": 0, "stackLevel": 2}
    assert by_method["Reset"].params == {"type": "Soft"}
    assert by_method["ChangeAvailability"].params == {"connectorId": 0, "type": "Operative"}
    for entry in live:
        assert entry.result == {"status": "Accepted"}, entry.method
        assert entry.status == "done"


async def test_a_charging_profile_is_logged_in_camel_case(
    emu: PlugchoiceEmulator, session: aiohttp.ClientSession
) -> None:
    uuid = three_phase(emu)
    body = load_fixture("actions.charging-profile.docs-request.json")
    body["charging_profile"].update(charging_profile_purpose="TxDefaultProfile", charging_profile_kind="Absolute")
    body["charging_profile"].update(recurrency_kind=None, valid_from=None, valid_to=None, transaction_id=None)
    body["charging_profile"]["charging_schedule"].update(start_schedule=None, charging_rate_unit="A")
    for period in body["charging_profile"]["charging_schedule"]["charging_schedule_period"]:
        period["number_phases"] = 3  # the docs print placeholders (123)
    async with session.post(f"{emu.base_url}/chargers/{uuid}/actions/charging-profile", json=body) as response:
        assert response.status == 200, await response.text()
    _, logs = await get(session, f"{emu.base_url}/chargers/{uuid}/logs?filter[method]=SetChargingProfile")
    params = logs["data"][0]["params"]
    assert set(params) == {"connectorId", "csChargingProfiles"}
    profile = params["csChargingProfiles"]
    assert {"chargingProfileId", "stackLevel", "chargingProfilePurpose", "chargingSchedule"} <= set(profile)
    assert "chargingSchedulePeriod" in profile["chargingSchedule"]
    assert not [key for key in _keys(params) if "_" in key]  # camelCase all the way down


def _keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [*value, *(key for item in value.values() for key in _keys(item))]
    if isinstance(value, list):
        return [key for item in value for key in _keys(item)]
    return []


async def test_the_generated_log_holds_ocpp_commands(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    methods: dict[str, dict[str, Any]] = {}
    for uuid, charger in emu.chargers.items():
        if charger["connection_status"] == "never_seen":
            continue
        _, page = await get(session, f"{emu.base_url}/chargers/{uuid}/logs?per_page=100&filter[destination]=charger")
        for item in page["data"]:
            log = _converter.structure_strict(item, OcppLog)  # OcppLog still structures every entry
            assert isinstance(log.params, dict), item
            assert not [key for key in _keys(log.params) if "_" in key], item
            methods.setdefault(item["method"], log.params)
    assert {"SetChargingProfile", "ClearChargingProfile", "Reset", "RemoteStartTransaction"} <= set(methods)
    assert methods["Reset"] == {"type": "Soft"}
    assert methods["SetChargingProfile"]["csChargingProfiles"]["chargingProfilePurpose"] == "TxDefaultProfile"


# -- 3. GET /user: bare by default, wrapped on request --------------------------------------------------------


@pytest.mark.parametrize("envelope", ["bare", "wrapped"])
async def test_user_envelope(envelope: str) -> None:
    async with PlugchoiceEmulator(chargers=1, token=TOKEN, rate_limit=None, user_envelope=envelope) as emu:  # type: ignore[arg-type]
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as raw:
            _, body = await get(raw, f"{emu.base_url}/user")
        async with make_client(emu.base_url) as client:
            user = await client.user.get()
    assert body == ({"data": emu.user} if envelope == "wrapped" else emu.user)
    assert (user.uuid, user.email) == (emu.user["uuid"], emu.user["email"])


async def test_user_envelope_is_bare_by_default_and_switchable(emu: PlugchoiceEmulator) -> None:
    assert emu.user_envelope == "bare"
    emu.user_envelope = "wrapped"
    async with make_client(emu.base_url) as client:
        assert (await client.user.get()).uuid == emu.user["uuid"]
    with pytest.raises(ValueError, match="user_envelope"):
        emu.user_envelope = "enveloped"  # type: ignore[assignment]
    with pytest.raises(ValueError, match="user_envelope must be one of 'bare', 'wrapped'"):
        PlugchoiceEmulator(chargers=1, user_envelope="data")  # type: ignore[arg-type]


def test_user_envelope_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert _emulator(_parser().parse_args(["--chargers", "1"])).user_envelope == "bare"
    assert _emulator(_parser().parse_args(["--chargers", "1", "--user-envelope", "wrapped"])).user_envelope == "wrapped"
    with pytest.raises(SystemExit):
        _parser().parse_args(["--user-envelope", "data"])
    assert "invalid choice: 'data'" in capsys.readouterr().err
    assert "--user-envelope {bare,wrapped}" in " ".join(_parser().format_help().split())


@pytest.mark.parametrize("wrapped", [False, True], ids=["bare", "wrapped"])
async def test_the_sdk_reads_the_user_bare_or_wrapped(wrapped: bool) -> None:
    document = load_fixture("user.get.volttime.json")  # the docs variant has "<string>" timestamps
    with aioresponses() as mocked:
        mocked.get("https://api.test/api/v3/user", payload={"data": document} if wrapped else document)
        async with make_client("https://api.test/api/v3") as client:
            user = await client.user.get()
    assert user == _converter.structure_strict(document, User)
    assert user.uuid == document["uuid"]


# -- 4. the identity filter of a team's chargers (``search``, unverified name) ---------------------------------


def busiest_team(emu: PlugchoiceEmulator) -> str:
    return max(emu.teams, key=lambda t: sum(t in emu.charger_teams(u) for u in emu.uuids))


async def test_team_chargers_search_by_identity(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    team = busiest_team(emu)
    members = [c for u, c in emu.chargers.items() if team in emu.charger_teams(u)]
    wanted = members[3]["identity"]
    part = wanted[1:-1].swapcase() if wanted[1:-1].swapcase() != wanted[1:-1] else wanted[1:-1]
    _, page = await get(session, f"{emu.base_url}/teams/{team}/chargers?search={part}&per_page=100")
    expected = [c["uuid"] for c in members if part.casefold() in c["identity"].casefold()]
    assert [item["uuid"] for item in page["data"]] == expected and members[3]["uuid"] in expected
    _, nothing = await get(session, f"{emu.base_url}/teams/{team}/chargers?search=no-such-charger")
    assert nothing["data"] == []
    _, everyone = await get(session, f"{emu.base_url}/teams/{team}/chargers?search=&per_page=100")
    assert len(everyone["data"]) == len(members)
    async with make_client(emu.base_url) as client:
        found = [c async for c in client.teams.chargers(team, search=part, per_page=100)]
        online = [c async for c in client.teams.chargers(team, search=part, connection_status="online")]
    assert [c.uuid for c in found] == expected
    assert {c.uuid for c in online} <= set(expected)
    assert emu.requests[-1].query["search"] == part


async def test_team_chargers_search_is_sent_as_search() -> None:
    team = "3f2b6c1e-0000-4000-8000-000000000001"
    item = load_fixture("team-chargers.list.volttime.json")
    with aioresponses() as mocked:
        mocked.get(re.compile(r"https://api\.test/api/v3/teams/.*/chargers.*"), payload=item)
        async with make_client("https://api.test/api/v3") as client:
            await client.teams.chargers(team, search="CHARGER-001", status="Available")
        [(_, url)] = list(mocked.requests)
    assert url.query["search"] == "CHARGER-001" and url.query["filter[status]"] == "Available"


@pytest.mark.parametrize("search", ["", "   ", 12])
async def test_team_chargers_search_must_be_text(emu: PlugchoiceEmulator, search: Any) -> None:
    before = len(emu.requests)
    async with make_client(emu.base_url) as client:
        with pytest.raises(InvalidRequestError, match="search"):
            client.teams.chargers(busiest_team(emu), search=search)
    assert len(emu.requests) == before


# -- 5. per_page: honoured or ignored by every listing ------------------------------------------------------------


def listings(emu: PlugchoiceEmulator) -> list[str]:
    team = busiest_team(emu)
    site = next(s for s in emu.sites if len(emu.site_chargers(s)) > 2)
    charger = next(u for u, c in emu.chargers.items() if c["connection_status"] == "online")
    return [
        "/chargers",
        "/sites",
        f"/sites/{site}/chargers",
        f"/sites/{site}/connectors",
        f"/teams/{team}/chargers",
        f"/teams/{team}/sites",
        f"/teams/{team}/transactions",
        f"/chargers/{charger}/logs",
    ]


@pytest.mark.parametrize("honour", [True, False], ids=["honoured", "ignored"])
async def test_every_listing_honours_or_ignores_per_page(
    emu: PlugchoiceEmulator, session: aiohttp.ClientSession, honour: bool
) -> None:
    emu.honour_per_page = honour
    for path in listings(emu):
        _, page = await get(session, f"{emu.base_url}{path}?per_page=2")
        reported = page["meta"]["per_page"] if "meta" in page else page["per_page"]
        assert reported == (2 if honour else 25), path
        assert len(page["data"]) <= reported, path
        if honour:
            assert len(page["data"]) == 2, path


# The --ignore-per-page switch of the command line: tests/test_emulator_fleet.py
# (test_per_page_setting_from_the_constructor_and_the_command_line) asserts it.
