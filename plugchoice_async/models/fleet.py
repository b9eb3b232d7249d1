"""What ``client.chargers.watch`` and ``client.fleet`` report: snapshots, status changes and failures."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from ._enums import ChargePointErrorCode, ChargePointStatus, ConnectionStatus
from .chargers import Charger

__all__ = [
    "ChargerFailure",
    "FleetCharger",
    "FleetConnector",
    "FleetSnapshot",
    "FleetUpdate",
    "SnapshotUpdate",
    "StatusChange",
]


@attrs.frozen(kw_only=True)
class StatusChange:
    """One watched field of one charger changed between two rounds.

    ``field`` is ``"connection_status"``, ``"status"``, ``"error"``, or for a connector
    ``"connectors[<n>].status"`` / ``"connectors[<n>].error"`` (``n`` = connector_id).
    ``old`` is None for a connector that just appeared, ``new`` None for one that went away.
    """

    charger: str
    identity: str
    field: str
    old: str | None
    new: str | None
    seen_at: datetime


@attrs.frozen(kw_only=True)
class ChargerFailure:
    """A charger that could not be fetched in a round (it is kept and retried next round)."""

    charger: str
    error: Exception
    seen_at: datetime


@attrs.frozen(kw_only=True)
class FleetUpdate:
    """One polling round of ``watch``.

    ``initial`` is True for the first round, which has no previous state to compare
    with: its ``changes`` are empty and ``chargers`` holds the starting state.
    ``chargers`` maps uuid -> the Charger fetched this round (failed ones are absent).
    """

    round: int
    started_at: datetime
    finished_at: datetime
    initial: bool
    changes: tuple[StatusChange, ...]
    failures: tuple[ChargerFailure, ...]
    chargers: Mapping[str, Charger] = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class FleetConnector:
    """A connector in a fleet snapshot: its number and status (``error`` only where an answer carried it)."""

    connector_id: int
    status: ChargePointStatus | str | None = None
    error: ChargePointErrorCode | str | None = None


@attrs.frozen(kw_only=True)
class FleetCharger:
    """One charger in a fleet snapshot, built from the listings (or, as a fallback, its own document).

    ``site`` and ``team`` are uuids where a listing named them. ``error`` comes from ``GET /chargers``
    (a snapshot of one team does not read it: then it is None). Connector errors are known only for
    chargers fetched on their own; the team listing carries connector statuses only.
    """

    uuid: str
    identity: str
    reference: str | None = None
    site: str | None = None
    team: str | None = None
    connection_status: ConnectionStatus | str | None = None
    status: ChargePointStatus | str | None = None
    error: ChargePointErrorCode | str | None = None
    connectors: tuple[FleetConnector, ...] = ()


@attrs.frozen(kw_only=True)
class FleetSnapshot:
    """The status of a whole fleet at ``taken_at``, and what it cost.

    ``chargers`` maps uuid to :class:`FleetCharger` (each charger once, in listing order);
    ``requests`` counts the requests the snapshot sent (pages and fallback fetches, not retries);
    ``by_connection_status``, ``by_status`` and ``by_connector_status`` count chargers (connectors)
    per value, most frequent first (``"(none)"`` for a missing value). ``failures`` lists chargers
    whose fallback fetch failed: they are in ``chargers`` with what the listing said, but no connectors.
    """

    taken_at: datetime
    requests: int
    chargers: Mapping[str, FleetCharger] = attrs.field(repr=False)
    by_connection_status: Mapping[str, int]
    by_status: Mapping[str, int]
    by_connector_status: Mapping[str, int]
    failures: tuple[ChargerFailure, ...] = ()


@attrs.frozen(kw_only=True)
class SnapshotUpdate:
    """One round of ``client.fleet.watch``.

    The first round is ``initial``: no changes, ``appeared`` empty, the starting state in ``snapshot``.
    Later rounds list ``changes`` (as ``StatusChange``), chargers that ``appeared`` and the uuids that
    ``disappeared`` since the last good round. A round whose snapshot failed has ``snapshot`` None and
    the exception in ``error``; the next good round is compared with the last good one.
    """

    round: int
    started_at: datetime
    finished_at: datetime
    initial: bool
    snapshot: FleetSnapshot | None = attrs.field(repr=False)
    changes: tuple[StatusChange, ...] = ()
    appeared: tuple[FleetCharger, ...] = ()
    disappeared: tuple[str, ...] = ()
    failures: tuple[ChargerFailure, ...] = ()
    error: Exception | None = None
