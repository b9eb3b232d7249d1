"""Fixes from a review: secrets in error bodies, public-charging commands as actions, CSV upload
arguments, one e-mail check, configuration errors, the CLI without its extra, and small docs.

Each test failed before its fix.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from aioresponses import aioresponses

from plugchoice_async import (
    APIConnectionError,
    APITimeoutError,
    ChargerTimeoutError,
    ClientClosedError,
    ConfigurationError,
    InvalidRequestError,
    PlugchoiceClient,
    PublicChargingClient,
    ResponseValidationError,
    SessionStartUnreadableError,
)
from plugchoice_async._converter import scrub_secrets, structure_response
from plugchoice_async.models import Charger, LicensePaymentIntent, SiteInviteResult
from plugchoice_async.resources import _validate as check
from plugchoice_async.resources import public_charging
from plugchoice_async.resources._upload import csv_upload
from plugchoice_async.testing import FakeTransport
from tests.test_cli import Served, first_online, invoke, served  # noqa: F401  (served: a fixture)

ROOT = Path(__file__).parent.parent
BASE = "https://api.test/api/v3"
SITE = "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"
TEAM = "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d"
CHARGER = "3f2b6c1e-8a4d-4c1e-9f3a-2b6c1e8a4d4c"
INVITE_TOKEN = "S" * 64
SESSION_TOKEN = "sEsSiOnToKeN0123456789abcdefABCDEF"
CLIENT_SECRET = "pi_123_secret_ABCDEFGHIJ"
SESSION = {"status": "created", "connector_id": 1}


async def no_sleep(seconds: float) -> None:
    await asyncio.sleep(0)


def client_for(fake: FakeTransport) -> PlugchoiceClient:
    return PlugchoiceClient("t", base_url=BASE, transport=fake, rate_limit=None, sleep=no_sleep)


def public_for(fake: FakeTransport) -> PublicChargingClient:
    return PublicChargingClient(BASE, transport=fake, sleep=no_sleep, endpoint_limits=None)


def assert_hidden(exc: BaseException, *secrets: str) -> None:
    """No secret in the error's message, repr, body or pickled-and-restored body."""
    body = getattr(exc, "body", None)
    for secret in secrets:
        assert secret[:12] not in str(exc) and secret[:12] not in repr(exc), secret  # not even cut short
        assert secret not in repr(body) and secret not in repr(pickle.loads(pickle.dumps(exc)).body), secret


# -- 1. the converter scrubs every secret from the body it attaches to an error ---------------------


@pytest.mark.parametrize(
    ("answer", "kept"),
    [
        (
            {"message": "ok", "invite_token": INVITE_TOKEN, "invite": {"email": "a@b.c", "token": INVITE_TOKEN}},
            {"message": "ok", "invite_token": "***", "invite": {"email": "a@b.c", "token": "***"}},
        ),
        ({"message": "ok", "invite_token": [INVITE_TOKEN], "invite": {"id": 1}}, None),
        (
            {
                "message": "ok",
                "invite_token": INVITE_TOKEN,
                "invite_links": {"web": 5, "deep_link": f"app://accept?token={INVITE_TOKEN}"},
            },
            {"message": "ok", "invite_token": "***", "invite_links": {"web": "***", "deep_link": "***"}},
        ),
        ([INVITE_TOKEN], "***"),
        ({"message": "ok", "invite": INVITE_TOKEN}, {"message": "ok", "invite": "***"}),
        ({"data": {"invite": [{"token": INVITE_TOKEN}]}}, {"data": {"invite": "***"}}),
        (
            {"invite_token": INVITE_TOKEN, "invite": {"id": INVITE_TOKEN}},
            {"invite_token": "***", "invite": {"id": "***"}},
        ),
    ],
    ids=[
        "missing invite id",
        "token as a list",
        "links of the wrong type",
        "a list",
        "invite a string",
        "envelope",
        "token repeated in a misfit",
    ],
)
async def test_an_invite_answer_that_does_not_fit_keeps_no_token_in_the_error(answer: Any, kept: Any) -> None:
    fake = FakeTransport()
    fake.add("POST", f"/sites/{SITE}/teams/invite", json=answer)
    async with client_for(fake) as client:
        with pytest.raises(ResponseValidationError) as info:
            await client.sites.access.invite(SITE, email="a@b.c")
    assert_hidden(info.value, INVITE_TOKEN)
    if kept is not None:
        assert info.value.body == kept


