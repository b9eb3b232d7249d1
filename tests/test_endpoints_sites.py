"""Site endpoints of the second pass: moving and reassigning chargers, groups, power management, smart charging,
power history and the card import. Requests as the API wants them (aioresponses, no socket), the published
examples, and end to end against the emulator (including its 403/404/422 answers)."""

from __future__ import annotations

import copy
import email
import email.policy
import functools
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

from plugchoice_async import (
    CardImportResult,
    Charger,
    ChargerReassignResult,
    DayAheadPricingStrategy,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    PlugchoiceClient,
    PowerManagement,
    PowerManagementCharger,
    PowerManagementGroup,
    PowerManagementSubgroup,
    ResponseValidationError,
    Site,
    SiteGroup,
    SmartChargingMode,
    SmartChargingSettings,
    UnprocessableEntityError,
    _converter,
)
from plugchoice_async.testing import PlugchoiceEmulator
from tests.conftest import load_fixture, make_client
from tests.endpoint_helpers import BASE, TS, FakeApi, Sent, filled, raw
from tests.test_resources_sites import invoke

SITE = "4c708cb0-e980-4566-89f2-ee637bea94bc"
OTHER_SITE = "9d2f4a10-1b2c-4d3e-8f40-5a6b7c8d9e0f"
CHARGER = "445bd3f6-8f2c-38cb-aa04-2f4e1edb32bb"
METER = "6a1b2c3d-0000-4000-8000-000000000003"
MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def api() -> Any:
    with aioresponses() as mocked:
        yield FakeApi(mocked)


@pytest.fixture
async def client() -> Any:
    async with make_client(BASE) as client:
        yield client


GROUP = {
    "id": 4,
    "site_id": 1,
    "group_id": 1,
    "meter_id": None,
    "total_amps": 32,
    "net_type": "TN",
    "method": "boost",
    "solar_additional_amps": 0,
    "solar_always_charge": False,
    "solar_always_charge_amps": 6,
    "smart_charging_charge_on_solar_export": False,
    "peak_shaving_enabled": False,
    "peak_shaving_threshold": None,
    "created_at": TS,
    "updated_at": TS,
}


def moved_charger() -> dict[str, Any]:
    document: dict[str, Any] = copy.deepcopy(load_fixture("site-chargers.attach.volttime.json")["data"])
    document["uuid"] = CHARGER
    document["connectors"] = [
        {"id": 1, "charger_id": 1, "connector_id": 1, "status": "Available", "max_amperage": None}
    ]
    return document


POWER: dict[str, Any] = {  # a power-management answer with real values: the docs example, its "{}" items filled in
    "groups": [
        {
            "id": 1,
            "isRoot": True,
            "totalAmps": 63,
            "netType": "TN",
            "method": "boost",
            "peakShaving": {"enabled": True, "threshold": 12.5},
            "meter": {"id": 1, "uuid": METER, "type": "p1_meter", "serialNumber": "E0001"},
            "solarSettings": {
                "additionalAmps": 0,
                "alwaysCharge": False,
                "alwaysChargeAmps": 6,
                "smartChargingChargeOnSolarExport": True,
            },
            "chargers": [{"id": 7, "uuid": CHARGER, "label": "Bay 1", "status": "Charging", "groupId": 1}],
            "subgroups": [
                {
                    "id": 4,
                    "isRoot": False,
                    "totalAmps": 31,
                    "netType": "TN",
                    "method": "solar",
                    "peakShaving": {"enabled": False, "threshold": None},
                    "meter": None,
                    "solarSettings": None,
                    "chargers": [],
                    "subgroups": [{"id": 9, "isRoot": False, "totalAmps": 16, "subgroups": []}],
                }
            ],
        }
    ],
    "unattachedChargers": [{"id": 8, "uuid": MISSING, "label": "Spare", "status": "Available", "groupId": None}],
    "allChargers": [
        {"id": 7, "uuid": CHARGER, "label": "Bay 1", "status": "Charging", "groupId": 1},
        {"id": 8, "uuid": MISSING, "label": "Spare", "status": "Available", "groupId": None},
    ],
    "realTimeData": {"1": {"available": {"l1": 63}, "requested": {"l1": 16}, "allocated": {"l1": 16}}},
    "meterData": {"1": {"total": 4830}},
}


# -- the published examples ------------------------------------------------------------------------


def test_update_docs_answer_keeps_smart_charging_as_the_boolean_shown() -> None:
    """The update (and get) docs show ``smart_charging: true``: kept as the boolean, not guessed into a mode."""
    site = _converter.structure_strict(filled(load_fixture("sites.update.docs.json")), Site)
    assert site.smart_charging is True
    assert site.capabilities is not None and site.capabilities.smart_charging is True
    modern = filled(load_fixture("sites.update.docs.json")) | {"smart_charging": "off_peak"}
    assert _converter.structure_strict(modern, Site).smart_charging is SmartChargingMode.OFF_PEAK


def test_move_and_attach_docs_answers_read_as_chargers() -> None:
    for name in ("site-chargers.move.docs.json", "site-chargers.attach.docs.json"):
        document = filled(load_fixture(name))
        document["connectors"] = [{"id": 1, "connector_id": 1}]  # the docs print the items as {}
        charger = _converter.structure_strict(document, Charger)
        assert (charger.uuid, charger.identity, charger.connectors[0].connector_id) == ("<string>", "<string>", 1)


