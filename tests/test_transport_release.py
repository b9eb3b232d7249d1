"""AiohttpTransport gives every connection back to its pool: after an answer, an error status, a broken body.

With a pool of one connection, a connection kept after any of these would make the next request
wait for ever (bounded here by ``asyncio.timeout``).
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from plugchoice_async import APIConnectionError, NotFoundError, RetryPolicy
from plugchoice_async.testing import Fault, PlugchoiceEmulator
from tests.conftest import make_client

MISSING = "00000000-0000-4000-8000-000000000000"


async def test_one_connection_serves_answers_errors_and_broken_bodies(emulator: PlugchoiceEmulator) -> None:
    async with make_client(emulator.base_url, max_concurrency=1, retry=RetryPolicy(max_retries=0)) as client:
        async with asyncio.timeout(20):
            first = await client.chargers.get(emulator.uuids[0])
            with pytest.raises(NotFoundError):
                await client.chargers.get(MISSING)
            # an error body too large to arrive with its headers: aiohttp frees the connection only once
            # the whole body is read (a small one it reads, and frees, on its own)
            emulator.add_fault(Fault("status", status=404, body=b'{"message": "' + b"x" * (1 << 20) + b'"}'))
            with pytest.raises(NotFoundError):
                await client.chargers.get(emulator.uuids[2])
            emulator.add_fault(Fault("truncate"))
            with pytest.raises(APIConnectionError):
                await client.chargers.get(emulator.uuids[1])
            many = await asyncio.gather(*(client.chargers.get(u) for u in emulator.uuids[:10]))
    assert first.uuid == emulator.uuids[0]
    assert [c.uuid for c in many] == emulator.uuids[:10]


async def test_a_cancelled_request_leaves_the_pool_usable(emulator: PlugchoiceEmulator) -> None:
    sent = asyncio.Event()

    async def on_sent(session: aiohttp.ClientSession, context: object, params: object) -> None:
        sent.set()

    trace = aiohttp.TraceConfig()
    trace.on_request_headers_sent.append(on_sent)
    emulator.add_fault(Fault("delay", delay=5.0))
    async with make_client(emulator.base_url, max_concurrency=1, trace_configs=[trace]) as client:
        slow = asyncio.ensure_future(client.chargers.get(emulator.uuids[0]))
        async with asyncio.timeout(20):
            await sent.wait()  # sent: the delay holds its answer
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        async with asyncio.timeout(20):
            charger = await client.chargers.get(emulator.uuids[1])
    assert charger.uuid == emulator.uuids[1]
