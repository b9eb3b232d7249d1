"""Failure paths found by a review of every raise, every read of server data and every argument use.

Each test pins one defect that escaped as a bare Python exception (or as a silent misreading)
instead of a ``PlugchoiceError`` that says what happened:

1. Integers beyond 64 bits (a pincode of 30 digits, ``max_current=10**30``) passed the argument
   checks and crashed the JSON encoder with a bare ``TypeError``; an integral float such as
   ``limit=1e300`` was turned into such an integer.
2. A bulk command's free-form ``data`` was checked only at its top level: NaN was sent as ``null``,
   and an object or a huge integer inside crashed the encoder.
3. ``chargers.get_many`` with no iterable (None, a number) raised a bare ``TypeError``; a single
   id string was taken letter by letter.
4. An answer ``{"data": <not an object>}`` was read as an object whose only key is unknown: a
   model of Nones (a public-charging session without status, an action message without text).
5. The command line showed a traceback for an unexpected error instead of one line.
"""

from __future__ import annotations

import asyncio
import math
import re
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import click
import pytest
from click.testing import CliRunner

from plugchoice_async import (
    InvalidRequestError,
    PlugchoiceClient,
    PublicChargingClient,
    ResponseValidationError,
    SessionStartUnreadableError,
)
from plugchoice_async.cli import cli
from plugchoice_async.cli._common import Settings, run
from plugchoice_async.testing import FakeTransport, PlugchoiceEmulator

CHARGER = "3f2b6c1e-8a4d-4c1e-9f3a-2b6c1e8a4d4c"
SITE = "4a1b2c3d-8a4d-4c1e-9f3a-2b6c1e8a4d4c"
HUGE = 10**30
TOKEN = "sess-0123456789abcdef"

Call = Callable[[PlugchoiceClient], Awaitable[Any]]


async def _no_sleep(_seconds: float) -> None:
    return None


def _client(fake: FakeTransport) -> PlugchoiceClient:
    return PlugchoiceClient("t", transport=fake, rate_limit=None, endpoint_limits=None, sleep=_no_sleep)


# -- 1. integers the JSON body cannot carry --------------------------------------------------------------

HUGE_INTEGERS: list[tuple[str, Call, str]] = [
    ("pincode of 30 digits", lambda c: c.sites.attach_charger(SITE, identity="ABC", pincode="1" * 30), "pincode"),
    ("join pincode int", lambda c: c.sites.access.join(identity="ABC", pincode=HUGE, team=SITE), "pincode"),
    ("setup max_current", lambda c: c.chargers.setup(CHARGER, phases=3, max_current=HUGE), "max_current"),
    ("setup group", lambda c: c.chargers.setup(CHARGER, phases=3, max_current=16, group=HUGE), "group"),
    ("reassign_charger group", lambda c: c.sites.reassign_charger(SITE, CHARGER, group=HUGE), "group"),
    ("update_group total_amps", lambda c: c.sites.update_group(SITE, 1, total_amps=HUGE), "total_amps"),
    ("reassign_group parent", lambda c: c.sites.reassign_group(SITE, 1, parent=HUGE), "parent"),
    (
        "smart charging threshold",
        lambda c: c.sites.update_smart_charging(
            SITE, timezone="Europe/Amsterdam", mode="day_ahead_pricing", day_ahead_pricing_threshold=HUGE
        ),
        "day_ahead_pricing_threshold",
    ),
    (
        "site house_number",
        lambda c: c.sites.create(name="n", street="s", house_number=HUGE, postal_code="1", city="c", country="NL"),
        "house_number",
    ),
    ("stop transaction_id", lambda c: c.chargers.actions.stop(CHARGER, transaction_id=HUGE), "transaction_id"),
    (
        "start connector_id",
        lambda c: c.chargers.actions.start(CHARGER, id_token="t", connector_id=HUGE),
        "connector_id",
    ),
    (
        "public charging price",
        lambda c: c.chargers.settings.set_public_charging(CHARGER, enabled=True, price_per_kwh=HUGE),
        "price_per_kwh",
    ),
]


@pytest.mark.parametrize(("call", "name"), [pytest.param(c, n, id=i) for i, c, n in HUGE_INTEGERS])
async def test_an_integer_beyond_64_bits_is_refused_before_sending(call: Call, name: str) -> None:
    fake = FakeTransport()
    async with _client(fake) as client:
        with pytest.raises(InvalidRequestError, match=name) as caught:
            await call(client)
    assert not fake.requests
    if name == "pincode":  # a secret: the refusal never repeats it
        assert "1" * 19 not in str(caught.value)


