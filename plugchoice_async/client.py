"""``PlugchoiceClient``: checks its configuration, builds the request pipeline and wires the resources."""

from __future__ import annotations

import asyncio
import enum
import ipaddress
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Final, Literal, Self

import attrs
from yarl import URL

from ._endpoint_limits import DEFAULT_ENDPOINT_LIMITS, EndpointLimit, EndpointLimiters
from ._http import redact_url
from ._ratelimit import LocalRateLimiter, RateLimit, RateLimiter
from ._redis_limiter import RedisRateLimiter
from ._retry import RetryBudget, RetryPolicy
from ._stats import ClientStats, RequestEvent
from ._transport import AiohttpTransport, Pipeline, Transport
from ._types import Auth, Timeout
from .auth import OAuthClientCredentials, OAuthRefreshToken
from .exceptions import ConfigurationError
from .resources import Chargers, Fleet, Meters, PublicCharging, Sites, Teams, Users

if TYPE_CHECKING:  # only the transport imports aiohttp at run time
    import aiohttp

__all__ = ["DEFAULT_BASE_URL", "PlugchoiceClient", "PublicChargingClient"]

DEFAULT_BASE_URL: Final = "https://app.plugchoice.com/api/v3"
DEFAULT_MAX_RETRIES: Final = 3

_DEFAULT_RATE_LIMIT: Final = RateLimit()
_DEFAULT_TIMEOUT: Final = Timeout()
_LOGGER_NAME: Final = "plugchoice_async"
_LOG_LEVELS: Final = {"debug": logging.DEBUG, "info": logging.INFO}


class _Default(enum.Enum):
    """The marker of an argument left out (where None means "off")."""

    DEFAULT = "default"


_DEFAULT: Final = _Default.DEFAULT


def _setup_logging(environ: Mapping[str, str]) -> logging.Handler | None:
    """``PLUGCHOICE_LOG=debug|info``: log the ``plugchoice_async`` logger to stderr at that level.

    Like openai-python's ``OPENAI_LOG``: read once, when the package is imported. Without the
    variable nothing is configured (a library logs; the application decides where to). Returns
    the handler it attached, if any.
    """
    level = _LOG_LEVELS.get(environ.get("PLUGCHOICE_LOG", "").strip().lower())
    if level is None:
        return None
    handler = logging.StreamHandler()  # stderr
    handler.setFormatter(
        logging.Formatter("[%(asctime)s - %(name)s:%(lineno)d - %(levelname)s] %(message)s", "%Y-%m-%d %H:%M:%S")
    )
    logger = logging.getLogger(_LOGGER_NAME)
    logger.addHandler(handler)
    logger.setLevel(level)
    return handler


