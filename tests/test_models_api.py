"""Every API answer model against the published fixtures, and the converter's wire rules (the type traps)."""

from __future__ import annotations

import copy
import inspect
import types
import typing
from datetime import UTC, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest

from plugchoice_async import _converter, models
from plugchoice_async.models import (
    ActionResult,
    ActionStatus,
    BulkCommandRun,
    CardImportResult,
    ChargePointErrorCode,
    ChargePointStatus,
    Charger,
    ChargerImportResult,
    ChargerReassignResult,
    ChargerSetupResult,
    ChargerSummary,
    ChargingProfile,
    ChargingProfileKind,
    ChargingProfilePurpose,
    ChargingRateUnit,
    ChargingSchedule,
    ChargingSchedulePeriod,
    CompositeSchedule,
    ConnectionStatus,
    Connector,
    ConnectorFormat,
    DayAheadPricingStrategy,
    GroupMeter,
    LatestMeterValue,
    LicensePaymentIntent,
    LockSetting,
    LogDestination,
    LogStatus,
    Measurand,
    Meter,
    MeterValue,
    NanogridSetting,
    OAuthToken,
    OcppLog,
    Phase,
    PlugAndChargeSetting,
    PowerManagement,
    PowerType,
    PowerUsage,
    PublicChargingSetting,
    ReadingContext,
    RecurrencyKind,
    Site,
    SiteAccessMessage,
    SiteCard,
    SiteCharger,
    SiteChargerConnector,
    SiteConnector,
    SiteGroup,
    SiteInviteAccepted,
    SiteInviteResult,
    SiteJoinResult,
    SmartChargingMode,
    SmartChargingSettings,
    SocketLockSetting,
    StopReason,
    Team,
    TeamCharger,
    TeamTransaction,
    Transaction,
    TransactionGraph,
    UnitOfMeasure,
    User,
)
from tests.conftest import FIXTURES, load_fixture

# --- Fixture tables -------------------------------------------------------------------------------

# Every answer with real values (volttime), through the strict converter. "items": the models
# are the items of the (paginated or bare) list under "data".
VOLTTIME: list[tuple[str, type[Any], bool]] = [
    ("actions.charge-limit.volttime.json", ActionResult, False),
    ("chargers.create.volttime.json", ChargerSummary, False),
    ("chargers.get.volttime.json", Charger, False),
    ("chargers.update.volttime.json", ChargerSummary, False),
    ("connectors.power-usage.volttime.json", PowerUsage, False),
    ("connectors.update.volttime.json", Connector, False),
    ("licenses.payment-intent.volttime.json", LicensePaymentIntent, False),
    ("meters.chargee.volttime.json", Meter, False),
    ("metervalues.list.volttime-2026.json", MeterValue, True),
    ("metervalues.list.volttime.json", MeterValue, True),
    ("site-cards.import.volttime.json", CardImportResult, False),
    ("site-chargers.attach.volttime.json", Charger, False),
    ("site-groups.reassign.volttime.json", SiteGroup, False),
    ("site-invitations.accept.volttime.json", SiteInviteAccepted, False),
    ("site-invitations.invite.volttime.json", SiteInviteResult, False),
    ("site-invitations.join.volttime.json", SiteJoinResult, False),
    ("site-teams.asset-access.volttime.json", SiteAccessMessage, False),
    ("site-teams.get.volttime.json", Team, False),
    ("site-teams.grant-sensitive-data.volttime.json", SiteAccessMessage, False),
    ("site-teams.list.volttime.json", Team, True),
    ("site-teams.request-sensitive-data.volttime.json", SiteAccessMessage, False),
    ("sites.create.volttime.json", Site, False),
    ("sites.list.volttime.json", Site, True),
    ("sites.smart-charging-update.volttime.json", SmartChargingSettings, False),
    ("team-chargers.import.volttime.json", ChargerImportResult, False),
    ("team-chargers.list.volttime.json", TeamCharger, True),
    ("team-sites.list.volttime.json", Site, True),
    ("teams.create.volttime.json", Team, False),
    ("teams.list.volttime.json", Team, True),
    ("transactions.graph.volttime.json", TransactionGraph, False),
    ("transactions.list-site.volttime-2025.json", Transaction, True),
    ("transactions.list-site.volttime-2026.json", Transaction, True),
    ("transactions.list-site.volttime.json", Transaction, True),
    ("transactions.list.volttime.json", Transaction, True),
    ("user.get.volttime.json", User, False),
]

VOLTTIME_NOT_MODELLED = {
    "settings.plug-charge-set.volttime.json": "the endpoint answers 204 without a body; the page prints {}",
    "sites.power-history.volttime.json": "the page shows an empty object: the answer's shape is unknown",
}

