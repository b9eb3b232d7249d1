"""Per-endpoint rate limits: the few routes with a budget of their own, paced beside the user's.

The API gives some routes their own limits on top of (or, for public charging, instead of) the
500-a-minute budget of the user: charger setup once per 60 s per charger, site invitations and
the Chargee meter 5 a minute, public charging 3 session starts, 30 reads and 10 confirms, stops or
cancels a minute (per IP, with no user). Each such budget is paced by its own
:class:`~plugchoice_async._ratelimit.LocalRateLimiter` (the same algorithm as the user's budget),
so that:

* a call waits for its route's budget **before** it takes a concurrency slot or a ticket of the
  user's budget: a queue of invitations never holds back the requests of everything else;
* the spacing is kept again at the moment of sending: calls that queued behind the user's budget
  and are let go together still reach the server one interval apart (each such call waits with
  its slot, for at most one route interval);
* the answers of these routes teach the user's limiter nothing (their ``X-RateLimit-*`` headers
  may describe the route's budget or the user's), and a 429 from one of them teaches the route
  only its ``Retry-After``, pausing and re-queueing that route alone;
* public charging routes take no ticket of the user's budget at all (``user_budget=False``), and
  no anonymous call touches the user's limiter.

The budgets are in-process: processes sharing a token through Redis share the user's budget, not
these (a 429 from the server is still re-queued by the route's limiter, which learns from it).
Keyed budgets (setup: one per charger) are kept for the 4,096 most recently used keys.
"""

from __future__ import annotations

import asyncio
import collections
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Final

import attrs

from ._http import _header
from ._ratelimit import LocalRateLimiter, RateLimit, RateLimiter, Ticket, _positive_int, _positive_number
from .exceptions import ConfigurationError

__all__ = ["DEFAULT_ENDPOINT_LIMITS", "EndpointGate", "EndpointLimit", "EndpointLimiters"]

#: Keyed budgets remembered at most (least recently used forgotten first).
MAX_KEYS: Final = 4096


def _check_pattern(instance: EndpointLimit, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"EndpointLimit.pattern must be a regular expression (a non-empty str), got {value!r}")
    try:
        re.compile(value)
    except re.error as exc:
        raise ConfigurationError(f"EndpointLimit.pattern {value!r} is not a regular expression: {exc}") from None


def _check_method(instance: EndpointLimit, attribute: attrs.Attribute[str], value: object) -> None:
    if value not in _METHODS:
        raise ConfigurationError(f"EndpointLimit.method must be one of {', '.join(_METHODS)}, got {value!r}")


