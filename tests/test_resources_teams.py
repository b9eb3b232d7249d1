"""``client.teams``: requests as the API wants them (aioresponses, no socket) and end to end against the emulator."""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable
from typing import Any, cast

import pytest
from aioresponses import aioresponses

from plugchoice_async import (
    AsyncPager,
    BadRequestError,
    ChargePointStatus,
    ConnectionStatus,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    PlugchoiceClient,
)
from plugchoice_async.models import Site, SmartChargingMode, Team, TeamCharger, TeamTransaction, TransactionStatus
from plugchoice_async.testing import PlugchoiceEmulator
from tests.conftest import load_fixture, make_client
from tests.test_resources_sites import BASE, MISSING, SITE, TEAM, Call, MockApi, invoke


@pytest.fixture
def api() -> Any:
    with aioresponses() as mocked:
        yield MockApi(mocked)


@pytest.fixture
async def client() -> Any:
    async with make_client(BASE) as client:
        yield client


def top_level_pages(items: list[Any], path: str, size: int, options: dict[str, Any]) -> Callable[[dict[str, str]], Any]:
    """The team endpoints' bare paginator (``next_page_url`` beside ``data``) over ``items``."""

    def page(query: dict[str, str]) -> Any:
        number = int(query.get("page", "1"))
        chunk = items[(number - 1) * size : number * size]
        more = number * size < len(items)
        return {
            "data": chunk,
            "first_page_url": f"{BASE}{path}?page=1",
            "from": (number - 1) * size + 1,
            "next_page_url": f"{BASE}{path}?page={number + 1}" if more else None,
            "path": BASE + path,
            "per_page": size,
            "prev_page_url": f"{BASE}{path}?page={number - 1}" if number > 1 else None,
            "to": (number - 1) * size + len(chunk),
            "filter_options": options,
        }

    return page


def numbered(item: dict[str, Any], n: int) -> dict[str, Any]:
    copied = copy.deepcopy(item)
    copied["uuid"] = f"550e8400-e29b-41d4-a716-{n:012d}"
    return copied


TEAM_TRANSACTION = {
    "id": 1,
    "status": "finished",
    "charger": {
        "uuid": "445bd3f6-8f2c-38cb-aa04-2f4e1edb32bb",
        "identity": "EVB-1",
        "reference": None,
        "site": {"uuid": SITE, "name": "Depot"},
        "is_mid": True,
    },
    "connector_id": 1,
    "id_tag": "04AABBCC",
    "started_at": "2026-01-09T08:00:00.000000Z",
    "stopped_at": "2026-01-09T10:00:00.000000Z",
    "meter_start": 1000,
    "meter_stop": 8000,
    "total_kwh": "7.00",
    "stop_reason": "EVDisconnected",
}


# -- requests as the API wants them (no socket) -----------------------------------------------------


async def test_list_reads_the_bare_data_list(api: MockApi, client: Any) -> None:
    answer = load_fixture("teams.list.volttime.json")
    api.on("GET", "/teams", answer)
    pager = client.teams.list()
    assert isinstance(pager, AsyncPager)
    teams = [team async for team in pager]
    assert api.calls == [Call("GET", "/teams", {}, None)]  # no pagination: one request
    assert [t.uuid for t in teams] == [t["uuid"] for t in answer["data"]]
    assert all(isinstance(t, Team) for t in teams)
    assert teams[0].is_personal_team is False


async def test_list_follows_a_top_level_paginator_should_teams_paginate(api: MockApi, client: Any) -> None:
    item = load_fixture("teams.list.volttime.json")["data"][0]
    items = [numbered(item, n) for n in range(3)]
    api.on("GET", "/teams", top_level_pages(items, "/teams", 2, {}))
    assert [t.uuid async for t in client.teams.list()] == [i["uuid"] for i in items]
    assert [c.query.get("page") for c in api.calls] == [None, "2"]


