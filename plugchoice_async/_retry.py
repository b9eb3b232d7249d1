"""Retry rules as data: which failures are retried, how long to wait, and the retry budget.

The request pipeline (``_transport``) makes the first attempt directly; only after a
retryable failure does it hand the request to the ``tenacity.AsyncRetrying`` built here
(``RetryRun.retrying``), which is given that failure as attempt 1 and drives the rest.
This keeps tenacity off the hot path (entering ``AsyncRetrying`` costs about 90 us, half
of a whole request's CPU) while every retry decision still goes through one policy.

Rules:

* never retried: ``asyncio.CancelledError`` (and anything that is not a
  ``PlugchoiceError`` of the kinds below), a server delay above ``max_retry_after``.
* idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS): connection errors, timeouts,
  408, 429, 500, 502, 503, 504.
* other methods (POST charger commands): only when the request provably never reached
  the server (``APIConnectionError.request_sent`` is False) or was refused unprocessed (429).
* wait: the server's delay (``retry-after-ms``, ``Retry-After``, ``X-RateLimit-Reset``)
  when it gave one, else full-jitter exponential backoff: ``uniform(0, min(cap, base * 2**n))``.
* budget: each retry spends tokens from a client-wide ``RetryBudget``; successes refund.
  When it is spent, failures surface at once instead of piling retries onto a failing server.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Awaitable, Callable
from typing import Any, Final

import attrs
import tenacity

from ._http import parse_retry_after
from .exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ConfigurationError,
    PlugchoiceError,
    RateLimitError,
)

__all__ = [
    "IDEMPOTENT_METHODS",
    "RETRYABLE_STATUSES",
    "RetryBudget",
    "RetryPolicy",
    "RetryRun",
    "retry_cause",
]

logger: Final = logging.getLogger("plugchoice_async")

IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRYABLE_STATUSES: Final = frozenset({408, 429, 500, 502, 503, 504})


def _count(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        name = f"{type(instance).__name__}.{attribute.name}"
        raise ConfigurationError(f"{name} must be a whole number >= 0, got {value!r}")


def _duration(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        name = f"{type(instance).__name__}.{attribute.name}"
        raise ConfigurationError(f"{name} must be a finite number of seconds >= 0, got {value!r}")


def _callable(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not callable(value):
        raise ConfigurationError(f"{type(instance).__name__}.{attribute.name} must be callable, got {value!r}")


@attrs.define(on_setattr=attrs.setters.NO_OP)  # checked when built; ``available`` changes per request
class RetryBudget:
    """A client-wide retry quota, in the spirit of botocore's standard retry mode.

    A retry costs ``retry_cost`` tokens (``timeout_cost`` after a timeout or a dropped
    connection); a success refunds what its own retries cost, or ``success_refund``
    when it needed none. Starting full at ``capacity``: with the defaults, 100 retries
    can run back to back before the budget is empty, and then errors surface at once
    until successes have refilled it.
    """

    capacity: int = attrs.field(default=500, validator=_count)
    retry_cost: int = attrs.field(default=5, validator=_count)
    timeout_cost: int = attrs.field(default=10, validator=_count)
    success_refund: int = attrs.field(default=1, validator=_count)
    available: int = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.available = self.capacity

    def cost(self, exc: BaseException) -> int:
        """Tokens one retry after ``exc`` costs."""
        return self.timeout_cost if isinstance(exc, APIConnectionError) else self.retry_cost

    def try_acquire(self, exc: BaseException) -> int | None:
        """Take the tokens for one retry; None when the budget cannot pay for it."""
        cost = self.cost(exc)
        if cost > self.available:
            return None
        self.available -= cost
        return cost

    def refund(self, spent: int) -> None:
        """Give tokens back after a success (``spent`` = what its retries cost, 0 if none)."""
        self.available = min(self.capacity, self.available + (spent or self.success_refund))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, APIStatusError):
        return f"HTTP {exc.status}"
    if isinstance(exc, APITimeoutError):
        return "timeout"
    if isinstance(exc, APIConnectionError):
        return "connection error"
    return type(exc).__name__


def retry_cause(exc: BaseException) -> str:
    """A short, stable label for a retry's cause (used by logs and stats): "429", "503", "timeout"..."""
    if isinstance(exc, APIStatusError):
        return str(exc.status)
    if isinstance(exc, APITimeoutError):
        return "timeout"
    if isinstance(exc, APIConnectionError):
        return "connection"
    return type(exc).__name__


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """When and how long to retry: ``PlugchoiceClient(retry=RetryPolicy(...))``.

    Immutable; one per client (``with_options`` makes another). ``max_retries`` retries
    follow the first attempt; the wait before retry ``n`` is the server's delay when it
    gave one (up to ``max_retry_after``: a longer one is raised at once), else
    ``random(0, min(backoff_cap, backoff_base * 2 ** (n - 1)))``. ``random`` can be
    replaced for tests; so can the sleep, with ``PlugchoiceClient(sleep=...)``.
    Wrong types or negative values raise ``ConfigurationError``.
    """

    max_retries: int = attrs.field(default=3, validator=_count)
    backoff_base: float = attrs.field(default=0.5, validator=_duration)
    backoff_cap: float = attrs.field(default=8.0, validator=_duration)
    max_retry_after: float = attrs.field(default=60.0, validator=_duration)
    random: Callable[[float, float], float] = attrs.field(default=random.uniform, repr=False, validator=_callable)

    def server_delay(self, exc: BaseException) -> float | None:
        """The delay the server asked for in this error answer, if any."""
        if isinstance(exc, RateLimitError):
            return exc.retry_after
        if isinstance(exc, APIStatusError):
            return parse_retry_after(exc.headers)
        return None

    def is_retryable(self, exc: BaseException, method: str) -> bool:
        """Whether ``exc`` from a ``method`` request may be retried (budget aside)."""
        if not isinstance(exc, PlugchoiceError):
            return False  # CancelledError, programming errors: never
        idempotent = method in IDEMPOTENT_METHODS
        if isinstance(exc, APIConnectionError):
            return idempotent or not exc.request_sent
        if isinstance(exc, APIStatusError):
            if exc.status not in RETRYABLE_STATUSES:
                return False
            if not idempotent and exc.status != 429:
                return False
            delay = self.server_delay(exc)
            return delay is None or delay <= self.max_retry_after
        return False

    def backoff(self, retry_number: int) -> float:
        """Full-jitter exponential backoff before retry ``retry_number`` (1-based)."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** (retry_number - 1)))
        return self.random(0.0, ceiling)

    def delay(self, exc: BaseException, retry_number: int) -> float:
        """Seconds to wait before retry ``retry_number`` after ``exc``: the server's delay first."""
        server = self.server_delay(exc)
        if server is not None:
            return server
        return self.backoff(retry_number)


