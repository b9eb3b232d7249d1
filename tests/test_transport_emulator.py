"""The real aiohttp transport against a real local server (the emulator)."""

from __future__ import annotations

import asyncio
import gc
import socket
import warnings

import aiohttp
import pytest

from plugchoice_async import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ChargerTimeoutError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    PlugchoiceClient,
    RateLimitError,
    ResponseValidationError,
    RetryPolicy,
    Timeout,
    UnprocessableEntityError,
)
from plugchoice_async.testing import Fault, PlugchoiceEmulator
from tests.conftest import TOKEN, FakeSleep, make_client

MISSING = "00000000-0000-4000-8000-000000000000"


async def test_get_charger_from_emulator(emulator: PlugchoiceEmulator) -> None:
    uuid = emulator.uuids[0]
    async with make_client(emulator.base_url) as client:
        charger = await client.chargers.get(uuid)
    assert charger.uuid == uuid
    doc = emulator.chargers[uuid]
    assert charger.identity == doc["identity"]
    assert [c.connector_id for c in charger.connectors] == [c["connector_id"] for c in doc["connectors"]]
    assert charger.pincode == doc["pincode"]
    logged = emulator.requests[-1]
    assert logged.path == f"/api/v3/chargers/{uuid}"
    assert logged.headers["Authorization"] == "<redacted>"
    assert logged.headers["Accept"] == "application/json"
    assert logged.headers["User-Agent"].startswith("plugchoice-async/")


async def test_list_walks_every_page(emulator: PlugchoiceEmulator) -> None:
    async with make_client(emulator.base_url) as client:
        first = await client.chargers.list()
        uuids = [c.uuid async for c in client.chargers.list()]
    assert len(first.items) == 25
    assert first.current_page == 1
    assert first.has_next
    assert uuids == emulator.uuids
    assert all(c.connectors == () for c in first.items)


async def test_user(emulator: PlugchoiceEmulator) -> None:
    async with make_client(emulator.base_url) as client:
        user = await client.user.get()
    assert user.email
    assert user.created_at is not None and user.created_at.tzinfo is not None


async def test_wrong_token_is_authentication_error(emulator: PlugchoiceEmulator) -> None:
    async with make_client(emulator.base_url, token="wrong-token") as client:
        with pytest.raises(AuthenticationError) as info:
            await client.chargers.get(emulator.uuids[0])
    assert info.value.message == "Unauthenticated."
    assert info.value.status == 401
    assert "wrong-token" not in str(info.value)


async def test_unknown_charger_is_not_found(emulator: PlugchoiceEmulator) -> None:
    async with make_client(emulator.base_url) as client:
        with pytest.raises(NotFoundError) as info:
            await client.chargers.get(MISSING)
    assert info.value.path == f"/chargers/{MISSING}"
    assert "No query results" in info.value.message


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (403, PermissionDeniedError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (500, InternalServerError),
    ],
)
async def test_error_classes_from_real_answers(
    emulator: PlugchoiceEmulator, status: int, cls: type[APIStatusError]
) -> None:
    body = b'{"message":"Rejected.","errors":{"reference":["The reference may not be greater than 255 characters."]}}'
    emulator.add_fault(Fault("status", status=status, body=body, times=10))
    async with make_client(emulator.base_url, retry=RetryPolicy(max_retries=0)) as client:
        with pytest.raises(cls) as info:
            await client.chargers.get(emulator.uuids[0])
    assert info.value.message == "Rejected."
    if status == 422:
        assert isinstance(info.value, UnprocessableEntityError)
        assert info.value.errors == {"reference": ["The reference may not be greater than 255 characters."]}


async def test_html_502_then_success(emulator: PlugchoiceEmulator, fake_sleep: FakeSleep) -> None:
    emulator.add_fault(Fault("html", status=502))
    async with make_client(emulator.base_url, sleep=fake_sleep) as client:
        charger = await client.chargers.get(emulator.uuids[1])
        assert client.stats.retries == {"502": 1}
    assert charger.uuid == emulator.uuids[1]
    assert [r.status for r in emulator.requests] == [502, 200]