async def test_chargers_sends_every_filter_and_the_sort(api: MockApi, client: Any) -> None:
    fixture = load_fixture("team-chargers.list.volttime.json")
    api.on("GET", f"/teams/{TEAM}/chargers", top_level_pages(fixture["data"], f"/teams/{TEAM}/chargers", 25, {}))
    page = await client.teams.chargers(
        TEAM.upper(),
        connection_status=ConnectionStatus.ONLINE,
        status=[ChargePointStatus.AVAILABLE, "Faulted"],
        connector_status=("Charging", "SuspendedEV"),
        vendor="ABB",
        license="pro",
        site=SITE.upper(),
        sort="-identity",
        per_page=50,
    )
    assert api.calls == [
        Call(
            "GET",
            f"/teams/{TEAM}/chargers",
            {
                "filter[connection_status]": "online",
                "filter[status]": "Available,Faulted",
                "filter[connector_status]": "Charging,SuspendedEV",
                "filter[vendor]": "ABB",
                "filter[license]": "pro",
                "filter[site_uuid]": SITE,
                "sort": "-identity",
                "per_page": "50",
            },
            None,
        )
    ]
    assert all(isinstance(c, TeamCharger) for c in page.items)
    first = page.items[0]
    assert first.site is not None and first.site.name == "Main Office"
    assert [c.connector_id for c in first.connectors] == [1]  # unwrapped from {"data": [...]}


async def test_chargers_walks_the_top_level_paginator(api: MockApi, client: Any) -> None:
    item = load_fixture("team-chargers.list.volttime.json")["data"][0]
    items = [numbered(item, n) for n in range(7)]
    path = f"/teams/{TEAM}/chargers"
    api.on("GET", path, top_level_pages(items, path, 3, {"vendors": ["ABB"]}))
    walked = [c.uuid async for c in client.teams.chargers(TEAM, vendor="ABB")]
    assert walked == [i["uuid"] for i in items]
    # the next links carry only ``page``: the pager sends the filter again with every page
    assert [c.query for c in api.calls] == [
        {"filter[vendor]": "ABB"},
        {"page": "2", "filter[vendor]": "ABB"},
        {"page": "3", "filter[vendor]": "ABB"},
    ]


async def test_chargers_without_arguments_sends_no_query(api: MockApi, client: Any) -> None:
    api.on("GET", f"/teams/{TEAM}/chargers", load_fixture("team-chargers.list.volttime.json") | {"next_page_url": None})
    await client.teams.chargers(TEAM)
    assert api.calls == [Call("GET", f"/teams/{TEAM}/chargers", {}, None)]


async def test_sites_sends_filters_and_reads_sites(api: MockApi, client: Any) -> None:
    fixture = load_fixture("team-sites.list.volttime.json") | {"next_page_url": None}
    api.on("GET", f"/teams/{TEAM}/sites", fixture)
    page = await client.teams.sites(TEAM, country=["NL", "BE"], smart_charging=SmartChargingMode.OFF_PEAK, sort="name")
    assert api.calls == [
        Call(
            "GET",
            f"/teams/{TEAM}/sites",
            {"filter[country]": "NL,BE", "filter[smart_charging]": "off_peak", "sort": "name"},
            None,
        )
    ]
    assert isinstance(page.items[0], Site) and page.items[0].chargers_count == 5
    assert page.items[0].id is None  # the team list leaves it out


async def test_transactions_sends_status_and_sort(api: MockApi, client: Any) -> None:
    path = f"/teams/{TEAM}/transactions"
    api.on("GET", path, top_level_pages([TEAM_TRANSACTION], path, 25, {"statuses": ["active", "finished"]}))
    page = await client.teams.transactions(TEAM, status=TransactionStatus.FINISHED, sort="-total_kwh")
    assert api.calls == [Call("GET", path, {"filter[status]": "finished", "sort": "-total_kwh"}, None)]
    tx = page.items[0]
    assert isinstance(tx, TeamTransaction)
    assert tx.total_kwh == 7.0  # "7.00" on the wire
    assert tx.charger is not None and tx.charger.site is not None and tx.charger.site.uuid == SITE


async def test_transactions_default_sends_no_sort(api: MockApi, client: Any) -> None:
    path = f"/teams/{TEAM}/transactions"
    api.on("GET", path, top_level_pages([TEAM_TRANSACTION], path, 25, {}))
    await client.teams.transactions(TEAM)
    assert api.calls == [Call("GET", path, {}, None)]  # the server's default, -started_at


