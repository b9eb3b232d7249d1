"""``client.chargers``: read chargers, one, many at once, or watched round by round."""

from __future__ import annotations

import asyncio
import builtins
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Final

from .._pagination import AsyncPager
from .._types import Transport
from ..exceptions import PlugchoiceError
from ..models.chargers import Charger
from ..models.fleet import ChargerFailure, FleetUpdate, StatusChange
from ._base import Resource
from ._ids import uuid_segment
from ._watch import WatchedState, diff, watched_state
from .actions import ChargerActions
from .connectors import Connectors
from .settings import ChargerSettings

__all__ = ["Chargers"]

logger: Final = logging.getLogger("plugchoice_async")


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