def _check_name(instance: EndpointLimit, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip() or not value.isprintable():
        raise ConfigurationError(f"EndpointLimit.name must be a non-empty printable str, got {value!r}")


def _check_flag(instance: EndpointLimit, attribute: attrs.Attribute[bool], value: object) -> None:
    if not isinstance(value, bool):
        raise ConfigurationError(f"EndpointLimit.{attribute.name} must be True or False, got {value!r}")


_METHODS: Final = ("GET", "POST", "PUT", "PATCH", "DELETE")


@attrs.frozen(kw_only=True)
class EndpointLimit:
    """A route with a budget of its own.

    Attributes:
        name: what errors and logs call it (``"setup"``, ``"invitations"``, ...).
        method: the HTTP method it applies to, in capitals (``"GET"``, ``"POST"``, ...).
        pattern: a regular expression matched in full against the path relative to the base URL,
            without the query (``/chargers/<uuid>/setup``; pagination links are matched by their
            path too); a group named ``key`` gives each of its values its own budget (setup: one
            per charger).
        max_requests: requests allowed per ``period`` seconds.
        period: the length of the window, in seconds.
        user_budget: whether the call also spends the user's budget (False for public charging,
            which has no user: the server counts it per IP).
    """

    name: str = attrs.field(validator=_check_name)
    method: str = attrs.field(validator=_check_method)
    pattern: str = attrs.field(validator=_check_pattern)
    max_requests: int = attrs.field(validator=_positive_int)
    period: float = attrs.field(validator=_positive_number)
    user_budget: bool = attrs.field(default=True, validator=_check_flag)


_SEG: Final = r"[^/]+"

#: The per-endpoint limits the API documents.
DEFAULT_ENDPOINT_LIMITS: Final = (
    EndpointLimit(name="setup", method="POST", pattern=rf"/chargers/(?P<key>{_SEG})/setup", max_requests=1, period=60),
    EndpointLimit(name="invitations", method="POST", pattern=rf"/sites/{_SEG}/teams/invite", max_requests=5, period=60),
    EndpointLimit(name="chargee meter", method="GET", pattern=rf"/meters/chargee/{_SEG}", max_requests=5, period=60),
    EndpointLimit(
        name="public charging start",
        method="POST",
        pattern="/public-charging/sessions",
        max_requests=3,
        period=60,
        user_budget=False,
    ),
    EndpointLimit(
        name="public charging read",
        method="GET",
        pattern="/public-charging/.+",
        max_requests=30,
        period=60,
        user_budget=False,
    ),
    EndpointLimit(
        name="public charging session change",
        method="POST",
        pattern=rf"/public-charging/sessions/{_SEG}/(?:confirm|stop|cancel)",
        max_requests=10,
        period=60,
        user_budget=False,
    ),
)


@attrs.define(eq=False)
class _Route:
    """One route budget (one key of a keyed route): its limiter and when it last really sent."""

    limiter: LocalRateLimiter
    last_sent: float | None = None


class EndpointGate:
    """One call's passage through its route's budget (and the user's): a ``RateLimiter`` for one request.

    ``reserve`` waits for the route's budget before the call takes a slot; the transport then uses
    the gate as the call's limiter: ``acquire`` hands out the reserved ticket (or waits again after
    a 429), takes the user's ticket, and keeps the route's spacing at the moment of sending;
    ``record`` tells both.
    """

    def __init__(
        self,
        limit: EndpointLimit,
        route: _Route,
        user: RateLimiter | None,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.limit = limit
        self._route = route
        self._user = user if limit.user_budget else None
        self._clock = clock
        self._sleep = sleep
        self._reserved: Ticket | None = None
        self._route_ticket: Ticket | None = None

    def __repr__(self) -> str:
        return f"<EndpointGate {self.limit.name!r}>"

    async def reserve(self) -> None:
        """Wait until the route's budget allows one more call (raises ``PauseTooLong`` like a limiter)."""
        self._reserved = await self._route.limiter.acquire()

    def abandon(self) -> None:
        """Give back a reserved ticket that was never used (the call failed or was cancelled first)."""
        if self._reserved is not None:
            self._route.limiter.state.give_back(self._reserved)
            self._reserved = None

    async def acquire(self, delay: float = 0.0) -> Ticket:
        """The route's ticket (the reserved one first), the user's ticket, then the route's spacing.

        Calls reserved one interval apart may still reach the wire together: several that queued
        behind the user's budget are let go within milliseconds of each other. So the spacing is
        kept once more at the moment of sending: a call sent less than one route interval after the
        route's last one waits for the rest of it (with its slot and the user's ticket; at most one
        interval for each call that queued so), and a fixed window never sees more than the limit.
        """
        limiter = self._route.limiter
        if self._reserved is not None and delay <= 0:
            self._route_ticket, self._reserved = self._reserved, None
        else:
            self.abandon()
            self._route_ticket = await limiter.acquire(delay)
        ticket = self._route_ticket
        user = None
        try:
            if self._user is not None:
                user = await self._user.acquire()
            # Claimed before waiting, so that calls let go together line up one interval apart.
            now = self._clock()
            last = self._route.last_sent
            send_at = now if last is None else max(now, last + limiter.state.interval(now))
            self._route.last_sent = send_at
            if send_at > now:
                await self._sleep(send_at - now)
        except BaseException:
            limiter.state.give_back(ticket)
            self._route_ticket = None
            if user is not None and self._user is not None:
                await self._user.record(user, None, None)
            raise
        return ticket if user is None else user

    async def record(self, ticket: Ticket, status: int | None, headers: Mapping[str, str] | None) -> float | None:
        """The route learns from its 429s only, and from their ``Retry-After`` only; the user's budget
        counts the call and learns nothing.

        Whose budget an answer's ``X-RateLimit-*`` describe is not known on these routes (the user's
        500, or the route's 5): the route keeps its configured limit and waits as long as it is told.
        """
        route_ticket, self._route_ticket = self._route_ticket, None
        if self._user is not None:
            await self._user.record(ticket, None, None)
        if route_ticket is None:
            return None
        told: Mapping[str, str] | None = None
        if status == 429:
            retry_after = None if headers is None else _header(headers, "Retry-After")
            told = {} if retry_after is None else {"Retry-After": retry_after}
        return await self._route.limiter.record(route_ticket, status, told)

    async def aclose(self) -> None:
        """Nothing to release: the route limiters belong to :class:`EndpointLimiters`."""


class EndpointLimiters:
    """The route budgets of one client: which call has one, and its limiter."""

    def __init__(
        self,
        limits: Iterable[EndpointLimit],
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limits = tuple(limits)
        for limit in self.limits:
            if not isinstance(limit, EndpointLimit):
                raise ConfigurationError(f"endpoint_limits must hold EndpointLimit objects, got {limit!r}")
        self._compiled = tuple((limit, re.compile(limit.pattern)) for limit in self.limits)
        #: Whether any limit is on a GET: when none is (the default table has two), the hot path of
        #: GETs skips the matching altogether.
        self.limits_gets = any(limit.method == "GET" for limit in self.limits)
        self._clock = clock
        self._wall_clock = wall_clock
        self._sleep = sleep
        self._routes: collections.OrderedDict[tuple[EndpointLimit, str], _Route] = collections.OrderedDict()

    def __repr__(self) -> str:
        return f"<EndpointLimiters {[limit.name for limit in self.limits]}>"

    def gate(self, method: str, path: str, user: RateLimiter | None) -> EndpointGate | None:
        """The gate of a call to ``method path`` (relative to the base URL), or None if it has no own budget."""
        for limit, pattern in self._compiled:
            if limit.method != method:
                continue
            match = pattern.fullmatch(path)
            if match is None:
                continue
            key = match.groupdict().get("key") or ""
            return EndpointGate(limit, self._route(limit, key), user, self._clock, self._sleep)
        return None

    def _route(self, limit: EndpointLimit, key: str) -> _Route:
        slot = (limit, key)  # by the whole limit: two limits that share a name keep budgets of their own
        route = self._routes.get(slot)
        if route is None:
            # The default burst of so small a limit is 1: calls are spaced evenly over the period,
            # which no window shape refuses (five invitations take about 49 s, with no 429).
            config = RateLimit(max_requests=limit.max_requests, period=limit.period)
            limiter = LocalRateLimiter(config, clock=self._clock, wall_clock=self._wall_clock, sleep=self._sleep)
            route = self._routes[slot] = _Route(limiter)
            while len(self._routes) > MAX_KEYS:
                self._routes.popitem(last=False)
        else:
            self._routes.move_to_end(slot)
        return route
