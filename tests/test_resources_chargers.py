"""``client.chargers``: update, transactions, active_transaction, transaction_graph, logs and meter_values.

First the exact requests (aioresponses, no socket): method, path, query and body as the API wants them,
answers wrapped and flat. Then end to end against the emulator: pages walked to the end, filters honoured,
validation before sending, and the server's 403/404/422 mapped to their exceptions.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from aioresponses import aioresponses

from plugchoice_async import (
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    PlugchoiceClient,
    RetryPolicy,
    UnprocessableEntityError,
)
from plugchoice_async.models import (
    ChargerSummary,
    LogDestination,
    LogStatus,
    Measurand,
    OcppLog,
    Phase,
    ReadingContext,
    StopReason,
    Transaction,
    TransactionGraph,
    TransactionStatus,
)
from plugchoice_async.testing import Fault, PlugchoiceEmulator
from tests.conftest import load_fixture, make_client

BASE = "https://api.test/api/v3"
UUID = "445bd3f6-8f2c-38cb-aa04-2f4e1edb32bb"
CEST = timezone(timedelta(hours=2))


def url_re(path: str) -> re.Pattern[str]:
    """``BASE + path`` with any query string."""
    return re.compile(re.escape(f"{BASE}{path}") + r"(\?.*)?$")


def sent(mocked: aioresponses) -> list[tuple[str, str, dict[str, str], Any]]:
    """Every request aioresponses saw: (method, path, query, decoded JSON body or None)."""
    out = []
    for (method, url), calls in mocked.requests.items():
        for call in calls:
            data = call.kwargs.get("data")
            out.append((method, url.path, dict(url.query), orjson.loads(data) if data else None))
    return out


def page(items: list[Any], next_url: str | None = None) -> dict[str, Any]:
    return {"data": items, "links": {"first": None, "last": None, "prev": None, "next": next_url}, "meta": {}}


def transaction_items() -> list[Any]:
    return load_fixture("transactions.list.volttime.json")["data"]  # type: ignore[no-any-return]


# -- exact requests (mocked) --------------------------------------------------------------------------


@pytest.mark.parametrize("wrapped", [True, False])
async def test_update_puts_the_reference(wrapped: bool) -> None:
    answer = load_fixture("chargers.update.volttime.json")
    answer["data"]["reference"] = "Garage"
    with aioresponses() as mocked:
        mocked.put(f"{BASE}/chargers/{UUID}", payload=answer if wrapped else answer["data"])
        async with make_client(BASE) as client:
            summary = await client.chargers.update(UUID.upper(), reference="Garage")
    assert isinstance(summary, ChargerSummary)
    assert summary.reference == "Garage"
    assert summary.uuid == answer["data"]["uuid"]
    assert sent(mocked) == [("PUT", f"/api/v3/chargers/{UUID}", {}, {"reference": "Garage"})]


async def test_update_with_none_clears_the_reference() -> None:
    with aioresponses() as mocked:
        mocked.put(f"{BASE}/chargers/{UUID}", payload=load_fixture("chargers.update.volttime.json"))
        async with make_client(BASE) as client:
            await client.chargers.update(UUID, reference=None)
    assert sent(mocked)[0][3] == {"reference": None}  # null is sent: "clear it", not "leave it"


async def test_transactions_sends_filters_as_the_api_names_them() -> None:
    with aioresponses() as mocked:
        mocked.get(url_re(f"/chargers/{UUID}/transactions"), payload=page(transaction_items()))
        async with make_client(BASE) as client:
            first = await client.chargers.transactions(
                UUID,
                status="finished",
                started_from=datetime(2026, 3, 1, 12, 0, tzinfo=CEST),
                stopped_until=date(2026, 3, 31),
                limit=50,
            )
    assert [tx.id for tx in first.items] == [item["id"] for item in transaction_items()]
    assert first.items[0].total_kwh == 7.0  # "7.00" on the wire
    assert sent(mocked) == [
        (
            "GET",
            f"/api/v3/chargers/{UUID}/transactions",
            {
                "filter[status]": "finished",
                "filter[started_from]": "2026-03-01T10:00:00Z",
                "filter[stopped_until]": "2026-03-31",
                "limit": "50",
            },
            None,
        )
    ]


async def test_transactions_status_accepts_the_enum_and_sends_nothing_unasked() -> None:
    with aioresponses() as mocked:
        mocked.get(url_re(f"/chargers/{UUID}/transactions"), payload=page([]), repeat=True)
        async with make_client(BASE) as client:
            await client.chargers.transactions(UUID, status=TransactionStatus.ACTIVE)
            await client.chargers.transactions(UUID)
    queries = [query for _, _, query, _ in sent(mocked)]
    assert queries == [{"filter[status]": "active"}, {}]


async def test_transactions_async_for_follows_next_links_to_the_end() -> None:
    items = transaction_items()
    path = f"/chargers/{UUID}/transactions"
    with aioresponses() as mocked:
        mocked.get(f"{BASE}{path}?limit=1", payload=page(items[:1], f"{BASE}{path}?limit=1&page=2"))
        mocked.get(f"{BASE}{path}?limit=1&page=2", payload=page(items[1:2]))
        async with make_client(BASE) as client:
            ids = [tx.id async for tx in client.chargers.transactions(UUID, limit=1)]
    assert ids == [items[0]["id"], items[1]["id"]]
    assert [query for _, _, query, _ in sent(mocked)] == [{"limit": "1"}, {"limit": "1", "page": "2"}]


async def test_active_transaction_asks_for_one_active_session() -> None:
    running = {**transaction_items()[0], "stopped_at": None, "meter_stop": None, "stop_reason": None}
    with aioresponses() as mocked:
        mocked.get(url_re(f"/chargers/{UUID}/transactions"), payload=page([running]))
        mocked.get(url_re(f"/chargers/{UUID}/transactions"), payload=page([]))
        async with make_client(BASE) as client:
            found = await client.chargers.active_transaction(UUID)
            nothing = await client.chargers.active_transaction(UUID)
    assert isinstance(found, Transaction)
    assert found.id == running["id"]
    assert found.stopped_at is None
    assert nothing is None
    assert [query for _, _, query, _ in sent(mocked)] == [{"filter[status]": "active", "limit": "1"}] * 2


async def test_active_transaction_of_one_connector_matches_the_connector_number() -> None:
    one, two = transaction_items()[:2]
    on_2 = {**two, "stopped_at": None, "connector": {"connector_id": 2}}
    on_1 = {**one, "stopped_at": None, "connector": {"connector_id": 1}}
    with aioresponses() as mocked:
        mocked.get(url_re(f"/chargers/{UUID}/transactions"), payload=page([on_2, on_1]), repeat=True)
        async with make_client(BASE) as client:
            assert (await client.chargers.active_transaction(UUID, connector=1)).id == one["id"]  # type: ignore[union-attr]
            assert (await client.chargers.active_transaction(UUID, connector=2)).id == two["id"]  # type: ignore[union-attr]
            assert await client.chargers.active_transaction(UUID, connector=3) is None
    assert all(query == {"filter[status]": "active"} for _, _, query, _ in sent(mocked))


async def test_transaction_graph_path_and_shape() -> None:
    with aioresponses() as mocked:
        mocked.get(
            f"{BASE}/chargers/{UUID}/transactions/42/graph", payload=load_fixture("transactions.graph.volttime.json")
        )
        async with make_client(BASE) as client:
            graph = await client.chargers.transaction_graph(UUID, 42)
    assert isinstance(graph, TransactionGraph)
    assert graph.energy[1].value == 1.234
    assert graph.current[0].l1 == 16.0
    assert sent(mocked) == [("GET", f"/api/v3/chargers/{UUID}/transactions/42/graph", {}, None)]


async def test_logs_sends_filter_params_with_iso_dates() -> None:
    entry = {
        "id": 1,
        "charger_id": 1,
        "status": "done",
        "version": "1.6",
        "method": "StartTransaction",
        "destination": "centralsystem",
        "params": '{"connectorId": 1}',
        "result": None,
        "created_at": "2026-03-01T10:00:00.000000Z",
        "updated_at": "2026-03-01T10:00:01.000000Z",
    }
    with aioresponses() as mocked:
        mocked.get(url_re(f"/chargers/{UUID}/logs"), payload={**page([entry]), "filter_options": {"methods": []}})
        async with make_client(BASE) as client:
            first = await client.chargers.logs(
                UUID,
                method="StartTransaction",
                status=LogStatus.DONE,
                destination="centralsystem",
                hide_insignificant=True,
                date_from=datetime(2026, 3, 1, 12, 0, tzinfo=CEST),
                date_to=datetime(2026, 3, 2),
                sort="created_at",
                per_page=10,
            )
    [log] = first.items
    assert isinstance(log, OcppLog)
    assert log.params == {"connectorId": 1}  # JSON text decoded
    assert sent(mocked)[0][2] == {
        "filter[method]": "StartTransaction",
        "filter[status]": "done",
        "filter[destination]": "centralsystem",
        "filter[hide_insignificant]": "1",
        "filter[date_from]": "2026-03-01T10:00:00Z",
        "filter[date_to]": "2026-03-02T00:00:00Z",
        "sort": "created_at",
        "per_page": "10",
    }


async def test_meter_values_sends_plain_params_in_y_m_d_h_i_s_utc() -> None:
    with aioresponses() as mocked:
        mocked.get(url_re(f"/chargers/{UUID}/metervalues"), payload=load_fixture("metervalues.list.volttime-2026.json"))
        async with make_client(BASE) as client:
            first = await client.chargers.meter_values(
                UUID,
                date_from=datetime(2026, 3, 1, 12, 0, tzinfo=CEST),
                date_to=datetime(2026, 3, 1, 18, 30, 15),
                context=ReadingContext.SAMPLE_PERIODIC,
                measurand=Measurand.ENERGY_ACTIVE_IMPORT_REGISTER,
                phase=Phase.L1,
                location="Outlet",
                unit="Wh",
                limit=500,
                order_by="desc",
            )
    assert first.items[0].raw_value == "28003"
    assert first.items[0].value == 28003.0
    assert sent(mocked)[0][2] == {
        "date_from": "2026-03-01 10:00:00",
        "date_to": "2026-03-01 18:30:15",
        "context": "Sample.Periodic",
        "measurand": "Energy.Active.Import.Register",
        "phase": "L1",
        "location": "Outlet",
        "unit": "Wh",
        "limit": "500",
        "order_by": "desc",
    }


# -- validation before sending --------------------------------------------------------------------------

Call = Callable[[PlugchoiceClient, str], Awaitable[Any]]
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

INVALID: list[tuple[str, Call, str]] = [
    ("update: not a uuid", lambda c, u: c.chargers.update("../user", reference="x"), "UUID"),
    ("update: reference too long", lambda c, u: c.chargers.update(u, reference="x" * 256), "255"),
    ("update: reference not text", lambda c, u: c.chargers.update(u, reference=5), "string"),  # type: ignore[arg-type]
    ("transactions: unknown status", lambda c, u: c.chargers.transactions(u, status="running"), "status"),  # type: ignore[arg-type]
    ("transactions: limit 0", lambda c, u: c.chargers.transactions(u, limit=0), "limit"),
    ("transactions: limit 10001", lambda c, u: c.chargers.transactions(u, limit=10_001), "limit"),
    ("transactions: limit bool", lambda c, u: c.chargers.transactions(u, limit=True), "limit"),
    ("transactions: date as text", lambda c, u: c.chargers.transactions(u, started_from="2026-01-01"), "started_from"),  # type: ignore[arg-type]
    ("transactions: bad uuid", lambda c, u: c.chargers.transactions("nope"), "UUID"),
    ("active: connector 0", lambda c, u: c.chargers.active_transaction(u, connector=0), "connector"),
    ("graph: negative id", lambda c, u: c.chargers.transaction_graph(u, -1), "transaction_id"),
    ("graph: id as text", lambda c, u: c.chargers.transaction_graph(u, "1/../2"), "transaction_id"),  # type: ignore[arg-type]
    ("logs: unknown sort", lambda c, u: c.chargers.logs(u, sort="-id"), "sort"),  # type: ignore[arg-type]
    ("logs: unknown status", lambda c, u: c.chargers.logs(u, status="ok"), "status"),  # type: ignore[arg-type]
    ("logs: unknown destination", lambda c, u: c.chargers.logs(u, destination="cloud"), "destination"),  # type: ignore[arg-type]
    ("logs: hide_insignificant 1", lambda c, u: c.chargers.logs(u, hide_insignificant=1), "hide_insignificant"),  # type: ignore[arg-type]
    (
        "meter values: from after to",
        lambda c, u: c.chargers.meter_values(u, date_from=NOW, date_to=NOW - timedelta(seconds=1)),
        "must not be after",
    ),
    (
        "meter values: limit 0",
        lambda c, u: c.chargers.meter_values(u, date_from=NOW, date_to=NOW, limit=0),
        "limit",
    ),
    (
        "meter values: order_by",
        lambda c, u: c.chargers.meter_values(u, date_from=NOW, date_to=NOW, order_by="up"),  # type: ignore[arg-type]
        "order_by",
    ),
    (
        "meter values: date missing",
        lambda c, u: c.chargers.meter_values(u, date_from=None, date_to=NOW),  # type: ignore[arg-type]
        "date_from",
    ),
]


@pytest.mark.parametrize(("call", "match"), [pytest.param(c, m, id=i) for i, c, m in INVALID])
async def test_invalid_arguments_send_nothing(emulator: PlugchoiceEmulator, call: Call, match: str) -> None:
    async with make_client(emulator.base_url) as client:
        with pytest.raises(InvalidRequestError, match=match) as info:
            await call(client, emulator.uuids[0])
    assert isinstance(info.value, ValueError)
    assert emulator.requests == []


# -- end to end (emulator) ---------------------------------------------------------------------------


def at(moment: datetime | None) -> datetime:
    """A timestamp the answer must carry (models default absent ones to None)."""
    assert moment is not None
    return moment


def busiest(emu: PlugchoiceEmulator) -> str:
    """The charger with the most sessions."""
    return max(emu.uuids, key=lambda u: len(emu.transactions(u)))


def charging(emu: PlugchoiceEmulator) -> str:
    """An online charger with a session running on connector 1."""
    return next(
        u
        for u, c in emu.chargers.items()
        if c["connection_status"] == "online" and c["connectors"][0]["status"] == "Charging"
    )


async def test_update_reference_round_trip(emulator: PlugchoiceEmulator) -> None:
    uuid = emulator.uuids[2]
    async with make_client(emulator.base_url) as client:
        summary = await client.chargers.update(uuid, reference="Car park level -1")
        assert summary.reference == "Car park level -1"
        assert (await client.chargers.get(uuid)).reference == "Car park level -1"
        cleared = await client.chargers.update(uuid, reference=None)
        assert cleared.reference is None
        assert (await client.chargers.get(uuid)).reference is None


async def test_transactions_are_walked_to_the_end_newest_first(emulator: PlugchoiceEmulator) -> None:
    uuid = busiest(emulator)
    expected = emulator.transactions(uuid)
    assert len(expected) > 4
    async with make_client(emulator.base_url) as client:
        sessions = [tx async for tx in client.chargers.transactions(uuid, limit=2)]
    assert sorted(tx.id for tx in sessions) == sorted(row["id"] for row in expected)
    starts = [started for tx in sessions if (started := tx.started_at) is not None]
    assert len(starts) == len(sessions) and starts == sorted(starts, reverse=True)
    pages = [r for r in emulator.requests if r.path.endswith("/transactions")]
    assert len(pages) == -(-len(expected) // 2)  # every page once, no more
    assert all(r.query["limit"] == "2" for r in pages)


async def test_transaction_filters_are_honoured(emulator: PlugchoiceEmulator) -> None:
    uuid = busiest(emulator)
    rows = emulator.transactions(uuid)
    middle = sorted(row["started_at"] for row in rows)[len(rows) // 2]
    since = datetime.fromisoformat(middle)
    async with make_client(emulator.base_url) as client:
        finished = [tx async for tx in client.chargers.transactions(uuid, status="finished")]
        recent = [tx async for tx in client.chargers.transactions(uuid, started_from=since)]
        early = [tx async for tx in client.chargers.transactions(uuid, stopped_until=since)]
    assert len(finished) == sum(row["stopped_at"] is not None for row in rows)
    assert all(tx.stopped_at is not None and tx.stop_reason is not None for tx in finished)
    assert {tx.id for tx in recent} == {row["id"] for row in rows if row["started_at"] >= middle}
    assert all(tx.stopped_at is not None and tx.stopped_at <= since for tx in early)
    assert 0 < len(recent) < len(rows)


async def test_active_transaction_finds_the_running_session(emulator: PlugchoiceEmulator) -> None:
    uuid = charging(emulator)
    idle = next(u for u in emulator.uuids if all(row["stopped_at"] for row in emulator.transactions(u)))
    async with make_client(emulator.base_url) as client:
        running = await client.chargers.active_transaction(uuid)
        on_connector = await client.chargers.active_transaction(uuid, connector=1)
        none = await client.chargers.active_transaction(idle)
    assert running is not None and on_connector is not None
    assert running.stopped_at is None and running.meter_stop is None
    active = {
        row["id"]: row["connector"]["connector_id"] for row in emulator.transactions(uuid) if not row["stopped_at"]
    }
    assert running.id in active
    assert on_connector.connector is not None and on_connector.connector.connector_id == 1
    assert active[on_connector.id] == 1
    assert none is None


async def test_transaction_graph_and_unknown_transaction(emulator: PlugchoiceEmulator) -> None:
    uuid = busiest(emulator)
    finished = next(row for row in emulator.transactions(uuid) if row["stopped_at"])
    async with make_client(emulator.base_url) as client:
        graph = await client.chargers.transaction_graph(uuid, finished["id"])
        with pytest.raises(NotFoundError):
            await client.chargers.transaction_graph(uuid, 1)
    assert len(graph.energy) > 1
    assert graph.energy[-1].value == pytest.approx(float(finished["total_kwh"]), abs=0.2)
    assert len(graph.current) == len(graph.voltage) == len(graph.energy)


async def test_logs_walk_filter_and_sort(emulator: PlugchoiceEmulator) -> None:
    uuid = busiest(emulator)
    async with make_client(emulator.base_url) as client:
        everything = [entry async for entry in client.chargers.logs(uuid)]
        total = (await client.chargers.logs(uuid)).total
        oldest_first = [entry async for entry in client.chargers.logs(uuid, sort="created_at", per_page=7)]
        commands = [entry async for entry in client.chargers.logs(uuid, destination=LogDestination.CHARGER)]
        significant = [entry async for entry in client.chargers.logs(uuid, hide_insignificant=True)]
        starts = [entry async for entry in client.chargers.logs(uuid, method="StartTransaction", status="done")]
        cut = at(everything[len(everything) // 2].created_at)
        later = [entry async for entry in client.chargers.logs(uuid, date_from=cut)]
    assert total == len(everything) > 25  # more than one page of 25
    assert [e.created_at for e in everything] == sorted((at(e.created_at) for e in everything), reverse=True)
    assert [e.id for e in oldest_first] == [e.id for e in sorted(everything, key=lambda e: (at(e.created_at), e.id))]
    assert commands and all(e.destination == LogDestination.CHARGER for e in commands)
    assert {e.method for e in everything} >= {"Heartbeat"}
    assert significant and not {e.method for e in significant} & {"Heartbeat", "MeterValues"}
    assert len(starts) == len(emulator.transactions(uuid))
    assert all(e.method == "StartTransaction" and isinstance(e.params, dict) for e in starts)
    assert later and all(at(e.created_at) >= cut for e in later) and len(later) < len(everything)


async def test_meter_values_window_filters_and_order(emulator: PlugchoiceEmulator) -> None:
    uuid = busiest(emulator)
    row = next(r for r in emulator.transactions(uuid) if r["stopped_at"])
    start, stop = datetime.fromisoformat(row["started_at"]), datetime.fromisoformat(row["stopped_at"])
    async with make_client(emulator.base_url) as client:
        values = [v async for v in client.chargers.meter_values(uuid, date_from=start, date_to=stop, limit=10)]
        newest_first = [
            v async for v in client.chargers.meter_values(uuid, date_from=start, date_to=stop, order_by="desc")
        ]
        register = [
            v
            async for v in client.chargers.meter_values(
                uuid, date_from=start, date_to=stop, measurand=Measurand.ENERGY_ACTIVE_IMPORT_REGISTER
            )
        ]
        naive = await client.chargers.meter_values(
            uuid, date_from=start.replace(tzinfo=None), date_to=stop.replace(tzinfo=None), limit=10
        )
    assert len(values) > 10  # several pages of 10
    assert all(start <= at(v.timestamp) <= stop for v in values)
    assert [v.timestamp for v in newest_first] == sorted((at(v.timestamp) for v in values), reverse=True)
    assert register and all(v.measurand == Measurand.ENERGY_ACTIVE_IMPORT_REGISTER for v in register)
    assert register[0].value == row["meter_start"] and register[-1].value == row["meter_stop"]
    assert naive.total == len(values)  # naive datetimes are UTC
    assert {r.query["date_from"] for r in emulator.requests if r.path.endswith("/metervalues")} == {
        start.strftime("%Y-%m-%d %H:%M:%S")
    }


async def test_server_422_is_mapped_with_field_errors(emulator: PlugchoiceEmulator) -> None:
    uuid = emulator.uuids[0]
    body = orjson.dumps(
        {"message": "The filter.started from field must be a valid date.", "errors": {"filter.started_from": ["bad"]}}
    )
    emulator.add_fault(Fault("status", status=422, body=body, path=f"/chargers/{uuid}/transactions"))
    async with make_client(emulator.base_url) as client:
        with pytest.raises(UnprocessableEntityError) as info:
            await client.chargers.transactions(uuid, started_from=date(2026, 1, 1))
    assert info.value.errors == {"filter.started_from": ["bad"]}
    assert info.value.status == 422


READS: list[tuple[str, Call]] = [
    ("update", lambda c, u: c.chargers.update(u, reference="mine now")),
    ("transactions", lambda c, u: c.chargers.transactions(u)),
    ("active_transaction", lambda c, u: c.chargers.active_transaction(u)),
    ("transaction_graph", lambda c, u: c.chargers.transaction_graph(u, 1)),
    ("logs", lambda c, u: c.chargers.logs(u)),
    ("meter_values", lambda c, u: c.chargers.meter_values(u, date_from=NOW - timedelta(hours=1), date_to=NOW)),
]


@pytest.mark.parametrize("call", [pytest.param(c, id=i) for i, c in READS])
async def test_another_owners_charger_is_permission_denied(emulator: PlugchoiceEmulator, call: Call) -> None:
    async with make_client(emulator.base_url, retry=RetryPolicy(max_retries=3)) as client:
        with pytest.raises(PermissionDeniedError) as info:
            await call(client, emulator.foreign_uuids[0])
    assert info.value.status == 403
    assert len(emulator.requests) == 1  # a 403 is not retried


async def test_finished_session_fields_from_the_emulator(emulator: PlugchoiceEmulator) -> None:
    uuid = busiest(emulator)
    async with make_client(emulator.base_url) as client:
        page_ = await client.chargers.transactions(uuid, status="finished", limit=1)
    [tx] = page_.items
    assert page_.total == sum(1 for row in emulator.transactions(uuid) if row["stopped_at"])
    assert tx.meter_stop is not None and tx.meter_start is not None
    assert tx.total_kwh == pytest.approx((tx.meter_stop - tx.meter_start) / 1000, abs=0.01)
    assert isinstance(tx.stop_reason, StopReason | str)
