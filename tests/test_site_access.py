"""``client.sites.access``: the published examples, requests as the API wants them (aioresponses, no socket),
argument checks, secrecy of invite tokens, and end to end against the emulator."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from aioresponses import aioresponses

from plugchoice_async import (
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    PlugchoiceClient,
    UnprocessableEntityError,
    _converter,
)
from plugchoice_async.models import (
    SiteAccessMessage,
    SiteAsset,
    SiteInviteAccepted,
    SiteInviteResult,
    SiteJoinResult,
    Team,
)
from plugchoice_async.resources import SiteAccess
from plugchoice_async.testing import PlugchoiceEmulator
from tests.conftest import TOKEN, call, load_fixture, make_client
from tests.endpoint_helpers import filled
from tests.test_resources_sites import BASE, MISSING, SITE, TEAM, MockApi

FUTURE = date(2051, 7, 28)
TOKEN64 = "bngzmiyvdljnikhwaykcmyuwpwlvqwrsitcpscqldzsnrwtujwvlxjklqppwqbew"
OTHER_TEAM = "5d093e7f-5aae-3aa3-bece-f6e784dcbd67"
MESSAGE = {"message": "ok"}


@pytest.fixture
def api() -> Any:
    with aioresponses() as mocked:
        yield MockApi(mocked)


@pytest.fixture
async def client() -> AsyncIterator[PlugchoiceClient]:
    async with make_client(BASE, endpoint_limits=None) as client:
        yield client


# -- the published examples --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("site-invitations.invite.docs.json", SiteInviteResult),
        ("site-invitations.accept.docs.json", SiteInviteAccepted),
        ("site-invitations.join.docs.json", SiteJoinResult),
        ("site-teams.list.docs.json", Team),
        ("site-teams.transfer-ownership.docs.json", SiteAccessMessage),
        ("site-teams.grant-sensitive-data.docs.json", SiteAccessMessage),
        ("site-teams.request-sensitive-data.docs.json", SiteAccessMessage),
        ("site-teams.asset-access.docs.json", SiteAccessMessage),
    ],
)
def test_docs_examples_structure_strictly_once_filled(name: str, cls: type[Any]) -> None:
    model = _converter.structure_strict(filled(load_fixture(name)), cls)
    assert type(model) is cls


def test_both_invite_answers_structure() -> None:
    docs = _converter.structure_strict(filled(load_fixture("site-invitations.invite.docs.json")), SiteInviteResult)
    assert docs.invite is not None
    assert docs.invite.id == 123 and docs.invite.site_id == 123 and docs.invite.token is None
    assert docs.invite.accessible_assets is not None and docs.invite.accessible_assets[0] == SiteAsset()
    volttime = _converter.structure_strict(load_fixture("site-invitations.invite.volttime.json"), SiteInviteResult)
    assert volttime.invite is not None
    assert volttime.invite.site_id is None and volttime.invite.token == "abc123"
    assert volttime.invite_token == "abc123"
    assert volttime.invite.expires_at == datetime(2024, 1, 1, tzinfo=UTC)
    assert volttime.invite_links is not None and volttime.invite_links.deep_link == "pluggy://invite/abc123"


def test_invite_tokens_never_in_a_repr() -> None:
    result = _converter.structure(load_fixture("site-invitations.invite.volttime.json"), SiteInviteResult)
    for shown in (repr(result), repr(result.invite), repr(result.invite_links), str(result)):
        assert "abc123" not in shown
    assert "user@example.com" in repr(result.invite)  # the rest is still shown


def test_site_team_get_example() -> None:
    team = _converter.structure_strict(load_fixture("site-teams.get.volttime.json"), Team)
    assert team.uuid == OTHER_TEAM and team.type == "Other"
    assert team.access is not None and team.access.is_owner is False and team.access.created_at is None


# -- requests (aioresponses) ---------------------------------------------------------------------------


async def test_list_and_get(api: MockApi, client: PlugchoiceClient) -> None:
    api.on("GET", f"/sites/{SITE}/teams", load_fixture("site-teams.list.volttime.json"))
    api.on("GET", f"/sites/{SITE}/teams/{OTHER_TEAM}", load_fixture("site-teams.get.volttime.json"))
    api.on("GET", f"/sites/{SITE}/teams/{MISSING}", {"message": "No access."}, status=404)
    page = await client.sites.access.list(SITE)
    assert [team.name for team in page.items] == ["Miss Pearl Hauck", "Oswald Koch"]
    team = await client.sites.access.get(SITE, OTHER_TEAM.upper())
    assert team.name == "Rogers Leuschke PhD"
    with pytest.raises(NotFoundError, match="No access"):
        await client.sites.access.get(SITE, MISSING)
    assert [c.path for c in api.calls] == [
        f"/sites/{SITE}/teams",
        f"/sites/{SITE}/teams/{OTHER_TEAM}",
        f"/sites/{SITE}/teams/{MISSING}",
    ]


async def test_list_accepts_a_bare_array(api: MockApi, client: PlugchoiceClient) -> None:
    item = filled(load_fixture("site-teams.list.docs.json"))  # the docs show the items without the envelope
    api.on("GET", f"/sites/{SITE}/teams", [item, {**item, "uuid": OTHER_TEAM}])
    teams = [team async for team in client.sites.access.list(SITE)]
    assert [team.uuid for team in teams] == ["<string>", OTHER_TEAM]
    assert len(api.calls) == 1


def test_client_sites_has_access() -> None:
    client = PlugchoiceClient(TOKEN, base_url=BASE)
    assert isinstance(client.sites.access, SiteAccess)
    assert isinstance(client.with_options(timeout=5).sites.access, SiteAccess)


async def test_invite_sends_the_volttime_example(api: MockApi, client: PlugchoiceClient) -> None:
    api.on("POST", f"/sites/{SITE}/teams/invite", load_fixture("site-invitations.invite.volttime.json"), status=201)
    example = load_fixture("site-invitations.invite.volttime-request.json")
    result = await client.sites.access.invite(
        SITE,
        email=example["email"],
        transfer_ownership=True,
        data_access=True,
        data_access_expires_at=FUTURE,
        can_access_all_assets=True,
    )
    assert result.invite_token == "abc123"
    # the example sends "accessible_assets": null; the SDK leaves an argument it was not given out
    assert api.calls[0].json == {k: v for k, v in example.items() if v is not None}


async def test_invite_limited_assets_matches_the_docs_example(api: MockApi, client: PlugchoiceClient) -> None:
    api.on("POST", f"/sites/{SITE}/teams/invite", filled(load_fixture("site-invitations.invite.docs.json")))
    expires = datetime(2051, 1, 2, 3, 4, 5, tzinfo=UTC)
    await client.sites.access.invite(
        SITE,
        email="ops@example.com",
        transfer_ownership=False,
        data_access=True,
        data_access_expires_at=expires,
        can_access_all_assets=False,
        accessible_assets=[SiteAsset(asset_type="charger", asset_id=12), {"asset_type": "charger", "asset_id": 13}],
    )
    sent = api.calls[0].json
    assert set(sent) == set(load_fixture("site-invitations.invite.docs-request.json"))
    assert sent["data_access_expires_at"] == "2051-01-02T03:04:05Z"
    # the docs print the asset keys as "accessible_assets[].asset_type": the keys are asset_type and asset_id
    assert sent["accessible_assets"] == [
        {"asset_type": "charger", "asset_id": 12},
        {"asset_type": "charger", "asset_id": 13},
    ]


async def test_accept_join_and_the_changes_send_the_examples(api: MockApi, client: PlugchoiceClient) -> None:
    access = client.sites.access
    api.on("POST", "/sites/invite/accept", load_fixture("site-invitations.accept.volttime.json"))
    api.on("POST", "/sites/join", load_fixture("site-invitations.join.volttime.json"))
    base = f"/sites/{SITE}/teams/{TEAM}"
    api.on("POST", f"{base}/transfer-ownership", load_fixture("site-teams.transfer-ownership.docs.json"))
    api.on("POST", f"{base}/grant-sensitive-data", load_fixture("site-teams.grant-sensitive-data.volttime.json"))
    api.on("POST", f"{base}/request-sensitive-data", load_fixture("site-teams.request-sensitive-data.volttime.json"))
    api.on("PUT", f"{base}/asset-access", load_fixture("site-teams.asset-access.volttime.json"))

    accepted = await access.accept(TOKEN64, team=TEAM)
    assert accepted.site_id == 123 and accepted.data_access is True
    assert (await access.accept(TOKEN64)).team_uuid == "abc-123-def"
    joined = await access.join(identity="b", pincode="4326", team=TEAM)
    assert joined.site_uuid == "abc-123" and joined.site_name == "My Location"
    assert (await access.transfer_ownership(SITE, TEAM)).message == "<string>"
    granted = await access.grant_sensitive_data(SITE, TEAM, expires_never=True, expires_at=date(2051, 12, 13))
    assert granted.message == "Sensitive data access granted successfully"
    await access.grant_sensitive_data(SITE, TEAM, expires_never=True)
    requested = await access.request_sensitive_data(SITE, TEAM, reason="b", expires_at=date(2051, 10, 19))
    assert requested.message == "Sensitive data access request sent successfully"
    await access.request_sensitive_data(SITE, TEAM, reason="audit", expires_never=True)
    await access.set_asset_access(SITE, TEAM, access="full_access")
    await access.set_asset_access(
        SITE, TEAM, access="limited_access", assets=[SiteAsset(asset_type="charger", asset_id=7)]
    )

    bodies = [(c.method, c.path, c.json) for c in api.calls]
    accept_example = load_fixture("site-invitations.accept.volttime-request.json")
    assert bodies[0] == ("POST", "/sites/invite/accept", {**accept_example, "team_uuid": TEAM})
    assert bodies[1][2] == {"token": TOKEN64}
    assert bodies[2][2] == {"identity": "b", "pincode": 4326, "team_uuid": TEAM}
    assert set(bodies[2][2]) == set(load_fixture("site-invitations.join.docs-request.json"))
    assert bodies[3] == ("POST", f"{base}/transfer-ownership", None)
    assert bodies[4][2] == load_fixture("site-teams.grant-sensitive-data.volttime-request.json")
    assert bodies[5][2] == {"expires_never": True}
    assert bodies[6][2] == load_fixture("site-teams.request-sensitive-data.volttime-request.json")
    assert bodies[7][2] == {"reason": "audit", "requested_expires_never": True}
    example = load_fixture("site-teams.asset-access.volttime-request.json")
    assert bodies[8] == ("PUT", f"{base}/asset-access", {k: v for k, v in example.items() if v is not None})
    assert bodies[9][2] == {
        "access_of_assets": "limited_access",
        "accessible_assets": [{"asset_type": "charger", "asset_id": 7}],
    }
    assert set(bodies[9][2]) == set(load_fixture("site-teams.asset-access.docs-request.json"))


async def test_accept_token_never_in_an_error(api: MockApi, client: PlugchoiceClient) -> None:
    api.on(
        "POST", "/sites/invite/accept", {"message": "The token is invalid.", "errors": {"token": ["bad"]}}, status=422
    )
    with pytest.raises(UnprocessableEntityError) as info:
        await client.sites.access.accept(TOKEN64)
    assert TOKEN64 not in str(info.value) and TOKEN64 not in repr(info.value)
    for wrong in (TOKEN64[:-1], TOKEN64 + "x"):
        with pytest.raises(InvalidRequestError) as bad:
            await client.sites.access.accept(wrong)
        assert "64 characters" in str(bad.value) and wrong[:20] not in str(bad.value)
    with pytest.raises(InvalidRequestError) as bad_type:
        await client.sites.access.accept(TOKEN64.encode())  # type: ignore[arg-type]
    assert TOKEN64[:20] not in str(bad_type.value)
    assert len(api.calls) == 1


FAR = datetime.now(UTC) + timedelta(days=30)
BAD_CALLS: list[tuple[str, Callable[[SiteAccess], Awaitable[Any]]]] = [
    ("site id", lambda a: a.list("nope").first_page()),
    ("team id", lambda a: a.get(SITE, "nope")),
    ("e-mail", lambda a: a.invite(SITE, email="not-an-address")),
    ("at most 255", lambda a: a.invite(SITE, email="a@" + "b" * 300)),
    ("needs accessible_assets", lambda a: a.invite(SITE, email="a@b.c", can_access_all_assets=False)),
    ("only for", lambda a: a.invite(SITE, email="a@b.c", can_access_all_assets=True, accessible_assets=[])),
    ("at least one", lambda a: a.invite(SITE, email="a@b.c", can_access_all_assets=False, accessible_assets=[])),
    ("asset_id", lambda a: a.invite(SITE, email="a@b.c", accessible_assets=[SiteAsset(asset_type="charger")])),
    ("future", lambda a: a.invite(SITE, email="a@b.c", data_access_expires_at=date(2020, 1, 1))),
    ("future", lambda a: a.invite(SITE, email="a@b.c", data_access_expires_at=datetime.now(UTC).date())),
    ("future", lambda a: a.invite(SITE, email="a@b.c", data_access_expires_at=datetime(2020, 1, 1))),
    ("True or False", lambda a: a.invite(SITE, email="a@b.c", data_access=1)),  # type: ignore[arg-type]
    ("team id", lambda a: a.accept(TOKEN64, team="team-1")),
    ("pincode", lambda a: a.join(identity="EVB-1", pincode="12a4", team=TEAM)),
    ("needs expires_at", lambda a: a.grant_sensitive_data(SITE, TEAM, expires_never=False)),
    ("future", lambda a: a.grant_sensitive_data(SITE, TEAM, expires_never=False, expires_at=date(2001, 1, 1))),
    ("needs expires_at", lambda a: a.request_sensitive_data(SITE, TEAM, reason="x")),
    ("at most 255", lambda a: a.request_sensitive_data(SITE, TEAM, reason="x" * 256, expires_at=FAR)),
    ("one of", lambda a: a.set_asset_access(SITE, TEAM, access="some")),  # type: ignore[arg-type]
    ("needs assets", lambda a: a.set_asset_access(SITE, TEAM, access="limited_access")),
    ("only for", lambda a: a.set_asset_access(SITE, TEAM, access="full_access", assets=[])),
]


@pytest.mark.parametrize(("message", "make"), BAD_CALLS, ids=[f"{i}-{m}" for i, (m, _) in enumerate(BAD_CALLS)])
async def test_bad_arguments_raise_before_sending(
    api: MockApi, client: PlugchoiceClient, message: str, make: Callable[[SiteAccess], Awaitable[Any]]
) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        await make(client.sites.access)
    assert api.calls == []


# -- against the emulator ------------------------------------------------------------------------------


@pytest.fixture
async def emu() -> AsyncIterator[PlugchoiceEmulator]:
    async with PlugchoiceEmulator(chargers=40, token=TOKEN, rate_limit=None, endpoint_period=None) as emu:
        yield emu


@pytest.fixture
async def live(emu: PlugchoiceEmulator) -> AsyncIterator[PlugchoiceClient]:
    async with make_client(emu.base_url, endpoint_limits=None) as client:
        yield client


async def _site_and_teams(client: PlugchoiceClient) -> tuple[str, str, str]:
    """A site, its owning team and another team of the account."""
    site = (await client.sites.list()).items[0]
    owners = (await client.sites.access.list(site.uuid)).items
    assert len(owners) == 1 and owners[0].access is not None and owners[0].access.is_owner
    other = next(team.uuid for team in (await client.teams.list()).items if team.uuid != owners[0].uuid)
    return site.uuid, owners[0].uuid, other


async def test_emulator_invite_accept_and_manage(live: PlugchoiceClient) -> None:
    access = live.sites.access
    site, owner, other = await _site_and_teams(live)
    with pytest.raises(NotFoundError):
        await access.get(site, other)
    invite = await access.invite(
        site,
        email="ops@example.com",
        data_access=True,
        data_access_expires_at=FAR,
        can_access_all_assets=False,
        accessible_assets=[SiteAsset(asset_type="charger", asset_id=1)],
    )
    assert invite.invite_token is not None and len(invite.invite_token) == 64
    assert invite.invite is not None
    assert invite.invite.can_access_all_assets is False and invite.invite.expires_at is not None
    assert invite.invite_links is not None and invite.invite_token in (invite.invite_links.web or "")
    assert invite.invite_token not in repr(invite)
    accepted = await access.accept(invite.invite_token, team=other)
    assert (accepted.team_uuid, accepted.is_owner, accepted.data_access) == (other, False, True)
    with pytest.raises(NotFoundError):  # an invite is used once
        await access.accept(invite.invite_token, team=other)
    second = await access.invite(site, email="ops@example.com")
    assert second.invite is not None
    assert second.invite_token not in (None, invite.invite_token) and second.invite.id == invite.invite.id + 1
    team = await access.get(site, other)
    assert team.access is not None and team.access.data_access is True and team.access.can_access_all_assets is False
    assert team.access.data_access_expires_at is not None
    assert len((await access.list(site)).items) == 2

    await access.set_asset_access(site, other, access="full_access")
    await access.grant_sensitive_data(site, other, expires_never=True)
    after = await access.get(site, other)
    assert (
        after.access is not None and after.access.can_access_all_assets and after.access.data_access_expires_at is None
    )
    requested = await access.request_sensitive_data(site, other, reason="billing", expires_at=FAR.date())
    assert requested.message == "Sensitive data access request sent successfully"
    await access.transfer_ownership(site, other)
    owners = {t.uuid: t.access.is_owner for t in (await access.list(site)).items if t.access is not None}
    assert owners == {owner: False, other: True}
    with pytest.raises(NotFoundError):
        await access.transfer_ownership(site, MISSING)


async def test_emulator_join_with_charger_credentials(emu: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    site, _, other = await _site_and_teams(live)
    charger = (await live.sites.chargers(site)).items[0]
    pincode = emu.pincodes[charger.uuid]
    joined = await live.sites.access.join(identity=charger.identity, pincode=pincode, team=other)
    assert (joined.site_uuid, joined.team_uuid) == (site, other)
    assert (await live.sites.access.get(site, other)).uuid == other
    wrong = str((int(pincode) + 1) % 10**6)
    with pytest.raises(UnprocessableEntityError) as info:
        await live.sites.access.join(identity=charger.identity, pincode=wrong, team=other)
    assert "pincode" in info.value.errors


async def test_emulator_errors(emu: PlugchoiceEmulator, live: PlugchoiceClient) -> None:
    site, _, other = await _site_and_teams(live)
    foreign = emu.foreign_site_uuid
    with pytest.raises(PermissionDeniedError):
        await live.sites.access.list(foreign)
    with pytest.raises(NotFoundError):
        await live.sites.access.list(MISSING)
    with pytest.raises(NotFoundError):
        await live.sites.access.accept("a" * 64, team=other)
    with pytest.raises(UnprocessableEntityError) as info:
        await live.sites.access.accept("a" * 64, team=MISSING)
    assert "team_uuid" in info.value.errors
    with pytest.raises(NotFoundError):
        await live.sites.access.grant_sensitive_data(site, other, expires_never=True)


async def test_emulator_accepts_the_published_request_examples(emu: PlugchoiceEmulator, session: Any) -> None:
    root = emu.base_url
    async with make_client(root, endpoint_limits=None) as client:
        site, owner, _ = await _site_and_teams(client)
    status, body = await call(
        session,
        "POST",
        f"{root}/sites/{site}/teams/invite",
        load_fixture("site-invitations.invite.volttime-request.json"),
    )
    assert status == 201 and len(body["invite_token"]) == 64
    for name, path in (
        ("site-teams.grant-sensitive-data.volttime-request.json", "grant-sensitive-data"),
        ("site-teams.request-sensitive-data.volttime-request.json", "request-sensitive-data"),
    ):
        status, body = await call(session, "POST", f"{root}/sites/{site}/teams/{owner}/{path}", load_fixture(name))
        assert status == 200, body
    example = load_fixture("site-teams.asset-access.volttime-request.json")
    status, _ = await call(session, "PUT", f"{root}/sites/{site}/teams/{owner}/asset-access", example)
    assert status == 200
    # the docs examples are placeholders: the emulator refuses them as Laravel would
    docs = copy.deepcopy(load_fixture("site-teams.grant-sensitive-data.docs-request.json"))
    docs["expires_never"] = False
    status, body = await call(session, "POST", f"{root}/sites/{site}/teams/{owner}/grant-sensitive-data", docs)
    assert status == 422 and "data_access_expires_at" in body["errors"]
