"""The argument checks every resource shares, and resources applying them at the call (no client, no socket)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from plugchoice_async import InvalidRequestError
from plugchoice_async.models import ChargePointStatus, ConnectionStatus, TransactionStatus
from plugchoice_async.resources import _validate as check
from plugchoice_async.resources._ids import path_segment
from plugchoice_async.resources.chargers import Chargers
from plugchoice_async.resources.fleet import Fleet
from plugchoice_async.resources.teams import Teams


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: check.integer("n", 0), 0),
        (lambda: check.integer("n", 5, minimum=5, maximum=5), 5),
        (lambda: check.number("x", 0.5, minimum=0), 0.5),
        (lambda: check.number("x", 16.0, minimum=0), 16.0),
        (lambda: check.number("lat", -90, minimum=-90, maximum=90), -90),
        (lambda: check.text("s", "abc", max_length=3), "abc"),
        (lambda: check.text("s", "", allow_empty=True), ""),
        (lambda: check.text("s", "x" * 1000), "x" * 1000),
        (lambda: check.choice("c", ConnectionStatus.ONLINE, {"online"}), "online"),
        (lambda: check.boolean("b", False), False),
        (lambda: check.non_empty("items", (1,)), (1,)),
        (lambda: check.moment("d", date(2026, 1, 1)), date(2026, 1, 1)),
        (lambda: check.page_size("per_page", None), None),
        (lambda: check.page_size("per_page", 100_000), 100_000),
        (lambda: check.page_size("limit", check.MAX_LIMIT), 10_000),
        (lambda: check.transaction_status(TransactionStatus.ACTIVE), "active"),
        (lambda: check.transaction_status(None), None),
        (lambda: check.any_of("status", [ChargePointStatus.AVAILABLE, "Faulted"]), "Available,Faulted"),
        (lambda: check.any_of("vendor", "ABB"), "ABB"),
        (lambda: check.sort("-started_at", {"started_at"}), "-started_at"),
        (lambda: check.sort(None), None),
    ],
)
def test_a_valid_value_is_returned_as_it_is_sent(call: Callable[[], Any], expected: Any) -> None:
    result = call()
    assert result == expected
    assert type(result) is type(expected)


def test_a_datetime_is_a_moment() -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert check.moment("date_from", now) is now


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: check.integer("stack_level", True), "stack_level must be an integer, got True"),
        (lambda: check.integer("stack_level", 1.0), "stack_level must be an integer, got 1.0"),
        (lambda: check.integer("connector", 0, minimum=1), "connector must be at least 1, got 0"),
        (lambda: check.integer("phases", 4, maximum=3), "phases must be at most 3, got 4"),
        (lambda: check.integer("amps", 1001, minimum=1, maximum=1000), "amps must be between 1 and 1000, got 1001"),
        (lambda: check.number("limit", math.nan, minimum=0), "limit must be a finite number, got nan"),
        (lambda: check.number("limit", "16", minimum=0), "limit must be a finite number, got '16'"),
        (lambda: check.number("limit", False), "limit must be a finite number, got False"),
        (lambda: check.number("limit", -0.5, minimum=0), "limit must be at least 0, got -0.5"),
        (lambda: check.number("lat", 91.0, minimum=-90, maximum=90), "lat must be between -90 and 90, got 91.0"),
        (lambda: check.text("name", 5), "name must be a string, got 5"),
        (lambda: check.text("name", "  "), "name must not be empty"),
        (lambda: check.text("id_token", "x" * 21, max_length=20), "id_token must be at most 20 characters, got 21"),
        (lambda: check.choice("order_by", "up", {"asc", "desc"}), "order_by must be one of ['asc', 'desc'], got 'up'"),
        (lambda: check.choice("status", None, {"done"}), "status must be one of ['done'], got None"),
        (lambda: check.boolean("enabled", 1), "enabled must be True or False, got 1"),
        (lambda: check.non_empty("periods", [], what="period"), "periods must hold at least one period"),
        (lambda: check.moment("date_from", "2026-01-01"), "date_from must be a datetime or a date, got '2026-01-01'"),
        (lambda: check.page_size("per_page", 0), "per_page must be at least 1, got 0"),
        (lambda: check.page_size("limit", 10_001), "limit must be between 1 and 10000, got 10001"),
        (lambda: check.page_size("limit", "5"), "limit must be an integer, got '5'"),
        (lambda: check.transaction_status("running"), "status must be one of ['active', 'finished'], got 'running'"),
        (
            lambda: check.any_of("vendor", "ABB,Alfen"),
            "vendor must be a non-empty value without commas, got 'ABB,Alfen'",
        ),
        (lambda: check.any_of("license", [" "]), "license must be a non-empty value without commas, got ' '"),
        (lambda: check.any_of("status", []), "status must hold at least one value"),
        (lambda: check.sort("--x"), "sort must be a field name, optionally prefixed with '-', got '--x'"),
        (lambda: check.sort("-"), "sort must be a field name, optionally prefixed with '-', got '-'"),
        (lambda: check.sort("id", {"b", "a"}), "sort must be one of ['a', 'b'] (prefix '-' to descend), got 'id'"),
    ],
)
def test_an_invalid_value_is_refused_naming_the_argument(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(InvalidRequestError, match=f"^{re.escape(message)}$") as info:
        call()
    assert isinstance(info.value, ValueError)


# -- resources check their arguments at the call, not on the first iteration -------------------------------


class _RecordingTransport:
    """A transport that records what it is asked to send (nothing should be)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []

    async def request(self, method: str, path: str, **_: Any) -> Any:
        self.requests.append((method, path))
        return None