def test_reassign_docs_answer_is_a_message() -> None:
    result = _converter.structure_strict(load_fixture("site-chargers.reassign.docs.json"), ChargerReassignResult)
    assert result == ChargerReassignResult(message="<string>")


def test_group_reassign_volttime_answer_is_a_group_in_data() -> None:
    group = _converter.structure_strict(load_fixture("site-groups.reassign.volttime.json"), SiteGroup)
    assert (group.id, group.group_id, group.total_amps, group.method) == (1, None, 48.0, "boost")
    assert group.smart_charging_charge_on_solar_export is None  # absent from this example


def test_power_management_docs_example_and_camel_case() -> None:
    docs = load_fixture("sites.power-management.docs.json")
    docs["groups"][0]["chargers"] = docs["groups"][0]["subgroups"] = docs["unattachedChargers"] = []
    management = _converter.structure_strict(docs, PowerManagement)
    (group,) = management.groups
    assert (group.is_root, group.total_amps, group.net_type) == (True, 123.0, "<string>")
    assert group.meter is not None and group.meter.serial_number == "<string>"
    assert group.solar_settings is not None and group.solar_settings.smart_charging_charge_on_solar_export is True
    assert management.all_chargers == (
        PowerManagementCharger(id=123, uuid="<string>", label="<string>", status="<string>", group_id=123),
    )
    assert (management.real_time_data, management.meter_data) == ({}, {})
    with pytest.raises(_converter.StructureError, match=r"unknown key .* \$\.groups\[0\]\.is_root"):
        _converter.structure_strict({"groups": [{"id": 1, "is_root": True}]}, PowerManagement)  # snake_case is not it


def test_power_management_tree_two_levels_typed_deeper_kept_as_sent() -> None:
    management = _converter.structure_strict(POWER, PowerManagement)
    (root,) = management.groups
    assert type(root) is PowerManagementGroup and root.peak_shaving is not None and root.peak_shaving.threshold == 12.5
    (sub,) = root.subgroups
    assert type(sub) is PowerManagementSubgroup and (sub.id, sub.is_root, sub.method) == (4, False, "solar")
    assert sub.subgroups == ({"id": 9, "isRoot": False, "totalAmps": 16, "subgroups": []},)
    assert [c.group_id for c in management.all_chargers] == [1, None]
    assert management.unattached_chargers[0].label == "Spare"
    assert management.meter_data == {"1": {"total": 4830}}


def test_power_management_missing_group_id_is_an_error() -> None:
    broken = copy.deepcopy(POWER)
    del broken["groups"][0]["subgroups"][0]["id"]
    with pytest.raises(_converter.StructureError, match=r"required key missing @ \$\.groups\[0\]\.subgroups\[0\]\.id"):
        _converter.structure(broken, PowerManagement)


def smart_docs(name: str) -> Any:
    """A smart-charging docs example with its time placeholders replaced (``"<string>"`` is no HH:mm)."""
    return load_fixture(name) | {"off_peak_start": "23:00", "off_peak_end": "07:00"}


@pytest.mark.parametrize("name", ["sites.smart-charging-update.docs.json", "sites.smart-charging.docs.json"])
def test_smart_charging_docs_answers_are_flat_settings(name: str) -> None:
    settings = _converter.structure_strict(smart_docs(name), SmartChargingSettings)
    assert settings.smart_charging == "<string>" and settings.day_ahead_pricing_threshold == 123.0
    assert (settings.off_peak_start, settings.day_ahead_pricing_smart_mode_price) == (time(23, 0), 123.0)


def test_card_import_examples() -> None:
    result = _converter.structure_strict(load_fixture("site-cards.import.volttime.json"), CardImportResult)
    assert (result.created, result.skipped, result.errors[0].row) == (3, 1, 2)
    assert result.errors[0].error == "The id_token has already been taken."


# -- requests as the API wants them (no socket) -----------------------------------------------------


async def test_update_sends_the_documented_request_fields(api: FakeApi, client: Any) -> None:
    documented = load_fixture("sites.update.docs-request.json")
    answer = filled(load_fixture("sites.update.docs.json"))
    api.on("PUT", f"/sites/{SITE}", answer)
    site = await client.sites.update(
        SITE,
        name="Depot",
        street="Energieweg",
        house_number=12,
        house_number_addition="B",
        postal_code="3542 AB",
        city="Utrecht",
        country="nl",
    )
    body = api.sent[0].json
    assert set(body) == set(documented)
    assert {k: type(v) for k, v in body.items()} == {k: type(v) for k, v in documented.items()}
    assert body["country"] == "NL"
    assert site.smart_charging is True


async def test_attach_sends_the_documented_request(api: FakeApi, client: Any) -> None:
    documented = load_fixture("site-chargers.attach.docs-request.json")
    api.on("POST", f"/sites/{SITE}/chargers", {"data": moved_charger()})
    await client.sites.attach_charger(SITE, identity="EVB-P2047495", pincode="0123")
    body = api.sent[0].json
    assert {k: type(v) for k, v in body.items()} == {k: type(v) for k, v in documented.items()}
    assert body == {"identity": "EVB-P2047495", "pincode": 123}


