"""OAuth2 client credentials and refresh tokens: fetched on first use, refreshed before expiry and on 401."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import parse_qsl

import pytest
from aioresponses import CallbackResult, aioresponses

from plugchoice_async import (
    AuthenticationError,
    ConfigurationError,
    OAuthClientCredentials,
    OAuthRefreshToken,
    PlugchoiceClient,
)
from plugchoice_async.models.auth import OAuthToken
from plugchoice_async.testing import PlugchoiceEmulator

SECRET = "s3cret-client-secret-value"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def emu() -> Any:
    async with PlugchoiceEmulator(chargers=20, rate_limit=None) as emulator:
        emulator.issue_client("client-1", SECRET)
        yield emulator


async def test_client_credentials_fetch_once_and_share(emu: PlugchoiceEmulator) -> None:
    auth = OAuthClientCredentials("client-1", SECRET, token_url=emu.oauth_url)
    async with PlugchoiceClient(auth=auth, base_url=emu.base_url) as client:
        chargers = await asyncio.gather(*(client.chargers.get(u) for u in emu.uuids))
    assert [c.uuid for c in chargers] == emu.uuids
    assert emu.token_grants == 1  # 20 concurrent requests, one token grant
    assert auth.grants == 1
    token_requests = [r for r in emu.requests if r.path == "/oauth/token"]
    assert len(token_requests) == 1
    assert "Authorization" not in token_requests[0].headers  # no bearer to the token endpoint


async def test_default_token_url_is_on_the_api_host(emu: PlugchoiceEmulator) -> None:
    auth = OAuthClientCredentials("client-1", SECRET)  # no token_url: <origin>/oauth/token
    async with PlugchoiceClient(auth=auth, base_url=emu.base_url) as client:
        await client.user.get()
    assert emu.token_grants == 1


async def test_refreshed_before_expiry() -> None:
    clock = Clock()
    async with PlugchoiceEmulator(chargers=2, rate_limit=None, token_ttl=600) as emu:
        emu.issue_client("client-1", SECRET)
        auth = OAuthClientCredentials("client-1", SECRET, token_url=emu.oauth_url, clock=clock)
        async with PlugchoiceClient(auth=auth, base_url=emu.base_url) as client:
            await client.user.get()
            clock.now = 500.0  # lifetime 600 s, margin min(60, 60) -> renewed after 540 s
            await client.user.get()
            assert auth.grants == 1
            clock.now = 545.0
            await client.user.get()
            assert auth.grants == 2
        assert emu.token_grants == 2
        assert not [r for r in emu.requests if r.status == 401]  # renewed before the server refused it


async def test_401_refreshes_once_for_all_concurrent_requests(emu: PlugchoiceEmulator) -> None:
    auth = OAuthClientCredentials("client-1", SECRET, token_url=emu.oauth_url)
    async with PlugchoiceClient(auth=auth, base_url=emu.base_url) as client:
        await client.user.get()
        emu.expire_tokens()  # revoked server-side
        chargers = await asyncio.gather(*(client.chargers.get(u) for u in emu.uuids))
    assert len(chargers) == 20
    assert emu.token_grants == 2  # one refresh shared by every request that got 401
    assert len([r for r in emu.requests if r.status == 401]) >= 1


async def test_401_after_refresh_is_raised(emu: PlugchoiceEmulator) -> None:
    auth = OAuthClientCredentials("client-1", SECRET, token_url=emu.oauth_url)
    from plugchoice_async.testing import Fault

    async with PlugchoiceClient(auth=auth, base_url=emu.base_url) as client:
        emu.add_fault(Fault("status", status=401, body=b'{"message":"Unauthenticated."}', path="/user", times=5))
        with pytest.raises(AuthenticationError):
            await client.user.get()
    assert auth.grants == 2  # the first token, and exactly one refresh
    assert len([r for r in emu.requests if r.path.endswith("/user")]) == 2  # sent, refreshed, sent once more


async def test_action_refused_with_401_is_sent_once_more_only(emu: PlugchoiceEmulator) -> None:
    auth = OAuthClientCredentials("client-1", SECRET, token_url=emu.oauth_url)
    async with PlugchoiceClient(auth=auth, base_url=emu.base_url) as client:
        await client.user.get()
        emu.expire_tokens()
        result = await client.chargers.actions.restart(emu.uuids[0])
    assert result is not None
    restarts = [a for a in emu.actions if a.action == "restart"]
    assert len(restarts) == 1  # the 401 attempt did nothing; the resend ran once


async def test_refresh_token_grant_rotates(emu: PlugchoiceEmulator) -> None:
    seen: list[OAuthToken] = []
    first = await _client_credentials_refresh_token(emu)
    auth = OAuthRefreshToken("client-1", SECRET, first, token_url=emu.oauth_url, on_token=seen.append)
    async with PlugchoiceClient(auth=auth, base_url=emu.base_url) as client:
        await client.user.get()
        assert auth.refresh_token != first  # rotated
        emu.expire_tokens()
        await client.user.get()  # 401 -> refresh with the rotated token
    assert len(seen) == 2
    assert seen[-1].refresh_token == auth.refresh_token


async def _client_credentials_refresh_token(emu: PlugchoiceEmulator) -> str:
    tokens: list[OAuthToken] = []
    auth = OAuthClientCredentials("client-1", SECRET, token_url=emu.oauth_url, on_token=tokens.append)
    async with PlugchoiceClient(auth=auth, base_url=emu.base_url) as client:
        await client.user.get()
    assert tokens[0].refresh_token
    return tokens[0].refresh_token


async def test_bad_secret_is_authentication_error_without_secrets(
    emu: PlugchoiceEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    auth = OAuthClientCredentials("client-1", "wrong-secret-xyz", token_url=emu.oauth_url)
    async with PlugchoiceClient(auth=auth, base_url=emu.base_url) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.user.get()
    assert info.value.path == "/oauth/token"
    text = str(info.value) + repr(info.value) + repr(auth) + repr(client)
    assert "wrong-secret-xyz" not in text
    assert all("wrong-secret-xyz" not in r.getMessage() for r in caplog.records)


async def test_token_values_never_logged(emu: PlugchoiceEmulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    tokens: list[OAuthToken] = []
    auth = OAuthClientCredentials("client-1", SECRET, token_url=emu.oauth_url, on_token=tokens.append)
    async with PlugchoiceClient(auth=auth, base_url=emu.base_url) as client:
        await client.user.get()
    assert any("obtained an OAuth access token" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        assert tokens[0].access_token not in record.getMessage()
        assert SECRET not in record.getMessage()
    assert tokens[0].access_token not in repr(tokens[0])


async def test_form_body_sent_to_token_endpoint() -> None:
    seen: dict[str, Any] = {}

    def token(url: Any, **kwargs: Any) -> CallbackResult:
        seen.update(parse_qsl(kwargs["data"].decode()))  # the form, urlencoded by the client
        return CallbackResult(payload={"token_type": "Bearer", "expires_in": 3600, "access_token": "at-1"})

    def user(url: Any, **kwargs: Any) -> CallbackResult:
        seen["authorization"] = kwargs["headers"]["Authorization"]
        return CallbackResult(payload=_user())

    auth = OAuthClientCredentials("cid", SECRET, scope="chargers")
    with aioresponses() as mocked:
        mocked.post("https://api.test/oauth/token", callback=token)
        mocked.get("https://api.test/api/v3/user", callback=user)
        async with PlugchoiceClient(auth=auth, base_url="https://api.test/api/v3") as client:
            await client.user.get()
    assert seen == {
        "grant_type": "client_credentials",
        "client_id": "cid",
        "client_secret": SECRET,
        "scope": "chargers",
        "authorization": "Bearer at-1",
    }


def _user() -> dict[str, Any]:
    return {
        "uuid": "38b2d76f-d2c3-418e-9aa8-87bb2f996ff1",
        "id": 1,
        "name": "A",
        "email": "a@example.com",
        "created_at": "2026-02-06T14:49:40.000000Z",
        "updated_at": "2026-02-06T14:49:40.000000Z",
    }


def test_configuration_errors() -> None:
    with pytest.raises(ConfigurationError):
        PlugchoiceClient("token", auth=OAuthClientCredentials("a", "b"))
    with pytest.raises(ConfigurationError):
        OAuthClientCredentials("", "b")
    with pytest.raises(ConfigurationError):
        OAuthRefreshToken("a", "b", "")
    with pytest.raises(ConfigurationError, match="plain http"):
        PlugchoiceClient(auth=OAuthClientCredentials("a", "b", token_url="http://auth.example/oauth/token"))
    assert SECRET not in repr(OAuthClientCredentials("a", SECRET))
