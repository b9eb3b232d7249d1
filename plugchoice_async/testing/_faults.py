"""Injected faults, their FIFO queue, and the error bodies the emulator answers with."""

from __future__ import annotations

import http
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import orjson

__all__ = ["Fault", "FaultKind", "FaultQueue", "html_error_page", "json_error_body"]

FaultKind = Literal["status", "html", "drop", "truncate", "delay"]
_KINDS = frozenset(("status", "html", "drop", "truncate", "delay"))

# The messages Laravel (and the Plugchoice API) put in `{"message": ...}` for these statuses.
_MESSAGES = {
    401: "Unauthenticated.",
    403: "This action is unauthorized.",
    422: "The given data was invalid.",
    429: "Too Many Attempts.",
    500: "Server Error",
}


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def json_error_body(status: int, message: str | None = None) -> bytes:
    """A Laravel error body, ``{"message": ...}``, with the usual message for ``status`` by default."""
    if message is None:
        message = _MESSAGES.get(status) or f"{_phrase(status)}."
    return orjson.dumps({"message": message})


def html_error_page(status: int) -> bytes:
    """The HTML page nginx answers with when the application behind it fails (e.g. 502 Bad Gateway)."""
    title = f"{status} {_phrase(status)}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    ).encode()


@dataclass(frozen=True, slots=True)
class Fault:
    """A misbehaviour to inject into the next matching request(s).

    Kinds:

    - ``"status"``: answer ``status`` with a JSON body (``body``, or Laravel's ``{"message": ...}`` for it:
      ``"Server Error"`` for 500, ``"Gateway Timeout."`` for 504, ...).
    - ``"html"``: answer ``status`` with an nginx-style HTML error page (``text/html``). The status is used
      as given, so pass ``status=502`` for a "502 Bad Gateway" page.
    - ``"drop"``: close the TCP connection without sending a byte (the client sees a server disconnect).
      Note that aiohttp's client retries an idempotent request (GET, PUT, DELETE, ...) once on a fresh
      connection after such a disconnect: use ``times=2`` for a GET to really fail.
    - ``"truncate"``: send the answer the route would give, with its full ``Content-Length``, but only the
      first half of the body, then close the connection (the client sees a payload error).
    - ``"delay"``: wait ``delay`` seconds (with the emulator's ``sleep``), then answer normally.

    ``headers`` are added to the answer (e.g. ``{"Retry-After": "3"}``). A fault applies to at most ``times``
    requests whose method equals ``method`` and whose path relative to ``/api/v3`` starts with ``path``
    (``None`` matches anything).
    """

    kind: FaultKind
    status: int = 500
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict, hash=False)
    delay: float = 0.0
    times: int = 1
    method: str | None = None
    path: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {sorted(_KINDS)}")
        if not 100 <= self.status <= 599:
            raise ValueError(f"status must be an HTTP status code (100-599), got {self.status}")
        if self.times < 1:
            raise ValueError(f"times must be at least 1, got {self.times}")
        if self.delay < 0:
            raise ValueError(f"delay must not be negative, got {self.delay}")

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to a request (``path`` relative to ``/api/v3``)."""
        return (self.method is None or self.method.upper() == method) and (
            self.path is None or path.startswith(self.path)
        )


@dataclass(slots=True)
class _Pending:
    fault: Fault
    left: int


class FaultQueue:
    """Queued faults, consumed first-in first-out: a request takes the first one that matches it."""

    __slots__ = ("_pending",)

    def __init__(self) -> None:
        self._pending: list[_Pending] = []

    def __len__(self) -> int:
        """How many faults are queued."""
        return len(self._pending)

    def add(self, fault: Fault) -> None:
        """Queue ``fault`` behind the ones already queued."""
        self._pending.append(_Pending(fault, fault.times))

    def clear(self) -> None:
        """Forget every queued fault."""
        self._pending.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The first queued fault matching the request, using up one of its ``times``; None if none does."""
        for index, pending in enumerate(self._pending):
            if pending.fault.matches(method, path):
                pending.left -= 1
                if pending.left == 0:
                    del self._pending[index]
                return pending.fault
        return None
