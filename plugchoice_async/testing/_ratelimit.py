"""Laravel's ``throttle`` middleware: a fixed window of hits per key (here, per token)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FixedWindowLimiter", "RateDecision"]


@dataclass(frozen=True, slots=True)
class RateDecision:
    """The limiter's verdict on one request."""

    allowed: bool
    limit: int
    remaining: int
    window_end: float  # clock value at which the current window expires


@dataclass(slots=True)
class _Window:
    end: float
    hits: int


class FixedWindowLimiter:
    """Fixed windows per key.

    A window opens at the first request after the previous one expired and lasts ``period`` seconds.
    An allowed request counts one hit; once ``limit`` hits are counted the rest of the window is
    rejected, and rejected requests neither count nor extend the window (as Laravel's limiter).
    """

    __slots__ = ("_windows",)

    def __init__(self) -> None:
        self._windows: dict[str, _Window] = {}

    def hit(self, key: str, now: float, limit: int, period: float) -> RateDecision:
        """Count a request for ``key`` at clock value ``now`` and say whether it may go on."""
        window = self._windows.get(key)
        if window is None or now >= window.end:
            window = self._windows[key] = _Window(now + period, 0)
        if window.hits >= limit:
            return RateDecision(False, limit, 0, window.end)
        window.hits += 1
        return RateDecision(True, limit, limit - window.hits, window.end)
