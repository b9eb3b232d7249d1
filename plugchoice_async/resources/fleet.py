"""Fleet status from the listings (``client.fleet``): about N / page-size requests a round, not N.

A status round built on ``GET /chargers/{c}`` spends one request per charger: 5,000 chargers are
ten minutes of Plugchoice's 500-a-minute budget. The listings carry the same status fields:

* ``GET /chargers`` lists every charger the user can reach, with connection status, status and
  error, but no connectors;
* ``GET /teams/{t}/chargers`` lists a team's chargers with their connectors' statuses and site.

A snapshot reads the teams, then ``GET /chargers`` and every team's listing concurrently, and joins
them: each charger of ``GET /chargers`` once (the first team listing it gives its connectors, site and
team); a charger no team lists is fetched on its own. Pages are asked for ``per_page=100`` (the
answer's own page size is what counts: the API may ignore the request). The first time a listing is
walked its pages follow one another; a listing's page count is then remembered, so later snapshots
fetch its pages concurrently (within the client's rate limit), and follow next links from the last
one if the listing has grown. Cost: ``ceil(N / page) x 2`` pages plus the team listing's pages, the
fallback fetches and the teams list.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
import time
import uuid
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Coroutine, Iterable
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from .._pagination import AsyncPager, Page
from .._types import Requester
from ..exceptions import PlugchoiceError
from ..models import Charger, TeamCharger
from ..models.fleet import ChargerFailure, FleetCharger, FleetConnector, FleetSnapshot, SnapshotUpdate, StatusChange
from . import _validate as check
from ._base import Resource
from ._ids import uuid_segment
from ._watch import WatchedState, diff
from .chargers import Chargers
from .teams import Teams

__all__ = ["Fleet"]

logger: Final = logging.getLogger("plugchoice_async")

#: The page size asked for; the emulator honours up to 100, the API may answer 25 a page anyway.
PAGE_SIZE: Final = 100
_NONE: Final = "(none)"

T = TypeVar("T")


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _counted(values: Iterable[object]) -> dict[str, int]:
    counts = Counter(_NONE if v is None else str(v) for v in values)
    return dict(counts.most_common())


def _state(charger: FleetCharger) -> WatchedState:
    return (
        _text(charger.connection_status),
        _text(charger.status),
        _text(charger.error),
        tuple((c.connector_id, _text(c.status), _text(c.error)) for c in charger.connectors),
    )


def _from_team_item(item: TeamCharger, team: str, listed: Charger | None) -> FleetCharger:
    return FleetCharger(
        uuid=item.uuid,
        identity=item.identity,
        reference=listed.reference if listed is not None else None,
        site=item.site.uuid if item.site is not None else None,
        team=team,
        connection_status=item.connection_status,
        status=item.status,
        error=listed.error if listed is not None else None,
        connectors=tuple(FleetConnector(connector_id=c.connector_id, status=c.status) for c in item.connectors),
    )


def _from_charger(charger: Charger) -> FleetCharger:
    return FleetCharger(
        uuid=charger.uuid,
        identity=charger.identity,
        reference=charger.reference,
        connection_status=charger.connection_status,
        status=charger.status,
        error=charger.error,
        connectors=tuple(
            FleetConnector(connector_id=c.connector_id, status=c.status, error=c.error) for c in charger.connectors
        ),
    )


async def _all(calls: builtins.list[Coroutine[Any, Any, T]]) -> builtins.list[T]:
    """Run ``calls`` concurrently; the first failure cancels the others and is raised as itself."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(call) for call in calls]
    except ExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return [task.result() for task in tasks]


class _Cost:
    """Requests one snapshot sent (pages and fallback fetches; retries are the transport's)."""

    def __init__(self) -> None:
        self.requests = 0

    async def count(self, call: Awaitable[T]) -> T:
        self.requests += 1
        return await call


