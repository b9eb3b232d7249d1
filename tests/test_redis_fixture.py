"""The Redis fixtures (tests/_redis.py) run a real redis-server that redis.asyncio talks to."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from tests import _redis
from tests._redis import RedisServer, RedisServerError


def connect(url: str) -> aioredis.Redis:
    """A client that fails at once when the server is gone (no retries, short timeouts)."""
    return aioredis.Redis.from_url(
        url, retry=Retry(NoBackoff(), 0), socket_connect_timeout=2, socket_timeout=2, decode_responses=True
    )


async def test_set_and_get_through_redis_asyncio(redis_url: str) -> None:
    assert redis_url.startswith("redis://127.0.0.1:")
    assert redis_url.endswith("/0")
    async with connect(redis_url) as client:
        assert await client.ping() is True
        await client.set("plugchoice:test", "value", ex=60)
        assert await client.get("plugchoice:test") == "value"
        assert await client.incr("plugchoice:counter") == 1


@pytest.mark.parametrize("run", [1, 2])
async def test_each_test_starts_with_an_empty_server(redis_url: str, redis_server: RedisServer, run: int) -> None:
    # Whichever run comes second finds nothing the first one left: redis_url flushed in between.
    async with connect(redis_url) as client:
        assert await client.dbsize() == 0
        assert await client.get("plugchoice:isolation") is None
        await client.set("plugchoice:isolation", str(run))
        await client.select(3)  # FLUSHALL empties every database, not just /0
        await client.set("plugchoice:isolation", str(run))
        await client.select(0)
    assert redis_server.url == redis_url


async def test_stop_breaks_connections_and_start_brings_the_server_back(fresh_redis_server: RedisServer) -> None:
    server = fresh_redis_server
    url, port = server.url, server.port
    async with connect(url) as client:
        await client.set("plugchoice:key", "1")
        server.stop()
        assert not server.running
        with pytest.raises(RedisConnectionError):
            await client.get("plugchoice:key")
        server.stop()  # idempotent

        server.start()
        assert server.running
        assert (server.port, server.url) == (port, url)
        assert await client.ping() is True  # the same client reconnects on the same port
        assert await client.get("plugchoice:key") is None  # nothing is persisted
        await client.set("plugchoice:key", "2")
        assert await client.get("plugchoice:key") == "2"


def test_a_failed_start_raises_with_the_server_log(fresh_redis_server: RedisServer, tmp_path: Path) -> None:
    # The port is taken by fresh_redis_server, which answers PING there: start() must not mistake it for its own.
    clash = RedisServer(tmp_path / "clash", port=fresh_redis_server.port, startup_timeout=5)
    try:
        with pytest.raises(RedisServerError, match=r"(?s)exited with code.*Address already in use"):
            clash.start()
        assert not clash.running
    finally:
        clash.stop()  # nothing left to stop: no error
    assert fresh_redis_server.running


def test_the_fixtures_skip_naming_the_missing_binary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_redis, "find_redis_server", lambda: None)
    with pytest.raises(pytest.skip.Exception, match="redis-server is not installed: run scripts/test"):
        _redis._require_redis_server()
