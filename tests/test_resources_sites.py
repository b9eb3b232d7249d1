"""``client.sites``: requests as the API wants them (aioresponses, no socket) and end to end against the emulator."""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any, cast

import aiohttp
import attrs
import pytest
from aioresponses import CallbackResult, aioresponses

from plugchoice_async import (
    AsyncPager,
    ChargePointStatus,
    Charger,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    PlugchoiceClient,
    UnprocessableEntityError,
    _converter,
)
from plugchoice_async.models import (
    GroupMeter,
    Site,
    SiteCard,
    SiteCharger,
    SiteChargerConnector,
    SiteConnector,
    SiteGroup,
    Transaction,
    TransactionStatus,
)
from plugchoice_async.testing import PlugchoiceEmulator
from tests.conftest import TOKEN, load_fixture, make_client

BASE = "https://api.test/api/v3"
SITE = "4c708cb0-e980-4566-89f2-ee637bea94bc"
TEAM = "0b6c9681-84b0-42a6-a74c-025119ffdc6e"
CHARGER = "445bd3f6-8f2c-38cb-aa04-2f4e1edb32bb"
MISSING = "00000000-0000-4000-8000-000000000000"


# -- a recording fake API over aioresponses --------------------------------------------------------


@attrs.frozen
class Call:
    """One request as the server saw it: method, path under /api/v3, decoded query, JSON body."""

    method: str
    path: str
    query: dict[str, str]
    json: Any


Answer = Any | Callable[[dict[str, str]], Any]


class MockApi:
    """Routes ``method path`` (any query) to an answer and records every request it receives."""

    def __init__(self, mocked: aioresponses) -> None:
        self.mocked = mocked
        self.calls: list[Call] = []

    def on(self, method: str, path: str, answer: Answer = None, *, status: int = 200) -> None:
        """``answer`` is the JSON body, or a function of the query returning it; None: no body."""

        def respond(url: Any, **kwargs: Any) -> CallbackResult:
            data = kwargs.get("data")
            query = dict(url.query)
            self.calls.append(Call(method, url.path.removeprefix("/api/v3"), query, json.loads(data) if data else None))
            body = answer(query) if callable(answer) else answer
            if body is None:
                return CallbackResult(status=status)
            return CallbackResult(status=status, payload=body)

        pattern = re.compile(re.escape(BASE + path) + r"(\?.*)?$")
        self.mocked.add(pattern, method=method, callback=respond, repeat=True)


@pytest.fixture
def api() -> Any:
    with aioresponses() as mocked:
        yield MockApi(mocked)


@pytest.fixture
async def client() -> Any:
    async with make_client(BASE) as client:
        yield client


def simple_pages(items: list[Any], path: str, size: int) -> Callable[[dict[str, str]], Any]:
    """A simple paginator (``links.next``, no totals) over ``items``, ``size`` a page."""

    def page(query: dict[str, str]) -> Any:
        number = int(query.get("page", "1"))
        chunk = items[(number - 1) * size : number * size]
        more = number * size < len(items)
        nxt = f"{BASE}{path}?page={number + 1}" if more else None
        return {
            "data": chunk,
            "links": {"first": f"{BASE}{path}?page=1", "last": None, "prev": None, "next": nxt},
            "meta": {"current_page": number, "from": 1, "path": BASE + path, "per_page": size, "to": len(chunk)},
        }

    return page


def site_item(number: int) -> dict[str, Any]:
    item = cast(dict[str, Any], copy.deepcopy(load_fixture("sites.list.volttime.json")["data"][0]))
    item["uuid"] = f"a4855dc5-0acb-33c3-b921-{number:012d}"
    item["name"] = f"Site {number}"
    return item


SITE_CHARGER = {  # an item of GET /sites/{s}/chargers, as the docs list its fields
    "uuid": CHARGER,
    "id": 7,
    "identity": "EVB-P2047495",
    "reference": None,
    "connection_status": "online",
    "status": "Available",
    "error": None,
    "error_info": None,
    "vendor_id": None,
    "vendor_error_code": None,
    "firmware_version": "1.2.3",
    "parsed_firmware_version": "1.2.3",
    "server": None,
    "last_connection_at": "2026-01-10T01:14:32.000000Z",
    "last_disconnection_at": None,
    "last_heartbeat_at": "2026-01-10T11:14:32.000000Z",
    "setup_pending": False,
    "setup_completed": True,
    "blocked": False,
    "max_current": 32,
    "licenses": {"smart": True, "pro": False},
    "connectors": [{"id": 1, "charger_id": 7, "connector_id": 1, "status": "Available", "max_amperage": 32}],
    "created_at": "2025-01-10T01:14:32.000000Z",
    "updated_at": "2026-01-10T01:14:32.000000Z",
}