async def test_the_largest_64_bit_integer_is_still_sent() -> None:
    fake = FakeTransport()
    fake.add("POST", f"/chargers/{CHARGER}/actions/stop", json={"status": "Accepted"})
    async with _client(fake) as client:
        await client.chargers.actions.stop(CHARGER, transaction_id=2**63 - 1)
    assert fake.requests[0].json() == {"transaction_id": 2**63 - 1}


async def test_a_huge_integral_limit_is_sent_as_a_float_not_crashed_into_an_integer() -> None:
    fake = FakeTransport()
    fake.add("POST", f"/chargers/{CHARGER}/actions/charge-limit", json={"status": "Accepted"})
    async with _client(fake) as client:
        await client.chargers.actions.set_charge_limit(CHARGER, limit=1e300)
    body = fake.requests[0].json()
    assert body["limit"] == 1e300 and isinstance(body["limit"], float)


async def test_a_small_integral_limit_is_still_sent_as_an_integer() -> None:
    fake = FakeTransport()
    fake.add("POST", f"/chargers/{CHARGER}/actions/charge-limit", json={"status": "Accepted"})
    async with _client(fake) as client:
        await client.chargers.actions.set_charge_limit(CHARGER, limit=16.0)
    assert fake.requests[0].json()["limit"] == 16 and isinstance(fake.requests[0].json()["limit"], int)


async def test_a_huge_integer_is_refused_against_the_emulator_too(emulator: PlugchoiceEmulator) -> None:
    async with PlugchoiceClient(emulator.token, base_url=emulator.base_url) as client:
        before = len(emulator.requests)
        with pytest.raises(InvalidRequestError, match="max_current"):
            await client.chargers.setup(emulator.uuids[0], phases=3, max_current=HUGE)
        assert len(emulator.requests) == before


# -- 2. a bulk command's free-form payload -----------------------------------------------------------------


class _Opaque:
    def __repr__(self) -> str:
        return "<opaque>"


@pytest.mark.parametrize(
    ("data", "where"),
    [
        pytest.param({"type": math.nan}, "data['type'] must be a finite number", id="NaN (was sent as null)"),
        pytest.param({"type": math.inf}, "data['type'] must be a finite number", id="infinity"),
        pytest.param({"type": _Opaque()}, "data['type'] must be a JSON value", id="an object"),
        pytest.param({"a": {"b": [1, HUGE]}}, "data['a']['b'][1] must be between", id="a huge integer inside"),
        pytest.param({"a": {1: "x"}}, "data['a'] must be a mapping with string keys", id="a nested key not text"),
        pytest.param({"a": {"x", "y"}}, "data['a'] must be a JSON value", id="a set"),
    ],
)
async def test_a_bulk_payload_that_is_not_json_is_refused_with_its_place(data: dict[str, Any], where: str) -> None:
    fake = FakeTransport()
    async with _client(fake) as client:
        with pytest.raises(InvalidRequestError, match=re.escape(where)):
            await client.chargers.bulk_command("Reset", [CHARGER], data=data)
    assert not fake.requests


async def test_a_nested_json_payload_is_sent_as_given() -> None:
    fake = FakeTransport()
    run = {"uuid": CHARGER, "command": "DataTransfer", "status": "pending"}
    fake.add("POST", "/chargers/commands/bulk", status=202, json={"data": run})
    payload = {"vendorId": "x", "data": {"list": [1, 2.5, None, True, "s"], "n": -(2**63)}}
    async with _client(fake) as client:
        await client.chargers.bulk_command("DataTransfer", [CHARGER], data=payload)
    assert fake.requests[0].json()["data"] == payload


# -- 3. get_many with something that is not a list of ids --------------------------------------------------


@pytest.mark.parametrize("chargers", [None, 5, 1.5, CHARGER], ids=["None", "int", "float", "one id string"])
async def test_get_many_refuses_anything_but_an_iterable_of_ids(chargers: Any) -> None:
    fake = FakeTransport()
    async with _client(fake) as client:
        with pytest.raises(InvalidRequestError, match="iterable of charger ids"):
            await client.chargers.get_many(chargers)
    assert not fake.requests


# -- 4. {"data": <not an object>} ---------------------------------------------------------------------------

NOT_OBJECTS = [pytest.param([1, 2], id="array"), pytest.param("x", id="string"), pytest.param(5, id="number")]