async def test_move_charger_sends_the_target(api: FakeApi, client: Any) -> None:
    api.on("PATCH", f"/sites/{SITE}/chargers/{CHARGER}/move", {"data": moved_charger()})
    charger = await client.sites.move_charger(SITE.upper(), CHARGER, target_site=OTHER_SITE.upper())
    assert isinstance(charger, Charger) and charger.uuid == CHARGER
    assert charger.connectors[0].max_amperage is None
    (sent,) = api.sent
    assert (sent.method, sent.path) == ("PATCH", f"/sites/{SITE}/chargers/{CHARGER}/move")
    assert sent.json == {"target_site_uuid": OTHER_SITE}
    assert set(sent.json) == set(load_fixture("site-chargers.move.docs-request.json"))


async def test_move_charger_to_its_own_site_is_refused_before_sending(api: FakeApi, client: Any) -> None:
    with pytest.raises(InvalidRequestError, match="target_site must differ"):
        await client.sites.move_charger(SITE, CHARGER, target_site=SITE.upper())  # the same UUID in another case
    assert api.sent == []


async def test_reassign_charger(api: FakeApi, client: Any) -> None:
    api.on("PATCH", f"/sites/{SITE}/chargers/{CHARGER}/reassign", {"message": "Charger reassigned successfully."})
    result = await client.sites.reassign_charger(SITE, CHARGER, group=4)
    assert result == ChargerReassignResult(message="Charger reassigned successfully.")
    assert api.sent[0].json == {"site_group_id": 4}
    assert set(api.sent[0].json) == set(load_fixture("site-chargers.reassign.docs-request.json"))


async def test_update_group_sends_only_the_given_settings(api: FakeApi, client: Any) -> None:
    api.on("PUT", f"/sites/{SITE}/groups/4", GROUP)  # no example is published: bare here, wrapped below
    group = await client.sites.update_group(SITE, 4, total_amps=32, peak_shaving_enabled=False)
    assert isinstance(group, SiteGroup) and group.id == 4
    assert api.sent[0].json == {"total_amps": 32, "peak_shaving_enabled": False}


async def test_update_group_with_every_setting_matches_the_documented_request(api: FakeApi, client: Any) -> None:
    documented = load_fixture("site-groups.update.docs-request.json")
    api.on("PUT", f"/sites/{SITE}/groups/4", {"data": GROUP})
    await client.sites.update_group(
        SITE,
        4,
        total_amps=40,
        net_type="TT",
        method="solar",
        meter=METER.upper(),
        remove_meter=False,
        solar_additional_amps=0,
        solar_always_charge=True,
        solar_always_charge_amps=6,
        smart_charging_charge_on_solar_export=True,
        peak_shaving_enabled=True,
        peak_shaving_threshold=7.5,
    )
    body = api.sent[0].json
    assert set(body) == set(documented)
    assert body["meter_uuid"] == METER and body["remove_meter"] is False and body["peak_shaving_threshold"] == 7.5
    await client.sites.update_group(SITE, 4, remove_meter=True)
    assert api.sent[1].json == {"remove_meter": True}


async def test_reassign_group(api: FakeApi, client: Any) -> None:
    api.on("PATCH", f"/sites/{SITE}/groups/4/reassign", load_fixture("site-groups.reassign.volttime.json"))
    group = await client.sites.reassign_group(SITE, 4, parent=16)
    assert isinstance(group, SiteGroup) and group.id == 1
    assert api.sent[0].json == load_fixture("site-groups.reassign.volttime-request.json")
    assert set(api.sent[0].json) == set(load_fixture("site-groups.reassign.docs-request.json"))


@pytest.mark.parametrize("wrapped", [False, True])
async def test_power_management(api: FakeApi, client: Any, wrapped: bool) -> None:
    api.on("GET", f"/sites/{SITE}/power-management", {"data": POWER} if wrapped else POWER)
    management = await client.sites.power_management(SITE)
    assert management == _converter.structure(POWER, PowerManagement)
    assert (api.sent[0].method, api.sent[0].path, api.sent[0].body) == ("GET", f"/sites/{SITE}/power-management", b"")


async def test_power_management_misfit_is_a_response_validation_error(api: FakeApi, client: Any) -> None:
    api.on("GET", f"/sites/{SITE}/power-management", {"groups": [{"id": "one"}]})
    with pytest.raises(ResponseValidationError, match=r"groups\[0\]\.id"):
        await client.sites.power_management(SITE)


@pytest.mark.parametrize(
    ("answer", "read"),
    [
        (smart_docs("sites.smart-charging.docs.json"), ("<string>", "<string>", 123.0, time(7, 0))),
        (
            load_fixture("sites.smart-charging-update.volttime.json"),
            (None, SmartChargingMode.DISABLED, None, time(7, 0)),
        ),
    ],
    ids=["flat", "data"],
)
async def test_smart_charging_reads_flat_and_wrapped(
    api: FakeApi, client: Any, answer: Any, read: tuple[Any, ...]
) -> None:
    api.on("GET", f"/sites/{SITE}/smart-charging", answer)
    settings = await client.sites.smart_charging(SITE)
    assert isinstance(settings, SmartChargingSettings)
    assert (
        settings.timezone,
        settings.smart_charging,
        settings.day_ahead_pricing_threshold,
        settings.off_peak_end,
    ) == read  # the answer's values, read out of the envelope when there is one
    assert api.sent[0].path == f"/sites/{SITE}/smart-charging"


