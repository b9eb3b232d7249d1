"""Counters a client keeps about its own traffic, and the event its hooks receive."""

from __future__ import annotations

import attrs

__all__ = ["ClientStats", "RequestEvent"]


@attrs.define(kw_only=True)
class ClientStats:
    """Live counters of one client (and its ``with_options`` copies).

    ``requests`` counts attempts sent (retries included); ``retries`` counts retries
    by cause ("429", "503", "timeout", "connection", ...); ``rate_limited`` counts
    429 answers and ``requeued`` how many of them the rate limiter sent again
    (outside the retry policy); ``limiter_wait`` is the total seconds requests waited for the
    client-side rate limiter; ``peak_in_flight`` is the most requests on the wire
    at once.
    """

    requests: int = 0
    retries: dict[str, int] = attrs.field(factory=dict)
    rate_limited: int = 0
    requeued: int = 0
    limiter_wait: float = 0.0
    in_flight: int = 0
    peak_in_flight: int = 0

    @property
    def total_retries(self) -> int:
        """All retries, whatever their cause."""
        return sum(self.retries.values())

    def count_retry(self, cause: str) -> None:
        """Count one retry after ``cause``."""
        self.retries[cause] = self.retries.get(cause, 0) + 1


@attrs.frozen(kw_only=True)
class RequestEvent:
    """What a hook hears after each attempt: method, path, status (None: no answer), seconds taken,
    the server's ``X-RateLimit-Limit`` / ``X-RateLimit-Remaining`` on that answer if it sent them,
    the attempt's number (1, then 2, ... for retries; a re-queue after a 429 keeps its number) and
    the server's request id (``X-Request-Id``), if any."""

    method: str
    path: str
    status: int | None
    elapsed: float
    rate_limit: int | None = None
    rate_limit_remaining: int | None = None
    attempt: int = 1
    request_id: str | None = None