# Every documented answer (placeholder values): each key must be an attribute (through its wire
# name), recursively. "items": the fixture is a whole page; check the items under "data".
DOCS: list[tuple[str, type[Any], bool]] = [
    ("actions.bulk-command.docs.json", BulkCommandRun, False),
    ("actions.charge-limit.docs.json", ActionResult, False),
    ("actions.charging-profile.docs.json", ActionResult, False),
    ("actions.clear-charging-profile.docs.json", ActionResult, False),
    ("actions.composite-schedule.docs.json", CompositeSchedule, False),
    ("actions.restart.docs.json", ActionResult, False),
    ("actions.start.docs.json", ActionResult, False),
    ("actions.stop.docs.json", ActionResult, False),
    ("chargers.create.docs.json", ChargerSummary, False),
    ("chargers.get.docs.json", Charger, False),
    ("chargers.list.docs.json", Charger, False),
    ("chargers.setup.docs.json", ChargerSetupResult, False),
    ("chargers.update.docs.json", ChargerSummary, False),
    ("connectors.latest-metervalue.docs.json", LatestMeterValue, False),
    ("connectors.power-usage.docs.json", PowerUsage, False),
    ("connectors.update.docs.json", Connector, False),
    ("logs.list.docs.json", OcppLog, False),
    ("meters.chargee.docs.json", Meter, False),
    ("metervalues.list.docs.json", MeterValue, False),
    ("oauth.token.docs.json", OAuthToken, False),
    ("settings.lock.docs.json", LockSetting, False),
    ("settings.nanogrid.docs.json", NanogridSetting, False),
    ("settings.plug-charge.docs.json", PlugAndChargeSetting, False),
    ("settings.public-charging.docs.json", PublicChargingSetting, False),
    ("settings.socket-lock.docs.json", SocketLockSetting, False),
    ("site-cards.create.docs.json", SiteCard, False),
    ("site-cards.import.docs.json", CardImportResult, False),
    ("site-cards.update.docs.json", SiteCard, False),
    ("site-chargers.attach.docs.json", Charger, False),
    ("site-chargers.list.docs.json", SiteCharger, False),
    ("site-chargers.move.docs.json", Charger, False),
    ("site-chargers.reassign.docs.json", ChargerReassignResult, False),
    ("site-connectors.list.docs.json", SiteConnector, False),
    ("site-groups.list.docs.json", SiteGroup, False),
    ("site-groups.meter.docs.json", GroupMeter, False),
    ("site-invitations.accept.docs.json", SiteInviteAccepted, False),
    ("site-invitations.invite.docs.json", SiteInviteResult, False),
    ("site-invitations.join.docs.json", SiteJoinResult, False),
    ("site-teams.asset-access.docs.json", SiteAccessMessage, False),
    ("site-teams.grant-sensitive-data.docs.json", SiteAccessMessage, False),
    ("site-teams.list.docs.json", Team, False),
    ("site-teams.request-sensitive-data.docs.json", SiteAccessMessage, False),
    ("site-teams.transfer-ownership.docs.json", SiteAccessMessage, False),
    ("sites.create.docs.json", Site, False),
    ("sites.get.docs.json", Site, False),
    ("sites.list.docs.json", Site, False),
    ("sites.power-management.docs.json", PowerManagement, False),
    ("sites.smart-charging-update.docs.json", SmartChargingSettings, False),
    ("sites.smart-charging.docs.json", SmartChargingSettings, False),
    ("sites.update.docs.json", Site, False),
    ("team-chargers.import.docs.json", ChargerImportResult, False),
    ("team-chargers.list.docs.json", TeamCharger, True),
    ("teams.create.docs.json", Team, False),
    ("transactions.graph.docs.json", TransactionGraph, False),
    ("transactions.list-site.docs.json", Transaction, False),
    ("transactions.list-team.docs.json", TeamTransaction, True),
    ("transactions.list.docs.json", Transaction, False),
    ("user.get.docs.json", User, False),
]

DOCS_NOT_MODELLED = {
    # Public charging answers are enveloped ({"data": ...}, beside session_token and payment): their keys are
    # checked, and each part read, in tests/test_public_charging.py.
    "public-charging.cancel-session.docs.json": "enveloped: see tests/test_public_charging.py",
    "public-charging.confirm-payment.docs.json": "enveloped: see tests/test_public_charging.py",
    "public-charging.get-charger.docs.json": "enveloped: see tests/test_public_charging.py",
    "public-charging.get-session.docs.json": "enveloped: see tests/test_public_charging.py",
    "public-charging.start-session.docs.json": "enveloped: see tests/test_public_charging.py",
    "public-charging.stop-session.docs.json": "enveloped: see tests/test_public_charging.py",
}

# Page-level keys the docs print inside the one item they show.
PAGE_KEYS = {"logs.list.docs.json": {"filter_options"}}

# The OCPP answers: camelCase on the wire, all the way down.
OCPP_ROOTS = (LatestMeterValue, CompositeSchedule, PowerManagement)  # PowerManagement: camelCase, not OCPP

TS = "2026-01-10T01:14:32.000000Z"


def _answers(name: str, items: bool) -> list[Any]:
    data = load_fixture(name)
    return list(data["data"]) if items else [data]


def _answer_fixtures(variant: str) -> set[str]:
    return {p.name for p in FIXTURES.glob(f"*.{variant}*.json") if "-request" not in p.name}


# --- Every fixture ----------------------------------------------------------------------------------


def test_every_answer_fixture_is_in_a_table() -> None:
    """A fixture added later must be modelled (or its absence explained) here."""
    assert _answer_fixtures("volttime") == {n for n, _, _ in VOLTTIME} | set(VOLTTIME_NOT_MODELLED)
    docs = _answer_fixtures("docs") - {p.name for p in FIXTURES.glob("errors.*.json")}
    assert docs == {n for n, _, _ in DOCS} | set(DOCS_NOT_MODELLED)


@pytest.mark.parametrize(("name", "cls", "items"), VOLTTIME, ids=[n for n, _, _ in VOLTTIME])
def test_volttime_answer_structures_strictly(name: str, cls: type[Any], items: bool) -> None:
    answers = _answers(name, items)
    assert answers
    for answer in answers:
        strict = _converter.structure_strict(answer, cls)
        assert type(strict) is cls
        # One reader: production differs only in tolerating unknown keys, so it reads the same values.
        assert _converter.structure(answer, cls) == strict


