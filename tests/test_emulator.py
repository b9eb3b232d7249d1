"""The local API emulator (plugchoice_async.testing), exercised over real loopback HTTP with aiohttp."""

from __future__ import annotations

import asyncio
import logging
import math
import os
import re
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import plugchoice_async.testing as testing
from plugchoice_async.testing import Fault, LoggedRequest, PlugchoiceEmulator
from tests.conftest import FakeClock, FakeSleep

ROOT = Path(__file__).resolve().parents[1]

CHARGER_FIELDS = [
    "uuid",
    "id",
    "identity",
    "pincode",
    "reference",
    "connection_status",
    "status",
    "error",
    "error_info",
    "vendor_id",
    "vendor_error_code",
    "firmware_version",
    "parsed_firmware_version",
    "server",
    "last_connection_at",
    "last_disconnection_at",
    "last_heartbeat_at",
    "setup_pending",
    "setup_completed",
    "blocked",
    "max_current",
    "created_at",
    "updated_at",
    "licenses",
    "model_id",
    "model",
    "connectors",
    "permissions",
]
LIST_ITEM_FIELDS = [name for name in CHARGER_FIELDS if name not in ("pincode", "connectors")]
CONNECTOR_FIELDS = [
    "id",
    "charger_id",
    "connector_id",
    "status",
    "error",
    "error_info",
    "vendor_id",
    "vendor_error_code",
    "max_amperage",
    "max_voltage",
    "standard",
    "format",
    "power_type",
    "phase_rotation",
    "created_at",
    "updated_at",
]
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "Retry-After", "X-RateLimit-Reset")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


@pytest.fixture
async def emu() -> AsyncIterator[PlugchoiceEmulator]:
    async with PlugchoiceEmulator(chargers=60, seed=1) as emulator:
        yield emulator


@pytest.fixture
async def session(emu: PlugchoiceEmulator) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers=auth(emu.token)) as client:
        yield client