async def test_the_secrets_of_a_payment_intent_are_scrubbed_from_the_error_body() -> None:
    fake = FakeTransport()
    answer = {"payment_intent": "pi_SECRET", "ephemeral_key": "ek_SECRET", "customer": 5}
    fake.add("POST", f"/chargers/{CHARGER}/licenses/payment-intent", json=answer)
    async with client_for(fake) as client:
        with pytest.raises(ResponseValidationError, match=r"got an integer \(5\) @ \$\.customer") as info:
            await client.chargers.license_payment_intent(CHARGER, product="smart")
    assert info.value.body == {"payment_intent": "***", "ephemeral_key": "***", "customer": 5}
    assert answer["payment_intent"] == "pi_SECRET"  # the body is a scrubbed copy


def test_scrub_secrets_walks_envelopes_lists_and_repeated_text() -> None:
    pin = "98765"
    charger = {"uuid": CHARGER, "identity": "EVB-1", "pincode": pin, "reference": f"label says {pin}"}
    assert scrub_secrets({"data": charger}, Charger) == {
        "data": {**charger, "pincode": "***", "reference": "label says ***"}
    }
    assert scrub_secrets([charger, {"pincode": {"nested": [pin]}}], tuple[Charger, ...]) == [
        {**charger, "pincode": "***", "reference": "label says ***"},
        {"pincode": "***"},
    ]
    assert scrub_secrets({"data": [charger]}, tuple[Charger, ...]) == {
        "data": [{**charger, "pincode": "***", "reference": "label says ***"}]
    }
    assert scrub_secrets({"data": "x"}, Charger) == {"data": "***"}  # where an object was expected
    plain = {"customer": "cus_1"}
    assert scrub_secrets(plain, SiteInviteResult) == plain
    assert scrub_secrets({"note": "a SECRET b"}, SiteInviteResult, ["SECRET"]) == {"note": "a *** b"}


def test_a_secret_holding_value_is_never_quoted_in_the_message() -> None:
    with pytest.raises(ResponseValidationError) as info:
        structure_response({"invite": INVITE_TOKEN}, SiteInviteResult, method="POST", path="/x")
    assert "got a string @ $.invite" in str(info.value)
    with pytest.raises(ResponseValidationError) as info:
        structure_response(INVITE_TOKEN, SiteInviteResult, method="POST", path="/x")
    assert_hidden(info.value, INVITE_TOKEN)
    with pytest.raises(ResponseValidationError) as info:  # other answers are quoted as before
        structure_response({"customer": 12}, LicensePaymentIntent, method="POST", path="/x")
    assert "got an integer (12)" in str(info.value)


def test_public_charging_has_no_scrubber_of_its_own() -> None:
    assert not hasattr(public_charging, "_scrubbed") and not hasattr(public_charging, "_SECRET_KEYS")


@pytest.mark.parametrize(
    "answer",
    [
        {"session_token": SESSION_TOKEN, "data": SESSION, "payment": {"client_secret": {"v": CLIENT_SECRET}}},
        {"session_token": SESSION_TOKEN, "data": SESSION, "payment": [CLIENT_SECRET]},
        {"session_token": SESSION_TOKEN, "data": {**SESSION, "connector_id": SESSION_TOKEN}, "payment": None},
        {"session_token": SESSION_TOKEN, "payment": {"client_secret": CLIENT_SECRET}},
    ],
    ids=["secret an object", "payment a list", "token repeated in data", "no data"],
)
async def test_a_start_answer_that_does_not_fit_keeps_the_token_for_the_caller_only(answer: Any) -> None:
    fake = FakeTransport()
    fake.add("POST", "/public-charging/sessions", json=answer, status=201)
    async with public_for(fake) as public:
        with pytest.raises(ResponseValidationError) as info:
            await public.start_session(code="AB12", connector_id=1)
    assert_hidden(info.value, SESSION_TOKEN, CLIENT_SECRET)
    assert isinstance(info.value, SessionStartUnreadableError)
    assert info.value.session_token == SESSION_TOKEN  # the session and its card hold exist
    assert pickle.loads(pickle.dumps(info.value)).session_token == SESSION_TOKEN


async def test_a_start_answer_without_a_token_raises_without_one() -> None:
    fake = FakeTransport()
    fake.add("POST", "/public-charging/sessions", json={"data": SESSION}, status=201)
    async with public_for(fake) as public:
        with pytest.raises(ResponseValidationError, match="no session_token") as info:
            await public.start_session(code="AB12", connector_id=1)
    assert not hasattr(info.value, "session_token")


async def test_a_session_answer_repeating_its_token_is_scrubbed() -> None:
    fake = FakeTransport()
    answer = {"data": {"status": 3, "failure_reason": f"session {SESSION_TOKEN} failed"}}
    fake.add("POST", "/public-charging/sessions/***/stop", json=answer)
    async with public_for(fake) as public:
        with pytest.raises(ResponseValidationError) as info:
            await public.stop(SESSION_TOKEN)
    assert_hidden(info.value, SESSION_TOKEN)
    assert info.value.body == {"data": {"status": 3, "failure_reason": "session *** failed"}}


