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
    """

    uuid: str
    command: str | None = None
    data: Mapping[str, Any] | None = None
    status: BulkRunStatus | str | None = None
    total_count: int
    sent_count: int
    offline_count: int
    error_count: int
    skipped_count: int
    results: tuple[BulkCommandResult, ...] = ()

    @property
    def done(self) -> bool:
        """Whether the run is completed: every charger has a terminal result."""
        return self.status == BulkRunStatus.COMPLETED