async def get_json(session: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    async with session.get(url) as response:
        return response.status, await response.json()


# -- public surface and lifecycle ----------------------------------------------------------------


def test_public_names_are_exported_sorted() -> None:
    assert testing.__all__ == ["ActionRecord", "FakeTransport", "Fault", "LoggedRequest", "PlugchoiceEmulator"]
    assert testing.__all__ == sorted(testing.__all__)


async def test_base_url_points_at_the_bound_port() -> None:
    emulator = PlugchoiceEmulator(chargers=1)
    with pytest.raises(RuntimeError):
        _ = emulator.base_url
    await emulator.start()
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/v3", emulator.base_url)
        assert not emulator.base_url.endswith(":0/api/v3")
        with pytest.raises(RuntimeError):
            await emulator.start()
    finally:
        await emulator.stop()
    await emulator.stop()  # idempotent


async def test_stop_closes_keep_alive_connections(emu: PlugchoiceEmulator) -> None:
    async with aiohttp.ClientSession(headers=auth(emu.token)) as client:
        assert (await get_json(client, f"{emu.base_url}/user"))[0] == 200
        await emu.stop()
        with pytest.raises(aiohttp.ClientConnectionError):
            await get_json(client, f"{emu.base_url}/user")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"chargers": -1}, "chargers"),
        ({"token": ""}, "tokens"),
        ({"rate_limit": -1}, "rate_limit"),
        ({"rate_period": 0.0}, "rate_period"),
        ({"token_ttl": 0.0}, "token_ttl"),
    ],
)
def test_invalid_settings_are_rejected(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        PlugchoiceEmulator(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kind": "explode"}, "kind"),
        ({"kind": "status", "status": 99}, "status"),
        ({"kind": "delay", "delay": -1.0}, "delay"),
        ({"kind": "drop", "times": 0}, "times"),
    ],
)
def test_invalid_faults_are_rejected(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Fault(**kwargs)


# -- generated fleet -----------------------------------------------------------------------------


def test_fleet_is_deterministic_per_seed() -> None:
    first, again, other = (PlugchoiceEmulator(chargers=40, seed=seed) for seed in (7, 7, 8))
    assert first.chargers == again.chargers
    assert first.user == again.user
    assert first.uuids != other.uuids
    assert PlugchoiceEmulator(chargers=0).uuids == []


def test_fleet_looks_like_the_api() -> None:
    chargers = list(PlugchoiceEmulator(chargers=2000, seed=3).chargers.values())
    assert [c["id"] for c in chargers] == list(range(1, 2001))
    assert len({c["uuid"] for c in chargers}) == len({c["identity"] for c in chargers}) == 2000
    assert all(UUID4.fullmatch(c["uuid"]) for c in chargers)
    # pincode only with the sensitive permission: every 7th charger is shared without it
    assert all(("pincode" in c) == c["permissions"]["sensitive"] for c in chargers)
    assert [c["id"] for c in chargers if not c["permissions"]["sensitive"]] == list(range(7, 2001, 7))
    assert all(re.fullmatch(r"\d{6}", c["pincode"]) for c in chargers if "pincode" in c)

    share = {s: sum(c["connection_status"] == s for c in chargers) / 2000 for s in ("online", "offline", "never_seen")}
    assert 0.74 < share["online"] < 0.86
    assert 0.10 < share["offline"] < 0.20
    assert 0.02 < share["never_seen"] < 0.08
    assert 0.24 < sum(len(c["connectors"]) == 2 for c in chargers) / 2000 < 0.36
    connectors = [k for c in chargers for k in c["connectors"]]
    assert 0.01 < sum(k["status"] == "Faulted" for k in connectors) / len(connectors) < 0.06
    assert all((k["status"] == "Faulted") == (k["error"] != "NoError") for k in connectors)
    assert {c["status"] for c in chargers} == {"Available", "Unavailable", "Faulted", None}

    for charger in chargers:
        if charger["connection_status"] == "never_seen":
            assert charger["status"] is None
            assert charger["last_connection_at"] is charger["last_heartbeat_at"] is None
        else:
            assert TIMESTAMP.fullmatch(charger["last_heartbeat_at"])
        assert charger["created_at"] <= charger["updated_at"]


# -- routes --------------------------------------------------------------------------------------


async def test_get_charger_returns_the_full_document(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    uuid = emu.uuids[5]
    async with session.get(f"{emu.base_url}/chargers/{uuid}") as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        body = await response.json()
    charger = body["data"]
    assert list(charger) == CHARGER_FIELDS
    assert charger == emu.chargers[uuid]
    assert charger["uuid"] == uuid
    assert charger["id"] == 6
    assert set(charger["licenses"]) == {"smart", "pro"}
    assert set(charger["model"]) == {"vendor", "name", "is_dc"}
    assert charger["permissions"] == {"basic": True, "sensitive": True, "full": True}
    assert TIMESTAMP.fullmatch(charger["created_at"])
    assert TIMESTAMP.fullmatch(charger["updated_at"])
    assert 1 <= len(charger["connectors"]) <= 2
    for number, connector in enumerate(charger["connectors"], start=1):
        assert list(connector) == CONNECTOR_FIELDS
        assert connector["charger_id"] == 6
        assert connector["connector_id"] == number


@pytest.mark.parametrize("key", ["00000000-0000-4000-8000-000000000000", "not-a-uuid"])
async def test_unknown_charger_is_404(emu: PlugchoiceEmulator, session: aiohttp.ClientSession, key: str) -> None:
    assert await get_json(session, f"{emu.base_url}/chargers/{key}") == (
        404,
        {"message": "No query results for model [App\\Models\\Charger]."},
    )


async def test_get_user(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    status, body = await get_json(session, f"{emu.base_url}/user")
    assert status == 200
    assert list(body) == ["uuid", "id", "name", "email", "avatar", "created_at", "updated_at"]  # bare by default
    assert body == emu.user


async def test_unknown_route_is_404_and_wrong_method_is_405(
    emu: PlugchoiceEmulator, session: aiohttp.ClientSession
) -> None:
    status, body = await get_json(session, f"{emu.base_url}/nothing/here")
    assert status == 404
    assert body["message"]
    async with session.delete(f"{emu.base_url}/chargers/{emu.uuids[0]}") as response:
        assert response.status == 405
        assert response.headers["Allow"] == "GET, PUT, HEAD"
        assert (await response.json())["message"].startswith("The DELETE method is not supported")


async def test_head_is_answered_like_get_without_a_body(
    emu: PlugchoiceEmulator, session: aiohttp.ClientSession
) -> None:
    async with session.head(f"{emu.base_url}/chargers/{emu.uuids[0]}") as response:
        assert response.status == 200
        assert await response.read() == b""


# -- pagination ----------------------------------------------------------------------------------


async def test_pagination_walks_every_charger_once(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    url: str | None = f"{emu.base_url}/chargers"
    seen: list[str] = []
    pages: list[dict[str, Any]] = []
    while url is not None:
        status, page = await get_json(session, url)
        assert status == 200
        pages.append(page)
        seen += [item["uuid"] for item in page["data"]]
        url = page["links"]["next"]
    assert seen == emu.uuids  # 60 chargers: 25 + 25 + 10
    assert [len(p["data"]) for p in pages] == [25, 25, 10]
    last = pages[-1]
    assert last["links"] == {
        "first": f"{emu.base_url}/chargers?page=1",
        "last": None,
        "prev": f"{emu.base_url}/chargers?page=2",
        "next": None,
    }
    assert last["meta"] == {
        "current_page": 3,
        "current_page_url": f"{emu.base_url}/chargers?page=3",
        "from": 51,
        "path": f"{emu.base_url}/chargers",
        "per_page": 25,
        "to": 60,
    }
    assert pages[0]["links"]["prev"] is None


async def test_list_items_have_no_pincode_or_connectors(
    emu: PlugchoiceEmulator, session: aiohttp.ClientSession
) -> None:
    _, page = await get_json(session, f"{emu.base_url}/chargers?page=1")
    for item in page["data"]:
        assert list(item) == LIST_ITEM_FIELDS
        full = emu.chargers[item["uuid"]]
        assert item == {k: v for k, v in full.items() if k in LIST_ITEM_FIELDS}


async def test_page_past_the_end_is_empty(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    _, page = await get_json(session, f"{emu.base_url}/chargers?page=9")
    assert page["data"] == []
    assert page["links"]["next"] is None
    assert page["meta"]["from"] is None
    assert page["meta"]["to"] is None


async def test_invalid_page_means_first_page(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    _, page = await get_json(session, f"{emu.base_url}/chargers?page=abc")
    assert page["meta"]["current_page"] == 1
    assert page["data"][0]["uuid"] == emu.uuids[0]


async def test_per_page_is_honoured_and_kept_in_links(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    _, page = await get_json(session, f"{emu.base_url}/chargers?per_page=7&page=2")
    assert [item["uuid"] for item in page["data"]] == emu.uuids[7:14]
    assert page["meta"]["per_page"] == 7
    assert page["links"]["next"] == f"{emu.base_url}/chargers?per_page=7&page=3"
    _, page = await get_json(session, f"{emu.base_url}/chargers?per_page=1000")
    assert page["meta"]["per_page"] == 100  # clamped to 1..100
    assert len(page["data"]) == 60


# -- auth ----------------------------------------------------------------------------------------


async def test_missing_or_wrong_token_is_401_without_leaking_it(emu: PlugchoiceEmulator) -> None:
    url = f"{emu.base_url}/chargers/{emu.uuids[0]}"
    async with aiohttp.ClientSession() as anonymous:
        async with anonymous.get(url) as response:
            assert response.status == 401
            assert await response.json() == {"message": "Unauthenticated."}
            assert not any(name in response.headers for name in RATE_HEADERS)
        for header in (f"Bearer wrong-{emu.token}", emu.token, "Basic dXNlcjpwYXNz"):
            async with anonymous.get(url, headers={"Authorization": header}) as response:
                assert response.status == 401
                assert emu.token not in await response.text()
    async with aiohttp.ClientSession(headers=auth(emu.token)) as client, client.get(url) as response:
        assert response.status == 200
        assert emu.token not in await response.text()

    assert [r.status for r in emu.requests] == [401, 401, 401, 401, 200]
    assert "Authorization" not in emu.requests[0].headers
    assert all(r.headers["Authorization"] == "<redacted>" for r in emu.requests[1:])
    assert emu.token not in repr(emu.requests)


async def test_extra_tokens_are_accepted() -> None:
    async with (
        PlugchoiceEmulator(chargers=1, tokens=("second",)) as emulator,
        aiohttp.ClientSession(headers=auth("second")) as client,
    ):
        assert (await get_json(client, f"{emulator.base_url}/user"))[0] == 200


# -- rate limit ----------------------------------------------------------------------------------


async def test_rate_limit_headers_on_every_authenticated_answer() -> None:
    async with (
        PlugchoiceEmulator(chargers=3, rate_limit=5) as emulator,
        aiohttp.ClientSession(headers=auth(emulator.token)) as client,
    ):
        remaining = []
        for path in ("/user", "/chargers/nope", "/nowhere", "/chargers"):
            async with client.get(emulator.base_url + path) as response:
                assert response.headers["X-RateLimit-Limit"] == "5"
                assert "Retry-After" not in response.headers
                remaining.append(response.headers["X-RateLimit-Remaining"])
        assert remaining == ["4", "3", "2", "1"]


async def test_429_after_the_limit_until_the_window_ends() -> None:
    clock = FakeClock()
    async with (
        PlugchoiceEmulator(chargers=3, rate_limit=3, rate_period=10.0, clock=clock) as emulator,
        aiohttp.ClientSession(headers=auth(emulator.token)) as client,
    ):
        url = f"{emulator.base_url}/user"
        for _ in range(3):
            assert (await get_json(client, url))[0] == 200

        wall = time.time()
        async with client.get(url) as response:
            assert response.status == 429
            assert await response.json() == {"message": "Too Many Attempts."}
            assert response.headers["Retry-After"] == "10"
            assert response.headers["X-RateLimit-Remaining"] == "0"
            assert response.headers["X-RateLimit-Limit"] == "3"
            assert abs(int(response.headers["X-RateLimit-Reset"]) - (wall + 10)) <= 2

        clock.advance(6.5)  # rejected requests do not extend the window
        async with client.get(url) as response:
            assert response.status == 429
            assert response.headers["Retry-After"] == str(math.ceil(3.5))

        clock.advance(3.5)  # the window has ended: a new one starts
        async with client.get(url) as response:
            assert response.status == 200
            assert response.headers["X-RateLimit-Remaining"] == "2"
        assert emulator.rate_limited == 2


async def test_rate_limit_is_per_token() -> None:
    clock = FakeClock()
    async with (
        PlugchoiceEmulator(chargers=1, tokens=("other",), rate_limit=1, clock=clock) as emulator,
        aiohttp.ClientSession() as client,
    ):
        url = f"{emulator.base_url}/user"
        statuses = []
        for token in (emulator.token, emulator.token, "other"):
            async with client.get(url, headers=auth(token)) as response:
                statuses.append(response.status)
        assert statuses == [200, 429, 200]


async def test_rate_limit_can_be_disabled_and_changed_at_runtime() -> None:
    async with (
        PlugchoiceEmulator(chargers=1, rate_limit=None) as emulator,
        aiohttp.ClientSession(headers=auth(emulator.token)) as client,
    ):
        async with client.get(f"{emulator.base_url}/user") as response:
            assert not any(name in response.headers for name in RATE_HEADERS)
        emulator.rate_limit = 0
        assert (await get_json(client, f"{emulator.base_url}/user"))[0] == 429


# -- faults --------------------------------------------------------------------------------------


async def test_status_fault_with_retry_after(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    emu.add_fault(Fault("status", status=503, headers={"Retry-After": "7"}))
    url = f"{emu.base_url}/user"
    async with session.get(url) as response:
        assert response.status == 503
        assert response.headers["Retry-After"] == "7"
        assert "X-RateLimit-Remaining" in response.headers
        assert await response.json() == {"message": "Service Unavailable."}
    assert (await get_json(session, url))[0] == 200


@pytest.mark.parametrize(
    ("status", "message"), [(500, "Server Error"), (504, "Gateway Timeout."), (429, "Too Many Attempts.")]
)
async def test_status_fault_default_messages(
    emu: PlugchoiceEmulator, session: aiohttp.ClientSession, status: int, message: str
) -> None:
    emu.add_fault(Fault("status", status=status))
    assert await get_json(session, f"{emu.base_url}/user") == (status, {"message": message})


async def test_status_fault_with_custom_body(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    emu.add_fault(Fault("status", status=504, body=b'{"message":"The charger did not respond in time."}'))
    assert await get_json(session, f"{emu.base_url}/user") == (504, {"message": "The charger did not respond in time."})


async def test_html_fault(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    emu.add_fault(Fault("html", status=502))
    async with session.get(f"{emu.base_url}/user") as response:
        assert response.status == 502
        assert response.content_type == "text/html"
        assert "<title>502 Bad Gateway</title>" in await response.text()
        with pytest.raises(aiohttp.ContentTypeError):
            await response.json()


async def test_drop_fault_disconnects_without_an_answer(
    emu: PlugchoiceEmulator, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    # aiohttp retries an idempotent request once after a disconnect: a GET must be dropped twice.
    emu.add_fault(Fault("drop", times=2))
    with pytest.raises((aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)):
        await get_json(session, f"{emu.base_url}/user")
    assert [(r.path, r.status) for r in emu.requests] == [("/api/v3/user", 0)] * 2

    emu.add_fault(Fault("drop", method="POST"))
    with pytest.raises((aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)):
        async with session.post(f"{emu.base_url}/chargers", json={}):
            pass
    assert [r.status for r in emu.requests] == [0, 0, 0]
    assert (await get_json(session, f"{emu.base_url}/user"))[0] == 200
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


async def test_truncate_fault_is_a_payload_error(
    emu: PlugchoiceEmulator, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    emu.add_fault(Fault("truncate"))
    async with session.get(f"{emu.base_url}/chargers/{emu.uuids[0]}") as response:
        assert response.status == 200
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()
    assert emu.requests[-1].status == 200
    assert (await get_json(session, f"{emu.base_url}/chargers/{emu.uuids[0]}"))[0] == 200
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


async def test_delay_fault_answers_late_but_normally() -> None:
    waits: list[float] = []
    waiting, release = asyncio.Event(), asyncio.Event()

    async def held(delay: float) -> None:  # the emulator's sleep: the delay lasts until the test releases it
        waits.append(delay)
        waiting.set()
        await release.wait()

    async with (
        PlugchoiceEmulator(chargers=2, sleep=held) as emu,
        aiohttp.ClientSession(headers=auth(emu.token)) as session,
    ):
        emu.add_fault(Fault("delay", delay=0.3, path="/chargers/"))
        delayed = asyncio.ensure_future(get_json(session, f"{emu.base_url}/chargers/{emu.uuids[0]}"))
        await waiting.wait()
        assert (await get_json(session, f"{emu.base_url}/user"))[0] == 200  # not held behind the delayed one
        assert not delayed.done()
        release.set()
        status, body = await delayed
    assert (status, body["data"]["uuid"]) == (200, emu.uuids[0])  # late, but a normal answer
    assert waits == [0.3]
    assert [r.path for r in emu.requests] == ["/api/v3/chargers/" + emu.uuids[0], "/api/v3/user"]  # arrival order


async def test_faults_match_method_and_path_and_are_used_up(
    emu: PlugchoiceEmulator, session: aiohttp.ClientSession
) -> None:
    emu.add_fault(Fault("status", status=500, method="GET", path="/chargers/", times=2))
    emu.add_fault(Fault("status", status=502, path="/chargers/"))  # waits behind the first
    user, charger = f"{emu.base_url}/user", f"{emu.base_url}/chargers/{emu.uuids[0]}"
    assert (await get_json(session, user))[0] == 200
    assert (await get_json(session, f"{emu.base_url}/chargers"))[0] == 200  # "/chargers" lacks the slash
    async with session.delete(charger) as response:
        assert response.status == 502  # the first fault wants GET; the second takes the DELETE
    statuses = [(await get_json(session, charger))[0] for _ in range(3)]
    assert statuses == [500, 500, 200]


async def test_clear_faults(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    emu.add_fault(Fault("status", times=5))
    emu.clear_faults()
    assert (await get_json(session, f"{emu.base_url}/user"))[0] == 200


async def test_error_rate_is_deterministic_per_seed() -> None:
    async def statuses(seed: int) -> list[int]:
        async with (
            PlugchoiceEmulator(chargers=2, seed=seed) as emulator,
            aiohttp.ClientSession(headers=auth(emulator.token)) as client,
        ):
            emulator.error_rate = 0.3
            emulator.error_status = 503
            return [(await get_json(client, f"{emulator.base_url}/user"))[0] for _ in range(40)]

    first, again, other = await statuses(4), await statuses(4), await statuses(5)
    assert first == again
    assert first != other
    assert set(first) == {200, 503}


async def test_latency_is_added_to_every_answer() -> None:
    sleep = FakeSleep()
    async with (
        PlugchoiceEmulator(chargers=2, latency=0.2, sleep=sleep) as emu,
        aiohttp.ClientSession(headers=auth(emu.token)) as session,
    ):
        assert (await get_json(session, f"{emu.base_url}/user"))[0] == 200
        assert (await get_json(session, f"{emu.base_url}/nowhere"))[0] == 404
        assert sleep.delays == [0.2, 0.2]
        emu.latency = 0.0
        assert (await get_json(session, f"{emu.base_url}/user"))[0] == 200
        assert sleep.delays == [0.2, 0.2]


# -- state, log and concurrency ------------------------------------------------------------------


async def test_set_charger_is_reflected_in_the_next_answers(
    emu: PlugchoiceEmulator, session: aiohttp.ClientSession
) -> None:
    uuid = emu.uuids[0]
    url = f"{emu.base_url}/chargers/{uuid}"
    _, before = await get_json(session, url)  # now cached
    _, page_before = await get_json(session, f"{emu.base_url}/chargers")

    emu.set_charger(
        uuid, status="Faulted", connection_status="offline", error="GroundFailure", connectors={1: "Charging"}
    )

    _, after = await get_json(session, url)
    charger = after["data"]
    assert (charger["status"], charger["connection_status"], charger["error"]) == (
        "Faulted",
        "offline",
        "GroundFailure",
    )
    assert charger["connectors"][0]["status"] == "Charging"
    assert charger["updated_at"] > before["data"]["updated_at"]
    assert charger["connectors"][0]["updated_at"] == charger["updated_at"]
    _, page = await get_json(session, f"{emu.base_url}/chargers")
    assert page["data"][0]["status"] == "Faulted"
    assert page["data"][1:] == page_before["data"][1:]


async def test_set_charger_connector_fields_and_unknown_keys(emu: PlugchoiceEmulator) -> None:
    uuid = emu.uuids[0]
    charger = emu.set_charger(uuid, connectors={1: {"status": "Faulted", "error": "OverCurrentFailure"}})
    assert charger["connectors"][0]["error"] == "OverCurrentFailure"
    with pytest.raises(KeyError):
        emu.set_charger(uuid, connectors={9: "Available"})
    with pytest.raises(KeyError):
        emu.set_charger("no-such-charger", status="Available")


async def test_invalidate_after_editing_chargers_directly(
    emu: PlugchoiceEmulator, session: aiohttp.ClientSession
) -> None:
    uuid = emu.uuids[0]
    url = f"{emu.base_url}/chargers/{uuid}"
    await get_json(session, url)
    emu.chargers[uuid]["reference"] = "Bay 9"
    emu.invalidate(uuid)
    assert (await get_json(session, url))[1]["data"]["reference"] == "Bay 9"
    del emu.chargers[uuid]
    assert (await get_json(session, url))[0] == 404


async def test_requests_are_logged_in_arrival_order() -> None:
    clock = FakeClock(50.0)
    async with (
        PlugchoiceEmulator(chargers=2, clock=clock) as emulator,
        aiohttp.ClientSession(headers=auth(emulator.token)) as client,
    ):
        await get_json(client, f"{emulator.base_url}/chargers?page=2&per_page=1")
        clock.advance(1.5)
        async with client.post(f"{emulator.base_url}/user", data=b'{"a":1}') as response:
            assert response.status == 405
        first, second = emulator.requests
        assert first == LoggedRequest(
            method="GET",
            path="/api/v3/chargers",
            query={"page": "2", "per_page": "1"},
            status=200,
            at=50.0,
            body=b"",
            headers=first.headers,
        )
        assert (second.method, second.status, second.at, second.body) == ("POST", 405, 51.5, b'{"a":1}')
        emulator.reset_stats()
        assert emulator.requests == []


async def test_max_in_flight_counts_concurrent_requests() -> None:
    arrived = 0
    all_in = asyncio.Event()

    async def until_all_in(_: float) -> None:  # the emulator's sleep: every request waits until 20 are in flight
        nonlocal arrived
        arrived += 1
        if arrived == 20:
            all_in.set()
        await all_in.wait()

    async with (
        PlugchoiceEmulator(chargers=2, latency=1.0, sleep=until_all_in) as emu,
        aiohttp.ClientSession(headers=auth(emu.token)) as session,
    ):
        results = await asyncio.gather(*(get_json(session, f"{emu.base_url}/user") for _ in range(20)))
        assert [status for status, _ in results] == [200] * 20
        assert emu.max_in_flight == 20
        emu.reset_stats()
        assert emu.max_in_flight == 0
        emu.latency = 0.0
        for _ in range(3):
            await get_json(session, f"{emu.base_url}/user")
        assert emu.max_in_flight == 1


# -- command line --------------------------------------------------------------------------------


async def test_cli_serves_until_terminated() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "plugchoice_async.testing",
        "--chargers",
        "5",
        "--port",
        "0",
        "--token",
        "cli-token",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        lines = [(await asyncio.wait_for(process.stdout.readline(), 20)).decode().strip() for _ in range(2)]
        settings = dict(line.split("=", 1) for line in lines)
        assert settings["PLUGCHOICE_TOKEN"] == "cli-token"
        base_url = settings["PLUGCHOICE_BASE_URL"]
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/v3", base_url)
        async with aiohttp.ClientSession(headers=auth("cli-token")) as client:
            status, page = await get_json(client, f"{base_url}/chargers")
        assert status == 200
        assert len(page["data"]) == 5
    finally:
        if process.returncode is None:
            process.terminate()
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, stderr.decode()
