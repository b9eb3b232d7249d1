"""Shared fixtures, and the aioresponses shim for aiohttp >= 3.14.

aioresponses 0.7.9 builds ``aiohttp.ClientResponse`` objects itself and breaks on
aiohttp 3.14 (a security release we do not cap below) in two ways:

1. ``ClientResponse.__init__`` gained a required ``stream_writer`` keyword, so every
   mocked request fails with ``TypeError: ... missing ... 'stream_writer'``.
2. Mocked bodies go into a ``StreamReader`` with a 64 KiB limit whose protocol has no
   parser: a body over 128 KiB (the high-water mark) calls ``pause_reading()`` and
   fails an assertion inside aiohttp.

The shim, applied once at import: mocked responses are built with a
``ClientResponse`` subclass that supplies a do-nothing ``stream_writer``, and the
stream-reader factory uses a protocol whose ``pause_reading``/``resume_reading``
are no-ops (there is no socket to pause). ``tests/test_aioresponses_shim.py`` proves
both fixes and fails loudly when a future aioresponses makes the shim unnecessary.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import aioresponses.core as _aior_core
import orjson
import pytest
from aiohttp import ClientResponse
from aiohttp.client_proto import ResponseHandler
from aiohttp.streams import StreamReader

from plugchoice_async import PlugchoiceClient, RateLimiter, RetryBudget, RetryPolicy
from plugchoice_async.testing import PlugchoiceEmulator
from tests._redis import fresh_redis_server, redis_server, redis_url  # noqa: F401 - fixtures for a real redis-server

FIXTURES = Path(__file__).parent / "fixtures"


class _NullStreamWriter:
    """Stands in for the request writer aiohttp 3.14 expects; the request was never sent."""

    output_size = 0


class ShimClientResponse(ClientResponse):
    """A ClientResponse that aioresponses 0.7.9 can build on aiohttp >= 3.14."""

    def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", _NullStreamWriter())
        super().__init__(method, url, **kwargs)


class _UnpausableProtocol(ResponseHandler):
    """No socket behind a mocked body: pausing/resuming reading is meaningless."""

    def pause_reading(self, *args: Any, **kwargs: Any) -> None:
        pass

    def resume_reading(self, *args: Any, **kwargs: Any) -> None:
        pass


def _stream_reader_factory(loop: Any = None) -> StreamReader:
    return StreamReader(_UnpausableProtocol(loop=loop), limit=2**16, loop=loop)


_original_build_response = _aior_core.RequestMatch._build_response


def _build_response(self: Any, *args: Any, response_class: Any = None, **kwargs: Any) -> ClientResponse:
    return _original_build_response(self, *args, response_class=response_class or ShimClientResponse, **kwargs)  # type: ignore[misc]


_aior_core.RequestMatch._build_response = _build_response  # type: ignore[method-assign]
_aior_core.stream_reader_factory = _stream_reader_factory  # type: ignore[attr-defined]

TOKEN = "test-token-s3cr3t-value"


def bodies(mocked: Any) -> list[tuple[str, str, Any]]:
    """(method, path, decoded JSON body or None) of every request aioresponses saw."""
    out = []
    for (method, url), calls in mocked.requests.items():
        for call in calls:
            data = call.kwargs.get("data")
            out.append((method, url.path, orjson.loads(data) if data else None))
    return out


@pytest.fixture
async def session(emu: PlugchoiceEmulator) -> AsyncIterator[aiohttp.ClientSession]:
    """A session carrying the token of the module's ``emu`` emulator (modules define ``emu``)."""
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {emu.token}"}) as client:
        yield client


async def call(session: aiohttp.ClientSession, method: str, url: str, body: Any = None) -> tuple[int, Any]:
    """One raw request: (status, decoded JSON body or None)."""
    async with session.request(method, url, json=body) as response:
        text = await response.text()
        return response.status, (json.loads(text) if text else None)


async def get(session: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    """``call`` for a GET."""
    return await call(session, "GET", url)


def load_fixture(name: str) -> Any:
    """A copy of the published example body ``tests/fixtures/<name>``."""
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def fixture() -> Callable[[str], Any]:
    """``fixture("chargers.get.volttime.json")`` -> parsed JSON."""
    return load_fixture


@pytest.fixture
async def emulator() -> AsyncIterator[PlugchoiceEmulator]:
    """A running emulator with 50 chargers, no rate limit binding in normal tests."""
    async with PlugchoiceEmulator(chargers=50, token=TOKEN, rate_limit=None) as emu:
        yield emu


class FakeClock:
    """A clock the test steps by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeSleep:
    """An ``asyncio.sleep`` stand-in that records the delays and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


def make_client(
    base_url: str,
    *,
    token: str = TOKEN,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    budget: RetryBudget | None = None,
    limiter: RateLimiter | None = None,
    **kwargs: Any,
) -> PlugchoiceClient:
    """A client with a fake sleep (no real waiting), no retry budget and no rate limiter unless given.

    Other keywords (``retry``, ``timeout``, ``max_concurrency``, ``transport``, ...) go to ``PlugchoiceClient``.
    """
    kwargs.setdefault("retry", RetryPolicy(max_retries=3))
    return PlugchoiceClient(
        token, base_url=base_url, sleep=sleep or FakeSleep(), retry_budget=budget, rate_limit=limiter, **kwargs
    )


@pytest.fixture
def fake_sleep() -> FakeSleep:
    """A fresh ``FakeSleep``."""
    return FakeSleep()