_setup_logging(os.environ)


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_url(value: object, name: str) -> str:
    """An http(s) API URL, as given less a trailing slash; never repeats credentials in its message."""
    if not isinstance(value, str):
        raise ConfigurationError(f"{name} must be a string URL, got {type(value).__name__}")
    shown = redact_url(value)
    try:
        url = URL(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{name} is not a valid URL: {shown!r}") from None
    if url.scheme not in {"http", "https"} or not url.host:
        raise ConfigurationError(f"{name} must be an http(s) URL, got {shown!r}")
    if url.user or url.password:
        raise ConfigurationError(f"{name} must not carry credentials: {shown!r}")
    if url.scheme == "http" and not _is_loopback(url.host):
        raise ConfigurationError(
            f"refusing plain http to {url.host}: the token would travel unencrypted (use https; "
            "http is allowed only for loopback hosts such as the local emulator)"
        )
    return value.rstrip("/")


def _header_safe(value: str) -> bool:
    """Visible ASCII and spaces only: no CR/LF (header injection) or other control characters."""
    return value.isascii() and value.isprintable()


def _check_token(token: object) -> str:
    if not isinstance(token, str):
        raise ConfigurationError(f"token must be a string, got {type(token).__name__}")
    token = token.strip()
    if not token:
        raise ConfigurationError(
            "no API token: pass PlugchoiceClient(token=...) or auth=OAuthClientCredentials(...), "
            "or set the PLUGCHOICE_TOKEN environment variable"
        )
    if not _header_safe(token):
        # never shown: the message must not carry the secret
        raise ConfigurationError(
            "the token contains a line break, a control character or a non-ASCII character: "
            "it cannot be sent in an Authorization header (check how it was read or pasted)"
        )
    return token


def _check_count(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    if value < minimum:
        raise ConfigurationError(f"{name} must be >= {minimum}, got {value}")
    return value


def _check_callable(value: object, name: str) -> None:
    if not callable(value):
        raise ConfigurationError(f"{name} must be callable, got {value!r}")


def _check_hooks(hooks: object) -> tuple[Callable[[RequestEvent], None], ...]:
    """``hooks`` as a tuple of callables; anything else (``hooks=5``) raises ``ConfigurationError``."""
    if isinstance(hooks, str | bytes) or not isinstance(hooks, Iterable):
        raise ConfigurationError(f"hooks must be an iterable of callables, got {hooks!r}")
    checked = tuple(hooks)
    for hook in checked:
        _check_callable(hook, "every hook")
    return checked


def _endpoint_limiters(
    limits: object, sleep: Callable[[float], Awaitable[None]], clock: Callable[[], float]
) -> EndpointLimiters | None:
    """The per-endpoint budgets (None: off); anything but EndpointLimits raises ``ConfigurationError``."""
    if limits is None:
        return None
    if isinstance(limits, str | bytes) or not isinstance(limits, Iterable):
        raise ConfigurationError(f"endpoint_limits must be EndpointLimit objects or None, got {limits!r}")
    return EndpointLimiters(limits, sleep=sleep, clock=clock)


def _check_user_agent(user_agent: object) -> None:
    if user_agent is not None and (not isinstance(user_agent, str) or not _header_safe(user_agent)):
        raise ConfigurationError(f"user_agent must be printable ASCII text, got {user_agent!r}")


def _transport_for(
    transport: Transport | None,
    session: aiohttp.ClientSession | None,
    trace_configs: Iterable[aiohttp.TraceConfig],
    max_concurrency: int,
) -> tuple[Transport, Callable[[], Awaitable[None]] | None, int]:
    """The transport to send with, how to close it (None: not ours), and the concurrency it can carry."""
    close_transport: Callable[[], Awaitable[None]] | None = None
    if transport is None:
        default = AiohttpTransport(session=session, pool_size=max_concurrency, trace_configs=trace_configs)
        transport, close_transport = default, default.aclose
    elif session is not None or tuple(trace_configs):
        raise ConfigurationError(
            "session and trace_configs configure the default transport: give them to "
            "AiohttpTransport(...) and pass that as transport=, or leave transport out"
        )
    elif not isinstance(transport, Transport):
        raise ConfigurationError(
            f"transport must have an async handle_async_request(request) method, got {transport!r}"
        )
    if isinstance(transport, AiohttpTransport):
        # More in flight than the pool holds would queue inside aiohttp, where waiting
        # counts against the timeout: bound ourselves to the pool.
        pool = transport.pool_size
        if pool is not None and pool < max_concurrency:
            max_concurrency = pool
    return transport, close_transport, max_concurrency


def _retry_policy(retry: object, max_retries: object, base: RetryPolicy) -> RetryPolicy | None:
    """The policy ``retry=`` / ``max_retries=`` ask for (None: neither given)."""
    if retry is not None and max_retries is not None:
        raise ConfigurationError("give either retry=RetryPolicy(...) or max_retries=, not both")
    if retry is not None:
        if not isinstance(retry, RetryPolicy):
            raise ConfigurationError(f"retry must be a RetryPolicy, got {retry!r}")
        return retry
    if max_retries is not None:
        return attrs.evolve(base, max_retries=_check_count(max_retries, "max_retries", 0))
    return None


class _PipelineClient:
    """What both clients share: a request pipeline they own, its URL and stats, closing, ``async with``."""

    _pipeline: Pipeline

    @property
    def base_url(self) -> str:
        """The API base URL."""
        return self._pipeline.base_url

    @property
    def stats(self) -> ClientStats:
        """Request counters: requests, retries by cause, 429s, limiter wait, peak in flight."""
        return self._pipeline.stats

    async def aclose(self) -> None:
        """Close what the client created: its transport and rate limiter (a session or transport passed in stays open).

        Idempotent; afterwards every call raises ``ClientClosedError``.
        """
        await self._pipeline.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} base_url={self.base_url!r}>"


class PlugchoiceClient(_PipelineClient):
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
        transport: what sends each HTTP request (any ``Transport``: one method,
            ``handle_async_request``); the default is an ``AiohttpTransport`` the client creates
            and closes. For tests: ``plugchoice_async.testing.FakeTransport``. Auth, limits,
            retries, stats and hooks all run above it. Not closed by the client.
        session: an ``aiohttp.ClientSession`` for the default transport; it is never closed by
            the client. Without one the client creates (on first use) and closes its own.
        timeout: per-attempt timeouts in seconds (a number or a ``Timeout``); waiting for
            a concurrency slot or the rate limiter does not count.
        retry: the ``RetryPolicy`` (see the README for what is retried).
        max_retries: shorthand for ``retry=RetryPolicy(max_retries=...)`` (default 3).
        max_concurrency: requests in flight at once; further requests queue without
            spending their timeout. Capped to an aiohttp transport's pool size.
        user_agent: replaces the default ``plugchoice-async/<version> ...``.
        rate_limit: client-side limit: a ``RateLimit`` for the in-process limiter (default 500 per
            60 s, adapted to the server's headers and 429s), a ``RateLimiter`` such as
            ``RedisRateLimiter`` to share one budget between processes, or None to turn it off.
            The client's ``aclose`` also closes the limiter (a limiter may be used again).
        endpoint_limits: the routes with budgets of their own (``EndpointLimit``s; default
            ``DEFAULT_ENDPOINT_LIMITS``: setup once per 60 s per charger, invitations and the
            Chargee meter 5 a minute, public charging 3 starts, 30 reads and 10 changes a
            minute). Each is paced apart, waited for before the call takes a slot, so it never
            slows the rest; None turns them off.
        retry_budget: the client-wide ``RetryBudget`` (default: ``RetryBudget()``); None turns it off.
        trace_configs: aiohttp ``TraceConfig``s for the session the client creates.
        hooks: callables told of every attempt (``RequestEvent``), for metrics.
        sleep: every wait of the client (retry backoff, ``watch`` intervals, bulk-command
            polling, per-endpoint budgets) goes through it; replace it in tests (default
            ``asyncio.sleep``). The rate limiter has its own (``LocalRateLimiter(sleep=..., clock=...)``).
        clock: a monotonic clock in seconds, for the times measured (default ``time.monotonic``).

    Any argument of the wrong type or value raises ``ConfigurationError`` here, never later. With
    ``PLUGCHOICE_LOG=debug`` (or ``info``) in the environment, the ``plugchoice_async`` logger
    writes to stderr: one DEBUG line per attempt, INFO per retry, WARNING per 429 pause.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        auth: OAuthClientCredentials | OAuthRefreshToken | Auth | None = None,
        base_url: str | None = None,
        transport: Transport | None = None,
        session: aiohttp.ClientSession | None = None,
        timeout: float | Timeout = _DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        max_retries: int | None = None,
        max_concurrency: int = 64,
        user_agent: str | None = None,
        rate_limit: RateLimit | RateLimiter | None = _DEFAULT_RATE_LIMIT,
        endpoint_limits: Iterable[EndpointLimit] | None = DEFAULT_ENDPOINT_LIMITS,
        retry_budget: RetryBudget | Literal[_Default.DEFAULT] | None = _DEFAULT,
        trace_configs: Iterable[aiohttp.TraceConfig] = (),
        hooks: Iterable[Callable[[RequestEvent], None]] = (),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if auth is not None and token is not None:
            raise ConfigurationError("give either token or auth, not both")
        auth_methods = ("authorization", "refresh_after_401")
        if auth is not None and not all(callable(getattr(auth, name, None)) for name in auth_methods):
            # the type only: a token passed here by mistake must not be shown
            kind = type(auth).__name__
            raise ConfigurationError(f"auth must be OAuthClientCredentials, OAuthRefreshToken or an Auth, got a {kind}")
        if auth is None:
            token = _check_token(token if token is not None else os.environ.get("PLUGCHOICE_TOKEN", ""))
        resolved_url = _check_url(base_url or os.environ.get("PLUGCHOICE_BASE_URL") or DEFAULT_BASE_URL, "base_url")
        token_url = getattr(auth, "token_url", None)
        if token_url is not None:
            _check_url(token_url, "token_url")
        _check_user_agent(user_agent)
        policy = _retry_policy(retry, max_retries, RetryPolicy(max_retries=DEFAULT_MAX_RETRIES))
        timeouts = Timeout.of(timeout)
        max_concurrency = _check_count(max_concurrency, "max_concurrency", 1)
        hooks = _check_hooks(hooks)
        _check_callable(sleep, "sleep")
        _check_callable(clock, "clock")
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
        routes = _endpoint_limiters(endpoint_limits, sleep, clock)
        budget = RetryBudget() if retry_budget is _DEFAULT else retry_budget
        if budget is not None and not isinstance(budget, RetryBudget):
            raise ConfigurationError(f"retry_budget must be a RetryBudget or None, got {budget!r}")

        transport, close_transport, max_concurrency = _transport_for(transport, session, trace_configs, max_concurrency)
        pipeline = Pipeline(
            transport=transport,
            close_transport=close_transport,
            base_url=resolved_url,
            token=token,
            auth=auth,
            token_url=token_url,
            timeout=timeouts,
            retry=policy,
            max_concurrency=max_concurrency,
            user_agent=user_agent,
            limiter=limiter,
            endpoint_limits=routes,
            budget=budget,
            hooks=hooks,
            sleep=sleep,
            clock=clock,
        )
        self._wire(pipeline, sleep, clock)

    def _wire(self, pipeline: Pipeline, sleep: Callable[[float], Awaitable[None]], clock: Callable[[], float]) -> None:
        self._pipeline = pipeline
        self._sleep = sleep
        self._clock = clock
        self.chargers: Chargers = Chargers(pipeline, sleep=sleep, clock=clock)
        """Chargers: get, list, get_many, watch, update, history; ``.actions``, ``.settings``, ``.connectors``."""
        self.user: Users = Users(pipeline)
        """The authenticated user: ``get``."""
        self.sites: Sites = Sites(pipeline)
        """Sites (locations): chargers, connectors, transactions, cards, group meters."""
        self.public_charging: PublicCharging = PublicCharging(pipeline)
        """Public charging (sent without the token): a charger's public page, a paying driver's session."""
        self.teams: Teams = Teams(pipeline)
        """Teams: their chargers, sites and transactions."""
        self.meters: Meters = Meters(pipeline)
        """External meters: ``chargee`` (a Chargee meter by its ID or serial number)."""
        self.fleet: Fleet = Fleet(pipeline, self.chargers, self.teams, sleep=sleep)
        """The whole fleet's status from the listings: ``snapshot`` and ``watch`` (about N / 100 requests)."""

    def with_options(
        self,
        *,
        timeout: float | Timeout | None = None,
        retry: RetryPolicy | None = None,
        max_retries: int | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> PlugchoiceClient:
        """A client with other timeouts, retries (or sleep and clock) sharing this one's transport, limits and stats.

        ``max_retries`` keeps the rest of the current policy. Closing the original closes what
        they share; the copy needs no closing of its own. Bad values raise ``ConfigurationError``.
        """
        policy = _retry_policy(retry, max_retries, self._pipeline.retry_policy)
        timeouts = Timeout.of(timeout) if timeout is not None else None
        if sleep is not None:
            _check_callable(sleep, "sleep")
        if clock is not None:
            _check_callable(clock, "clock")
        copy = object.__new__(PlugchoiceClient)
        copy._wire(
            self._pipeline.derive(timeout=timeouts, retry=policy, sleep=sleep, clock=clock),
            sleep or self._sleep,
            clock or self._clock,
        )
        return copy

    @property
    def timeout(self) -> Timeout:
        """Per-attempt timeouts."""
        return self._pipeline.timeout

    @property
    def retry_policy(self) -> RetryPolicy:
        """The retry policy."""
        return self._pipeline.retry_policy

    @property
    def max_concurrency(self) -> int:
        """Requests in flight at once, at most (after capping to an aiohttp pool)."""
        return self._pipeline.max_concurrency


class PublicChargingClient(_PipelineClient, PublicCharging):
    """Public charging for apps without an API token (a payment page, a kiosk).

    ::

        async with PublicChargingClient() as public:
            charger = await public.get_charger("AB12CD")
            started = await public.start_session(code="AB12CD", connector_id=1)

    The methods are those of ``PlugchoiceClient.public_charging``; no ``Authorization`` is
    ever sent (the session token is the credential). ``base_url``, ``transport``, ``session``,
    ``timeout``, ``retry``/``max_retries``, ``max_concurrency``, ``user_agent``, ``hooks``,
    ``sleep`` and ``clock`` mean what they mean for ``PlugchoiceClient``; ``endpoint_limits``
    (default ``DEFAULT_ENDPOINT_LIMITS``) paces the public-charging calls under the server's
    per-IP limits. A bad argument raises ``ConfigurationError`` here.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        transport: Transport | None = None,
        session: aiohttp.ClientSession | None = None,
        timeout: float | Timeout = _DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        max_retries: int | None = None,
        max_concurrency: int = 16,
        user_agent: str | None = None,
        endpoint_limits: Iterable[EndpointLimit] | None = DEFAULT_ENDPOINT_LIMITS,
        hooks: Iterable[Callable[[RequestEvent], None]] = (),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        resolved_url = _check_url(base_url, "base_url")
        _check_user_agent(user_agent)
        policy = _retry_policy(retry, max_retries, RetryPolicy(max_retries=DEFAULT_MAX_RETRIES))
        hooks = _check_hooks(hooks)
        _check_callable(sleep, "sleep")
        _check_callable(clock, "clock")
        transport, close_transport, max_concurrency = _transport_for(
            transport, session, (), _check_count(max_concurrency, "max_concurrency", 1)
        )
        self._pipeline = Pipeline(
            transport=transport,
            close_transport=close_transport,
            base_url=resolved_url,
            timeout=Timeout.of(timeout),
            retry=policy,
            max_concurrency=max_concurrency,
            user_agent=user_agent,
            endpoint_limits=_endpoint_limiters(endpoint_limits, sleep, clock),
            budget=RetryBudget(),
            hooks=hooks,
            sleep=sleep,
            clock=clock,
        )
        super().__init__(self._pipeline)
