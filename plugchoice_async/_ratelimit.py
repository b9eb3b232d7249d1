"""Client-side rate limiting: one pacing algorithm, safe for every throttle shape.

The server may throttle in fixed windows (Laravel, Plugchoice itself), sliding windows, or as a
leaky or token bucket (a gateway in front), and it may or may not say so in ``X-RateLimit-*``
headers. One algorithm, in :class:`PacingState`, respects all of them:

* **Pacing (GCRA).** Sends are spaced by an emission interval of ``(1 + margin) / rate`` seconds,
  with a small burst allowance (``RateLimit.burst``, at most 10). A limit is never spent at the
  start of a window, so no window shape sees more than the limit plus the burst.
* **Headers, where they come.** ``X-RateLimit-Limit`` different from ours is adopted at once.
  ``X-RateLimit-Remaining`` is *credit*: what the server says is left, less what was in flight when
  the answer came (those may arrive after it) and what we sent since, may be sent at once (other
  users of the token are seen this way). When the credit is spent,
  sends wait for the pacing clock, which every send has advanced by one interval, so a burst of
  ``limit`` is followed by a wait of about one period. If the server's limit differs from the
  configured one, the configured period is suspect: one probe is sent when the credit is spent,
  and its 429 tells when the window ends, which gives the period (learned once, bounded).
* **429s.** A 429 that says the window is spent (``X-RateLimit-Remaining: 0`` or
  ``X-RateLimit-Reset``), or asks for more than a second, pauses every request until then plus a
  time margin; one that asks for a second or less (a bucket with room again soon) delays only the
  refused request. Either way the refused request is re-queued: it was not processed. A pause
  longer than ``RateLimit.max_pause`` makes every request that would wait for it fail at once with
  :class:`PauseTooLong` (the transport raises ``RateLimitError`` with ``retry_after``) until it
  has passed.
* **Adapting.** A 429 for a request sent while the limiter believed it had budget cuts the rate
  multiplicatively (``beta``, once per episode: later 429s of requests sent before the cut do not
  cut again, and the first send after a cut waits one new interval), and the rate recovers along
  TCP CUBIC's curve towards and past the rate it had, up to the ceiling ``limit / period`` (as
  botocore's adaptive retry mode does).
* **Bounds.** Every learned value is clamped: limit 1..1,000,000, period 0.05 s..1 day, rate at
  least ``ceiling / 1000``, pauses at most a day (and never waited for beyond ``max_pause``),
  latency 0..10 s; the time margin after a pause is ``max(50 ms, 1% of the period, 2 x latency)``,
  at most 2 s.

:class:`LocalRateLimiter` runs it in-process (FIFO waiters, one pump task); the Redis limiter runs
the same rules in a Lua script so that processes sharing a token share one budget. The transport
sees either through the :class:`RateLimiter` protocol only.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Final, Protocol, runtime_checkable

import attrs

from ._http import parse_rate_limit_headers, parse_retry_after
from .exceptions import ConfigurationError

__all__ = [
    "LocalRateLimiter",
    "PacingState",
    "PauseTooLong",
    "RateLimit",
    "RateLimiter",
    "Ticket",
]

logger: Final = logging.getLogger("plugchoice_async")

#: Bounds on what the limiter learns from answers (see the module docstring).
MAX_LIMIT: Final = 1_000_000
MIN_PERIOD: Final = 0.05
MAX_PERIOD: Final = 86_400.0
MAX_PAUSE: Final = 86_400.0
MAX_LATENCY: Final = 10.0
#: Seconds without any grant or answer after which tickets still counted in flight are forgotten.
QUIET_RESET: Final = 30.0
#: CUBIC's scaling constant (botocore's adaptive mode uses the same, in requests per second).
CUBIC_C: Final = 0.4


def _positive_int(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(
            f"{type(instance).__name__}.{attribute.name} must be a whole number >= 1, got {value!r}"
        )


def _positive_number(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise ConfigurationError(
            f"{type(instance).__name__}.{attribute.name} must be a finite number > 0, got {value!r}"
        )


def _optional_positive_int(instance: object, attribute: attrs.Attribute[int | None], value: int | None) -> None:
    if value is not None:
        _positive_int(instance, attribute, value)  # type: ignore[arg-type]


def _fraction(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        raise ConfigurationError(f"RateLimit.{attribute.name} must be a number in [0, 1), got {value!r}")


@attrs.frozen(kw_only=True)
class RateLimit:
    """The client-side rate limit and how the limiter behaves (Plugchoice: 500 requests per 60 s).

    Attributes:
        max_requests: requests allowed per ``period`` (replaced by the server's ``X-RateLimit-Limit``).
        period: seconds of the server's window.
        burst: sends allowed back to back before pacing starts; None means
            ``min(10, max(1, int(max_requests * margin)))``.
        margin: share of the rate held back for clock drift and latency (default 2%).
        max_pause: a server-directed pause longer than this fails every request that would wait
            for it with ``RateLimitError`` at once, until it has passed (default 60 s).
        beta: the factor a surprise 429 cuts the pacing rate by (default 0.5).
    """

    max_requests: int = attrs.field(default=500, validator=_positive_int)
    period: float = attrs.field(default=60.0, validator=_positive_number)
    burst: int | None = attrs.field(default=None, validator=_optional_positive_int)
    margin: float = attrs.field(default=0.02, validator=_fraction)
    max_pause: float = attrs.field(default=60.0, validator=_positive_number)
    beta: float = attrs.field(default=0.5, validator=_fraction)

    @property
    def effective_burst(self) -> int:
        """The burst allowance actually used."""
        if self.burst is not None:
            return self.burst
        return min(10, max(1, int(self.max_requests * self.margin)))


@attrs.define(slots=True)
class Ticket:
    """One permit handed out by a limiter; given back to ``record`` with the answer.

    ``seq`` numbers the sends, ``sent_at`` is the limiter's clock at the grant, ``gen`` the rate
    generation it was paced at (a cut starts a new one), ``probe`` marks a send made only to learn,
    ``shared`` a ticket of a shared (Redis) budget.
    """

    seq: int
    sent_at: float
    gen: int = 0
    probe: bool = False
    shared: bool = False


class PauseTooLong(Exception):
    """Raised by ``RateLimiter.acquire`` while a server-directed pause longer than ``max_pause`` lasts.

    The transport turns it into ``RateLimitError`` with ``retry_after`` set.
    """

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"the server asked to pause for {retry_after:.1f} s")
        self.retry_after = retry_after


@runtime_checkable
class RateLimiter(Protocol):
    """The seam between the transport and a rate limiter (in-process or shared).

    ``acquire`` waits at least ``delay`` seconds and until one more request may be sent, and
    returns its ticket; while a pause longer than the limiter's ``max_pause`` lasts it raises
    :class:`PauseTooLong` instead. ``record`` learns from the answer (status None: no answer
    arrived); for a 429 it returns the seconds after which the refused request may be sent again
    (it is re-queued) or None when it must be raised. ``aclose`` releases what the limiter holds.
    """

    async def acquire(self, delay: float = 0.0) -> Ticket:
        """Wait until one more request may be sent; return its ticket."""
        ...

    async def record(self, ticket: Ticket, status: int | None, headers: Mapping[str, str] | None) -> float | None:
        """Learn from the answer to ``ticket``; for a 429, when to send it again (None: raise it)."""
        ...

    async def aclose(self) -> None:
        """Release connections or tasks the limiter holds (it may be used again afterwards)."""
        ...


def _clamp(value: float, low: float, high: float) -> float:
    return low if value < low else high if value > high else value


def server_pause(headers: Mapping[str, str], wall_now: float) -> float | None:
    """The pause a 429 asks for, in seconds, or None when it names none.

    ``Retry-After`` in whole seconds is rounded: where ``X-RateLimit-Reset`` (epoch seconds) is
    sent too, it refines the delay within ``(Retry-After - 1, Retry-After]``.
    """
    delay = parse_retry_after(headers, now=wall_now)
    if delay is None:
        return None
    info = parse_rate_limit_headers(headers)
    if info is not None and info.reset is not None and delay >= 1 and delay == int(delay):
        delay = _clamp(info.reset - wall_now, delay - 1, delay)
    return _clamp(delay, 0.0, MAX_PAUSE)


@attrs.define
class PacingState:
    """The algorithm of the module docstring as plain state and two pure steps: ``grant`` and ``learn``.

    Times are seconds on one monotonic clock (``wall_now`` is needed only to read HTTP dates and
    epoch resets). Not thread-safe and not async: :class:`LocalRateLimiter` serialises the calls.
    """

    config: RateLimit
    limit: int = attrs.field(init=False)
    period: float = attrs.field(init=False)
    period_trusted: bool = True
    tat: float = 0.0  # GCRA's theoretical arrival time
    seq: int = 0
    gen: int = 0
    credit_seq: int = -1  # ``seq`` when the last report arrived; -1: no report since the last pause
    credit_left: int = 0  # what that report left us: its Remaining less what was then in flight
    in_flight: int = 0  # tickets granted and not yet recorded
    last_seen: float = 0.0  # the last grant or answer (a long quiet time resets ``in_flight``)
    window_start: float | None = None  # send time of the first request of the server's window
    paused_until: float = 0.0
    probe_out: bool = False
    w_max: float = 0.0  # CUBIC: the rate at the last cut (0: no cut in force)
    cut_at: float = 0.0
    latency: float = 0.0
    _burst: int = attrs.field(init=False, repr=False)
    _stretch: float = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        self.limit = self.config.max_requests
        self.period = self.config.period
        # Read on every grant: kept as plain attributes (the config is frozen).
        self._burst = self.config.effective_burst
        self._stretch = 1 + self.config.margin

    # -- derived values -------------------------------------------------------------------------
    @property
    def ceiling(self) -> float:
        """The highest rate allowed: the believed limit over the believed period (requests/s)."""
        return self.limit / self.period

    def rate(self, now: float) -> float:
        """The pacing rate at ``now``: the ceiling, or CUBIC's recovery after a cut."""
        ceiling = self.ceiling
        if self.w_max <= 0:
            return ceiling
        k = math.cbrt(self.w_max * (1 - self.config.beta) / CUBIC_C)
        t = now - self.cut_at
        recovered = CUBIC_C * (t - k) ** 3 + self.w_max
        if recovered >= ceiling:
            self.w_max = 0.0  # fully recovered
            return ceiling
        return max(recovered, ceiling / 1000)

    def interval(self, now: float) -> float:
        """Seconds between paced sends."""
        if self.w_max <= 0:  # no cut in force: the ceiling's interval, without the calls of rate()
            return self._stretch * self.period / self.limit
        return self._stretch / self.rate(now)

    def time_margin(self) -> float:
        """Extra wait after a pause, for clock drift and latency."""
        return min(2.0, max(0.05, 0.01 * self.period, 2 * self.latency))

    def credit(self) -> int | None:
        """Sends the server's last report still allows (None: no report since the last pause)."""
        if self.credit_seq < 0:
            return None
        return min(self.credit_left, self.limit) - (self.seq - self.credit_seq)

    # -- granting -------------------------------------------------------------------------------
    def grant(self, now: float) -> Ticket | float:
        """A ticket if a request may be sent at ``now``, else the seconds to wait before asking again.

        Raises ``PauseTooLong`` while a pause longer than ``max_pause`` lasts.
        """
        if now < self.paused_until:
            wait = self.paused_until - now
            if wait > self.config.max_pause:
                raise PauseTooLong(wait)
            return wait
        interval = self.interval(now)
        credit = self.credit()
        probe = False
        if credit is not None and credit > 0:
            pass  # the server says there is budget left
        elif credit is not None:  # the server says the budget is spent
            if not self.period_trusted and not self.probe_out:
                probe = self.probe_out = True
            elif now < self.tat:
                return self.tat - now
        else:
            earliest = self.tat - (self._burst - 1) * interval
            if now < earliest:
                return earliest - now
        self.seq += 1
        self.tat = max(self.tat, now) + interval
        self._seen(now)
        self.in_flight += 1
        return Ticket(seq=self.seq, sent_at=now, gen=self.gen, probe=probe)

    def _seen(self, now: float) -> None:
        if now - self.last_seen > QUIET_RESET:
            self.in_flight = 0  # whoever held tickets then is gone (a crashed worker, for a shared state)
        self.last_seen = now

    def give_back(self, ticket: Ticket) -> None:
        """Undo the grant of a ticket that was never used (its waiter was cancelled)."""
        self.in_flight = max(0, self.in_flight - 1)
        if ticket.probe:
            self.probe_out = False

    # -- learning -------------------------------------------------------------------------------
    def learn(
        self,
        ticket: Ticket,
        now: float,
        wall_now: float,
        status: int | None,
        headers: Mapping[str, str] | None,
    ) -> float | None:
        """Update the state from the answer to ``ticket``.

        For a 429: the seconds after which the refused request may be sent again, or None when
        it must be raised (the pause is longer than ``max_pause``). Otherwise None.
        """
        if ticket.probe:
            self.probe_out = False
        self._seen(now)
        self.in_flight = max(0, self.in_flight - 1)
        if headers is None or status is None:
            return None  # no answer: nothing learned
        self.latency = _clamp(0.8 * self.latency + 0.2 * (now - ticket.sent_at), 0.0, MAX_LATENCY)
        info = parse_rate_limit_headers(headers)
        window_spent = False
        if info is not None:
            window_spent = info.remaining == 0 or info.reset is not None
            if info.limit is not None and 1 <= info.limit <= MAX_LIMIT and info.limit != self.limit:
                logger.info("adopting the server's rate limit: %d requests per window (was %d)", info.limit, self.limit)
                self.limit = info.limit
                if info.limit != self.config.max_requests and self.period == self.config.period:
                    self.period_trusted = False
            if info.remaining is not None and 0 <= info.remaining <= self.limit:
                # Requests still in flight may reach the server after this one even if sent before it
                # (a new connection is slower than a kept one): count them as spent. A report from a
                # request sent after the last report arrived is newer and replaces it; an older one
                # may only lower the credit.
                left = info.remaining - self.in_flight
                current = self.credit()
                if ticket.seq > self.credit_seq or current is None or left < current:
                    self.credit_seq, self.credit_left = self.seq, left
                if info.remaining == self.limit - 1:
                    self.window_start = ticket.sent_at
        if status != 429:
            return None
        return self._on_429(ticket, now, wall_now, headers, window_spent)

    def _on_429(
        self, ticket: Ticket, now: float, wall_now: float, headers: Mapping[str, str], window_spent: bool
    ) -> float | None:
        if not ticket.probe and ticket.gen == self.gen:
            current = self.rate(now)
            self.w_max = current
            self.cut_at = now
            self.gen += 1
            # No burst after a cut: the next send waits one new interval, so a full bucket can drain
            # and the requests that follow are not all refused (and cut again) at once.
            self.tat = max(self.tat, now + self.config.effective_burst * self.interval(now))
            logger.info("429 while within budget: pacing cut to %.3g requests/s", current * self.config.beta)
        delay = server_pause(headers, wall_now)
        if delay is None or (delay <= 1.0 and not window_spent):
            # Only this request is refused (a bucket with room again soon): it waits, the rest is paced.
            return delay if delay is not None else max(1.0, self.interval(now))
        if not self.period_trusted and self.window_start is not None and self.window_start <= ticket.sent_at:
            learned = _clamp(now + delay - self.window_start, MIN_PERIOD, MAX_PERIOD)
            logger.info("learned the server's rate-limit window: %.2f s", learned)
            self.period = learned
            self.period_trusted = True
        until = now + delay + self.time_margin()
        if until > self.paused_until:
            if delay > self.config.max_pause:
                logger.warning(
                    "rate limited (429): the server asks for a %.1f s pause; failing requests meanwhile", delay
                )
            else:
                logger.warning("rate limited (429): pausing every request for %.2f s", until - now)
            self.paused_until = until
            self.credit_seq = -1  # a new window: the old report no longer holds
            self.window_start = None
            self.tat = until
        if delay > self.config.max_pause:
            return None
        return 0.0


class LocalRateLimiter:
    """The in-process limiter: :class:`PacingState` behind a FIFO queue (see the module docstring).

    ``clock``, ``wall_clock`` and ``sleep`` can be replaced for tests (a fake clock).
    """

    def __init__(
        self,
        config: RateLimit | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.config = config or RateLimit()
        self.state = PacingState(self.config)
        self._clock = clock
        self._wall_clock = wall_clock
        self._sleep = sleep
        self._waiters: collections.deque[asyncio.Future[Ticket]] = collections.deque()
        self._pump_task: asyncio.Task[None] | None = None
        self._poke = asyncio.Event()

    def __repr__(self) -> str:
        s = self.state
        return f"<LocalRateLimiter limit={s.limit} period={s.period:g} rate={s.rate(self._clock()):.3g}/s>"

    async def acquire(self, delay: float = 0.0) -> Ticket:
        """Wait ``delay`` seconds, then (FIFO) until a request may be sent under the limit."""
        if delay > 0:
            await self._sleep(delay)
        if not self._waiters:
            granted = self.state.grant(self._clock())
            if isinstance(granted, Ticket):
                return granted
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Ticket] = loop.create_future()
        self._waiters.append(fut)
        if self._pump_task is None or self._pump_task.done():
            self._pump_task = loop.create_task(self._pump())
        try:
            return await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                self.state.give_back(fut.result())
            with contextlib.suppress(ValueError):
                self._waiters.remove(fut)
            self._poke.set()  # let the pump re-check (and end when nobody waits any more)
            raise

    async def _pump(self) -> None:
        while self._waiters:
            wait = 0.0
            while self._waiters:
                if self._waiters[0].done():  # cancelled while queued
                    self._waiters.popleft()
                    continue
                try:
                    granted = self.state.grant(self._clock())
                except PauseTooLong as exc:
                    for fut in self._waiters:  # every request that would wait for the pause fails now
                        if not fut.done():
                            fut.set_exception(PauseTooLong(exc.retry_after))
                    self._waiters.clear()
                    return
                if not isinstance(granted, Ticket):
                    wait = granted
                    break
                self._waiters.popleft().set_result(granted)
            if not self._waiters:
                return
            self._poke.clear()
            await self._wait(wait)

    async def _wait(self, delay: float) -> None:
        poke = asyncio.ensure_future(self._poke.wait())
        sleeper = asyncio.ensure_future(self._sleep(delay))
        try:
            await asyncio.wait((poke, sleeper), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (poke, sleeper):
                if not task.done():
                    task.cancel()

    async def record(self, ticket: Ticket, status: int | None, headers: Mapping[str, str] | None) -> float | None:
        """Learn from the answer (see :meth:`PacingState.learn`) and wake the queue."""
        verdict = self.state.learn(ticket, self._clock(), self._wall_clock(), status, headers)
        if self._waiters:
            self._poke.set()
        return verdict

    async def aclose(self) -> None:
        """Nothing to release: the pump task ends by itself once nobody waits."""
