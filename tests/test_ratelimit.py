"""The client-side rate limiter against a fake clock (no real sleeping)."""

from __future__ import annotations

import asyncio

import pytest

from plugchoice_async import FixedWindowLimiter, RateLimit, Ticket


class FakeClock:
    """A monotonic clock that only moves when someone sleeps on it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        self.now += max(0.0, delay)
        await asyncio.sleep(0)


def make(clock: FakeClock, limit: int = 3, period: float = 10.0, margin: float = 0.5) -> FixedWindowLimiter:
    return FixedWindowLimiter(
        RateLimit(max_requests=limit, period=period, margin=margin), clock=clock, sleep=clock.sleep
    )


def headers(limit: int, remaining: int, **extra: str) -> dict[str, str]:
    return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining), **extra}


async def acquire_all(limiter: FixedWindowLimiter, n: int) -> list[Ticket]:
    return list(await asyncio.gather(*(limiter.acquire() for _ in range(n))))


async def test_fixed_window_budget_then_wait_for_next_window() -> None:
    clock = FakeClock()
    limiter = make(clock)
    tickets = await acquire_all(limiter, 7)
    sent = [t.sent_at - 1000.0 for t in tickets]
    # 3 at once, the next 3 when the window (10 s + 0.5 s margin) has passed, then the 7th a window later
    assert sent == [0.0, 0.0, 0.0, 10.5, 10.5, 10.5, 21.0]
    assert limiter.waited > 0


async def test_never_more_than_limit_in_any_server_window() -> None:
    """Against a fixed window opened at any moment, a full burst never exceeds the limit."""
    clock = FakeClock()
    limiter = make(clock, limit=5, period=2.0, margin=0.05)
    tickets = await acquire_all(limiter, 40)
    times = sorted(t.sent_at for t in tickets)
    for start in times:  # a server window could open at any of our sends
        in_window = [t for t in times if start <= t < start + 2.0]
        assert len(in_window) <= 5


async def test_remaining_header_counts_other_users_of_the_token() -> None:
    clock = FakeClock()
    limiter = make(clock, limit=10)
    ticket = await limiter.acquire()
    # The server says only 1 request is left in this window: someone else used 8.
    await limiter.record(ticket, 200, headers(10, 1))
    extra = await limiter.acquire()
    assert extra.sent_at == 1000.0
    third = await limiter.acquire()  # budget spent: waits (on the fake clock) for the next window
    assert third.sent_at == pytest.approx(1000.0 + 10.5)


async def test_adopts_a_smaller_server_limit() -> None:
    clock = FakeClock()
    limiter = make(clock, limit=500, period=60.0, margin=1.0)
    first = await limiter.acquire()
    await limiter.record(first, 200, headers(4, 3))
    assert limiter.limit == 4
    more = await acquire_all(limiter, 3)
    assert all(t.sent_at == 1000.0 for t in more)
    assert limiter._used == 4


async def test_adopts_a_larger_server_limit() -> None:
    clock = FakeClock()
    limiter = make(clock, limit=2, period=60.0)
    first = await limiter.acquire()
    await limiter.record(first, 200, headers(100, 99))
    tickets = await acquire_all(limiter, 50)
    assert all(t.sent_at == 1000.0 for t in tickets)


async def test_429_pauses_every_request_until_retry_after() -> None:
    clock = FakeClock()
    limiter = make(clock, limit=100, period=60.0, margin=0.5)
    ticket = await limiter.acquire()
    await limiter.record(ticket, 429, headers(100, 0, **{"Retry-After": "7"}))
    assert limiter.rate_limited == 1
    tickets = await acquire_all(limiter, 5)
    assert all(t.sent_at >= 1000.0 + 7.0 for t in tickets)
    assert clock.sleeps[0] == pytest.approx(7.5)  # one shared pause (plus the margin)
    assert len(clock.sleeps) == 1


async def test_probe_learns_the_server_period() -> None:
    """Configured 500/60 s, server 3 per 2 s: one probe 429 teaches the window length."""
    clock = FakeClock()
    limiter = make(clock, limit=500, period=60.0, margin=0.05)
    tickets = await acquire_all(limiter, 3)
    for t in tickets:
        await limiter.record(t, 200, headers(3, 3 - t.position))
    probe = await limiter.acquire()  # budget spent, period unconfirmed: one probe goes
    assert probe.probe is True
    assert limiter._try_take(clock.now) is None  # only one probe at a time
    clock.now += 0.1
    await limiter.record(probe, 429, headers(3, 0, **{"Retry-After": "2"}))
    nxt = await limiter.acquire()
    assert nxt.sent_at == pytest.approx(1000.0 + 0.1 + 2.0 + 0.05)
    assert limiter.period == pytest.approx(2.1)
    # From now on windows are about 2 s, not 60 s: 3 per window.
    rest = await acquire_all(limiter, 5)
    assert max(t.sent_at for t in rest) - nxt.sent_at == pytest.approx(2.1 + 0.05)  # next + 2, then 3 more


async def test_fresh_server_window_realigns() -> None:
    clock = FakeClock()
    limiter = make(clock, limit=3, period=10.0)
    first = await limiter.acquire()
    clock.now += 4.0
    second = await limiter.acquire()
    # The server's window had just reset when `second` arrived (1 hit counted, 2 left).
    await limiter.record(first, 200, headers(3, 2))
    await limiter.record(second, 200, headers(3, 2))
    assert limiter._window_end == pytest.approx(1004.0 + 10.5)
    assert limiter._used == 1


async def test_cancelled_waiter_does_not_leak_a_slot() -> None:
    clock = FakeClock()
    limiter = make(clock, limit=1)
    await limiter.acquire()
    waiter = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert not limiter._waiters
    nxt = await limiter.acquire()
    assert nxt.sent_at == pytest.approx(1010.5)


async def test_waiters_are_served_in_order() -> None:
    clock = FakeClock()
    limiter = make(clock, limit=2)
    order: list[int] = []

    async def take(i: int) -> None:
        await limiter.acquire()
        order.append(i)

    await asyncio.gather(*(take(i) for i in range(6)))
    assert order == list(range(6))


def test_rate_limit_validation() -> None:
    with pytest.raises(ValueError, match="max_requests"):
        RateLimit(max_requests=0)
    with pytest.raises(ValueError, match="period"):
        RateLimit(period=0)
    assert RateLimit().effective_margin == pytest.approx(1.2)
    assert RateLimit(period=2).effective_margin == pytest.approx(0.05)
