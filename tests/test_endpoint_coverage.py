"""What the per-endpoint audit found untested (see the API overview table of the README).

1. Every published example in ``tests/fixtures`` is used by a test: answers, request examples and error bodies.
2. The request examples no other test sends: what the SDK method sends is the example (aioresponses, no socket).
3. The published error bodies become the right exception, their message kept.
4. The SDK methods sharing an endpoint with another, through the mocked layer: ``chargers.get_many``,
   ``chargers.watch``, ``fleet.watch`` (``FakeTransport``), and the refresh-token grant of ``POST /oauth/token``.
5. ``chargers.bulk_command_run`` on its own against the emulator, and the action request examples accepted by it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from aioresponses import CallbackResult, aioresponses

from plugchoice_async import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    BulkRunStatus,
    Charger,
    InvalidRequestError,
    NotFoundError,
    OAuthRefreshToken,
    OAuthToken,
    PermissionDeniedError,
    PlugchoiceClient,
    RateLimitError,
    RetryPolicy,
    UnprocessableEntityError,
)
from plugchoice_async.testing import FakeTransport, PlugchoiceEmulator
from tests.conftest import FIXTURES, TOKEN, FakeSleep, load_fixture, make_client
from tests.endpoint_helpers import BASE, FakeApi, filled, raw

CHARGER = "445bd3f6-8f2c-38cb-aa04-2f4e1edb32bb"
SITE = "c90237e9-ced5-3af6-88ea-84aeaa148878"
TEAM = "a4855dc5-0acb-33c3-b921-f4291f719ca0"
INVITE = "f" * 64
TESTS = Path(__file__).parent


@pytest.fixture
def api() -> Any:
    with aioresponses() as mocked:
        yield FakeApi(mocked)


@pytest.fixture
async def client() -> AsyncIterator[PlugchoiceClient]:
    async with make_client(BASE, endpoint_limits=None) as client:
        yield client


# -- 1. every published example is used ---------------------------------------------------------------------


def _sources() -> str:
    return "\n".join(path.read_text() for path in sorted(TESTS.glob("*.py")))


def _fixtures(kind: str) -> set[str]:
    names = {p.name for p in FIXTURES.glob("*.json")}
    if kind == "request":
        return {n for n in names if "-request" in n}
    if kind == "error":
        return {n for n in names if n.startswith("errors.")}
    return {n for n in names if "-request" not in n and not n.startswith("errors.")}


@pytest.mark.parametrize("kind", ["answer", "request", "error"])
def test_every_published_example_is_named_by_a_test(kind: str) -> None:
    """A fixture copied in but named by no test is an example nobody checks (request examples included)."""
    sources = _sources()
    names = _fixtures(kind)
    assert names, f"no {kind} fixtures found"
    # test_model_leniency builds "public-charging.<action>.docs.json"; every other test names the file
    unused = sorted(n for n in names if n not in sources and not re.match(r"public-charging\.[a-z-]+\.docs\.json$", n))
    assert unused == []


# -- 2. the request examples no other test sends -----------------------------------------------------------

Send = Callable[[PlugchoiceClient], Awaitable[Any]]
FUTURE = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)

# (fixture, method, path, answer, call, expected body or query: None = the example itself, filled)
REQUEST_EXAMPLES: list[tuple[str, str, str, Any, Send, Any]] = [
    (
        "actions.charge-limit.docs-request.json",
        "POST",
        f"/chargers/{CHARGER}/actions/charge-limit",
        {"status": "Accepted"},
        lambda c: c.chargers.actions.set_charge_limit(CHARGER, limit=123, connector_id=123, stack_level=123),
        None,
    ),
    (
        "actions.charge-limit.volttime-request.json",
        "POST",
        f"/chargers/{CHARGER}/actions/charge-limit",
        {"status": "Accepted"},
        lambda c: c.chargers.actions.set_charge_limit(CHARGER, limit=16, connector_id=1, stack_level=84),
        None,
    ),
    (
        "actions.clear-charging-profile.docs-request.json",
        "POST",
        f"/chargers/{CHARGER}/actions/clear-charging-profile",
        {"status": "Accepted"},
        lambda c: c.chargers.actions.clear_charging_profile(
            CHARGER, id=123, connector_id=123, charging_profile_purpose="TxProfile", stack_level=123
        ),
        {"id": 123, "connector_id": 123, "charging_profile_purpose": "TxProfile", "stack_level": 123},
    ),
    (
        "actions.start.docs-request.json",
        "POST",
        f"/chargers/{CHARGER}/actions/start",
        {"status": "Accepted"},
        lambda c: c.chargers.actions.start(CHARGER, id_token="04A2B3C4", connector_id=123),
        {"connector_id": 123, "id_token": "04A2B3C4"},
    ),
    (
        "actions.stop.docs-request.json",
        "POST",
        f"/chargers/{CHARGER}/actions/stop",
        {"status": "Accepted"},
        lambda c: c.chargers.actions.stop(CHARGER, transaction_id=123),
        None,
    ),
    (
        "chargers.update.docs-request.json",
        "PUT",
        f"/chargers/{CHARGER}",
        load_fixture("chargers.update.volttime.json"),
        lambda c: c.chargers.update(CHARGER, reference="Garage"),
        {"reference": "Garage"},
    ),
    (
        "chargers.update.volttime-request.json",
        "PUT",
        f"/chargers/{CHARGER}",
        load_fixture("chargers.update.volttime.json"),
        lambda c: c.chargers.update(CHARGER, reference="b"),
        None,
    ),
    (
        "connectors.update.docs-request.json",
        "PUT",
        f"/chargers/{CHARGER}/connectors/1",
        load_fixture("connectors.update.volttime.json"),
        lambda c: c.chargers.connectors.update(CHARGER, 1, phase_rotation="RST", max_amperage=123),
        {"phase_rotation": "RST", "max_amperage": 123},
    ),
    (
        "site-cards.create.docs-request.json",
        "POST",
        f"/sites/{SITE}/cards",
        filled(load_fixture("site-cards.create.docs.json"), name="Fleet card", id_token="04A2B3C4"),
        lambda c: c.sites.create_card(SITE, name="Fleet card", id_token="04A2B3C4"),
        {"name": "Fleet card", "id_token": "04A2B3C4"},
    ),
    (
        "site-cards.update.docs-request.json",
        "PUT",
        f"/sites/{SITE}/cards/7",
        filled(load_fixture("site-cards.update.docs.json"), name="Fleet card", id_token="04A2B3C4"),
        lambda c: c.sites.update_card(SITE, 7, name="Fleet card", id_token="04A2B3C4"),
        {"name": "Fleet card", "id_token": "04A2B3C4"},
    ),
    (
        "site-invitations.accept.docs-request.json",
        "POST",
        "/sites/invite/accept",
        load_fixture("site-invitations.accept.volttime.json"),
        lambda c: c.sites.access.accept(INVITE, team=TEAM),
        {"token": INVITE, "team_uuid": TEAM},
    ),
    (
        "site-teams.request-sensitive-data.docs-request.json",
        "POST",
        f"/sites/{SITE}/teams/{TEAM}/request-sensitive-data",
        load_fixture("site-teams.request-sensitive-data.volttime.json"),
        lambda c: c.sites.access.request_sensitive_data(
            SITE, TEAM, reason="Billing audit", expires_never=True, expires_at=FUTURE
        ),
        "keys",
    ),
    (
        "sites.create.docs-request.json",
        "POST",
        "/sites",
        filled(load_fixture("sites.create.docs.json"), name="Depot"),
        lambda c: c.sites.create(
            team_uuid=TEAM,
            name="Depot",
            street="Main street",
            house_number=12,
            house_number_addition="A",
            postal_code="1234 AB",
            city="Utrecht",
            country="nl",
            manual_coordinates=True,
            latitude=52.09,
            longitude=5.12,
        ),
        {
            "team_uuid": TEAM,
            "name": "Depot",
            "street": "Main street",
            "house_number": 12,
            "house_number_addition": "A",
            "postal_code": "1234 AB",
            "city": "Utrecht",
            "country": "NL",
            "manual_coordinates": True,
            "latitude": 52.09,
            "longitude": 5.12,
        },
    ),
]


@pytest.mark.parametrize(
    ("name", "method", "path", "answer", "send", "expected"),
    REQUEST_EXAMPLES,
    ids=[row[0] for row in REQUEST_EXAMPLES],
)
async def test_the_method_sends_the_published_request_example(
    api: FakeApi, client: PlugchoiceClient, name: str, method: str, path: str, answer: Any, send: Send, expected: Any
) -> None:
    example = load_fixture(name)
    api.on(method, path, answer)
    await send(client)
    [sent] = api.sent
    assert (sent.method, sent.path, sent.query) == (method, path, {})
    assert sent.headers["content-type"] == "application/json"
    assert list(sent.json) == list(example) or set(sent.json) == set(example)  # every documented key, no other
    if expected == "keys":
        return
    assert sent.json == (example if expected is None else expected)
    # types as documented: where the example shows a number, a number is sent
    for key, value in example.items():
        assert _kind(sent.json[key]) == _kind(value) or value == "<string>", key


def _kind(value: Any) -> str:
    """The JSON type of ``value`` (an int and a float are both a number)."""
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, int | float) else type(value).__name__


async def test_request_sensitive_data_example_values(api: FakeApi, client: PlugchoiceClient) -> None:
    api.on(
        "POST",
        f"/sites/{SITE}/teams/{TEAM}/request-sensitive-data",
        load_fixture("site-teams.request-sensitive-data.volttime.json"),
    )
    await client.sites.access.request_sensitive_data(SITE, TEAM, reason="Billing audit", expires_at=FUTURE)
    [sent] = api.sent
    assert sent.json["reason"] == "Billing audit"
    assert datetime.fromisoformat(sent.json["requested_data_expires_at"].replace("Z", "+00:00")) == FUTURE
    assert "requested_expires_never" not in sent.json


@pytest.mark.parametrize(
    "name", ["metervalues.list.volttime-request.json", "metervalues.list.volttime-2026-request.json"]
)
async def test_meter_values_send_the_published_query(api: FakeApi, client: PlugchoiceClient, name: str) -> None:
    example = load_fixture(name)
    api.on("GET", f"/chargers/{CHARGER}/metervalues", load_fixture("metervalues.list.volttime.json"))
    page = await client.chargers.meter_values(
        CHARGER,
        date_from=datetime.strptime(example["date_from"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC),
        date_to=datetime.strptime(example["date_to"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC),
        context=example["context"],
        measurand=example["measurand"],
        phase=example["phase"],
        location=example["location"],
        unit=example["unit"],
        limit=example["limit"],
        order_by=example["order_by"],
    )
    [sent] = api.sent
    assert sent.method == "GET" and sent.body == b""
    assert sent.query == {key: str(value) for key, value in example.items()}
    assert page.items and all(item.raw_value is not None for item in page.items)


async def test_transactions_send_the_published_query(api: FakeApi, client: PlugchoiceClient) -> None:
    example = load_fixture("transactions.list.volttime-request.json")
    api.on("GET", f"/chargers/{CHARGER}/transactions", load_fixture("transactions.list.volttime.json"))
    page = await client.chargers.transactions(CHARGER, limit=example["limit"])
    [sent] = api.sent
    assert example["filter"] == []  # an empty filter: nothing to send for it
    assert sent.query == {"limit": str(example["limit"])}
    assert page.items


async def test_site_list_sends_the_published_query(api: FakeApi, client: PlugchoiceClient) -> None:
    example = load_fixture("sites.list.volttime-request.json")
    api.on("GET", "/sites", load_fixture("sites.list.volttime.json"))
    page = await client.sites.list(team=TEAM, search=example["search"])
    [sent] = api.sent
    assert set(sent.query) == set(example)
    assert sent.query == {"team": TEAM, "search": example["search"]}
    assert page.items
    with pytest.raises(InvalidRequestError, match="team"):  # the example's "architecto" is not a team UUID
        client.sites.list(team=example["team"])


@pytest.mark.parametrize(
    ("name", "send", "path"),
    [
        (
            "site-chargers.attach.volttime-request.json",
            lambda c, e: c.sites.attach_charger(SITE, identity=e["identity"], pincode=int(e["pincode"])),
            f"/sites/{SITE}/chargers",
        ),
        (
            "site-invitations.join.volttime-request.json",
            lambda c, e: c.sites.access.join(identity=e["identity"], pincode=int(e["pincode"]), team=TEAM),
            "/sites/join",
        ),
    ],
)
async def test_pincode_examples_are_sent_with_an_integral_pincode(
    api: FakeApi,
    client: PlugchoiceClient,
    name: str,
    send: Callable[[PlugchoiceClient, Any], Awaitable[Any]],
    path: str,
) -> None:
    """The examples print a random float for ``pincode``: the label's digits go out as an integer."""
    example = load_fixture(name)
    answer = "site-chargers.attach.volttime.json" if "attach" in name else "site-invitations.join.volttime.json"
    api.on("POST", path, load_fixture(answer))
    await send(client, example)
    [sent] = api.sent
    assert list(sent.json) == list(example)
    assert sent.json["identity"] == example["identity"]
    assert sent.json["pincode"] == 4326 and type(sent.json["pincode"]) is int
    if "team_uuid" in example:
        assert sent.json["team_uuid"] == TEAM