SITE_CONNECTOR = {
    "id": 11,
    "charger_id": 7,
    "connector_id": 1,
    "status": "Charging",
    "error": "NoError",
    "error_info": None,
    "vendor_id": None,
    "vendor_error_code": None,
    "max_amperage": 32,
    "max_voltage": 230,
    "standard": "IEC_62196_T2",
    "format": "Socket",
    "power_type": "AC_3_PHASE",
    "phase_rotation": "RST",
    "charger": {"uuid": CHARGER, "id": 7, "identity": "EVB-P2047495", "connection_status": "online", "status": None},
    "created_at": "2025-01-10T01:14:32.000000Z",
    "updated_at": "2026-01-10T01:14:32.000000Z",
}

GROUP = {
    "id": 3,
    "site_id": 1,
    "group_id": None,
    "meter_id": 3,
    "total_amps": 63,
    "net_type": "TN",
    "method": "dynamic",
    "solar_additional_amps": 0,
    "solar_always_charge": False,
    "solar_always_charge_amps": 6,
    "smart_charging_charge_on_solar_export": False,
    "peak_shaving_enabled": False,
    "peak_shaving_threshold": None,
    "created_at": "2025-01-10T01:14:32.000000Z",
    "updated_at": "2026-01-10T01:14:32.000000Z",
}

METER = {
    "uuid": "6a1b2c3d-0000-4000-8000-000000000003",
    "id": 3,
    "type": "p1_meter",
    "latest_data": {"l1": 10, "l2": 11, "l3": "-", "updated_at": "2026-01-10T11:14:32.000000Z"},
    "power": {"total": 4830, "l1": 2300, "l2": 2530, "l3": 0},
    "created_at": "2025-01-10T01:14:32.000000Z",
    "updated_at": "2026-01-10T11:14:32.000000Z",
}

CARD = {
    "id": 5,
    "name": "Fleet card",
    "id_token": "04AABBCC",
    "created_at": "2026-01-10T01:14:32.000000Z",
    "updated_at": "2026-01-10T01:14:32.000000Z",
}


# -- requests as the API wants them (no socket) -----------------------------------------------------


async def test_list_sends_team_and_search_and_walks_the_simple_paginator(api: MockApi, client: Any) -> None:
    items = [site_item(n) for n in range(5)]
    api.on("GET", "/sites", simple_pages(items, "/sites", 2))
    pager = client.sites.list(team=TEAM.upper(), search="depot")
    assert isinstance(pager, AsyncPager)
    sites = [site async for site in pager]
    assert [s.uuid for s in sites] == [item["uuid"] for item in items]
    assert all(isinstance(s, Site) for s in sites)
    assert api.calls[0] == Call("GET", "/sites", {"team": TEAM, "search": "depot"}, None)  # team lowercased
    assert [c.query.get("page") for c in api.calls] == [None, "2", "3"]
    assert len(api.calls) == 3


async def test_list_without_arguments_sends_no_query(api: MockApi, client: Any) -> None:
    api.on("GET", "/sites", load_fixture("sites.list.volttime.json"))
    page = await client.sites.list()
    assert api.calls == [Call("GET", "/sites", {}, None)]
    assert len(page.items) == 2 and not page.has_next


@pytest.mark.parametrize("wrapped", [True, False])
async def test_get_accepts_wrapped_and_bare_answers(api: MockApi, client: Any, wrapped: bool) -> None:
    document = load_fixture("sites.create.volttime.json")["data"]
    api.on("GET", f"/sites/{SITE}", {"data": document} if wrapped else document)
    site = await client.sites.get(SITE.upper())
    assert api.calls == [Call("GET", f"/sites/{SITE}", {}, None)]
    assert (site.uuid, site.name, site.country) == (document["uuid"], document["name"], document["country"])