async def test_update_smart_charging_sends_the_documented_request(api: FakeApi, client: Any) -> None:
    api.on("PUT", f"/sites/{SITE}/smart-charging", load_fixture("sites.smart-charging-update.volttime.json"))
    documented = load_fixture("sites.smart-charging-update.volttime-request.json")
    settings = await client.sites.update_smart_charging(
        SITE,
        timezone="Asia/Yekaterinburg",
        mode=SmartChargingMode.DISABLED,
        day_ahead_pricing_strategy=DayAheadPricingStrategy.MANUAL,
        day_ahead_pricing_threshold=16,
        off_peak_start=time(14, 45),
        off_peak_end="14:45",
    )
    assert api.sent[0].json == documented
    assert list(api.sent[0].json) == list(load_fixture("sites.smart-charging-update.docs-request.json"))
    assert settings.off_peak_start == time(23, 0)  # the answer is what the server stored


async def test_update_smart_charging_leaves_out_what_is_not_given(api: FakeApi, client: Any) -> None:
    api.on("PUT", f"/sites/{SITE}/smart-charging", smart_docs("sites.smart-charging-update.docs.json"))
    await client.sites.update_smart_charging(SITE, timezone="Europe/Amsterdam", mode="day_ahead_pricing")
    assert api.sent[0].json == {"timezone": "Europe/Amsterdam", "smart_charging": "day_ahead_pricing"}


async def test_power_history_sends_the_documented_query(api: FakeApi, client: Any) -> None:
    documented = load_fixture("sites.power-history.volttime-request.json")
    api.on("GET", f"/sites/{SITE}/power-history", load_fixture("sites.power-history.volttime.json"))
    history = await client.sites.power_history(
        SITE,
        type=documented["type"],
        entity_id=documented["entity_id"],
        connector_id=documented["connector_id"],
        from_=datetime(2026, 1, 10, 1, 14, 33),
        to=date(2052, 2, 3),
    )
    assert history == {}
    assert api.sent[0].query == {
        "type": "connector",
        "entity_id": "16",
        "connector_id": "16",
        "from": "2026-01-10T01:14:33Z",  # naive: UTC
        "to": "2052-02-03",
    }


@pytest.mark.parametrize(
    ("answer", "expected"),
    [(None, None), ({"data": None}, None), ({"data": {"points": [1, 2]}}, {"points": [1, 2]}), ({"a": 1}, {"a": 1})],
)
async def test_power_history_object_or_null(api: FakeApi, client: Any, answer: Any, expected: Any) -> None:
    api.on("GET", f"/sites/{SITE}/power-history", answer)
    assert await client.sites.power_history(SITE, type="branch", entity_id=3) == expected
    assert api.sent[0].query == {"type": "branch", "entity_id": "3"}


async def test_power_history_that_is_not_an_object_is_a_validation_error(api: FakeApi, client: Any) -> None:
    api.on("GET", f"/sites/{SITE}/power-history", [1, 2])
    with pytest.raises(ResponseValidationError):
        await client.sites.power_history(SITE, type="branch", entity_id=3)


def _multipart(sent: Sent) -> tuple[str, str | None, bytes]:
    """(field name, filename, content) of the one part of a multipart body."""
    message = email.message_from_bytes(
        b"Content-Type: " + sent.headers["content-type"].encode() + b"\r\n\r\n" + sent.body,
        policy=email.policy.HTTP,
    )
    (part,) = message.iter_parts()
    return (
        str(part.get_param("name", header="content-disposition")),
        part.get_filename(),
        bytes(part.get_payload(decode=True)),
    )


async def test_import_cards_uploads_the_csv(api: FakeApi, client: Any, tmp_path: Path) -> None:
    api.on("POST", f"/sites/{SITE}/cards/import", load_fixture("site-cards.import.volttime.json"))
    csv_text = "name,id_token\nCard 1,AA11\nCard 2,EXISTING123\n"
    result = await client.sites.import_cards(SITE, csv_text.encode())
    assert isinstance(result, CardImportResult) and (result.created, result.skipped) == (3, 1)
    sent = api.sent[0]
    assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert _multipart(sent) == ("file", "import.csv", csv_text.encode())
    path = tmp_path / "cards.txt"
    path.write_bytes(b"name,id_token\nCard 3,CC33\n")
    await client.sites.import_cards(SITE, path)
    await client.sites.import_cards(SITE, b"name,id_token\n", filename="Fleet.CSV")
    assert [_multipart(s)[1:] for s in api.sent[1:]] == [
        ("cards.txt", b"name,id_token\nCard 3,CC33\n"),
        ("Fleet.CSV", b"name,id_token\n"),
    ]


# -- argument checks: refused before anything is sent -----------------------------------------------

