"""OCPP message logs of a charger."""

from __future__ import annotations

from datetime import datetime

import attrs

from ._enums import LogDestination, LogStatus
from ._wire import JsonPayload

__all__ = ["OcppLog"]


@attrs.frozen(kw_only=True)
class OcppLog:
    """One OCPP message exchanged with a charger (``GET /chargers/{uuid}/logs``).

    ``method`` is the OCPP action (``BootNotification``, ``RemoteStartTransaction``, ...),
    ``destination`` who received it (``charger`` for commands the platform sent,
    ``centralsystem`` for messages from the charger) and ``version`` the OCPP version.
    ``params`` is the message payload and ``result`` the answer (None while ``pending``):
    the server sends them either as JSON or as a string holding JSON; both arrive here
    decoded. The page's ``filter_options`` belong to the page, not to the item.
    """

    id: int
    charger_id: int | None = None
    status: LogStatus | str | None = None
    version: str | None = None
    method: str | None = None
    destination: LogDestination | str | None = None
    params: JsonPayload = None
    result: JsonPayload = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