async def test_create_sends_the_documented_body(api: MockApi, client: Any) -> None:
    answer = load_fixture("sites.create.volttime.json")
    api.on("POST", "/sites", answer, status=201)
    site = await client.sites.create(
        name="Depot Zuid",
        street="Energieweg",
        house_number=12,
        postal_code="3542 AB",
        city="Utrecht",
        country="nl",
        team_uuid=TEAM,
    )
    assert isinstance(site, Site) and site.uuid == answer["data"]["uuid"]
    assert api.calls == [
        Call(
            "POST",
            "/sites",
            {},
            {
                "name": "Depot Zuid",
                "street": "Energieweg",
                "house_number": 12,
                "postal_code": "3542 AB",
                "city": "Utrecht",
                "country": "NL",  # uppercased; house_number_addition (None) left out
                "team_uuid": TEAM,
            },
        )
    ]


async def test_create_with_every_optional_field(api: MockApi, client: Any) -> None:
    api.on("POST", "/sites", load_fixture("sites.create.volttime.json"), status=201)
    await client.sites.create(
        name="b",
        street="n",
        house_number=84,
        postal_code="m",
        city="i",
        country="YV",
        house_number_addition="z",
        latitude=52.09,
        longitude=5.12,
        manual_coordinates=True,
    )
    body = api.calls[0].json
    documented = load_fixture("sites.create.volttime-request.json")
    assert {k: body[k] for k in documented} == {**documented, "country": "YV"}  # the API stores it uppercased
    assert (body["latitude"], body["longitude"], body["manual_coordinates"]) == (52.09, 5.12, True)
    assert "team_uuid" not in body


async def test_update_sends_only_the_given_fields(api: MockApi, client: Any) -> None:
    api.on("PUT", f"/sites/{SITE}", load_fixture("sites.create.volttime.json"))
    site = await client.sites.update(SITE, name="Depot Noord", country="be", house_number_addition="")
    assert isinstance(site, Site)
    assert api.calls == [
        Call("PUT", f"/sites/{SITE}", {}, {"name": "Depot Noord", "country": "BE", "house_number_addition": ""})
    ]


async def test_delete_sends_delete_and_returns_none_on_204(api: MockApi, client: Any) -> None:
    api.on("DELETE", f"/sites/{SITE}", None, status=204)
    assert await client.sites.delete(SITE) is None
    assert api.calls == [Call("DELETE", f"/sites/{SITE}", {}, None)]


async def test_chargers_lists_the_site_chargers(api: MockApi, client: Any) -> None:
    items = [{**SITE_CHARGER, "id": n, "uuid": f"445bd3f6-8f2c-38cb-aa04-{n:012d}"} for n in range(3)]
    api.on("GET", f"/sites/{SITE}/chargers", simple_pages(items, f"/sites/{SITE}/chargers", 2))
    chargers = [c async for c in client.sites.chargers(SITE, per_page=2)]
    assert [c.uuid for c in chargers] == [item["uuid"] for item in items]
    assert all(isinstance(c, SiteCharger) for c in chargers)
    assert chargers[0].status == ChargePointStatus.AVAILABLE
    assert [(c.connector_id, c.status, c.max_amperage) for c in chargers[0].connectors] == [
        (1, ChargePointStatus.AVAILABLE, 32)
    ]
    assert (chargers[0].firmware_version, chargers[0].max_current, chargers[0].licenses.smart) == ("1.2.3", 32, True)
    assert api.calls[0] == Call("GET", f"/sites/{SITE}/chargers", {"per_page": "2"}, None)
    assert len(api.calls) == 2


@pytest.mark.parametrize(("pincode", "sent"), [("4326", 4326), (4326, 4326), ("04326", 4326)])
async def test_attach_charger_sends_the_pincode_as_a_number(
    api: MockApi, client: Any, pincode: str | int, sent: int
) -> None:
    answer = load_fixture("site-chargers.attach.volttime.json")
    api.on("POST", f"/sites/{SITE}/chargers", answer)
    charger = await client.sites.attach_charger(SITE, identity="EVB-P2047495", pincode=pincode)
    assert isinstance(charger, Charger) and charger.uuid == answer["data"]["uuid"]
    assert api.calls == [Call("POST", f"/sites/{SITE}/chargers", {}, {"identity": "EVB-P2047495", "pincode": sent})]
    assert type(api.calls[0].json["pincode"]) is int