# -- 2. public charging: the commands are actions, codes are path segments -------------------------

COMMANDS = {
    "start_session": lambda p: p.start_session(code="AB12", connector_id=1),
    "confirm": lambda p: p.confirm(SESSION_TOKEN),
    "stop": lambda p: p.stop(SESSION_TOKEN),
    "cancel": lambda p: p.cancel(SESSION_TOKEN),
}
PATHS = {
    "start_session": "/public-charging/sessions",
    "confirm": "/public-charging/sessions/***/confirm",
    "stop": "/public-charging/sessions/***/stop",
    "cancel": "/public-charging/sessions/***/cancel",
}


@pytest.mark.parametrize("name", COMMANDS)
async def test_a_504_after_a_public_charging_command_says_the_outcome_is_unknown(name: str) -> None:
    fake = FakeTransport()
    fake.add("POST", PATHS[name], status=504, json={"message": "Gateway Timeout"})
    async with public_for(fake) as public:
        with pytest.raises(ChargerTimeoutError, match="may still have been executed"):
            await COMMANDS[name](public)
    assert len(fake.requests) == 1  # never retried


@pytest.mark.parametrize("name", COMMANDS)
async def test_a_connection_lost_after_sending_a_public_charging_command_is_an_unknown_outcome(name: str) -> None:
    fake = FakeTransport()
    fake.add("POST", PATHS[name], exception=APITimeoutError)
    async with public_for(fake) as public:
        with pytest.raises(APIConnectionError, match="may still have been executed") as info:
            await COMMANDS[name](public)
    assert info.value.action and info.value.request_sent
    assert len(fake.requests) == 1


async def test_a_504_on_stop_through_aiohttp_is_a_charger_timeout() -> None:
    with aioresponses() as mocked:
        mocked.post(f"{BASE}/public-charging/sessions/{SESSION_TOKEN}/stop", status=504, payload={"message": "x"})
        async with PublicChargingClient(BASE, sleep=no_sleep, endpoint_limits=None) as public:
            with pytest.raises(ChargerTimeoutError) as info:
                await public.stop(SESSION_TOKEN)
    assert_hidden(info.value, SESSION_TOKEN)
    assert len(mocked.requests) == 1


@pytest.mark.parametrize("code", [".", ".."])
async def test_a_code_of_dots_is_refused_before_sending(code: str) -> None:
    fake = FakeTransport()
    async with public_for(fake) as public:
        with pytest.raises(InvalidRequestError, match="code must be a usable path segment"):
            await public.get_charger(code)
        with pytest.raises(InvalidRequestError, match="code must be a usable path segment"):
            await public.start_session(code=code, connector_id=1)
    assert fake.requests == []


# -- 3. CSV uploads: no str, regular files only ------------------------------------------------------


async def test_a_str_is_refused_as_an_upload_and_nothing_is_sent(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"identity\nEVB-1\n")
    fake = FakeTransport()
    async with client_for(fake) as client:
        for call in (client.teams.import_chargers(TEAM, str(path)), client.sites.import_cards(SITE, str(path))):  # type: ignore[arg-type]
            with pytest.raises(InvalidRequestError, match=r"as bytes \(text\.encode\(\)\) or a path as pathlib\.Path"):
                await call
    assert fake.requests == []
    assert csv_upload(path).content == b"identity\nEVB-1\n"


def test_a_path_that_is_not_a_regular_file_is_refused_before_opening(tmp_path: Path) -> None:
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(InvalidRequestError, match="is a directory, not a regular file"):
        csv_upload(tmp_path / "dir.csv")
    with pytest.raises(InvalidRequestError, match="is a character device, not a regular file"):
        csv_upload(Path(os.devnull), filename="null.csv")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
async def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    try:
        with pytest.raises(InvalidRequestError, match=r"is a FIFO \(named pipe\), not a regular file"):
            await asyncio.wait_for(asyncio.to_thread(csv_upload, fifo), 10)
    finally:  # had the reader blocked in open(), a writer lets it go
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


# -- 4. one e-mail check; the pincode never quoted --------------------------------------------------


async def test_every_e_mail_argument_is_checked_the_same_way() -> None:
    fake = FakeTransport()
    async with client_for(fake) as client, public_for(fake) as public:
        calls = (
            client.sites.access.invite(SITE, email="no-at-sign"),
            client.teams.create(name="Ops", email="no-at-sign"),
            public.start_session(code="AB12", connector_id=1, email="no-at-sign"),
        )
        for call in calls:
            with pytest.raises(
                InvalidRequestError, match=r"^email must be an e-mail address \(name@domain\), got 'no-at-sign'$"
            ):
                await call
    assert fake.requests == []


