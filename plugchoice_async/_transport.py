"""The request pipeline, and the one-method transport seam under it.

::

    resources ── request(method, path) ──▶ Pipeline ── handle_async_request(Request) ──▶ Transport
                                           │                                             │
               auth headers, concurrency slot (_Slots),                     AiohttpTransport (default):
               rate limiter (RateLimiter), retries (tenacity policy),       session, pool, per-attempt
               re-queue after 429, stats, hooks, one DEBUG line per         timeouts, aiohttp errors ->
               attempt, status -> exception, JSON decoding                  APIConnectionError/APITimeoutError

``Transport`` is public: anything with ``async handle_async_request(request) -> Response`` can be
given to ``PlugchoiceClient(transport=...)`` (``plugchoice_async.testing.FakeTransport`` is one).
Every mechanism above the seam is written once, in ``Pipeline``, so a fake transport sees every
attempt the real one would. ``AiohttpTransport`` is the only code of the SDK that imports aiohttp.

The first attempt of a call is made directly; after a retryable failure ``_retry.RetryRun``
(tenacity) drives the rest. Every aiohttp error is translated once, in ``AiohttpTransport``.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import platform
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Final, Protocol, TypeVar, runtime_checkable
from urllib.parse import urlencode

import aiohttp
import attrs
import orjson
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from ._endpoint_limits import EndpointGate, EndpointLimiters
from ._http import (
    _header,
    decode_json,
    parse_rate_limit_headers,
    parse_request_id,
    redact_path,
    redact_url,
    status_error,
)
from ._ratelimit import PauseTooLong, RateLimiter
from ._retry import RetryBudget, RetryPolicy, RetryRun, retry_cause
from ._stats import ClientStats, RequestEvent
from ._types import Auth, Params, Timeout, Upload
from ._version import __version__
from .exceptions import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ClientClosedError,
    ConfigurationError,
    InvalidRequestError,
    PlugchoiceError,
    RateLimitError,
    ResponseValidationError,
)

__all__ = ["AiohttpTransport", "Pipeline", "Request", "Response", "Transport", "default_user_agent"]

#: How often one request is re-queued after 429s before the 429 is raised (each wait is bounded by
#: the limiter's max_pause, so no call waits without end).
MAX_REQUEUES: Final = 10
logger: Final = logging.getLogger("plugchoice_async")
_NetworkError = TypeVar("_NetworkError", bound=APIConnectionError)
T = TypeVar("T")


# -- the seam -------------------------------------------------------------------------------------


def _url_repr(url: URL) -> str:
    return f"URL({redact_url(str(url))!r})"


def _headers_repr(headers: Mapping[str, str]) -> str:
    return repr({k: ("<redacted>" if k.lower() == "authorization" else v) for k, v in headers.items()})


def _body_repr(body: bytes | None) -> str:
    return "None" if body is None else f"<{len(body)} bytes>"


def _frozen_headers(headers: Mapping[str, str]) -> Mapping[str, str]:
    """Headers as a read-only, case-insensitive mapping (which aiohttp also takes without converting it)."""
    return CIMultiDictProxy(CIMultiDict(headers))


@attrs.define(kw_only=True)
class Request:
    """One attempt of one HTTP request, as the client hands it to its ``Transport``.

    Treat it as read-only (a transport that wraps another passes ``attrs.evolve(request, ...)``):
    the client sends the same object again when the rate limiter re-queues it. Not frozen for a
    measured 0.8% of a request's instructions.

    Attributes:
        method: ``"GET"``, ``"POST"``, ...
        url: the full URL (a ``yarl.URL``, percent-encoded, query included); its repr hides secrets.
        headers: every header to send, ``Authorization`` included (from the client: a read-only,
            case-insensitive mapping). Its repr hides ``Authorization``; the body's repr shows only its length.
        body: the encoded body (JSON, or a form for the OAuth token endpoint), or None.
        timeout: this attempt's timeouts; they start when the request is really sent.
        path: the path as errors and logs show it: relative to the base URL (``/chargers/...``).
        action: a live charger command: an error after it may have been sent says it may have run.
    """

    method: str
    url: URL = attrs.field(repr=_url_repr)
    headers: Mapping[str, str] = attrs.field(repr=_headers_repr)
    body: bytes | None = attrs.field(default=None, repr=_body_repr)
    timeout: Timeout = attrs.field(factory=Timeout)
    path: str = ""
    action: bool = False

    def json(self) -> Any:
        """The body decoded as JSON (None when there is none, or for a ``multipart/form-data`` upload)."""
        if not self.body or self.headers.get("Content-Type", "").startswith("multipart/"):
            return None
        return orjson.loads(self.body)

    def connection_error(self, message: str, *, request_sent: bool = True) -> APIConnectionError:
        """The ``APIConnectionError`` a transport raises when this request got no answer.

        ``request_sent=False`` only when the request provably never left (connection refused):
        that is what allows a charger command to be sent again.
        """
        return self._network_error(APIConnectionError, message, request_sent)

    def timeout_error(self, message: str, *, request_sent: bool = True) -> APITimeoutError:
        """The ``APITimeoutError`` a transport raises when a timeout of this request expired."""
        return self._network_error(APITimeoutError, message, request_sent)

    def _network_error(self, cls: type[_NetworkError], message: str, request_sent: bool) -> _NetworkError:
        return cls(
            message,
            method=self.method,
            path=self.path,
            url=redact_url(str(self.url)),
            request_sent=request_sent,
            action=self.action,
        )


@attrs.define(kw_only=True)
class Response:
    """One HTTP answer as a ``Transport`` returns it: status, headers, body bytes.

    ``headers`` may be any mapping (aiohttp's is case-insensitive); the client looks names up
    without regard to case either way.
    """

    status: int
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes = b""


@runtime_checkable
class Transport(Protocol):
    """Sends one HTTP request and returns its answer: the seam under ``PlugchoiceClient``.

    ``PlugchoiceClient(transport=...)`` accepts any object with this one method (the default is
    ``AiohttpTransport``). It must send ``request`` exactly once (no retries, no redirects: the
    client retries, paces and counts above it) and return the answer whatever its status. When no
    answer arrives it raises ``request.connection_error(...)`` or ``request.timeout_error(...)``
    (an ``APIConnectionError`` / ``APITimeoutError``), with ``request_sent=False`` only when the
    request provably never left. A transport passed to the client is not closed by it.
    """

    async def handle_async_request(self, request: Request) -> Response:
        """Send ``request`` once; return the answer (any status) or raise ``APIConnectionError``."""
        ...


# -- the default transport: aiohttp ---------------------------------------------------------------


def encode_multipart(upload: Upload) -> tuple[bytes, str]:
    """``upload`` as a ``multipart/form-data`` body with one part, and its ``Content-Type``.

    Built here as bytes (not aiohttp's ``FormData``) so that every transport sends the same body and
    a re-queued request sends it again unchanged. Quotes, CR and LF in the names are percent-encoded,
    as browsers do.
    """
    boundary = secrets.token_hex(16)

    def quoted(value: str) -> str:
        return value.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")

    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="{quoted(upload.field)}"; filename="{quoted(upload.filename)}"\r\n'
        f"Content-Type: {upload.content_type}\r\n\r\n"
    )
    body = head.encode() + upload.content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def default_user_agent() -> str:
    """``plugchoice-async/<version> python/<x.y.z> aiohttp/<version>``."""
    return f"plugchoice-async/{__version__} python/{platform.python_version()} aiohttp/{aiohttp.__version__}"


def _client_timeout(timeout: Timeout) -> aiohttp.ClientTimeout:
    # ``total`` and ``connect`` in aiohttp count time queued for a pooled connection. Ours
    # never queue there: the pipeline admits at most as many requests as the pool holds
    # (and the rate limiter is waited for before), so these clocks start when we send.
    # A read timeout at least as long as the total can never fire first: leave it out, which
    # spares aiohttp re-arming a timer on every chunk received.
    read = timeout.read
    if read is not None and timeout.total is not None and read >= timeout.total:
        read = None
    return aiohttp.ClientTimeout(total=timeout.total, connect=None, sock_connect=timeout.connect, sock_read=read)


def _translate(exc: BaseException, request: Request) -> APIConnectionError:
    """One aiohttp/socket failure as the SDK's exception (``request_sent`` False only when provable)."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return request.timeout_error("timed out connecting to the server", request_sent=False)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return request.connection_error(f"cannot connect: {exc.os_error or exc}", request_sent=False)
    if isinstance(exc, TimeoutError):  # aiohttp's socket read timeout, or the total per attempt
        return request.timeout_error("timed out waiting for the answer")
    # aiohttp's text may quote the URL, which may hold a secret (a public-charging session token).
    text = str(exc)
    url = str(request.url)
    if url in text:
        text = text.replace(url, redact_url(url))
    return request.connection_error(f"connection failed: {type(exc).__name__}: {text}")


class AiohttpTransport:
    """The default ``Transport``: aiohttp with one pooled session.

    ``session``: an ``aiohttp.ClientSession`` to use (never closed here); without one, a session
    with a pool of ``pool_size`` connections and ``trace_configs`` is created on first use and
    closed by ``aclose()``. Redirects are not followed, cookies are not kept. Per-attempt
    timeouts come with each ``Request``.

    ``PlugchoiceClient`` builds one for itself; build your own to wrap it (say, a transport that
    records traffic and delegates here) and close it yourself (``async with`` or ``aclose()``).
    """

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession | None = None,
        pool_size: int = 64,
        trace_configs: Iterable[aiohttp.TraceConfig] = (),
    ) -> None:
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            raise ConfigurationError(f"session must be an aiohttp.ClientSession, got {session!r}")
        if isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size < 1:
            raise ConfigurationError(f"pool_size must be a whole number >= 1, got {pool_size!r}")
        self._session = session
        self._owns_session = session is None
        self._pool_size = pool_size
        self._trace_configs = tuple(trace_configs)
        self._closed = False
        self._timeout_for: Timeout | None = None
        self._client_timeout = _client_timeout(Timeout())

    def __repr__(self) -> str:
        return f"<AiohttpTransport pool_size={self.pool_size}>"

    @property
    def pool_size(self) -> int | None:
        """Connections the pool holds (None: a borrowed session without a limit)."""
        if self._session is not None and not self._owns_session:
            return getattr(self._session.connector, "limit", 0) or None
        return self._pool_size

    def _open_session(self) -> aiohttp.ClientSession:
        session = self._session
        if session is not None and not session.closed:
            return session
        if self._closed or (session is not None and self._owns_session):
            raise ClientClosedError("the transport is closed: create a new client")
        if session is not None:
            raise ClientClosedError("the aiohttp session given to the client is closed")
        session = self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0),
            # Token-authenticated API: cookies are neither needed nor wanted (and the
            # jar's per-request filtering is a measurable cost on bulk work).
            cookie_jar=aiohttp.DummyCookieJar(),
            trace_configs=list(self._trace_configs) or None,
        )
        return session

    async def handle_async_request(self, request: Request) -> Response:
        """Send ``request`` once over the pooled session; aiohttp's errors become the SDK's."""
        session = self._open_session()
        if request.timeout is not self._timeout_for:  # most calls share one Timeout: convert it once
            self._client_timeout = _client_timeout(request.timeout)
            self._timeout_for = request.timeout
        try:
            # Awaited and released by hand rather than ``async with``: the context managers'
            # coroutines (__aenter__, __aexit__, wait_for_close) are layers every resume of the
            # request walks through. read() waits for the request's writer and closes the
            # connection on failure, so release() is all __aexit__ would do. Measured with
            # benchmarks/bench_instructions.py: 18.8k instructions (2.6%) less per request.
            resp = await session.request(
                request.method,
                request.url,
                data=request.body,
                headers=request.headers,
                allow_redirects=False,
                timeout=self._client_timeout,
            )
            try:
                body = await resp.read()
            finally:
                resp.release()
            return Response(status=resp.status, headers=resp.headers, body=body)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            error = _translate(exc, request)
            if redact_url(str(request.url)) != str(request.url):
                raise error from None  # aiohttp's exception would show the secret in the URL
            raise error from exc

    async def aclose(self) -> None:
        """Close the session if this transport created it (a borrowed session stays open). Idempotent."""
        self._closed = True
        if self._owns_session and self._session is not None:
            await self._session.close()

    async def __aenter__(self) -> AiohttpTransport:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