async def test_connectors_are_site_connectors_with_their_charger(api: MockApi, client: Any) -> None:
    api.on("GET", f"/sites/{SITE}/connectors", simple_pages([SITE_CONNECTOR], f"/sites/{SITE}/connectors", 25))
    connectors = [c async for c in client.sites.connectors(SITE)]
    assert api.calls == [Call("GET", f"/sites/{SITE}/connectors", {}, None)]
    assert len(connectors) == 1 and isinstance(connectors[0], SiteConnector)
    assert connectors[0].charger is not None and connectors[0].charger.uuid == CHARGER
    assert connectors[0].status == ChargePointStatus.CHARGING


async def test_transactions_sends_every_filter(api: MockApi, client: Any) -> None:
    api.on("GET", f"/sites/{SITE}/transactions", load_fixture("transactions.list-site.volttime.json"))
    page = await client.sites.transactions(
        SITE,
        status=TransactionStatus.FINISHED,
        started_from=datetime(2026, 1, 1, 1, 0, tzinfo=UTC),
        stopped_until=date(2026, 1, 31),
        charger=CHARGER.upper(),
        limit=50,
    )
    assert api.calls == [
        Call(
            "GET",
            f"/sites/{SITE}/transactions",
            {
                "filter[status]": "finished",
                "filter[started_from]": "2026-01-01T01:00:00Z",
                "filter[stopped_until]": "2026-01-31",
                "filter[charger_uuid]": CHARGER,
                "limit": "50",
            },
            None,
        )
    ]
    assert len(page.items) == 2 and all(isinstance(tx, Transaction) for tx in page.items)


async def test_transactions_without_filters_sends_none(api: MockApi, client: Any) -> None:
    api.on("GET", f"/sites/{SITE}/transactions", load_fixture("transactions.list-site.volttime.json"))
    await client.sites.transactions(SITE, status="active")
    assert api.calls == [Call("GET", f"/sites/{SITE}/transactions", {"filter[status]": "active"}, None)]


async def test_create_and_update_card(api: MockApi, client: Any) -> None:
    api.on("POST", f"/sites/{SITE}/cards", {"data": CARD}, status=201)
    api.on("PUT", f"/sites/{SITE}/cards/5", CARD)  # bare answer
    card = await client.sites.create_card(SITE, name="Fleet card", id_token="04AABBCC")
    updated = await client.sites.update_card(SITE, 5, id_token="04AABBCD")
    assert isinstance(card, SiteCard) and isinstance(updated, SiteCard)
    assert (card.id, card.id_token) == (5, "04AABBCC")
    assert api.calls == [
        Call("POST", f"/sites/{SITE}/cards", {}, {"name": "Fleet card", "id_token": "04AABBCC"}),
        Call("PUT", f"/sites/{SITE}/cards/5", {}, {"id_token": "04AABBCD"}),
    ]


@pytest.mark.parametrize("wrapped", [True, False])
async def test_groups_accepts_wrapped_and_bare_lists(api: MockApi, client: Any, wrapped: bool) -> None:
    api.on("GET", f"/sites/{SITE}/groups", {"data": [GROUP]} if wrapped else [GROUP])
    groups = await client.sites.groups(SITE)
    assert api.calls == [Call("GET", f"/sites/{SITE}/groups", {}, None)]
    assert groups == [groups[0]] and isinstance(groups[0], SiteGroup)
    assert (groups[0].id, groups[0].meter_id, groups[0].total_amps) == (3, 3, 63)


@pytest.mark.parametrize("group", [3, "3"])
async def test_group_meter(api: MockApi, client: Any, group: int | str) -> None:
    api.on("GET", f"/sites/{SITE}/groups/3/meter", {"data": METER})
    meter = await client.sites.group_meter(SITE, group)
    assert api.calls == [Call("GET", f"/sites/{SITE}/groups/3/meter", {}, None)]
    assert isinstance(meter, GroupMeter)
    assert meter.power is not None and meter.power.total == 4830
    assert meter.latest_data is not None and meter.latest_data.l3 is None  # "-" reads None


