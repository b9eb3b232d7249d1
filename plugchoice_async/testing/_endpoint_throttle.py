"""The emulator's per-endpoint throttles: the routes the API gives budgets of their own.

Laravel's ``throttle:N,1`` on a route, in fixed windows, beside the user's 500 a minute: setup
once per 60 s per charger, site invitations and the Chargee meter 5 a minute per user, public
charging 3 starts, 30 reads and 10 confirms, stops or cancels a minute per client address. A
refused request gets Laravel's 429 with this route's ``X-RateLimit-Limit``, ``Remaining: 0`` and
``Retry-After``. ``period`` scales every window (tests use 1 s instead of 60 s).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Final

from ._ratelimit import FixedWindowThrottle

__all__ = ["ENDPOINT_THROTTLES", "EndpointThrottles", "RouteRefusal"]


@dataclass(frozen=True, slots=True)
class _Route:
    name: str
    method: str
    pattern: re.Pattern[str]
    limit: int
    per_address: bool = False  # public charging: no user, counted per client address


_SEG: Final = r"[^/]+"

#: name, method, path pattern (relative to /api/v3; a ``key`` group gives each value its own window), limit.
ENDPOINT_THROTTLES: Final = (
    _Route("setup", "POST", re.compile(rf"/chargers/(?P<key>{_SEG})/setup"), 1),
    _Route("invitations", "POST", re.compile(rf"/sites/{_SEG}/teams/invite"), 5),
    _Route("chargee", "GET", re.compile(rf"/meters/chargee/{_SEG}"), 5),
    _Route("public-start", "POST", re.compile("/public-charging/sessions"), 3, per_address=True),
    _Route("public-read", "GET", re.compile("/public-charging/.+"), 30, per_address=True),
    _Route(
        "public-change",
        "POST",
        re.compile(rf"/public-charging/sessions/{_SEG}/(?:confirm|stop|cancel)"),
        10,
        per_address=True,
    ),
)


@dataclass(frozen=True, slots=True)
class RouteRefusal:
    """A 429 of a route's own budget: its limit and the whole seconds to wait."""

    name: str
    limit: int
    retry_after: int


class EndpointThrottles:
    """Fixed windows for the routes of :data:`ENDPOINT_THROTTLES`."""

    def __init__(self, period: float = 60.0) -> None:
        self.period = period
        self.refused = 0
        self._windows = FixedWindowThrottle()

    def hit(self, method: str, path: str, caller: str | None, address: str, now: float) -> RouteRefusal | None:
        """Count a request to ``method path`` (relative to the API root); its refusal when over its route's budget."""
        for route in ENDPOINT_THROTTLES:
            if route.method != method:
                continue
            match = route.pattern.fullmatch(path)
            if match is None:
                continue
            who = address if route.per_address else caller
            if who is None:
                return None  # unauthenticated: refused by auth before any budget is spent
            key = f"{route.name}|{who}|{match.groupdict().get('key') or ''}"
            decision = self._windows.hit(key, now, route.limit, self.period, 1)
            if decision.retry_after is None:
                return None
            self.refused += 1
            return RouteRefusal(route.name, route.limit, max(1, math.ceil(decision.retry_after)))
        return None