class Fleet(Resource):
    """Status of the whole fleet from the listings: ``snapshot`` and ``watch``.

    Use ``client.fleet`` for many chargers (a round costs about N / 100 requests, or N / 25 where the
    API ignores ``per_page``); use ``client.chargers.watch(uuids)`` to poll a few chargers closely
    (one request per charger, and connector errors included).
    """

    def __init__(
        self,
        transport: Requester,
        chargers: Chargers,
        teams: Teams,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(transport)
        self._chargers = chargers
        self._teams = teams
        self._sleep = sleep
        self._page_counts: dict[str, int] = {}  # listing -> non-empty pages seen last time

    async def _walk(self, key: str, pager: AsyncPager[T], cost: _Cost) -> builtins.list[T]:
        """Every item of a listing: known pages concurrently, then next links sequentially."""
        known = self._page_counts.get(key, 0)
        if known > 1:
            pages = await _all([cost.count(pager.page(n)) for n in range(1, known + 1)])
        else:
            pages = [await cost.count(pager.first_page())]
            if pages[0].last_page is not None and pages[0].last_page > 1:  # a counting paginator says how many
                rest = range(2, pages[0].last_page + 1)
                pages += await _all([cost.count(pager.page(n)) for n in rest])
        pages = [p for p in pages if p.items]
        seen: set[str] = set()
        last: Page[T] | None = pages[-1] if pages else None
        while last is not None and last.next_url is not None and last.next_url not in seen:
            seen.add(last.next_url)
            nxt = await cost.count(pager.follow(last.next_url))
            if not nxt.items:
                break
            pages.append(nxt)
            last = nxt
        self._page_counts[key] = len(pages)
        return [item for page in pages for item in page.items]

    async def snapshot(self, team: str | uuid.UUID | None = None) -> FleetSnapshot:
        """The status of every charger (or of one team's), built from the listings.

        Without ``team``: every charger ``GET /chargers`` lists, exactly once, with its connectors'
        statuses from the first team listing that shows it (a charger no team lists is fetched on its
        own). With ``team``: that team's chargers, from its listing alone (no ``error`` then).
        Raises the first error of a listing page (after the transport's retries); a failed fallback
        fetch is reported in ``failures`` instead.
        """
        cost = _Cost()
        failures: builtins.list[ChargerFailure] = []
        chargers: dict[str, FleetCharger] = {}
        if team is not None:
            team_id = uuid_segment(team, "team")
            items = await self._walk(f"team:{team_id}", self._teams.chargers(team_id, per_page=PAGE_SIZE), cost)
            for item in items:
                chargers.setdefault(item.uuid, _from_team_item(item, team_id, None))
        else:
            team_ids = [t.uuid async for t in self._count_pages(self._teams.list(), cost)]
            try:
                async with asyncio.TaskGroup() as group:  # a failure cancels the other walks
                    listed_task = group.create_task(
                        self._walk("chargers", self._chargers.list(per_page=PAGE_SIZE), cost)
                    )
                    team_tasks = [
                        group.create_task(self._walk(f"team:{t}", self._teams.chargers(t, per_page=PAGE_SIZE), cost))
                        for t in team_ids
                    ]
            except ExceptionGroup as failed:
                raise failed.exceptions[0] from None
            listed = listed_task.result()
            per_team = [task.result() for task in team_tasks]
            by_team: dict[str, tuple[TeamCharger, str]] = {}
            for team_id, items in zip(team_ids, per_team, strict=True):
                for item in items:
                    by_team.setdefault(item.uuid, (item, team_id))
            missing: builtins.list[Charger] = []
            for charger in listed:
                if charger.uuid in chargers:
                    continue
                found = by_team.get(charger.uuid)
                if found is None:
                    missing.append(charger)
                    chargers[charger.uuid] = _from_charger(charger)  # replaced below once fetched
                else:
                    chargers[charger.uuid] = _from_team_item(found[0], found[1], charger)
            fetched = await asyncio.gather(*(cost.count(self._chargers._get_or_error(c.uuid)) for c in missing))
            seen_at = datetime.now(UTC)
            for charger, result in zip(missing, fetched, strict=True):
                if isinstance(result, Charger):
                    chargers[charger.uuid] = _from_charger(result)
                else:
                    failures.append(ChargerFailure(charger=charger.uuid, error=result, seen_at=seen_at))
        values = chargers.values()
        return FleetSnapshot(
            taken_at=datetime.now(UTC),
            requests=cost.requests,
            chargers=chargers,
            by_connection_status=_counted(c.connection_status for c in values),
            by_status=_counted(c.status for c in values),
            by_connector_status=_counted(k.status for c in values for k in c.connectors),
            failures=tuple(failures),
        )

    async def _count_pages(self, pager: AsyncPager[T], cost: _Cost) -> AsyncIterator[T]:
        async for page in pager.iter_pages():
            cost.requests += 1
            for item in page.items:
                yield item

    def watch(
        self, *, interval: float = 30.0, team: str | uuid.UUID | None = None
    ) -> AsyncGenerator[SnapshotUpdate, None]:
        """A snapshot every ``interval`` seconds, and what changed since the last good one.

        ::

            async for update in client.fleet.watch(interval=60):
                for change in update.changes:
                    print(change.identity, change.field, change.old, "->", change.new)

        Each round costs what a snapshot costs. A round that fails is yielded with ``error`` set (and
        no snapshot); the next good round is compared with the last good one. Stop with ``break`` or
        by cancelling the task: nothing is left running. Between rounds only one small state tuple
        per charger is kept. A bad ``interval`` or ``team`` raises ``InvalidRequestError`` at the call,
        before anything is iterated or sent.
        """
        check.number("interval", interval, minimum=0)
        return self._watch(interval, None if team is None else uuid_segment(team, "team"))

    async def _watch(self, interval: float, team: str | None) -> AsyncGenerator[SnapshotUpdate, None]:
        """The rounds of ``watch``, over a checked interval."""
        known: dict[str, WatchedState] | None = None
        round_number = 0
        while True:
            round_number += 1
            started = time.monotonic()
            started_at = datetime.now(UTC)
            try:
                snap = await self.snapshot(team)
            except PlugchoiceError as exc:
                logger.warning("fleet watch round %d failed: %s", round_number, exc)
                yield SnapshotUpdate(
                    round=round_number,
                    started_at=started_at,
                    finished_at=datetime.now(UTC),
                    initial=known is None,
                    snapshot=None,
                    error=exc,
                )
            else:
                current = {u: _state(c) for u, c in snap.chargers.items()}
                changes: builtins.list[StatusChange] = []
                appeared: builtins.list[FleetCharger] = []
                disappeared: builtins.list[str] = []
                if known is not None:
                    for charger_id, state in current.items():
                        before = known.get(charger_id)
                        if before is None:
                            appeared.append(snap.chargers[charger_id])
                        elif before != state:
                            identity = snap.chargers[charger_id].identity
                            changes.extend(diff(charger_id, identity, before, state, snap.taken_at))
                    disappeared = [u for u in known if u not in current]
                initial = known is None
                known = current
                yield SnapshotUpdate(
                    round=round_number,
                    started_at=started_at,
                    finished_at=snap.taken_at,
                    initial=initial,
                    snapshot=snap,
                    changes=tuple(changes),
                    appeared=tuple(appeared),
                    disappeared=tuple(disappeared),
                    failures=snap.failures,
                )
                del snap
            took = time.monotonic() - started
            if took > interval > 0:
                logger.warning(
                    "fleet watch round %d took %.1f s, longer than the %.1f s interval", round_number, took, interval
                )
            await self._sleep(max(0.0, interval - took))