# -- the pipeline ---------------------------------------------------------------------------------


class _Slots:
    """The concurrency bound: a FIFO counting semaphore that forgets a waiter as it wakes it.

    Kept instead of ``asyncio.Semaphore`` for a measured gain (callgrind, bench_instructions'
    setup, nginx): at concurrency 256 a request costs 46k instructions (5.4%) more with
    ``asyncio.Semaphore``, at 64 about 7-15k (1-2%). Its ``release`` rescans every waiter already
    woken but not yet run (Python 3.11), and on bulk work up to the whole concurrency's worth
    of answers arrives in one loop turn: quadratic in the batch. Here a woken waiter leaves the
    queue at once (``popleft``).
    """

    __slots__ = ("_free", "_waiters")

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    async def acquire(self) -> None:
        """Take a slot, waiting (FIFO) while none is free."""
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self.release()  # granted just as we were cancelled: pass it on
            elif fut in self._waiters:  # (release() may have dropped it already, being done)
                self._waiters.remove(fut)
            raise

    def release(self) -> None:
        """Give a slot to the next waiter still waiting, or back to the pool."""
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                return
        self._free += 1


def _log_attempt(
    request: Request,
    response: Response | None,
    failure: str,
    elapsed: float,
    number: int,
    requeues: int,
    request_id: str | None,
) -> None:
    """The DEBUG line of one attempt: method, path, status (or the failure), time, attempt, request id.

    Never headers or bodies: the token and OAuth secrets travel there.
    """
    query = request.url.raw_query_string
    logger.debug(
        "%s %s: %s in %.3f s (attempt %d%s%s)",
        request.method,
        redact_url(f"{request.path}?{query}") if query else request.path,
        response.status if response is not None else failure or "no answer",
        elapsed,
        number,
        f", re-queued {requeues}" if requeues else "",
        f", request id {request_id}" if request_id else "",
    )


