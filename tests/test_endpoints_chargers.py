"""Charger creation and setup, the nanogrid setting, license payment intents, team creation, the team charger
import (CSV upload) and the Chargee meter: requests as the API wants them (aioresponses, no socket), the published
examples, and end to end against the emulator (its clock stepped by hand for the setup's restart)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

from plugchoice_async import (
    ChargerImportResult,
    ChargerSetupResult,
    ChargerSummary,
    ChargerTimeoutError,
    ConnectionStatus,
    InvalidRequestError,
    LicensePaymentIntent,
    Meter,
    NanogridSetting,
    NotFoundError,
    PermissionDeniedError,
    PlugchoiceClient,
    RetryPolicy,
    Team,
    UnprocessableEntityError,
    _converter,
)
from plugchoice_async.resources._upload import MAX_UPLOAD_BYTES, csv_upload
from plugchoice_async.testing import PlugchoiceEmulator
from tests.conftest import TOKEN, FakeClock, FakeSleep, load_fixture, make_client
from tests.endpoint_helpers import BASE, FakeApi, filled, raw

CHARGER = "445bd3f6-8f2c-38cb-aa04-2f4e1edb32bb"
TEAM = "a4855dc5-0acb-33c3-b921-f4291f719ca0"
SITE = "c90237e9-ced5-3af6-88ea-84aeaa148878"


@pytest.fixture
def api() -> Any:
    with aioresponses() as mocked:
        yield FakeApi(mocked)


@pytest.fixture
async def client() -> AsyncIterator[PlugchoiceClient]:
    async with make_client(BASE) as client:
        yield client


# -- POST /chargers -----------------------------------------------------------------------------------


async def test_create_sends_the_published_request_and_reads_the_full_charger(api: FakeApi, client: Any) -> None:
    api.on("POST", "/chargers", load_fixture("chargers.create.volttime.json"))
    request = load_fixture("chargers.create.volttime-request.json")
    charger = await client.chargers.create(request["identity"], team=request["team_uuid"], site=request["site_uuid"])
    assert [s.json for s in api.sent] == [request]
    assert type(charger) is ChargerSummary
    assert charger.identity == "21c4122b-d554-3723-966c-6d723ea5293f"
    assert charger.connection_status is ConnectionStatus.NEVER_SEEN
    assert (charger.setup_pending, charger.setup_completed, charger.blocked) == (False, False, False)


async def test_create_reads_the_short_document_and_sends_only_the_identity(api: FakeApi, client: Any) -> None:
    answer = filled(load_fixture("chargers.create.docs.json"))
    api.on("POST", "/chargers", answer)
    charger = await client.chargers.create("EVB-P2047495")
    assert api.sent[0].json == {"identity": "EVB-P2047495"}
    assert set(load_fixture("chargers.create.docs-request.json")) >= set(api.sent[0].json)
    assert charger.identity == "<string>" and charger.setup_pending is None and charger.firmware_version is None
    assert charger.permissions is not None and charger.permissions.full is True


def test_both_create_answers_read_into_the_summary() -> None:
    """The return type is chosen so both published answers structure strictly."""
    short = _converter.structure_strict(filled(load_fixture("chargers.create.docs.json")), ChargerSummary)
    full = _converter.structure_strict(load_fixture("chargers.create.volttime.json"), ChargerSummary)
    assert short.uuid == "<string>" and full.uuid == "a1a0a47d-e8c3-3cf0-8e6e-c1ff9dca5d1f"
    assert full.max_current is None and full.last_heartbeat_at is None


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (("X" * 46,), {}, "at most 45"),
        (("",), {}, "must not be empty"),
        ((12,), {}, "must be a string"),
        (("EVB-1",), {"team": "not-a-uuid"}, "team id must be a UUID"),
        (("EVB-1",), {"site": "abc"}, "site id must be a UUID"),
    ],
)
async def test_create_checks_its_arguments_before_sending(
    api: FakeApi, client: Any, args: tuple[Any, ...], kwargs: dict[str, Any], match: str
) -> None:
    api.on("POST", "/chargers", {})
    with pytest.raises(InvalidRequestError, match=match):
        await client.chargers.create(*args, **kwargs)
    assert api.sent == []


async def test_create_taken_identity_is_a_422_with_field_errors(api: FakeApi, client: Any) -> None:
    body = {
        "message": "The identity has already been taken.",
        "errors": {"identity": ["The identity has already been taken."]},
    }
    api.on("POST", "/chargers", body, status=422)
    with pytest.raises(UnprocessableEntityError) as info:
        await client.chargers.create("X" * 45)
    assert info.value.errors == {"identity": ["The identity has already been taken."]}


# -- POST /chargers/{c}/setup -------------------------------------------------------------------------


async def test_setup_sends_every_documented_field(api: FakeApi, client: Any) -> None:
    api.on("POST", f"/chargers/{CHARGER}/setup", load_fixture("chargers.setup.docs.json"))
    result = await client.chargers.setup(
        CHARGER, phases=3, max_current=16, group=4, net_type="TN", phase_rotation="RST"
    )
    body = api.sent[0].json
    assert body == {"phases": 3, "max_current": 16, "group": 4, "net_type": "TN", "phase_rotation": "RST"}
    assert set(body) == set(load_fixture("chargers.setup.docs-request.json"))
    assert result == ChargerSetupResult(message="<string>", setup_pending=True)


async def test_setup_sends_only_what_is_given(api: FakeApi, client: Any) -> None:
    api.on("POST", f"/chargers/{CHARGER}/setup", {"data": {"message": "ok", "setup_pending": False}})
    result = await client.chargers.setup(CHARGER, phases=1, max_current=6, phase_rotation="S")
    assert api.sent[0].json == {"phases": 1, "max_current": 6, "phase_rotation": "S"}
    assert result.setup_pending is False


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"phases": 2, "max_current": 16}, "phases must be 1 or 3"),
        ({"phases": True, "max_current": 16}, "phases must be an integer"),
        ({"phases": 3, "max_current": 5}, "max_current must be at least 6"),
        ({"phases": 3, "max_current": 16.0}, "max_current must be an integer"),
        ({"phases": 3, "max_current": 16, "net_type": "TN-C"}, "net_type must be one of"),
        ({"phases": 3, "max_current": 16, "phase_rotation": "R"}, "for 3 phases must be one of"),
        ({"phases": 1, "max_current": 16, "phase_rotation": "RST"}, "for 1 phase must be one of"),
        ({"phases": 3, "max_current": 16, "group": -1}, "group must be at least 0"),
    ],
)
async def test_setup_checks_its_arguments_before_sending(
    api: FakeApi, client: Any, kwargs: dict[str, Any], match: str
) -> None:
    api.on("POST", f"/chargers/{CHARGER}/setup", {})
    with pytest.raises(InvalidRequestError, match=match):
        await client.chargers.setup(CHARGER, **kwargs)
    assert api.sent == []


async def test_setup_is_a_command_a_504_is_a_charger_timeout_never_retried(api: FakeApi) -> None:
    api.on("POST", f"/chargers/{CHARGER}/setup", load_fixture("errors.504.docs.json"), status=504)
    sleep = FakeSleep()
    async with make_client(BASE, sleep=sleep, retry=RetryPolicy(max_retries=3)) as client:
        with pytest.raises(ChargerTimeoutError):
            await client.chargers.setup(CHARGER, phases=3, max_current=16)
    assert len(api.sent) == 1 and sleep.delays == []


# -- GET /chargers/{c}/settings/nanogrid --------------------------------------------------------------


async def test_nanogrid_reads_the_published_answer_and_error_is_absent_when_read(api: FakeApi, client: Any) -> None:
    api.on("GET", f"/chargers/{CHARGER}/settings/nanogrid", load_fixture("settings.nanogrid.docs.json"))
    setting = await client.chargers.settings.get_nanogrid(CHARGER)
    assert setting == NanogridSetting(supported=True, present=True, content="<string>", error="<string>")
    answer = {"supported": True, "present": False, "content": ""}
    assert _converter.structure_strict(answer, NanogridSetting).error is None


# -- POST /chargers/{c}/licenses/payment-intent -------------------------------------------------------


async def test_payment_intent_sends_the_product_and_hides_the_secrets(api: FakeApi, client: Any) -> None:
    api.on(
        "POST", f"/chargers/{CHARGER}/licenses/payment-intent", load_fixture("licenses.payment-intent.volttime.json")
    )
    request = load_fixture("licenses.payment-intent.volttime-request.json")
    intent = await client.chargers.license_payment_intent(CHARGER, product=request["product"])
    assert api.sent[0].json == request
    assert (intent.payment_intent, intent.ephemeral_key) == ("pi_XXXX", "ek_test_XXXX")
    assert (intent.customer, intent.publishable_key) == ("cus_XXXX", "pk_test_XXXX")
    shown = repr(intent)
    assert "pi_XXXX" not in shown and "ek_test_XXXX" not in shown and "cus_XXXX" in shown


def test_payment_intent_secrets_stay_out_of_structure_errors() -> None:
    with pytest.raises(_converter.StructureError) as info:
        _converter.structure({"payment_intent": 987654321, "ephemeral_key": 123456789}, LicensePaymentIntent)
    message = str(info.value)
    assert "payment_intent" in message and "ephemeral_key" in message
    assert "987654321" not in message and "123456789" not in message


@pytest.mark.parametrize("product", ["", 5, "x" * 256])
async def test_payment_intent_checks_the_product(api: FakeApi, client: Any, product: Any) -> None:
    api.on("POST", f"/chargers/{CHARGER}/licenses/payment-intent", {})
    with pytest.raises(InvalidRequestError, match="product"):
        await client.chargers.license_payment_intent(CHARGER, product=product)
    assert api.sent == []


# -- POST /teams --------------------------------------------------------------------------------------


async def test_team_create_sends_the_published_request_and_reads_both_answers(api: FakeApi, client: Any) -> None:
    api.on("POST", "/teams", load_fixture("teams.create.volttime.json"))
    request = load_fixture("teams.create.volttime-request.json")
    team = await client.teams.create(**request)
    assert api.sent[0].json == request
    assert (team.is_personal_team, team.type, team.slug, team.id) == (False, "Other", None, 9)
    docs = _converter.structure_strict(filled(load_fixture("teams.create.docs.json")), Team)
    assert docs.slug == "<string>" and docs.is_personal_team is None and docs.type is None


async def test_team_create_without_type_sends_the_docs_request(api: FakeApi, client: Any) -> None:
    api.on("POST", "/teams", filled(load_fixture("teams.create.docs.json")))
    await client.teams.create(name="Ops", email="ops@example.com")
    assert set(api.sent[0].json) == set(load_fixture("teams.create.docs-request.json"))
    assert api.sent[0].json == {"name": "Ops", "email": "ops@example.com"}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "", "email": "a@b.c"}, "name must not be empty"),
        ({"name": "x" * 256, "email": "a@b.c"}, "name must be at most 255"),
        ({"name": "Ops", "email": "not-an-address"}, "email must be an e-mail address"),
        ({"name": "Ops", "email": "a@b.c", "type": ""}, "type must not be empty"),
    ],
)
async def test_team_create_checks_its_arguments(api: FakeApi, client: Any, kwargs: dict[str, Any], match: str) -> None:
    api.on("POST", "/teams", {})
    with pytest.raises(InvalidRequestError, match=match):
        await client.teams.create(**kwargs)
    assert api.sent == []


# -- POST /teams/{t}/chargers/import and the CSV upload -------------------------------------------------


async def test_import_sends_one_multipart_file_and_reads_the_published_answer(api: FakeApi, client: Any) -> None:
    api.on("POST", f"/teams/{TEAM}/chargers/import", load_fixture("team-chargers.import.volttime.json"))
    result = await client.teams.import_chargers(TEAM, b"identity\nEVB-1\nEVB-2\n", filename="fleet.csv")
    (sent,) = api.sent
    content_type = sent.headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    assert b'name="file"; filename="fleet.csv"' in sent.body and b"identity\nEVB-1\nEVB-2\n" in sent.body
    assert result.created == 5 and result.skipped == 2
    (error,) = result.errors
    assert (error.row, error.identity, error.error) == (3, "EXISTING-001", "The identity has already been taken.")
    docs = _converter.structure_strict(load_fixture("team-chargers.import.docs.json"), ChargerImportResult)
    assert docs.errors[0].identity == "<string>"


async def test_import_reads_a_path(api: FakeApi, client: Any, tmp_path: Path) -> None:
    api.on("POST", f"/teams/{TEAM}/chargers/import", {"message": "ok", "created": 1, "skipped": 0, "errors": []})
    path = tmp_path / "chargers.txt"
    path.write_text("EVB-9\n")
    result = await client.teams.import_chargers(TEAM, path)
    assert b'filename="chargers.txt"' in api.sent[0].body and b"Content-Type: text/plain" in api.sent[0].body
    assert b"\r\n\r\nEVB-9\n\r\n--" in api.sent[0].body  # the file's content is the part's whole body
    assert (result.created, result.skipped) == (1, 0)


@pytest.mark.parametrize(
    ("file", "filename", "match"),
    [
        (b"EVB-1\n", "fleet.xlsx", r"must end in \.csv or \.txt"),
        (b"x" * (MAX_UPLOAD_BYTES + 1), None, "1048577 bytes, over the upload limit of 1048576 bytes"),
        (b"", None, "is empty"),
        (123, None, "file must be the content as bytes or a path"),
        (
            "identity\nEVB-1\n",
            None,
            r"file must be the content as bytes \(text\.encode\(\)\) or a path as pathlib\.Path",
        ),
    ],
)
async def test_import_checks_the_file_before_sending(
    api: FakeApi, client: Any, file: Any, filename: str | None, match: str
) -> None:
    api.on("POST", f"/teams/{TEAM}/chargers/import", {})
    with pytest.raises(InvalidRequestError, match=match):
        await client.teams.import_chargers(TEAM, file, filename=filename)
    assert api.sent == []


def test_csv_upload_reads_paths_and_content(tmp_path: Path) -> None:
    upload = csv_upload("identity\nÉVB-1\n".encode())
    assert (upload.field, upload.filename, upload.content_type) == ("file", "import.csv", "text/csv")
    assert upload.content == "identity\nÉVB-1\n".encode()
    exact = csv_upload(b"x" * MAX_UPLOAD_BYTES, filename="BIG.CSV", field="cards")
    assert len(exact.content) == MAX_UPLOAD_BYTES and exact.field == "cards"
    assert repr(exact).count("x") < 10  # the content is shown by length only
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * (MAX_UPLOAD_BYTES + 10))
    with pytest.raises(InvalidRequestError, match="1048586 bytes, over the upload limit of 1048576 bytes"):
        csv_upload(big)
    with pytest.raises(InvalidRequestError, match="cannot read file"):
        csv_upload(tmp_path / "missing.csv")
    with pytest.raises(InvalidRequestError, match=r"must end in \.csv or \.txt"):
        csv_upload(tmp_path / "data.json")


# -- GET /meters/chargee/{chargee} --------------------------------------------------------------------


async def test_chargee_meter_splits_the_power_error_from_the_reading(api: FakeApi, client: Any) -> None:
    api.on("GET", "/meters/chargee/E0012%2F34%20A", load_fixture("meters.chargee.volttime.json"))
    meter = await client.meters.chargee("E0012/34 A")
    assert api.sent[0].path in ("/meters/chargee/E0012%2F34%20A", "/meters/chargee/E0012/34 A")
    assert meter.power is None and meter.power_error == "Unable to retrieve power information for this meter."
    assert meter.type == "ct_meter"


@pytest.mark.parametrize(
    ("power", "reading", "error"),
    [(123, 123.0, None), (7.5, 7.5, None), ("12.5", 12.5, None), (" - ", None, None), (None, None, None)],
)
def test_chargee_power_is_a_number_or_an_error_message(power: Any, reading: float | None, error: str | None) -> None:
    document = load_fixture("meters.chargee.volttime.json") | {}
    document["data"] = document["data"] | {"power": power}
    meter = _converter.structure_strict(document, Meter)
    assert (meter.power, meter.power_error) == (reading, error)


async def test_chargee_meter_checks_the_id_and_maps_404(api: FakeApi, client: Any) -> None:
    with pytest.raises(InvalidRequestError, match="chargee"):
        await client.meters.chargee("  ")
    api.on("GET", "/meters/chargee/NOPE", {"message": "No query results for model [App\\Models\\Meter]."}, status=404)
    with pytest.raises(NotFoundError):
        await client.meters.chargee("NOPE")
    assert [(s.method, s.path) for s in api.sent] == [("GET", "/meters/chargee/NOPE")]  # the blank id: never sent


# -- against the emulator -------------------------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def emu(clock: FakeClock) -> AsyncIterator[PlugchoiceEmulator]:
    async with PlugchoiceEmulator(chargers=30, token=TOKEN, rate_limit=None, clock=clock) as emulator:
        yield emulator


@pytest.fixture
async def live(emu: PlugchoiceEmulator) -> AsyncIterator[PlugchoiceClient]:
    # no client-side pacing of the Chargee meter and setup routes: these tests call them back to back
    async with make_client(emu.base_url, endpoint_limits=None) as client:
        yield client


def first(emu: PlugchoiceEmulator, status: str) -> str:
    return next(uuid for uuid, charger in emu.chargers.items() if charger["connection_status"] == status)


async def test_emulator_create_joins_the_personal_team_and_refuses_a_taken_identity(
    emu: PlugchoiceEmulator, live: PlugchoiceClient
) -> None:
    created = await live.chargers.create("MY-NEW-CHARGER")
    charger = await live.chargers.get(created.uuid)
    assert charger.identity == "MY-NEW-CHARGER" and charger.connection_status is ConnectionStatus.NEVER_SEEN
    personal = next(team for team in (await live.teams.list()).items if team.is_personal_team)
    assert emu.charger_teams(created.uuid) == [personal.uuid]
    assert [c.uuid async for c in live.teams.chargers(personal.uuid) if c.identity == "MY-NEW-CHARGER"] == [
        created.uuid
    ]
    with pytest.raises(UnprocessableEntityError) as info:
        await live.chargers.create("my-new-charger")  # unique regardless of case
    assert info.value.errors == {"identity": ["The identity has already been taken."]}


async def test_emulator_create_on_a_site_and_unknown_or_foreign_teams(
    emu: PlugchoiceEmulator, live: PlugchoiceClient
) -> None:
    site = next(iter(emu.sites))
    created = await live.chargers.create("ON-SITE-1", site=site)
    assert created.uuid in emu.site_chargers(site)
    with pytest.raises(UnprocessableEntityError) as info:
        await live.chargers.create("X-1", team="00000000-0000-4000-8000-000000000000")
    assert set(info.value.errors) == {"team_uuid"}
    with pytest.raises(PermissionDeniedError):
        await live.chargers.create("X-2", team=emu.foreign_team_uuid)
    status, body = await raw(emu, "POST", "/chargers", json=load_fixture("chargers.create.volttime-request.json"))
    assert status == 422 and set(body["errors"]) == {"team_uuid", "site_uuid"}


async def test_emulator_setup_restarts_the_charger_over_the_clock(
    emu: PlugchoiceEmulator, live: PlugchoiceClient, clock: FakeClock
) -> None:
    uuid = first(emu, "online")
    await live.chargers.actions.start(uuid, id_token="CARD-1", connector_id=1)
    result = await live.chargers.setup(uuid, phases=3, max_current=16, net_type="TN", phase_rotation="TSR")
    assert result.setup_pending is True and result.message
    charger = await live.chargers.get(uuid)
    assert charger.setup_pending is True and charger.connection_status is ConnectionStatus.ONLINE
    assert charger.max_current == 16 and {c.phase_rotation for c in charger.connectors if c.power_type != "DC"} == {
        "TSR"
    }
    clock.advance(1.0)
    down = await live.chargers.get(uuid)
    assert down.connection_status is ConnectionStatus.OFFLINE and down.last_disconnection_at is not None
    assert await live.chargers.active_transaction(uuid) is None  # the restart ended the session
    with pytest.raises(ChargerTimeoutError):  # an offline charger does not answer commands
        await live.chargers.actions.restart(uuid)
    clock.advance(9.5)
    assert (await live.chargers.get(uuid)).connection_status is ConnectionStatus.OFFLINE
    clock.advance(0.5)
    back = await live.chargers.get(uuid)
    assert back.connection_status is ConnectionStatus.ONLINE
    assert (back.setup_pending, back.setup_completed) == (False, True)
    assert [a.action for a in emu.actions if a.uuid == uuid][:2] == ["start", "setup"]


async def test_emulator_setup_of_an_offline_charger_times_out_and_changes_nothing(
    emu: PlugchoiceEmulator, live: PlugchoiceClient
) -> None:
    uuid = first(emu, "offline")
    before = await live.chargers.get(uuid)
    with pytest.raises(ChargerTimeoutError):
        await live.chargers.setup(uuid, phases=1, max_current=10)
    after = await live.chargers.get(uuid)
    assert after.setup_pending is not True
    assert after == before  # no wiring, current or timestamp changed either


async def test_emulator_setup_validates_like_the_api(emu: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    uuid = first(emu, "online")
    with pytest.raises(UnprocessableEntityError) as info:
        await live.chargers.setup(uuid, phases=3, max_current=16, group=999_999)
    assert set(info.value.errors) == {"group"}
    # one setup a minute per charger (the API's limit, which the emulator applies too): one charger per request
    second, third = [u for u, c in emu.chargers.items() if c["connection_status"] == "online"][1:3]
    body = {"phases": 3, "max_current": 5, "net_type": "XX", "phase_rotation": "R"}
    status, answer = await raw(emu, "POST", f"/chargers/{second}/setup", json=body)
    assert status == 422 and set(answer["errors"]) == {"max_current", "net_type", "phase_rotation"}
    docs_request = load_fixture("chargers.setup.docs-request.json")
    status, answer = await raw(emu, "POST", f"/chargers/{third}/setup", json=docs_request)
    assert status == 422 and set(answer["errors"]) >= {"phases", "net_type"}


async def test_emulator_nanogrid_has_an_error_only_when_the_charger_cannot_be_read(
    emu: PlugchoiceEmulator, live: PlugchoiceClient
) -> None:
    online = [u for u, c in emu.chargers.items() if c["connection_status"] == "online"]
    settings = [await live.chargers.settings.get_nanogrid(uuid) for uuid in online[:8]]
    assert all(s.error is None for s in settings)
    assert any(s.present and s.content for s in settings) and all(s.content == "" for s in settings if not s.present)
    offline = await live.chargers.settings.get_nanogrid(first(emu, "offline"))
    assert offline.error == "The charger is offline." and offline.present is False
    with pytest.raises(NotFoundError):
        await live.chargers.settings.get_nanogrid("00000000-0000-4000-8000-000000000000")


async def test_emulator_payment_intent(emu: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    uuid = first(emu, "online")
    one = await live.chargers.license_payment_intent(uuid, product="smart")
    two = await live.chargers.license_payment_intent(uuid, product="smart")
    assert one.payment_intent is not None and one.payment_intent.startswith("pi_")
    assert one.ephemeral_key is not None and one.ephemeral_key.startswith("ek_test_")
    assert one.payment_intent != two.payment_intent and one.payment_intent not in repr(one)
    with pytest.raises(NotFoundError):
        await live.chargers.license_payment_intent("00000000-0000-4000-8000-000000000000", product="smart")


async def test_emulator_team_create_is_listed_and_validated(emu: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    team = await live.teams.create(name="Installers", email="ops@example.com", type="Installer")
    assert (team.type, team.is_personal_team, team.email) == ("Installer", False, "ops@example.com")
    assert team.uuid in {t.uuid for t in (await live.teams.list()).items}
    status, body = await raw(emu, "POST", "/teams", json=load_fixture("teams.create.volttime-request.json"))
    assert status == 201 and body["data"]["type"] == "architecto"
    status, body = await raw(emu, "POST", "/teams", json={"name": "", "email": "nope"})
    assert status == 422 and set(body["errors"]) == {"name", "email"}


async def test_emulator_import_creates_skips_and_reports_rows(emu: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    team = await live.teams.create(name="Imported", email="fleet@example.com")
    existing = next(iter(emu.chargers.values()))["identity"]
    csv_text = f"Identity\nIMP-1\n\nIMP-2\n{existing}\nimp-1\n{'L' * 46}\n"
    result = await live.teams.import_chargers(team.uuid, csv_text.encode())
    assert (result.created, result.skipped) == (2, 2)
    assert [(e.row, e.error) for e in result.errors] == [
        (5, "The identity has already been taken."),
        (6, "The identity has already been taken."),
        (7, "The identity must not be greater than 45 characters."),
    ]
    listed = sorted([c.identity async for c in live.teams.chargers(team.uuid)])
    assert listed == ["IMP-1", "IMP-2"]


async def test_emulator_import_refuses_what_the_sdk_would_not_send(emu: PlugchoiceEmulator) -> None:
    team = next(iter(emu.teams))
    form = aiohttp.FormData()
    form.add_field("file", b"EVB-1\n", filename="fleet.xlsx", content_type="application/octet-stream")
    status, body = await raw(emu, "POST", f"/teams/{team}/chargers/import", data=form)
    assert status == 422 and body["errors"]["file"] == ["The file field must be a file of type: csv, txt."]
    form = aiohttp.FormData()
    form.add_field("file", io.BytesIO(b"x" * (MAX_UPLOAD_BYTES + 1)), filename="big.csv", content_type="text/csv")
    status, body = await raw(emu, "POST", f"/teams/{team}/chargers/import", data=form)
    assert status == 422 and body["errors"]["file"] == ["The file field must not be greater than 1024 kilobytes."]
    status, body = await raw(emu, "POST", f"/teams/{team}/chargers/import", json={})  # as the docs' curl sends it
    assert status == 422 and body["errors"] == {"file": ["The file field is required."]}


async def test_emulator_import_unknown_and_foreign_teams(emu: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    with pytest.raises(NotFoundError):
        await live.teams.import_chargers("00000000-0000-4000-8000-000000000000", b"EVB-1\n")
    with pytest.raises(PermissionDeniedError):
        await live.teams.import_chargers(emu.foreign_team_uuid, b"EVB-1\n")


async def test_emulator_chargee_meter_by_id_or_serial(live: PlugchoiceClient) -> None:
    readable = await live.meters.chargee("CHG-0001")
    assert readable.power is not None and readable.power > 0 and readable.power_error is None
    assert readable.latest_data is not None and readable.latest_data.updated_at is not None
    broken = await live.meters.chargee("e0000003")  # the serial number, any case
    assert broken.power is None and broken.power_error == "Unable to retrieve power information for this meter."
    assert (await live.meters.chargee("CHG-0003")).uuid == broken.uuid
    with pytest.raises(NotFoundError):
        await live.meters.chargee("CHG-9999")
