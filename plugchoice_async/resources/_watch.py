"""Pure helpers of ``chargers.watch``: a charger's watched state and the diff of two states."""

from __future__ import annotations

from datetime import datetime

from ..models.chargers import Charger
from ..models.fleet import StatusChange

__all__ = ["WatchedState", "diff", "watched_state"]

# (connection_status, status, error, ((connector_id, status, error), ...)): small and hashable,
# so a round keeps one tuple per charger, not the whole documents of the previous round.
WatchedState = tuple[str | None, str | None, str | None, tuple[tuple[int, str | None, str | None], ...]]


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def watched_state(charger: Charger) -> WatchedState:
    """The fields ``watch`` compares between rounds."""
    return (
        _text(charger.connection_status),
        _text(charger.status),
        _text(charger.error),
        tuple((c.connector_id, _text(c.status), _text(c.error)) for c in charger.connectors),
    )


def diff(uuid: str, identity: str, old: WatchedState, new: WatchedState, seen_at: datetime) -> list[StatusChange]:
    """Every watched field that differs between ``old`` and ``new``."""
    changes: list[StatusChange] = []

    def add(field: str, before: str | None, after: str | None) -> None:
        if before != after:
            changes.append(
                StatusChange(charger=uuid, identity=identity, field=field, old=before, new=after, seen_at=seen_at)
            )

    for field, before, after in zip(("connection_status", "status", "error"), old[:3], new[:3], strict=True):
        add(field, before, after)
    old_connectors = {c[0]: c for c in old[3]}
    new_connectors = {c[0]: c for c in new[3]}
    for number in sorted(old_connectors.keys() | new_connectors.keys()):
        before_c = old_connectors.get(number)
        after_c = new_connectors.get(number)
        add(
            f"connectors[{number}].status",
            before_c[1] if before_c else None,
            after_c[1] if after_c else None,
        )
        add(
            f"connectors[{number}].error",
            before_c[2] if before_c else None,
            after_c[2] if after_c else None,
        )
    return changes
