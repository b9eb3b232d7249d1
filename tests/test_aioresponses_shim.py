"""The conftest shim makes aioresponses 0.7.9 work on aiohttp >= 3.14 (see tests/conftest.py)."""

from __future__ import annotations

import inspect

import aiohttp
import aioresponses.core as aior_core
import pytest
from aioresponses import aioresponses

from tests.conftest import ShimClientResponse


def test_aiohttp_still_requires_stream_writer() -> None:
    # Documents why the shim exists; if aiohttp drops the keyword, the shim can go.
    params = inspect.signature(aiohttp.ClientResponse.__init__).parameters
    assert "stream_writer" in params
    assert params["stream_writer"].default is inspect.Parameter.empty


def test_shim_is_installed() -> None:
    assert aior_core.RequestMatch._build_response.__name__ == "_build_response"
    assert aior_core.stream_reader_factory.__module__ == "tests.conftest"  # type: ignore[attr-defined]


async def test_mocked_json_answer() -> None:
    with aioresponses() as mocked:
        mocked.get("http://api.test/x", payload={"ok": True}, status=201, headers={"X-RateLimit-Remaining": "7"})
        async with aiohttp.ClientSession() as session, session.get("http://api.test/x") as resp:
            assert resp.status == 201
            assert resp.headers["X-RateLimit-Remaining"] == "7"
            assert await resp.json() == {"ok": True}
            assert isinstance(resp, ShimClientResponse)


@pytest.mark.parametrize("size", [64 * 1024 + 1, 300 * 1024, 2 * 1024 * 1024])
async def test_mocked_body_over_64_kib(size: int) -> None:
    body = b"x" * size
    with aioresponses() as mocked:
        mocked.get("http://api.test/big", body=body)
        async with aiohttp.ClientSession() as session, session.get("http://api.test/big") as resp:
            assert await resp.read() == body


async def test_mocked_exception_still_raised() -> None:
    with aioresponses() as mocked:
        mocked.get("http://api.test/down", exception=aiohttp.ServerDisconnectedError())
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ServerDisconnectedError):
                await session.get("http://api.test/down")
