"""The emulator: a real aiohttp server answering like the Plugchoice API v3 (a Laravel application).

An ``aiohttp.web.Application``: aiohttp's router matches the request (``{uuid}`` placeholders, read by the
handlers from ``request.match_info``), then every request goes through one pipeline, a middleware per step:

1. arrival (``_arrive``): logged (``at`` = clock value), counted in flight, ``latency`` waited;
2. auth (``_authenticate``): ``Authorization: Bearer <token>``, else 401 (not counted by the rate limiter, no rate
   headers);
3. rate limit (``_limit``): ``throttle`` counts the request against its token (or OAuth client), else 429 with
   ``Retry-After``; the ``X-RateLimit-*`` headers go where ``rate_limit_headers`` says;
4. faults (``_inject_faults``): the first queued :class:`Fault` matching the request, else the random
   ``error_rate`` errors;
5. the route, called by the faults middleware (so that faults apply to its answer): its handler, once the bulk
   jobs due by now reached their chargers, or Laravel's 404 / 405 when the router found none.

``POST /oauth/token`` (at the server root, not under ``/api/v3``) skips steps 2 and 3, as Passport's endpoint
needs no bearer token; faults still apply to it (match it with ``path="/oauth/token"``). Public charging
(``/public-charging/...``) needs no bearer token either: it passes step 2 without a caller, so step 3 counts it
against no token's budget.

Route handlers live in one module per area (``_routes_chargers``, ``_routes_metering``, ``_routes_sites``,
``_routes_access``, ``_routes_public``, ``_oauth``) over the shared :class:`~._state.State`; the answers' helpers
(JSON, Laravel's errors and validation) are in ``_web`` and the three paginator shapes in ``_pagination``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Self, get_args

import orjson
from aiohttp import web
from aiohttp.typedefs import Handler
from multidict import MultiMapping
from yarl import URL

from ._bulk import BulkCommands, BulkRoutes
from ._endpoint_throttle import EndpointThrottles
from ._faults import Fault, FaultQueue, html_error_page, json_error_body
from ._fleet import REFERENCE_EPOCH
from ._history import charger_transaction
from ._oauth import OAUTH_PATH, OAuthServer
from ._ratelimit import THROTTLES, Throttle, ThrottleName
from ._routes_access import AccessRoutes
from ._routes_accounts import AccountRoutes
from ._routes_chargers import ChargerRoutes
from ._routes_metering import MeteringRoutes
from ._routes_public import PublicRoutes
from ._routes_sites import SiteRoutes, TeamRoutes
from ._state import BEHAVIOURS, ActionRecord, Behaviour, State
from ._web import json_response, message_response

__all__ = ["LoggedRequest", "PlugchoiceEmulator", "RateLimitHeaderMode", "UserEnvelope", "json_response"]

RateLimitHeaderMode = Literal["always", "on-429", "never"]
_HEADER_MODES: tuple[str, ...] = get_args(RateLimitHeaderMode)
#: How ``GET /user`` answers: the bare account (as the published examples show) or ``{"data": account}``.
UserEnvelope = Literal["bare", "wrapped"]
_USER_ENVELOPES: tuple[str, ...] = get_args(UserEnvelope)
_THROTTLE_NAMES: tuple[str, ...] = get_args(ThrottleName)
#: The largest request body read (aiohttp's default is 1 MiB): room for a 1 MB upload plus its multipart framing,
#: and for an over-size one, which the route then refuses with Laravel's 422.
_MAX_BODY = 4 * 1024 * 1024

_logger = logging.getLogger(__name__)

API_PREFIX = "/api/v3"
_API_ROOT, _API_CUT = API_PREFIX + "/", len(API_PREFIX)  # a path under the API, and where its relative path starts
_PUBLIC_ROOT = API_PREFIX + "/public-charging/"  # no bearer token: the session token is the credential
_REDACTED = "<redacted>"
_UNAUTHENTICATED = json_error_body(401)
_TOO_MANY_ATTEMPTS = json_error_body(429)
# stop() lets in-flight requests finish for this long, then cancels them (aiohttp waits twice: at most ~1 s).
_SHUTDOWN_TIMEOUT = 0.5
# How a 405 lists the methods a path does accept (HEAD last, as every GET route also answers HEAD).
_METHOD_ORDER = {method: index for index, method in enumerate(("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"))}
_OTHER_METHOD = len(_METHOD_ORDER)

# What the pipeline's steps hand on to the next ones, per request.
_ARRIVED = web.RequestKey("arrived", float)  # the clock on arrival: auth and rate limit decide at that instant
# Whom auth admitted: the static token, or "oauth-client:<id>"; None for Passport's token endpoint (no bearer token).
_CALLER = web.RequestKey[str | None]("caller")
_ANSWER_HEADERS = web.RequestKey[dict[str, str]]("answer_headers")  # X-RateLimit-* and the fault's headers


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


# A request answered, as logged (method, URL, status, at, body, headers): the LoggedRequest (parsed query, copied and
# redacted headers) is made when ``requests`` is read, not while serving.
_Answered = tuple[str, URL, int, float, bytes, "MultiMapping[str]"]


def _bearer_token(authorization: str | None) -> str | None:
    if authorization is None or authorization[:7].lower() != "bearer ":
        return None
    return authorization[7:].strip()


def _redacted(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: _REDACTED if name.lower() == "authorization" else value for name, value in headers.items()}


def _check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")


class PlugchoiceEmulator:
    """A local Plugchoice API v3 server with a generated fleet, for tests and demos.

    Use it as an async context manager (or call :meth:`start` and :meth:`stop`)::

        async with PlugchoiceEmulator(chargers=100) as emu:
            async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {emu.token}"}) as s:
                async with s.get(f"{emu.base_url}/chargers/{emu.uuids[0]}") as r:
                    charger = (await r.json())["data"]

    State is plain and mutable: ``chargers`` (uuid -> Get Charger document, in fleet order), ``user``,
    ``user_envelope``, ``latency``, ``error_rate``, ``error_status``, ``rate_limit``, ``rate_period``, ``throttle``,
    ``rate_limit_headers``, ``rate_burst``, ``honour_per_page`` and ``bulk_delay`` may all be changed while it
    serves. Change charger documents with :meth:`set_charger`; after editing ``chargers`` directly, call
    :meth:`invalidate` so the cached JSON is rebuilt. Observations: ``requests``, ``max_in_flight``,
    ``rate_limited``; :meth:`reset_stats` clears them.

    ``GET /user`` answers the account bare, as the published examples show (``user_envelope="bare"``, the
    default); ``user_envelope="wrapped"`` answers ``{"data": account}`` as single resources elsewhere are.

    Listings serve ``per_page`` items a page (1..100, 25 by default) while ``honour_per_page`` is True (the
    default); False makes every listing ignore it and serve 25, reporting ``per_page`` 25, as the real API may.

    The fleet can change between two polls: :meth:`add_charger` adds a charger (listed by ``GET /chargers``, its
    team and its site, served by ``GET /chargers/{c}``), :meth:`remove_charger` takes one away (404 from then on).
    A charger may be in several teams or in none (:meth:`charger_teams`, :meth:`add_charger_to_team`,
    :meth:`remove_charger_from_teams`); ``GET /teams/{t}/chargers`` lists every charger of team t, with the same
    connection_status, status and connector statuses as ``GET /chargers/{c}`` at that moment. Attaching a charger
    to a site (``POST /sites/{s}/chargers``) makes the site's team its only team.

    Around the fleet: ``teams`` and ``sites`` of the account (about one site per 20 chargers, 80% of the chargers
    on one), and another owner's chargers (``foreign_uuids``, site ``foreign_site_uuid``, team ``foreign_team_uuid``)
    that answer 403 on every route. Every 7th charger (ids 7, 14, ...) lacks the ``sensitive`` permission, so its
    document has no ``pincode``; ``pincodes`` has every charger's. Transactions, meter values, logs and settings
    of a charger are generated on first use (the same seed gives the same data). A charging connector samples its
    meter every 5 minutes of ``clock`` (register, power, current and voltage per phase; made when read, see
    ``_history.History.sync``), and ``latest-metervalue`` and ``power-usage`` show its newest sample. Command log
    entries hold the OCPP message sent (``SetChargingProfile``, ``RemoteStartTransaction``, ...) and the reply.

    Commands (``actions/*``) are applied to the state as a charger would (see :meth:`set_action_behaviour`) and
    recorded in ``actions``. ``actions/composite-schedule`` answers OCPP's merged view of the charging profiles set
    by ``actions/charge-limit`` and ``actions/charging-profile`` (see ``_schedule``). Bulk commands
    (``POST /chargers/commands/bulk``) run one job per charger, ``bulk_delay`` seconds of ``clock`` apart, each
    decided when the run is created (see ``_bulk``): ``GET /chargers/commands/bulk/{run}`` shows the run progress
    as ``clock`` moves (only to the token or OAuth client that created it), and ``bulk_runs`` lists every run.
    A job reaches its charger (``actions``, and a ``Reset`` restarts it) at the first request or read of
    ``chargers``, ``actions`` or ``bulk_runs`` once it is due.

    OAuth: :meth:`issue_client` registers a client for ``POST oauth_url``; the access tokens it grants
    (``token_grants`` counts them) are accepted until ``token_ttl`` seconds of ``clock`` pass or
    :meth:`expire_tokens`.

    Rate limit: ``rate_limit`` requests per ``rate_period`` seconds per token or OAuth client (None: no limit, 0: none),
    enforced by ``throttle`` (see ``_ratelimit``): ``"fixed-window"`` (the default: Laravel's ``throttle``
    middleware, as Plugchoice), ``"sliding-window"`` (at most ``rate_limit`` in any trailing ``rate_period``) or
    ``"leaky-bucket"`` (nginx ``limit_req`` at ``rate_limit / rate_period`` per second with ``burst=rate_burst
    nodelay``: ``rate_burst + 1`` requests at once). Rejected requests never count. Each 429 adds one to
    ``rate_limited`` and carries ``Retry-After`` (whole seconds, at least 1). ``rate_limit_headers`` says where
    the other headers go: ``"always"`` (the default, as Laravel) puts ``X-RateLimit-Limit`` (``rate_limit``) and
    ``X-RateLimit-Remaining`` on every authenticated answer and ``X-RateLimit-Reset`` (epoch seconds at which a
    retry is allowed) on 429s; ``"on-429"`` puts those three on 429s only; ``"never"`` sends none of them.
    Switching ``throttle`` while serving starts its counts afresh.

    Per-endpoint budgets, in fixed windows of ``endpoint_period`` seconds (60 by default, None: off), beside the
    user's: setup once per charger, invitations and the Chargee meter 5 per user, public charging 3 session starts,
    30 reads and 10 confirms, stops or cancels per client address. Their 429 carries that route's
    ``X-RateLimit-Limit``, ``X-RateLimit-Remaining: 0`` and ``Retry-After``, and counts in ``rate_limited``.

    ``clock`` drives the rate limit, ``LoggedRequest.at``, OAuth expiry and bulk runs (inject a fake one to step
    time); ``X-RateLimit-Reset`` maps it to epoch seconds with the offset between ``time.time()`` and the
    clock taken at construction. That mapping (never before the fleet's reference instant, 2026-01-10 12:00 UTC)
    is also the "now" of the timestamps written by commands and :meth:`set_charger`, so stepping a fake clock
    an hour lets a started session charge for an hour.

    ``sleep`` is what the emulator waits ``latency`` and ``"delay"`` faults with (``asyncio.sleep``). Give it a
    coroutine function of your own to wait on events instead of time: one that returns at once (and records
    the delays), or one that holds requests until the test releases them, so that "these requests are in
    flight" or "this one answers last" is a fact of the test rather than a matter of timing.
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
        throttle: ThrottleName = "fixed-window",
        rate_limit_headers: RateLimitHeaderMode = "always",
        rate_burst: int = 10,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        token_ttl: float = 3600.0,
        honour_per_page: bool = True,
        endpoint_period: float | None = 60.0,
        user_envelope: UserEnvelope = "bare",
    ) -> None:
        if chargers < 0:
            raise ValueError(f"chargers must not be negative, got {chargers}")
        accepted = frozenset((token, *tokens))
        if "" in accepted:
            raise ValueError("tokens must not be empty")
        if rate_limit is not None and rate_limit < 0:
            raise ValueError(f"rate_limit must be None or at least 0, got {rate_limit}")
        if token_ttl <= 0:
            raise ValueError(f"token_ttl must be positive, got {token_ttl}")
        if rate_period <= 0:
            raise ValueError(f"rate_period must be positive, got {rate_period}")
        _check_choice("throttle", throttle, _THROTTLE_NAMES)
        _check_choice("rate_limit_headers", rate_limit_headers, _HEADER_MODES)
        _check_choice("user_envelope", user_envelope, _USER_ENVELOPES)
        if rate_burst < 0:
            raise ValueError(f"rate_burst must be at least 0, got {rate_burst}")

        self.token = token
        self.rate_limit = rate_limit
        self.rate_period = rate_period
        self.throttle = throttle
        self.rate_limit_headers = rate_limit_headers
        self.rate_burst = rate_burst
        if endpoint_period is not None and not endpoint_period > 0:
            raise ValueError(f"endpoint_period must be None or positive, got {endpoint_period}")
        #: The window of the per-endpoint budgets (setup, invitations, Chargee meter, public charging), None: off.
        self.endpoint_period = endpoint_period
        self._endpoints = EndpointThrottles()
        self._user_envelope: UserEnvelope = user_envelope
        self.latency = latency
        self.error_rate = 0.0
        self.error_status = 500
        self.max_in_flight = 0
        self.rate_limited = 0

        self._tokens = accepted
        self._host = host
        self._port = port
        self._clock = clock
        self._sleep = sleep
        self._wall_offset = time.time() - clock()
        self._state = State(chargers, seed, self._now)
        self._state.honour_per_page = honour_per_page
        self._bulk = BulkCommands(self._state, clock, seed)
        self._oauth = OAuthServer(seed, clock, token_ttl)
        self._error_rng = random.Random(f"plugchoice-errors:{seed}")
        self._faults = FaultQueue()
        self._throttle_name = throttle
        self._throttle_state: Throttle = THROTTLES[throttle]()
        self._in_flight = 0
        self._next_seq = 0
        self._log: dict[int, LoggedRequest | _Answered | None] = {}  # arrival order; None while in flight
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind the socket and start serving."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        runner = web.AppRunner(self._application(), access_log=None, shutdown_timeout=_SHUTDOWN_TIMEOUT)
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
        self._root_url = f"http://{host}:{port}"

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

    @property
    def oauth_url(self) -> str:
        """``http://<host>:<port>/oauth/token`` (only while running)."""
        self.base_url  # noqa: B018 - raises when not started
        return self._root_url + OAUTH_PATH

    # -- state and observations ------------------------------------------------------------------

    @property
    def chargers(self) -> dict[str, dict[str, Any]]:
        """uuid -> Get Charger document, in fleet order (the answers themselves: see :meth:`invalidate`)."""
        self._bulk.settle()
        self._state.settle()  # a setup's restart, when due
        return self._state.chargers

    @chargers.setter
    def chargers(self, chargers: dict[str, dict[str, Any]]) -> None:
        self._state.chargers = chargers
        self._state.invalidate()

    @property
    def user(self) -> dict[str, Any]:
        """The account behind the tokens, as ``GET /user`` shows it."""
        return self._state.user

    @user.setter
    def user(self, user: dict[str, Any]) -> None:
        self._state.user = user

    @property
    def user_envelope(self) -> UserEnvelope:
        """How ``GET /user`` answers: ``"bare"`` (the account itself, the default) or ``"wrapped"`` (in ``data``)."""
        return self._user_envelope

    @user_envelope.setter
    def user_envelope(self, envelope: UserEnvelope) -> None:
        _check_choice("user_envelope", envelope, _USER_ENVELOPES)
        self._user_envelope = envelope

    @property
    def uuids(self) -> list[str]:
        """Charger uuids in fleet order."""
        return list(self.chargers)

    @property
    def foreign_uuids(self) -> list[str]:
        """Uuids of another owner's chargers: every route of theirs answers 403 (they are not in ``uuids``)."""
        return list(self._state.world.foreign_chargers)

    @property
    def foreign_site_uuid(self) -> str:
        """The other owner's site (403)."""
        return str(self._state.world.foreign_site["uuid"])

    @property
    def foreign_team_uuid(self) -> str:
        """The other owner's team (403)."""
        return str(self._state.world.foreign_team["uuid"])

    @property
    def pincodes(self) -> dict[str, str]:
        """uuid -> pincode of every charger, including those whose document hides it (for attaching to a site)."""
        return self._state.pincodes

    @property
    def sites(self) -> dict[str, dict[str, Any]]:
        """The account's sites: uuid -> site record (live: edits show in the answers)."""
        return self._state.world.sites

    @property
    def teams(self) -> dict[str, dict[str, Any]]:
        """The account's teams: uuid -> the ``GET /teams`` item."""
        return self._state.world.teams

    def site_chargers(self, site_uuid: str) -> list[str]:
        """The uuids of the chargers on a site, in the order they joined it."""
        return list(self._state.site_members(site_uuid))

    def transactions(self, uuid: str) -> list[dict[str, Any]]:
        """A charger's transactions as ``GET /chargers/{c}/transactions`` shows them, oldest first."""
        charger = self.chargers[uuid]
        return [charger_transaction(tx, charger) for tx in self._state.history(uuid).transactions]

    @property
    def actions(self) -> list[ActionRecord]:
        """Every command that reached a charger (passed validation), in order; clear it with ``actions.clear()``.

        A bulk command's job is recorded when it reaches its charger (``action`` ``"bulk-command"``, ``body``
        ``{"run", "command", "data"}``); one that finds its charger offline is not.
        """
        self._bulk.settle()
        return self._state.actions

    # -- listings and the fleet changing ---------------------------------------------------------

    @property
    def honour_per_page(self) -> bool:
        """Whether listings serve the ``per_page`` asked for (clamped to 1..100); False: always 25 a page."""
        return self._state.honour_per_page

    @honour_per_page.setter
    def honour_per_page(self, honour: bool) -> None:
        self._state.honour_per_page = bool(honour)

    def add_charger(
        self,
        *,
        connection_status: str = "online",
        team_uuid: str | None = None,
        site_uuid: str | None = None,
        connectors: Mapping[int, str | Mapping[str, Any]] | None = None,
        **fields: Any,
    ) -> str:
        """Add a generated charger, created now and without history, and return its uuid.

        It is listed last by ``GET /chargers``, served by ``GET /chargers/{c}``, and listed by the team
        ``team_uuid`` and by the team of the site ``site_uuid`` (which lists it too); with neither, by the first
        of ``teams``. ``connectors`` and ``fields`` then change it as :meth:`set_charger` does. Raises
        ``KeyError`` for a team or site that is not the account's.
        """
        world = self._state.world
        if team_uuid is not None and team_uuid not in world.teams:
            raise KeyError(f"unknown team {team_uuid}")
        if site_uuid is not None and site_uuid not in world.sites:
            raise KeyError(f"unknown site {site_uuid}")
        if connection_status not in ("online", "offline", "never_seen"):
            raise ValueError(f"connection_status must be online, offline or never_seen; got {connection_status!r}")
        teams = {uuid for uuid in (team_uuid, site_uuid and world.site_team[site_uuid]) if uuid is not None}
        uuid = self._state.add_charger(connection_status, teams or {next(iter(world.teams))}, site_uuid)["uuid"]
        if connectors or fields:
            self.set_charger(uuid, connectors=connectors, **fields)
        return str(uuid)

    def remove_charger(self, uuid: str) -> None:
        """Remove a charger from the fleet, its site and its teams: every route of it answers 404 from now on."""
        if uuid not in self._state.chargers:
            raise KeyError(uuid)
        self._state.remove_charger(uuid)

    def charger_teams(self, uuid: str) -> list[str]:
        """The uuids of the teams whose ``GET /teams/{t}/chargers`` lists the charger, in ``teams`` order."""
        if uuid not in self._state.chargers:
            raise KeyError(uuid)
        return self._state.world.teams_of(uuid)

    def add_charger_to_team(self, uuid: str, team_uuid: str) -> None:
        """List the charger in ``team_uuid`` too (it stays in its other teams)."""
        if uuid not in self._state.chargers:
            raise KeyError(uuid)
        if team_uuid not in self._state.world.teams:
            raise KeyError(f"unknown team {team_uuid}")
        self._state.world.charger_teams.setdefault(uuid, set()).add(team_uuid)

    def remove_charger_from_teams(self, uuid: str) -> None:
        """Take the charger out of every team: no team listing shows it; ``/chargers`` and its site still do."""
        if uuid not in self._state.chargers:
            raise KeyError(uuid)
        self._state.world.charger_teams[uuid] = set()

    # -- bulk commands ---------------------------------------------------------------------------

    @property
    def bulk_delay(self) -> float:
        """Seconds of ``clock`` between two jobs of a bulk run (the i-th charger's result is pending until
        ``bulk_delay * (i + 1)`` after the run's creation); read when a run is created. 0 finishes runs at once."""
        return self._bulk.delay

    @bulk_delay.setter
    def bulk_delay(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"bulk_delay must not be negative, got {seconds}")
        self._bulk.delay = seconds

    @property
    def bulk_runs(self) -> list[dict[str, Any]]:
        """Every bulk run, oldest first, as ``GET /chargers/commands/bulk/{run}`` answers it now (inside ``data``)."""
        return [self._bulk.document(run) for run in self._bulk.runs.values()]

    def set_action_behaviour(self, uuid: str, behaviour: Behaviour | None) -> None:
        """How a charger answers ``actions/*`` from now on.

        ``"accept"``: apply and answer the charger's status (``Accepted``, or ``Rejected`` when it cannot, e.g. a
        start on a busy connector); ``"reject"``: answer ``Rejected``, change nothing; ``"offline"``: answer 504
        "The charger did not respond in time." and change nothing; ``"slow"``: apply, then answer that 504 all
        the same. None restores the default: ``"accept"`` when online, ``"offline"`` otherwise.
        """
        if uuid not in self.chargers:
            raise KeyError(uuid)
        if behaviour is None:
            self._state.behaviours.pop(uuid, None)
        elif behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}; expected one of {list(BEHAVIOURS)}")
        else:
            self._state.behaviours[uuid] = behaviour

    # -- OAuth -----------------------------------------------------------------------------------

    def issue_client(self, client_id: str, client_secret: str) -> None:
        """Register an OAuth client for the client credentials and refresh token grants."""
        self._oauth.issue_client(client_id, client_secret)

    @property
    def token_ttl(self) -> float:
        """Lifetime of the access tokens granted from now on, in seconds of ``clock`` (``expires_in``)."""
        return self._oauth.token_ttl

    @token_ttl.setter
    def token_ttl(self, seconds: float) -> None:
        if seconds <= 0:
            raise ValueError(f"token_ttl must be positive, got {seconds}")
        self._oauth.token_ttl = seconds

    @property
    def token_grants(self) -> int:
        """How many access tokens ``POST /oauth/token`` granted."""
        return self._oauth.grants

    def expire_tokens(self) -> None:
        """Make every access token granted so far invalid (401); refresh tokens keep working."""
        self._oauth.expire()

    @property
    def requests(self) -> list[LoggedRequest]:
        """Every answered request, in arrival order (requests still in flight are not listed yet)."""
        log = self._log
        answered: list[LoggedRequest] = []
        for seq, entry in log.items():
            if isinstance(entry, tuple):
                method, url, status, at, body, headers = entry
                entry = log[seq] = LoggedRequest(
                    method, url.path, dict(url.query), status, at, body, _redacted(headers)
                )
            if entry is not None:
                answered.append(entry)
        return answered

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
        stamp = self._state.stamp()
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
        self._state.invalidate(uuid)

    def _now(self) -> float:
        """Epoch seconds by ``clock``, never before the fleet's reference instant."""
        return max(self._clock() + self._wall_offset, REFERENCE_EPOCH)

    # -- the pipeline ----------------------------------------------------------------------------

    @web.middleware
    async def _arrive(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Step 1: log the request (listed in ``requests`` once answered), count it in flight, wait ``latency``.

        An exception further down is logged and answered 500.
        """
        at = request[_ARRIVED] = self._clock()
        seq = self._next_seq
        self._next_seq = seq + 1
        self._log[seq] = None
        self._in_flight += 1
        if self._in_flight > self.max_in_flight:
            self.max_in_flight = self._in_flight
        status = 0
        body = b""
        try:
            if request.body_exists:
                body = await request.read()
            if self.latency > 0:
                await self._sleep(self.latency)
            try:
                response = await handler(request)
            except Exception:
                _logger.exception("emulator failed on %s %s", request.method, request.path)
                response = json_response(500, json_error_body(500))
            status = response.logged_status if type(response) is _NotAnswered else response.status
            return response
        finally:
            self._in_flight -= 1
            if seq in self._log:  # not cleared by reset_stats meanwhile
                self._log[seq] = (request.method, request.rel_url, status, at, body, request.headers)

    @web.middleware
    async def _authenticate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Step 2: a static token or a valid OAuth access token, else 401.

        Passport's token endpoint and public charging take none: their requests have no caller, so they do not
        count against a token's rate budget either.
        """
        caller = None
        if request.path != OAUTH_PATH and not request.path.startswith(_PUBLIC_ROOT):
            caller = self._rate_key(request)
            if caller is None:
                return json_response(401, _UNAUTHENTICATED)
        request[_CALLER] = caller
        return await handler(request)

    @web.middleware
    async def _limit(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Step 3: count the request against its caller with ``throttle``: 429 over the limit (not for OAuth)."""
        headers: dict[str, str] = {}
        request[_ANSWER_HEADERS] = headers
        caller = request[_CALLER]
        if caller is not None and self.rate_limit is not None:
            refused = self._throttle(caller, self.rate_limit, request[_ARRIVED], headers)
            if refused is not None:
                return refused
        if self.endpoint_period is not None:
            self._endpoints.period = self.endpoint_period
            path = request.path
            relative = path[_API_CUT:] if path.startswith(_API_ROOT) else path
            over = self._endpoints.hit(request.method, relative, caller, request.remote or "", request[_ARRIVED])
            if over is not None:
                self.rate_limited += 1
                response = json_response(429, _TOO_MANY_ATTEMPTS)
                response.headers.update(
                    {
                        "X-RateLimit-Limit": str(over.limit),
                        "X-RateLimit-Remaining": "0",
                        "Retry-After": str(over.retry_after),
                    }
                )
                return response
        return await handler(request)

    @web.middleware
    async def _inject_faults(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Step 4: the first queued fault matching the request, else the random ``error_rate`` errors.

        The answer gets the rate headers and the fault's headers, except the proxy's HTML page (only the fault's).
        """
        fault = None
        if self._faults:
            path = request.path
            fault = self._faults.take(request.method, path[_API_CUT:] if path.startswith(_API_ROOT) else path)
        headers = request[_ANSWER_HEADERS]
        if fault is not None:
            if fault.kind == "html":  # the proxy in front answers: no application headers
                body = html_error_page(fault.status) if fault.body is None else fault.body
                response = web.Response(status=fault.status, body=body, content_type="text/html")
                response.headers.update(fault.headers)
                return response
            if fault.kind == "drop":
                return self._drop(request)
            headers.update(fault.headers)
            if fault.kind == "status":
                body = json_error_body(fault.status) if fault.body is None else fault.body
                response = json_response(fault.status, body)
                response.headers.update(headers)
                return response
            if fault.kind == "delay":
                await self._sleep(fault.delay)
        elif self.error_rate > 0 and self._error_rng.random() < self.error_rate:
            response = json_response(self.error_status, json_error_body(self.error_status))
            response.headers.update(headers)
            return response

        # Step 5, the route: bulk jobs due by now reach their chargers before its handler reads the state.
        self._bulk.settle()
        self._state.settle()  # timed effects (a setup's restart) due by now, likewise
        try:
            answer = await handler(request)
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed) as error:  # aiohttp's router found no route
            answer = _no_route(request, error)
        if headers:
            answer.headers.update(headers)
        if fault is not None and fault.kind == "truncate":
            return self._truncate(request, answer)
        return answer

    def _rate_key(self, request: web.Request) -> str | None:
        """Who the request counts against: its static token, or the OAuth client of an access token valid on arrival."""
        token = _bearer_token(request.headers.get("Authorization"))
        if token is None:
            return None
        if token in self._tokens:
            return token
        client = self._oauth.client_of(token, request[_ARRIVED])
        return None if client is None else f"oauth-client:{client}"

    def _throttle(self, key: str, limit: int, now: float, headers: dict[str, str]) -> web.Response | None:
        """Count the request with the throttle and set the rate headers; the 429 answer when it is over the limit."""
        mode = self.rate_limit_headers
        _check_choice("rate_limit_headers", mode, _HEADER_MODES)  # it may have been changed
        if self.throttle != self._throttle_name:
            _check_choice("throttle", self.throttle, _THROTTLE_NAMES)
            self._throttle_name, self._throttle_state = self.throttle, THROTTLES[self.throttle]()
        decision = self._throttle_state.hit(key, now, limit, self.rate_period, self.rate_burst)
        if mode == "always" or (mode == "on-429" and not decision.allowed):
            headers["X-RateLimit-Limit"] = str(limit)
            headers["X-RateLimit-Remaining"] = str(decision.remaining)
        if decision.retry_after is None:
            return None
        self.rate_limited += 1
        headers["Retry-After"] = str(max(1, math.ceil(decision.retry_after)))
        if mode != "never":
            headers["X-RateLimit-Reset"] = str(math.ceil(now + decision.retry_after + self._wall_offset))
        response = json_response(429, _TOO_MANY_ATTEMPTS)
        response.headers.update(headers)
        return response

    @staticmethod
    def _drop(request: web.BaseRequest) -> web.StreamResponse:
        """Close the connection without answering (FIN, no bytes).

        aiohttp then fails to write the returned placeholder and treats it as a client gone away.
        """
        if request.transport is not None:
            request.transport.close()
        return _NotAnswered(0)

    @staticmethod
    def _truncate(request: web.BaseRequest, response: web.StreamResponse) -> web.StreamResponse:
        """Send ``response`` with its full Content-Length but half its body, then close the connection."""
        assert isinstance(response, web.Response)
        body = response.body
        assert isinstance(body, bytes)
        lines = [f"HTTP/1.1 {response.status} {response.reason}"]
        lines += (f"{name}: {value}" for name, value in response.headers.items() if name != "Content-Length")
        lines += (f"Content-Length: {len(body)}", "Connection: close", "", "")
        if request.transport is not None:
            request.transport.write("\r\n".join(lines).encode("latin-1") + body[: len(body) // 2])
            request.transport.close()
        return _NotAnswered(response.status)

    # -- the application -------------------------------------------------------------------------

    def _application(self) -> web.Application:
        """The aiohttp application: the pipeline's middlewares, outermost first, and every route.

        ``GET /user`` and the charger routes come first (the hot path), then every other area.
        """
        app = web.Application(
            middlewares=[self._arrive, self._authenticate, self._limit, self._inject_faults],
            client_max_size=_MAX_BODY,
        )
        router = app.router

        def add(method: str, template: str, handler: Handler) -> None:
            if method == "GET":
                router.add_get(API_PREFIX + template, handler)  # and HEAD
            else:
                router.add_route(method, API_PREFIX + template, handler)

        add("GET", "/user", self._get_user)
        state = self._state
        bulk = BulkRoutes(state, self._bulk, self._caller)
        for group in (ChargerRoutes(state), bulk, MeteringRoutes(state), SiteRoutes(state), TeamRoutes(state)):
            group.register(add)
        AccountRoutes(state).register(add)
        AccessRoutes(state).register(add)
        PublicRoutes(state).register(add)
        router.add_post(OAUTH_PATH, self._oauth.token)
        return app

    @staticmethod
    def _caller(request: web.Request) -> str:
        """Who sent an authenticated request, as auth found it: its static token, or its OAuth client."""
        return request[_CALLER] or ""

    async def _get_user(self, request: web.Request) -> web.Response:
        user = self._state.user
        return json_response(200, orjson.dumps({"data": user} if self._user_envelope == "wrapped" else user))


def _no_route(request: web.BaseRequest, error: web.HTTPNotFound | web.HTTPMethodNotAllowed) -> web.Response:
    """Laravel's 404 for a path no route has, or its 405 (with ``Allow``) for a method the path's routes lack."""
    route = request.path.lstrip("/")
    if isinstance(error, web.HTTPNotFound):
        return message_response(404, f"The route {route} could not be found.")
    allowed = ", ".join(sorted(error.allowed_methods, key=lambda method: _METHOD_ORDER.get(method, _OTHER_METHOD)))
    response = message_response(
        405, f"The {request.method} method is not supported for route {route}. Supported methods: {allowed}."
    )
    response.headers["Allow"] = allowed
    return response


class _NotAnswered(web.Response):
    """What a step returns when it answered by hand (truncate) or not at all (drop): aiohttp fails to write it
    to the closed connection; ``logged_status`` is the status ``requests`` shows (0: no answer)."""

    def __init__(self, logged_status: int) -> None:
        super().__init__(status=204)
        self.logged_status = logged_status
