"""What ``client.chargers.watch`` reports: status changes and failures, round by round."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from .chargers import Charger

__all__ = ["ChargerFailure", "FleetUpdate", "StatusChange"]


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