async def test_group_meter_404_is_not_found(api: MockApi, client: Any) -> None:
    api.on("GET", f"/sites/{SITE}/groups/3/meter", {"message": "This group has no meter."}, status=404)
    with pytest.raises(NotFoundError) as info:
        await client.sites.group_meter(SITE, 3)
    assert info.value.message == "This group has no meter."


_CREATE: dict[str, Any] = {
    "name": "x",
    "street": "s",
    "house_number": 1,
    "postal_code": "p",
    "city": "c",
    "country": "NL",
}

INVALID: list[tuple[str, Callable[[PlugchoiceClient], Any], str]] = [
    ("get: not a uuid", lambda c: c.sites.get("../user"), "site id must be a UUID"),
    ("delete: not a uuid", lambda c: c.sites.delete("123"), "site id must be a UUID"),
    ("list: team not a uuid", lambda c: c.sites.list(team="architecto"), "team id must be a UUID"),
    ("list: per_page 0", lambda c: c.sites.list(per_page=0), "per_page"),
    ("create: country of 3", lambda c: c.sites.create(**{**_CREATE, "country": "NLD"}), "ISO 3166-1"),
    ("create: country digits", lambda c: c.sites.create(**{**_CREATE, "country": "N1"}), "ISO 3166-1"),
    ("create: country non-ascii", lambda c: c.sites.create(**{**_CREATE, "country": "ÄÖ"}), "ISO 3166-1"),
    ("create: house_number text", lambda c: c.sites.create(**{**_CREATE, "house_number": "12"}), "house_number"),
    ("create: empty name", lambda c: c.sites.create(**{**_CREATE, "name": " "}), "name"),
    ("create: missing city", lambda c: c.sites.create(**{**_CREATE, "city": None}), "needs city"),
    ("create: team not a uuid", lambda c: c.sites.create(**_CREATE, team_uuid="t1"), "team id"),
    ("create: latitude 91", lambda c: c.sites.create(**_CREATE, latitude=91.0), "latitude"),
    ("update: nothing", lambda c: c.sites.update(SITE), "at least one field"),
    ("update: country", lambda c: c.sites.update(SITE, country="Nederland"), "ISO 3166-1"),
    ("chargers: not a uuid", lambda c: c.sites.chargers("nope"), "site id"),
    ("attach: pincode letters", lambda c: c.sites.attach_charger(SITE, identity="A", pincode="12a4"), "digits"),
    ("attach: pincode bool", lambda c: c.sites.attach_charger(SITE, identity="A", pincode=True), "digits"),
    ("attach: empty identity", lambda c: c.sites.attach_charger(SITE, identity="", pincode=1), "identity"),
    ("connectors: not a uuid", lambda c: c.sites.connectors(SITE[:-1]), "site id"),
    ("transactions: status", lambda c: c.sites.transactions(SITE, status="running"), "status"),  # type: ignore[arg-type]
    ("transactions: started_from text", lambda c: c.sites.transactions(SITE, started_from="2026-01-01"), "datetime"),  # type: ignore[arg-type]
    ("transactions: limit 0", lambda c: c.sites.transactions(SITE, limit=0), "limit"),
    ("transactions: limit 10001", lambda c: c.sites.transactions(SITE, limit=10_001), "limit"),
    ("transactions: charger", lambda c: c.sites.transactions(SITE, charger="EVB-1"), "charger id"),
    ("card: name 256", lambda c: c.sites.create_card(SITE, name="n" * 256, id_token="A"), "255"),
    ("card: token 21", lambda c: c.sites.create_card(SITE, name="n", id_token="A" * 21), "20"),
    ("update_card: nothing", lambda c: c.sites.update_card(SITE, 5), "name and/or id_token"),
    ("update_card: id 0", lambda c: c.sites.update_card(SITE, 0, name="n"), "card_id"),
    ("update_card: id bool", lambda c: c.sites.update_card(SITE, True, name="n"), "card_id"),
    ("update_card: token 21", lambda c: c.sites.update_card(SITE, 5, id_token="A" * 21), "20"),
    ("groups: not a uuid", lambda c: c.sites.groups("x"), "site id"),
    ("group_meter: bool", lambda c: c.sites.group_meter(SITE, True), "group"),
    ("group_meter: dot-dot", lambda c: c.sites.group_meter(SITE, ".."), "path segment"),
]


