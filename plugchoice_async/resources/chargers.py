"""``client.chargers``: read chargers (one, many at once, or watched round by round), update them, and read
their history: transactions and their graphs, OCPP logs and meter values."""

from __future__ import annotations

import asyncio
import builtins
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any, Final, Literal

from .._converter import structure_response
from .._pagination import AsyncPager
from .._types import Transport
from ..exceptions import InvalidRequestError, PlugchoiceError
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
from ..models.chargers import Charger, ChargerSummary
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


class Chargers(Resource):
    """Chargers the token can see."""

    def __init__(self, transport: Transport, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        super().__init__(transport)
        self._sleep = sleep
        self.actions = ChargerActions(transport)
        """Live OCPP commands: start, stop, restart, set_charge_limit, set/clear charging profiles."""
        self.settings = ChargerSettings(transport)
        """Charger settings: lock, socket lock, plug & charge, public charging."""
        self.connectors = Connectors(transport)
        """Connectors: update, latest meter value, power usage."""

    async def get(self, charger: str | uuid.UUID) -> Charger:
        """``GET /chargers/{uuid}``: one charger with its connectors.

        Raises ``InvalidRequestError`` (a ``ValueError``) before sending anything
        when ``charger`` is not a UUID, and ``NotFoundError`` when it does not exist.
        """
        path = f"/chargers/{uuid_segment(charger)}"  # the bulk hot path: no helper layers
        return structure_response(await self._transport.request("GET", path), Charger, method="GET", path=path)

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
        return builtins.list(await asyncio.gather(*(self._get_or_error(c) for c in chargers)))

    async def watch(self, chargers: Iterable[str | uuid.UUID], *, interval: float = 30.0) -> AsyncIterator[FleetUpdate]:
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
        """
        if interval < 0:
            raise ValueError(f"interval must be >= 0, got {interval}")
        ids = [uuid_segment(c) for c in chargers]
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