INVALID: list[tuple[str, Callable[[PlugchoiceClient], Any], str]] = [
    ("move: same site", lambda c: c.sites.move_charger(SITE, CHARGER, target_site=SITE), "target_site must differ"),
    ("move: target not a uuid", lambda c: c.sites.move_charger(SITE, CHARGER, target_site="x"), "target_site id"),
    ("move: charger not a uuid", lambda c: c.sites.move_charger(SITE, "EVB-1", target_site=OTHER_SITE), "charger id"),
    ("reassign: group 0", lambda c: c.sites.reassign_charger(SITE, CHARGER, group=0), "group must be at least 1"),
    ("reassign: group text", lambda c: c.sites.reassign_charger(SITE, CHARGER, group="4"), "group must be an integer"),  # type: ignore[arg-type]
    ("reassign: group bool", lambda c: c.sites.reassign_charger(SITE, CHARGER, group=True), "group must be an integer"),
    ("update_group: nothing", lambda c: c.sites.update_group(SITE, 4), "at least one setting"),
    ("update_group: amps 0", lambda c: c.sites.update_group(SITE, 4, total_amps=0), "total_amps must be at least 1"),
    ("update_group: amps float", lambda c: c.sites.update_group(SITE, 4, total_amps=32.5), "total_amps must be an"),  # type: ignore[arg-type]
    ("update_group: net_type", lambda c: c.sites.update_group(SITE, 4, net_type="TN-C"), "net_type must be one of"),  # type: ignore[arg-type]
    ("update_group: method", lambda c: c.sites.update_group(SITE, 4, method="dynamic"), "method must be one of"),  # type: ignore[arg-type]
    ("update_group: meter", lambda c: c.sites.update_group(SITE, 4, meter="m-1"), "meter id must be a UUID"),
    (
        "update_group: meter and remove",
        lambda c: c.sites.update_group(SITE, 4, meter=METER, remove_meter=True),
        "not both",
    ),
    ("update_group: remove 1", lambda c: c.sites.update_group(SITE, 4, remove_meter=1), "remove_meter must be True"),  # type: ignore[arg-type]
    (
        "update_group: solar amps -1",
        lambda c: c.sites.update_group(SITE, 4, solar_additional_amps=-1),
        "solar_additional_amps must be at least 0",
    ),
    (
        "update_group: threshold -1",
        lambda c: c.sites.update_group(SITE, 4, peak_shaving_threshold=-0.5),
        "peak_shaving_threshold must be at least 0",
    ),
    (
        "update_group: solar flag",
        lambda c: c.sites.update_group(SITE, 4, solar_always_charge="yes"),  # type: ignore[arg-type]
        "solar_always_charge must be True",
    ),
    ("update_group: group 0", lambda c: c.sites.update_group(SITE, 0, total_amps=6), "group must be at least 1"),
    ("reassign_group: itself", lambda c: c.sites.reassign_group(SITE, 4, parent=4), "parent must be another group"),
    ("reassign_group: parent 0", lambda c: c.sites.reassign_group(SITE, 4, parent=0), "parent must be at least 1"),
    ("power_management: site", lambda c: c.sites.power_management("x"), "site id must be a UUID"),
    ("smart_charging: site", lambda c: c.sites.smart_charging(SITE[:-1]), "site id must be a UUID"),
    (
        "update_smart_charging: mode",
        lambda c: c.sites.update_smart_charging(SITE, timezone="UTC", mode="solar"),  # type: ignore[arg-type]
        "mode must be one of",
    ),
    (
        "update_smart_charging: timezone",
        lambda c: c.sites.update_smart_charging(SITE, timezone=" ", mode="disabled"),
        "timezone must not be empty",
    ),
    (
        "update_smart_charging: strategy",
        lambda c: c.sites.update_smart_charging(SITE, timezone="UTC", mode="disabled", day_ahead_pricing_strategy="ai"),  # type: ignore[arg-type]
        "day_ahead_pricing_strategy must be one of",
    ),
    (
        "update_smart_charging: threshold",
        lambda c: c.sites.update_smart_charging(
            SITE, timezone="UTC", mode="disabled", day_ahead_pricing_threshold=float("nan")
        ),
        "day_ahead_pricing_threshold must be a finite number",
    ),
    (
        "update_smart_charging: 24:00",
        lambda c: c.sites.update_smart_charging(SITE, timezone="UTC", mode="off_peak", off_peak_start="24:00"),
        "off_peak_start must be a time of day HH:mm",
    ),
    (
        "update_smart_charging: 7:00",
        lambda c: c.sites.update_smart_charging(SITE, timezone="UTC", mode="off_peak", off_peak_end="7:00"),
        "off_peak_end must be a time of day HH:mm",
    ),
    (
        "update_smart_charging: seconds",
        lambda c: c.sites.update_smart_charging(SITE, timezone="UTC", mode="off_peak", off_peak_end=time(7, 0, 30)),
        "off_peak_end must be a whole minute",
    ),
    (
        "power_history: type",
        lambda c: c.sites.power_history(SITE, type="site", entity_id=1),  # type: ignore[arg-type]
        "type must be one of",
    ),
    (
        "power_history: connector without connector_id",
        lambda c: c.sites.power_history(SITE, type="connector", entity_id=1),
        "connector_id is required",
    ),
    (
        "power_history: branch with connector_id",
        lambda c: c.sites.power_history(SITE, type="branch", entity_id=1, connector_id=1),
        "only for type='connector'",
    ),
    (
        "power_history: entity 0",
        lambda c: c.sites.power_history(SITE, type="branch", entity_id=0),
        "entity_id must be at least 1",
    ),
    (
        "power_history: to before from",
        lambda c: c.sites.power_history(
            SITE, type="branch", entity_id=1, from_=date(2026, 1, 2), to=datetime(2026, 1, 1, 23, 59, tzinfo=UTC)
        ),
        "must not be before from_",
    ),
    (
        "power_history: from text",
        lambda c: c.sites.power_history(SITE, type="branch", entity_id=1, from_="2026-01-01"),  # type: ignore[arg-type]
        "from_ must be a datetime or a date",
    ),
    ("import: wrong extension", lambda c: c.sites.import_cards(SITE, b"a", filename="cards.xlsx"), ".csv or .txt"),
    ("import: too large", lambda c: c.sites.import_cards(SITE, b"x" * (1_048_577)), "over the upload limit"),
    ("import: empty", lambda c: c.sites.import_cards(SITE, b""), "is empty"),
    ("import: not a file", lambda c: c.sites.import_cards(SITE, 42), "file must be the content as bytes"),  # type: ignore[arg-type]
    ("import: site", lambda c: c.sites.import_cards("site", b"a"), "site id must be a UUID"),
]


