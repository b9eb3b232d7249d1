"""The client-side rate limiter against a fake clock (no real sleeping)."""

from __future__ import annotations

import asyncio
import math

import pytest

from plugchoice_async import ConfigurationError, LocalRateLimiter, PauseTooLong, RateLimit, Ticket
from plugchoice_async._ratelimit import MAX_PAUSE, MAX_PERIOD, PacingState, server_pause

START = 1000.0
WALL = 1_800_000_000.0  # the fake wall clock is START + this offset


class FakeClock:
    """A monotonic clock that only moves when someone sleeps on it."""

    def __init__(self, start: float = START) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.now + WALL - START

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        self.now += max(0.0, delay)
        await asyncio.sleep(0)


def make(clock: FakeClock, **config: float) -> LocalRateLimiter:
    return LocalRateLimiter(RateLimit(**config), clock=clock, wall_clock=clock.wall, sleep=clock.sleep)  # type: ignore[arg-type]


def headers(limit: int, remaining: int, **extra: str) -> dict[str, str]:
    return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining), **extra}


async def acquire_all(limiter: LocalRateLimiter, n: int) -> list[Ticket]:
    return list(await asyncio.gather(*(limiter.acquire() for _ in range(n))))


def most_in_any_window(times: list[float], period: float) -> int:
    times = sorted(times)
    return max(sum(1 for t in times if start <= t < start + period) for start in times)


# -- pacing ----------------------------------------------------------------------------------


async def test_paces_at_the_configured_rate_after_a_small_burst() -> None:
    clock = FakeClock()
    limiter = make(clock, max_requests=100, period=10.0, margin=0.02)
    tickets = await acquire_all(limiter, 12)
    sent = [round(t.sent_at - START, 6) for t in tickets]
    interval = 1.02 * 10.0 / 100
    assert sent[:2] == [0.0, 0.0]  # burst = 2% of 100
    assert sent[2:] == pytest.approx([interval * k for k in range(1, 11)])


@pytest.mark.parametrize(("limit", "period"), [(100, 10.0), (500, 60.0), (7, 1.0)])
async def test_never_more_than_the_limit_in_any_window(limit: int, period: float) -> None:
    """Whatever window shape the server uses, no span of one period holds more than the limit."""
    clock = FakeClock()
    limiter = make(clock, max_requests=limit, period=period)
    tickets = await acquire_all(limiter, 3 * limit)
    assert most_in_any_window([t.sent_at for t in tickets], period) <= limit


def test_burst_defaults_and_bounds() -> None:
    assert RateLimit().effective_burst == 10
    assert RateLimit(max_requests=100).effective_burst == 2
    assert RateLimit(max_requests=10).effective_burst == 1
    assert RateLimit(max_requests=100_000).effective_burst == 10
    assert RateLimit(burst=4).effective_burst == 4


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_requests": 0},
        {"max_requests": 1.5},
        {"period": 0},
        {"period": float("inf")},
        {"margin": 1.0},
        {"max_pause": -1},
        {"burst": 0},
        {"beta": 1.0},
    ],
)
def test_rate_limit_validation(kwargs: dict[str, float]) -> None:
    with pytest.raises(ConfigurationError, match=next(iter(kwargs))):
        RateLimit(**kwargs)  # type: ignore[arg-type]


# -- header learning --------------------------------------------------------------------------


async def test_remaining_is_credit_and_counts_other_users_of_the_token() -> None:
    clock = FakeClock()
    limiter = make(clock, max_requests=10, period=10.0)
    first = await limiter.acquire()
    # The server has 3 left in this window: someone else used 6.
    await limiter.record(first, 200, headers(10, 3))
    more = await acquire_all(limiter, 4)
    assert [t.sent_at for t in more[:3]] == [START] * 3  # the reported credit is spent at once
    assert more[3].sent_at > START  # then the pacing clock rules


async def test_credit_spends_a_window_then_waits_about_a_period() -> None:
    """Headers on every answer and the right period: a window's whole budget, then one period's wait."""
    clock = FakeClock()
    limiter = make(clock, max_requests=100, period=10.0)
    first = await limiter.acquire()
    await limiter.record(first, 200, headers(100, 99))
    burst = await acquire_all(limiter, 99)
    assert all(t.sent_at == START for t in burst)
    nxt = await limiter.acquire()
    assert nxt.sent_at - START == pytest.approx(100 * 1.02 * 10.0 / 100)


async def test_adopts_a_smaller_server_limit() -> None:
    clock = FakeClock()
    limiter = make(clock, max_requests=500, period=60.0)
    first = await limiter.acquire()
    await limiter.record(first, 200, headers(4, 3))
    assert limiter.state.limit == 4
    more = await acquire_all(limiter, 3)
    assert all(t.sent_at == START for t in more)


