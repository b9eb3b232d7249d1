"""``FakeTransport``: a recording fake of the client's one-method ``Transport``, for unit tests."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

import attrs
import orjson
from multidict import CIMultiDict, CIMultiDictProxy

from .._transport import Request, Response
from ..exceptions import APIConnectionError, APITimeoutError, InvalidRequestError

__all__ = ["FakeTransport"]

_NO_JSON: Final[Any] = object()

Handler = Callable[[Request], Response | Awaitable[Response]]


@attrs.define
class _Answer:
    """One canned answer and the requests it answers."""

    method: str | None
    path: str | None
    respond: Callable[[Request], Awaitable[Response]]
    left: int | None  # None: every time

    def matches(self, request: Request) -> bool:
        if self.method is not None and self.method != request.method:
            return False
        if self.path is None:
            return True
        if "?" in self.path:
            query = request.url.raw_query_string
            return self.path == (f"{request.path}?{query}" if query else request.path)
        return self.path == request.path

    def describe(self) -> str:
        return f"{self.method or '*'} {self.path or '*'} ({'always' if self.left is None else f'{self.left} left'})"


class FakeTransport:
    """A ``Transport`` that answers from canned responses and records every request: for unit tests.

    Give it to ``PlugchoiceClient(transport=...)``. Everything above the transport runs for real
    (auth headers, retries, the rate limiter, stats, hooks, status -> exception, decoding), so a
    test sees exactly the requests, attempts and errors it would against the API, without a socket.

    ::

        import pytest
        from plugchoice_async import APITimeoutError, NotFoundError, PlugchoiceClient
        from plugchoice_async.testing import FakeTransport

        CHARGER = "3f2b6c1e-8a4d-4c1e-9f3a-2b6c1e8a4d4c"

        async def test_my_code_reports_a_missing_charger() -> None:
            fake = FakeTransport()
            fake.add("GET", f"/chargers/{CHARGER}", status=404, json={"message": "No query results."})
            async with PlugchoiceClient("test-token", transport=fake, rate_limit=None) as client:
                with pytest.raises(NotFoundError):
                    await client.chargers.get(CHARGER)
            [request] = fake.requests
            assert request.method == "GET" and request.path == f"/chargers/{CHARGER}"
            assert request.headers["Authorization"] == "Bearer test-token"

        async def no_sleep(seconds: float) -> None:
            pass

        async def test_a_timeout_is_retried() -> None:
            fake = FakeTransport()
            fake.add(exception=APITimeoutError)  # the first request, whatever it is
            fake.add("GET", f"/chargers/{CHARGER}", json=CHARGER_DOCUMENT)  # {"data": {...}} as the API sends it
            async with PlugchoiceClient("t", transport=fake, rate_limit=None, sleep=no_sleep) as client:
                charger = await client.chargers.get(CHARGER)
            assert len(fake.requests) == 2 and not fake.pending

    How a request is answered: by the first answer added that matches it (``method`` and ``path``,
    each None for any) and is not used up (``times``: how many requests it answers; None for
    every one). ``path`` is the path relative to the base URL, as ``Request.path``
    (``/chargers/...``); with a ``?`` it must also match the query. So answers added without
    method and path act as a queue, and answers with ``times=None`` as routes. A request nothing
    answers raises ``AssertionError`` (never retried).

    ``Request.path`` is redacted as everywhere a path is shown: a public-charging session token
    appears as ``***`` (``/public-charging/sessions/***/stop``), so ``add(path=...)`` names such
    a route with ``***``, whatever the token; the real token is only in ``Request.url``.

    An answer is one of: ``status`` with ``json`` (encoded, ``Content-Type: application/json``)
    or ``body`` (bytes or text) and ``headers``; an ``exception`` (an instance is raised as is;
    ``APIConnectionError``/``APITimeoutError`` classes are built for the request, with
    ``request_sent``; other classes are called without arguments); or a ``handler`` called with
    the ``Request`` that returns a ``Response`` (or awaits one: a handler may block on an
    ``asyncio.Event`` to hold requests in flight).

    Pass ``sleep=`` to the client to skip the retries' waits, and ``rate_limit=None`` (or a
    ``LocalRateLimiter`` with a fake clock) unless the test is about the limiter: a 429 would
    pause it for real.
    """

    def __init__(self) -> None:
        #: Every request received, in order (retries and re-queued requests included).
        self.requests: list[Request] = []
        self._answers: list[_Answer] = []

    def __repr__(self) -> str:
        return f"<FakeTransport {len(self.requests)} requests, {len(self._answers)} answers left>"

    def add(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        status: int = 200,
        json: Any = _NO_JSON,
        body: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        exception: BaseException | type[BaseException] | None = None,
        request_sent: bool = True,
        handler: Handler | None = None,
        times: int | None = 1,
    ) -> None:
        """Add an answer for requests matching ``method`` and ``path`` (None: any); see the class docstring."""
        if times is not None and times < 1:
            raise InvalidRequestError(f"times must be None or >= 1, got {times!r}")
        canned = json is not _NO_JSON or body is not None or headers is not None or status != 200
        if sum((exception is not None, handler is not None, canned)) > 1:
            raise InvalidRequestError("give one of: a canned answer (status/json/body/headers), exception, handler")
        if json is not _NO_JSON and body is not None:
            raise InvalidRequestError("give json or body, not both")
        respond: Callable[[Request], Awaitable[Response]]
        if exception is not None:
            respond = _raiser(exception, request_sent)
        elif handler is not None:
            respond = _calling(handler)
        else:
            respond = _canned(_response(status, json, body, headers))
        self._answers.append(_Answer(method.upper() if method else None, path, respond, times))

    @property
    def pending(self) -> list[str]:
        """The answers added with a ``times`` limit and not used up (``assert not fake.pending``)."""
        return [a.describe() for a in self._answers if a.left is not None]

    async def handle_async_request(self, request: Request) -> Response:
        """Record ``request`` and answer it with the first matching answer (see the class docstring)."""
        self.requests.append(request)
        for i, answer in enumerate(self._answers):
            if answer.matches(request):
                if answer.left is not None:
                    answer.left -= 1
                    if answer.left == 0:
                        del self._answers[i]
                return await answer.respond(request)
        added = "; ".join(a.describe() for a in self._answers) or "nothing"
        raise AssertionError(f"FakeTransport: no answer for {request.method} {request.path} (left: {added})")


def _response(status: int, json: Any, body: bytes | str | None, headers: Mapping[str, str] | None) -> Response:
    all_headers = dict(headers or {})
    if json is not _NO_JSON:
        raw = orjson.dumps(json)
        if not any(k.lower() == "content-type" for k in all_headers):
            all_headers["Content-Type"] = "application/json"
    else:
        raw = body.encode() if isinstance(body, str) else (body or b"")
    return Response(status=status, headers=CIMultiDictProxy(CIMultiDict(all_headers)), body=raw)


def _canned(response: Response) -> Callable[[Request], Awaitable[Response]]:
    async def respond(request: Request) -> Response:
        return response

    return respond


def _calling(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def respond(request: Request) -> Response:
        result = handler(request)
        if inspect.isawaitable(result):
            return await result
        return result

    return respond


def _raiser(
    exception: BaseException | type[BaseException], request_sent: bool
) -> Callable[[Request], Awaitable[Response]]:
    async def respond(request: Request) -> Response:
        if isinstance(exception, BaseException):
            raise exception
        if issubclass(exception, APITimeoutError):
            raise request.timeout_error("timed out (FakeTransport)", request_sent=request_sent)
        if issubclass(exception, APIConnectionError):
            raise request.connection_error("connection failed (FakeTransport)", request_sent=request_sent)
        raise exception()

    return respond
