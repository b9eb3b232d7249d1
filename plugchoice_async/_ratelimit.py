"""Client-side rate limiting against Laravel's fixed-window throttle.

Plugchoice counts requests per token in fixed windows (500 per 60 s by default):
a window opens at the first request after the previous one expired, and every
answer says ``X-RateLimit-Limit`` and ``X-RateLimit-Remaining``. A token bucket
with a full burst is not safe against that (it keeps sending after the window's
budget is spent), so ``FixedWindowLimiter`` models the server's window instead:

* **Budget**: at most ``limit`` requests are sent per local window. The local window
  starts at its first send and ends ``period + margin`` later; the margin
  (``max(50 ms, 2% of the period)``) covers clock drift and latency, so a request
  counted in one of our windows never lands in the server's next one.
* **Learning**: every answer's ``X-RateLimit-Remaining`` re-counts what the current
  window has used (``limit - remaining`` plus what we sent since that request), so
  other users of the token and a window that opened earlier than we thought are seen;
  an answer that shows a fresh server window re-aligns ours. A different
  ``X-RateLimit-Limit`` is adopted at once. Requests wait for the next window when
  the budget is spent, instead of collecting 429s (proactive pacing).
* **Shared pause**: a 429 pauses *every* request of the client until its
  ``Retry-After`` / ``X-RateLimit-Reset`` has passed: one pause, not a retry storm.
* **Period**: the server does not announce its window length. When the server's
  limit differs from the configured one, the configured period is suspect too: once
  the budget is spent, one probe request is let through; its 429 tells when the
  window ends, which gives the period (an upper bound, so never early).

Waiting requests queue FIFO; one pump task wakes them when the window reopens.
The ``RateLimiter`` protocol is the seam for a shared backend (say Redis, for
several processes polling with one token): the transport only calls ``acquire``
and ``record``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Final, Protocol

import attrs

from ._http import parse_rate_limit_headers, parse_retry_after

__all__ = ["FixedWindowLimiter", "RateLimit", "RateLimiter", "Ticket"]

logger: Final = logging.getLogger("plugchoice_async")


@attrs.frozen(kw_only=True)
class RateLimit:
    """Client-side rate limit: at most ``max_requests`` per ``period`` seconds (Plugchoice: 500 per 60 s).

    ``margin`` is extra time added to each window for clock drift and latency;
    None means ``max(0.05, 2% of period)``.
    """

    max_requests: int = attrs.field(default=500, validator=attrs.validators.gt(0))
    period: float = attrs.field(default=60.0, validator=attrs.validators.gt(0))
    margin: float | None = None

    @property
    def effective_margin(self) -> float:
        """The time margin actually used."""
        return self.margin if self.margin is not None else max(0.05, 0.02 * self.period)


@attrs.define(slots=True)
class Ticket:
    """One permit handed out by a limiter; given back to ``record`` with the answer."""

    seq: int
    sent_at: float
    window: int
    position: int
    probe: bool = False


class RateLimiter(Protocol):
    """The seam between the transport and a rate limiter (in-process or shared)."""

    async def acquire(self) -> Ticket:
        """Wait until one more request may be sent; return its ticket."""
        ...

    async def record(self, ticket: Ticket, status: int | None, headers: Mapping[str, str] | None) -> None:
        """Learn from the answer to ``ticket`` (status None: no answer arrived)."""
        ...


class FixedWindowLimiter:
    """The default in-process limiter (see the module docstring for the rules)."""

    def __init__(
        self,
        config: RateLimit | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.config = config or RateLimit()
        self.limit = self.config.max_requests
        self.period = self.config.period
        self.margin = self.config.effective_margin
        self._period_trusted = True  # until the server shows our configuration is wrong
        self._clock = clock
        self._wall_clock = wall_clock
        self._sleep = sleep
        self._seq = 0
        self._window = 0
        self._window_start = 0.0
        self._window_end: float | None = None
        self._used = 0
        self._paused_until = 0.0
        self._probe_out = False
        self._waiters: collections.deque[asyncio.Future[Ticket]] = collections.deque()
        self._pump_task: asyncio.Task[None] | None = None
        self._poke = asyncio.Event()
        #: Seconds requests spent waiting here, summed (for stats).
        self.waited = 0.0
        #: 429 answers seen.
        self.rate_limited = 0

    # -- granting -------------------------------------------------------------
    def _try_take(self, now: float) -> Ticket | None:
        if now < self._paused_until:
            return None
        if self._window_end is None or now >= self._window_end:
            self._window += 1
            self._window_start = now
            self._window_end = now + self.period + self.margin
            self._used = 0
        probe = False
        if self._used >= self.limit:
            if self._period_trusted or self._probe_out:
                return None
            probe = self._probe_out = True
        self._used += 1
        self._seq += 1
        return Ticket(seq=self._seq, sent_at=now, window=self._window, position=self._used, probe=probe)

    def _next_change(self, now: float) -> float:
        """Seconds until the budget reopens by itself (an answer may reopen it sooner)."""
        if now < self._paused_until:
            return self._paused_until - now
        if self._window_end is not None and self._used >= self.limit:
            return max(0.0, self._window_end - now)
        return 0.0

    def try_acquire(self) -> Ticket | None:
        """A ticket at once if the budget allows it and nobody queues before us; else None (then ``acquire``)."""
        if self._waiters:
            return None
        return self._try_take(self._clock())

    async def acquire(self) -> Ticket:
        """Wait (FIFO) until a request may be sent under the limit."""
        if not self._waiters:
            ticket = self._try_take(self._clock())
            if ticket is not None:
                return ticket
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Ticket] = loop.create_future()
        self._waiters.append(fut)
        started = self._clock()
        if self._pump_task is None or self._pump_task.done():
            self._pump_task = loop.create_task(self._pump())
        try:
            return await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self._give_back(fut.result())
            else:
                self._discard(fut)
            raise
        finally:
            self.waited += self._clock() - started

    def _discard(self, fut: asyncio.Future[Ticket]) -> None:
        with contextlib.suppress(ValueError):
            self._waiters.remove(fut)
        self._poke.set()  # let the pump re-check (and end when nobody waits any more)

    def _give_back(self, ticket: Ticket) -> None:
        if ticket.window == self._window and self._used > 0:
            self._used -= 1
        if ticket.probe:
            self._probe_out = False
        self._poke.set()

    async def _pump(self) -> None:
        while self._waiters:
            now = self._clock()
            while self._waiters:
                if self._waiters[0].done():  # cancelled while queued
                    self._waiters.popleft()
                    continue
                ticket = self._try_take(now)
                if ticket is None:
                    break
                self._waiters.popleft().set_result(ticket)
            if not self._waiters:
                return
            delay = self._next_change(now)
            self._poke.clear()
            await self._wait(delay)

    async def _wait(self, delay: float) -> None:
        poke = asyncio.ensure_future(self._poke.wait())
        sleeper = asyncio.ensure_future(self._sleep(delay))
        try:
            await asyncio.wait((poke, sleeper), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (poke, sleeper):
                if not task.done():
                    task.cancel()

    # -- learning -------------------------------------------------------------
    async def record(self, ticket: Ticket, status: int | None, headers: Mapping[str, str] | None) -> None:
        """Update the window from an answer's rate-limit headers (or a 429)."""
        self.observe(ticket, status, headers)

    def observe(self, ticket: Ticket, status: int | None, headers: Mapping[str, str] | None) -> None:
        """``record`` without the coroutine: this limiter never waits to learn (the transport's fast path)."""
        if ticket.probe:
            self._probe_out = False
        if headers is None:
            if ticket.probe:
                self._poke.set()
            return
        info = parse_rate_limit_headers(headers)
        if info is not None and info.limit is not None and info.limit > 0 and info.limit != self.limit:
            logger.info("adopting the server's rate limit: %d requests per window (was %d)", info.limit, self.limit)
            self.limit = info.limit
            if self._period_trusted:
                self._period_trusted = False
        now = self._clock()
        if status == 429:
            self._on_429(ticket, headers, now)
        elif info is not None and info.remaining is not None and ticket.window == self._window:
            hits = self.limit - info.remaining
            since = self._seq - ticket.seq
            if hits < ticket.position:
                # the server's window opened after ours: re-align to it (late start = safe end)
                self._window_start = ticket.sent_at
                self._window_end = ticket.sent_at + self.period + self.margin
            self._used = hits + since
        self._poke.set()

    def _on_429(self, ticket: Ticket, headers: Mapping[str, str], now: float) -> None:
        self.rate_limited += 1
        delay = parse_retry_after(headers, now=self._wall_clock())
        if delay is None:
            delay = max(0.0, (self._window_end or now) - now) or self.period
        reset_at = now + delay
        if not self._period_trusted and ticket.window == self._window:
            # The window opened no later than our first send in it and ends no earlier than
            # reset_at (Retry-After is rounded up): the difference bounds the period from above.
            learned = reset_at - self._window_start
            if learned > 0:
                logger.info("learned the server's rate-limit window: %.2f s", learned)
                self.period = learned
                self.margin = self._default_margin()
                self._period_trusted = True
        until = reset_at + self.margin
        if until > self._paused_until:
            logger.warning("rate limited (429): pausing every request for %.2f s", until - now)
            self._paused_until = until
        # the budget is spent until the pause ends; the next send opens a new window
        self._window_end = until
        self._used = max(self._used, self.limit)

    def _default_margin(self) -> float:
        return self.config.margin if self.config.margin is not None else max(0.05, 0.02 * self.period)
