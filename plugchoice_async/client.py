"""``PlugchoiceClient``: owns (or borrows) the session and wires the resources to the transport."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Final

from yarl import URL

from ._ratelimit import LocalRateLimiter, RateLimit, RateLimiter
from ._redis_limiter import RedisRateLimiter
from ._retry import RetryBudget, RetryPolicy
from ._stats import ClientStats, RequestEvent
from ._transport import AiohttpTransport
from ._types import Auth, Timeout
from .auth import OAuthClientCredentials, OAuthRefreshToken
from .exceptions import ConfigurationError
from .resources import Chargers, Fleet, Sites, Teams, Users

if TYPE_CHECKING:  # only the transport imports aiohttp at run time
    import aiohttp

__all__ = ["DEFAULT_BASE_URL", "PlugchoiceClient"]

DEFAULT_BASE_URL: Final = "https://app.plugchoice.com/api/v3"

_DEFAULT_RATE_LIMIT: Final = RateLimit()
_DEFAULT_TIMEOUT: Final = Timeout()
_DEFAULT_BUDGET: Final = object()


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_base_url(base_url: str) -> str:
    url = URL(base_url)
    if url.scheme not in {"http", "https"} or not url.host:
        raise ConfigurationError(f"base_url must be an http(s) URL, got {base_url!r}")
    if url.scheme == "http" and not _is_loopback(url.host):
        raise ConfigurationError(
            f"refusing plain http to {url.host}: the token would travel unencrypted (use https; "
            "http is allowed only for loopback hosts such as the local emulator)"
        )
    if url.user or url.password:
        raise ConfigurationError("base_url must not carry credentials")
    return base_url.rstrip("/")


class PlugchoiceClient:
    """An async client for the Plugchoice API v3.

    ::

        async with PlugchoiceClient(token="...") as client:
            charger = await client.chargers.get("3f2b6c1e-...")

    Args:
        token: API token; defaults to ``$PLUGCHOICE_TOKEN``. Never logged or shown.
        auth: OAuth2 credentials instead of a token (``OAuthClientCredentials`` or
            ``OAuthRefreshToken``): tokens are fetched, refreshed before expiry and once on a 401.
        base_url: defaults to ``$PLUGCHOICE_BASE_URL`` or ``https://app.plugchoice.com/api/v3``.
            Plain ``http://`` is refused unless the host is loopback.
        session: an ``aiohttp.ClientSession`` to use; it is never closed by the client.
            Without one the client creates (on first use) and closes its own.
        timeout: per-attempt timeouts in seconds (a number or a ``Timeout``); waiting for
            a concurrency slot or the rate limiter does not count.
        max_retries: retries after the first attempt (see the README for what is retried).
        max_concurrency: requests in flight at once; further requests queue without
            spending their timeout. Capped to a borrowed session's pool size.
        user_agent: replaces the default ``plugchoice-async/<version> ...``.
        rate_limit: client-side limit: a ``RateLimit`` for the in-process limiter (default 500 per
            60 s, adapted to the server's headers and 429s), a ``RateLimiter`` such as
            ``RedisRateLimiter`` to share one budget between processes, or None to turn it off.
            The client's ``aclose`` also closes the limiter (a limiter may be used again).
        retry_budget: the client-wide retry quota; None turns it off.
        trace_configs: aiohttp ``TraceConfig``s for the session the client creates.
        hooks: callables told of every attempt (``RequestEvent``), for metrics.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        auth: OAuthClientCredentials | OAuthRefreshToken | Auth | None = None,
        base_url: str | None = None,
        session: aiohttp.ClientSession | None = None,
        timeout: float | Timeout = _DEFAULT_TIMEOUT,
        max_retries: int = 3,
        max_concurrency: int = 64,
        user_agent: str | None = None,
        rate_limit: RateLimit | RateLimiter | None = _DEFAULT_RATE_LIMIT,
        retry_budget: RetryBudget | object | None = _DEFAULT_BUDGET,
        trace_configs: Iterable[aiohttp.TraceConfig] = (),
        hooks: Iterable[Callable[[RequestEvent], None]] = (),
    ) -> None:
        if auth is not None and token is not None:
            raise ConfigurationError("give either token or auth, not both")
        if auth is None:
            token = token if token is not None else os.environ.get("PLUGCHOICE_TOKEN")
            if not token or not token.strip():
                raise ConfigurationError(
                    "no API token: pass PlugchoiceClient(token=...) or auth=OAuthClientCredentials(...), "
                    "or set the PLUGCHOICE_TOKEN environment variable"
                )
            token = token.strip()
        resolved_url = _check_base_url(base_url or os.environ.get("PLUGCHOICE_BASE_URL") or DEFAULT_BASE_URL)
        token_url = getattr(auth, "token_url", None)
        if token_url is not None:
            _check_base_url(token_url)
        if max_retries < 0:
            raise ConfigurationError(f"max_retries must be >= 0, got {max_retries}")
        try:
            timeouts = Timeout.of(timeout)
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(str(exc)) from exc
        limiter: RateLimiter | None
        if isinstance(rate_limit, RateLimit):
            limiter = LocalRateLimiter(rate_limit)
        elif isinstance(rate_limit, RedisRateLimiter):
            # One shared budget per credential: the Redis key is a digest of it, never the secret.
            credential = token if token is not None else f"oauth:{getattr(auth, 'client_id', '')}@{token_url}"
            limiter = rate_limit.for_credential(credential)
        elif rate_limit is None or isinstance(rate_limit, RateLimiter):
            limiter = rate_limit
        else:
            raise ConfigurationError(
                f"rate_limit must be a RateLimit, a RateLimiter (such as RedisRateLimiter) or None, got {rate_limit!r}"
            )
        budget = RetryBudget() if retry_budget is _DEFAULT_BUDGET else retry_budget
        if budget is not None and not isinstance(budget, RetryBudget):
            raise ConfigurationError(f"retry_budget must be a RetryBudget or None, got {budget!r}")
        if max_concurrency < 1:
            raise ConfigurationError(f"max_concurrency must be >= 1, got {max_concurrency}")
        transport = AiohttpTransport(
            base_url=resolved_url,
            token=token,
            auth=auth,
            session=session,
            timeout=timeouts,
            retry=RetryPolicy(max_retries=max_retries),
            max_concurrency=max_concurrency,
            user_agent=user_agent,
            limiter=limiter,
            budget=budget,
            trace_configs=trace_configs,
            hooks=hooks,
        )
        self._wire(transport)

    def _wire(self, transport: AiohttpTransport) -> None:
        self._transport = transport
        self.chargers: Chargers = Chargers(transport)
        """Chargers: get, list, get_many, watch, update, history; ``.actions``, ``.settings``, ``.connectors``."""
        self.user: Users = Users(transport)
        """The authenticated user: ``get``."""
        self.sites: Sites = Sites(transport)
        """Sites (locations): chargers, connectors, transactions, cards, group meters."""
        self.teams: Teams = Teams(transport)
        """Teams: their chargers, sites and transactions."""
        self.fleet: Fleet = Fleet(transport, self.chargers, self.teams)
        """The whole fleet's status from the listings: ``snapshot`` and ``watch`` (about N / 100 requests)."""

    @classmethod
    def _from_transport(cls, transport: AiohttpTransport) -> PlugchoiceClient:
        client = cls.__new__(cls)
        client._wire(transport)
        return client

    def with_options(
        self, *, timeout: float | Timeout | None = None, max_retries: int | None = None
    ) -> PlugchoiceClient:
        """A client with other timeouts or retries that shares this one's session, limits and stats.

        Closing the original closes the shared session; the copy needs no closing of its own.
        """
        retry = None
        if max_retries is not None:
            if max_retries < 0:
                raise ConfigurationError(f"max_retries must be >= 0, got {max_retries}")
            retry = RetryPolicy(
                max_retries=max_retries,
                backoff_base=self._transport.retry_policy.backoff_base,
                backoff_cap=self._transport.retry_policy.backoff_cap,
                max_retry_after=self._transport.retry_policy.max_retry_after,
            )
        timeouts = Timeout.of(timeout) if timeout is not None else None
        return self._from_transport(self._transport.derive(timeout=timeouts, retry=retry))

    @property
    def base_url(self) -> str:
        """The API base URL."""
        return self._transport.base_url

    @property
    def stats(self) -> ClientStats:
        """Request counters: requests, retries by cause, 429s, limiter wait, peak in flight."""
        return self._transport.stats

    async def aclose(self) -> None:
        """Close the session the client created (a session passed in stays open). Idempotent."""
        await self._transport.aclose()

    async def __aenter__(self) -> PlugchoiceClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<PlugchoiceClient base_url={self.base_url!r}>"
