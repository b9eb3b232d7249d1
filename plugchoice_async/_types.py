"""Small shared types: timeouts, request parameters, and the protocol resources talk to."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import attrs

from .exceptions import ConfigurationError

__all__ = ["Auth", "Params", "Requester", "Timeout", "TokenFetcher", "Upload"]

Params = Mapping[str, str | int | float]


def _seconds(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise ConfigurationError(f"Timeout.{attribute.name} must be None or a finite number > 0, got {value!r}")


@attrs.frozen(kw_only=True)
class Timeout:
    """Per-attempt timeouts in seconds (None = no limit).

    They start when the attempt really sends: time spent waiting for a
    concurrency slot or for the rate limiter is not counted.

    * ``total``: the whole attempt, from sending to the last byte of the answer.
    * ``connect``: opening the TCP/TLS connection.
    * ``read``: the longest pause between two reads of the answer.

    A value that is not None or a finite number above 0 raises ``ConfigurationError``.
    """

    total: float | None = attrs.field(default=30.0, validator=_seconds)
    connect: float | None = attrs.field(default=10.0, validator=_seconds)
    read: float | None = attrs.field(default=30.0, validator=_seconds)

    @classmethod
    def of(cls, value: float | Timeout) -> Timeout:
        """Accept a number (the total, with connect capped at 10 s) or a ``Timeout``.

        Anything else, or a number that is not finite and above 0, raises ``ConfigurationError``.
        """
        if isinstance(value, Timeout):
            return value
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
            raise ConfigurationError(f"timeout must be a finite number of seconds > 0 or a Timeout, got {value!r}")
        seconds = float(value)
        return cls(total=seconds, connect=min(seconds, 10.0), read=seconds)


def _content_repr(content: bytes) -> str:
    return f"<{len(content)} bytes>"


@attrs.frozen(kw_only=True)
class Upload:
    """One file sent as ``multipart/form-data`` (the CSV imports).

    The resource checks size and name before building it; the pipeline encodes it. Its repr shows
    the content's length only.
    """

    field: str
    filename: str
    content: bytes = attrs.field(repr=_content_repr)
    content_type: str = "text/csv"


class Requester(Protocol):
    """What resources need from the client: one API call in, decoded JSON out.

    ``path`` is relative to the base URL (segments already percent-encoded) or an
    absolute URL on the same origin (pagination links). ``action`` marks a live
    charger command (a 504 then means "outcome unknown"). ``upload`` sends one file as
    ``multipart/form-data`` instead of a JSON body. ``anonymous`` sends no credential (public
    charging, where a session token in the path is the credential). Errors are raised as
    ``PlugchoiceError`` subclasses; retries and rate limiting happen inside (the
    client's request pipeline, over its ``Transport``).
    """

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        action: bool = False,
        upload: Upload | None = None,
        anonymous: bool = False,
    ) -> Any:
        """Send one call (with retries) and return its decoded JSON body (None when empty)."""
        ...


#: Sends a form to the OAuth token endpoint and returns the decoded JSON answer (the pipeline provides it).
TokenFetcher = Callable[[str, Mapping[str, str]], Awaitable[Any]]


class Auth(Protocol):
    """Renewable credentials (OAuth): the pipeline asks for the header and reports 401s."""

    async def authorization(self, fetch: TokenFetcher, token_url: str) -> str:
        """The ``Authorization`` header value to send now (fetching a token when due)."""
        ...

    async def refresh_after_401(self, used: str, fetch: TokenFetcher, token_url: str) -> None:
        """A request sent with ``used`` was answered 401: renew, unless that already happened."""
        ...