async def invoke(call: Callable[[], Any]) -> Any:
    """Call, then await what needs awaiting (pagers validate when called, coroutines when awaited)."""
    result = call()
    if isinstance(result, Awaitable):
        return await result
    return result


@pytest.mark.parametrize(("case", "call", "message"), INVALID, ids=[case for case, _, _ in INVALID])
async def test_invalid_arguments_are_refused_before_sending(
    api: MockApi, client: Any, case: str, call: Callable[[PlugchoiceClient], Any], message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=re.escape(message)) as info:
        await invoke(lambda: call(client))
    assert isinstance(info.value, ValueError)
    assert api.calls == []


# -- end to end against the emulator ----------------------------------------------------------------


@pytest.fixture
async def live(emulator: PlugchoiceEmulator) -> Any:
    async with make_client(emulator.base_url) as client:
        yield client


async def test_e2e_list_walks_every_site_once(emulator: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    for n in range(5):  # 7 sites: 4 pages of 2
        await live.sites.create(name=f"Extra {n}", street="Energieweg", house_number=n, postal_code="1", city="Gent",
                                country="be")  # fmt: skip
    emulator.reset_stats()
    sites = [site async for site in live.sites.list(per_page=2)]
    assert [s.uuid for s in sites] == list(emulator.sites)  # none missed, none repeated, in order
    assert len(emulator.requests) == 4
    assert [s.chargers_count for s in sites] == [len(emulator.site_chargers(s)) for s in emulator.sites]


async def test_e2e_list_filters_by_team_and_search(emulator: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    everything = {s.uuid async for s in live.sites.list()}
    by_team: dict[str, set[str]] = {}
    for team in emulator.teams:
        by_team[team] = {s.uuid async for s in live.sites.list(team=team)}
        assert by_team[team] == {s.uuid async for s in live.teams.sites(team)}
    assert set().union(*by_team.values()) == everything
    assert sum(len(v) for v in by_team.values()) == len(everything)
    site = next(iter(emulator.sites.values()))
    found = [s async for s in live.sites.list(search=site["city"].upper())]
    assert site["uuid"] in {s.uuid for s in found}
    assert all(site["city"] in f"{s.name} {s.city} {s.street}" for s in found)


async def test_e2e_create_get_update_delete(emulator: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    team = list(emulator.teams)[1]
    created = await live.sites.create(
        name="Depot Zuid",
        street="Energieweg",
        house_number=12,
        house_number_addition="B",
        postal_code="3542 AB",
        city="Utrecht",
        country="nl",
        team_uuid=team,
    )
    assert (created.name, created.country, created.house_number_addition, created.chargers_count) == (
        "Depot Zuid",
        "NL",
        "B",
        0,
    )
    assert created.uuid in emulator.sites
    assert created.uuid in {s.uuid async for s in live.sites.list(team=team)}
    assert await live.sites.get(created.uuid) == created

    updated = await live.sites.update(created.uuid, name="Depot Noord", house_number_addition="")
    assert (updated.name, updated.street, updated.house_number_addition) == ("Depot Noord", "Energieweg", None)
    assert emulator.sites[created.uuid]["name"] == "Depot Noord"
    assert (await live.sites.get(created.uuid)).name == "Depot Noord"

    await live.sites.delete(created.uuid)
    assert created.uuid not in emulator.sites
    with pytest.raises(NotFoundError):
        await live.sites.get(created.uuid)
    with pytest.raises(NotFoundError):
        await live.sites.delete(created.uuid)


async def test_e2e_server_422_carries_field_errors(emulator: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    with pytest.raises(UnprocessableEntityError) as info:
        await live.sites.create(name="n" * 256, street="s", house_number=1, postal_code="p", city="c", country="NL")
    assert info.value.status == 422
    assert info.value.errors == {"name": ["The name field must not be greater than 255 characters."]}
    site = next(iter(emulator.sites))
    await live.sites.create_card(site, name="Card 1", id_token="04AABBCC")
    with pytest.raises(UnprocessableEntityError) as info:
        await live.sites.create_card(site, name="Card 2", id_token="04AABBCC")
    assert info.value.errors == {"id_token": ["The id token has already been taken."]}


async def test_e2e_validation_sends_nothing(emulator: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    site = next(iter(emulator.sites))
    emulator.reset_stats()
    for case, call, _ in INVALID:
        with pytest.raises(InvalidRequestError):
            await invoke(functools.partial(call, live))
        assert emulator.requests == [], case
    with pytest.raises(ValueError, match="ISO 3166-1"):
        await live.sites.update(site, country="NLD")
    assert emulator.requests == []


async def test_e2e_foreign_site_is_permission_denied(emulator: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    foreign = emulator.foreign_site_uuid
    calls: list[Callable[[], Any]] = [
        lambda: live.sites.get(foreign),
        lambda: live.sites.update(foreign, name="mine now"),
        lambda: live.sites.delete(foreign),
        lambda: live.sites.chargers(foreign),
        lambda: live.sites.connectors(foreign),
        lambda: live.sites.transactions(foreign),
        lambda: live.sites.create_card(foreign, name="c", id_token="t"),
        lambda: live.sites.groups(foreign),
        lambda: live.sites.group_meter(foreign, 1),
        lambda: live.sites.attach_charger(foreign, identity="x", pincode=1),
    ]
    for call in calls:
        with pytest.raises(PermissionDeniedError) as info:
            await invoke(call)
        assert info.value.status == 403
    with pytest.raises(NotFoundError):
        await live.sites.get(MISSING)


async def test_e2e_site_chargers_and_attach(emulator: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    site = next(iter(emulator.sites))
    chargers = [c async for c in live.sites.chargers(site, per_page=4)]
    assert [c.uuid for c in chargers] == emulator.site_chargers(site)
    assert all(c.identity == emulator.chargers[c.uuid]["identity"] for c in chargers)

    newcomer = next(uuid for uuid in emulator.uuids if uuid not in emulator.site_chargers(site))
    identity = emulator.chargers[newcomer]["identity"]
    wrong = str(int(emulator.pincodes[newcomer]) + 1)
    with pytest.raises(UnprocessableEntityError) as info:
        await live.sites.attach_charger(site, identity=identity, pincode=wrong)
    assert info.value.errors == {"pincode": ["The pincode is incorrect."]}
    assert newcomer not in emulator.site_chargers(site)

    attached = await live.sites.attach_charger(site, identity=identity, pincode=emulator.pincodes[newcomer])
    assert isinstance(attached, Charger) and attached.uuid == newcomer
    assert emulator.site_chargers(site)[-1] == newcomer
    assert [c.uuid async for c in live.sites.chargers(site)] == emulator.site_chargers(site)
    assert (await live.sites.get(site)).chargers_count == len(chargers) + 1


async def test_e2e_site_chargers_keep_every_field_the_emulator_sends(
    emulator: PlugchoiceEmulator, live: PlugchoiceClient
) -> None:
    site = next(iter(emulator.sites))
    members = emulator.site_chargers(site)
    twin = next(uuid for uuid in members if len(emulator.chargers[uuid]["connectors"]) == 2)
    one, two = (c["connector_id"] for c in emulator.chargers[twin]["connectors"])
    emulator.set_charger(twin, status="Faulted", connectors={one: "SuspendedEV", two: "Overheated"})  # a new status
    emulator.reset_stats()
    chargers = [c async for c in live.sites.chargers(site, per_page=3)]
    assert len(emulator.requests) == -(-len(members) // 3)  # every page, once

    url = f"{emulator.base_url}/sites/{site}/chargers?per_page=100"
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as response:
        sent = (await response.json())["data"]
    assert [item["uuid"] for item in sent] == [c.uuid for c in chargers] == members
    for item, charger in zip(sent, chargers, strict=True):
        # strict: a key the model would drop fails here; equal: the client kept every value it read
        assert _converter.structure_strict(item, SiteCharger) == charger
        assert charger.connectors and all(type(c) is SiteChargerConnector for c in charger.connectors)
        assert [(c.connector_id, str(c.status)) for c in charger.connectors] == [
            (c["connector_id"], c["status"]) for c in emulator.chargers[charger.uuid]["connectors"]
        ]
        assert (charger.identity, charger.firmware_version, charger.setup_completed) == (
            item["identity"],
            item["firmware_version"],
            item["setup_completed"],
        )
    changed = next(c for c in chargers if c.uuid == twin)
    assert changed.status is ChargePointStatus.FAULTED
    assert [c.connector_id for c in changed.connectors] == [one, two]
    assert changed.connectors[0].status is ChargePointStatus.SUSPENDED_EV
    assert changed.connectors[1].status == "Overheated" and type(changed.connectors[1].status) is str


async def test_e2e_connectors(emulator: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    site = next(iter(emulator.sites))
    connectors = [c async for c in live.sites.connectors(site, per_page=5)]
    expected = [(uuid, c["id"]) for uuid in emulator.site_chargers(site) for c in emulator.chargers[uuid]["connectors"]]
    assert [(c.charger.uuid if c.charger else None, c.id) for c in connectors] == expected


async def test_e2e_transactions_walk_and_filters(emulator: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    site = next(iter(emulator.sites))
    members = emulator.site_chargers(site)
    expected = {tx["id"]: uuid for uuid in members for tx in emulator.transactions(uuid)}
    emulator.reset_stats()
    walked = [tx async for tx in live.sites.transactions(site, limit=10)]
    ids = [tx.id for tx in walked]
    assert len(ids) == len(set(ids)) == len(expected)  # none repeated, none missed
    assert set(ids) == set(expected)
    assert all(tx.charger is not None and tx.charger.uuid == expected[tx.id] for tx in walked)
    assert len(emulator.requests) == -(-len(expected) // 10)  # pages of 10, no extra request after the last
    starts = [started for tx in walked if (started := tx.started_at) is not None]
    assert len(starts) == len(walked)  # the emulator sends every start
    assert starts == sorted(starts, reverse=True)

    one = members[0]
    mine = [tx async for tx in live.sites.transactions(site, charger=one, limit=100)]
    assert {tx.id for tx in mine} == {tx["id"] for tx in emulator.transactions(one)}
    active = [tx async for tx in live.sites.transactions(site, status="active", limit=100)]
    running = {tx["id"] for uuid in members for tx in emulator.transactions(uuid) if tx["stopped_at"] is None}
    assert running and {tx.id for tx in active} == running
    cut = sorted(starts)[len(starts) // 2]
    recent = [tx async for tx in live.sites.transactions(site, started_from=cut, limit=100)]
    assert recent and all(tx.started_at is not None and tx.started_at >= cut for tx in recent)
    assert len(recent) == sum(1 for s in starts if s >= cut)
    stops = sorted(tx.stopped_at for tx in walked if tx.stopped_at is not None)
    until = stops[len(stops) // 2]
    old = [tx async for tx in live.sites.transactions(site, stopped_until=until, limit=100)]
    assert old and all(tx.stopped_at is not None and tx.stopped_at <= until for tx in old)
    assert len(old) == sum(1 for s in stops if s <= until)


async def test_e2e_cards(emulator: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    site = next(iter(emulator.sites))
    card = await live.sites.create_card(site, name="Fleet card 1", id_token="04AABBCC")
    assert (card.name, card.id_token) == ("Fleet card 1", "04AABBCC")
    renamed = await live.sites.update_card(site, card.id, name="Fleet card 9")
    assert (renamed.id, renamed.name, renamed.id_token) == (card.id, "Fleet card 9", "04AABBCC")
    retoken = await live.sites.update_card(site, card.id, id_token="04AABBCD")
    assert (retoken.name, retoken.id_token) == ("Fleet card 9", "04AABBCD")
    with pytest.raises(NotFoundError):
        await live.sites.update_card(site, 999_999, name="x")


async def test_e2e_groups_and_group_meter(emulator: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    with_meter = without = None
    for site in emulator.sites:
        groups = await live.sites.groups(site)
        assert groups and all(isinstance(g, SiteGroup) for g in groups)
        for group in groups:
            if group.meter_id is None:
                without = (site, group.id)
            else:
                with_meter = (site, group.id)
    assert with_meter is not None and without is not None
    meter = await live.sites.group_meter(*with_meter)
    assert isinstance(meter, GroupMeter) and meter.id == with_meter[1]
    assert meter.power is not None and meter.power.total is not None and meter.power.total > 0
    with pytest.raises(NotFoundError) as info:
        await live.sites.group_meter(*without)
    assert info.value.message == "This group has no meter."
    with pytest.raises(NotFoundError):
        await live.sites.group_meter(with_meter[0], 987_654)