@pytest.mark.parametrize("inner", NOT_OBJECTS)
@pytest.mark.parametrize("action", ["confirm", "stop", "cancel"])
async def test_a_session_command_answered_with_no_object_is_a_validation_error(inner: Any, action: str) -> None:
    fake = FakeTransport()
    fake.add("POST", f"/public-charging/sessions/***/{action}", json={"data": inner})
    async with PublicChargingClient(transport=fake, endpoint_limits=None, sleep=_no_sleep) as public:
        with pytest.raises(ResponseValidationError, match=r"expected a JSON object in 'data'.*@ \$\.data") as caught:
            await getattr(public, action)(TOKEN)
    assert TOKEN not in str(caught.value) and TOKEN not in repr(caught.value.body)  # the body shows what came


@pytest.mark.parametrize("inner", NOT_OBJECTS)
async def test_get_session_answered_with_no_object_is_a_validation_error(inner: Any) -> None:
    fake = FakeTransport()
    fake.add("GET", "/public-charging/sessions/***", json={"data": inner, "payment": None})
    async with PublicChargingClient(transport=fake, endpoint_limits=None, sleep=_no_sleep) as public:
        with pytest.raises(ResponseValidationError, match="PublicChargingSession") as caught:
            await public.get_session(TOKEN)
    assert TOKEN not in str(caught.value)


async def test_a_started_session_whose_data_is_no_object_still_hands_over_its_token() -> None:
    fake = FakeTransport()
    fake.add("POST", "/public-charging/sessions", status=201, json={"session_token": TOKEN, "data": [1]})
    async with PublicChargingClient(transport=fake, endpoint_limits=None, sleep=_no_sleep) as public:
        with pytest.raises(SessionStartUnreadableError) as caught:
            await public.start_session(code="AB12CD", connector_id=1)
    assert caught.value.session_token == TOKEN
    assert TOKEN not in str(caught.value) and TOKEN not in repr(caught.value)


MESSAGE_ANSWERS: list[tuple[str, str, str, Call]] = [
    ("setup", "POST", f"/chargers/{CHARGER}/setup", lambda c: c.chargers.setup(CHARGER, phases=3, max_current=16)),
    (
        "site access",
        "POST",
        f"/sites/{SITE}/teams/{CHARGER}/transfer-ownership",
        lambda c: c.sites.access.transfer_ownership(SITE, CHARGER),
    ),
    ("smart charging", "GET", f"/sites/{SITE}/smart-charging", lambda c: c.sites.smart_charging(SITE)),
    (
        "reassign",
        "PATCH",
        f"/sites/{SITE}/chargers/{CHARGER}/reassign",
        lambda c: c.sites.reassign_charger(SITE, CHARGER, group=2),
    ),
    (
        "card import",
        "POST",
        f"/sites/{SITE}/cards/import",
        lambda c: c.sites.import_cards(SITE, b"name,id_token\na,b\n"),
    ),
    ("charger import", "POST", f"/teams/{SITE}/chargers/import", lambda c: c.teams.import_chargers(SITE, b"ABC\n")),
    ("action", "POST", f"/chargers/{CHARGER}/actions/restart", lambda c: c.chargers.actions.restart(CHARGER)),
]


@pytest.mark.parametrize(("method", "path", "call"), [pytest.param(m, p, c, id=i) for i, m, p, c in MESSAGE_ANSWERS])
@pytest.mark.parametrize("inner", NOT_OBJECTS)
async def test_an_answer_whose_data_is_no_object_is_not_read_as_empty(
    method: str, path: str, call: Call, inner: Any
) -> None:
    fake = FakeTransport()
    fake.add(method, path, json={"data": inner})
    async with _client(fake) as client:
        with pytest.raises(
            ResponseValidationError, match=r"expected a JSON object in 'data', got .* @ \$\.data"
        ) as caught:
            await call(client)
    assert caught.value.method == method and caught.value.path == path


async def test_an_empty_array_in_data_still_reads_as_an_empty_object() -> None:
    """PHP encodes an empty object as ``[]``: that is no misfit."""
    fake = FakeTransport()
    fake.add("POST", f"/sites/{SITE}/teams/{CHARGER}/transfer-ownership", json={"data": []})
    async with _client(fake) as client:
        result = await client.sites.access.transfer_ownership(SITE, CHARGER)
    assert result.message is None


# -- 5. the command line --------------------------------------------------------------------------------------


