"""The transport and its retry rules, with aioresponses (no socket)."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import aiohttp
import pytest
from aioresponses import CallbackResult, aioresponses

from plugchoice_async import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    Charger,
    ChargerTimeoutError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    RetryBudget,
    RetryPolicy,
    UnprocessableEntityError,
)
from tests.conftest import TOKEN, FakeSleep, load_fixture, make_client

BASE = "https://api.test/api/v3"
UUID = "445bd3f6-8f2c-38cb-aa04-2f4e1edb32bb"
URL = f"{BASE}/chargers/{UUID}"
ACTION = f"{BASE}/chargers/{UUID}/actions/start"


def _json_error(status: int, message: str, **extra: Any) -> dict[str, Any]:
    return {"status": status, "payload": {"message": message, **extra}}


async def test_get_charger_sends_auth_accept_and_user_agent() -> None:
    seen: dict[str, str] = {}

    def capture(url: Any, **kwargs: Any) -> CallbackResult:
        seen.update(kwargs["headers"])
        return CallbackResult(payload=load_fixture("chargers.get.volttime.json"))

    with aioresponses() as mocked:
        mocked.get(URL, callback=capture)
        async with make_client(BASE) as client:
            charger = await client.chargers.get(UUID)
    assert isinstance(charger, Charger)
    assert charger.model is not None
    assert seen["Authorization"] == f"Bearer {TOKEN}"
    assert seen["Accept"] == "application/json"
    assert re.match(r"plugchoice-async/\d+\.\d+\.\d+ python/3\.\d+\.\d+ aiohttp/3\.", seen["User-Agent"])


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (500, InternalServerError),
    ],
)
async def test_error_statuses(status: int, cls: type[APIStatusError]) -> None:
    with aioresponses() as mocked:
        mocked.get(URL, repeat=True, **_json_error(status, "nope", errors={"reference": ["too long"]}))
        async with make_client(BASE, retry=RetryPolicy(max_retries=0)) as client:
            with pytest.raises(cls) as info:
                await client.chargers.get(UUID)
    exc = info.value
    assert exc.status == status
    assert exc.method == "GET"
    assert exc.path == f"/chargers/{UUID}"
    assert exc.message == "nope"
    assert TOKEN not in str(exc)
    if status == 422:
        assert exc.errors == {"reference": ["too long"]}  # type: ignore[attr-defined]


async def test_get_retries_503_then_succeeds(fake_sleep: FakeSleep, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="plugchoice_async")
    with aioresponses() as mocked:
        mocked.get(URL, **_json_error(503, "down"))
        mocked.get(URL, status=502, body="<html>bad gateway</html>", content_type="text/html")
        mocked.get(URL, payload=load_fixture("chargers.get.volttime.json"))
        async with make_client(BASE, sleep=fake_sleep) as client:
            charger = await client.chargers.get(UUID)
            assert client.stats.retries == {"503": 1, "502": 1}
            assert client.stats.requests == 3
    assert charger.uuid == UUID
    assert len(fake_sleep.delays) == 2
    assert 0 <= fake_sleep.delays[0] <= 0.5  # full jitter, first retry: uniform(0, 0.5)
    assert 0 <= fake_sleep.delays[1] <= 1.0
    retry_logs = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retry_logs) == 2
    assert f"GET /chargers/{UUID} (attempt 2 of 4) after HTTP 503" in retry_logs[0]
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


async def test_retry_after_seconds_is_used(fake_sleep: FakeSleep) -> None:
    with aioresponses() as mocked:
        mocked.get(URL, status=429, payload={"message": "Too Many Attempts."}, headers={"Retry-After": "7"})
        mocked.get(URL, payload=load_fixture("chargers.get.volttime.json"))
        async with make_client(BASE, sleep=fake_sleep) as client:
            await client.chargers.get(UUID)
    assert fake_sleep.delays == [7.0]


async def test_retry_after_http_date_is_used(fake_sleep: FakeSleep) -> None:
    import email.utils
    import time

    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    with aioresponses() as mocked:
        mocked.get(URL, status=503, payload={"message": "maintenance"}, headers={"Retry-After": when})
        mocked.get(URL, payload=load_fixture("chargers.get.volttime.json"))
        async with make_client(BASE, sleep=fake_sleep) as client:
            await client.chargers.get(UUID)
    assert len(fake_sleep.delays) == 1
    assert 28 <= fake_sleep.delays[0] <= 30


async def test_retry_after_above_cap_raises_at_once(fake_sleep: FakeSleep) -> None:
    with aioresponses() as mocked:
        mocked.get(URL, status=429, payload={"message": "Too Many Attempts."}, headers={"Retry-After": "3600"})
        async with make_client(BASE, sleep=fake_sleep) as client:
            with pytest.raises(RateLimitError) as info:
                await client.chargers.get(UUID)
            assert client.stats.requests == 1
    assert info.value.retry_after == 3600
    assert fake_sleep.delays == []


async def test_retries_exhausted_raise_the_last_error_not_retry_error(fake_sleep: FakeSleep) -> None:
    with aioresponses() as mocked:
        mocked.get(URL, repeat=True, **_json_error(500, "Server Error"))
        async with make_client(BASE, sleep=fake_sleep, retry=RetryPolicy(max_retries=2)) as client:
            with pytest.raises(InternalServerError, match="Server Error"):
                await client.chargers.get(UUID)
            assert client.stats.requests == 3
    assert len(fake_sleep.delays) == 2


async def test_non_retryable_status_is_not_retried(fake_sleep: FakeSleep) -> None:
    with aioresponses() as mocked:
        mocked.get(URL, **_json_error(404, "No query results"))
        async with make_client(BASE, sleep=fake_sleep) as client:
            with pytest.raises(NotFoundError):
                await client.chargers.get(UUID)
            assert client.stats.requests == 1


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_post_action_not_retried_after_5xx(status: int, fake_sleep: FakeSleep) -> None:
    with aioresponses() as mocked:
        mocked.post(ACTION, repeat=True, **_json_error(status, "boom"))
        async with make_client(BASE, sleep=fake_sleep) as client:
            with pytest.raises(InternalServerError):
                await client._transport.request("POST", f"/chargers/{UUID}/actions/start", json={"id_token": "x"})
            assert client.stats.requests == 1
    assert fake_sleep.delays == []


async def test_post_action_504_is_charger_timeout_and_never_retried(fake_sleep: FakeSleep) -> None:
    with aioresponses() as mocked:
        mocked.post(ACTION, repeat=True, **_json_error(504, "The charger did not respond in time."))
        async with make_client(BASE, sleep=fake_sleep) as client:
            with pytest.raises(ChargerTimeoutError) as info:
                await client._transport.request(
                    "POST", f"/chargers/{UUID}/actions/start", json={"id_token": "x"}, action=True
                )
            assert client.stats.requests == 1
    assert "may still have been executed" in str(info.value)


async def test_post_retried_after_429(fake_sleep: FakeSleep) -> None:
    with aioresponses() as mocked:
        mocked.post(ACTION, status=429, payload={"message": "Too Many Attempts."}, headers={"Retry-After": "2"})
        mocked.post(ACTION, payload={"status": "Accepted"})
        async with make_client(BASE, sleep=fake_sleep) as client:
            body = await client._transport.request("POST", f"/chargers/{UUID}/actions/start", json={"id_token": "x"})
            assert client.stats.requests == 2
    assert body == {"status": "Accepted"}
    assert fake_sleep.delays == [2.0]


async def test_post_not_retried_after_server_disconnect(fake_sleep: FakeSleep) -> None:
    with aioresponses() as mocked:
        mocked.post(ACTION, exception=aiohttp.ServerDisconnectedError())
        mocked.post(ACTION, payload={"status": "Accepted"})
        async with make_client(BASE, sleep=fake_sleep) as client:
            with pytest.raises(APIConnectionError) as info:
                await client._transport.request("POST", f"/chargers/{UUID}/actions/start", json={"id_token": "x"})
    assert info.value.request_sent is True
    assert fake_sleep.delays == []


async def test_get_retried_after_server_disconnect(fake_sleep: FakeSleep) -> None:
    with aioresponses() as mocked:
        mocked.get(URL, exception=aiohttp.ServerDisconnectedError())
        mocked.get(URL, payload=load_fixture("chargers.get.volttime.json"))
        async with make_client(BASE, sleep=fake_sleep) as client:
            assert (await client.chargers.get(UUID)).uuid == UUID
            assert client.stats.retries == {"connection": 1}


async def test_get_retried_after_timeout(fake_sleep: FakeSleep) -> None:
    with aioresponses() as mocked:
        mocked.get(URL, exception=TimeoutError())
        mocked.get(URL, payload=load_fixture("chargers.get.volttime.json"))
        async with make_client(BASE, sleep=fake_sleep) as client:
            assert (await client.chargers.get(UUID)).uuid == UUID
            assert client.stats.retries == {"timeout": 1}


async def test_cancellation_is_never_retried(fake_sleep: FakeSleep) -> None:
    with aioresponses() as mocked:
        mocked.get(URL, exception=asyncio.CancelledError())
        mocked.get(URL, payload=load_fixture("chargers.get.volttime.json"))
        async with make_client(BASE, sleep=fake_sleep) as client:
            with pytest.raises(asyncio.CancelledError):
                await client.chargers.get(UUID)
            assert client.stats.requests == 1
    assert fake_sleep.delays == []


async def test_cancelled_during_backoff_stops(fake_sleep: FakeSleep) -> None:
    async def cancelling_sleep(delay: float) -> None:
        raise asyncio.CancelledError

    with aioresponses() as mocked:
        mocked.get(URL, repeat=True, **_json_error(503, "down"))
        async with make_client(BASE, sleep=cancelling_sleep) as client:  # type: ignore[arg-type]
            with pytest.raises(asyncio.CancelledError):
                await client.chargers.get(UUID)
            assert client.stats.requests == 1


async def test_non_json_success_body_is_validation_error() -> None:
    with aioresponses() as mocked:
        mocked.get(URL, status=200, body="<html>Login</html>", content_type="text/html")
        async with make_client(BASE) as client:
            with pytest.raises(ResponseValidationError, match="expected JSON, got text/html"):
                await client.chargers.get(UUID)


async def test_wrong_shape_is_validation_error_with_field_path() -> None:
    with aioresponses() as mocked:
        mocked.get(URL, payload={"data": {"uuid": UUID, "connectors": [{"id": "x"}]}})
        async with make_client(BASE) as client:
            with pytest.raises(ResponseValidationError) as info:
                await client.chargers.get(UUID)
    assert "$.identity" in str(info.value)
    assert f"GET /chargers/{UUID}" in str(info.value)


async def test_retry_budget_runs_dry(fake_sleep: FakeSleep) -> None:
    budget = RetryBudget(capacity=10, retry_cost=5)
    with aioresponses() as mocked:
        mocked.get(URL, repeat=True, **_json_error(503, "down"))
        async with make_client(BASE, sleep=fake_sleep, budget=budget) as client:
            with pytest.raises(InternalServerError):
                await client.chargers.get(UUID)
            assert client.stats.requests == 3  # two retries paid for, the third refused
            assert budget.available == 0
            with pytest.raises(InternalServerError):
                await client.chargers.get(UUID)
            assert client.stats.requests == 4  # budget spent: the error surfaces at once
    assert len(fake_sleep.delays) == 2


async def test_retry_budget_refills_on_success(fake_sleep: FakeSleep) -> None:
    budget = RetryBudget(capacity=10, retry_cost=5)
    with aioresponses() as mocked:
        mocked.get(URL, **_json_error(503, "down"))
        mocked.get(URL, payload=load_fixture("chargers.get.volttime.json"))
        mocked.get(URL, payload=load_fixture("chargers.get.volttime.json"))
        async with make_client(BASE, sleep=fake_sleep, budget=budget) as client:
            await client.chargers.get(UUID)
            assert budget.available == 10  # the retry's 5 tokens came back with the success
            budget.available = 3
            await client.chargers.get(UUID)
            assert budget.available == 4  # a first-try success refunds one