@attrs.define(eq=False)
class _Shared:
    """What a client and its ``with_options`` copies share: transport, limits, budget, stats."""

    transport: Transport
    close_transport: Callable[[], Awaitable[None]] | None
    slots: _Slots
    max_concurrency: int
    limiter: RateLimiter | None
    budget: RetryBudget | None
    stats: ClientStats
    hooks: tuple[Callable[[RequestEvent], None], ...]
    routes: EndpointLimiters | None = None
    closed: bool = False


class Pipeline:
    """Every API call's one path: auth, slot, limiter, attempt over the transport, retries, decoding.

    Implements ``_types.Requester`` for the resources. Configuration is checked by the client.
    """

    def __init__(
        self,
        *,
        transport: Transport,
        base_url: str,
        token: str | None = None,
        auth: Auth | None = None,
        token_url: str | None = None,
        close_transport: Callable[[], Awaitable[None]] | None = None,
        timeout: Timeout | None = None,
        retry: RetryPolicy | None = None,
        max_concurrency: int = 64,
        user_agent: str | None = None,
        limiter: RateLimiter | None = None,
        endpoint_limits: EndpointLimiters | None = None,
        budget: RetryBudget | None = None,
        hooks: Iterable[Callable[[RequestEvent], None]] = (),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if token is not None and auth is not None:
            raise ValueError("give at most one of token and auth")
        self._base = base_url.rstrip("/")
        base = URL(self._base)
        self._base_url = base
        self._base_path = base.raw_path.rstrip("/")
        self._origin = f"{base.scheme}://{base.raw_authority}"
        self._auth = auth
        self._token_url = token_url or f"{self._origin}/oauth/token"
        fixed = {"Accept": "application/json", "User-Agent": user_agent or default_user_agent()}
        self._token_headers = _frozen_headers({**fixed, "Content-Type": "application/x-www-form-urlencoded"})
        self._anonymous_headers = _frozen_headers(fixed)
        self._anonymous_json_headers = _frozen_headers({**fixed, "Content-Type": "application/json"})
        if token is not None:
            fixed["Authorization"] = f"Bearer {token}"
        # Built once: a GET's Request shares these (read-only) headers, and aiohttp takes a
        # CIMultiDictProxy without converting it.
        self._headers = _frozen_headers(fixed)
        self._json_headers = _frozen_headers({**fixed, "Content-Type": "application/json"})
        self._timeout = timeout or Timeout()
        self._retry = retry or RetryPolicy()
        self._shared = _Shared(
            transport=transport,
            close_transport=close_transport,
            slots=_Slots(max_concurrency),
            max_concurrency=max_concurrency,
            limiter=limiter,
            routes=endpoint_limits,
            budget=budget,
            stats=ClientStats(),
            hooks=tuple(hooks),
        )
        self._sleep = sleep
        self._clock = clock

    def __repr__(self) -> str:
        return f"<Pipeline base_url={self._base!r} max_concurrency={self._shared.max_concurrency}>"

    # -- configuration --------------------------------------------------------
    @property
    def base_url(self) -> str:
        """The API base URL, without a trailing slash."""
        return self._base

    @property
    def timeout(self) -> Timeout:
        """Per-attempt timeouts."""
        return self._timeout

    @property
    def retry_policy(self) -> RetryPolicy:
        """The retry policy."""
        return self._retry

    @property
    def stats(self) -> ClientStats:
        """Counters shared by this pipeline and its copies."""
        return self._shared.stats

    @property
    def max_concurrency(self) -> int:
        """How many requests may be in flight at once."""
        return self._shared.max_concurrency

    @property
    def limiter(self) -> RateLimiter | None:
        """The rate limiter, if any."""
        return self._shared.limiter

    @property
    def transport(self) -> Transport:
        """The transport every attempt goes through."""
        return self._shared.transport

    def derive(
        self,
        *,
        timeout: Timeout | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> Pipeline:
        """A pipeline with other timeouts, retries or sleep/clock sharing this one's transport, limits and stats."""
        clone = object.__new__(Pipeline)
        clone.__dict__.update(self.__dict__)
        if timeout is not None:
            clone._timeout = timeout
        if retry is not None:
            clone._retry = retry
        if sleep is not None:
            clone._sleep = sleep
        if clock is not None:
            clone._clock = clock
        return clone

    async def aclose(self) -> None:
        """Close the limiter, and the transport if the client created it. Idempotent."""
        shared = self._shared
        if shared.closed:
            return
        shared.closed = True
        try:
            if shared.limiter is not None:
                await shared.limiter.aclose()
        finally:
            if shared.close_transport is not None:
                await shared.close_transport()

    # -- one call -------------------------------------------------------------
    def _shown_path(self, path: str) -> str:
        """The path as errors and logs show it; refuses absolute URLs outside the API's origin."""
        if path.startswith("/"):
            return redact_path(path.partition("?")[0])
        if path.startswith(self._origin + "/"):
            shown = URL(path, encoded=True).raw_path
            if self._base_path and shown.startswith(self._base_path + "/"):
                shown = shown[len(self._base_path) :]
            return redact_path(shown)
        raise InvalidRequestError(f"refusing to send the token to a URL outside {self._origin}: {redact_url(path)!r}")

    def _url(self, target: str, params: Params | None) -> URL:
        if not target.startswith("/"):
            url = URL(target, encoded=True)  # a pagination link, origin checked by _shown_path
        elif "?" in target:
            url = URL(self._base + target, encoded=True)
        else:
            # with_path on the parsed base: parsing a whole URL string costs ~200 more bytecodes
            url = self._base_url.with_path(self._base_path + target, encoded=True)
        return url.extend_query(params) if params else url

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
        """Send one call, retried as the policy allows; return the decoded JSON body."""
        shown = self._shown_path(path)
        shared = self._shared
        # An anonymous call spends no user's budget, and its answers must not teach the user's limiter.
        limiter = None if anonymous else shared.limiter
        routes = shared.routes
        gate = None
        if routes is not None and (method != "GET" or routes.limits_gets):
            gate = routes.gate(method, shown, limiter)  # the path as shown: pagination links matched too
            if gate is not None:
                await self._reserve(gate, method, path, shown, params)  # before the slot: see _endpoint_limits
                limiter = gate
        # One function, not wrappers, down to the attempt: each coroutine layer that stays suspended
        # costs ~2% of a request's instructions in a 5,000-call gather (benchmarks/bench_instructions.py).
        try:
            auth = None if anonymous else self._auth
            # Built once: a static token is in them; an anonymous call (public charging: the session
            # token in the path is the credential) carries no Authorization.
            if anonymous:
                plain, with_json = self._anonymous_headers, self._anonymous_json_headers
            else:
                plain, with_json = self._headers, self._json_headers
            body: bytes | None
            if upload is not None:
                body, content_type = encode_multipart(upload)
                fixed = _frozen_headers({**plain, "Content-Type": content_type})
            else:
                try:
                    body = orjson.dumps(json) if json is not None else None
                except TypeError as exc:  # the resources check their arguments: a caller of the pipeline did not
                    raise InvalidRequestError(f"the request body cannot be sent as JSON: {exc}") from None
                fixed = plain if body is None else with_json
            renewed = False
            while True:
                headers = fixed
                if auth is not None:
                    used = await auth.authorization(self._fetch_token, self._token_url)
                    headers = self._authorized(used, fixed)
                # Every attempt's slot is taken by the caller of _attempt, as high in the call chain as it
                # can be: queued behind the slots, a bulk gather's calls then hold 10.6 objects each for the
                # garbage collector to walk instead of 22.4 (5,000 queued chargers.get).
                await shared.slots.acquire()
                try:
                    # The first attempt is made here, outside tenacity: entering tenacity.AsyncRetrying
                    # costs ~90 us, about half of a whole request's CPU (~190 us/request in bench_bulk),
                    # so it is entered only after a failure, and given that failure as its attempt 1.
                    try:
                        result: Any = await self._attempt(
                            method, path, shown, params, body, action, headers, limiter, 1
                        )
                    except PlugchoiceError as exc:
                        first = exc  # retried outside this handler: a later failure is not chained to it
                    else:
                        if shared.budget is not None:
                            shared.budget.refund(0)
                        return result
                    return await self._retries(first, method, path, shown, params, body, action, headers, limiter)
                except AuthenticationError:
                    if auth is None or renewed:
                        raise
                    # Refused before anything ran (auth middleware): safe to send once more with a new token.
                    await auth.refresh_after_401(used, self._fetch_token, self._token_url)
                    renewed = True
        finally:
            if gate is not None:
                gate.abandon()

    async def _reserve(self, gate: EndpointGate, method: str, path: str, shown: str, params: Params | None) -> None:
        """Wait for the route's own budget, before the call takes a slot."""
        url = self._url(path, params)
        await self._limiter_wait(gate.reserve(), method, shown, url, f"the {gate.limit.name} budget")

    def _authorized(self, authorization: str, fixed: Mapping[str, str]) -> Mapping[str, str]:
        headers = CIMultiDict(fixed)
        headers["Authorization"] = authorization
        return CIMultiDictProxy(headers)

    async def _retries(
        self,
        first: PlugchoiceError,
        method: str,
        target: str,
        shown: str,
        params: Params | None,
        body: bytes | None,
        action: bool,
        headers: Mapping[str, str],
        limiter: RateLimiter | None,
    ) -> Any:
        """After a failed first attempt: tenacity, given that failure as attempt 1, decides on and drives retries."""
        budget = self._shared.budget
        run = RetryRun(
            policy=self._retry,
            method=method,
            path=shown,
            budget=budget,
            sleep=self._sleep,
            on_retry=self._count_retry,
            retry_429=limiter is None,  # with a limiter, it re-queued the 429 as often as it will
        )
        failure: PlugchoiceError | None = first
        number = 1

        async def attempt() -> Any:
            nonlocal failure, number
            if failure is not None:
                replayed, failure = failure, None
                raise replayed
            number += 1
            await self._shared.slots.acquire()
            return await self._attempt(method, target, shown, params, body, action, headers, limiter, number)

        result: Any = await run.retrying()(attempt)
        if budget is not None:
            budget.refund(run.spent)
        return result

    def _count_retry(self, exc: BaseException, delay: float) -> None:
        self._shared.stats.count_retry(retry_cause(exc))

    async def _limiter_wait(self, waiting: Awaitable[T], method: str, shown: str, url: URL, budget: str) -> T:
        """Wait for a limiter: counted in stats, never in a request's timeout; a pause longer than the
        limiter's ``max_pause`` raises ``RateLimitError`` with ``retry_after`` at once."""
        waited_from = self._clock()
        try:
            return await waiting
        except PauseTooLong as exc:
            raise RateLimitError(
                status=429,
                method=method,
                path=shown,
                url=redact_url(str(url)),
                message=f"not sent: {exc} for {budget}, longer than its max_pause",
                retry_after=exc.retry_after,
            ) from None
        finally:
            self._shared.stats.limiter_wait += self._clock() - waited_from

    async def _attempt(
        self,
        method: str,
        target: str,
        shown: str,
        params: Params | None,
        body: bytes | None,
        action: bool,
        headers: Mapping[str, str],
        limiter: RateLimiter | None,
        number: int,
    ) -> Any:
        """One attempt, called with a slot taken (given back here): the limiter, the transport (again
        after a 429 the limiter re-queues); then, the slot given back, the decoding."""
        shared = self._shared
        stats = shared.stats
        slots = shared.slots
        try:
            if shared.closed:
                raise ClientClosedError("the client is closed: create a new client")
            # Built only once admitted: queued calls hold no Request.
            request = Request(
                method=method,
                url=self._url(target, params),
                headers=headers,
                body=body,
                timeout=self._timeout,
                path=shown,
                action=action,
            )
            requeues = 0
            delay = 0.0
            while True:
                ticket = None
                if limiter is not None:
                    waiting = limiter.acquire(delay)
                    ticket = await self._limiter_wait(waiting, method, shown, request.url, "the rate limit")
                stats.requests += 1
                stats.in_flight += 1
                if stats.in_flight > stats.peak_in_flight:
                    stats.peak_in_flight = stats.in_flight
                observed = bool(shared.hooks) or logger.isEnabledFor(logging.DEBUG)
                started = self._clock() if observed else 0.0
                response: Response | None = None
                failure = ""
                again: float | None = None
                try:
                    response = await shared.transport.handle_async_request(request)
                except BaseException as exc:
                    failure = type(exc).__name__
                    raise
                finally:
                    stats.in_flight -= 1
                    if ticket is not None:
                        assert limiter is not None
                        if response is None:
                            again = await limiter.record(ticket, None, None)
                        else:
                            again = await limiter.record(ticket, response.status, response.headers)
                    if observed:
                        self._observe(request, response, failure, self._clock() - started, number, requeues)
                if response.status != 429:
                    break
                stats.rate_limited += 1
                # A 429 was refused unprocessed: the limiter re-queues it (commands too), outside the
                # retry policy and its budget; bounded so that no call waits without end.
                if again is None or requeues >= MAX_REQUEUES:
                    break
                requeues += 1
                stats.requeued += 1
                delay = again
                logger.info(
                    "429 for %s %s: re-queued (%d of %d) after %.2f s",
                    method,
                    shown,
                    requeues,
                    MAX_REQUEUES,
                    delay,
                )
        finally:
            slots.release()
        return self._decode(request, response)

    def _observe(
        self, request: Request, response: Response | None, failure: str, elapsed: float, number: int, requeues: int
    ) -> None:
        """The DEBUG line and the hooks' event for one attempt."""
        request_id = parse_request_id(response.headers) if response is not None else None
        if logger.isEnabledFor(logging.DEBUG):
            _log_attempt(request, response, failure, elapsed, number, requeues, request_id)
        hooks = self._shared.hooks
        if not hooks:
            return
        info = parse_rate_limit_headers(response.headers) if response is not None else None
        event = RequestEvent(
            method=request.method,
            path=request.path,
            status=response.status if response is not None else None,
            elapsed=elapsed,
            rate_limit=info.limit if info is not None else None,
            rate_limit_remaining=info.remaining if info is not None else None,
            attempt=number,
            request_id=request_id,
        )
        for hook in hooks:
            try:
                hook(event)
            except Exception:  # a user's metrics hook must never break a request
                logger.exception("request hook %r failed", hook)

    def _decode(self, request: Request, response: Response) -> Any:
        """The answer's JSON, or the exception its status stands for."""
        status = response.status
        headers = response.headers
        content_type = _header(headers, "Content-Type")
        raw = response.body
        if status >= 300:
            raise status_error(
                status,
                method=request.method,
                path=request.path,
                headers=headers,
                body=raw,
                content_type=content_type,
                action=request.action,
                url=str(request.url),
            )
        if raw and content_type is not None and "json" not in content_type:
            raise ResponseValidationError(
                f"expected JSON, got {content_type}: {raw[:200].decode('utf-8', 'replace')!r}",
                method=request.method,
                path=request.path,
                status=status,
                url=redact_url(str(request.url)),
                request_id=parse_request_id(headers),
            )
        return decode_json(
            raw,
            method=request.method,
            path=request.path,
            status=status,
            content_type=content_type,
            url=request.url,
            headers=headers,
        )

    # -- OAuth token endpoint -------------------------------------------------
    async def _fetch_token(self, url: str, form: Mapping[str, str]) -> Any:
        """POST a form to the OAuth token endpoint (no bearer, no slot, not rate-limited); the decoded answer.

        It goes through the transport like every request (a fake transport sees it too); the
        form (client secret, refresh token) is never logged.
        """
        if self._shared.closed:
            raise ClientClosedError("the client is closed: create a new client")
        target = URL(url)
        request = Request(
            method="POST",
            url=target,
            headers=self._token_headers,
            body=urlencode(dict(form)).encode(),
            timeout=self._timeout,
            path=target.path,
        )
        started = self._clock()
        response: Response | None = None
        failure = ""
        try:
            response = await self._shared.transport.handle_async_request(request)
        except BaseException as exc:
            failure = type(exc).__name__
            raise
        finally:
            if logger.isEnabledFor(logging.DEBUG):
                request_id = parse_request_id(response.headers) if response is not None else None
                _log_attempt(request, response, failure, self._clock() - started, 1, 0, request_id)
        content_type = _header(response.headers, "Content-Type")
        if response.status >= 300:
            raise status_error(
                response.status,
                method="POST",
                path=request.path,
                headers=response.headers,
                body=response.body,
                content_type=content_type,
                url=url,
            )
        return decode_json(
            response.body,
            method="POST",
            path=request.path,
            status=response.status,
            content_type=content_type,
            url=url,
            request_id=parse_request_id(response.headers),
        )
