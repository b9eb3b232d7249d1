"""Logging, openai-python style: one DEBUG line per attempt, INFO per retry, PLUGCHOICE_LOG, never the token."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap

import pytest

from plugchoice_async import APITimeoutError, OAuthClientCredentials, PlugchoiceClient, RetryPolicy
from plugchoice_async.client import _setup_logging
from plugchoice_async.testing import FakeTransport
from tests.conftest import TOKEN, FakeSleep, load_fixture

BASE = "https://api.test/api/v3"
UUID = "445bd3f6-8f2c-38cb-aa04-2f4e1edb32bb"
DOC = load_fixture("chargers.get.volttime.json")


def _all_text(records: list[logging.LogRecord]) -> str:
    return "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in records)


async def test_one_debug_line_per_attempt_and_info_per_retry(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="plugchoice_async")
    fake = FakeTransport()
    fake.add(status=503, json={"message": "down"}, headers={"X-Request-Id": "req-1"})
    fake.add(exception=APITimeoutError)
    fake.add(json=DOC, headers={"X-Request-Id": "req-3"})
    async with PlugchoiceClient(TOKEN, base_url=BASE, transport=fake, rate_limit=None, sleep=FakeSleep()) as client:
        await client.chargers.get(UUID)
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert len(debug) == 3
    assert debug[0].startswith(f"GET /chargers/{UUID}: 503 in ")
    assert debug[0].endswith("(attempt 1, request id req-1)")
    assert f"GET /chargers/{UUID}: APITimeoutError in " in debug[1]
    assert debug[1].endswith("(attempt 2)")
    assert debug[2].endswith("(attempt 3, request id req-3)")
    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert [m.split(" after ")[0] for m in info] == [
        f"retrying GET /chargers/{UUID} (attempt 2 of 4)",
        f"retrying GET /chargers/{UUID} (attempt 3 of 4)",
    ]


async def test_the_token_and_oauth_secrets_are_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake = FakeTransport()
    fake.add(status=500, json={"message": "x"}, times=2)
    fake.add(json=DOC)
    async with PlugchoiceClient(
        TOKEN, base_url=BASE, transport=fake, sleep=FakeSleep(), retry=RetryPolicy(max_retries=2)
    ) as client:
        await client.chargers.get(UUID)
    assert fake.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"  # the Bearer header was sent
    assert len([r for r in caplog.records if r.levelno == logging.DEBUG and r.name == "plugchoice_async"]) == 3
    assert TOKEN not in _all_text(caplog.records)

    caplog.clear()
    secret, access = "client-s3cret", "access-t0ken-value"
    oauth = FakeTransport()
    oauth.add("POST", "/oauth/token", json={"token_type": "Bearer", "expires_in": 3600, "access_token": access})
    oauth.add("GET", f"/chargers/{UUID}", json=DOC)
    auth = OAuthClientCredentials("cid", secret)
    async with PlugchoiceClient(auth=auth, base_url=BASE, transport=oauth, rate_limit=None) as client:
        await client.chargers.get(UUID)
    text = _all_text(caplog.records)
    assert "POST /oauth/token: 200" in text
    assert secret not in text
    assert access not in text


def test_plugchoice_log_attaches_a_stderr_handler_at_that_level() -> None:
    logger = logging.getLogger("plugchoice_async")
    level = logger.level
    try:
        for value, expected in (("debug", logging.DEBUG), ("INFO", logging.INFO)):
            handler = _setup_logging({"PLUGCHOICE_LOG": value})
            assert handler is not None
            try:
                assert handler in logger.handlers
                assert logger.level == expected
                assert isinstance(handler, logging.StreamHandler) and handler.stream is sys.stderr
            finally:
                logger.removeHandler(handler)
        assert _setup_logging({}) is None
        assert _setup_logging({"PLUGCHOICE_LOG": "loud"}) is None
    finally:
        logger.setLevel(level)


def test_plugchoice_log_debug_from_the_environment_at_import() -> None:
    script = textwrap.dedent(
        f"""
        import asyncio
        from plugchoice_async import PlugchoiceClient
        from plugchoice_async.testing import FakeTransport

        async def main():
            fake = FakeTransport()
            fake.add("GET", "/user", status=404, json={{"message": "gone"}}, headers={{"X-Request-Id": "r-9"}})
            async with PlugchoiceClient("{TOKEN}", base_url="{BASE}", transport=fake) as client:
                try:
                    await client.user.get()
                except Exception:
                    pass

        asyncio.run(main())
        """
    )
    env = {**os.environ, "PLUGCHOICE_LOG": "debug"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "DEBUG] GET /user: 404 in " in done.stderr
    assert "(attempt 1, request id r-9)" in done.stderr
    assert TOKEN not in done.stderr
    quiet = subprocess.run(
        [sys.executable, "-c", script],
        env={k: v for k, v in env.items() if k != "PLUGCHOICE_LOG"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert quiet.returncode == 0 and quiet.stderr == ""
