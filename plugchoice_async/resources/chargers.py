"""``client.chargers``: read chargers (one, many at once, or watched round by round), update them, read
their history (transactions and their graphs, OCPP logs and meter values), and send one OCPP command to
many chargers at once (bulk commands)."""

from __future__ import annotations

import asyncio
import builtins
import logging
import re
import time
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any, Final, Literal

from .._converter import structure_response
from .._pagination import AsyncPager
from .._types import Requester
from ..exceptions import BulkCommandTimeoutError, InvalidRequestError, PlugchoiceError
from ..models._enums import (
    Location,
    LogDestination,
    LogStatus,
    Measurand,
    Phase,
    ReadingContext,
    TransactionStatus,
    UnitOfMeasure,
)
from ..models.bulk import BulkCommandRun
from ..models.chargers import Charger, ChargerSetupResult, ChargerSummary, LicensePaymentIntent
from ..models.fleet import ChargerFailure, FleetUpdate, StatusChange
from ..models.logs import OcppLog
from ..models.metering import MeterValue
from ..models.transactions import Transaction, TransactionGraph
from . import _validate as check
from ._base import Resource
from ._ids import path_segment, uuid_segment
from ._params import iso_filter, query, transaction_filters, ymd_hms
from ._validate import TransactionStatusArg
from ._watch import WatchedState, diff, watched_state
from .actions import ChargerActions
from .connectors import Connectors
from .settings import ChargerSettings

__all__ = ["Chargers"]

logger: Final = logging.getLogger("plugchoice_async")

_LOG_STATUSES: Final = frozenset(s.value for s in LogStatus)
_LOG_DESTINATIONS: Final = frozenset(d.value for d in LogDestination)
_LOG_SORTS: Final = frozenset({"created_at"})
_ORDERS: Final = frozenset({"asc", "desc"})
_BULK_PATH: Final = "/chargers/commands/bulk"
_COMMAND_NAME: Final = re.compile(r"[A-Za-z]+")
_MAX_IDENTITY: Final = 45  # POST /chargers
_MIN_SETUP_CURRENT: Final = 6  # amperes: the least a charger can offer (IEC 61851)
_NET_TYPES: Final = frozenset({"IT", "TT", "TN", "unknown"})
#: Phase rotations ``setup`` accepts, by number of phases (the length of a rotation is its phase count).
_SETUP_ROTATIONS: Final = {
    3: frozenset({"RST", "RTS", "SRT", "STR", "TRS", "TSR"}),
    1: frozenset({"R", "S", "T"}),
}


def _checked_ids(chargers: Any) -> builtins.list[str]:
    """``chargers`` as checked UUIDs, in order; one id alone (not in an iterable) is refused."""
    if isinstance(chargers, str | uuid.UUID) or not isinstance(chargers, Iterable):
        raise InvalidRequestError(f"chargers must be an iterable of charger ids, got {chargers!r}")
    return [uuid_segment(c) for c in chargers]


def _charger_ids(chargers: Any) -> builtins.list[str]:
    """The ``charger_ids`` of a bulk command: each a checked UUID, duplicates removed in order, at least one."""
    ids = builtins.list(dict.fromkeys(_checked_ids(chargers)))
    return check.non_empty("chargers", ids, what="charger id")


def _run_document(body: Any) -> Any:
    """A bulk command run answer as ``{"data": run}``, whether the server wrapped the run or not.

    The structuring path unwraps one ``{"data": {...}}`` envelope. A bare run has a ``data``
    key of its own (the command's payload, an object), which would be taken for an envelope, so
    the run is wrapped here exactly once. An empty payload that PHP encoded as ``[]`` is ``{}``.
    """
    run = body
    if type(run) is dict and "uuid" not in run and type(run.get("data")) is dict:
        run = run["data"]
    if type(run) is dict and run.get("data") == []:
        run = {**run, "data": {}}
    return {"data": run}