@pytest.mark.parametrize(("case", "call", "message"), INVALID, ids=[case for case, _, _ in INVALID])
async def test_invalid_arguments_are_refused_before_sending(
    api: FakeApi, client: Any, case: str, call: Callable[[PlugchoiceClient], Any], message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=re.escape(message)):
        await invoke(lambda: call(client))
    assert api.sent == []


async def test_power_history_bounds_may_be_equal_and_mixed(api: FakeApi, client: Any) -> None:
    api.on("GET", f"/sites/{SITE}/power-history", {})
    moment = datetime(2026, 1, 2, 0, 0, tzinfo=UTC)
    await client.sites.power_history(SITE, type="branch", entity_id=1, from_=date(2026, 1, 2), to=moment)
    assert (api.sent[0].query["from"], api.sent[0].query["to"]) == ("2026-01-02", "2026-01-02T00:00:00Z")


# -- end to end against the emulator ----------------------------------------------------------------


@pytest.fixture
async def live(emulator: PlugchoiceEmulator) -> Any:
    async with make_client(emulator.base_url) as client:
        yield client


def _sites(emulator: PlugchoiceEmulator) -> tuple[str, str]:
    first, second = list(emulator.sites)[:2]
    return first, second


async def test_e2e_move_charger_resets_its_configuration(emulator: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    site, target = _sites(emulator)
    groups = await live.sites.groups(site)
    charger = emulator.site_chargers(site)[0]
    await live.sites.reassign_charger(site, charger, group=groups[1].id)
    before = await live.chargers.get(charger)
    assert any(c.max_amperage is not None for c in before.connectors)

    moved = await live.sites.move_charger(site, charger, target_site=target)
    assert isinstance(moved, Charger) and moved.uuid == charger
    assert moved.connectors and all(c.max_amperage is None for c in moved.connectors)
    assert charger not in emulator.site_chargers(site) and emulator.site_chargers(target)[-1] == charger
    assert all(c.max_amperage is None for c in (await live.chargers.get(charger)).connectors)
    management = await live.sites.power_management(target)
    assert charger in {c.uuid for c in management.unattached_chargers}  # its group did not come along
    assert charger not in {c.uuid for c in (await live.sites.power_management(site)).all_chargers}

    with pytest.raises(NotFoundError):  # no longer on the first site
        await live.sites.move_charger(site, charger, target_site=target)
    with pytest.raises(UnprocessableEntityError) as info:
        await live.sites.move_charger(target, charger, target_site=MISSING)
    assert info.value.errors == {"target_site_uuid": ["The selected target site uuid is invalid."]}
    with pytest.raises(PermissionDeniedError):
        await live.sites.move_charger(target, charger, target_site=emulator.foreign_site_uuid)
    status, body = await raw(
        emulator, "PATCH", f"/sites/{target}/chargers/{charger}/move", json={"target_site_uuid": target}
    )
    assert (status, body["errors"]) == (
        422,
        {"target_site_uuid": ["The target site uuid field and current site must be different."]},
    )
    status, body = await raw(emulator, "PATCH", f"/sites/{target}/chargers/{charger}/move", json={})
    assert (status, body["errors"]) == (422, {"target_site_uuid": ["The target site uuid field is required."]})


async def test_e2e_reassign_charger(emulator: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    site, other = _sites(emulator)
    charger = emulator.site_chargers(site)[0]
    groups = await live.sites.groups(site)
    result = await live.sites.reassign_charger(site, charger, group=groups[2].id)
    assert result.message == "Charger reassigned successfully."
    management = await live.sites.power_management(site)
    assert next(c for c in management.all_chargers if c.uuid == charger).group_id == groups[2].id
    foreign_group = (await live.sites.groups(other))[0].id
    with pytest.raises(UnprocessableEntityError) as info:
        await live.sites.reassign_charger(site, charger, group=foreign_group)
    assert info.value.errors == {"site_group_id": ["The selected site group id is invalid."]}
    with pytest.raises(NotFoundError):
        await live.sites.reassign_charger(site, MISSING, group=groups[0].id)
    stranger = emulator.site_chargers(other)[0]
    with pytest.raises(NotFoundError):  # a charger of another site
        await live.sites.reassign_charger(site, stranger, group=groups[0].id)
    with pytest.raises(PermissionDeniedError):
        await live.sites.reassign_charger(emulator.foreign_site_uuid, charger, group=1)


async def test_e2e_update_group(emulator: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    site = next(s for s in emulator.sites if emulator.sites[s]["id"] % 2 == 0)  # its root group has a meter
    root, sub, _ = await live.sites.groups(site)
    assert root.meter_id is not None and sub.meter_id is None
    meter = await live.sites.group_meter(site, root.id)

    updated = await live.sites.update_group(
        site, sub.id, total_amps=25, method="solar", net_type="IT", peak_shaving_enabled=True, peak_shaving_threshold=4
    )
    assert (updated.id, updated.total_amps, updated.method, updated.net_type) == (sub.id, 25, "solar", "IT")
    assert (updated.peak_shaving_enabled, updated.peak_shaving_threshold) == (True, 4)
    assert (await live.sites.groups(site))[1] == updated

    moved = await live.sites.update_group(site, sub.id, meter=meter.uuid)  # the root's meter moves to the subgroup
    assert moved.meter_id == meter.id
    assert (await live.sites.groups(site))[0].meter_id is None
    assert (await live.sites.group_meter(site, sub.id)).uuid == meter.uuid
    power = await live.sites.power_management(site)
    assert power.groups[0].meter is None and power.groups[0].subgroups[0].meter is not None
    assert power.meter_data is not None and str(meter.id) in power.meter_data

    cleared = await live.sites.update_group(site, sub.id, remove_meter=True)
    assert cleared.meter_id is None
    with pytest.raises(NotFoundError):
        await live.sites.group_meter(site, sub.id)
    with pytest.raises(UnprocessableEntityError) as info:
        await live.sites.update_group(site, sub.id, meter=MISSING)
    assert info.value.errors == {"meter_uuid": ["The selected meter uuid is invalid."]}
    with pytest.raises(NotFoundError):
        await live.sites.update_group(site, 987_654, total_amps=6)
    status, body = await raw(emulator, "PUT", f"/sites/{site}/groups/{sub.id}", json={"total_amps": 0, "method": "x"})
    assert (status, body["errors"]) == (
        422,
        {"total_amps": ["The total amps field must be at least 1."], "method": ["The selected method is invalid."]},
    )


async def test_e2e_reassign_group_and_the_power_tree(emulator: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    site, other = _sites(emulator)
    root, first, second = await live.sites.groups(site)
    tree = (await live.sites.power_management(site)).groups
    assert [g.id for g in tree] == [root.id] and tree[0].is_root is True
    assert [s.id for s in tree[0].subgroups] == [first.id, second.id]

    moved = await live.sites.reassign_group(site, second.id, parent=first.id)
    assert (moved.id, moved.group_id) == (second.id, first.id)
    (top,) = (await live.sites.power_management(site)).groups
    assert [s.id for s in top.subgroups] == [first.id]
    assert [g["id"] for g in top.subgroups[0].subgroups] == [second.id]  # the third level, kept as sent

    with pytest.raises(UnprocessableEntityError) as info:  # under its own subtree
        await live.sites.reassign_group(site, root.id, parent=second.id)
    assert info.value.errors == {"parent_group_id": ["A group cannot be moved under one of its own subgroups."]}
    with pytest.raises(UnprocessableEntityError) as info:
        await live.sites.reassign_group(site, first.id, parent=(await live.sites.groups(other))[0].id)
    assert info.value.errors == {"parent_group_id": ["The selected parent group id is invalid."]}
    status, body = await raw(
        emulator, "PATCH", f"/sites/{site}/groups/{first.id}/reassign", json={"parent_group_id": first.id}
    )
    assert (status, body["errors"]) == (
        422,
        {"parent_group_id": ["The parent group id field and group must be different."]},
    )
    with pytest.raises(NotFoundError):
        await live.sites.reassign_group(site, 987_654, parent=root.id)


async def test_e2e_power_management_matches_the_site(emulator: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    site = next(iter(emulator.sites))
    members = emulator.site_chargers(site)
    management = await live.sites.power_management(site)
    assert [c.uuid for c in management.all_chargers] == members
    grouped = [c.uuid for g in management.groups for c in g.chargers] + [
        c.uuid for g in management.groups for s in g.subgroups for c in s.chargers
    ]
    unattached = [c.uuid for c in management.unattached_chargers]
    assert sorted(grouped + unattached) == sorted(members) and unattached
    status, body = await raw(emulator, "GET", f"/sites/{site}/power-management")
    assert status == 200 and _converter.structure_strict(body, PowerManagement) == management  # every key modelled
    assert body["realTimeData"] and set(body["realTimeData"]) == {str(g.id) for g in await live.sites.groups(site)}
    with pytest.raises(PermissionDeniedError):
        await live.sites.power_management(emulator.foreign_site_uuid)
    with pytest.raises(NotFoundError):
        await live.sites.power_management(MISSING)


async def test_e2e_smart_charging(emulator: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    site = next(iter(emulator.sites))
    settings = await live.sites.smart_charging(site)
    assert settings.smart_charging == emulator.sites[site]["smart_charging"]
    assert (settings.off_peak_start, settings.off_peak_end) == (time(23, 0), time(7, 0))

    with pytest.raises(UnprocessableEntityError) as info:  # manual, and no threshold set before
        await live.sites.update_smart_charging(
            site, timezone="Europe/Amsterdam", mode="day_ahead_pricing", day_ahead_pricing_strategy="manual"
        )
    assert info.value.errors == {
        "day_ahead_pricing_threshold": [
            "The day ahead pricing threshold field is required when day ahead pricing strategy is manual."
        ]
    }
    updated = await live.sites.update_smart_charging(
        site,
        timezone="Europe/Amsterdam",
        mode="day_ahead_pricing",
        day_ahead_pricing_strategy="manual",
        day_ahead_pricing_threshold=-0.02,
    )
    assert (updated.smart_charging, updated.day_ahead_pricing_strategy) == (
        SmartChargingMode.DAY_AHEAD_PRICING,
        DayAheadPricingStrategy.MANUAL,
    )
    assert (updated.timezone, updated.day_ahead_pricing_threshold) == ("Europe/Amsterdam", -0.02)
    again = await live.sites.update_smart_charging(  # a threshold is set now: not needed again
        site, timezone="Europe/Amsterdam", mode="day_ahead_pricing", day_ahead_pricing_strategy="manual"
    )
    assert again.day_ahead_pricing_threshold == -0.02
    assert (await live.sites.get(site)).smart_charging is SmartChargingMode.DAY_AHEAD_PRICING

    with pytest.raises(UnprocessableEntityError) as info:
        await live.sites.update_smart_charging(site, timezone="Mars/Olympus", mode="off_peak")
    assert info.value.errors == {
        "timezone": ["The timezone field must be a valid timezone."],
        "off_peak_start": ["The off peak start field is required when smart charging is off_peak."],
        "off_peak_end": ["The off peak end field is required when smart charging is off_peak."],
    }
    off_peak = await live.sites.update_smart_charging(
        site, timezone="UTC", mode="off_peak", off_peak_start="22:30", off_peak_end=time(6, 0)
    )
    assert (off_peak.off_peak_start, off_peak.off_peak_end) == (time(22, 30), time(6, 0))
    assert await live.sites.smart_charging(site) == off_peak
    status, body = await raw(
        emulator,
        "PUT",
        f"/sites/{site}/smart-charging",
        json={"timezone": "UTC", "smart_charging": "solar", "off_peak_start": "25:00"},
    )
    assert (status, body["errors"]) == (
        422,
        {
            "smart_charging": ["The selected smart charging is invalid."],
            "off_peak_start": ["The off peak start field must match the format H:i."],
        },
    )
    with pytest.raises(PermissionDeniedError):
        await live.sites.smart_charging(emulator.foreign_site_uuid)


async def test_e2e_power_history(emulator: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    site = next(iter(emulator.sites))
    group = (await live.sites.groups(site))[0]
    charger = emulator.chargers[emulator.site_chargers(site)[0]]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert await live.sites.power_history(site, type="branch", entity_id=group.id, from_=start, to=start) == {}
    assert await live.sites.power_history(site, type="connector", entity_id=charger["id"], connector_id=1) == {}
    with pytest.raises(UnprocessableEntityError) as info:
        await live.sites.power_history(site, type="branch", entity_id=987_654)
    assert info.value.errors == {"entity_id": ["The selected entity id is invalid."]}
    with pytest.raises(UnprocessableEntityError) as info:
        await live.sites.power_history(site, type="connector", entity_id=charger["id"], connector_id=9)
    assert info.value.errors == {"connector_id": ["The selected connector id is invalid."]}
    query = {"type": "connector", "entity_id": str(charger["id"]), "from": "2026-01-02", "to": "2026-01-01"}
    status, body = await raw(emulator, "GET", f"/sites/{site}/power-history", params=query)
    assert (status, body["errors"]) == (
        422,
        {
            "connector_id": ["The connector id field is required."],
            "to": ["The to field must be a date after or equal to from."],
        },
    )
    with pytest.raises(NotFoundError):
        await live.sites.power_history(MISSING, type="branch", entity_id=1)


async def test_e2e_import_cards(emulator: PlugchoiceEmulator, live: PlugchoiceClient, tmp_path: Path) -> None:
    site = next(iter(emulator.sites))
    await live.sites.create_card(site, name="Existing", id_token="EXISTING123")
    path = tmp_path / "cards.csv"
    rows = ["name,id_token", "Card 1,AA11", "Card 2,EXISTING123", "", "Card 3,CC33", ",DD44", "Card 5,AA11"]
    path.write_text("\n".join([*rows, "Card 6,TOKEN-LONGER-THAN-20X"]) + "\n")
    result = await live.sites.import_cards(site, path)
    assert (result.message, result.created, result.skipped) == ("Import completed", 2, 4)
    assert [(e.row, e.name, e.id_token, e.error) for e in result.errors] == [
        (2, "Card 2", "EXISTING123", "The id_token has already been taken."),
        (4, None, "DD44", "The name field is required."),
        (5, "Card 5", "AA11", "The id_token has already been taken."),  # taken by row 1
        (6, "Card 6", "TOKEN-LONGER-THAN-20X", "The id_token field must not be greater than 20 characters."),
    ]
    with pytest.raises(UnprocessableEntityError) as info:  # the cards are there now
        await live.sites.create_card(site, name="Again", id_token="CC33")
    assert info.value.errors == {"id_token": ["The id token has already been taken."]}

    with pytest.raises(UnprocessableEntityError) as info:
        await live.sites.import_cards(site, b"token,name\nAA,BB\n")
    assert info.value.errors == {"file": ["The file must have a header row with the columns name and id_token."]}
    status, body = await raw(emulator, "POST", f"/sites/{site}/cards/import", json={})  # the docs' curl sends {}
    assert (status, body["errors"]) == (422, {"file": ["The file field is required."]})
    form = aiohttp.FormData()
    form.add_field("file", b"name,id_token\n", filename="cards.xlsx", content_type="application/octet-stream")
    status, body = await raw(emulator, "POST", f"/sites/{site}/cards/import", data=form)
    assert (status, body["errors"]) == (422, {"file": ["The file field must be a file of type: csv, txt."]})
    with pytest.raises(PermissionDeniedError):
        await live.sites.import_cards(emulator.foreign_site_uuid, b"name,id_token\nA,B\n")


async def test_e2e_validation_sends_nothing(emulator: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    emulator.reset_stats()
    for case, call, _ in INVALID:
        with pytest.raises(InvalidRequestError):
            await invoke(functools.partial(call, live))
        assert emulator.requests == [], case