async def test_html_502_exhausted_reports_text(emulator: PlugchoiceEmulator, fake_sleep: FakeSleep) -> None:
    emulator.add_fault(Fault("html", status=502, times=10))
    async with make_client(emulator.base_url, sleep=fake_sleep, retry=RetryPolicy(max_retries=1)) as client:
        with pytest.raises(InternalServerError) as info:
            await client.chargers.get(emulator.uuids[1])
    assert "502 Bad Gateway" in info.value.message


async def test_503_with_retry_after_waits_as_told(emulator: PlugchoiceEmulator, fake_sleep: FakeSleep) -> None:
    emulator.add_fault(Fault("status", status=503, headers={"Retry-After": "4"}))
    async with make_client(emulator.base_url, sleep=fake_sleep) as client:
        await client.chargers.get(emulator.uuids[0])
    assert fake_sleep.delays == [4.0]


async def test_429_from_the_server_rate_limit(fake_sleep: FakeSleep) -> None:
    async with PlugchoiceEmulator(chargers=3, token=TOKEN, rate_limit=2, rate_period=60.0) as emu:
        async with make_client(emu.base_url, sleep=fake_sleep, retry=RetryPolicy(max_retries=0)) as client:
            await client.chargers.get(emu.uuids[0])
            await client.chargers.get(emu.uuids[1])
            with pytest.raises(RateLimitError) as info:
                await client.chargers.get(emu.uuids[2])
    assert info.value.retry_after is not None
    assert 0 < info.value.retry_after <= 60
    assert info.value.message == "Too Many Attempts."


async def test_dropped_connection_get_retried_post_not(emulator: PlugchoiceEmulator, fake_sleep: FakeSleep) -> None:
    uuid = emulator.uuids[0]
    # aiohttp itself resends an idempotent request once after a disconnect; the
    # second drop reaches our retry policy.
    emulator.add_fault(Fault("drop", method="GET", times=2))
    async with make_client(emulator.base_url, sleep=fake_sleep) as client:
        assert (await client.chargers.get(uuid)).uuid == uuid
        assert [r.status for r in emulator.requests] == [0, 0, 200]
        assert client.stats.retries == {"connection": 1}
        emulator.reset_stats()
        emulator.add_fault(Fault("drop", method="POST"))
        with pytest.raises(APIConnectionError) as info:
            await client.chargers.actions.start(uuid, id_token="abc")
    assert info.value.request_sent is True
    assert "may still have been executed" in str(info.value)  # a command: it may have run
    assert [(r.method, r.status) for r in emulator.requests] == [("POST", 0)]  # sent once, never again


async def test_post_504_is_raised_not_retried(emulator: PlugchoiceEmulator, fake_sleep: FakeSleep) -> None:
    uuid = emulator.uuids[0]
    emulator.add_fault(
        Fault("status", status=504, body=b'{"message":"The charger did not respond in time."}', method="POST", times=5)
    )
    async with make_client(emulator.base_url, sleep=fake_sleep) as client:
        with pytest.raises(ChargerTimeoutError):
            await client.chargers.actions.start(uuid, id_token="abc")
    assert len([r for r in emulator.requests if r.method == "POST"]) == 1
    assert fake_sleep.delays == []


async def test_truncated_body_is_retried_for_get(emulator: PlugchoiceEmulator, fake_sleep: FakeSleep) -> None:
    emulator.add_fault(Fault("truncate"))
    async with make_client(emulator.base_url, sleep=fake_sleep) as client:
        charger = await client.chargers.get(emulator.uuids[2])
        assert client.stats.retries == {"connection": 1}
    assert charger.uuid == emulator.uuids[2]


async def test_read_timeout_is_api_timeout_and_retried(emulator: PlugchoiceEmulator, fake_sleep: FakeSleep) -> None:
    emulator.add_fault(Fault("delay", delay=5.0))
    async with make_client(
        emulator.base_url, sleep=fake_sleep, timeout=Timeout(total=0.3, connect=1, read=1)
    ) as client:
        charger = await client.chargers.get(emulator.uuids[0])
        assert client.stats.retries == {"timeout": 1}
    assert charger.uuid == emulator.uuids[0]


