"""The aiohttp transport: the only module that touches the network.

One request goes: wait for a concurrency slot (our own semaphore, so the wait is
not counted against the timeout) -> wait for the rate limiter -> one attempt under
per-attempt timeouts -> status/JSON handling in ``_http``. The first attempt is made
directly; after a retryable failure, ``_retry.RetryRun`` (tenacity) drives the rest.
Every aiohttp error is translated here, once, into a ``PlugchoiceError``.
"""

from __future__ import annotations

import asyncio
import logging
import platform
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Final

import aiohttp
import attrs
import orjson
from yarl import URL

from ._http import decode_json, status_error
from ._ratelimit import RateLimiter, Ticket
from ._retry import RetryBudget, RetryPolicy, RetryRun, retry_cause
from ._stats import ClientStats, RequestEvent
from ._types import Params, Timeout
from ._version import __version__
from .exceptions import APIConnectionError, APITimeoutError, PlugchoiceError, ResponseValidationError

__all__ = ["AiohttpTransport", "default_user_agent"]

_JSON_HEADERS: Final = {"Content-Type": "application/json"}
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


def default_user_agent() -> str:
    """``plugchoice-async/<version> python/<x.y.z> aiohttp/<version>``."""
    return f"plugchoice-async/{__version__} python/{platform.python_version()} aiohttp/{aiohttp.__version__}"


@attrs.define(eq=False)
class _Shared:
    """What a client and its ``with_options`` copies share: session, limits, budget, stats."""

    session: aiohttp.ClientSession | None
    owns_session: bool
    semaphore: asyncio.Semaphore
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
        token: str,
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
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "User-Agent": user_agent or default_user_agent(),
        }
        self._timeout = timeout or Timeout()
        self._client_timeout = _client_timeout(self._timeout)
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._shared = _Shared(
            session=session,
            owns_session=session is None,
            semaphore=asyncio.Semaphore(max_concurrency),
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
            raise RuntimeError("the client is closed")
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
        if shared.owns_session and shared.session is not None:
            await shared.session.close()

    # -- requests -------------------------------------------------------------
    def _resolve(self, path: str) -> tuple[URL, str]:
        if path.startswith("/") and "?" not in path:
            # with_path on the parsed base skips re-parsing a whole URL string per request
            return self._base_url.with_path(self._base_path + path, encoded=True), path
        if path.startswith("/"):
            return URL(self._base + path, encoded=True), path
        if path.startswith(self._origin + "/"):
            url = URL(path, encoded=True)
            return url, url.raw_path_qs
        raise ValueError(f"refusing to send the token to a URL outside {self._origin}: {path!r}")

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
        url, shown = self._resolve(path)
        body = orjson.dumps(json) if json is not None else None
        budget = self._shared.budget
        try:
            result = await self._attempt(method, url, shown, params, body, action)
        except PlugchoiceError as exc:
            if self._retry.max_retries == 0 or not self._retry.is_retryable(exc, method):
                raise
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
        )
        replay: list[PlugchoiceError] = [first]

        async def attempt() -> Any:
            if replay:
                raise replay.pop()
            return await self._attempt(method, url, shown, params, body, action)

        result = await run.retrying()(attempt)
        if budget is not None:
            budget.refund(run.spent)
        return result

    def _count_retry(self, exc: BaseException, delay: float) -> None:
        self._shared.stats.count_retry(retry_cause(exc))

    async def _attempt(
        self,
        method: str,
        url: URL,
        path: str,
        params: Params | None,
        body: bytes | None,
        action: bool,
    ) -> Any:
        shared = self._shared
        session = self._session()
        stats = shared.stats
        async with shared.semaphore:
            ticket: Ticket | None = None
            if shared.limiter is not None:
                waited_from = self._clock()
                ticket = await shared.limiter.acquire()
                stats.limiter_wait += self._clock() - waited_from
            stats.requests += 1
            stats.in_flight += 1
            if stats.in_flight > stats.peak_in_flight:
                stats.peak_in_flight = stats.in_flight
            started = self._clock()
            status: int | None = None
            headers: Mapping[str, str] | None = None
            try:
                try:
                    async with session.request(
                        method,
                        url,
                        params=params,
                        data=body,
                        headers=self._request_headers(body),
                        allow_redirects=False,
                        timeout=self._client_timeout,
                    ) as resp:
                        raw = await resp.read()
                        status = resp.status
                        headers = resp.headers
                        content_type = headers.get("Content-Type")
                except aiohttp.ConnectionTimeoutError as exc:
                    raise APITimeoutError(
                        "timed out connecting to the server", method=method, path=path, request_sent=False
                    ) from exc
                except aiohttp.ClientConnectorError as exc:
                    raise APIConnectionError(
                        f"cannot connect: {exc.os_error or exc}", method=method, path=path, request_sent=False
                    ) from exc
                except TimeoutError as exc:  # aiohttp's socket read timeout, or the total per attempt
                    raise APITimeoutError("timed out waiting for the answer", method=method, path=path) from exc
                except (aiohttp.ClientError, OSError) as exc:
                    raise APIConnectionError(
                        f"connection failed: {type(exc).__name__}: {exc}", method=method, path=path
                    ) from exc
            finally:
                stats.in_flight -= 1
                if ticket is not None and shared.limiter is not None:
                    await shared.limiter.record(ticket, status, headers)
                if shared.hooks:
                    self._emit(RequestEvent(method=method, path=path, status=status, elapsed=self._clock() - started))
        assert status is not None
        assert headers is not None
        if status >= 300:
            if status == 429:
                stats.rate_limited += 1
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

    def _request_headers(self, body: bytes | None) -> Mapping[str, str] | None:
        # A session we created carries the auth headers itself (cheaper per request);
        # a borrowed one gets them on every request and is never modified.
        if self._shared.owns_session:
            return None if body is None else _JSON_HEADERS
        return self._headers if body is None else {**self._headers, **_JSON_HEADERS}

    def _emit(self, event: RequestEvent) -> None:
        for hook in self._shared.hooks:
            try:
                hook(event)
            except Exception:  # a user's metrics hook must never break a request
                logger.exception("request hook %r failed", hook)
