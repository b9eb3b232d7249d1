"""Client construction, configuration, lifecycle and security rules (little is sent here)."""

from __future__ import annotations

import logging

import aiohttp
import pytest
from aioresponses import aioresponses

from plugchoice_async import (
    DEFAULT_BASE_URL,
    ClientClosedError,
    ConfigurationError,
    InvalidRequestError,
    PlugchoiceClient,
    PlugchoiceError,
    Timeout,
)
from plugchoice_async.testing import PlugchoiceEmulator
from tests.conftest import TOKEN


def test_missing_token_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLUGCHOICE_TOKEN", raising=False)
    with pytest.raises(ConfigurationError, match="PLUGCHOICE_TOKEN"):
        PlugchoiceClient()
    with pytest.raises(ConfigurationError):
        PlugchoiceClient(token="  ")


def test_token_and_base_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLUGCHOICE_TOKEN", TOKEN)
    monkeypatch.delenv("PLUGCHOICE_BASE_URL", raising=False)
    assert PlugchoiceClient().base_url == DEFAULT_BASE_URL
    monkeypatch.setenv("PLUGCHOICE_BASE_URL", "https://staging.example/api/v3/")
    assert PlugchoiceClient().base_url == "https://staging.example/api/v3"


@pytest.mark.parametrize(
    "url", ["http://app.plugchoice.com/api/v3", "http://10.0.0.5/api/v3", "ftp://x/y", "https://u:p@host/api"]
)
def test_unsafe_base_urls_refused(url: str) -> None:
    with pytest.raises(ConfigurationError):
        PlugchoiceClient(TOKEN, base_url=url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/api/v3", "http://localhost:1/api/v3", "http://[::1]:9/api/v3"])
def test_http_allowed_for_loopback(url: str) -> None:
    assert PlugchoiceClient(TOKEN, base_url=url).base_url == url


def test_token_never_in_repr() -> None:
    client = PlugchoiceClient(TOKEN)
    assert TOKEN not in repr(client)
    assert all(TOKEN not in repr(value) for value in vars(client).values())
    assert TOKEN not in repr(client.chargers.__dict__.keys())


@pytest.mark.parametrize(
    "bad", ["../user", "", "3f2b6c1e", "3f2b6c1e-0000-4000-8000-00000000000g", "a/b", "%2e%2e", 123, None]
)
async def test_invalid_charger_id_sends_nothing(bad: object) -> None:
    with aioresponses() as mocked:
        async with PlugchoiceClient(TOKEN, base_url="https://api.test/api/v3") as client:
            with pytest.raises(InvalidRequestError) as info:
                await client.chargers.get(bad)  # type: ignore[arg-type]
        assert mocked.requests == {}
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, PlugchoiceError)


def test_timeout_forms() -> None:
    assert Timeout.of(5) == Timeout(total=5.0, connect=5.0, read=5.0)
    assert Timeout.of(45).connect == 10.0
    custom = Timeout(total=None, connect=1, read=2)
    assert Timeout.of(custom) is custom
    with pytest.raises(ConfigurationError):
        PlugchoiceClient(TOKEN, timeout=0)


def test_invalid_limits() -> None:
    with pytest.raises(ConfigurationError):
        PlugchoiceClient(TOKEN, max_retries=-1)
    with pytest.raises(ConfigurationError):
        PlugchoiceClient(TOKEN, max_concurrency=0)


async def test_borrowed_session_is_not_closed_and_bounds_concurrency() -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=8)) as session:
        client = PlugchoiceClient(TOKEN, session=session, max_concurrency=64)
        assert client.max_concurrency == 8
        await client.aclose()
        assert not session.closed


async def test_own_session_closed_and_client_unusable_after_close(emulator: PlugchoiceEmulator) -> None:
    sessions: list[aiohttp.ClientSession] = []

    async def on_start(session: aiohttp.ClientSession, ctx: object, params: object) -> None:
        sessions.append(session)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    client = PlugchoiceClient(TOKEN, base_url=emulator.base_url, trace_configs=[trace])
    await client.user.get()
    [session] = sessions  # the session the client created, seen through a public trace hook
    await client.aclose()
    await client.aclose()  # idempotent
    assert session.closed
    with pytest.raises(ClientClosedError, match="closed"):
        await client.user.get()


async def test_with_options_shares_session_limits_and_stats() -> None:
    async with PlugchoiceClient(TOKEN, base_url="https://api.test/api/v3", max_retries=3) as client:
        fast = client.with_options(timeout=2, max_retries=0)
        assert fast.timeout == Timeout(total=2.0, connect=2.0, read=2.0)
        assert fast.retry_policy.max_retries == 0
        assert client.retry_policy.max_retries == 3
        assert fast.stats is client.stats
        with aioresponses() as mocked:
            mocked.get("https://api.test/api/v3/user", status=503, payload={"message": "down"})
            with pytest.raises(PlugchoiceError):
                await fast.user.get()
        assert client.stats.requests == 1  # no retry on the copy, counted on the shared stats


async def test_token_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with aioresponses() as mocked:
        mocked.get("https://api.test/api/v3/user", status=500, payload={"message": "x"}, repeat=True)
        async with PlugchoiceClient(
            TOKEN, base_url="https://api.test/api/v3", max_retries=1, sleep=_no_sleep
        ) as client:
            with pytest.raises(PlugchoiceError) as info:
                await client.user.get()
    assert caplog.records, "the retry must have been logged"
    assert all(TOKEN not in r.getMessage() for r in caplog.records)
    assert TOKEN not in str(info.value)
    assert TOKEN not in repr(info.value)


async def _no_sleep(delay: float) -> None:
    return None