async def test_timeout_exhausted_raises_api_timeout(emulator: PlugchoiceEmulator, fake_sleep: FakeSleep) -> None:
    emulator.add_fault(Fault("delay", delay=5.0, times=3))
    async with make_client(
        emulator.base_url, sleep=fake_sleep, timeout=Timeout(total=0.2), retry=RetryPolicy(max_retries=1)
    ) as client:
        with pytest.raises(APITimeoutError) as info:
            await client.chargers.get(emulator.uuids[0])
    assert info.value.method == "GET"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_connection_refused_post_is_retried(fake_sleep: FakeSleep) -> None:
    base = f"http://127.0.0.1:{_closed_port()}/api/v3"
    async with make_client(base, sleep=fake_sleep, retry=RetryPolicy(max_retries=2)) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.chargers.actions.start(MISSING, id_token="abc")
        assert client.stats.requests == 3
        assert client.stats.retries == {"connection": 2}
    assert info.value.request_sent is False
    assert "cannot connect" in str(info.value)
    assert "executed" not in str(info.value)  # provably never sent: nothing can have run
    assert info.value.url == f"{base}/chargers/{MISSING}/actions/start"


async def test_non_json_200_is_validation_error(emulator: PlugchoiceEmulator) -> None:
    emulator.add_fault(Fault("html", status=200))
    async with make_client(emulator.base_url) as client:
        with pytest.raises(ResponseValidationError):
            await client.chargers.get(emulator.uuids[0])


async def test_waiting_for_a_slot_does_not_spend_the_timeout() -> None:
    # 20 requests through 2 slots, 0.1 s each: about 1 s in all, far beyond the 0.5 s
    # per-attempt timeout; none may time out, because queueing is not counted.
    async with PlugchoiceEmulator(chargers=20, token=TOKEN, rate_limit=None, latency=0.1) as emu:
        async with make_client(
            emu.base_url, max_concurrency=2, timeout=Timeout(total=0.5), retry=RetryPolicy(max_retries=0)
        ) as client:
            chargers = await asyncio.gather(*(client.chargers.get(u) for u in emu.uuids))
            assert client.stats.peak_in_flight == 2
        assert [c.uuid for c in chargers] == emu.uuids
        assert emu.max_in_flight == 2


async def test_gather_5000_bounded_by_max_concurrency() -> None:
    arrived = 0
    two_in = asyncio.Event()

    async def overlapping(delay: float) -> None:  # the emulator's sleep: the first request waits for a second one
        nonlocal arrived
        arrived += 1
        if arrived == 2:
            two_in.set()
        await two_in.wait()
        await asyncio.sleep(delay)  # and every one takes a real server's time: load, not synchronisation

    async with PlugchoiceEmulator(chargers=5000, token=TOKEN, rate_limit=None, latency=0.002, sleep=overlapping) as emu:
        async with PlugchoiceClient(TOKEN, base_url=emu.base_url, max_concurrency=32, rate_limit=None) as client:
            chargers = await asyncio.gather(*(client.chargers.get(u) for u in emu.uuids))
            assert client.stats.peak_in_flight <= 32
            assert client.stats.requests == 5000
        assert [c.uuid for c in chargers] == emu.uuids
        assert 1 < emu.max_in_flight <= 32


async def test_no_unclosed_session_warning(emulator: PlugchoiceEmulator) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with PlugchoiceClient(TOKEN, base_url=emulator.base_url) as client:
            await client.chargers.get(emulator.uuids[0])
        del client
        gc.collect()
    assert not [w for w in caught if "Unclosed" in str(w.message)]


async def test_unclosed_client_would_warn(emulator: PlugchoiceEmulator) -> None:
    # Proves the test above can fail: a client that is never closed leaks its session.
    sessions: list[aiohttp.ClientSession] = []

    async def on_start(session: aiohttp.ClientSession, ctx: object, params: object) -> None:
        sessions.append(session)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client = PlugchoiceClient(TOKEN, base_url=emulator.base_url, trace_configs=[trace])
        await client.chargers.get(emulator.uuids[0])
        connector = sessions[0].connector  # kept to close it afterwards: only the session leaks here
        del client
        sessions.clear()
        gc.collect()
    assert [w for w in caught if "Unclosed client session" in str(w.message)]
    assert connector is not None
    await connector.close()