@attrs.define
class RetryRun:
    """The retries of one request that already failed once: tenacity's callbacks and what they spent.

    ``retrying()`` builds the ``tenacity.AsyncRetrying``; the caller replays the first
    failure as attempt 1. Budget tokens are taken for each retry and counted in
    ``spent`` so a final success can refund them; ``on_retry(exc, delay)`` hears of each retry.
    """

    policy: RetryPolicy
    method: str
    path: str
    budget: RetryBudget | None
    sleep: Callable[[float], Awaitable[None]]
    on_retry: Callable[[BaseException, float], None] | None = None
    retry_429: bool = True  # False when a rate limiter re-queues 429s itself
    spent: int = 0

    def _should_retry(self, state: tenacity.RetryCallState) -> bool:
        outcome = state.outcome
        if outcome is None or not outcome.failed:
            return False
        exc = outcome.exception()
        if exc is None or not self.policy.is_retryable(exc, self.method):
            return False
        if not self.retry_429 and isinstance(exc, RateLimitError):
            return False
        if state.attempt_number > self.policy.max_retries:
            return False
        if self.budget is not None:
            cost = self.budget.try_acquire(exc)
            if cost is None:
                logger.warning(
                    "retry budget exhausted: not retrying %s %s after %s",
                    self.method,
                    self.path,
                    _describe(exc),
                )
                return False
            self.spent += cost
        return True

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        assert exc is not None
        return self.policy.delay(exc, state.attempt_number)

    def _before_sleep(self, state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        assert exc is not None
        delay = state.upcoming_sleep
        logger.info(
            "retrying %s %s (attempt %d of %d) after %s in %.2f s",
            self.method,
            self.path,
            state.attempt_number + 1,
            self.policy.max_retries + 1,
            _describe(exc),
            delay,
        )
        if self.on_retry is not None:
            self.on_retry(exc, delay)

    def retrying(self) -> tenacity.AsyncRetrying:
        """The tenacity retryer; attempts are counted (and the budget spent) by ``_should_retry``."""
        return tenacity.AsyncRetrying(
            sleep=self.sleep,
            retry=self._should_retry,
            wait=self._wait,
            stop=tenacity.stop_never,
            before_sleep=self._before_sleep,
            reraise=True,
        )