def _walk(obj: Any) -> typing.Iterator[Any]:
    """Every value inside a model, recursively."""
    if attrs.has(type(obj)):
        for field in attrs.fields(type(obj)):
            yield from _walk(getattr(obj, field.name))
    elif isinstance(obj, tuple):
        for item in obj:
            yield from _walk(item)
    else:
        yield obj


def test_every_timestamp_in_every_fixture_is_tz_aware() -> None:
    seen = 0
    for name, cls, items in VOLTTIME:
        for answer in _answers(name, items):
            for value in _walk(_converter.structure(answer, cls)):
                if isinstance(value, datetime):
                    assert value.tzinfo is not None, name
                    assert value.utcoffset() == timedelta(0), name
                    seen += 1
    assert seen > 50


def _model_in(tp: Any) -> type[Any] | None:
    """The attrs class inside ``X``, ``X | None``, ``tuple[X, ...]`` or ``Annotated[X, ...]``."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType, tuple, typing.Annotated):
        for arg in typing.get_args(tp):
            found = _model_in(arg)
            if found is not None:
                return found
        return None
    return tp if isinstance(tp, type) and attrs.has(tp) else None


def _assert_keys_modelled(data: dict[str, Any], cls: type[Any], where: str, *, ocpp: bool) -> int:
    """Every key of ``data`` is the wire name of an attribute of ``cls``; recurse into nested models."""
    by_wire = {wire: attr for attr, wire in _converter.wire_names(cls, ocpp=ocpp).items()}
    missing = set(data) - set(by_wire)
    assert not missing, f"{where}: keys not modelled by {cls.__name__}: {sorted(missing)}"
    hints = typing.get_type_hints(cls, include_extras=True)
    checked = 1
    for key, value in data.items():
        nested = _model_in(hints[by_wire[key]])
        if nested is None:
            continue
        if isinstance(value, dict) and set(value) == {"data"}:  # an enveloped array
            value = value["data"]
        for index, item in enumerate(value if isinstance(value, list) else [value]):
            if isinstance(item, dict):
                checked += _assert_keys_modelled(item, nested, f"{where}.{key}[{index}]", ocpp=ocpp)
    return checked


@pytest.mark.parametrize(("name", "cls", "items"), DOCS, ids=[n for n, _, _ in DOCS])
def test_docs_fixture_keys_are_all_modelled(name: str, cls: type[Any], items: bool) -> None:
    for answer in _answers(name, items):
        answer = {k: v for k, v in answer.items() if k not in PAGE_KEYS.get(name, set())}
        assert _assert_keys_modelled(answer, cls, name, ocpp=cls in OCPP_ROOTS) >= 1


def test_the_key_check_recurses_and_fails() -> None:
    """The docs check must see a stray key deep inside (it is what catches API drift)."""
    data = copy.deepcopy(load_fixture("transactions.list-team.docs.json"))["data"][0]
    assert _assert_keys_modelled(data, TeamTransaction, "t", ocpp=False) == 3  # item, charger, charger.site
    data["charger"]["site"]["brand_new"] = 1
    with pytest.raises(AssertionError, match=r"charger\[0\]\.site\[0\].*brand_new"):
        _assert_keys_modelled(data, TeamTransaction, "t", ocpp=False)


# --- Transactions: total_kwh is a number or a string ------------------------------------------------


def _transaction(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(load_fixture("transactions.list.volttime.json")["data"][0])
    data.update(changes)
    return data


@pytest.mark.parametrize("total", [7, 7.0, "7.00", "7", " 7.0 "])
def test_total_kwh_number_or_string(total: Any) -> None:
    tx = _converter.structure_strict(_transaction(total_kwh=total), Transaction)
    assert tx.total_kwh == 7.0
    assert type(tx.total_kwh) is float


@pytest.mark.parametrize("total", ["abc", "", "-", "nan", True, [7]])  # null: None (the leniency rule)
def test_total_kwh_not_a_number_names_the_field(total: Any) -> None:
    with pytest.raises(_converter.StructureError, match=r"\$\.total_kwh"):
        _converter.structure(_transaction(total_kwh=total), Transaction)


def test_total_kwh_error_quotes_the_value() -> None:
    with pytest.raises(_converter.StructureError) as info:
        _converter.structure(_transaction(total_kwh="seven"), Transaction)
    assert "expected a number or a numeric string, got 'seven' @ $.total_kwh" in str(info.value)


def test_transaction_values() -> None:
    first = _converter.structure(load_fixture("transactions.list.volttime.json")["data"][0], Transaction)
    assert first.total_kwh == 7.0 and first.meter_start == 29317 and first.meter_stop == 37253
    assert first.stop_reason is StopReason.OTHER
    assert first.started_at == datetime(2025, 12, 11, 0, 54, 5, tzinfo=UTC)
    assert first.charger is not None and first.charger.uuid == "51c7cf5e-fac2-3ac6-8ef8-61e6050503af"
    assert first.charger.reference is None and first.connector is not None and first.connector.connector_id == 1
    running = _converter.structure(load_fixture("transactions.list-site.volttime.json")["data"][1], Transaction)
    assert running.meter_stop is None and running.stopped_at is None and running.stop_reason is None
    assert running.total_kwh == 0.0
    older = _converter.structure(load_fixture("transactions.list-site.volttime-2025.json")["data"][0], Transaction)
    assert older.total_kwh == 9.12 and older.total_cost == 0.0 and older.charger is None
    assert older.stop_reason is StopReason.EV_DISCONNECTED


def test_optional_cost_fields_accept_numbers_and_null() -> None:
    tx = _converter.structure(_transaction(total_cost=12.5, kwh_cost=None, is_valid=True), Transaction)
    assert tx.total_cost == 12.5 and tx.kwh_cost is None and tx.is_valid is True


def test_team_transaction_docs_shape() -> None:
    data = copy.deepcopy(load_fixture("transactions.list-team.docs.json")["data"][0])
    data.update(status="active", started_at=TS, stopped_at=None, total_kwh="3.25", stop_reason=None, id_tag="ABC")
    tx = _converter.structure_strict(data, TeamTransaction)
    assert tx.total_kwh == 3.25 and tx.status == "active" and tx.stopped_at is None
    assert tx.charger is not None and tx.charger.site is not None
    assert tx.charger.site.name == "<string>" and tx.charger.is_mid is True


# --- Transaction graph: uppercase phase keys --------------------------------------------------------


def test_graph_phase_keys_map_to_snake_case() -> None:
    graph = _converter.structure_strict(load_fixture("transactions.graph.volttime.json"), TransactionGraph)
    (current,) = graph.current
    assert (current.l1, current.l2, current.l3, current.offered) == (16.0, 15.8, 16.1, 32.0)
    assert graph.voltage[0].l3 == 230.5
    assert [p.value for p in graph.energy] == [0.0, 1.234]
    assert graph.energy[0].unit is UnitOfMeasure.KWH
    assert graph.energy[1].date == datetime(2026, 1, 27, 10, 5, tzinfo=UTC)


def test_graph_values_as_strings_or_null() -> None:
    data = copy.deepcopy(load_fixture("transactions.graph.volttime.json"))
    data["current"][0].update(L1="16.5", L2=None, offered="32")
    graph = _converter.structure_strict(data, TransactionGraph)
    assert (graph.current[0].l1, graph.current[0].l2, graph.current[0].offered) == (16.5, None, 32.0)


def test_graph_lowercase_phase_key_is_drift() -> None:
    data = copy.deepcopy(load_fixture("transactions.graph.volttime.json"))
    data["voltage"][0]["l1"] = data["voltage"][0].pop("L1")
    with pytest.raises(_converter.StructureError, match="l1"):
        _converter.structure_strict(data, TransactionGraph)
    assert _converter.structure(data, TransactionGraph).voltage[0].l1 is None  # production tolerates it


# --- Meter values: value parsed, raw_value kept -----------------------------------------------------


def _meter_value(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(load_fixture("metervalues.list.volttime.json")["data"][0])
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("wire", "value", "raw"),
    [
        ("230.5", 230.5, "230.5"),
        ("11278", 11278.0, "11278"),
        (" 0.25 ", 0.25, " 0.25 "),
        ("3045022100ab", None, "3045022100ab"),  # SignedData: not a number
        ("", None, ""),
        ("-", None, "-"),
        (230.5, 230.5, "230.5"),
        (12, 12.0, "12"),
    ],
)
def test_meter_value_parsed_and_raw(wire: Any, value: float | None, raw: str) -> None:
    mv = _converter.structure_strict(_meter_value(value=wire), MeterValue)
    assert mv.value == value
    assert mv.raw_value == raw


def test_meter_value_fixture_values() -> None:
    first, second = (
        _converter.structure(item, MeterValue) for item in load_fixture("metervalues.list.volttime.json")["data"]
    )
    assert first.value == 11278.0 and first.raw_value == "11278"
    assert first.context is ReadingContext.TRANSACTION_BEGIN and first.measurand is Measurand.POWER_FACTOR
    assert first.phase is Phase.L2_N and first.unit is UnitOfMeasure.KWH
    assert second.phase is None and second.unit == "kW"
    newer = _converter.structure(load_fixture("metervalues.list.volttime-2026.json")["data"][0], MeterValue)
    assert newer.id is None and newer.charger_id == 2 and newer.transaction_id is None


def test_meter_value_without_value_reads_none() -> None:
    """The leniency rule: ``value`` (and with it ``raw_value``) is optional; null reads the same as absent."""
    data = _meter_value()
    del data["value"]
    absent = _converter.structure_strict(data, MeterValue)
    assert absent.value is None and absent.raw_value is None
    assert _converter.structure_strict({**data, "value": None}, MeterValue) == absent
    with pytest.raises(_converter.StructureError, match=r"@ \$\.value$"):
        _converter.structure({**data, "value": [1]}, MeterValue)


def test_latest_meter_value_camel_case() -> None:
    data = {
        "connectorId": 2,
        "meterValue": [
            {
                "timestamp": "2026-01-10T01:14:32Z",
                "sampledValue": [
                    {"value": "230.5", "context": "Sample.Periodic", "format": "Raw", "measurand": "Voltage"}
                    | {"phase": "L1-N", "location": "Outlet", "unit": "V"},
                    {"value": "6.6", "measurand": "Power.Active.Import", "unit": "kW"},
                    {"value": "AB12FF", "format": "SignedData"},
                ],
            }
        ],
    }
    latest = _converter.structure_strict(data, LatestMeterValue)
    assert latest.connector_id == 2
    (sample,) = latest.meter_value
    assert sample.timestamp == datetime(2026, 1, 10, 1, 14, 32, tzinfo=UTC)
    voltage, power, signed = sample.sampled_value
    assert (voltage.value, voltage.raw_value, voltage.phase, voltage.unit) == (230.5, "230.5", Phase.L1_N, "V")
    assert power.value == 6.6 and power.measurand is Measurand.POWER_ACTIVE_IMPORT and power.context is None
    assert signed.value is None and signed.raw_value == "AB12FF"


def test_latest_meter_value_snake_case_is_drift() -> None:
    with pytest.raises(_converter.StructureError, match="connector_id"):
        _converter.structure_strict({"connector_id": 1, "meterValue": []}, LatestMeterValue)


# --- Power usage: strings, "-" for missing ----------------------------------------------------------


@pytest.mark.parametrize(
    ("wire", "expected"),
    [("-", None), (" - ", None), ("-  ", None), ("", None), ("12.5 ", 12.5), ("0", 0.0), ("0.00", 0.0), (16, 16.0)],
)
def test_power_usage_readings(wire: Any, expected: float | None) -> None:
    data = load_fixture("connectors.power-usage.volttime.json") | {"L3": wire, "kW": wire}
    usage = _converter.structure_strict(data, PowerUsage)
    assert usage.l3 == expected
    assert usage.kw == expected


def test_power_usage_fixture() -> None:
    usage = _converter.structure_strict(load_fixture("connectors.power-usage.volttime.json"), PowerUsage)
    assert (usage.l1, usage.l2, usage.l3, usage.kw) == (0.0, None, None, 0.0)
    assert usage.timestamp == datetime(2025, 10, 28, 16, 26, 14, 628000, tzinfo=UTC)


def test_power_usage_reading_must_be_text_or_number() -> None:
    data = load_fixture("connectors.power-usage.volttime.json") | {"L1": {"value": 3}}
    with pytest.raises(_converter.StructureError, match=r"\$\.L1$"):  # the wire key: where it is in the body
        _converter.structure(data, PowerUsage)


# --- OCPP logs: params/result as objects or JSON text -------------------------------------------------

LOG: dict[str, Any] = {
    "id": 9,
    "charger_id": 3,
    "status": "done",
    "version": "1.6",
    "method": "RemoteStartTransaction",
    "destination": "charger",
    "params": {"connectorId": 1, "idTag": "ABC123"},
    "result": {"status": "Accepted"},
    "created_at": TS,
    "updated_at": TS,
}


def test_log_params_object_and_json_text_are_equal() -> None:
    as_object = _converter.structure_strict(LOG, OcppLog)
    as_text = _converter.structure_strict(
        LOG | {"params": '{"connectorId": 1, "idTag": "ABC123"}', "result": '{"status":"Accepted"}'}, OcppLog
    )
    assert as_object == as_text
    assert as_text.params == {"connectorId": 1, "idTag": "ABC123"}
    assert as_object.status is LogStatus.DONE and as_object.destination is LogDestination.CHARGER


@pytest.mark.parametrize(("wire", "expected"), [(None, None), ("null", None), ("[1, 2]", [1, 2]), ([], [])])
def test_log_payload_null_and_arrays(wire: Any, expected: Any) -> None:
    assert _converter.structure(LOG | {"result": wire}, OcppLog).result == expected


@pytest.mark.parametrize("structure", [_converter.structure, _converter.structure_strict])
def test_log_params_not_json_is_a_clear_error(structure: Any) -> None:
    with pytest.raises(_converter.StructureError) as info:
        structure(LOG | {"params": "connectorId=1"}, OcppLog)
    assert "not JSON: 'connectorId=1' @ $.params" in str(info.value)


@pytest.mark.parametrize(("wire", "words"), [('"text"', "holding a str"), ("5", "holding a int"), (5, "got int")])
def test_log_params_must_be_object_or_array(wire: Any, words: str) -> None:
    with pytest.raises(_converter.StructureError, match=rf"{words}.*\$\.result"):
        _converter.structure(LOG | {"result": wire}, OcppLog)


def test_log_docs_shape() -> None:
    data = load_fixture("logs.list.docs.json")
    del data["filter_options"]
    data.update(status="pending", destination="centralsystem", created_at=TS, updated_at=TS)
    log = _converter.structure_strict(data, OcppLog)
    assert log.params == {} and log.destination is LogDestination.CENTRAL_SYSTEM


# --- Open enums ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "data", "attribute"),
    [
        (OcppLog, LOG | {"status": "archived"}, "status"),
        (OcppLog, LOG | {"destination": "proxy"}, "destination"),
        (MeterValue, _meter_value(measurand="Power.Quantum"), "measurand"),
        (MeterValue, _meter_value(unit="mA"), "unit"),
        (Transaction, _transaction(stop_reason="SolarDrop"), "stop_reason"),
        (ActionResult, {"status": "Postponed"}, "status"),
        (SmartChargingSettings, {"smart_charging": "solar_only", "day_ahead_pricing_strategy": "ai"}, "smart_charging"),
        (SmartChargingSettings, {"day_ahead_pricing_strategy": "ai"}, "day_ahead_pricing_strategy"),
    ],
)
def test_unknown_enum_values_are_kept(cls: type[Any], data: dict[str, Any], attribute: str) -> None:
    value = getattr(_converter.structure(data, cls), attribute)
    assert type(value) is str
    assert value == data[attribute]


def test_known_enum_values_become_members() -> None:
    assert _converter.structure({"status": "Accepted"}, ActionResult).status is ActionStatus.ACCEPTED
    assert _converter.structure({"data": {"status": "Rejected"}}, ActionResult).status is ActionStatus.REJECTED
    settings = _converter.structure({"day_ahead_pricing_strategy": "manual"}, SmartChargingSettings)
    assert settings.day_ahead_pricing_strategy is DayAheadPricingStrategy.MANUAL


def test_action_without_status() -> None:
    """The older reference prints {} for charge-limit: a command taken without a reported outcome."""
    assert _converter.structure_strict(load_fixture("actions.charge-limit.volttime.json"), ActionResult).status is None


# --- Sites ----------------------------------------------------------------------------------------------


def _site(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(load_fixture("sites.create.volttime.json")["data"])
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("wire", "expected"),
    [("off_peak", SmartChargingMode.OFF_PEAK), ("disabled", SmartChargingMode.DISABLED), (False, False), (True, True)],
)
def test_site_smart_charging_mode_or_legacy_boolean(wire: Any, expected: Any) -> None:
    site = _converter.structure_strict(_site(smart_charging=wire), Site)
    assert site.smart_charging == expected
    assert type(site.smart_charging) is type(expected)


def test_site_smart_charging_rejects_other_types() -> None:
    with pytest.raises(_converter.StructureError, match=r"\$\.smart_charging"):
        _converter.structure(_site(smart_charging=3), Site)


def test_site_newer_fields() -> None:
    site = _converter.structure_strict(
        _site(tariff_zone="NL-1", latitude=52.37, longitude=4.89, manual_coordinates=True, access_level="owner"), Site
    )
    assert (site.latitude, site.longitude, site.manual_coordinates, site.access_level) == (52.37, 4.89, True, "owner")
    assert site.capabilities is not None and site.capabilities.load_management is not None
    assert site.capabilities.load_management.dynamic is True


def test_team_site_leaves_out_fields() -> None:
    site = _converter.structure_strict(load_fixture("team-sites.list.volttime.json")["data"][0], Site)
    assert site.id is None and site.updated_at is None and site.permissions is None
    assert site.address == "Example Street 123, Amsterdam, NL" and site.chargers_count == 5


def test_smart_charging_times_of_day() -> None:
    settings = _converter.structure_strict(
        load_fixture("sites.smart-charging-update.volttime.json"), SmartChargingSettings
    )
    assert (settings.off_peak_start, settings.off_peak_end) == (time(23, 0), time(7, 0))
    assert settings.smart_charging is SmartChargingMode.DISABLED and settings.timezone is None


def test_site_connector_is_a_connector() -> None:
    data = copy.deepcopy(load_fixture("connectors.update.volttime.json")["data"])
    data["charger"] = {"uuid": "u", "id": 1, "identity": "CP-1", "connection_status": "online", "status": None}
    connector = _converter.structure_strict(data, SiteConnector)
    assert isinstance(connector, Connector)
    assert connector.charger is not None and connector.charger.identity == "CP-1"


def _site_charger_item() -> dict[str, Any]:
    """The documented site charger item with real values in place of the placeholders."""
    data: dict[str, Any] = copy.deepcopy(load_fixture("site-chargers.list.docs.json"))
    data.update(
        connection_status="online",
        status="Charging",
        error="NoError",
        last_connection_at=TS,
        last_disconnection_at=None,
        last_heartbeat_at=TS,
        created_at=TS,
        updated_at=TS,
    )
    data["connectors"][0].update(status="SuspendedEV", format="Cable", power_type="AC_3_PHASE", phase_rotation="RST")
    return data


def test_site_charger_models_exactly_the_documented_fields() -> None:
    """Both ways: no documented key is dropped, and no attribute waits for a key the list never sends."""
    data = _site_charger_item()
    assert set(_converter.wire_names(SiteCharger).values()) == set(data)
    assert set(_converter.wire_names(SiteChargerConnector).values()) == set(data["connectors"][0])


def test_site_charger_keeps_its_connectors() -> None:
    charger = _converter.structure_strict(_site_charger_item(), SiteCharger)
    assert charger.status is ChargePointStatus.CHARGING and charger.error is ChargePointErrorCode.NO_ERROR
    assert charger.connection_status is ConnectionStatus.ONLINE and charger.parsed_firmware_version == "<string>"
    (connector,) = charger.connectors
    assert type(connector) is SiteChargerConnector
    assert connector.status is ChargePointStatus.SUSPENDED_EV and connector.format is ConnectorFormat.CABLE
    assert (connector.connector_id, connector.max_amperage, connector.phase_rotation) == (123, 123, "RST")
    assert connector.power_type is PowerType.AC_3_PHASE


def test_site_charger_unknown_statuses_are_kept_and_connectors_may_be_absent() -> None:
    data = _site_charger_item()
    data["connectors"][0]["status"] = "Overheated"
    charger = _converter.structure_strict(data | {"status": "Sleeping"}, SiteCharger)
    assert (charger.status, charger.connectors[0].status) == ("Sleeping", "Overheated")
    del data["connectors"]
    assert _converter.structure_strict(data, SiteCharger).connectors == ()


def test_site_charger_is_neither_a_charger_nor_a_summary() -> None:
    """The list item lacks permissions and the connectors' timestamps (Charger reads them as None); ChargerSummary
    drops connectors."""
    data = _site_charger_item()
    charger = _converter.structure(data, Charger)  # absent optional fields are None (the leniency rule)
    assert charger.permissions is None and all(c.created_at is None for c in charger.connectors)
    with pytest.raises(_converter.StructureError, match="connectors"):
        _converter.structure_strict(data, ChargerSummary)


def test_meter_dash_placeholders() -> None:
    meter = _converter.structure_strict(load_fixture("meters.chargee.volttime.json"), Meter)
    assert meter.latest_data is not None and meter.latest_data.updated_at is None
    assert meter.power is None  # the server sent an explanation instead of a number
    assert (meter.latest_data.l1, meter.type) == (0.0, "ct_meter")


def test_group_meter() -> None:
    data = {
        "uuid": "m",
        "id": 4,
        "type": "p1_meter",
        "latest_data": {"l1": 10.5, "l2": "11", "l3": 0, "updated_at": TS},
        "power": {"total": 7.4, "l1": 2.4, "l2": "2.5", "l3": "-"},
        "created_at": TS,
        "updated_at": TS,
    }
    meter = _converter.structure_strict(data, GroupMeter)
    assert meter.power is not None and (meter.power.total, meter.power.l2, meter.power.l3) == (7.4, 2.5, None)
    assert meter.latest_data is not None
    assert meter.latest_data.updated_at == datetime(2026, 1, 10, 1, 14, 32, tzinfo=UTC)


# --- Teams -------------------------------------------------------------------------------------------


def test_team_charger_connectors_envelope() -> None:
    data = load_fixture("team-chargers.list.volttime.json")["data"][0]
    charger = _converter.structure_strict(data, TeamCharger)
    assert [c.connector_id for c in charger.connectors] == [1]
    assert charger.site is not None and charger.site.name == "Main Office"
    assert charger.internal_model is not None and charger.internal_model.sku == "TAC-W22"
    bare = _converter.structure_strict(data | {"connectors": data["connectors"]["data"]}, TeamCharger)
    assert bare == charger


def test_site_team_access() -> None:
    team = _converter.structure_strict(load_fixture("site-teams.list.volttime.json")["data"][0], Team)
    assert team.id is None and team.access is not None and team.access.data_access_expires_at is None


# --- Charging profiles: the request body ---------------------------------------------------------------


def _key_structure(body: Any) -> Any:
    if isinstance(body, dict):
        return {key: _key_structure(value) for key, value in body.items()}
    if isinstance(body, list):
        return [_key_structure(item) for item in body]
    return None


def _full_profile() -> ChargingProfile:
    return ChargingProfile(
        charging_profile_id=12,
        transaction_id=345,
        stack_level=2,
        charging_profile_purpose=ChargingProfilePurpose.TX_PROFILE,
        charging_profile_kind=ChargingProfileKind.RECURRING,
        recurrency_kind=RecurrencyKind.DAILY,
        valid_from=datetime(2026, 1, 10, 1, 14, 32, tzinfo=UTC),
        valid_to=datetime(2026, 2, 10, 3, 0, tzinfo=timezone(timedelta(hours=2))),
        charging_schedule=ChargingSchedule(
            duration=86400,
            start_schedule=datetime(2026, 1, 10, 0, 0, 0, 500000),  # naive: taken as UTC
            charging_rate_unit=ChargingRateUnit.A,
            charging_schedule_period=(
                ChargingSchedulePeriod(start_period=0, limit=16.0, number_phases=3),
                ChargingSchedulePeriod(start_period=3600, limit=6.5, number_phases=1),
            ),
            min_charging_rate=6.0,
        ),
    )


def test_charging_profile_body_has_the_documented_keys() -> None:
    documented = load_fixture("actions.charging-profile.docs-request.json")["charging_profile"]
    body = _converter.unstructure_request(_full_profile())
    documented_period = documented["charging_schedule"]["charging_schedule_period"][0]
    documented["charging_schedule"]["charging_schedule_period"] = [documented_period, documented_period]
    assert _key_structure(body) == _key_structure(documented)


def test_charging_profile_body_values() -> None:
    body = _converter.unstructure_request(_full_profile())
    assert body["charging_profile_purpose"] == "TxProfile" and type(body["charging_profile_purpose"]) is str
    assert type(body["charging_profile_kind"]) is str and body["recurrency_kind"] == "Daily"
    assert body["valid_from"] == "2026-01-10T01:14:32Z"
    assert body["valid_to"] == "2026-02-10T01:00:00Z"  # converted to UTC
    schedule = body["charging_schedule"]
    assert schedule["start_schedule"] == "2026-01-10T00:00:00.500000Z"
    assert schedule["charging_rate_unit"] == "A" and type(schedule["charging_rate_unit"]) is str
    assert schedule["charging_schedule_period"][1] == {"start_period": 3600, "limit": 6.5, "number_phases": 1}


def test_charging_profile_body_drops_none_fields() -> None:
    minimal = ChargingProfile(
        charging_profile_id=1,
        stack_level=1,
        charging_profile_purpose="TxDefaultProfile",
        charging_profile_kind=ChargingProfileKind.ABSOLUTE,
        charging_schedule=ChargingSchedule(
            charging_rate_unit="W", charging_schedule_period=(ChargingSchedulePeriod(start_period=0, limit=7400),)
        ),
    )
    assert _converter.unstructure_request(minimal) == {
        "charging_profile_id": 1,
        "stack_level": 1,
        "charging_profile_purpose": "TxDefaultProfile",
        "charging_profile_kind": "Absolute",
        "charging_schedule": {
            "charging_rate_unit": "W",
            "charging_schedule_period": [{"start_period": 0, "limit": 7400}],
        },
    }


def test_charging_profile_request_reads_back_as_snake_case() -> None:
    """Outside an OCPP answer a ChargingSchedule is snake_case (e.g. an emulator reading the request body)."""
    profile = _full_profile()
    body = _converter.unstructure_request(profile)
    read = _converter.structure_strict(body, ChargingProfile)
    assert read.charging_schedule.charging_schedule_period == profile.charging_schedule.charging_schedule_period
    assert read.valid_to == profile.valid_to and read.charging_profile_purpose is ChargingProfilePurpose.TX_PROFILE
    assert read.charging_schedule.start_schedule == datetime(2026, 1, 10, 0, 0, 0, 500000, tzinfo=UTC)


def test_unstructure_request_refuses_non_models() -> None:
    with pytest.raises(TypeError):
        _converter.unstructure_request({"a": 1})  # type: ignore[arg-type]


def test_composite_schedule_camel_case() -> None:
    data: dict[str, Any] = {
        "status": "Accepted",
        "connectorId": 1,
        "scheduleStart": TS,
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": 16, "numberPhases": 3},
                {"startPeriod": 60, "limit": 8},
            ],
            "duration": 3600,
            "startSchedule": TS,
            "minChargingRate": 6,
        },
    }
    schedule = _converter.structure_strict(data, CompositeSchedule)
    assert schedule.status is ActionStatus.ACCEPTED and schedule.connector_id == 1
    assert schedule.charging_schedule is not None
    assert schedule.charging_schedule.charging_rate_unit is ChargingRateUnit.A
    assert schedule.charging_schedule.charging_schedule_period[1] == ChargingSchedulePeriod(start_period=60, limit=8.0)
    assert _converter.structure_strict({"status": "Rejected"}, CompositeSchedule).charging_schedule is None
    data["chargingSchedule"]["chargingSchedulePeriod"][0]["start_period"] = 0
    with pytest.raises(_converter.StructureError, match="start_period"):
        _converter.structure_strict(data, CompositeSchedule)


def test_numbers_as_strings_only_where_the_api_documents_them() -> None:
    """API.md lists the traps (total_kwh, meter values, power usage); elsewhere a numeric string is drift."""
    ocpp: dict[str, Any] = {
        "status": "Accepted",
        "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": []},
    }
    ocpp["chargingSchedule"]["chargingSchedulePeriod"] = [
        {"startPeriod": 0, "limit": 16},
        {"startPeriod": 60, "limit": "8"},
    ]
    with pytest.raises(_converter.StructureError) as info:
        _converter.structure(ocpp, CompositeSchedule)
    assert (
        str(info.value) == "expected a number, got a string ('8') @ $.chargingSchedule.chargingSchedulePeriod[1].limit"
    )
    with pytest.raises(_converter.StructureError, match=r"got a string \('12'\) @ \$\.data\.house_number"):
        _converter.structure({"data": _site(house_number="12")}, Site)
    with pytest.raises(_converter.StructureError, match=r"got an integer @ \$\.pincode"):  # a string in answers
        _converter.structure(load_fixture("chargers.get.volttime.json")["data"] | {"pincode": 1234}, Charger)
    public = load_fixture("settings.public-charging.docs.json") | {"price_per_kwh": 1.5}
    with pytest.raises(_converter.StructureError, match=r"expected an integer or null, got a number \(1\.5\)"):
        _converter.structure(public, PublicChargingSetting)


# --- Small models ----------------------------------------------------------------------------------------


def test_oauth_token_keeps_secrets_out_of_repr() -> None:
    token = _converter.structure_strict(load_fixture("oauth.token.docs.json"), OAuthToken)
    assert token.expires_in == 31536000 and token.access_token == "eyJ0..."
    assert "eyJ0" not in repr(token) and "def5" not in repr(token)
    bare = {"token_type": "Bearer", "expires_in": 1, "access_token": "t"}
    assert _converter.structure(bare, OAuthToken).refresh_token is None


def test_settings_shapes() -> None:
    assert _converter.structure_strict({"enabled": True}, LockSetting).enabled is True
    socket = _converter.structure_strict({"enabled": False, "interactable": False, "error": None}, SocketLockSetting)
    assert socket.error is None and socket.interactable is False
    assert _converter.structure_strict({"enabled": False}, PlugAndChargeSetting).current_card is None
    public = load_fixture("settings.public-charging.docs.json") | {"currency": "EUR"}
    setting = _converter.structure_strict(public, PublicChargingSetting)
    assert setting.price_per_kwh == 123 and setting.limits is not None and setting.limits.max_start_fee == 123
    assert setting.billing is not None and setting.billing.fee_percent == 123.0


def test_charger_summary_is_not_a_full_charger() -> None:
    """PUT /chargers answers a shorter document: the full Charger model reads it with its fields None."""
    data = load_fixture("chargers.update.volttime.json")
    assert _converter.structure(data, Charger).setup_pending is None
    summary = _converter.structure_strict(data, ChargerSummary)
    assert summary.permissions is None and summary.licenses is not None and summary.licenses.smart is False


# --- The models package -------------------------------------------------------------------------------


def test_models_all_is_sorted_and_complete() -> None:
    assert models.__all__ == sorted(models.__all__)
    exported = set(models.__all__)
    for path in Path(models.__file__).parent.glob("[!_]*.py"):
        module = __import__(f"plugchoice_async.models.{path.stem}", fromlist=["__all__"])
        assert set(module.__all__) <= exported or path.stem == "fleet", path.stem  # fleet: imported directly
    assert set(models._enums.__all__) <= exported


def test_every_exported_model_is_documented_and_frozen() -> None:
    for name in models.__all__:
        obj = getattr(models, name)
        assert inspect.isclass(obj) and obj.__doc__, name
        if attrs.has(obj):
            assert obj.__setattr__ is not object.__setattr__, f"{name} is not frozen"