async def test_reports_count_what_is_in_flight_and_stale_ones_only_lower_the_credit() -> None:
    clock = FakeClock()
    limiter = make(clock, max_requests=10, period=10.0, burst=3)
    a, b = await limiter.acquire(), await limiter.acquire()
    await limiter.record(b, 200, headers(10, 5))
    assert limiter.state.credit() == 4  # `a` may still reach the server after `b`: counted as spent
    await limiter.record(a, 200, headers(10, 8))  # sent before b's report arrived: older news
    assert limiter.state.credit() == 4
    c = await limiter.acquire()
    await limiter.record(c, 200, headers(10, 6))  # sent after it: newer, replaces it (the window reset)
    assert limiter.state.credit() == 6
    d = await limiter.acquire()
    e = await limiter.acquire()
    await limiter.record(e, 200, headers(10, 1))  # someone else spent the window (d still in flight)
    assert limiter.state.credit() == 0
    await limiter.record(d, 200, headers(10, 3))  # older news: ignored
    assert limiter.state.credit() == 0


async def test_probe_learns_the_server_period() -> None:
    """Configured 500/60 s, the server 3 per 2 s: one probe's 429 teaches the window length."""
    clock = FakeClock()
    limiter = make(clock, max_requests=500, period=60.0)
    tickets = await acquire_all(limiter, 3)
    for i, t in enumerate(tickets):
        await limiter.record(t, 200, headers(3, 2 - i))
    probe = await limiter.acquire()  # budget spent, period unconfirmed: one probe goes
    assert probe.probe is True
    assert isinstance(limiter.state.grant(clock.now), float)  # one probe at a time
    clock.now += 0.1
    again = await limiter.record(probe, 429, headers(3, 0, **{"Retry-After": "2"}))
    assert again == 0.0  # re-queued behind the shared pause
    assert limiter.state.period == pytest.approx(2.1)
    nxt = await limiter.acquire()
    assert nxt.sent_at == pytest.approx(START + 0.1 + 2.0 + 0.05)  # the pause plus its 50 ms margin


async def test_reset_header_refines_a_rounded_retry_after() -> None:
    wall = 1000.3
    assert server_pause({"Retry-After": "3", "X-RateLimit-Reset": "1003"}, wall) == pytest.approx(2.7)
    assert server_pause({"Retry-After": "3", "X-RateLimit-Reset": "1100"}, wall) == 3.0  # clock skew: bounded
    assert server_pause({"Retry-After": "3", "X-RateLimit-Reset": "900"}, wall) == 2.0
    assert server_pause({"retry-after-ms": "250"}, wall) == pytest.approx(0.25)
    assert server_pause({}, wall) is None


# -- 429s: pauses, re-queues, fail-fast -------------------------------------------------------


async def test_window_429_pauses_every_request() -> None:
    clock = FakeClock()
    limiter = make(clock, max_requests=100, period=60.0)
    ticket = await limiter.acquire()
    again = await limiter.record(ticket, 429, headers(100, 0, **{"Retry-After": "7"}))
    assert again == 0.0
    tickets = await acquire_all(limiter, 5)
    margin = limiter.state.time_margin()
    assert tickets[0].sent_at == pytest.approx(START + 7.0 + margin)
    assert clock.sleeps[0] == pytest.approx(7.0 + margin)  # one shared pause


async def test_short_429_without_window_headers_delays_only_that_request() -> None:
    """A bucket's `Retry-After: 1`: the refused request waits, the others go on at a cut rate."""
    clock = FakeClock()
    limiter = make(clock, max_requests=100, period=1.0, burst=1)
    ticket = await limiter.acquire()
    again = await limiter.record(ticket, 429, {"Retry-After": "1"})
    assert again == 1.0
    other = await limiter.acquire()
    assert other.sent_at - START < 0.1  # no shared pause


async def test_429_without_any_delay_waits_a_bounded_backoff() -> None:
    clock = FakeClock()
    limiter = make(clock, max_requests=500, period=60.0)
    ticket = await limiter.acquire()
    again = await limiter.record(ticket, 429, {})
    assert again is not None and 0 < again <= 5.0


@pytest.mark.parametrize(
    "pause_headers",
    [
        {"Retry-After": "3600"},
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(WALL) + 7200)},
        {"retry-after-ms": "1e12"},
    ],
)
async def test_pause_beyond_max_pause_fails_fast_until_it_passes(pause_headers: dict[str, str]) -> None:
    clock = FakeClock()
    limiter = make(clock, max_requests=500, period=60.0, max_pause=60.0)
    ticket = await limiter.acquire()
    assert await limiter.record(ticket, 429, pause_headers) is None  # the refused request surfaces
    with pytest.raises(PauseTooLong) as caught:
        await limiter.acquire()
    assert caught.value.retry_after > 60.0
    assert caught.value.retry_after <= MAX_PAUSE + 2.0  # bounded however absurd the header
    # Waiters queued behind the pause fail too, at once.
    waiting = [asyncio.ensure_future(limiter.acquire()) for _ in range(3)]
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(r, PauseTooLong) for r in results)
    assert not clock.sleeps  # nobody waited
    clock.now += caught.value.retry_after
    after = await limiter.acquire()
    assert after.sent_at >= clock.now - 1e-9


