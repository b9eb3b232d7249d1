"""Small shared types: timeouts, request stats and the transport seam resources talk to."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import attrs

__all__ = ["Auth", "Params", "Timeout", "TokenFetcher", "Transport"]

Params = Mapping[str, str | int | float]


@attrs.frozen(kw_only=True)
class Timeout:
    """Per-attempt timeouts in seconds (None = no limit).

    They start when the attempt really sends: time spent waiting for a
    concurrency slot or for the rate limiter is not counted.

    * ``total``: the whole attempt, from sending to the last byte of the answer.
    * ``connect``: opening the TCP/TLS connection.
    * ``read``: the longest pause between two reads of the answer.
    """

    total: float | None = 30.0
    connect: float | None = 10.0
    read: float | None = 30.0

    @classmethod
    def of(cls, value: float | Timeout) -> Timeout:
        """Accept a number (the total, with connect capped at 10 s) or a ``Timeout``."""
        if isinstance(value, Timeout):
            return value
        seconds = float(value)
        if seconds <= 0:
            raise ValueError(f"timeout must be positive, got {value!r}")
        return cls(total=seconds, connect=min(seconds, 10.0), read=seconds)


class Transport(Protocol):
    """What resources need from the network: one request in, decoded JSON out.

    ``path`` is relative to the base URL (segments already percent-encoded) or an
    absolute URL on the same origin (pagination links). ``action`` marks a live
    charger command (a 504 then means "outcome unknown"). Errors are raised as
    ``PlugchoiceError`` subclasses; retries and rate limiting happen inside.
    """

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        action: bool = False,
    ) -> Any:
        """Send one request (with retries) and return its decoded JSON body (None when empty)."""
        ...


#: Sends a form to the OAuth token endpoint and returns the decoded JSON answer (the transport provides it).
TokenFetcher = Callable[[str, Mapping[str, str]], Awaitable[Any]]


class Auth(Protocol):
    """Renewable credentials (OAuth): the transport asks for the header and reports 401s."""

    async def authorization(self, fetch: TokenFetcher, token_url: str) -> str:
        """The ``Authorization`` header value to send now (fetching a token when due)."""
        ...

    async def refresh_after_401(self, used: str, fetch: TokenFetcher, token_url: str) -> None:
        """A request sent with ``used`` was answered 401: renew, unless that already happened."""
        ...
