"""The aiohttp transport: the only module that touches the network.

One request goes: wait for a concurrency slot (our own semaphore, so the wait is
not counted against the timeout) -> wait for the rate limiter -> one attempt under
per-attempt timeouts -> status/JSON handling in ``_http``. The first attempt is made
directly; after a retryable failure, ``_retry.RetryRun`` (tenacity) drives the rest.
Every aiohttp error is translated here, once, into a ``PlugchoiceError``.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import platform
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Final

import aiohttp
import attrs
import orjson
from yarl import URL

from ._http import decode_json, parse_rate_limit_headers, status_error
from ._ratelimit import PauseTooLong, RateLimiter, Ticket
from ._retry import RetryBudget, RetryPolicy, RetryRun, retry_cause
from ._stats import ClientStats, RequestEvent
from ._types import Auth, Params, Timeout
from ._version import __version__
from .exceptions import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ClientClosedError,
    InvalidRequestError,
    PlugchoiceError,
    RateLimitError,
    ResponseValidationError,
)

__all__ = ["AiohttpTransport", "default_user_agent"]

_JSON_HEADERS: Final = {"Content-Type": "application/json"}
#: How often one request is re-queued after 429s before the 429 is raised (each wait is bounded by
#: the limiter's max_pause, so no call waits without end).
MAX_REQUEUES: Final = 10
logger: Final = logging.getLogger("plugchoice_async")


def _client_timeout(timeout: Timeout) -> aiohttp.ClientTimeout:
    # ``total`` and ``connect`` in aiohttp count time queued for a pooled connection. Ours
    # never queue there: the semaphore admits at most as many requests as the pool holds
    # (and the rate limiter is waited for before), so these clocks start when we send.
    # A read timeout at least as long as the total can never fire first: leave it out, which
    # spares aiohttp re-arming a timer on every chunk received.
    read = timeout.read
    if read is not None and timeout.total is not None and read >= timeout.total:
        read = None
    return aiohttp.ClientTimeout(total=timeout.total, connect=None, sock_connect=timeout.connect, sock_read=read)


def _translate(exc: BaseException, method: str, path: str) -> PlugchoiceError:
    """One aiohttp/socket failure as the SDK's exception (``request_sent`` False only when provable)."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return APITimeoutError("timed out connecting to the server", method=method, path=path, request_sent=False)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return APIConnectionError(
            f"cannot connect: {exc.os_error or exc}", method=method, path=path, request_sent=False
        )
    if isinstance(exc, TimeoutError):  # aiohttp's socket read timeout, or the total per attempt
        return APITimeoutError("timed out waiting for the answer", method=method, path=path)
    return APIConnectionError(f"connection failed: {type(exc).__name__}: {exc}", method=method, path=path)


def default_user_agent() -> str:
    """``plugchoice-async/<version> python/<x.y.z> aiohttp/<version>``."""
    return f"plugchoice-async/{__version__} python/{platform.python_version()} aiohttp/{aiohttp.__version__}"