# -- 3. the published error bodies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status", "error"),
    [
        ("errors.401.docs.json", 401, AuthenticationError),
        ("errors.403.docs.json", 403, PermissionDeniedError),
        ("errors.429.docs.json", 429, RateLimitError),
        ("errors.generic.docs.json", 400, BadRequestError),
        ("errors.generic.docs.json", 422, UnprocessableEntityError),
    ],
)
async def test_published_error_bodies_become_the_right_exception(
    api: FakeApi, name: str, status: int, error: type[APIStatusError]
) -> None:
    body = load_fixture(name)
    api.on("GET", "/user", body, status=status)
    async with make_client(BASE, retry=RetryPolicy(max_retries=0)) as client:
        with pytest.raises(error) as info:
            await client.user.get()
    assert info.value.status == status
    assert body["message"] in str(info.value)
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)
    assert len(api.sent) == 1  # not retried


# -- 4. the methods sharing an endpoint, through the mocked layer ------------------------------------------------


def _charger(uuid: str, status: str, connection: str = "online") -> dict[str, Any]:
    document: dict[str, Any] = load_fixture("chargers.get.volttime.json")
    document["data"] |= {"uuid": uuid, "status": status, "connection_status": connection}
    return document


OTHER = "5f0c8e6a-1b2c-4d3e-8f9a-0b1c2d3e4f50"


