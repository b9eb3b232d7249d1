"""The request pipeline over ``FakeTransport`` (no socket): statuses, retries, 429s, limiter, hooks, stats."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from typing import Any

import pytest
from yarl import URL

from plugchoice_async import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    Charger,
    ChargerTimeoutError,
    ClientClosedError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PauseTooLong,
    PermissionDeniedError,
    PlugchoiceClient,
    RateLimitError,
    Request,
    RequestEvent,
    Response,
    ResponseValidationError,
    RetryBudget,
    RetryPolicy,
    Ticket,
    Timeout,
    UnprocessableEntityError,
)
from plugchoice_async.testing import FakeTransport
from tests.conftest import TOKEN, FakeSleep, load_fixture, make_client

BASE = "https://api.test/api/v3"
UUID = "445bd3f6-8f2c-38cb-aa04-2f4e1edb32bb"
PATH = f"/chargers/{UUID}"
START = f"/chargers/{UUID}/actions/start"
DOC = load_fixture("chargers.get.volttime.json")


def client_over(fake: FakeTransport, sleep: FakeSleep | None = None, **kwargs: Any) -> PlugchoiceClient:
    return make_client(BASE, transport=fake, sleep=sleep, **kwargs)


async def start(client: PlugchoiceClient) -> Any:
    return await client.chargers.actions.start(UUID, id_token="x")


class RecordingLimiter:
    """A ``RateLimiter`` that grants at once and records every call; 429s are re-queued after ``requeue_after``."""

    def __init__(self, requeue_after: float | None = 0.5, pause: float | None = None) -> None:
        self.requeue_after = requeue_after
        self.pause = pause
        self.acquired: list[float] = []
        self.recorded: list[int | None] = []
        self.closed = False
        self._seq = 0

    async def acquire(self, delay: float = 0.0) -> Ticket:
        if self.pause is not None:
            raise PauseTooLong(self.pause)
        self.acquired.append(delay)
        self._seq += 1
        return Ticket(seq=self._seq, sent_at=0.0)

    async def record(self, ticket: Ticket, status: int | None, headers: Mapping[str, str] | None) -> float | None:
        self.recorded.append(status)
        return self.requeue_after if status == 429 else None

    async def aclose(self) -> None:
        self.closed = True


# -- what is sent --------------------------------------------------------------------------------


async def test_every_request_carries_auth_accept_user_agent_and_the_attempt_timeout() -> None:
    fake = FakeTransport()
    fake.add("GET", PATH, json=DOC)
    async with client_over(fake, timeout=Timeout(total=5, connect=2, read=4)) as client:
        charger = await client.chargers.get(UUID)
    assert isinstance(charger, Charger) and charger.uuid == UUID
    [request] = fake.requests
    assert request.method == "GET"
    assert request.url == URL(f"{BASE}{PATH}")
    assert request.path == PATH
    assert request.body is None
    assert request.timeout == Timeout(total=5, connect=2, read=4)
    assert request.headers["authorization"] == f"Bearer {TOKEN}"  # case-insensitive
    assert request.headers["Accept"] == "application/json"
    assert re.match(r"plugchoice-async/\d+\.\d+\.\d+ python/3\.\d+\.\d+ aiohttp/3\.", request.headers["User-Agent"])
    assert TOKEN not in repr(request)


async def test_a_command_sends_its_json_body_once() -> None:
    fake = FakeTransport()
    fake.add("POST", START, json={"status": "Accepted"})
    async with client_over(fake) as client:
        await start(client)
    [request] = fake.requests
    assert request.json() == {"id_token": "x"}
    assert request.headers["Content-Type"] == "application/json"
    assert request.action is True


async def test_params_travel_in_the_url() -> None:
    fake = FakeTransport()
    fake.add("GET", "/chargers", json={"data": [], "links": {"next": None}, "meta": {"current_page": 1}})
    async with client_over(fake) as client:
        await client.chargers.list(per_page=50)
    [request] = fake.requests
    assert request.path == "/chargers"
    assert request.url.query["per_page"] == "50"


async def test_a_link_outside_the_api_origin_is_refused() -> None:
    fake = FakeTransport()
    async with client_over(fake) as client:
        pager = client.chargers.list()
        with pytest.raises(Exception, match="outside"):
            await pager.follow("https://evil.test/api/v3/chargers?page=2")
    assert fake.requests == []


# -- statuses ------------------------------------------------------------------------------------


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
    fake = FakeTransport()
    fake.add(status=status, json={"message": "nope", "errors": {"reference": ["too long"]}}, times=None)
    async with client_over(fake, retry=RetryPolicy(max_retries=0)) as client:
        with pytest.raises(cls) as info:
            await client.chargers.get(UUID)
    exc = info.value
    assert (exc.status, exc.method, exc.path, exc.message) == (status, "GET", PATH, "nope")
    assert TOKEN not in str(exc)
    if status == 422:
        assert exc.errors == {"reference": ["too long"]}  # type: ignore[attr-defined]


async def test_errors_carry_the_full_url_and_the_request_id() -> None:
    fake = FakeTransport()
    fake.add(status=404, json={"message": "No query results."}, headers={"X-Request-Id": "req-42"})
    async with client_over(fake) as client:
        with pytest.raises(NotFoundError) as info:
            await client.chargers.get(UUID)
    assert info.value.url == f"{BASE}{PATH}"
    assert info.value.request_id == "req-42"
    assert "req-42" in str(info.value)


async def test_non_json_success_body_is_validation_error() -> None:
    fake = FakeTransport()
    fake.add(status=200, body="<html>Login</html>", headers={"Content-Type": "text/html"})
    async with client_over(fake) as client:
        with pytest.raises(ResponseValidationError, match="expected JSON, got text/html") as info:
            await client.chargers.get(UUID)
    assert info.value.url == f"{BASE}{PATH}"


async def test_wrong_shape_is_validation_error_with_field_path() -> None:
    fake = FakeTransport()
    fake.add(json={"data": {"uuid": UUID, "connectors": [{"id": "x"}]}})
    async with client_over(fake) as client:
        with pytest.raises(ResponseValidationError) as info:
            await client.chargers.get(UUID)
    assert re.search(r"\$\.(data\.)?identity", str(info.value))
    assert f"GET {PATH}" in str(info.value)


# -- retries -------------------------------------------------------------------------------------


async def test_get_retries_503_then_succeeds(fake_sleep: FakeSleep, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="plugchoice_async")
    fake = FakeTransport()
    fake.add(status=503, json={"message": "down"})
    fake.add(status=502, body="<html>bad gateway</html>", headers={"Content-Type": "text/html"})
    fake.add(json=DOC)
    async with client_over(fake, fake_sleep) as client:
        charger = await client.chargers.get(UUID)
        assert client.stats.retries == {"503": 1, "502": 1}
        assert client.stats.requests == 3
    assert charger.uuid == UUID
    assert len(fake.requests) == 3
    assert len(fake_sleep.delays) == 2
    assert 0 <= fake_sleep.delays[0] <= 0.5  # full jitter, first retry: uniform(0, 0.5)
    assert 0 <= fake_sleep.delays[1] <= 1.0
    retry_logs = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO and "retrying" in r.getMessage()]
    assert len(retry_logs) == 2
    assert f"GET {PATH} (attempt 2 of 4) after HTTP 503" in retry_logs[0]


async def test_retry_after_is_used(fake_sleep: FakeSleep) -> None:
    fake = FakeTransport()
    fake.add(status=429, json={"message": "Too Many Attempts."}, headers={"Retry-After": "7"})
    fake.add(json=DOC)
    async with client_over(fake, fake_sleep) as client:  # no limiter: the retry policy handles the 429
        await client.chargers.get(UUID)
    assert fake_sleep.delays == [7.0]


async def test_retry_after_above_cap_raises_at_once(fake_sleep: FakeSleep) -> None:
    fake = FakeTransport()
    fake.add(status=429, json={"message": "Too Many Attempts."}, headers={"Retry-After": "3600"})
    async with client_over(fake, fake_sleep) as client:
        with pytest.raises(RateLimitError) as info:
            await client.chargers.get(UUID)
    assert info.value.retry_after == 3600
    assert len(fake.requests) == 1
    assert fake_sleep.delays == []


async def test_retries_exhausted_raise_the_last_error(fake_sleep: FakeSleep) -> None:
    fake = FakeTransport()
    fake.add(status=500, json={"message": "Server Error"}, times=None)
    async with client_over(fake, fake_sleep, retry=RetryPolicy(max_retries=2)) as client:
        with pytest.raises(InternalServerError, match="Server Error"):
            await client.chargers.get(UUID)
    assert len(fake.requests) == 3
    assert len(fake_sleep.delays) == 2


async def test_non_retryable_status_is_not_retried(fake_sleep: FakeSleep) -> None:
    fake = FakeTransport()
    fake.add(status=404, json={"message": "No query results"}, times=None)
    async with client_over(fake, fake_sleep) as client:
        with pytest.raises(NotFoundError):
            await client.chargers.get(UUID)
    assert len(fake.requests) == 1


async def test_get_retried_after_timeout_and_dropped_connection(fake_sleep: FakeSleep) -> None:
    fake = FakeTransport()
    fake.add(exception=APITimeoutError)
    fake.add(exception=APIConnectionError)
    fake.add(json=DOC)
    async with client_over(fake, fake_sleep) as client:
        assert (await client.chargers.get(UUID)).uuid == UUID
        assert client.stats.retries == {"timeout": 1, "connection": 1}


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_command_not_retried_after_5xx(status: int, fake_sleep: FakeSleep) -> None:
    fake = FakeTransport()
    fake.add(status=status, json={"message": "boom"}, times=None)
    async with client_over(fake, fake_sleep) as client:
        with pytest.raises(InternalServerError):
            await start(client)
    assert len(fake.requests) == 1
    assert fake_sleep.delays == []


async def test_command_504_is_charger_timeout_and_never_retried(fake_sleep: FakeSleep) -> None:
    fake = FakeTransport()
    fake.add(status=504, json={"message": "The charger did not respond in time."}, times=None)
    async with client_over(fake, fake_sleep) as client:
        with pytest.raises(ChargerTimeoutError) as info:
            await start(client)
    assert len(fake.requests) == 1
    assert "may still have been executed" in str(info.value)


async def test_command_timeout_says_it_may_have_run_and_is_not_retried(fake_sleep: FakeSleep) -> None:
    fake = FakeTransport()
    fake.add(exception=APITimeoutError, times=None)
    async with client_over(fake, fake_sleep) as client:
        with pytest.raises(APITimeoutError) as info:
            await start(client)
    assert len(fake.requests) == 1
    assert info.value.request_sent is True
    assert "may still have been executed" in str(info.value)
    assert info.value.url == f"{BASE}{START}"


async def test_a_get_timeout_does_not_talk_of_commands() -> None:
    fake = FakeTransport()
    fake.add(exception=APITimeoutError, times=None)
    async with client_over(fake, retry=RetryPolicy(max_retries=0)) as client:
        with pytest.raises(APITimeoutError) as info:
            await client.chargers.get(UUID)
    assert "executed" not in str(info.value)


async def test_command_retried_when_provably_not_sent(fake_sleep: FakeSleep) -> None:
    fake = FakeTransport()
    fake.add(exception=APIConnectionError, request_sent=False)
    fake.add(json={"status": "Accepted"})
    async with client_over(fake, fake_sleep) as client:
        await start(client)
    assert [r.path for r in fake.requests] == [START, START]


async def test_command_retried_after_429_without_a_limiter(fake_sleep: FakeSleep) -> None:
    fake = FakeTransport()
    fake.add(status=429, json={"message": "Too Many Attempts."}, headers={"Retry-After": "2"})
    fake.add(json={"status": "Accepted"})
    async with client_over(fake, fake_sleep) as client:
        await start(client)
    assert len(fake.requests) == 2
    assert fake_sleep.delays == [2.0]


async def test_cancellation_is_never_retried(fake_sleep: FakeSleep) -> None:
    fake = FakeTransport()
    fake.add(exception=asyncio.CancelledError)
    fake.add(json=DOC)
    async with client_over(fake, fake_sleep) as client:
        with pytest.raises(asyncio.CancelledError):
            await client.chargers.get(UUID)
    assert len(fake.requests) == 1
    assert fake_sleep.delays == []


async def test_cancelled_during_backoff_stops() -> None:
    async def cancelling_sleep(delay: float) -> None:
        raise asyncio.CancelledError

    fake = FakeTransport()
    fake.add(status=503, json={"message": "down"}, times=None)
    async with make_client(BASE, transport=fake, sleep=cancelling_sleep) as client:
        with pytest.raises(asyncio.CancelledError):
            await client.chargers.get(UUID)
    assert len(fake.requests) == 1


async def test_retry_budget_runs_dry(fake_sleep: FakeSleep) -> None:
    budget = RetryBudget(capacity=10, retry_cost=5)
    fake = FakeTransport()
    fake.add(status=503, json={"message": "down"}, times=None)
    async with client_over(fake, fake_sleep, budget=budget) as client:
        with pytest.raises(InternalServerError):
            await client.chargers.get(UUID)
        assert len(fake.requests) == 3  # two retries paid for, the third refused
        assert budget.available == 0
        with pytest.raises(InternalServerError):
            await client.chargers.get(UUID)
        assert len(fake.requests) == 4  # budget spent: the error surfaces at once
    assert len(fake_sleep.delays) == 2


async def test_retry_budget_refills_on_success(fake_sleep: FakeSleep) -> None:
    budget = RetryBudget(capacity=10, retry_cost=5)
    fake = FakeTransport()
    fake.add(status=503, json={"message": "down"})
    fake.add(json=DOC, times=None)
    async with client_over(fake, fake_sleep, budget=budget) as client:
        await client.chargers.get(UUID)
        assert budget.available == 10  # the retry's 5 tokens came back with the success
        budget.available = 3
        await client.chargers.get(UUID)
        assert budget.available == 4  # a first-try success refunds one


# -- the rate limiter ----------------------------------------------------------------------------


async def test_limiter_is_asked_before_and_told_after_every_attempt() -> None:
    limiter = RecordingLimiter()
    fake = FakeTransport()
    fake.add(json=DOC)
    fake.add(exception=APIConnectionError)
    async with client_over(fake, limiter=limiter, retry=RetryPolicy(max_retries=0)) as client:
        await client.chargers.get(UUID)
        with pytest.raises(APIConnectionError):
            await client.chargers.get(UUID)
    assert limiter.acquired == [0.0, 0.0]
    assert limiter.recorded == [200, None]  # None: no answer arrived
    assert limiter.closed  # the client's aclose closes its limiter


async def test_429_is_requeued_by_the_limiter_outside_the_retry_policy(fake_sleep: FakeSleep) -> None:
    limiter = RecordingLimiter(requeue_after=0.5)
    events: list[RequestEvent] = []
    fake = FakeTransport()
    fake.add(status=429, json={"message": "Too Many Attempts."})
    fake.add(json={"status": "Accepted"})
    async with client_over(
        fake, fake_sleep, limiter=limiter, retry=RetryPolicy(max_retries=0), hooks=[events.append]
    ) as client:
        await start(client)  # a command too: a 429 was refused unprocessed
        assert client.stats.rate_limited == 1
        assert client.stats.requeued == 1
        assert client.stats.total_retries == 0
    assert limiter.acquired == [0.0, 0.5]  # the limiter's own delay, not the policy's sleep
    assert fake_sleep.delays == []
    assert [(e.status, e.attempt) for e in events] == [(429, 1), (200, 1)]


async def test_429_the_limiter_will_not_requeue_is_raised() -> None:
    limiter = RecordingLimiter(requeue_after=None)
    fake = FakeTransport()
    fake.add(status=429, json={"message": "Too Many Attempts."}, headers={"Retry-After": "30"}, times=None)
    async with client_over(fake, limiter=limiter) as client:
        with pytest.raises(RateLimitError):
            await client.chargers.get(UUID)
    assert len(fake.requests) == 1


async def test_a_pause_longer_than_max_pause_sends_nothing() -> None:
    fake = FakeTransport()
    async with client_over(fake, limiter=RecordingLimiter(pause=120.0)) as client:
        with pytest.raises(RateLimitError) as info:
            await client.chargers.get(UUID)
    assert info.value.retry_after == 120.0
    assert fake.requests == []


# -- concurrency, hooks, stats -------------------------------------------------------------------


async def test_gather_is_bounded_by_max_concurrency() -> None:
    gate = asyncio.Event()
    full = asyncio.Event()
    in_flight = 0
    most = 0

    async def held(request: Request) -> Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        if in_flight == 2:
            full.set()
        await gate.wait()
        in_flight -= 1
        return Response(status=200, headers={"Content-Type": "application/json"}, body=b'{"data": {}}')

    fake = FakeTransport()
    fake.add(handler=held, times=None)
    async with client_over(fake, max_concurrency=2) as client:
        calls = asyncio.gather(*(client.user.get() for _ in range(6)), return_exceptions=True)
        await full.wait()
        assert len(fake.requests) == 2  # the other four wait for a slot
        gate.set()
        await calls
        assert client.stats.peak_in_flight == 2
        assert client.stats.in_flight == 0
    assert most == 2
    assert len(fake.requests) == 6


async def test_hooks_hear_every_attempt_with_request_id_and_rate_limit(fake_sleep: FakeSleep) -> None:
    events: list[RequestEvent] = []

    def broken(event: RequestEvent) -> None:
        raise RuntimeError("metrics backend down")

    fake = FakeTransport()
    fake.add(status=503, json={"message": "down"}, headers={"X-Request-Id": "a1"})
    fake.add(json=DOC, headers={"X-RateLimit-Limit": "500", "X-RateLimit-Remaining": "498", "X-Request-Id": "a2"})
    async with client_over(fake, fake_sleep, hooks=[events.append, broken]) as client:
        await client.chargers.get(UUID)
    assert [(e.status, e.attempt, e.request_id) for e in events] == [(503, 1, "a1"), (200, 2, "a2")]
    assert (events[1].rate_limit, events[1].rate_limit_remaining) == (500, 498)
    assert all(e.method == "GET" and e.path == PATH for e in events)


# -- lifecycle -----------------------------------------------------------------------------------


class ClosableFake(FakeTransport):
    def __init__(self) -> None:
        super().__init__()
        self.closed = False

    async def aclose(self) -> None:
        self.closed = True


async def test_a_transport_passed_in_is_not_closed_and_a_closed_client_sends_nothing() -> None:
    fake = ClosableFake()
    client = client_over(fake)
    await client.aclose()
    await client.aclose()  # idempotent
    assert not fake.closed
    with pytest.raises(ClientClosedError):
        await client.chargers.get(UUID)
    assert fake.requests == []


async def test_with_options_changes_timeouts_and_retries_and_shares_the_rest(fake_sleep: FakeSleep) -> None:
    fake = FakeTransport()
    fake.add(status=503, json={"message": "down"}, times=None)
    async with client_over(fake, fake_sleep) as client:
        fast = client.with_options(timeout=2, max_retries=0)
        assert fast.timeout == Timeout(total=2.0, connect=2.0, read=2.0)
        assert fast.retry_policy.max_retries == 0
        assert client.retry_policy.max_retries == 3
        assert fast.stats is client.stats
        with pytest.raises(InternalServerError):
            await fast.chargers.get(UUID)
        assert client.stats.requests == 1  # no retry on the copy, counted on the shared stats
    assert fake.requests[0].timeout == Timeout(total=2.0, connect=2.0, read=2.0)


async def test_oauth_token_request_goes_through_the_transport_and_a_401_refreshes_once() -> None:
    from plugchoice_async import OAuthClientCredentials

    secret = "client-s3cret"
    fake = FakeTransport()
    token_answer = {"token_type": "Bearer", "expires_in": 3600, "access_token": "access-1"}
    fake.add("POST", "/oauth/token", json=token_answer)
    fake.add("GET", PATH, status=401, json={"message": "Unauthenticated."})
    fake.add("POST", "/oauth/token", json={**token_answer, "access_token": "access-2"})
    fake.add("GET", PATH, json=DOC)
    auth = OAuthClientCredentials("client-1", secret)
    async with PlugchoiceClient(auth=auth, base_url=BASE, transport=fake, rate_limit=None) as client:
        await client.chargers.get(UUID)
    assert [(r.method, r.path) for r in fake.requests] == [
        ("POST", "/oauth/token"),
        ("GET", PATH),
        ("POST", "/oauth/token"),
        ("GET", PATH),
    ]
    grant = fake.requests[0]
    assert grant.url == URL("https://api.test/oauth/token")
    assert grant.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in grant.headers
    assert b"client_secret=client-s3cret" in (grant.body or b"")
    assert secret not in repr(grant)
    assert fake.requests[3].headers["Authorization"] == "Bearer access-2"
    assert not fake.pending


def held_answers(status: int, body: bytes) -> tuple[FakeTransport, asyncio.Event, asyncio.Event]:
    """A fake whose every answer (``status``, JSON ``body``) waits for ``gate``; ``arrived`` is set on the first."""
    gate = asyncio.Event()
    arrived = asyncio.Event()

    async def held(request: Request) -> Response:
        arrived.set()
        await gate.wait()
        return Response(status=status, headers={"Content-Type": "application/json"}, body=body)

    fake = FakeTransport()
    fake.add(handler=held, times=None)
    return fake, gate, arrived


async def test_a_call_cancelled_while_waiting_for_a_slot_gives_nothing_away() -> None:
    fake, gate, arrived = held_answers(200, b'{"data": {}}')
    async with client_over(fake, max_concurrency=1) as client:
        first = asyncio.ensure_future(client.user.get())
        await arrived.wait()
        waiting = asyncio.ensure_future(client.user.get())
        third = asyncio.ensure_future(client.user.get())
        await asyncio.sleep(0)  # one turn of the loop (FIFO): both run up to the wait for the one slot
        waiting.cancel()
        gate.set()
        await asyncio.gather(first, third, return_exceptions=True)
        assert waiting.cancelled()
        assert client.stats.peak_in_flight == 1
        assert len(fake.requests) == 2  # the cancelled call never sent; the third got the slot
        with pytest.raises(ResponseValidationError):  # an empty user, but sent: the slot is free again
            await client.user.get()
    assert len(fake.requests) == 3


async def test_a_waiter_cancelled_as_its_slot_frees_up_passes_it_on() -> None:
    fake, gate, arrived = held_answers(404, b'{"message": "x"}')
    async with client_over(fake, max_concurrency=1) as client:
        first = asyncio.ensure_future(client.user.get())
        await arrived.wait()
        waiting = asyncio.ensure_future(client.user.get())
        last = asyncio.ensure_future(client.user.get())
        await asyncio.sleep(0)  # one turn of the loop (FIFO): both run up to the wait for the one slot
        gate.set()  # the first call ends (and frees its slot) before the cancelled one runs again
        waiting.cancel()
        results = await asyncio.gather(first, waiting, last, return_exceptions=True)
    assert isinstance(results[0], NotFoundError)
    assert isinstance(results[1], asyncio.CancelledError)  # not a ValueError from the slot queue
    assert isinstance(results[2], NotFoundError)  # the slot went on to the next waiter
    assert len(fake.requests) == 2