class _Slots:
    """A counting semaphore whose uncontended acquire is a plain call (no coroutine, no future).

    ``asyncio.Semaphore`` creates a coroutine per acquire; on bulk work the transport takes
    a slot thousands of times a second. Waiters queue FIFO; a released slot goes to the
    next waiter that is still waiting.
    """

    __slots__ = ("_free", "_waiters")

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def try_take(self) -> bool:
        """Take a slot now if one is free and nobody queues before us."""
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return True
        return False

    async def take(self) -> None:
        """Wait for a slot (FIFO)."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self.give()  # granted just as we were cancelled: pass it on
            else:
                self._waiters.remove(fut)
            raise

    def give(self) -> None:
        """Release a slot to the next waiter, or back to the pool."""
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                return
        self._free += 1


@attrs.define(eq=False)
class _Shared:
    """What a client and its ``with_options`` copies share: session, limits, budget, stats."""

    session: aiohttp.ClientSession | None
    owns_session: bool
    slots: _Slots
    max_concurrency: int
    limiter: RateLimiter | None
    budget: RetryBudget | None
    stats: ClientStats
    trace_configs: tuple[aiohttp.TraceConfig, ...]
    hooks: tuple[Callable[[RequestEvent], None], ...]
    closed: bool = False


class AiohttpTransport:
    """Sends requests to one Plugchoice API base URL with bearer auth, retries and limits."""

    def __init__(
        self,
        *,
        base_url: str,
        token: str | None = None,
        auth: Auth | None = None,
        token_url: str | None = None,
        session: aiohttp.ClientSession | None = None,
        timeout: Timeout | None = None,
        retry: RetryPolicy | None = None,
        max_concurrency: int = 64,
        user_agent: str | None = None,
        limiter: RateLimiter | None = None,
        budget: RetryBudget | None = None,
        trace_configs: Iterable[aiohttp.TraceConfig] = (),
        hooks: Iterable[Callable[[RequestEvent], None]] = (),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
        if session is not None:
            connector_limit = getattr(session.connector, "limit", 0) or 0
            if connector_limit and connector_limit < max_concurrency:
                # More in flight than the pool holds would queue inside aiohttp, where
                # waiting counts against the timeout: bound ourselves to the pool.
                max_concurrency = connector_limit
        self._base = base_url.rstrip("/")
        base = URL(self._base)
        self._base_url = base
        self._base_path = base.raw_path.rstrip("/")
        self._origin = f"{base.scheme}://{base.raw_authority}"
        if (token is None) == (auth is None):
            raise ValueError("give exactly one of token and auth")
        self._auth = auth
        self._token_url = token_url or f"{self._origin}/oauth/token"
        self._token_headers = {"Accept": "application/json", "User-Agent": user_agent or default_user_agent()}
        self._headers = dict(self._token_headers)
        if token is not None:
            self._headers["Authorization"] = f"Bearer {token}"
        self._timeout = timeout or Timeout()
        self._client_timeout = _client_timeout(self._timeout)
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._shared = _Shared(
            session=session,
            owns_session=session is None,
            slots=_Slots(max_concurrency),
            max_concurrency=max_concurrency,
            limiter=limiter,
            budget=budget,
            stats=ClientStats(),
            trace_configs=tuple(trace_configs),
            hooks=tuple(hooks),
        )

    def __repr__(self) -> str:
        return f"<AiohttpTransport base_url={self._base!r} max_concurrency={self._shared.max_concurrency}>"

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
        """Counters shared by this transport and its copies."""
        return self._shared.stats

    @property
    def max_concurrency(self) -> int:
        """How many requests may be in flight at once."""
        return self._shared.max_concurrency

    @property
    def limiter(self) -> RateLimiter | None:
        """The rate limiter, if any."""
        return self._shared.limiter

    def derive(self, *, timeout: Timeout | None = None, retry: RetryPolicy | None = None) -> AiohttpTransport:
        """A transport with other timeouts/retries sharing this one's session, limits and stats."""
        clone = object.__new__(AiohttpTransport)
        clone.__dict__.update(self.__dict__)
        if timeout is not None:
            clone._timeout = timeout
            clone._client_timeout = _client_timeout(timeout)
        if retry is not None:
            clone._retry = retry
        return clone

    # -- lifecycle ------------------------------------------------------------
    def _session(self) -> aiohttp.ClientSession:
        shared = self._shared
        if shared.closed:
            raise ClientClosedError("the client is closed: create a new PlugchoiceClient")
        if shared.session is not None and shared.session.closed:
            raise ClientClosedError("the aiohttp session given to the client is closed")
        if shared.session is None:
            connector = aiohttp.TCPConnector(limit=shared.max_concurrency, limit_per_host=0)
            shared.session = aiohttp.ClientSession(
                connector=connector,
                headers=self._headers,
                # Token-authenticated API: cookies are neither needed nor wanted (and the
                # jar's per-request filtering is a measurable cost on bulk work).
                cookie_jar=aiohttp.DummyCookieJar(),
                trace_configs=list(shared.trace_configs) or None,
                json_serialize=lambda obj: orjson.dumps(obj).decode(),
            )
        return shared.session

    async def aclose(self) -> None:
        """Close the session if this transport created it (a borrowed session stays open)."""
        shared = self._shared
        if shared.closed:
            return
        shared.closed = True
        try:
            if shared.limiter is not None:
                await shared.limiter.aclose()
        finally:
            if shared.owns_session and shared.session is not None:
                await shared.session.close()

    # -- requests -------------------------------------------------------------
    def _shown_path(self, path: str) -> str:
        """The path as errors and logs show it; refuses absolute URLs outside the API's origin."""
        if path.startswith("/"):
            return path
        if path.startswith(self._origin + "/"):
            return URL(path, encoded=True).raw_path_qs
        raise InvalidRequestError(f"refusing to send the token to a URL outside {self._origin}: {path!r}")

    def _url(self, path: str) -> URL:
        if path.startswith("/"):
            if "?" not in path:
                # with_path on the parsed base skips re-parsing a whole URL string per request
                return self._base_url.with_path(self._base_path + path, encoded=True)
            return URL(self._base + path, encoded=True)
        return URL(path, encoded=True)  # a pagination link, origin checked by _shown_path

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        action: bool = False,
    ) -> Any:
        """Send one request, retried as the policy allows; return the decoded JSON body."""
        shown = self._shown_path(path)
        body = orjson.dumps(json) if json is not None else None
        auth = self._auth
        slots = self._shared.slots
        if auth is None:  # a static token: it travels in the headers already
            # Queue for a slot here, not deeper: thousands of waiting requests then hold two
            # small frames each instead of a whole call chain (less for the GC to walk).
            if not slots.try_take():
                await slots.take()
            return await self._send(method, path, shown, params, body, action, None)
        used = await auth.authorization(self._fetch_token, self._token_url)
        if not slots.try_take():
            await slots.take()
        try:
            return await self._send(method, path, shown, params, body, action, used)
        except AuthenticationError:
            # Refused before anything ran (auth middleware): safe to send once more with a new token.
            await auth.refresh_after_401(used, self._fetch_token, self._token_url)
            used = await auth.authorization(self._fetch_token, self._token_url)
            if not slots.try_take():
                await slots.take()
            return await self._send(method, path, shown, params, body, action, used)

    async def _send(
        self,
        method: str,
        path: str,
        shown: str,
        params: Params | None,
        body: bytes | None,
        action: bool,
        authorization: str | None,
    ) -> Any:
        """The first attempt (its slot already taken by the caller), then tenacity for the retries."""
        budget = self._shared.budget
        limited = self._shared.limiter is not None
        try:
            result = await self._attempt(method, path, shown, params, body, action, authorization, True)
        except PlugchoiceError as exc:
            if self._retry.max_retries == 0 or not self._retry.is_retryable(exc, method):
                raise
            if limited and isinstance(exc, RateLimitError):
                raise  # the limiter has re-queued it as often as it will
            first: PlugchoiceError = exc
        else:
            if budget is not None:
                budget.refund(0)
            return result

        run = RetryRun(
            policy=self._retry,
            method=method,
            path=shown,
            budget=budget,
            sleep=self._sleep,
            on_retry=self._count_retry,
            retry_429=not limited,
        )
        replay: list[PlugchoiceError] = [first]

        async def attempt() -> Any:
            if replay:
                raise replay.pop()
            return await self._attempt(method, path, shown, params, body, action, authorization)

        result = await run.retrying()(attempt)
        if budget is not None:
            budget.refund(run.spent)
        return result

    async def _fetch_token(self, url: str, form: Mapping[str, str]) -> Any:
        """POST a form to the OAuth token endpoint (no bearer, not rate-limited); the decoded answer."""
        path = URL(url).path
        try:
            async with self._session().post(
                url,
                data=dict(form),
                headers=self._token_headers,
                allow_redirects=False,
                timeout=self._client_timeout,
            ) as resp:
                raw = await resp.read()
                status, headers = resp.status, resp.headers
                content_type = headers.get("Content-Type")
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise _translate(exc, "POST", path) from exc
        if status >= 300:
            raise status_error(status, method="POST", path=path, headers=headers, body=raw, content_type=content_type)
        return decode_json(raw, method="POST", path=path, status=status, content_type=content_type)

    def _count_retry(self, exc: BaseException, delay: float) -> None:
        self._shared.stats.count_retry(retry_cause(exc))

    async def _acquire(self, limiter: RateLimiter, delay: float, method: str, path: str) -> Ticket:
        """A ticket from the rate limiter; its wait is counted in stats, never in the request's timeout."""
        stats = self._shared.stats
        waited_from = self._clock()
        try:
            return await limiter.acquire(delay)
        except PauseTooLong as exc:
            raise RateLimitError(
                status=429,
                method=method,
                path=path,
                message=f"not sent: {exc}, longer than the limiter's max_pause",
                retry_after=exc.retry_after,
            ) from None
        finally:
            stats.limiter_wait += self._clock() - waited_from

    async def _attempt(
        self,
        method: str,
        target: str,
        path: str,
        params: Params | None,
        body: bytes | None,
        action: bool,
        authorization: str | None,
        have_slot: bool = False,
    ) -> Any:
        shared = self._shared
        stats = shared.stats
        slots = shared.slots
        limiter = shared.limiter
        if not have_slot and not slots.try_take():
            await slots.take()
        try:
            session = self._session()
            requeues = 0
            delay = 0.0
            while True:
                ticket = None if limiter is None else await self._acquire(limiter, delay, method, path)
                stats.requests += 1
                stats.in_flight += 1
                if stats.in_flight > stats.peak_in_flight:
                    stats.peak_in_flight = stats.in_flight
                started = self._clock() if shared.hooks else 0.0
                status: int | None = None
                headers: Mapping[str, str] | None = None
                again: float | None = None
                try:
                    try:
                        async with session.request(
                            method,
                            self._url(target),  # built only now: thousands of queued requests hold no URL objects
                            params=params,
                            data=body,
                            headers=self._request_headers(body, authorization),
                            allow_redirects=False,
                            timeout=self._client_timeout,
                        ) as resp:
                            raw = await resp.read()
                            status = resp.status
                            headers = resp.headers
                            content_type = headers.get("Content-Type")
                    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                        raise _translate(exc, method, path) from exc
                finally:
                    stats.in_flight -= 1
                    if limiter is not None and ticket is not None:
                        again = await limiter.record(ticket, status, headers)
                    if shared.hooks:
                        self._emit(self._event(method, path, status, headers, self._clock() - started))
                if status != 429:
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
                    "429 for %s %s: re-queued (%d of %d) after %.2f s", method, path, requeues, MAX_REQUEUES, delay
                )
        finally:
            slots.give()
        assert status is not None
        assert headers is not None
        if status >= 300:
            raise status_error(
                status,
                method=method,
                path=path,
                headers=headers,
                body=raw,
                content_type=content_type,
                action=action,
            )
        if raw and content_type is not None and "json" not in content_type:
            raise ResponseValidationError(
                f"expected JSON, got {content_type}: {raw[:200].decode('utf-8', 'replace')!r}",
                method=method,
                path=path,
                status=status,
            )
        return decode_json(raw, method=method, path=path, status=status, content_type=content_type)

    def _request_headers(self, body: bytes | None, authorization: str | None) -> Mapping[str, str] | None:
        # A session we created carries the fixed headers itself (cheaper per request);
        # a borrowed one gets them on every request and is never modified.
        extra: dict[str, str] | None = None
        if authorization is not None:
            extra = {"Authorization": authorization}
        if body is not None:
            extra = {**extra, **_JSON_HEADERS} if extra else dict(_JSON_HEADERS)
        if self._shared.owns_session:
            return extra
        return {**self._headers, **extra} if extra else self._headers

    @staticmethod
    def _event(
        method: str, path: str, status: int | None, headers: Mapping[str, str] | None, elapsed: float
    ) -> RequestEvent:
        info = parse_rate_limit_headers(headers) if headers is not None else None
        return RequestEvent(
            method=method,
            path=path,
            status=status,
            elapsed=elapsed,
            rate_limit=info.limit if info is not None else None,
            rate_limit_remaining=info.remaining if info is not None else None,
        )

    def _emit(self, event: RequestEvent) -> None:
        for hook in self._shared.hooks:
            try:
                hook(event)
            except Exception:  # a user's metrics hook must never break a request
                logger.exception("request hook %r failed", hook)
