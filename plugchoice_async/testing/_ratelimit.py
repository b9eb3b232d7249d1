"""The emulator's throttles: how many requests one key (a token, or an OAuth client) may make, three ways.

- :class:`FixedWindowThrottle`: Laravel's ``throttle`` middleware, what Plugchoice runs. A window opens at the
  first hit after the previous one expired and lasts ``period`` seconds; it holds ``limit`` hits.
- :class:`SlidingWindowThrottle`: at most ``limit`` hits in any trailing ``period`` seconds (a hit at ``t``
  counts until ``t + period``, excluded).
- :class:`LeakyBucketThrottle`: nginx ``limit_req rate=<limit/period>r/s burst=<burst> nodelay``.

Each has one method, ``hit(key, now, limit, period, burst) -> ThrottleDecision``, and no clock or socket of its own:
tests step ``now`` by hand. In every throttle a rejected request neither counts as a hit nor changes the state, and
``limit`` 0 rejects everything (``retry_after`` then says one ``period``). ``burst`` matters to the leaky bucket only.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

__all__ = [
    "THROTTLES",
    "FixedWindowThrottle",
    "LeakyBucketThrottle",
    "SlidingWindowThrottle",
    "Throttle",
    "ThrottleDecision",
    "ThrottleName",
]

ThrottleName = Literal["fixed-window", "sliding-window", "leaky-bucket"]


@dataclass(frozen=True, slots=True)
class ThrottleDecision:
    """A throttle's verdict on one request.

    ``remaining``: requests still allowed right now (after this one, when it is allowed). ``retry_after``: None when
    the request may go on, else the seconds from ``now`` after which the same request would be allowed.
    """

    remaining: int
    retry_after: float | None = None

    @property
    def allowed(self) -> bool:
        return self.retry_after is None


class Throttle(Protocol):
    def hit(self, key: str, now: float, limit: int, period: float, burst: int) -> ThrottleDecision:
        """Count a request for ``key`` at clock value ``now`` unless it is over the limit; say which."""
        ...


class FixedWindowThrottle:
    """Laravel's fixed windows: rejected requests neither count nor extend the window."""

    __slots__ = ("_windows",)

    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}  # key -> (window end, hits)

    def hit(self, key: str, now: float, limit: int, period: float, burst: int) -> ThrottleDecision:
        end, hits = self._windows.get(key, (now, 0))
        if now >= end:
            end, hits = now + period, 0
        if hits >= limit:
            return ThrottleDecision(0, end - now)
        self._windows[key] = (end, hits + 1)
        return ThrottleDecision(limit - hits - 1)


class SlidingWindowThrottle:
    """The hit times of the trailing ``period`` per key; a request is allowed while fewer than ``limit`` are held."""

    __slots__ = ("_hits",)

    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str, now: float, limit: int, period: float, burst: int) -> ThrottleDecision:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] + period <= now:  # forget hits that left the window
            hits.popleft()
        if len(hits) >= limit:
            # Allowed again once all but limit - 1 hits have left (the oldest, unless limit was lowered meanwhile).
            retry_at = hits[len(hits) - limit] + period if limit else now + period
            return ThrottleDecision(0, retry_at - now)
        hits.append(now)
        return ThrottleDecision(limit - len(hits))


class LeakyBucketThrottle:
    """nginx ``limit_req`` with ``burst`` and ``nodelay``, counted in requests (nginx counts in thousandths).

    Per key the bucket keeps ``excess`` and ``last`` (the clock value of the last allowed request); it drains at
    ``r = limit / period`` requests a second. A request arriving at ``now`` would fill it to
    ``excess' = max(0, excess - r * (now - last)) + 1`` (a key never seen starts from ``excess = 0``). It is allowed
    when ``excess' <= burst + 1``, and then ``excess, last = excess', now``; else it is rejected and nothing is
    stored. So ``burst + 1`` requests may come at once, then one every ``1 / r`` seconds. This ``excess'`` is nginx's
    own plus one (it counts the request being served too): nginx rejects when its excess exceeds ``burst``, the same
    requests. ``remaining = max(0, floor(burst + 1 - excess'))``; a rejected request waits
    ``retry_after = (excess' - (burst + 1)) / r`` seconds, until the bucket has drained enough to hold it.
    """

    __slots__ = ("_buckets",)

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (excess, last)

    def hit(self, key: str, now: float, limit: int, period: float, burst: int) -> ThrottleDecision:
        if limit == 0:
            return ThrottleDecision(0, period)
        rate = limit / period
        excess, last = self._buckets.get(key, (0.0, now))
        excess = max(0.0, excess - rate * (now - last)) + 1
        capacity = burst + 1
        if excess > capacity:
            return ThrottleDecision(0, (excess - capacity) / rate)
        self._buckets[key] = (excess, now)
        return ThrottleDecision(max(0, math.floor(capacity - excess)))


THROTTLES: dict[ThrottleName, Callable[[], Throttle]] = {
    "fixed-window": FixedWindowThrottle,
    "sliding-window": SlidingWindowThrottle,
    "leaky-bucket": LeakyBucketThrottle,
}