UUID = "3f2b6c1e-0000-4000-8000-000000000000"


def _chargers(transport: _RecordingTransport) -> Chargers:
    return Chargers(transport)


def _fleet(transport: _RecordingTransport) -> Fleet:
    return Fleet(transport, Chargers(transport), Teams(transport))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t: _chargers(t).watch([UUID], interval=-1), "interval must be at least 0, got -1"),
        (lambda t: _chargers(t).watch([UUID], interval=math.inf), "interval must be a finite number, got inf"),
        (lambda t: _chargers(t).watch([UUID], interval="5"), "interval must be a finite number, got '5'"),  # type: ignore[arg-type]
        (lambda t: _chargers(t).watch(UUID), f"chargers must be an iterable of charger ids, got '{UUID}'"),
        (
            lambda t: _chargers(t).watch([UUID, "CP-1"]),
            "charger id must be a UUID such as '3f2b6c1e-0000-4000-8000-000000000000', got 'CP-1'",
        ),
        (lambda t: _fleet(t).watch(interval=-0.5), "interval must be at least 0, got -0.5"),
        (lambda t: _fleet(t).watch(interval=True), "interval must be a finite number, got True"),
        (
            lambda t: _fleet(t).watch(team="sales"),
            "team id must be a UUID such as '3f2b6c1e-0000-4000-8000-000000000000', got 'sales'",
        ),
    ],
)
def test_watch_refuses_bad_arguments_at_the_call(call: Callable[[Any], Any], message: str) -> None:
    transport = _RecordingTransport()
    with pytest.raises(InvalidRequestError, match=f"^{re.escape(message)}$"):
        call(transport)  # not iterated: the call itself raises
    assert transport.requests == []


async def test_watch_with_good_arguments_sends_nothing_until_iterated() -> None:
    transport = _RecordingTransport()
    watcher = _chargers(transport).watch([UUID], interval=0)
    fleet_watcher = _fleet(transport).watch(interval=0, team=UUID.upper())
    assert transport.requests == []
    await watcher.aclose()
    await fleet_watcher.aclose()
    assert transport.requests == []


def test_a_path_segment_error_names_the_argument() -> None:
    message = "group must be a usable path segment (not empty, '.' or '..'), got '..'"
    with pytest.raises(InvalidRequestError, match=f"^{re.escape(message)}$"):
        path_segment("..", "group")