# -- adapting -------------------------------------------------------------------------------


async def test_surprise_429_cuts_the_rate_once_per_episode_and_recovers() -> None:
    clock = FakeClock()
    limiter = make(clock, max_requests=1000, period=1.0, beta=0.5)
    state = limiter.state
    tickets = await acquire_all(limiter, 5)
    assert state.rate(clock.now) == 1000
    for t in tickets:  # five 429s of requests sent before any cut: one cut
        await limiter.record(t, 429, {"Retry-After": "1"})
    assert state.rate(clock.now) == pytest.approx(500)
    assert state.gen == 1
    later = await limiter.acquire()
    await limiter.record(later, 429, {"Retry-After": "1"})  # sent after the cut, refused again
    assert state.rate(clock.now) == pytest.approx(250, rel=0.01)
    # CUBIC: concave recovery towards the last maximum, then past it to the ceiling.
    cut_at = clock.now
    k = math.cbrt(state.w_max * 0.5 / 0.4)
    clock.now = cut_at + k / 2
    mid = state.rate(clock.now)
    assert 250 < mid < 500
    clock.now = cut_at + k
    assert state.rate(clock.now) == pytest.approx(500, rel=0.01)
    clock.now = cut_at + 3 * k
    assert state.rate(clock.now) == 1000  # back at the ceiling, and no higher
    assert state.w_max == 0


async def test_probe_429_does_not_cut_the_rate() -> None:
    clock = FakeClock()
    limiter = make(clock, max_requests=500, period=60.0)
    state = limiter.state
    t = await limiter.acquire()
    await limiter.record(t, 200, headers(2, 0))
    probe = await limiter.acquire()
    assert probe.probe
    await limiter.record(probe, 429, headers(2, 0, **{"Retry-After": "1"}))
    assert state.gen == 0 and state.w_max == 0


# -- bounds ---------------------------------------------------------------------------------


async def test_learned_values_are_bounded() -> None:
    clock = FakeClock()
    state = PacingState(RateLimit(max_requests=500, period=60.0))
    t = state.grant(clock.now)
    assert isinstance(t, Ticket)
    state.learn(t, clock.now, clock.wall(), 200, headers(10**12, 5))
    assert state.limit == 500  # an absurd limit is ignored
    state.learn(t, clock.now, clock.wall(), 200, {"X-RateLimit-Limit": "2", "X-RateLimit-Remaining": "-4"})
    assert state.limit == 2 and state.credit_left == 5  # a negative remaining is ignored
    assert state.credit() == 2  # an older report never grants more than the new limit
    # A fuzzed reset teaches no absurd window: period and pause stay within their bounds.
    state = PacingState(RateLimit(max_requests=500, period=60.0, max_pause=1e300))
    first = state.grant(clock.now)
    assert isinstance(first, Ticket)
    state.learn(first, clock.now, clock.wall(), 200, headers(3, 2))
    probe = state.grant(clock.now)
    while isinstance(probe, Ticket) and not probe.probe:  # spend the credit: then one probe
        probe = state.grant(clock.now)
    assert isinstance(probe, Ticket) and probe.probe
    state.learn(probe, clock.now, clock.wall(), 429, headers(3, 0, **{"Retry-After": "6.6e103"}))
    assert state.period <= MAX_PERIOD
    assert state.paused_until - clock.now <= MAX_PAUSE + 2.0
    state.learn(probe, clock.now + 50.0, clock.wall(), 200, {})
    assert 0 <= state.latency <= 10.0


# -- the queue ------------------------------------------------------------------------------


async def test_cancelled_waiter_gives_nothing_away() -> None:
    clock = FakeClock()
    limiter = make(clock, max_requests=1, period=10.0)
    await limiter.acquire()
    waiter = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    nxt = await limiter.acquire()
    assert nxt.sent_at == pytest.approx(START + 10.2)


async def test_waiters_are_served_in_order() -> None:
    clock = FakeClock()
    limiter = make(clock, max_requests=2, period=1.0)
    order: list[int] = []

    async def take(i: int) -> None:
        await limiter.acquire()
        order.append(i)

    await asyncio.gather(*(take(i) for i in range(6)))
    assert order == list(range(6))


async def test_acquire_delay_is_waited_first() -> None:
    clock = FakeClock()
    limiter = make(clock, max_requests=500, period=60.0)
    ticket = await limiter.acquire(2.5)
    assert ticket.sent_at == pytest.approx(START + 2.5)
