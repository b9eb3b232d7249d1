"""Query parameters: typed Python values -> the strings each endpoint expects."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from ..exceptions import InvalidRequestError
from . import _validate as check

__all__ = ["iso_datetime", "iso_filter", "query", "transaction_filters", "ymd_hms"]


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def ymd_hms(value: datetime | date) -> str:
    """``Y-m-d H:i:s`` in UTC (metervalues' ``date_from``/``date_to``); naive datetimes are UTC."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    return _utc(value).strftime("%Y-%m-%d %H:%M:%S")


def iso_datetime(value: datetime | date) -> str:
    """ISO 8601 in UTC with ``Z`` (transaction filters); a date stays ``YYYY-MM-DD``."""
    if not isinstance(value, datetime):
        return value.isoformat()
    return _utc(value).isoformat().replace("+00:00", "Z")


def iso_filter(name: str, value: datetime | date | None) -> str | None:
    """An optional date filter, checked (``check.moment``) and sent as ``iso_datetime``; None stays None."""
    return None if value is None else iso_datetime(check.moment(name, value))


def transaction_filters(
    status: check.TransactionStatusArg | None,
    started_from: datetime | date | None,
    stopped_until: datetime | date | None,
) -> dict[str, str | None]:
    """The ``filter[...]`` values the charger and site transaction lists share, each checked."""
    return {
        "status": check.transaction_status(status),
        "started_from": iso_filter("started_from", started_from),
        "stopped_until": iso_filter("stopped_until", stopped_until),
    }


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"  # Laravel's boolean query convention
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, int | float | str):
        return str(value)
    raise InvalidRequestError(f"unsupported query value {value!r}")


def query(
    *,
    filters: Mapping[str, Any] | None = None,
    sort: str | None = None,
    allowed_sorts: frozenset[str] | None = None,
    **plain: Any,
) -> dict[str, str]:
    """Build a query: ``filters`` -> ``filter[name]=value``, ``sort`` (``-field`` = descending), plain params.

    None values are left out. A malformed ``sort``, or one outside ``allowed_sorts``, raises
    ``InvalidRequestError`` (``check.sort``).
    """
    params: dict[str, str] = {}
    for name, value in (filters or {}).items():
        if value is not None:
            params[f"filter[{name}]"] = _text(value)
    sort = check.sort(sort, allowed_sorts)
    if sort is not None:
        params["sort"] = sort
    for name, value in plain.items():
        if value is not None:
            params[name] = _text(value)
    return params