async def test_get_many_keeps_order_and_returns_errors_in_place() -> None:
    fake = FakeTransport()
    fake.add("GET", f"/chargers/{CHARGER}", json=_charger(CHARGER, "Available"), times=None)
    fake.add("GET", f"/chargers/{OTHER}", status=404, json={"message": "No query results."}, times=None)
    async with PlugchoiceClient(TOKEN, transport=fake, rate_limit=None, sleep=FakeSleep()) as client:
        results = await client.chargers.get_many([OTHER, CHARGER, "not a uuid/..", CHARGER.upper()])
    missing, first, invalid, again = results
    assert isinstance(invalid, InvalidRequestError)  # in its place, never sent
    assert isinstance(missing, NotFoundError) and missing.status == 404
    assert isinstance(first, Charger) and first.uuid == CHARGER and again == first
    assert sorted(r.path for r in fake.requests) == sorted(
        [f"/chargers/{OTHER}", f"/chargers/{CHARGER}", f"/chargers/{CHARGER}"]
    )
    assert all(r.method == "GET" and r.headers["Authorization"] == f"Bearer {TOKEN}" for r in fake.requests)


async def test_charger_watch_reports_changes_and_failures_round_by_round() -> None:
    fake = FakeTransport()
    fake.add("GET", f"/chargers/{CHARGER}", json=_charger(CHARGER, "Available"))
    fake.add("GET", f"/chargers/{CHARGER}", json=_charger(CHARGER, "Charging"))
    fake.add("GET", f"/chargers/{CHARGER}", status=404, json={"message": "No query results."})
    sleep = FakeSleep()
    updates = []
    async with PlugchoiceClient(TOKEN, transport=fake, rate_limit=None, sleep=sleep) as client:
        async for update in client.chargers.watch([CHARGER], interval=30):
            updates.append(update)
            if len(updates) == 3:
                break
    first, second, third = updates
    assert first.initial and first.changes == () and first.chargers[CHARGER].status == "Available"
    assert not second.initial
    assert [(c.charger, c.field, c.old, c.new) for c in second.changes] == [
        (CHARGER, "status", "Available", "Charging")
    ]
    assert third.changes == () and [f.charger for f in third.failures] == [CHARGER]
    assert isinstance(third.failures[0].error, NotFoundError)
    assert not fake.pending and len(fake.requests) == 3
    assert sleep.delays and all(0 <= d <= 30 for d in sleep.delays)


