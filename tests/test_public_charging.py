"""Public charging: ``client.public_charging`` and ``PublicChargingClient`` over the published examples, the
requests sent (no Authorization, aioresponses), argument checks, the secrecy of session tokens and client secrets,
and the emulator's session state machine on a fake clock."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aioresponses import aioresponses

from plugchoice_async import (
    BadRequestError,
    ConfigurationError,
    ConflictError,
    InternalServerError,
    InvalidRequestError,
    NotFoundError,
    PlugchoiceClient,
    PublicChargingClient,
    RequestEvent,
    ResponseValidationError,
    UnprocessableEntityError,
    _converter,
)
from plugchoice_async.models import (
    ChargePointStatus,
    PublicCharger,
    PublicChargingPayment,
    PublicChargingSession,
    PublicSessionStatus,
)
from plugchoice_async.resources import PublicCharging
from plugchoice_async.testing import Fault, PlugchoiceEmulator
from tests.conftest import TOKEN, FakeClock, FakeSleep, load_fixture, make_client
from tests.endpoint_helpers import BASE, FakeApi
from tests.endpoint_helpers import filled as fill_placeholders
from tests.test_models_api import _assert_keys_modelled

SECRET = "sEcReTsEsSiOnToKeN0123456789abcdefABCDEF0123456789"
CLIENT_SECRET = "pi_3Abc_secret_DoNotShowMe"

SESSION_FIXTURES = [
    "public-charging.start-session.docs.json",
    "public-charging.get-session.docs.json",
    "public-charging.confirm-payment.docs.json",
    "public-charging.stop-session.docs.json",
    "public-charging.cancel-session.docs.json",
]


def filled(data: Any) -> Any:
    """A docs example made real: ``"<string>"`` timestamps become ``TS``, ``energy_kwh`` ``"1.50"``."""
    return fill_placeholders(data, energy_kwh="1.50")


def session_answer(status: str = "created", **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = filled(load_fixture("public-charging.stop-session.docs.json"))["data"]
    data.update(status=status, **changes)
    return data


def start_answer() -> dict[str, Any]:
    answer: dict[str, Any] = filled(load_fixture("public-charging.start-session.docs.json"))
    answer["session_token"] = SECRET
    answer["payment"]["client_secret"] = CLIENT_SECRET
    answer["data"]["status"] = "created"
    return answer


# -- the published examples --------------------------------------------------------------------------


@pytest.mark.parametrize("name", SESSION_FIXTURES)
def test_session_examples_keys_and_values(name: str) -> None:
    example = load_fixture(name)
    assert set(example) - {"data", "payment", "session_token"} == set()
    assert _assert_keys_modelled(example["data"], PublicChargingSession, name, ocpp=False) >= 3
    session = _converter.structure_strict(filled(example), PublicChargingSession)  # the "data" envelope
    assert session.energy_kwh == 1.5 and session.charger is not None and session.charger.online is True
    if "payment" in example:
        _assert_keys_modelled(example["payment"], PublicChargingPayment, name, ocpp=False)
        payment = _converter.structure_strict(example["payment"], PublicChargingPayment)
        assert payment.client_secret == "<string>" and "client_secret" not in repr(payment)


def test_charger_example() -> None:
    example = load_fixture("public-charging.get-charger.docs.json")
    assert _assert_keys_modelled(example["data"], PublicCharger, "get-charger", ocpp=False) == 3
    charger = _converter.structure_strict(example, PublicCharger)
    assert charger.connectors is not None and charger.connectors[0].connector_id == 123
    assert charger.pricing is not None and charger.pricing.price_per_kwh == 123 and charger.preauth_amount == 123


def test_energy_is_a_string_on_the_wire() -> None:
    session = _converter.structure_strict({"data": session_answer(energy_kwh="12.345")}, PublicChargingSession)
    assert session.energy_kwh == 12.345
    assert session.status is PublicSessionStatus.CREATED
    assert _converter.structure({"data": session_answer("refunded")}, PublicChargingSession).status == "refunded"


# -- requests (aioresponses) ---------------------------------------------------------------------------


@pytest.fixture
def api() -> Any:
    with aioresponses() as mocked:
        yield FakeApi(mocked)


@pytest.fixture
async def public() -> AsyncIterator[PublicChargingClient]:
    async with PublicChargingClient(BASE, sleep=FakeSleep(), endpoint_limits=None) as client:
        yield client


async def test_every_call_is_anonymous_and_typed(api: FakeApi) -> None:
    sessions = f"/public-charging/sessions/{SECRET}"
    api.on("GET", "/public-charging/chargers/AB12", load_fixture("public-charging.get-charger.docs.json"))
    api.on("POST", "/public-charging/sessions", start_answer(), status=201)
    api.on("GET", sessions, {"data": session_answer(), "payment": start_answer()["payment"]})
    for action, status in (("confirm", "authorized"), ("stop", "stopping"), ("cancel", "cancelled")):
        api.on("POST", f"{sessions}/{action}", {"data": session_answer(status)})
    async with make_client(BASE, endpoint_limits=None) as client:
        for public in (client.public_charging, PublicChargingClient(BASE, endpoint_limits=None)):
            api.sent.clear()
            charger = await public.get_charger("AB12")
            assert charger.public_code == "<string>"
            started = await public.start_session(code="AB12", connector_id=2, email="driver@example.com")
            assert started.session_token == SECRET and started.session.status is PublicSessionStatus.CREATED
            assert started.payment is not None and started.payment.client_secret == CLIENT_SECRET
            state = await public.get_session(SECRET)
            assert state.session.status == "created" and state.payment is not None
            assert (await public.confirm(SECRET)).status is PublicSessionStatus.AUTHORIZED
            assert (await public.stop(SECRET)).status is PublicSessionStatus.STOPPING
            assert (await public.cancel(SECRET)).status is PublicSessionStatus.CANCELLED
            assert [(sent.method, sent.path) for sent in api.sent] == [
                ("GET", "/public-charging/chargers/AB12"),
                ("POST", "/public-charging/sessions"),
                ("GET", sessions),
                ("POST", f"{sessions}/confirm"),
                ("POST", f"{sessions}/stop"),
                ("POST", f"{sessions}/cancel"),
            ]
            for sent in api.sent:
                assert "authorization" not in sent.headers and sent.headers["accept"] == "application/json"
            body = api.sent[1].json
            assert body == {"code": "AB12", "connector_id": 2, "email": "driver@example.com"}
            assert set(body) == set(load_fixture("public-charging.start-session.docs-request.json"))
            if isinstance(public, PublicChargingClient):
                await public.aclose()


async def test_secrets_hidden_from_every_repr(api: FakeApi, public: PublicChargingClient) -> None:
    api.on("POST", "/public-charging/sessions", start_answer(), status=201)
    api.on(
        "GET", f"/public-charging/sessions/{SECRET}", {"data": session_answer(), "payment": start_answer()["payment"]}
    )
    started = await public.start_session(code="AB12", connector_id=1)
    state = await public.get_session(SECRET)
    for shown in (repr(started), str(started), repr(started.payment), repr(state), repr(public)):
        assert SECRET not in shown and CLIENT_SECRET not in shown
    assert "publishable_key='<string>'" in repr(started.payment)  # the publishable key is shown


async def test_a_misfit_answer_does_not_carry_the_secrets(api: FakeApi, public: PublicChargingClient) -> None:
    answer = start_answer()
    answer["data"]["status"] = 5
    api.on("POST", "/public-charging/sessions", answer, status=201)
    with pytest.raises(ResponseValidationError) as info:
        await public.start_session(code="AB12", connector_id=1)
    assert "$.data.status" in str(info.value)
    for shown in (str(info.value), repr(info.value), repr(info.value.body)):
        assert SECRET not in shown and CLIENT_SECRET not in shown

    answer = start_answer()
    answer["payment"]["client_secret"] = 424242  # a secret of the wrong type is described, never quoted
    api.mocked.clear()
    api.on("POST", "/public-charging/sessions", answer, status=201)
    with pytest.raises(ResponseValidationError) as info:
        await public.start_session(code="AB12", connector_id=1)
    assert "client_secret" in str(info.value) and "424242" not in str(info.value)
    assert info.value.body == {**answer["payment"], "client_secret": "***"}

    answer = start_answer()
    del answer["session_token"]
    api.mocked.clear()
    api.on("POST", "/public-charging/sessions", answer, status=201)
    with pytest.raises(ResponseValidationError, match="session_token"):
        await public.start_session(code="AB12", connector_id=1)


BAD_CALLS: list[tuple[str, Callable[[PublicCharging], Awaitable[Any]]]] = [
    ("at most 10", lambda p: p.get_charger("ABCDEFGHIJK")),
    ("must not be empty", lambda p: p.get_charger(" ")),
    ("spaces", lambda p: p.start_session(code=" AB12", connector_id=1)),
    ("between 1 and 100", lambda p: p.start_session(code="AB12", connector_id=0)),
    ("between 1 and 100", lambda p: p.start_session(code="AB12", connector_id=101)),
    ("integer", lambda p: p.start_session(code="AB12", connector_id=True)),
    ("at most 255", lambda p: p.start_session(code="AB12", connector_id=1, email="a" * 256)),
    ("session token", lambda p: p.get_session("")),
    (
        "session token",
        lambda p: p.confirm(".."),
    ),
    ("a bytes", lambda p: p.stop(SECRET.encode())),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("message", "make"), BAD_CALLS, ids=[f"{i}-{m}" for i, (m, _) in enumerate(BAD_CALLS)])
async def test_bad_arguments_raise_before_sending(
    api: FakeApi, public: PublicChargingClient, message: str, make: Callable[[PublicCharging], Awaitable[Any]]
) -> None:
    with pytest.raises(InvalidRequestError, match=message) as info:
        await make(public)
    assert SECRET[:12] not in str(info.value)
    assert api.sent == []


async def test_client_configuration() -> None:
    with pytest.raises(ConfigurationError, match="plain http"):
        PublicChargingClient("http://example.com/api/v3")
    with pytest.raises(ConfigurationError, match="max_retries"):
        PublicChargingClient(BASE, max_retries=-1)
    with pytest.raises(ConfigurationError, match="user_agent"):
        PublicChargingClient(BASE, user_agent="bad\nagent")
    with pytest.raises(ConfigurationError, match="callable"):
        PublicChargingClient(BASE, hooks=[42])  # type: ignore[list-item]
    async with PublicChargingClient() as client:
        assert client.base_url == "https://app.plugchoice.com/api/v3"
        assert repr(client) == "<PublicChargingClient base_url='https://app.plugchoice.com/api/v3'>"


# -- against the emulator ------------------------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def emu(clock: FakeClock) -> AsyncIterator[PlugchoiceEmulator]:
    async with PlugchoiceEmulator(chargers=40, token=TOKEN, rate_limit=None, clock=clock, endpoint_period=None) as emu:
        yield emu


async def _public_code(emu: PlugchoiceEmulator, *, online: bool = True) -> tuple[str, str]:
    """Enable public charging on a charger whose connector 1 is Available (online or not): (uuid, code)."""
    uuid = next(
        uuid
        for uuid, c in emu.chargers.items()
        if (c["connection_status"] == "online") == online and c["connectors"][0]["status"] == "Available"
    )
    async with make_client(emu.base_url, endpoint_limits=None) as client:
        setting = await client.chargers.settings.set_public_charging(uuid, enabled=True, price_per_kwh=40, start_fee=50)
    assert setting.public_code is not None
    return uuid, setting.public_code


@pytest.fixture
async def live(emu: PlugchoiceEmulator) -> AsyncIterator[PublicChargingClient]:
    async with PublicChargingClient(emu.base_url, sleep=FakeSleep(), endpoint_limits=None) as client:
        yield client


async def test_emulator_session_moves_over_the_clock(
    emu: PlugchoiceEmulator, live: PublicChargingClient, clock: FakeClock
) -> None:
    uuid, code = await _public_code(emu)
    charger = await live.get_charger(code.lower())  # any case
    assert charger.public_code == code and charger.online is True and charger.preauth_amount == 2500
    assert charger.pricing is not None and (charger.pricing.price_per_kwh, charger.pricing.start_fee) == (40, 50)
    started = await live.start_session(code=code, connector_id=1, email="driver@example.com")
    assert started.session.status is PublicSessionStatus.CREATED and started.payment is not None
    assert started.payment.client_secret and started.session.driver_email == "driver@example.com"
    assert (await live.get_session(started.session_token)).payment == started.payment
    with pytest.raises(ConflictError):  # the connector is taken by this session
        await live.start_session(code=code, connector_id=1)

    token = started.session_token
    confirmed = await live.confirm(token)
    assert confirmed.status is PublicSessionStatus.AUTHORIZED and confirmed.authorized_at is not None
    assert (await live.get_session(token)).payment is None  # only while created
    clock.advance(1)
    assert (await live.get_session(token)).session.status is PublicSessionStatus.STARTING
    clock.advance(4)
    charging = (await live.get_session(token)).session
    assert charging.status is PublicSessionStatus.CHARGING and charging.charging_started_at is not None
    assert charging.connector_status is ChargePointStatus.CHARGING
    assert emu.chargers[uuid]["connectors"][0]["status"] == "Charging"
    with pytest.raises(ConflictError, match="can no longer be cancelled"):
        await live.cancel(token)

    clock.advance(3600)
    stopping = await live.stop(token)
    assert stopping.status is PublicSessionStatus.STOPPING
    assert (await live.stop(token)).status is PublicSessionStatus.STOPPING  # idempotent
    clock.advance(3)
    settled = (await live.get_session(token)).session
    assert settled.status is PublicSessionStatus.SETTLING
    assert settled.energy_kwh == 11.0 and settled.cost_amount == 11 * 40 + 50 == settled.amount_captured
    assert settled.completed_at is not None and settled.captured_at is not None and settled.tax_amount == 85
    assert emu.chargers[uuid]["connectors"][0]["status"] == "Available"


async def test_emulator_cancel_and_errors(emu: PlugchoiceEmulator, live: PublicChargingClient) -> None:
    uuid, code = await _public_code(emu)
    started = await live.start_session(code=code, connector_id=1)
    cancelled = await live.cancel(started.session_token)
    assert cancelled.status is PublicSessionStatus.CANCELLED and cancelled.amount_captured == 0
    with pytest.raises(ConflictError):
        await live.cancel(started.session_token)
    with pytest.raises(BadRequestError, match="not charging"):
        await live.stop(started.session_token)
    with pytest.raises(NotFoundError):
        await live.get_charger("NOPE")
    with pytest.raises(NotFoundError):
        await live.start_session(code="NOPE", connector_id=1)
    with pytest.raises(UnprocessableEntityError) as info:
        await live.start_session(code=code, connector_id=99)
    assert "connector_id" in info.value.errors
    _, offline = await _public_code(emu, online=False)
    with pytest.raises(BadRequestError, match="offline"):
        await live.start_session(code=offline, connector_id=1)
    async with make_client(emu.base_url, endpoint_limits=None) as client:
        await client.chargers.settings.set_public_charging(uuid, enabled=False)
    with pytest.raises(NotFoundError):
        await live.get_charger(code)


async def test_emulator_unconfirmed_sessions_expire(
    emu: PlugchoiceEmulator, live: PublicChargingClient, clock: FakeClock
) -> None:
    _, code = await _public_code(emu)
    token = (await live.start_session(code=code, connector_id=1)).session_token
    clock.advance(1799)
    assert (await live.get_session(token)).session.status is PublicSessionStatus.CREATED
    clock.advance(1)
    with pytest.raises(NotFoundError):
        await live.get_session(token)
    with pytest.raises(NotFoundError):
        await live.confirm(token)
    again = await live.start_session(code=code, connector_id=1)  # the connector is free again
    assert again.session_token != token


async def test_emulator_stop_refused(emu: PlugchoiceEmulator, live: PublicChargingClient, clock: FakeClock) -> None:
    uuid, code = await _public_code(emu)
    token = (await live.start_session(code=code, connector_id=1)).session_token
    await live.confirm(token)
    clock.advance(5)
    emu.set_action_behaviour(uuid, "reject")
    with pytest.raises(BadRequestError, match="Unplug"):
        await live.stop(token)
    assert (await live.get_session(token)).session.status is PublicSessionStatus.CHARGING


async def test_a_404_never_shows_the_session_token(emu: PlugchoiceEmulator, caplog: pytest.LogCaptureFixture) -> None:
    events: list[RequestEvent] = []
    caplog.set_level(logging.DEBUG, logger="plugchoice_async")
    async with PublicChargingClient(emu.base_url, hooks=[events.append], endpoint_limits=None) as public:
        with pytest.raises(NotFoundError) as info:
            await public.get_session(SECRET)
        with pytest.raises(NotFoundError) as action:
            await public.confirm(SECRET)
    for exc in (info.value, action.value):
        assert SECRET not in str(exc) and SECRET not in repr(exc)
        assert SECRET not in exc.path and SECRET not in (exc.url or "")
        assert "does not exist" in str(exc)
    assert caplog.records and all(SECRET not in record.getMessage() for record in caplog.records)
    assert SECRET not in caplog.text
    assert len(events) == 2 and all(SECRET not in repr(event) for event in events)
    assert [event.status for event in events] == [404, 404]
    assert emu.requests[0].path.endswith(SECRET)  # it did reach the server


async def test_public_calls_are_anonymous_and_outside_the_token_budget(clock: FakeClock) -> None:
    async with PlugchoiceEmulator(chargers=20, token=TOKEN, rate_limit=2, clock=clock, endpoint_period=None) as emu:
        _, code = await _public_code(emu)  # one authenticated call
        async with make_client(emu.base_url, endpoint_limits=None) as client:
            for _ in range(4):
                assert (await client.public_charging.get_charger(code)).public_code == code
            user = await client.user.get()  # the second (last) call of the token's budget
            assert user.uuid == emu.user["uuid"]
        public = [r for r in emu.requests if "/public-charging/" in r.path]
        assert len(public) == 4 and all("Authorization" not in r.headers for r in public)
        assert all(r.status == 200 for r in emu.requests) and emu.rate_limited == 0


async def test_a_post_is_not_retried_after_a_500(emu: PlugchoiceEmulator, live: PublicChargingClient) -> None:
    _, code = await _public_code(emu)
    emu.add_fault(Fault("status", status=500, method="POST", path="/public-charging/sessions"))
    with pytest.raises(InternalServerError):
        await live.start_session(code=code, connector_id=1)
    assert [r.status for r in emu.requests if r.path.endswith("/public-charging/sessions")] == [500]


def test_the_client_wires_public_charging() -> None:
    client = PlugchoiceClient(TOKEN, base_url=BASE)
    assert isinstance(client.public_charging, PublicCharging)
    assert isinstance(PublicChargingClient(BASE), PublicCharging)