@pytest.mark.parametrize("value", ["a@", "@b", "a b@c.d", "", 5])
def test_check_email_refuses_what_is_no_address(value: Any) -> None:
    with pytest.raises(InvalidRequestError, match=r"^email must"):
        check.email("email", value)
    assert check.email("email", "ops@example.com") == "ops@example.com"


@pytest.mark.parametrize("pincode", ["98x7", "-9871", "\uff19\uff18\uff17"])
async def test_a_wrong_pincode_is_not_repeated_in_the_error(pincode: str) -> None:
    fake = FakeTransport()
    async with client_for(fake) as client:
        with pytest.raises(InvalidRequestError, match=r"^pincode must be digits") as info:
            await client.sites.attach_charger(SITE, identity="EVB-1", pincode=pincode)
    assert pincode not in str(info.value) and fake.requests == []


# -- 5. configuration errors, a neutral ClientClosedError --------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: PlugchoiceClient("t", hooks=5),  # type: ignore[arg-type]
        lambda: PublicChargingClient(hooks=5),  # type: ignore[arg-type]
    ],
)
def test_hooks_that_are_not_an_iterable_are_a_configuration_error(build: Any) -> None:
    with pytest.raises(ConfigurationError, match="hooks must be an iterable of callables, got 5"):
        build()


async def test_a_closed_public_charging_client_does_not_name_another_class() -> None:
    fake = FakeTransport()
    public = public_for(fake)
    await public.aclose()
    with pytest.raises(ClientClosedError) as info:
        await public.get_charger("AB12")
    assert "PlugchoiceClient" not in str(info.value) and "create a new client" in str(info.value)


# -- 6. the CLI ----------------------------------------------------------------------------------------


def test_the_console_script_without_the_cli_extra_says_what_to_install() -> None:
    target = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]["plugchoice"]
    module, _, function = target.partition(":")
    code = (
        "import sys\n"
        "sys.modules['click'] = sys.modules['rich'] = None\n"  # as if not installed
        f"from {module} import {function}\n"
        f"{function}()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and 'pip install "plugchoice-async[cli]"' in done.stderr


def test_bulk_status_none_matches_no_charger_without_a_status(served: Served) -> None:  # noqa: F811
    uuid = first_online(served)
    served.emulator.set_charger(uuid, status=None)
    result = invoke("bulk", "Reset", "--status", "None", "--yes")
    assert result.exit_code == 0, result.output
    assert "No charger has status None: nothing to send." in result.stdout
    assert served.posts() == []


@pytest.mark.parametrize("amperes", ["nan", "inf", "NaN"])
def test_a_limit_that_is_not_finite_is_a_usage_error_before_anything_is_fetched(
    served: Served,  # noqa: F811
    amperes: str,
) -> None:
    uuid = first_online(served)
    result = invoke("charger", "limit", uuid, amperes, "--yes")
    assert result.exit_code == 2
    assert "must be a finite number of amperes" in result.stderr

    async def count() -> int:
        return len(served.emulator.requests)

    assert served.call(count()) == 0


def test_bulk_sends_a_charger_given_twice_once(served: Served) -> None:  # noqa: F811
    first = first_online(served)
    second = next(
        u for u, doc in served.emulator.chargers.items() if doc["connection_status"] == "online" and u != first
    )
    result = invoke("bulk", "Reset", "--chargers", f"{first},{second},{first.upper()}", "--chargers", second, "--yes")
    assert "About to send Reset to 2 chargers:" in result.stdout, result.output
    (run,) = served.emulator.bulk_runs
    assert [r["charger_uuid"] for r in run["results"]] == [first, second]


# -- 7, 8. documentation --------------------------------------------------------------------------------


async def test_the_fake_transport_shows_a_session_token_as_stars() -> None:
    assert "``***``" in (FakeTransport.__doc__ or "") and "public-charging" in (FakeTransport.__doc__ or "")
    fake = FakeTransport()
    fake.add("POST", "/public-charging/sessions/***/cancel", json={"data": SESSION})
    async with public_for(fake) as public:
        await public.cancel(SESSION_TOKEN)
    [request] = fake.requests
    assert request.path == "/public-charging/sessions/***/cancel" and SESSION_TOKEN in str(request.url)


def test_the_rate_limit_benchmark_names_the_script_that_installs_redis() -> None:
    text = (ROOT / "benchmarks" / "bench_ratelimit.py").read_text()
    assert "scripts/redis.sh" not in text and "scripts/debian-packages.sh" in text
    assert (ROOT / "scripts" / "debian-packages.sh").exists()
