"""Every API.md endpoint of the emulator, over real loopback HTTP: shapes against the published fixtures,
Laravel validation, the three paginator shapes, permissions, the state commands change, and OAuth."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from plugchoice_async.testing import ActionRecord, PlugchoiceEmulator
from tests.conftest import FakeClock, call, get

FIXTURES = Path(__file__).parent / "fixtures"
LONG = "x" * 256


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def item_keys(name: str) -> list[str]:
    """The keys of a fixture's (first) item, unwrapping ``data``."""
    body = fixture(name)
    if isinstance(body, dict) and "data" in body:
        body = body["data"]
    if isinstance(body, list):
        body = body[0]
    return list(body)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


@pytest.fixture
async def emu() -> AsyncIterator[PlugchoiceEmulator]:
    async with PlugchoiceEmulator(chargers=60, seed=1, rate_limit=None) as emulator:
        yield emulator


def pick(emu: PlugchoiceEmulator, test: Callable[[dict[str, Any]], bool] = lambda c: True) -> str:
    """The first charger, seen and with a pincode, that passes ``test``."""
    return next(
        uuid
        for uuid, c in emu.chargers.items()
        if c["connection_status"] != "never_seen" and "pincode" in c and test(c)
    )


def ready(emu: PlugchoiceEmulator, test: Callable[[dict[str, Any]], bool] = lambda c: True) -> str:
    """An online charger with every connector Available (set before its history is generated: no session)."""
    uuid = pick(emu, test)
    connectors = {c["connector_id"]: "Available" for c in emu.chargers[uuid]["connectors"]}
    emu.set_charger(uuid, connection_status="online", status="Available", connectors=connectors)
    return uuid


async def walk(session: aiohttp.ClientSession, url: str, next_of: Callable[[Any], str | None]) -> list[Any]:
    """Every page from ``url`` on, following the next link."""
    pages = []
    next_url: str | None = url
    while next_url is not None:
        status, page = await get(session, next_url)
        assert status == 200, page
        pages.append(page)
        next_url = next_of(page)
        assert len(pages) < 200
    return pages


def length_aware_next(page: Any) -> str | None:
    return page["links"]["next"]  # type: ignore[no-any-return]


def top_level_next(page: Any) -> str | None:
    return page["next_page_url"]  # type: ignore[no-any-return]


def assert_length_aware(page: Any) -> None:
    reference = fixture("metervalues.list.volttime.json")
    assert list(page) == ["data", "links", "meta"] or list(page) == ["data", "links", "meta", "filter_options"]
    assert list(page["links"]) == list(reference["links"])
    assert list(page["meta"]) == list(reference["meta"])
    assert all(list(link) == list(reference["meta"]["links"][0]) for link in page["meta"]["links"])


def assert_simple(page: Any) -> None:
    reference = fixture("transactions.list-site.volttime-2025.json")
    assert list(page) == list(reference)
    assert list(page["links"]) == list(reference["links"])
    assert page["links"]["last"] is None
    assert list(page["meta"]) == list(reference["meta"])


def assert_top_level(page: Any, reference_name: str) -> None:
    """The bare paginator as the volttime team pages print it, with the endpoint's own ``filter_options``."""
    assert list(page) == list(fixture("team-chargers.list.volttime.json"))
    assert list(page["filter_options"]) == list(fixture(reference_name)["filter_options"])


# -- chargers: update, connectors, permissions -------------------------------------------------------


async def test_update_charger_reference(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    uuid = emu.uuids[0]
    url = f"{emu.base_url}/chargers/{uuid}"
    await get(session, url)  # cached before the change
    status, body = await call(session, "PUT", url, {"reference": "Bay 7"})
    assert status == 200
    assert list(body["data"]) == item_keys("chargers.update.volttime.json")
    assert body["data"]["reference"] == "Bay 7"
    assert (await get(session, url))[1]["data"]["reference"] == "Bay 7"
    status, body = await call(session, "PUT", url, {"reference": None})
    assert (status, body["data"]["reference"]) == (200, None)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"reference": LONG}, "The reference field must not be greater than 255 characters."),
        ({"reference": 5}, "The reference field must be a string."),
    ],
)
async def test_update_charger_validation(
    emu: PlugchoiceEmulator, session: aiohttp.ClientSession, body: dict[str, Any], message: str
) -> None:
    status, answer = await call(session, "PUT", f"{emu.base_url}/chargers/{emu.uuids[0]}", body)
    assert (status, answer) == (422, {"message": message, "errors": {"reference": [message]}})


