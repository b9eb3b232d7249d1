"""Bulk commands: one OCPP command sent to many chargers, run asynchronously by the server."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._enums import BulkResultStatus, BulkRunStatus

__all__ = ["BulkCommandCharger", "BulkCommandResult", "BulkCommandRun"]


@attrs.frozen(kw_only=True)
class BulkCommandCharger:
    """The charger of a bulk command result (only shown when the token may access it)."""

    uuid: str
    identity: str | None = None
    reference: str | None = None


@attrs.frozen(kw_only=True)
class BulkCommandResult:
    """One charger's outcome in a bulk command run.

    ``status``: ``pending`` (its job has not run yet), ``sent`` (the charger acknowledged the
    command), ``offline`` (offline at dispatch), ``error`` (any other failure, see ``message``) or
    ``skipped_forbidden`` (the token cannot access the charger, or no such charger: the API reports
    it here, not as a 403). ``executed_at`` is when the job ran; ``charger`` is None for a
    charger the token cannot access.
    """

    charger_uuid: str
    status: BulkResultStatus | str | None = None
    message: str | None = None
    executed_at: datetime | None = None
    charger: BulkCommandCharger | None = None


@attrs.frozen(kw_only=True)
class BulkCommandRun:
    """A bulk command run (``POST /chargers/commands/bulk``, ``GET /chargers/commands/bulk/{uuid}``).

    ``status`` is ``running`` while jobs are in flight and ``completed`` once every charger has a
    terminal result (``done``). The counts split ``total_count`` by outcome: ``sent_count``
    (acknowledged), ``offline_count``, ``error_count`` and ``skipped_count`` (no access or unknown
    charger); chargers still pending are in none of them. ``data`` is the command's payload as sent.

    The ``*_count`` fields are what the server sent, None when it left one out. ``count(status)``
    and ``total`` never are: they fall back to counting ``results``, and progress displays (the
    CLI, ``BulkCommandTimeoutError``) use them.
    """

    uuid: str
    command: str | None = None
    data: Mapping[str, Any] | None = None
    status: BulkRunStatus | str | None = None
    total_count: int | None = None
    sent_count: int | None = None
    offline_count: int | None = None
    error_count: int | None = None
    skipped_count: int | None = None
    results: tuple[BulkCommandResult, ...] = ()

    @property
    def done(self) -> bool:
        """Whether the run is completed: every charger has a terminal result."""
        return self.status == BulkRunStatus.COMPLETED

    @property
    def total(self) -> int:
        """How many chargers the run is for: ``total_count``, or the number of ``results`` when it is absent."""
        return len(self.results) if self.total_count is None else self.total_count

    def count(self, status: BulkResultStatus | str) -> int:
        """How many chargers have the result ``status``, never None.

        For ``sent``, ``offline``, ``error`` and ``skipped_forbidden``: the server's count
        (``sent_count``, ...), or, when it left that count out, the ``results`` with that status.
        For ``pending``: ``total`` minus the chargers with a terminal result (at least 0). Any other
        status: the ``results`` that have it.
        """
        if status == BulkResultStatus.PENDING:
            return max(0, self.total - sum(self.count(s) for s in _COUNT_FIELDS))
        field = _COUNT_FIELDS.get(str(status))
        sent: int | None = None if field is None else getattr(self, field)
        if sent is not None:
            return sent
        return sum(1 for result in self.results if result.status == status)


#: The result status each count of a run counts.
_COUNT_FIELDS: dict[str, str] = {
    BulkResultStatus.SENT: "sent_count",
    BulkResultStatus.OFFLINE: "offline_count",
    BulkResultStatus.ERROR: "error_count",
    BulkResultStatus.SKIPPED_FORBIDDEN: "skipped_count",
}