def _team_page(status: str) -> dict[str, Any]:
    page: dict[str, Any] = load_fixture("team-chargers.list.volttime.json")
    page["data"] = [page["data"][0] | {"uuid": CHARGER, "status": status}]
    page["next_page_url"] = None
    return page


async def test_fleet_watch_reports_changes_between_snapshots() -> None:
    fake = FakeTransport()
    path = f"/teams/{TEAM}/chargers"
    fake.add("GET", path, json=_team_page("Available"))
    fake.add("GET", path, status=500, json={"message": "Server Error"})
    fake.add("GET", path, json=_team_page("Faulted"))
    updates = []
    async with PlugchoiceClient(
        TOKEN, transport=fake, rate_limit=None, sleep=FakeSleep(), retry=RetryPolicy(max_retries=0)
    ) as client:
        async for update in client.fleet.watch(interval=60, team=TEAM):
            updates.append(update)
            if len(updates) == 3:
                break
    first, failed, third = updates
    assert first.initial and first.snapshot is not None and first.snapshot.chargers[CHARGER].status == "Available"
    assert failed.snapshot is None and isinstance(failed.error, APIStatusError) and failed.error.status == 500
    assert third.snapshot is not None and not third.initial
    assert [(c.field, c.old, c.new) for c in third.changes] == [("status", "Available", "Faulted")]
    assert all(r.path.startswith(path) and r.method == "GET" for r in fake.requests)
    assert not fake.pending


