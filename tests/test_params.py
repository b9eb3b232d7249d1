"""Query parameter formatting (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from plugchoice_async.exceptions import InvalidRequestError
from plugchoice_async.models import ChargePointStatus
from plugchoice_async.resources._params import iso_datetime, query, ymd_hms


def test_ymd_hms_is_utc() -> None:
    cest = timezone(timedelta(hours=2))
    assert ymd_hms(datetime(2026, 3, 1, 12, 30, 5, tzinfo=cest)) == "2026-03-01 10:30:05"
    assert ymd_hms(datetime(2026, 3, 1, 12, 30, 5)) == "2026-03-01 12:30:05"
    assert ymd_hms(date(2026, 3, 1)) == "2026-03-01 00:00:00"


def test_iso_datetime() -> None:
    assert iso_datetime(datetime(2026, 3, 1, 12, 0, tzinfo=UTC)) == "2026-03-01T12:00:00Z"
    assert iso_datetime(datetime(2026, 3, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))) == "2026-03-01T12:00:00Z"
    assert iso_datetime(date(2026, 3, 1)) == "2026-03-01"


def test_query_builds_filters_sort_and_plain_params() -> None:
    params = query(
        filters={
            "status": "active",
            "hide_insignificant": True,
            "connector_status": ChargePointStatus.CHARGING,
            "x": None,
        },
        sort="-started_at",
        allowed_sorts=frozenset({"started_at"}),
        limit=10,
        page=None,
    )
    assert params == {
        "filter[status]": "active",
        "filter[hide_insignificant]": "1",
        "filter[connector_status]": "Charging",
        "sort": "-started_at",
        "limit": "10",
    }


def test_query_rejects_unknown_sort() -> None:
    with pytest.raises(InvalidRequestError, match="sort must be one of"):
        query(sort="-color", allowed_sorts=frozenset({"started_at"}))
