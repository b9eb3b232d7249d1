"""The rate limiter inside the client, against the emulator's throttles: nothing lost, few 429s,
re-queued 429s outside the retry policy, and server pauses that fail fast instead of freezing."""

from __future__ import annotations

import time

import pytest

from plugchoice_async import Charger, LocalRateLimiter, PlugchoiceClient, RateLimit, RateLimitError, RetryBudget
from plugchoice_async.testing import Fault, PlugchoiceEmulator
from tests.conftest import TOKEN, FakeSleep, make_client
from tests.test_actions import ready

THROTTLES = ["fixed-window", "sliding-window", "leaky-bucket"]
HEADER_MODES = ["always", "on-429", "never"]


@pytest.mark.parametrize("headers", HEADER_MODES)
@pytest.mark.parametrize("throttle", THROTTLES)
async def test_configured_like_the_server_every_charger_few_429s(throttle: str, headers: str) -> None:
    """10 requests per 0.5 s on the server, the same on the client: 20 chargers, all fetched."""
    async with PlugchoiceEmulator(
        chargers=20, token=TOKEN, rate_limit=10, rate_period=0.5, throttle=throttle,  # type: ignore[arg-type]
        rate_limit_headers=headers, rate_burst=2,  # type: ignore[arg-type]
    ) as emu:  # fmt: skip
        async with PlugchoiceClient(
            TOKEN, base_url=emu.base_url, rate_limit=RateLimit(max_requests=10, period=0.5)
        ) as client:
            results = await client.chargers.get_many(emu.uuids)
            assert all(isinstance(r, Charger) for r in results)
            assert client.stats.rate_limited == emu.rate_limited
            assert client.stats.total_retries == 0  # 429s are re-queued, never retried
        assert emu.rate_limited <= 2


@pytest.mark.parametrize("throttle", THROTTLES)
async def test_client_ten_times_too_fast_still_fetches_everything(throttle: str) -> None:
    """No headers, a client configured for 10x what the server allows: the rate is cut, nothing lost."""
    async with PlugchoiceEmulator(
        chargers=12, token=TOKEN, rate_limit=10, rate_period=0.5, throttle=throttle,  # type: ignore[arg-type]
        rate_limit_headers="never", rate_burst=2,
    ) as emu:  # fmt: skip
        limiter = LocalRateLimiter(RateLimit(max_requests=100, period=0.5))
        async with PlugchoiceClient(TOKEN, base_url=emu.base_url, rate_limit=limiter) as client:
            results = await client.chargers.get_many(emu.uuids)
            assert all(isinstance(r, Charger) for r in results)
            assert client.stats.requeued == emu.rate_limited
        assert limiter.state.gen >= 1  # the 429s cut the pacing rate
        assert emu.rate_limited < 12


async def test_default_settings_learn_a_small_server_window() -> None:
    """Default RateLimit() (500 per 60 s) against 5 per second with headers: one probe 429."""
    async with PlugchoiceEmulator(chargers=12, token=TOKEN, rate_limit=5, rate_period=1.0) as emu:
        async with PlugchoiceClient(TOKEN, base_url=emu.base_url, max_concurrency=2) as client:
            results = await client.chargers.get_many(emu.uuids)
        assert all(isinstance(r, Charger) for r in results)
        assert emu.rate_limited == 1


async def test_429_on_a_command_is_requeued_and_applied_once(emulator: PlugchoiceEmulator) -> None:
    """A 429 was refused unprocessed: the start is sent again once and applied exactly once."""
    uuid = ready(emulator)
    emulator.add_fault(Fault("status", status=429, headers={"Retry-After": "1"}, method="POST"))
    limiter = LocalRateLimiter(RateLimit(), sleep=FakeSleep())
    async with make_client(emulator.base_url, limiter=limiter, budget=RetryBudget(capacity=0)) as client:
        result = await client.chargers.actions.start(uuid, id_token="CARD1")
        assert result.status == "Accepted"
        assert client.stats.requeued == 1
        assert client.stats.total_retries == 0  # neither max_retries nor the (empty) budget was used
    assert [(a.action, a.applied) for a in emulator.actions] == [("start", True)]


class SteppedTime:
    """A fake clock that moves only when the limiter sleeps on it."""

    def __init__(self) -> None:
        self.now = 100.0
        self.delays: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.delays.append(delay)
        self.now += delay


async def test_429_without_a_delay_waits_a_bounded_backoff(emulator: PlugchoiceEmulator) -> None:
    """No Retry-After at all: the request waits about a second (not a whole 60 s period)."""
    time_ = SteppedTime()
    emulator.add_fault(Fault("status", status=429))
    limiter = LocalRateLimiter(RateLimit(), clock=time_, sleep=time_.sleep)
    async with make_client(emulator.base_url, limiter=limiter) as client:
        await client.chargers.get(emulator.uuids[0])
        assert client.stats.requeued == 1
    assert 0 < sum(time_.delays) <= 5.0


@pytest.mark.parametrize(
    "headers",
    [
        {"Retry-After": "3600"},
        {"retry-after-ms": "1e12"},
        {"X-RateLimit-Limit": "500", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 7200)},
    ],
)
async def test_long_server_pause_fails_fast_for_every_request(
    emulator: PlugchoiceEmulator, headers: dict[str, str]
) -> None:
    """A pause beyond max_pause: this call and the next raise RateLimitError at once, nothing freezes."""
    emulator.add_fault(Fault("status", status=429, headers=headers))
    async with PlugchoiceClient(TOKEN, base_url=emulator.base_url) as client:
        started = time.monotonic()
        with pytest.raises(RateLimitError) as first:
            await client.chargers.get(emulator.uuids[0])
        assert first.value.retry_after is not None and first.value.retry_after > 60
        sent = len(emulator.requests)
        with pytest.raises(RateLimitError) as second:
            await client.chargers.get(emulator.uuids[1])
        assert "not sent" in str(second.value) and second.value.retry_after is not None
        assert second.value.retry_after > 60
        assert len(emulator.requests) == sent  # the second never left the client
        assert time.monotonic() - started < 5