async def test_refresh_token_grant_sends_its_form_and_keeps_the_rotated_token() -> None:
    forms: list[dict[str, str]] = []
    seen: list[OAuthToken] = []

    def token(url: Any, **kwargs: Any) -> CallbackResult:
        forms.append(dict(parse_qsl(kwargs["data"].decode())))
        answer = {"token_type": "Bearer", "expires_in": 3600, "access_token": f"at-{len(forms)}"}
        return CallbackResult(payload=answer | {"refresh_token": f"rt-{len(forms) + 1}"})

    user = load_fixture("user.get.volttime.json")
    auth = OAuthRefreshToken("cid", "client-s3cr3t", "rt-1", on_token=seen.append)
    with aioresponses() as mocked:
        mocked.post("https://api.test/oauth/token", callback=token)
        mocked.get(f"{BASE}/user", payload=user)
        async with PlugchoiceClient(auth=auth, base_url=BASE, sleep=FakeSleep()) as client:
            await client.user.get()
        assert sorted(method for method, _ in mocked.requests) == ["GET", "POST"]  # one grant, one call
        authorization = next(
            call.kwargs["headers"]["Authorization"]
            for (method, _), calls in mocked.requests.items()
            if method == "GET"
            for call in calls
        )
    assert forms == [
        {"grant_type": "refresh_token", "client_id": "cid", "client_secret": "client-s3cr3t", "refresh_token": "rt-1"}
    ]
    assert authorization == "Bearer at-1"
    assert auth.refresh_token == "rt-2"  # rotated
    assert [t.refresh_token for t in seen] == ["rt-2"]
    for text in (repr(auth), repr(seen[0])):
        assert "client-s3cr3t" not in text and "rt-2" not in text and "at-1" not in text