class Chargers(Resource):
    """Chargers the token can see."""

    def __init__(
        self,
        transport: Requester,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(transport)
        self._sleep = sleep
        self._clock = clock  # measures wait_bulk_command's timeout (with ``sleep``, replaceable in tests)
        self.actions = ChargerActions(transport)
        """Live OCPP commands: start, stop, restart, set_charge_limit, set/clear profiles, composite_schedule."""
        self.settings = ChargerSettings(transport)
        """Charger settings: lock, socket lock, plug & charge, public charging."""
        self.connectors = Connectors(transport)
        """Connectors: update, latest meter value, power usage."""

    async def get(self, charger: str | uuid.UUID) -> Charger:
        """``GET /chargers/{uuid}``: one charger with its connectors.

        Raises ``InvalidRequestError`` (a ``ValueError``) before sending anything
        when ``charger`` is not a UUID, and ``NotFoundError`` when it does not exist.
        """
        return await self._get(f"/chargers/{uuid_segment(charger)}", Charger)

    def list(self, *, per_page: int | None = None) -> AsyncPager[Charger]:
        """``GET /chargers``: every charger, paginated (items carry no connectors).

        ``await`` the result for the first page, or ``async for`` it for every charger.
        """
        params = {"per_page": per_page} if per_page is not None else None
        return AsyncPager(self._transport, "/chargers", Charger, params=params)

    async def _get_or_error(self, charger: str | uuid.UUID) -> Charger | PlugchoiceError:
        try:
            return await self.get(charger)
        except PlugchoiceError as exc:
            return exc

    async def get_many(self, chargers: Iterable[str | uuid.UUID]) -> builtins.list[Charger | PlugchoiceError]:
        """Fetch many chargers at once; results in input order, one ``Charger`` or one error each.

        A failure of one (not found, invalid id, retries exhausted, ...) is returned in its
        place and never cancels the others. Concurrency, pacing to the rate limit and retries
        are the transport's, exactly as for ``asyncio.gather`` over ``get``.
        """
        if isinstance(chargers, str | uuid.UUID) or not isinstance(chargers, Iterable):
            raise InvalidRequestError(f"chargers must be an iterable of charger ids, got {chargers!r}")
        return builtins.list(await asyncio.gather(*(self._get_or_error(c) for c in chargers)))

    def watch(
        self, chargers: Iterable[str | uuid.UUID], *, interval: float = 30.0
    ) -> AsyncGenerator[FleetUpdate, None]:
        """Poll a fleet every ``interval`` seconds and yield what changed, round by round.

        ::

            async for update in client.chargers.watch(uuids, interval=30):
                for change in update.changes:
                    print(change.identity, change.field, change.old, "->", change.new)
                for failure in update.failures:
                    print("could not fetch", failure.charger, failure.error)

        Each round fetches every charger (within the client's rate limit) and compares
        connection status, status, error and each connector's status and error with the
        last state seen. The first round is ``initial`` (no changes, the starting state).
        A charger that fails in a round is reported in ``failures`` and compared with its
        last known state once it answers again. Rounds start ``interval`` seconds apart
        (at once when a round took longer). Stop with ``break`` or by cancelling the task;
        nothing is left running. Only one round of documents is kept in memory.

        The arguments are checked at the call (``InvalidRequestError`` for a negative ``interval``,
        an invalid id, or one id not in a list), before anything is iterated or sent.
        """
        check.number("interval", interval, minimum=0)
        return self._watch(_checked_ids(chargers), interval)

    async def _watch(self, ids: builtins.list[str], interval: float) -> AsyncGenerator[FleetUpdate, None]:
        """The rounds of ``watch``, over checked arguments."""
        known: dict[str, WatchedState] = {}
        round_number = 0
        while True:
            round_number += 1
            started = time.monotonic()
            started_at = datetime.now(UTC)
            results = await self.get_many(ids)
            seen_at = datetime.now(UTC)
            changes: list[StatusChange] = []
            failures: list[ChargerFailure] = []
            fetched: dict[str, Charger] = {}
            for charger_id, result in zip(ids, results, strict=True):
                if isinstance(result, Charger):
                    fetched[charger_id] = result
                    state = watched_state(result)
                    previous = known.get(charger_id)
                    if previous is not None and previous != state:
                        changes.extend(diff(charger_id, result.identity, previous, state, seen_at))
                    known[charger_id] = state
                else:
                    failures.append(ChargerFailure(charger=charger_id, error=result, seen_at=seen_at))
            yield FleetUpdate(
                round=round_number,
                started_at=started_at,
                finished_at=seen_at,
                initial=round_number == 1,
                changes=tuple(changes),
                failures=tuple(failures),
                chargers=fetched,
            )
            del results, fetched
            took = time.monotonic() - started
            if took > interval > 0:
                logger.warning(
                    "watch round %d took %.1f s, longer than the %.1f s interval", round_number, took, interval
                )
            await self._sleep(max(0.0, interval - took))

    # -- updates ------------------------------------------------------------------------------------

    async def update(self, charger: str | uuid.UUID, *, reference: str | None) -> ChargerSummary:
        """``PUT /chargers/{uuid}``: set the charger's ``reference`` (your own label; None clears it).

        ``reference`` is at most 255 characters (``InvalidRequestError`` before sending otherwise).
        Returns the short charger document; ``get`` the charger for its connectors and details.
        """
        path = f"/chargers/{uuid_segment(charger)}"
        if reference is not None:
            check.text("reference", reference, max_length=255, allow_empty=True)
        return await self._send("PUT", path, ChargerSummary, json={"reference": reference})

    # -- history ------------------------------------------------------------------------------------

    def transactions(
        self,
        charger: str | uuid.UUID,
        *,
        status: TransactionStatusArg | None = None,
        started_from: datetime | date | None = None,
        stopped_until: datetime | date | None = None,
        limit: int | None = None,
    ) -> AsyncPager[Transaction]:
        """``GET /chargers/{uuid}/transactions``: the charger's charging sessions, newest first.

        Filters: ``status`` (``"active"`` running now, ``"finished"``), ``started_from`` (sessions
        started at or after), ``stopped_until`` (sessions stopped at or before); datetimes are sent
        as ISO 8601 UTC (naive ones are taken as UTC). ``limit`` (1-10000) is the page size.

        ``await`` it for the first page, ``async for`` it for every session (pages fetched as
        needed). Arguments are checked here, before anything is sent.
        """
        path = f"/chargers/{uuid_segment(charger)}/transactions"
        filters = transaction_filters(status, started_from, stopped_until)
        params = query(filters=filters, limit=check.page_size("limit", limit))
        return AsyncPager(self._transport, path, Transaction, params=params)

    async def active_transaction(self, charger: str | uuid.UUID, *, connector: int | None = None) -> Transaction | None:
        """The session running on the charger now, or None (``filter[status]=active&limit=1``).

        With ``connector`` (the 1-based number), the session running on that connector: the active
        sessions are walked and matched on ``Transaction.connector``. Use it after a
        ``ChargerTimeoutError`` from ``actions.start`` to learn whether the session started.
        """
        if connector is None:
            page = await self.transactions(charger, status=TransactionStatus.ACTIVE, limit=1)
            return page.items[0] if page.items else None
        number = check.integer("connector", connector, minimum=1)
        async for tx in self.transactions(charger, status=TransactionStatus.ACTIVE):
            if tx.connector is not None and tx.connector.connector_id == number:
                return tx
        return None

    async def transaction_graph(self, charger: str | uuid.UUID, transaction_id: int) -> TransactionGraph:
        """``GET /chargers/{uuid}/transactions/{id}/graph``: energy, current and voltage series of one session."""
        number = check.integer("transaction_id", transaction_id, minimum=0)
        path = f"/chargers/{uuid_segment(charger)}/transactions/{path_segment(number)}/graph"
        return await self._get(path, TransactionGraph)

    def logs(
        self,
        charger: str | uuid.UUID,
        *,
        method: str | None = None,
        status: Literal["pending", "done", "failed"] | LogStatus | None = None,
        destination: Literal["centralsystem", "charger"] | LogDestination | None = None,
        hide_insignificant: bool | None = None,
        date_from: datetime | date | None = None,
        date_to: datetime | date | None = None,
        sort: Literal["created_at", "-created_at"] | None = None,
        per_page: int | None = None,
    ) -> AsyncPager[OcppLog]:
        """``GET /chargers/{uuid}/logs``: the OCPP messages exchanged with the charger.

        Filters: ``method`` (the OCPP action, e.g. ``"StartTransaction"``), ``status``,
        ``destination`` (``"charger"``: commands sent to it; ``"centralsystem"``: messages from it),
        ``hide_insignificant`` (leave out heartbeats and meter values), ``date_from``/``date_to``
        (ISO 8601 UTC). ``sort`` is ``"-created_at"`` (newest first, the server's default) or
        ``"created_at"``. ``await`` for the first page, ``async for`` for every entry.
        """
        path = f"/chargers/{uuid_segment(charger)}/logs"
        if hide_insignificant is not None:
            check.boolean("hide_insignificant", hide_insignificant)
        filters = {
            "method": None if method is None else check.text("method", method, max_length=255),
            "status": None if status is None else check.choice("status", status, _LOG_STATUSES),
            "destination": None if destination is None else check.choice("destination", destination, _LOG_DESTINATIONS),
            "hide_insignificant": hide_insignificant,
            "date_from": iso_filter("date_from", date_from),
            "date_to": iso_filter("date_to", date_to),
        }
        params = query(
            filters=filters, sort=sort, allowed_sorts=_LOG_SORTS, per_page=check.page_size("per_page", per_page)
        )
        return AsyncPager(self._transport, path, OcppLog, params=params)

    def meter_values(
        self,
        charger: str | uuid.UUID,
        *,
        date_from: datetime | date,
        date_to: datetime | date,
        context: ReadingContext | str | None = None,
        measurand: Measurand | str | None = None,
        phase: Phase | str | None = None,
        location: Location | str | None = None,
        unit: UnitOfMeasure | str | None = None,
        limit: int | None = None,
        order_by: Literal["asc", "desc"] | None = None,
    ) -> AsyncPager[MeterValue]:
        """``GET /chargers/{uuid}/metervalues``: the stored OCPP samples between ``date_from`` and ``date_to``.

        Both bounds are required and sent as ``Y-m-d H:i:s`` in UTC (naive datetimes are UTC; a
        date is its midnight); ``date_from`` must not be after ``date_to``. Optional filters select
        samples by ``context``, ``measurand``, ``phase``, ``location`` and ``unit`` (exact values);
        ``limit`` (1-10000) is the page size and ``order_by`` ``"asc"`` (oldest first) or ``"desc"``.
        ``await`` for the first page, ``async for`` for every sample.
        """
        path = f"/chargers/{uuid_segment(charger)}/metervalues"
        start = ymd_hms(check.moment("date_from", date_from))
        end = ymd_hms(check.moment("date_to", date_to))
        if start > end:  # same fixed-width format: text order is time order
            raise InvalidRequestError(f"date_from ({start} UTC) must not be after date_to ({end} UTC)")
        selectors: dict[str, Any] = {
            "context": context,
            "measurand": measurand,
            "phase": phase,
            "location": location,
            "unit": unit,
        }
        for name, value in selectors.items():
            if value is not None:
                check.text(name, getattr(value, "value", value), max_length=255)
        params = query(
            date_from=start,
            date_to=end,
            **selectors,
            limit=check.page_size("limit", limit),
            order_by=None if order_by is None else check.choice("order_by", order_by, _ORDERS),
        )
        return AsyncPager(self._transport, path, MeterValue, params=params)

    # -- bulk commands ------------------------------------------------------------------------------

    async def bulk_command(
        self, command: str, chargers: Iterable[str | uuid.UUID], data: Mapping[str, Any] | None = None
    ) -> BulkCommandRun:
        """``POST /chargers/commands/bulk``: send one OCPP command to many chargers; returns the run.

        ``command`` is the OCPP 1.6 command name (``"Reset"``, ``"ChangeAvailability"``,
        ``"UnlockConnector"``, ``"TriggerMessage"``, ``"ChangeConfiguration"``, ...); ``data`` its
        payload, forwarded to every charger as is (e.g. ``{"type": "Soft"}`` for ``Reset``).
        ``chargers`` are charger UUIDs, at least one; duplicates are sent once. Everything is
        checked before sending (``InvalidRequestError``).

        The server answers at once (202) with the run, usually ``running``; the command then
        reaches the chargers one job each. Poll it with ``bulk_command_run`` or wait with
        ``wait_bulk_command``. Chargers the token cannot access are not an error: they come back
        ``skipped_forbidden``. Like every command it is sent once and never retried once it may
        have reached the server: a connection lost after sending raises ``APIConnectionError``
        (``request_sent`` True) and a 504 ``ChargerTimeoutError``; the run may exist all the same,
        so look at the chargers before sending it again.
        """
        name = check.text("command", command, max_length=255)
        if _COMMAND_NAME.fullmatch(name) is None:
            raise InvalidRequestError(
                f"command must be an OCPP command name of letters only (e.g. 'Reset'), got {name!r}"
            )
        body: dict[str, Any] = {"command": name, "charger_ids": _charger_ids(chargers)}
        if data is not None:
            body["data"] = check.json_object("data", data)
        answer = await self._transport.request("POST", _BULK_PATH, json=body, action=True)
        return structure_response(_run_document(answer), BulkCommandRun, method="POST", path=_BULK_PATH)

    async def bulk_command_run(self, run: str | uuid.UUID) -> BulkCommandRun:
        """``GET /chargers/commands/bulk/{uuid}``: a bulk command run as it stands (``run.done`` once completed)."""
        path = f"{_BULK_PATH}/{uuid_segment(run, 'bulk command run')}"
        answer = await self._transport.request("GET", path)
        return structure_response(_run_document(answer), BulkCommandRun, method="GET", path=path)

    async def wait_bulk_command(
        self,
        run: BulkCommandRun | str | uuid.UUID,
        *,
        interval: float = 2.0,
        timeout: float = 120.0,  # noqa: ASYNC109 - a deadline for the run to complete, which raises with its last state
    ) -> BulkCommandRun:
        """Poll a bulk command run every ``interval`` seconds until it is completed, and return it.

        ``run`` is the ``BulkCommandRun`` that ``bulk_command`` returned (already completed: returned
        as is, nothing sent) or its uuid (read at once). Raises ``BulkCommandTimeoutError`` when the
        run is still not completed ``timeout`` seconds from now (``.run`` is the last state read; the
        run goes on on the server). ``interval`` and ``timeout`` must be > 0. Cancelling the task
        stops the polling; nothing is left running.

        ::

            run = await client.chargers.bulk_command("Reset", uuids, {"type": "Soft"})
            run = await client.chargers.wait_bulk_command(run)
            failed = [r for r in run.results if r.status != "sent"]
        """
        for name, value in (("interval", interval), ("timeout", timeout)):
            if check.number(name, value) <= 0:
                raise InvalidRequestError(f"{name} must be greater than 0, got {value!r}")
        deadline = self._clock() + timeout
        if isinstance(run, BulkCommandRun):
            run_id, last = uuid_segment(run.uuid, "bulk command run"), run
        else:
            run_id = uuid_segment(run, "bulk command run")
            last = await self.bulk_command_run(run_id)
        while not last.done:
            remaining = deadline - self._clock()
            if remaining <= 0:
                count = last.count  # the server's counts, or counted from the results when it left them out
                raise BulkCommandTimeoutError(
                    f"bulk command run {last.uuid} ({last.command}) not completed after {timeout:g} s: "
                    f"{count('sent')} sent, {count('offline')} offline, {count('error')} errors, "
                    f"{count('skipped_forbidden')} skipped, {count('pending')} pending of {last.total} chargers",
                    run=last,
                    timeout=timeout,
                )
            await self._sleep(min(interval, remaining))
            last = await self.bulk_command_run(run_id)
        return last

    # -- adding and setting up chargers -------------------------------------------------------------

    async def create(
        self,
        identity: str,
        *,
        team: str | uuid.UUID | None = None,
        site: str | uuid.UUID | None = None,
    ) -> ChargerSummary:
        """``POST /chargers``: register a charger by its OCPP ``identity``; returns the new charger.

        ``identity`` (at most 45 characters) is the id the charger presents when it connects, and
        must be unique across all chargers: the server answers 422 (``UnprocessableEntityError``,
        ``errors["identity"]``) for one already taken. The charger joins ``team`` (a team UUID;
        by default the user's own team) and, with ``site`` (a site UUID), that site. Arguments are
        checked before sending (``InvalidRequestError``).

        The return type is ``ChargerSummary``: the current docs answer the short charger document,
        the older ones the whole document (without connectors) inside ``data``; both read into it,
        the long form's extra fields filled in. The new charger is ``never_seen`` until it connects;
        ``get`` it for its connectors.
        """
        body: dict[str, str] = {"identity": check.text("identity", identity, max_length=_MAX_IDENTITY)}
        if team is not None:
            body["team_uuid"] = uuid_segment(team, "team")
        if site is not None:
            body["site_uuid"] = uuid_segment(site, "site")
        return await self._send("POST", "/chargers", ChargerSummary, json=body)

    async def setup(
        self,
        charger: str | uuid.UUID,
        *,
        phases: Literal[1, 3],
        max_current: int,
        group: int | None = None,
        net_type: Literal["IT", "TT", "TN", "unknown"] | None = None,
        phase_rotation: str | None = None,
    ) -> ChargerSetupResult:
        """``POST /chargers/{uuid}/setup``: configure the charger's installation; **the charger restarts**.

        ``phases`` is 1 or 3 (how the charger is wired), ``max_current`` the most it may draw, in
        whole amperes, at least 6. ``group`` is the id of an existing load-management group of its
        site, ``net_type`` the earthing system (``"IT"``, ``"TT"``, ``"TN"`` or ``"unknown"``) and
        ``phase_rotation`` the wiring order, whose length must match ``phases``: ``RST``, ``RTS``,
        ``SRT``, ``STR``, ``TRS`` or ``TSR`` for 3 phases; ``R``, ``S`` or ``T`` for 1. Every argument
        is checked before sending (``InvalidRequestError``).

        The answer has the server's ``message`` and ``setup_pending`` (True while the charger still
        has to apply it). After a successful setup the charger restarts on its own: it goes offline
        and reconnects, and running sessions end. The API allows one setup per charger a minute: the
        client paces a second one (``endpoint_limits``) rather than have it refused. The
        call is sent as a charger command: never retried once it may have reached the server, and a
        504 raises ``ChargerTimeoutError`` (the setup may have been applied all the same).
        """
        path = f"/chargers/{uuid_segment(charger)}/setup"
        count = check.integer("phases", phases)
        if count not in _SETUP_ROTATIONS:
            raise InvalidRequestError(f"phases must be 1 or 3, got {phases!r}")
        body: dict[str, Any] = {
            "phases": count,
            "max_current": check.integer("max_current", max_current, minimum=_MIN_SETUP_CURRENT),
        }
        if group is not None:
            body["group"] = check.integer("group", group, minimum=0)
        if net_type is not None:
            body["net_type"] = check.choice("net_type", net_type, _NET_TYPES)
        if phase_rotation is not None:
            allowed = _SETUP_ROTATIONS[count]
            if not isinstance(phase_rotation, str) or phase_rotation not in allowed:
                raise InvalidRequestError(
                    f"phase_rotation for {count} phase{'s' if count > 1 else ''} must be one of "
                    f"{sorted(allowed)}, got {phase_rotation!r}"
                )
            body["phase_rotation"] = phase_rotation
        return await self._send("POST", path, ChargerSetupResult, json=body, action=True)

    async def license_payment_intent(self, charger: str | uuid.UUID, *, product: str) -> LicensePaymentIntent:
        """``POST /chargers/{uuid}/licenses/payment-intent``: start paying for a license of the charger.

        ``product`` names the license product to buy (a non-empty string of at most 255
        characters, checked before sending). Returns what a Stripe payment sheet needs: the
        payment intent, an ephemeral key, the Stripe customer and the publishable key. The payment
        intent and the ephemeral key are credentials: they never appear in the result's ``repr``.
        Only documented in the older API reference.
        """
        path = f"/chargers/{uuid_segment(charger)}/licenses/payment-intent"
        body = {"product": check.text("product", product, max_length=255)}
        return await self._send("POST", path, LicensePaymentIntent, json=body)