@pytest.mark.parametrize("sort", ["started_at", "-started_at", "stopped_at", "total_kwh", "meter_start", "-meter_stop"])
async def test_transactions_accepts_every_documented_sort(api: MockApi, client: Any, sort: str) -> None:
    path = f"/teams/{TEAM}/transactions"
    api.on("GET", path, top_level_pages([], path, 25, {}))
    await client.teams.transactions(TEAM, sort=sort)
    assert api.calls[0].query == {"sort": sort}


INVALID: list[tuple[str, Callable[[PlugchoiceClient], Any], str]] = [
    ("chargers: team not a uuid", lambda c: c.teams.chargers("123"), "team id must be a UUID"),
    ("chargers: site not a uuid", lambda c: c.teams.chargers(TEAM, site="Depot"), "site id must be a UUID"),
    ("chargers: empty list", lambda c: c.teams.chargers(TEAM, status=[]), "at least one"),
    ("chargers: comma in value", lambda c: c.teams.chargers(TEAM, vendor="ABB,Alfen"), "without commas"),
    ("chargers: empty value", lambda c: c.teams.chargers(TEAM, license=""), "non-empty"),
    ("chargers: sort '-'", lambda c: c.teams.chargers(TEAM, sort="-"), "sort"),
    ("chargers: sort '--x'", lambda c: c.teams.chargers(TEAM, sort="--identity"), "sort"),
    ("chargers: per_page 0", lambda c: c.teams.chargers(TEAM, per_page=0), "per_page"),
    ("sites: team not a uuid", lambda c: c.teams.sites("team-1"), "team id must be a UUID"),
    ("transactions: team", lambda c: c.teams.transactions("../user"), "team id must be a UUID"),
    ("transactions: sort", lambda c: c.teams.transactions(TEAM, sort="id_tag"), "sort must be one of"),
    ("transactions: sort --", lambda c: c.teams.transactions(TEAM, sort="--started_at"), "sort"),
    ("transactions: status", lambda c: c.teams.transactions(TEAM, status="done"), "status must be one of"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("case", "call", "message"), INVALID, ids=[case for case, _, _ in INVALID])
async def test_invalid_arguments_are_refused_before_sending(
    api: MockApi, client: Any, case: str, call: Callable[[PlugchoiceClient], Any], message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=re.escape(message)):
        await invoke(lambda: call(client))
    assert api.calls == []


# -- end to end against the emulator ----------------------------------------------------------------


@pytest.fixture
async def live(emulator: PlugchoiceEmulator) -> Any:
    async with make_client(emulator.base_url) as client:
        yield client


async def test_e2e_list(emulator: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    teams = [team async for team in live.teams.list()]
    assert [t.uuid for t in teams] == list(emulator.teams)
    assert [t.name for t in teams] == [t["name"] for t in emulator.teams.values()]
    assert emulator.foreign_team_uuid not in {t.uuid for t in teams}


async def test_e2e_chargers_walk_every_charger_once(emulator: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    seen: list[str] = []
    for team in emulator.teams:
        emulator.reset_stats()
        chargers = [c async for c in live.teams.chargers(team, per_page=7)]
        assert len(emulator.requests) == -(-len(chargers) // 7)  # pages of 7, nothing fetched past the last
        for charger in chargers:
            assert charger.identity == emulator.chargers[charger.uuid]["identity"]
            if charger.site is not None:
                assert charger.uuid in emulator.site_chargers(charger.site.uuid)
        seen += [c.uuid for c in chargers]
    assert len(seen) == len(set(seen))  # none repeated
    assert sorted(seen) == sorted(emulator.uuids)  # none missed: every charger is in one of the two teams


async def test_e2e_chargers_filters_and_sort(emulator: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    team = next(iter(emulator.teams))
    everything = [c async for c in live.teams.chargers(team)]
    online = [c async for c in live.teams.chargers(team, connection_status="online")]
    assert online and {c.connection_status for c in online} == {ConnectionStatus.ONLINE}
    assert len(online) == sum(1 for c in everything if c.connection_status == "online")

    wanted = {ChargePointStatus.CHARGING, ChargePointStatus.SUSPENDED_EV}
    busy = [c async for c in live.teams.chargers(team, connector_status=sorted(wanted))]
    assert busy and all(wanted & {k.status for k in c.connectors} for c in busy)
    assert len(busy) == sum(1 for c in everything if wanted & {k.status for k in c.connectors})

    team_sites = [s.uuid async for s in live.teams.sites(team)]
    site = next(s for s in team_sites if emulator.site_chargers(s))
    on_site = [c.uuid async for c in live.teams.chargers(team, site=site)]
    assert sorted(on_site) == sorted(emulator.site_chargers(site))

    pro = [c async for c in live.teams.chargers(team, license="pro")]
    assert all(c.licenses and c.licenses.pro for c in pro)
    assert len(pro) == sum(1 for c in everything if c.licenses and c.licenses.pro)

    ordered = [c.identity async for c in live.teams.chargers(team, sort="-identity", per_page=9)]
    assert ordered == sorted((c.identity for c in everything), reverse=True)
    with pytest.raises(BadRequestError) as info:  # not documented, so the server judges it
        await live.teams.chargers(team, sort="colour")
    assert "colour" in info.value.message


async def test_e2e_sites(emulator: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    seen: list[str] = []
    for team in emulator.teams:
        sites = [s async for s in live.teams.sites(team, per_page=1)]
        assert all(isinstance(s, Site) for s in sites)
        assert [s.chargers_count for s in sites] == [len(emulator.site_chargers(s.uuid)) for s in sites]
        seen += [s.uuid for s in sites]
    assert sorted(seen) == sorted(emulator.sites) and len(seen) == len(set(seen))

    team = next(iter(emulator.teams))
    counts = [s.chargers_count async for s in live.teams.sites(team, sort="-chargers_count")]
    assert counts == sorted(cast(list[int], counts), reverse=True)
    country = emulator.sites[seen[0]]["country"]
    assert {s.country async for s in live.teams.sites(team, country=country)} <= {country}


async def test_e2e_transactions_walk_filter_sort(emulator: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    team = next(iter(emulator.teams))
    members = [c.uuid async for c in live.teams.chargers(team)]
    expected = {tx["id"]: uuid for uuid in members for tx in emulator.transactions(uuid)}
    walked = [tx async for tx in live.teams.transactions(team, per_page=25)]
    ids = [tx.id for tx in walked]
    assert len(ids) == len(set(ids)) == len(expected) and set(ids) == set(expected)  # none repeated or missed
    assert all(tx.charger is not None and expected[tx.id] == tx.charger.uuid for tx in walked)
    starts = [started for tx in walked if (started := tx.started_at) is not None]
    assert len(starts) == len(walked)  # the emulator sends every start
    assert starts == sorted(starts, reverse=True)  # the server's default, -started_at

    active = [tx async for tx in live.teams.transactions(team, status="active", per_page=100)]
    running = {tx["id"] for uuid in members for tx in emulator.transactions(uuid) if tx["stopped_at"] is None}
    assert running and {tx.id for tx in active} == running
    assert {tx.status for tx in active} == {TransactionStatus.ACTIVE}

    finished = [tx async for tx in live.teams.transactions(team, status="finished", sort="total_kwh", per_page=100)]
    energy = [kwh for tx in finished if (kwh := tx.total_kwh) is not None]
    assert len(energy) == len(finished)
    assert energy == sorted(energy) and len(energy) == len(expected) - len(running)
    oldest = [tx.started_at async for tx in live.teams.transactions(team, sort="started_at", per_page=100)]
    assert None not in oldest
    assert oldest == sorted(starts)


async def test_e2e_validation_sends_nothing(emulator: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    emulator.reset_stats()
    for case, call, _ in INVALID:
        with pytest.raises(InvalidRequestError):
            await invoke(functools.partial(call, live))
        assert emulator.requests == [], case


async def test_e2e_foreign_and_unknown_team(emulator: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    foreign = emulator.foreign_team_uuid
    for pager in (live.teams.chargers(foreign), live.teams.sites(foreign), live.teams.transactions(foreign)):
        with pytest.raises(PermissionDeniedError) as info:
            await pager
        assert info.value.status == 403
    with pytest.raises(NotFoundError):
        await live.teams.chargers(MISSING)