def _command_raising(exc: BaseException) -> click.Command:
    @click.command()
    @click.pass_context
    def broken(ctx: click.Context) -> None:
        async def fail() -> None:
            raise exc

        run(ctx, fail())

    return broken


def test_an_unexpected_error_is_one_line_and_exit_1() -> None:
    result = CliRunner().invoke(_command_raising(TypeError("Integer exceeds\n64-bit range")), obj=Settings())
    assert result.exit_code == 1
    assert result.output == (
        "error: unexpected TypeError: Integer exceeds 64-bit range (run again with --debug for the traceback)\n"
    )
    assert "Traceback" not in result.output


def test_an_unexpected_error_shows_its_traceback_with_debug() -> None:
    result = CliRunner().invoke(_command_raising(TypeError("boom")), obj=Settings(debug=True))
    assert isinstance(result.exception, TypeError)


def test_a_usage_exit_raised_inside_a_command_keeps_its_status() -> None:
    result = CliRunner().invoke(_command_raising(click.UsageError("bad")), obj=Settings())
    assert result.exit_code == 2


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[PlugchoiceEmulator]:
    """An emulator on a loop of its own (each CLI command runs its own ``asyncio.run``)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    emulator = PlugchoiceEmulator(chargers=3, seed=1)
    asyncio.run_coroutine_threadsafe(emulator.start(), loop).result(30)
    monkeypatch.setenv("PLUGCHOICE_BASE_URL", emulator.base_url)
    monkeypatch.setenv("PLUGCHOICE_TOKEN", emulator.token)
    try:
        yield emulator
    finally:
        asyncio.run_coroutine_threadsafe(emulator.stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["charger", "stop", "{uuid}", "--transaction", str(HUGE), "--yes"], id="stop"),
        pytest.param(
            ["charger", "start", "{uuid}", "--id-token", "abc", "--connector", str(HUGE), "--yes"], id="start"
        ),
    ],
)
def test_cli_huge_numbers_are_one_line_not_a_traceback(served: PlugchoiceEmulator, args: list[str]) -> None:
    argv = [a.replace("{uuid}", served.uuids[0]) for a in args]
    result = CliRunner().invoke(cli, argv)
    assert "Traceback" not in result.output and not isinstance(result.exception, TypeError)
    assert result.exit_code == 2  # InvalidRequestError: a usage error
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output


def test_cli_a_huge_limit_reaches_the_server_instead_of_crashing(served: PlugchoiceEmulator) -> None:
    result = CliRunner().invoke(cli, ["charger", "limit", served.uuids[0], "1e300", "--yes"])
    assert "Traceback" not in result.output and not isinstance(result.exception, TypeError)
    assert result.exit_code in (0, 1), result.output  # the server judges the value


# -- 6. list filters --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [3, 1.5, True, object()], ids=["int", "float", "bool", "object"])
@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c, v: c.teams.chargers(SITE, vendor=v), id="teams.chargers vendor"),
        pytest.param(lambda c, v: c.teams.chargers(SITE, connection_status=v), id="teams.chargers connection_status"),
        pytest.param(lambda c, v: c.teams.sites(SITE, country=v), id="teams.sites country"),
    ],
)
async def test_a_filter_that_is_neither_a_value_nor_a_list_is_refused(
    call: Callable[[PlugchoiceClient, Any], Any], value: Any
) -> None:
    fake = FakeTransport()
    async with _client(fake) as client:
        with pytest.raises(InvalidRequestError, match="must be a value or a list of values"):
            call(client, value)
    assert not fake.requests


@pytest.mark.parametrize("search", [math.nan, 10**30, "", ["x"]], ids=["nan", "int", "empty", "list"])
async def test_sites_search_must_be_text(search: Any) -> None:
    fake = FakeTransport()
    async with _client(fake) as client:
        with pytest.raises(InvalidRequestError, match="search"):
            client.sites.list(search=search)
    assert not fake.requests


async def test_a_body_the_pipeline_cannot_encode_is_an_invalid_request() -> None:
    # The resources check their arguments; the pipeline itself refuses what JSON cannot carry.
    from plugchoice_async._transport import Pipeline

    fake = FakeTransport()
    pipeline = Pipeline(transport=fake, base_url="https://api.test/api/v3", token="t")
    with pytest.raises(InvalidRequestError, match="cannot be sent as JSON"):
        await pipeline.request("POST", "/x", json={"a": object()})
    assert not fake.requests