# -- 5. against the emulator ---------------------------------------------------------------------------------


@pytest.fixture
async def emu() -> AsyncIterator[PlugchoiceEmulator]:
    async with PlugchoiceEmulator(chargers=10, token=TOKEN, rate_limit=None, endpoint_period=None) as emulator:
        yield emulator


def _online(emu: PlugchoiceEmulator, count: int) -> list[str]:
    return [u for u in emu.uuids if emu.chargers[u]["connection_status"] == "online"][:count]


async def test_emulator_bulk_command_run_by_its_id(emu: PlugchoiceEmulator) -> None:
    fleet = _online(emu, 2)
    async with make_client(emu.base_url) as client:
        started = await client.chargers.bulk_command("Reset", fleet, {"type": "Soft"})
        run = await client.chargers.bulk_command_run(started.uuid)
        again = await client.chargers.bulk_command_run(str(started.uuid).upper())
        with pytest.raises(NotFoundError):
            await client.chargers.bulk_command_run("00000000-0000-4000-8000-000000000000")
        sent = len(emu.requests)
        with pytest.raises(InvalidRequestError):
            await client.chargers.bulk_command_run("../user")
        assert len(emu.requests) == sent  # refused before sending
    assert run.uuid == started.uuid == again.uuid
    assert run.command == "Reset" and run.data == {"type": "Soft"} and run.total_count == 2
    assert run.status in (BulkRunStatus.RUNNING, BulkRunStatus.COMPLETED)
    gets = [r for r in emu.requests if r.method == "GET" and "/chargers/commands/bulk/" in r.path]
    assert [r.status for r in gets] == [200, 200, 404]


async def test_emulator_accepts_the_action_request_examples(emu: PlugchoiceEmulator) -> None:
    [uuid] = _online(emu, 1)
    limit = load_fixture("actions.charge-limit.volttime-request.json")
    status, body = await raw(emu, "POST", f"/chargers/{uuid}/actions/charge-limit", json=limit)
    assert (status, body) == (200, {"status": "Accepted"})
    status, body = await raw(
        emu, "PUT", f"/chargers/{uuid}", json=load_fixture("chargers.update.volttime-request.json")
    )
    assert status == 200 and body["data"]["reference"] == "b"
    async with make_client(emu.base_url) as client:
        assert (await client.chargers.get(uuid)).reference == "b"
        schedule = await client.chargers.actions.composite_schedule(uuid, connector_id=1, duration=3600)
    # the example's limit on connector 1 is what the charger now plans with
    assert schedule.connector_id == limit["connector_id"] and schedule.charging_schedule is not None
    assert [p.limit for p in schedule.charging_schedule.charging_schedule_period] == [limit["limit"]]
    recorded = [a for a in emu.actions if a.uuid == uuid and a.action == "charge-limit"]
    assert len(recorded) == 1


async def test_emulator_error_answers_for_a_charger_of_another_owner(emu: PlugchoiceEmulator) -> None:
    foreign = emu.foreign_uuids[0]
    missing = "00000000-0000-4000-8000-000000000000"
    async with make_client(emu.base_url) as client:
        with pytest.raises(NotFoundError):
            await client.chargers.actions.clear_charging_profile(missing)
        with pytest.raises(PermissionDeniedError):  # another owner's charger: 403, not 404
            await client.chargers.actions.clear_charging_profile(foreign)
        with pytest.raises(NotFoundError):
            await client.chargers.bulk_command_run(missing)
