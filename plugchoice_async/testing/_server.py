"""The emulator: a real aiohttp server answering like the Plugchoice API v3 (a Laravel application).

Every request goes through one pipeline, in this order:

1. arrival: logged (``at`` = clock value), counted in flight, ``latency`` slept;
2. auth: ``Authorization: Bearer <token>``, else 401 (not counted by the rate limiter, no rate headers);
3. rate limit: fixed window per token, else 429 with ``Retry-After`` and ``X-RateLimit-Reset``;
4. faults: the first queued :class:`Fault` matching the request, else the random ``error_rate`` errors;
5. the route table: a handler, or 404 / 405.

Route handlers are small methods registered in :meth:`PlugchoiceEmulator._add_routes`; the helpers
:func:`json_response`, :meth:`PlugchoiceEmulator._not_found` and :meth:`PlugchoiceEmulator._simple_page`
are shared by all of them.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import islice
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import urlencode

import orjson
from aiohttp import web

from ._faults import Fault, FaultQueue, html_error_page, json_error_body
from ._fleet import REFERENCE_EPOCH, format_timestamp, generate_chargers, generate_user
from ._ratelimit import FixedWindowLimiter
from ._router import Router

__all__ = ["LoggedRequest", "PlugchoiceEmulator", "json_response"]

_logger = logging.getLogger(__name__)

API_PREFIX = "/api/v3"
_REDACTED = "<redacted>"
_JSON = "application/json"
_LIST_OMITS = frozenset(("pincode", "connectors"))
_PER_PAGE = 25
_MAX_PER_PAGE = 100
_CHARGER_NOT_FOUND = json_error_body(404, "No query results for model [App\\Models\\Charger].")
_UNAUTHENTICATED = json_error_body(401)
_TOO_MANY_ATTEMPTS = json_error_body(429)
# stop() lets in-flight requests finish for this long, then cancels them (aiohttp waits twice: at most ~1 s).
_SHUTDOWN_TIMEOUT = 0.5

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    """One request the emulator received, with the status it answered (0: connection dropped).

    ``path`` is the full path (``/api/v3/chargers/<uuid>``), ``at`` the emulator clock on arrival, and
    ``headers`` the request headers with the ``Authorization`` value replaced by ``"<redacted>"``.
    """

    method: str
    path: str
    query: dict[str, str]
    status: int
    at: float
    body: bytes
    headers: dict[str, str]


def json_response(status: int, body: bytes) -> web.Response:
    """An ``application/json`` answer with an already serialized body."""
    return web.Response(status=status, body=body, content_type=_JSON)


def _bearer_token(authorization: str | None) -> str | None:
    if authorization is None or authorization[:7].lower() != "bearer ":
        return None
    return authorization[7:].strip()


def _redacted(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: _REDACTED if name.lower() == "authorization" else value for name, value in headers.items()}


def _int_param(query: Mapping[str, str], name: str, default: int) -> int:
    try:
        return int(query[name])
    except (KeyError, ValueError):
        return default


class PlugchoiceEmulator:
    """A local Plugchoice API v3 server with a generated fleet, for tests and demos.

    Use it as an async context manager (or call :meth:`start` and :meth:`stop`)::

        async with PlugchoiceEmulator(chargers=100) as emu:
            async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {emu.token}"}) as s:
                async with s.get(f"{emu.base_url}/chargers/{emu.uuids[0]}") as r:
                    charger = (await r.json())["data"]

    State is plain and mutable: ``chargers`` (uuid -> Get Charger document, in fleet order), ``user``,
    ``latency``, ``error_rate``, ``error_status``, ``rate_limit`` and ``rate_period`` may all be changed
    while it serves. Change charger documents with :meth:`set_charger`; after editing ``chargers``
    directly, call :meth:`invalidate` so the cached JSON is rebuilt. Observations: ``requests``,
    ``max_in_flight``, ``rate_limited``; :meth:`reset_stats` clears them.

    ``clock`` drives the rate-limit windows and ``LoggedRequest.at`` (inject a fake one to step time);
    ``X-RateLimit-Reset`` maps it to epoch seconds with the offset between ``time.time()`` and the
    clock taken at construction.
    """

    def __init__(
        self,
        chargers: int = 2000,
        *,
        token: str = "test-token",
        tokens: Iterable[str] = (),
        seed: int = 0,
        rate_limit: int | None = 500,
        rate_period: float = 60.0,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if chargers < 0:
            raise ValueError(f"chargers must not be negative, got {chargers}")
        accepted = frozenset((token, *tokens))
        if "" in accepted:
            raise ValueError("tokens must not be empty")
        if rate_limit is not None and rate_limit < 0:
            raise ValueError(f"rate_limit must be None or at least 0, got {rate_limit}")
        if rate_period <= 0:
            raise ValueError(f"rate_period must be positive, got {rate_period}")

        self.token = token
        self.chargers: dict[str, dict[str, Any]] = generate_chargers(chargers, seed)
        self.user: dict[str, Any] = generate_user(seed)
        self.rate_limit = rate_limit
        self.rate_period = rate_period
        self.latency = latency
        self.error_rate = 0.0
        self.error_status = 500
        self.max_in_flight = 0
        self.rate_limited = 0

        self._tokens = accepted
        self._host = host
        self._port = port
        self._clock = clock
        self._wall_offset = time.time() - clock()
        self._error_rng = random.Random(f"plugchoice-errors:{seed}")
        self._faults = FaultQueue()
        self._limiter = FixedWindowLimiter()
        self._in_flight = 0
        self._next_seq = 0
        self._log: dict[int, LoggedRequest | None] = {}  # arrival order; None while in flight
        self._documents: dict[str, bytes] = {}  # uuid -> serialized {"data": charger}
        self._list_items: dict[str, bytes] = {}  # uuid -> serialized list item
        self._runner: web.ServerRunner | None = None
        self._base_url: str | None = None
        self._router = Router()
        self._add_routes()

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind the socket and start serving."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        runner = web.ServerRunner(web.Server(self._handle, access_log=None), shutdown_timeout=_SHUTDOWN_TIMEOUT)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, self._port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        port = runner.addresses[0][1]
        host = f"[{self._host}]" if ":" in self._host else self._host
        self._base_url = f"http://{host}:{port}{API_PREFIX}"

    async def stop(self) -> None:
        """Stop serving and close every connection (requests still in flight after about a second are cut off)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """``http://<host>:<port>/api/v3`` (only while running)."""
        if self._base_url is None:
            raise RuntimeError("the emulator has not been started")
        return self._base_url

    # -- state and observations ------------------------------------------------------------------

    @property
    def uuids(self) -> list[str]:
        """Charger uuids in fleet order."""
        return list(self.chargers)

    @property
    def requests(self) -> list[LoggedRequest]:
        """Every answered request, in arrival order (requests still in flight are not listed yet)."""
        return [entry for entry in self._log.values() if entry is not None]

    def reset_stats(self) -> None:
        """Clear ``requests``, ``rate_limited`` and ``max_in_flight``."""
        self._log.clear()
        self.rate_limited = 0
        self.max_in_flight = self._in_flight

    def add_fault(self, fault: Fault) -> None:
        """Queue a fault; queued faults are used first-in first-out."""
        self._faults.add(fault)

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        self._faults.clear()

    def set_charger(
        self,
        uuid: str,
        *,
        connectors: Mapping[int, str | Mapping[str, Any]] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Update a charger's document in place and return it; the next answers show the change.

        ``fields`` are set on the document as given (an unknown name adds the field, which is how the
        API's additions can be emulated). ``connectors`` maps a connector number to its new status, or
        to a mapping of connector fields. ``updated_at`` becomes now, for the charger and each connector
        touched, unless given explicitly. Raises ``KeyError`` for an unknown uuid or connector number.
        """
        charger = self.chargers[uuid]
        stamp = format_timestamp(max(time.time(), REFERENCE_EPOCH))
        changes: list[tuple[dict[str, Any], Mapping[str, Any]]] = []
        if connectors:
            by_number = {connector["connector_id"]: connector for connector in charger["connectors"]}
            for number, change in connectors.items():
                if number not in by_number:
                    raise KeyError(f"charger {uuid} has no connector {number}")
                changes.append((by_number[number], {"status": change} if isinstance(change, str) else change))
        for connector, change in changes:
            connector["updated_at"] = stamp
            connector.update(change)
        charger["updated_at"] = stamp
        charger.update(fields)
        self.invalidate(uuid)
        return charger

    def invalidate(self, uuid: str | None = None) -> None:
        """Forget the cached JSON of one charger (or of all): needed after editing ``chargers`` directly."""
        if uuid is None:
            self._documents.clear()
            self._list_items.clear()
        else:
            self._documents.pop(uuid, None)
            self._list_items.pop(uuid, None)

    # -- the pipeline ----------------------------------------------------------------------------

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        at = self._clock()
        seq = self._next_seq
        self._next_seq = seq + 1
        self._log[seq] = None
        self._in_flight += 1
        if self._in_flight > self.max_in_flight:
            self.max_in_flight = self._in_flight
        status = 0
        body = b""
        try:
            body = await request.read()
            if self.latency > 0:
                await asyncio.sleep(self.latency)
            try:
                response, status = await self._answer(request, at)
            except Exception:
                _logger.exception("emulator failed on %s %s", request.method, request.path)
                response, status = json_response(500, json_error_body(500)), 500
            return response
        finally:
            self._in_flight -= 1
            if seq in self._log:  # not cleared by reset_stats meanwhile
                self._log[seq] = LoggedRequest(
                    request.method,
                    request.path,
                    dict(request.query),
                    status,
                    at,
                    body,
                    _redacted(request.headers),
                )

    async def _answer(self, request: web.BaseRequest, now: float) -> tuple[web.StreamResponse, int]:
        token = _bearer_token(request.headers.get("Authorization"))
        if token is None or token not in self._tokens:
            return json_response(401, _UNAUTHENTICATED), 401

        headers: dict[str, str] = {}
        limit = self.rate_limit
        if limit is not None:
            decision = self._limiter.hit(token, now, limit, self.rate_period)
            headers["X-RateLimit-Limit"] = str(limit)
            headers["X-RateLimit-Remaining"] = str(decision.remaining)
            if not decision.allowed:
                self.rate_limited += 1
                headers["Retry-After"] = str(math.ceil(decision.window_end - now))
                headers["X-RateLimit-Reset"] = str(math.ceil(decision.window_end + self._wall_offset))
                response = json_response(429, _TOO_MANY_ATTEMPTS)
                response.headers.update(headers)
                return response, 429

        path = request.path
        relative = path[len(API_PREFIX) :] if path.startswith(API_PREFIX + "/") else None
        fault = self._faults.take(request.method, path if relative is None else relative)
        if fault is not None:
            if fault.kind == "html":  # the proxy in front answers: no application headers
                body = html_error_page(fault.status) if fault.body is None else fault.body
                response = web.Response(status=fault.status, body=body, content_type="text/html")
                response.headers.update(fault.headers)
                return response, fault.status
            if fault.kind == "drop":
                return self._drop(request), 0
            headers.update(fault.headers)
            if fault.kind == "status":
                body = json_error_body(fault.status) if fault.body is None else fault.body
                response = json_response(fault.status, body)
                response.headers.update(headers)
                return response, fault.status
            if fault.kind == "delay":
                await asyncio.sleep(fault.delay)
        elif self.error_rate > 0 and self._error_rng.random() < self.error_rate:
            response = json_response(self.error_status, json_error_body(self.error_status))
            response.headers.update(headers)
            return response, self.error_status

        response = await self._route(request, relative)
        response.headers.update(headers)
        if fault is not None and fault.kind == "truncate":
            return self._truncate(request, response), response.status
        return response, response.status

    @staticmethod
    def _drop(request: web.BaseRequest) -> web.StreamResponse:
        """Close the connection without answering (FIN, no bytes).

        aiohttp then fails to write the returned placeholder and treats it as a client gone away.
        """
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=204)

    @staticmethod
    def _truncate(request: web.BaseRequest, response: web.Response) -> web.StreamResponse:
        """Send ``response`` with its full Content-Length but half its body, then close the connection."""
        body = response.body
        assert isinstance(body, bytes)
        lines = [f"HTTP/1.1 {response.status} {response.reason}"]
        lines += (f"{name}: {value}" for name, value in response.headers.items() if name != "Content-Length")
        lines += (f"Content-Length: {len(body)}", "Connection: close", "", "")
        if request.transport is not None:
            request.transport.write("\r\n".join(lines).encode("latin-1") + body[: len(body) // 2])
            request.transport.close()
        return web.Response(status=204)

    async def _route(self, request: web.BaseRequest, relative: str | None) -> web.Response:
        if relative is not None:
            found = self._router.resolve(request.method, relative)
            if found.handler is not None:
                return await found.handler(request, found.params)
            if found.allowed:
                route = request.path.lstrip("/")
                message = (
                    f"The {request.method} method is not supported for route {route}. "
                    f"Supported methods: {', '.join(found.allowed)}."
                )
                response = json_response(405, json_error_body(405, message))
                response.headers["Allow"] = ", ".join(found.allowed)
                return response
        return self._not_found(f"The route {request.path.lstrip('/')} could not be found.")

    # -- shared helpers for handlers -------------------------------------------------------------

    @staticmethod
    def _not_found(message: str) -> web.Response:
        return json_response(404, json_error_body(404, message))

    @staticmethod
    def _simple_page(request: web.BaseRequest, rows: Iterable[_T], encode: Callable[[_T], bytes]) -> web.Response:
        """Laravel's simple paginator (``links.last`` null, no totals) over ``rows``, ``page``/``per_page``.

        Page links are absolute, built from the request's host, and keep the other query parameters.
        """
        query = request.query
        page = _int_param(query, "page", 1)
        if page < 1:
            page = 1
        per_page = min(max(_int_param(query, "per_page", _PER_PAGE), 1), _MAX_PER_PAGE)
        offset = (page - 1) * per_page
        window = list(islice(rows, offset, offset + per_page + 1))
        items = [encode(row) for row in window[:per_page]]

        path = f"{request.scheme}://{request.host}{request.path}"
        others = [(name, value) for name, value in query.items() if name != "page"]

        def url(number: int) -> str:
            return f"{path}?{urlencode([*others, ('page', number)])}"

        rest = orjson.dumps(
            {
                "links": {
                    "first": url(1),
                    "last": None,
                    "prev": url(page - 1) if page > 1 else None,
                    "next": url(page + 1) if len(window) > per_page else None,
                },
                "meta": {
                    "current_page": page,
                    "current_page_url": url(page),
                    "from": offset + 1 if items else None,
                    "path": path,
                    "per_page": per_page,
                    "to": offset + len(items) if items else None,
                },
            }
        )
        return json_response(200, b'{"data":[' + b",".join(items) + b"]," + rest[1:])

    # -- routes ----------------------------------------------------------------------------------

    def _add_routes(self) -> None:
        add = self._router.add
        add("GET", "/user", self._get_user)
        add("GET", "/chargers", self._list_chargers)
        add("GET", "/chargers/{uuid}", self._get_charger)

    async def _get_user(self, request: web.BaseRequest, params: dict[str, str]) -> web.Response:
        return json_response(200, orjson.dumps({"data": self.user}))

    async def _list_chargers(self, request: web.BaseRequest, params: dict[str, str]) -> web.Response:
        return self._simple_page(request, self.chargers.items(), self._list_item)

    async def _get_charger(self, request: web.BaseRequest, params: dict[str, str]) -> web.Response:
        uuid = params["uuid"]
        charger = self.chargers.get(uuid)
        if charger is None:
            return json_response(404, _CHARGER_NOT_FOUND)
        body = self._documents.get(uuid)
        if body is None:
            body = self._documents[uuid] = orjson.dumps({"data": charger})
        return json_response(200, body)

    def _list_item(self, row: tuple[str, dict[str, Any]]) -> bytes:
        uuid, charger = row
        body = self._list_items.get(uuid)
        if body is None:
            item = {name: value for name, value in charger.items() if name not in _LIST_OMITS}
            body = self._list_items[uuid] = orjson.dumps(item)
        return body