async def test_update_connector(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    uuid = pick(emu)
    url = f"{emu.base_url}/chargers/{uuid}/connectors/1"
    status, body = await call(session, "PUT", url, {"phase_rotation": "TSR", "max_amperage": "20"})
    assert status == 200
    assert list(body["data"]) == item_keys("connectors.update.volttime.json")
    assert (body["data"]["phase_rotation"], body["data"]["max_amperage"]) == ("TSR", 20)
    charger = (await get(session, f"{emu.base_url}/chargers/{uuid}"))[1]["data"]
    assert charger["connectors"][0]["max_amperage"] == 20

    status, body = await call(session, "PUT", url, {})
    assert status == 422
    assert body["message"] == "The phase rotation field is required. (and 1 more error)"
    assert body["errors"] == {
        "phase_rotation": ["The phase rotation field is required."],
        "max_amperage": ["The max amperage field is required."],
    }
    status, body = await call(session, "PUT", url, {"phase_rotation": "XYZ", "max_amperage": 1001})
    assert body["errors"] == {
        "phase_rotation": ["The selected phase rotation is invalid."],
        "max_amperage": ["The max amperage field must be between 1 and 1000."],
    }
    status, body = await call(session, "PUT", url, {"phase_rotation": "R", "max_amperage": 1.5})
    assert body["errors"] == {"max_amperage": ["The max amperage field must be an integer."]}
    status, _ = await call(session, "PUT", f"{emu.base_url}/chargers/{uuid}/connectors/9", {})
    assert status == 404


async def test_pincode_only_with_the_sensitive_permission(
    emu: PlugchoiceEmulator, session: aiohttp.ClientSession
) -> None:
    hidden = (await get(session, f"{emu.base_url}/chargers/{emu.uuids[6]}"))[1]["data"]  # id 7
    assert "pincode" not in hidden
    assert hidden["permissions"] == {"basic": True, "sensitive": False, "full": False}
    shown = (await get(session, f"{emu.base_url}/chargers/{emu.uuids[5]}"))[1]["data"]
    assert shown["pincode"] == emu.pincodes[emu.uuids[5]]
    assert shown["permissions"]["sensitive"] is True
    assert emu.uuids[6] in emu.pincodes  # still known, to attach it to a site


FOREIGN_ROUTES = [
    ("GET", ""),
    ("PUT", ""),
    ("PUT", "/connectors/1"),
    ("GET", "/connectors/1/latest-metervalue"),
    ("GET", "/connectors/1/power-usage"),
    ("GET", "/metervalues"),
    ("GET", "/transactions"),
    ("GET", "/transactions/1/graph"),
    ("GET", "/logs"),
    ("POST", "/actions/start"),
    ("POST", "/actions/stop"),
    ("POST", "/actions/restart"),
    ("POST", "/actions/charge-limit"),
    ("POST", "/actions/charging-profile"),
    ("POST", "/actions/clear-charging-profile"),
    ("GET", "/settings/lock"),
    ("POST", "/settings/lock"),
    ("GET", "/settings/socket-lock"),
    ("GET", "/settings/plug-charge"),
    ("POST", "/settings/plug-charge"),
    ("GET", "/settings/public-charging"),
    ("POST", "/settings/public-charging"),
]


async def test_another_owners_charger_is_403_on_every_route(
    emu: PlugchoiceEmulator, session: aiohttp.ClientSession
) -> None:
    assert emu.foreign_uuids
    assert not set(emu.foreign_uuids) & set(emu.uuids)
    for uuid in emu.foreign_uuids:
        for method, suffix in FOREIGN_ROUTES:
            answer = await call(session, method, f"{emu.base_url}/chargers/{uuid}{suffix}", {"id_token": "A"})
            assert answer == (403, {"message": "This action is unauthorized."}), (method, suffix)
    assert (await get(session, f"{emu.base_url}/sites/{emu.foreign_site_uuid}"))[0] == 403
    assert (await get(session, f"{emu.base_url}/teams/{emu.foreign_team_uuid}/chargers"))[0] == 403
    assert emu.actions == []


# -- live readings ---------------------------------------------------------------------------------


async def test_latest_metervalue_is_raw_ocpp(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    reference = fixture("connectors.latest-metervalue.docs.json")
    uuid = ready(emu, lambda c: c["connectors"][0]["power_type"] == "AC_3_PHASE")
    assert (await call(session, "POST", f"{emu.base_url}/chargers/{uuid}/actions/start", {"id_token": "T"}))[0] == 200
    status, body = await get(session, f"{emu.base_url}/chargers/{uuid}/connectors/1/latest-metervalue")
    assert status == 200
    assert list(body) == list(reference)  # not wrapped
    assert body["connectorId"] == 1
    [reading] = body["meterValue"]
    assert list(reading) == list(reference["meterValue"][0])
    values = reading["sampledValue"]
    assert all(list(value) == list(reference["meterValue"][0]["sampledValue"][0]) for value in values)
    assert all(isinstance(value["value"], str) for value in values)
    currents = [v for v in values if v["measurand"] == "Current.Import"]
    assert [v["phase"] for v in currents] == ["L1", "L2", "L3"]
    assert all(float(v["value"]) > 0 for v in currents)
    never_seen = next(u for u, c in emu.chargers.items() if c["connection_status"] == "never_seen")
    status, body = await get(session, f"{emu.base_url}/chargers/{never_seen}/connectors/1/latest-metervalue")
    assert (status, body) == (200, {"connectorId": 1, "meterValue": []})


async def test_power_usage_strings_and_dashes(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    keys = item_keys("connectors.power-usage.volttime.json")
    uuid = ready(emu, lambda c: c["connectors"][0]["power_type"] == "AC_3_PHASE")
    url = f"{emu.base_url}/chargers/{uuid}/connectors/1/power-usage"
    status, idle = await get(session, url)
    assert status == 200
    assert list(idle) == keys
    assert (idle["L1"], idle["L2"].strip(), idle["L3"].strip(), idle["kW"]) == ("0", "-", "-", "0.00")
    assert idle["timestamp"].endswith("Z") and len(idle["timestamp"]) == len("2025-10-28T16:26:14.628Z")

    await call(session, "POST", f"{emu.base_url}/chargers/{uuid}/actions/start", {"id_token": "T"})
    _, charging = await get(session, url)
    assert all(isinstance(charging[key], str) for key in keys)
    assert float(charging["L1"]) > 0 and float(charging["kW"]) > 0

    padded = emu.uuids[3]  # id 4: the API pads its dashes with stray spaces
    emu.set_charger(padded, connection_status="offline")
    _, offline = await get(session, f"{emu.base_url}/chargers/{padded}/connectors/1/power-usage")
    assert [offline[key].strip() for key in ("L1", "L2", "L3", "kW")] == ["-"] * 4
    assert any(offline[key] != offline[key].strip() for key in ("L2", "L3"))


# -- meter values (length-aware) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("", {"date_from": ["The date from field is required."], "date_to": ["The date to field is required."]}),
        (
            "date_from=2026-01-01&date_to=2026-01-02 00:00:00",
            {"date_from": ["The date from field must match the format Y-m-d H:i:s."]},
        ),
        (
            "date_from=2026-01-02 00:00:00&date_to=2026-01-01 00:00:00",
            {"date_to": ["The date to field must be a date after or equal to date from."]},
        ),
        (
            "date_from=2026-01-01 00:00:00&date_to=2026-01-02 00:00:00&limit=0&order_by=up",
            {
                "limit": ["The limit field must be between 1 and 10000."],
                "order_by": ["The selected order by is invalid."],
            },
        ),
    ],
)
async def test_metervalues_validation(
    emu: PlugchoiceEmulator, session: aiohttp.ClientSession, query: str, errors: dict[str, list[str]]
) -> None:
    status, body = await get(session, f"{emu.base_url}/chargers/{pick(emu)}/metervalues?{query}")
    assert status == 422
    assert body["errors"] == errors
    messages = [message for field in errors.values() for message in field]
    more = f" (and {len(messages) - 1} more error)" if len(messages) == 2 else ""
    assert body["message"] == messages[0] + more


async def test_metervalues_walk_filter_and_order(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    uuid = pick(emu, lambda c: c["connectors"][0]["power_type"] == "AC_3_PHASE")
    url = f"{emu.base_url}/chargers/{uuid}/metervalues?date_from=2025-01-01 00:00:00&date_to=2026-01-11 00:00:00"
    pages = await walk(session, f"{url}&limit=10", length_aware_next)
    for page in pages:
        assert_length_aware(page)
    rows = [row for page in pages for row in page["data"]]
    assert len(rows) == pages[0]["meta"]["total"] > 20
    assert pages[-1]["meta"]["current_page"] == pages[0]["meta"]["last_page"] == len(pages)
    assert all(list(row) == item_keys("metervalues.list.volttime-2026.json") for row in rows)
    assert [row["timestamp"] for row in rows] == sorted(row["timestamp"] for row in rows)
    assert all(isinstance(row["value"], str) for row in rows)
    assert {row["context"] for row in rows} >= {"Transaction.Begin", "Sample.Periodic", "Transaction.End"}

    _, page = await get(session, f"{url}&measurand=Current.Import&phase=L2&order_by=desc&limit=10000")
    picked = page["data"]
    assert picked and all((r["measurand"], r["phase"], r["unit"]) == ("Current.Import", "L2", "A") for r in picked)
    assert [r["timestamp"] for r in picked] == sorted((r["timestamp"] for r in picked), reverse=True)
    _, page = await get(session, f"{url.replace('2025-01-01', '2027-01-01').replace('2026-01-11', '2027-02-01')}")
    assert page["data"] == [] and page["meta"]["total"] == 0 and page["meta"]["last_page"] == 1


# -- charger transactions (length-aware) and graphs ------------------------------------------------


async def test_charger_transactions_walk_newest_first(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    uuid = pick(emu, lambda c: len(c["connectors"]) == 2)
    pages = await walk(session, f"{emu.base_url}/chargers/{uuid}/transactions?limit=2", length_aware_next)
    rows = [row for page in pages for row in page["data"]]
    for page in pages:
        assert_length_aware(page)
        assert page["meta"]["per_page"] == 2
    assert len(rows) == pages[0]["meta"]["total"] == len(emu.transactions(uuid)) > 2
    assert len({row["id"] for row in rows}) == len(rows)
    assert all(list(row) == item_keys("transactions.list.volttime.json") for row in rows)
    assert [row["started_at"] for row in rows] == sorted((row["started_at"] for row in rows), reverse=True)
    assert all(row["charger"] == {"uuid": uuid, "identity": emu.chargers[uuid]["identity"]} for row in rows)


async def test_total_kwh_is_a_number_or_a_string(emu: PlugchoiceEmulator) -> None:
    rows = [row for uuid in emu.uuids for row in emu.transactions(uuid) if row["stopped_at"]]
    kinds = {type(row["total_kwh"]) for row in rows}
    assert kinds == {str, float}
    for row in rows:
        kwh = (row["meter_stop"] - row["meter_start"]) / 1000
        assert float(row["total_kwh"]) == pytest.approx(kwh, abs=0.006)
        if isinstance(row["total_kwh"], str):
            assert row["total_kwh"] == f"{kwh:.2f}"


async def test_charger_transaction_filters(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    uuid = next(
        u
        for u, c in emu.chargers.items()
        if c["connection_status"] == "online" and c["connectors"][0]["status"] == "Charging"
    )
    url = f"{emu.base_url}/chargers/{uuid}/transactions"
    _, active = await get(session, f"{url}?filter[status]=active")
    assert [row["stopped_at"] for row in active["data"]] == [None]
    assert active["data"][0]["meter_stop"] is None
    _, finished = await get(session, f"{url}?filter[status]=finished")
    assert finished["data"] and all(row["stopped_at"] for row in finished["data"])
    assert active["meta"]["total"] + finished["meta"]["total"] == len(emu.transactions(uuid))

    newest = finished["data"][0]
    _, since = await get(session, f"{url}?filter[started_from]={newest['started_at']}")
    assert {row["id"] for row in since["data"]} == {newest["id"], active["data"][0]["id"]}
    _, until = await get(session, f"{url}?filter[stopped_until]={newest['stopped_at'][:10]}")
    assert all(row["stopped_at"][:10] < newest["stopped_at"][:10] for row in until["data"])

    assert (await get(session, f"{url}?filter[status]=open"))[1]["errors"] == {
        "filter.status": ["The selected filter.status is invalid."]
    }
    assert (await get(session, f"{url}?limit=10001"))[0] == 422
    status, body = await get(session, f"{url}?filter[colour]=red")
    assert status == 400
    assert body["message"].startswith("Requested filter(s) `colour` are not allowed.")


async def test_transaction_graph(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    reference = fixture("transactions.graph.volttime.json")
    uuid = pick(emu)
    tx = emu.transactions(uuid)[0]
    status, body = await get(session, f"{emu.base_url}/chargers/{uuid}/transactions/{tx['id']}/graph")
    assert status == 200
    assert list(body) == list(reference)
    for name in reference:
        assert body[name] and all(list(point) == list(reference[name][0]) for point in body[name])
    energy = [point["value"] for point in body["energy"]]
    assert energy == sorted(energy) and energy[-1] > 0
    assert body["energy"][0]["date"].endswith("+00:00")
    other = pick(emu, lambda c: c["uuid"] != uuid)
    assert (await get(session, f"{emu.base_url}/chargers/{other}/transactions/{tx['id']}/graph"))[0] == 404


# -- logs (length-aware) ---------------------------------------------------------------------------


async def test_logs_shape_params_and_sorting(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    keys = [key for key in item_keys("logs.list.docs.json") if key != "filter_options"]
    uuid = pick(emu, lambda c: c["connection_status"] == "online")
    url = f"{emu.base_url}/chargers/{uuid}/logs"
    pages = await walk(session, f"{url}?per_page=50", length_aware_next)
    rows = [row for page in pages for row in page["data"]]
    assert len(rows) == pages[0]["meta"]["total"]
    for page in pages:
        assert_length_aware(page)
        assert page["filter_options"]["methods"] == sorted({row["method"] for row in rows})
    assert all(list(row) == keys for row in rows)
    assert [row["created_at"] for row in rows] == sorted((row["created_at"] for row in rows), reverse=True)
    as_text = [row["params"] for row in rows if isinstance(row["params"], str)]
    assert as_text and all(isinstance(json.loads(text), dict) for text in as_text)
    assert any(isinstance(row["params"], dict) for row in rows)
    assert {row["destination"] for row in rows} == {"centralsystem", "charger"}

    _, oldest = await get(session, f"{url}?sort=created_at&per_page=5")
    assert [row["created_at"] for row in oldest["data"]] == sorted(row["created_at"] for row in rows)[:5]
    status, body = await get(session, f"{url}?sort=method")
    assert status == 400
    assert body["message"] == "Requested sort(s) `method` is not allowed. Allowed sort(s) are `created_at`."


async def test_logs_filters(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    uuid = pick(emu, lambda c: c["connection_status"] == "online")
    url = f"{emu.base_url}/chargers/{uuid}/logs?per_page=100"
    _, beats = await get(session, f"{url}&filter[method]=Heartbeat")
    assert beats["data"] and {row["method"] for row in beats["data"]} == {"Heartbeat"}
    _, significant = await get(session, f"{url}&filter[hide_insignificant]=1")
    assert not {row["method"] for row in significant["data"]} & {"Heartbeat", "MeterValues"}
    _, commands = await get(session, f"{url}&filter[destination]=charger&filter[status]=done")
    assert all((row["destination"], row["status"]) == ("charger", "done") for row in commands["data"])
    cut = beats["data"][5]["created_at"]
    _, recent = await get(session, f"{url}&filter[method]=Heartbeat&filter[date_from]={cut}")
    assert [row["id"] for row in recent["data"]] == [row["id"] for row in beats["data"][:6]]
    status, body = await get(session, f"{url}&filter[date_to]=someday")
    assert (status, body["errors"]) == (422, {"filter.date_to": ["The filter.date to field must be a valid date."]})


async def test_length_aware_links_window_like_laravel(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    uuid = pick(emu, lambda c: c["connection_status"] == "online")
    _, page = await get(session, f"{emu.base_url}/chargers/{uuid}/logs?per_page=1&page=20")
    meta = page["meta"]
    assert meta["last_page"] == meta["total"] >= 27  # page 20 is then in the middle window
    labels = [link["label"] for link in meta["links"]]
    last = meta["last_page"]
    assert labels == ["&laquo; Previous", "1", "2", "...", *map(str, range(17, 24)), "...", str(last - 1), str(last),
                      "Next &raquo;"]  # fmt: skip
    assert [link["page"] for link in meta["links"] if link["active"]] == [20]
    assert page["links"]["last"].endswith(f"per_page=1&page={last}")


# -- actions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"id_token": ["The id token field is required."]}),
        ({"id_token": "X" * 21}, {"id_token": ["The id token field must not be greater than 20 characters."]}),
        (
            {"id_token": 5, "connector_id": 0},
            {
                "id_token": ["The id token field must be a string."],
                "connector_id": ["The connector id field must be greater than 0."],
            },
        ),
    ],
)
async def test_start_validation(
    emu: PlugchoiceEmulator, session: aiohttp.ClientSession, body: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    status, answer = await call(session, "POST", f"{emu.base_url}/chargers/{ready(emu)}/actions/start", body)
    assert (status, answer["errors"]) == (422, errors)
    assert emu.actions == []  # never reached the charger


async def test_start_then_stop_a_session() -> None:
    clock = FakeClock()
    async with (
        PlugchoiceEmulator(chargers=30, seed=1, rate_limit=None, clock=clock) as emu,
        aiohttp.ClientSession(headers=auth(emu.token)) as session,
    ):
        uuid = ready(emu)
        base = f"{emu.base_url}/chargers/{uuid}"
        answer = await call(session, "POST", f"{base}/actions/start", {"id_token": "04A1B2C3", "connector_id": 1})
        assert answer == (200, {"status": "Accepted"})
        charger = (await get(session, base))[1]["data"]
        assert charger["connectors"][0]["status"] == "Charging"
        _, active = await get(session, f"{base}/transactions?filter[status]=active&limit=1")
        [tx] = active["data"]
        assert (tx["id_tag"], tx["stopped_at"], tx["meter_stop"], tx["stop_reason"]) == ("04A1B2C3", None, None, None)

        clock.advance(3600)  # an hour of charging
        assert await call(session, "POST", f"{base}/actions/stop", {}) == (200, {"status": "Accepted"})
        _, after = await get(session, f"{base}/transactions?filter[status]=finished&limit=1")
        done = after["data"][0]
        assert done["id"] == tx["id"]
        assert done["stop_reason"] == "Remote" and done["stopped_at"] > done["started_at"]
        assert done["meter_stop"] - done["meter_start"] > 1000  # at least 1 kWh in an hour
        assert float(done["total_kwh"]) == pytest.approx((done["meter_stop"] - done["meter_start"]) / 1000, abs=0.006)
        assert (await get(session, f"{base}/transactions?filter[status]=active"))[1]["data"] == []
        assert (await get(session, base))[1]["data"]["connectors"][0]["status"] == "Available"
        assert emu.actions == [
            ActionRecord(uuid, "start", {"id_token": "04A1B2C3", "connector_id": 1}, "Accepted", True),
            ActionRecord(uuid, "stop", {"transaction_id": None}, "Accepted", True),
        ]
        _, logs = await get(session, f"{base}/logs?filter[destination]=charger&per_page=2")
        assert [row["method"] for row in logs["data"]] == ["RemoteStopTransaction", "RemoteStartTransaction"]


async def test_the_charger_refuses_what_it_cannot_do(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    uuid = ready(emu)
    base = f"{emu.base_url}/chargers/{uuid}/actions"
    assert (await call(session, "POST", f"{base}/stop", {}))[1] == {"status": "Rejected"}  # nothing running
    assert (await call(session, "POST", f"{base}/start", {"id_token": "A"}))[1] == {"status": "Accepted"}
    assert (await call(session, "POST", f"{base}/start", {"id_token": "A"}))[1] == {"status": "Rejected"}  # busy
    assert (await call(session, "POST", f"{base}/start", {"id_token": "A", "connector_id": 7}))[1]["status"] == (
        "Rejected"
    )
    assert (await call(session, "POST", f"{base}/stop", {"transaction_id": 1}))[1] == {"status": "Rejected"}
    status, body = await call(session, "POST", f"{base}/stop", {"transaction_id": -1})
    assert (status, body["errors"]) == (422, {"transaction_id": ["The transaction id field must be at least 0."]})
    assert len([tx for tx in emu.transactions(uuid) if tx["stopped_at"] is None]) == 1
    assert [(a.action, a.outcome, a.applied) for a in emu.actions] == [
        ("stop", "Rejected", False),
        ("start", "Accepted", True),
        ("start", "Rejected", False),
        ("start", "Rejected", False),
        ("stop", "Rejected", False),
    ]


async def test_action_behaviours(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    timeout = (504, {"message": "The charger did not respond in time."})
    uuid = ready(emu)
    start = f"{emu.base_url}/chargers/{uuid}/actions/start"

    def sessions() -> int:
        return len([tx for tx in emu.transactions(uuid) if tx["stopped_at"] is None])

    emu.set_action_behaviour(uuid, "reject")
    assert await call(session, "POST", start, {"id_token": "A"}) == (200, {"status": "Rejected"})
    emu.set_action_behaviour(uuid, "offline")
    assert await call(session, "POST", start, {"id_token": "A"}) == timeout
    assert sessions() == 0
    emu.set_action_behaviour(uuid, "slow")
    assert await call(session, "POST", start, {"id_token": "A"}) == timeout
    assert sessions() == 1  # the command ran all the same
    assert (await get(session, f"{emu.base_url}/chargers/{uuid}"))[1]["data"]["connectors"][0]["status"] == "Charging"
    assert [(a.outcome, a.applied) for a in emu.actions] == [("Rejected", False), ("Timeout", False), ("Timeout", True)]
    assert sum(a.action == "start" and a.applied for a in emu.actions) == 1
    emu.set_action_behaviour(uuid, None)
    assert (await call(session, "POST", start, {"id_token": "A"}))[1] == {"status": "Rejected"}  # already charging

    offline = pick(emu, lambda c: c["connection_status"] == "offline")
    url = f"{emu.base_url}/chargers/{offline}/actions/restart"
    assert await call(session, "POST", url) == timeout  # offline chargers never answer
    with pytest.raises(ValueError, match="behaviour"):
        emu.set_action_behaviour(uuid, "explode")  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        emu.set_action_behaviour("nope", "accept")


async def test_restart_ends_sessions_and_clears_faults(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    uuid = ready(emu)
    base = f"{emu.base_url}/chargers/{uuid}"
    await call(session, "POST", f"{base}/actions/start", {"id_token": "A"})
    emu.set_charger(uuid, status="Faulted", error="GroundFailure")
    assert await call(session, "POST", f"{base}/actions/restart") == (200, {"status": "Accepted"})
    charger = (await get(session, base))[1]["data"]
    assert (charger["status"], charger["error"]) == ("Available", "NoError")
    assert {c["status"] for c in charger["connectors"]} == {"Available"}
    assert [tx["stop_reason"] for tx in emu.transactions(uuid)][-1] == "SoftReset"


async def test_charge_limit_and_stack_levels(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    uuid = ready(emu)
    base = f"{emu.base_url}/chargers/{uuid}"
    status, body = await call(session, "POST", f"{base}/actions/charge-limit", {"limit": -1})
    assert status == 422
    assert body["errors"] == {
        "connector_id": ["The connector id field is required."],
        "limit": ["The limit field must be at least 0."],
    }
    assert body["message"] == "The connector id field is required. (and 1 more error)"

    limit = f"{base}/actions/charge-limit"
    assert await call(session, "POST", limit, {"connector_id": 0, "limit": 10}) == (200, {"status": "Accepted"})
    assert (await get(session, base))[1]["data"]["max_current"] == 10
    assert emu.actions[-1].body == {"connector_id": 0, "limit": 10, "stack_level": 1}  # the default level
    await call(session, "POST", limit, {"connector_id": 0, "limit": 6, "stack_level": 5})
    await call(session, "POST", limit, {"connector_id": 0, "limit": 20, "stack_level": 1})
    assert (await get(session, base))[1]["data"]["max_current"] == 6  # the higher stack level wins

    clear = f"{base}/actions/clear-charging-profile"
    assert await call(session, "POST", clear, {"stack_level": 5}) == (200, {"status": "Accepted"})
    assert (await get(session, base))[1]["data"]["max_current"] == 20
    assert await call(session, "POST", clear, {"id": 999}) == (200, {"status": "Unknown"})
    assert await call(session, "POST", clear, {}) == (200, {"status": "Accepted"})
    assert (await get(session, base))[1]["data"]["max_current"] == emu.chargers[uuid]["max_current"]
    assert await call(session, "POST", clear, {}) == (200, {"status": "Unknown"})
    assert (await call(session, "POST", clear, {"charging_profile_purpose": "Nope"}))[0] == 422


async def test_charge_limit_zero_pauses_charging(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    uuid = ready(emu)
    base = f"{emu.base_url}/chargers/{uuid}"
    await call(session, "POST", f"{base}/actions/start", {"id_token": "A"})
    await call(session, "POST", f"{base}/actions/charge-limit", {"connector_id": 1, "limit": 0})
    assert (await get(session, base))[1]["data"]["connectors"][0]["status"] == "SuspendedEVSE"
    await call(session, "POST", f"{base}/actions/charge-limit", {"connector_id": 1, "limit": 16})
    assert (await get(session, base))[1]["data"]["connectors"][0]["status"] == "Charging"


def profile(purpose: str = "ChargePointMaxProfile", **changes: Any) -> dict[str, Any]:
    body = fixture("actions.charging-profile.docs-request.json")["charging_profile"]
    body.update(
        charging_profile_id=3,
        transaction_id=None,
        stack_level=2,
        charging_profile_purpose=purpose,
        charging_profile_kind="Absolute",
        recurrency_kind=None,
        valid_from="2026-01-01T00:00:00Z",
        valid_to=None,
    )
    body["charging_schedule"].update(charging_rate_unit="W", start_schedule=None)
    body["charging_schedule"]["charging_schedule_period"] = [{"start_period": 0, "limit": 11040, "number_phases": 3}]
    body.update(changes)
    return body  # type: ignore[no-any-return]


async def test_charging_profile(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    uuid = ready(emu)
    url = f"{emu.base_url}/chargers/{uuid}/actions/charging-profile"
    answer = await call(session, "POST", url, {"connector_id": 0, "charging_profile": profile()})
    assert answer == (200, {"status": "Accepted"})
    assert emu.chargers[uuid]["max_current"] == 16  # 11040 W on three phases of 230 V
    assert (await call(session, "POST", url, {"connector_id": 1, "charging_profile": profile("TxProfile")}))[1] == {
        "status": "Rejected"  # a TxProfile needs a running session
    }

    broken = profile(charging_profile_kind="Sometimes")
    del broken["stack_level"]
    broken["charging_schedule"]["charging_schedule_period"] = [{"limit": -1}]
    status, body = await call(session, "POST", url, {"connector_id": 0, "charging_profile": broken})
    assert status == 422
    period = "charging_profile.charging_schedule.charging_schedule_period.0"
    assert body["errors"] == {
        "charging_profile.stack_level": ["The charging profile.stack level field is required."],
        "charging_profile.charging_profile_kind": ["The selected charging profile.charging profile kind is invalid."],
        f"{period}.start_period": [f"The {period.replace('_', ' ')}.start period field is required."],
        f"{period}.limit": [f"The {period.replace('_', ' ')}.limit field must be at least 0."],
    }
    assert body["message"].endswith("(and 3 more errors)")
    status, body = await call(session, "POST", url, {"connector_id": 0})
    assert body["errors"] == {"charging_profile": ["The charging profile field is required."]}


# -- settings --------------------------------------------------------------------------------------


async def test_lock_makes_the_charger_unavailable(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    uuid = ready(emu)
    base = f"{emu.base_url}/chargers/{uuid}"
    lock = f"{base}/settings/lock"
    assert await get(session, lock) == (200, {"enabled": False})
    assert list((await get(session, lock))[1]) == item_keys("settings.lock.docs.json")
    assert await call(session, "POST", lock, {"enabled": True}) == (204, None)
    assert await get(session, lock) == (200, {"enabled": True})
    charger = (await get(session, base))[1]["data"]
    assert charger["status"] == "Unavailable"
    assert {c["status"] for c in charger["connectors"]} == {"Unavailable"}
    assert (await call(session, "POST", f"{base}/actions/start", {"id_token": "A"}))[1] == {"status": "Rejected"}
    assert await call(session, "POST", lock, {"enabled": 0}) == (204, None)
    charger = (await get(session, base))[1]["data"]
    assert (charger["status"], charger["connectors"][0]["status"]) == ("Available", "Available")
    assert (await call(session, "POST", lock, {}))[1]["errors"] == {"enabled": ["The enabled field is required."]}
    assert (await call(session, "POST", lock, {"enabled": "yes"}))[1]["errors"] == {
        "enabled": ["The enabled field must be true or false."]
    }


async def test_socket_lock(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    socket = pick(emu, lambda c: c["connection_status"] == "online" and c["connectors"][0]["format"] == "Socket")
    cable = pick(emu, lambda c: c["connectors"][0]["format"] == "Cable")
    _, body = await get(session, f"{emu.base_url}/chargers/{socket}/settings/socket-lock")
    assert list(body) == item_keys("settings.socket-lock.docs.json")
    assert body == {"enabled": True, "interactable": True, "error": None}
    _, body = await get(session, f"{emu.base_url}/chargers/{cable}/settings/socket-lock")
    assert (body["enabled"], body["interactable"]) == (False, False) and body["error"]


async def test_plug_and_charge(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    url = f"{emu.base_url}/chargers/{pick(emu)}/settings/plug-charge"
    _, body = await get(session, url)
    assert list(body) == item_keys("settings.plug-charge.docs.json")
    required = "The card uid field is required when enabled is true."
    assert await call(session, "POST", url, {"enabled": True}) == (
        422,
        {"message": required, "errors": {"card_uid": [required]}},
    )
    status, body = await call(session, "POST", url, {"enabled": True, "card_uid": "X" * 21})
    assert (status, body["errors"]) == (
        422,
        {"card_uid": ["The card uid field must not be greater than 20 characters."]},
    )
    request = fixture("settings.plug-charge-set.volttime-request.json")
    assert await call(session, "POST", url, request) == (204, None)
    assert await get(session, url) == (200, {"enabled": True, "current_card": request["card_uid"]})
    assert await call(session, "POST", url, {"enabled": False}) == (204, None)
    assert await get(session, url) == (200, {"enabled": False, "current_card": None})


async def test_public_charging(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    reference = fixture("settings.public-charging.docs.json")
    url = f"{emu.base_url}/chargers/{pick(emu)}/settings/public-charging"
    _, body = await get(session, url)
    assert list(body) == list(reference)
    for name in ("limits", "connect", "billing"):
        assert list(body[name]) == list(reference[name])
    status, answer = await call(
        session, "POST", url, {"enabled": True, "price_per_kwh": 42, "start_fee": 0, "billing_plan": "subscription"}
    )
    assert status == 200
    assert list(answer) == list(reference)
    assert (answer["enabled"], answer["price_per_kwh"], answer["start_fee"]) == (True, 42, 0)
    assert answer["billing"]["plan"] == "subscription"
    assert (await get(session, url))[1] == answer
    status, body = await call(session, "POST", url, {"enabled": True, "price_per_kwh": 10_000})
    assert body["errors"] == {"price_per_kwh": ["The price per kwh field must be between 0 and 150."]}


# -- sites (simple paginator) ----------------------------------------------------------------------


async def test_sites_list_walk_and_filters(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    pages = await walk(session, f"{emu.base_url}/sites?per_page=1", length_aware_next)
    for page in pages:
        assert_simple(page)
    items = [item for page in pages for item in page["data"]]
    assert [item["uuid"] for item in items] == list(emu.sites)
    assert all(list(item) == item_keys("sites.list.volttime.json") for item in items)
    assert sum(item["chargers_count"] for item in items) == sum(len(emu.site_chargers(s)) for s in emu.sites)
    assert {item["smart_charging"] for item in items} <= {"disabled", "day_ahead_pricing", "off_peak"}

    team = next(iter(emu.teams))
    _, page = await get(session, f"{emu.base_url}/sites?team={team}")
    assert page["data"] and len(page["data"]) < len(items)
    name = items[0]["name"]
    _, page = await get(session, f"{emu.base_url}/sites?search={name.split()[0].lower()}")
    assert name in [item["name"] for item in page["data"]]


async def test_site_create_update_delete(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    status, body = await call(session, "POST", f"{emu.base_url}/sites", {})
    assert status == 422
    assert list(body["errors"]) == ["name", "street", "house_number", "postal_code", "city", "country"]
    assert body["message"] == "The name field is required. (and 5 more errors)"
    request = {**fixture("sites.create.volttime-request.json"), "country": "NLD"}
    status, body = await call(session, "POST", f"{emu.base_url}/sites", request)
    assert body["errors"] == {"country": ["The country field must be 2 characters."]}

    status, body = await call(session, "POST", f"{emu.base_url}/sites", fixture("sites.create.volttime-request.json"))
    assert status == 201
    site = body["data"]
    assert list(site) == item_keys("sites.create.volttime.json")
    assert (site["name"], site["country"], site["chargers_count"]) == ("b", "YV", 0)
    url = f"{emu.base_url}/sites/{site['uuid']}"
    assert (await get(session, url))[1] == {"data": site}

    status, body = await call(session, "PUT", url, {"name": "Depot Zuid"})
    assert (status, body["data"]["name"], body["data"]["street"]) == (200, "Depot Zuid", "n")
    assert (await call(session, "PUT", url, {"name": None}))[1]["errors"] == {"name": ["The name field is required."]}
    assert await call(session, "DELETE", url) == (204, None)
    assert await get(session, url) == (404, {"message": "No query results for model [App\\Models\\Site]."})


async def test_site_chargers_and_attach(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    reference = fixture("site-chargers.list.docs.json")
    site = next(iter(emu.sites))
    url = f"{emu.base_url}/sites/{site}/chargers"
    pages = await walk(session, f"{url}?per_page=7", length_aware_next)
    for page in pages:
        assert_simple(page)
    items = [item for page in pages for item in page["data"]]
    assert [item["uuid"] for item in items] == emu.site_chargers(site)
    assert all(list(item) == list(reference) for item in items)
    assert all(list(c) == list(reference["connectors"][0]) for item in items for c in item["connectors"])

    newcomer = next(
        uuid for uuid in emu.uuids if uuid not in emu.site_chargers(site) and "pincode" not in emu.chargers[uuid]
    )
    identity = emu.chargers[newcomer]["identity"]
    status, body = await call(session, "POST", url, {"identity": identity, "pincode": int(emu.pincodes[newcomer]) + 1})
    assert (status, body["errors"]) == (422, {"pincode": ["The pincode is incorrect."]})
    status, body = await call(session, "POST", url, {"identity": "nobody", "pincode": 1})
    assert body["errors"] == {"identity": ["The selected identity is invalid."]}
    status, body = await call(session, "POST", url, {"identity": identity, "pincode": int(emu.pincodes[newcomer])})
    assert status == 200
    assert list(body["data"]) == item_keys("site-chargers.attach.volttime.json")
    assert emu.site_chargers(site)[-1] == newcomer
    _, document = await get(session, f"{emu.base_url}/sites/{site}")
    assert document["data"]["chargers_count"] == len(items) + 1


async def test_site_connectors(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    reference = fixture("site-connectors.list.docs.json")
    site = next(iter(emu.sites))
    pages = await walk(session, f"{emu.base_url}/sites/{site}/connectors?per_page=10", length_aware_next)
    items = [item for page in pages for item in page["data"]]
    assert len(items) == sum(len(emu.chargers[uuid]["connectors"]) for uuid in emu.site_chargers(site))
    assert all(list(item) == list(reference) for item in items)
    assert all(list(item["charger"]) == list(reference["charger"]) for item in items)


async def test_site_transactions(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    site = next(iter(emu.sites))
    url = f"{emu.base_url}/sites/{site}/transactions"
    pages = await walk(session, f"{url}?limit=10", length_aware_next)
    for page in pages:
        assert_simple(page)
    items = [item for page in pages for item in page["data"]]
    assert len(items) == sum(len(emu.transactions(uuid)) for uuid in emu.site_chargers(site))
    assert all(list(item) == item_keys("transactions.list-site.volttime-2026.json") for item in items)
    assert [item["started_at"] for item in items] == sorted((item["started_at"] for item in items), reverse=True)

    one = emu.site_chargers(site)[0]
    _, page = await get(session, f"{url}?filter[charger_uuid]={one}&limit=100")
    assert page["data"] and {item["charger"]["uuid"] for item in page["data"]} == {one}
    _, page = await get(session, f"{url}?filter[status]=active&limit=100")
    assert all(item["stopped_at"] is None for item in page["data"])


async def test_site_cards(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    site = next(iter(emu.sites))
    url = f"{emu.base_url}/sites/{site}/cards"
    status, body = await call(session, "POST", url, {"name": LONG, "id_token": "X" * 21})
    assert body["errors"] == {
        "name": ["The name field must not be greater than 255 characters."],
        "id_token": ["The id token field must not be greater than 20 characters."],
    }
    status, body = await call(session, "POST", url, {"name": "Fleet card 1", "id_token": "04AABBCC"})
    assert status == 201
    card = body["data"]
    assert list(card) == item_keys("site-cards.create.docs.json")
    status, body = await call(session, "POST", url, {"name": "Copy", "id_token": "04AABBCC"})
    assert body["errors"] == {"id_token": ["The id token has already been taken."]}
    status, body = await call(session, "PUT", f"{url}/{card['id']}", {"name": "Fleet card 9"})
    assert (status, body["data"]["name"], body["data"]["id_token"]) == (200, "Fleet card 9", "04AABBCC")
    assert list(body["data"]) == item_keys("site-cards.update.docs.json")
    assert (await call(session, "PUT", f"{url}/999", {"name": "x"}))[0] == 404


async def test_group_meter(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    with_meter, without = None, None
    for site in emu.sites:
        _, groups = await get(session, f"{emu.base_url}/sites/{site}/groups")
        assert all(list(group) == item_keys("site-groups.list.docs.json") for group in groups["data"])
        group = groups["data"][0]
        if group["meter_id"] is None:
            without = f"{emu.base_url}/sites/{site}/groups/{group['id']}/meter"
        else:
            with_meter = f"{emu.base_url}/sites/{site}/groups/{group['id']}/meter"
    assert with_meter and without
    reference = fixture("site-groups.meter.docs.json")
    status, body = await get(session, with_meter)
    assert status == 200
    assert list(body["data"]) == list(reference)
    assert list(body["data"]["power"]) == list(reference["power"])
    assert await get(session, without) == (404, {"message": "This group has no meter."})


# -- teams (top-level paginator) -------------------------------------------------------------------


async def test_teams(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    status, body = await get(session, f"{emu.base_url}/teams")
    assert status == 200
    assert list(body) == ["data"]  # as the fixture: no paginator
    assert [team["uuid"] for team in body["data"]] == list(emu.teams)
    assert all(list(team) == item_keys("teams.list.volttime.json") for team in body["data"])
    assert emu.foreign_team_uuid not in emu.teams
    assert (await get(session, f"{emu.base_url}/teams/nope/chargers"))[0] == 404


async def test_team_chargers_walk_filter_sort(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    seen: list[str] = []
    for team in emu.teams:
        pages = await walk(session, f"{emu.base_url}/teams/{team}/chargers?per_page=10", top_level_next)
        for page in pages:
            assert_top_level(page, "team-chargers.list.volttime.json")
        items = [item for page in pages for item in page["data"]]
        assert all(list(item) == item_keys("team-chargers.list.volttime.json") for item in items)
        seen += [item["uuid"] for item in items]
    assert sorted(seen) == sorted(emu.uuids)  # every charger belongs to one of the two teams

    team = next(iter(emu.teams))
    url = f"{emu.base_url}/teams/{team}/chargers?per_page=100"
    _, everything = await get(session, url)
    assert everything["filter_options"]["vendors"] == sorted({i["model"]["vendor"] for i in everything["data"]})
    _, online = await get(session, f"{url}&filter[connection_status]=online")
    assert online["data"] and {item["connection_status"] for item in online["data"]} == {"online"}
    _, charging = await get(session, f"{url}&filter[connector_status]=Charging,SuspendedEV")
    assert charging["data"]
    assert all({"Charging", "SuspendedEV"} & {c["status"] for c in i["connectors"]["data"]} for i in charging["data"])
    site = next(s for s in emu.sites if emu.site_chargers(s))
    _, on_site = await get(session, f"{url}&filter[site_uuid]={site}")
    assert {item["site"]["uuid"] for item in on_site["data"]} <= {site}
    _, pro = await get(session, f"{url}&filter[license]=pro")
    assert all(item["licenses"]["pro"] for item in pro["data"])
    _, ordered = await get(session, f"{url}&sort=-identity")
    identities = [item["identity"] for item in ordered["data"]]
    assert identities == sorted(identities, reverse=True)
    status, body = await get(session, f"{url}&sort=colour")
    assert status == 400 and "colour" in body["message"]


async def test_team_sites(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    team = next(iter(emu.teams))
    pages = await walk(session, f"{emu.base_url}/teams/{team}/sites?per_page=1", top_level_next)
    for page in pages:
        assert_top_level(page, "team-sites.list.volttime.json")
    items = [item for page in pages for item in page["data"]]
    assert items and all(list(item) == item_keys("team-sites.list.volttime.json") for item in items)
    assert pages[-1]["next_page_url"] is None and pages[0]["prev_page_url"] is None
    _, ordered = await get(session, f"{emu.base_url}/teams/{team}/sites?sort=-chargers_count")
    counts = [item["chargers_count"] for item in ordered["data"]]
    assert counts == sorted(counts, reverse=True)


async def test_team_transactions(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    team = next(iter(emu.teams))
    url = f"{emu.base_url}/teams/{team}/transactions"
    pages = await walk(session, f"{url}?per_page=100", top_level_next)
    for page in pages:
        assert_top_level(page, "transactions.list-team.docs.json")
    items = [item for page in pages for item in page["data"]]
    assert items and all(list(item) == item_keys("transactions.list-team.docs.json") for item in items)
    assert all(list(item["charger"]) == list(fixture("transactions.list-team.docs.json")["data"][0]["charger"])
               for item in items)  # fmt: skip
    assert [i["started_at"] for i in items] == sorted((i["started_at"] for i in items), reverse=True)  # -started_at

    _, active = await get(session, f"{url}?filter[status]=active&per_page=100")
    assert active["data"] and {item["status"] for item in active["data"]} == {"active"}
    assert all(item["stopped_at"] is None for item in active["data"])
    _, by_energy = await get(session, f"{url}?sort=total_kwh&filter[status]=finished&per_page=100")
    energy = [float(item["total_kwh"]) for item in by_energy["data"]]
    assert energy == sorted(energy)
    _, by_stop = await get(session, f"{url}?sort=-stopped_at&per_page=100")
    stops = [item["stopped_at"] for item in by_stop["data"]]
    assert stops[-1] is None or all(stops)  # NULLs last when descending, as MySQL
    assert (await get(session, f"{url}?sort=id_tag"))[0] == 400
    assert (await get(session, f"{emu.base_url}/teams/{emu.foreign_team_uuid}/transactions"))[0] == 403


# -- OAuth -----------------------------------------------------------------------------------------


async def token(client: aiohttp.ClientSession, url: str, form: dict[str, str], as_json: bool = False) -> Any:
    """POST the token endpoint, form-encoded (or as JSON)."""
    request = client.post(url, json=form) if as_json else client.post(url, data=form)
    async with request as response:
        return response.status, await response.json()


async def test_client_credentials_and_refresh() -> None:
    async with PlugchoiceEmulator(chargers=2, rate_limit=None) as emu, aiohttp.ClientSession() as client:
        assert emu.oauth_url == emu.base_url.replace("/api/v3", "/oauth/token")
        emu.issue_client("7", "s3cret")
        form = {"grant_type": "client_credentials", "client_id": "7", "client_secret": "s3cret"}
        status, granted = await token(client, emu.oauth_url, form)
        assert status == 200
        assert list(granted) == item_keys("oauth.token.docs.json")
        assert (granted["token_type"], granted["expires_in"]) == ("Bearer", 3600)
        async with client.get(f"{emu.base_url}/user", headers=auth(granted["access_token"])) as response:
            assert response.status == 200

        refresh = {"grant_type": "refresh_token", "refresh_token": granted["refresh_token"], "client_id": "7"}
        status, renewed = await token(client, emu.oauth_url, {**refresh, "client_secret": "s3cret"}, as_json=True)
        assert status == 200
        assert renewed["access_token"] != granted["access_token"]
        assert renewed["refresh_token"] != granted["refresh_token"]
        assert emu.token_grants == 2
        async with client.get(f"{emu.base_url}/user", headers=auth(granted["access_token"])) as response:
            assert response.status == 401  # the refreshed token is revoked
        status, body = await token(client, emu.oauth_url, {**refresh, "client_secret": "s3cret"})
        assert (status, body["error"]) == (400, "invalid_grant")  # a refresh token works once
        assert body["message"] == "The refresh token is invalid."


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"grant_type": "client_credentials", "client_id": "7", "client_secret": "wrong"}, 401, "invalid_client"),
        ({"grant_type": "client_credentials", "client_id": "8", "client_secret": "s3cret"}, 401, "invalid_client"),
        ({"grant_type": "client_credentials", "client_secret": "s3cret"}, 400, "invalid_request"),
        ({"grant_type": "password", "client_id": "7", "client_secret": "s3cret"}, 400, "unsupported_grant_type"),
        ({"grant_type": "refresh_token", "client_id": "7", "client_secret": "s3cret"}, 400, "invalid_request"),
    ],
)
async def test_oauth_errors_like_passport(form: dict[str, str], status: int, error: str) -> None:
    async with PlugchoiceEmulator(chargers=1) as emu, aiohttp.ClientSession() as client:
        emu.issue_client("7", "s3cret")
        answer_status, body = await token(client, emu.oauth_url, form)
        assert (answer_status, body["error"]) == (status, error)
        assert body["error_description"] and body["message"] == body["error_description"]
        assert emu.token_grants == 0


async def test_expired_tokens_are_401_until_refreshed() -> None:
    clock = FakeClock()
    async with (
        PlugchoiceEmulator(chargers=1, clock=clock, token_ttl=60) as emu,
        aiohttp.ClientSession() as client,
    ):
        emu.issue_client("app", "secret")
        credentials = {"client_id": "app", "client_secret": "secret"}
        _, first = await token(client, emu.oauth_url, {"grant_type": "client_credentials", **credentials})
        assert first["expires_in"] == 60
        user = f"{emu.base_url}/user"

        async def status_with(access_token: str) -> int:
            async with client.get(user, headers=auth(access_token)) as response:
                return response.status

        assert await status_with(first["access_token"]) == 200
        clock.advance(61)  # past its lifetime on the emulator clock
        assert await status_with(first["access_token"]) == 401

        _, second = await token(client, emu.oauth_url, {"grant_type": "client_credentials", **credentials})
        assert await status_with(second["access_token"]) == 200
        emu.expire_tokens()
        assert await status_with(second["access_token"]) == 401
        assert await status_with(emu.token) == 200  # the static token is not an OAuth token
        form = {"grant_type": "refresh_token", "refresh_token": second["refresh_token"], **credentials}
        _, third = await token(client, emu.oauth_url, form)
        assert await status_with(third["access_token"]) == 200
        assert emu.token_grants == 3
        assert [r.path for r in emu.requests if r.path == "/oauth/token"] == ["/oauth/token"] * 3
        async with client.get(emu.oauth_url) as response:
            assert (response.status, response.headers["Allow"]) == (405, "POST")


async def test_oauth_tokens_share_their_clients_rate_limit() -> None:
    async with PlugchoiceEmulator(chargers=1, rate_limit=2) as emu, aiohttp.ClientSession() as client:
        emu.issue_client("app", "secret")
        form = {"grant_type": "client_credentials", "client_id": "app", "client_secret": "secret"}
        tokens = [(await token(client, emu.oauth_url, form))[1]["access_token"] for _ in range(3)]  # not throttled
        statuses = []
        for access_token in tokens:
            async with client.get(f"{emu.base_url}/user", headers=auth(access_token)) as response:
                statuses.append(response.status)
        assert statuses == [200, 200, 429]


# -- determinism and scale -------------------------------------------------------------------------


def test_generated_state_is_deterministic_per_seed() -> None:
    first, again = PlugchoiceEmulator(chargers=40, seed=5), PlugchoiceEmulator(chargers=40, seed=5)
    other = PlugchoiceEmulator(chargers=40, seed=6)
    uuid = first.uuids[3]
    assert first.transactions(uuid) == again.transactions(uuid)
    assert first.sites == again.sites and first.teams == again.teams
    assert first.foreign_uuids == again.foreign_uuids != other.foreign_uuids
    assert first.sites != other.sites


def test_large_fleet_builds_lazily() -> None:
    emu = PlugchoiceEmulator(chargers=10_000, seed=2)
    assert len(emu.sites) == 500
    assert 0.7 < sum(len(emu.site_chargers(s)) for s in emu.sites) / 10_000 < 0.9
    assert not emu._state._histories  # nothing per charger until it is asked for
