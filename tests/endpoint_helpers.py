"""What the endpoint tests share: a recording fake of the API over aioresponses (no socket), the published docs
examples made readable (their ``"<string>"`` placeholders filled in), and raw requests to the emulator."""

from __future__ import annotations

import json
import re
from typing import Any

import aiohttp
import attrs
from aioresponses import CallbackResult, aioresponses

from plugchoice_async.testing import PlugchoiceEmulator
from tests.conftest import TOKEN

BASE = "https://api.test/api/v3"
TS = "2026-01-10T01:14:32.000000Z"


@attrs.frozen
class Sent:
    """One request as the server saw it: method, path under /api/v3, query, raw body (``b""``: none) and headers
    (names lower-cased)."""

    method: str
    path: str
    query: dict[str, str]
    body: bytes
    headers: dict[str, str]

    @property
    def json(self) -> Any:
        """The body read as JSON (None without a body)."""
        return json.loads(self.body) if self.body else None


class FakeApi:
    """Answers ``method path`` (any query) with a fixed status and JSON body (None: ``null``, or no body when the
    status is not 200), and records every request in ``sent``."""

    def __init__(self, mocked: aioresponses) -> None:
        self.mocked = mocked
        self.sent: list[Sent] = []

    def on(self, method: str, path: str, answer: Any = None, *, status: int = 200) -> None:
        def respond(url: Any, **kwargs: Any) -> CallbackResult:
            data = kwargs.get("data") or b""
            body = data if isinstance(data, bytes) else str(data).encode()
            headers = {str(k).lower(): str(v) for k, v in (kwargs.get("headers") or {}).items()}
            self.sent.append(Sent(method, url.path.removeprefix("/api/v3"), dict(url.query), body, headers))
            if answer is None:
                return CallbackResult(status=status, body="null" if status == 200 else "")
            return CallbackResult(status=status, payload=answer)

        pattern = re.compile(re.escape(BASE + path) + r"(\?.*)?$")
        self.mocked.add(pattern, method=method, callback=respond, repeat=True)


def filled(data: Any, **values: Any) -> Any:
    """A docs example the strict reader can read, all the way down: a ``"<string>"`` placeholder under a key of
    ``values`` becomes that value, under any other key ending in ``_at`` the timestamp ``TS``."""
    if isinstance(data, list):
        return [filled(item, **values) for item in data]
    if not isinstance(data, dict):
        return data
    out = {}
    for key, value in data.items():
        if value == "<string>" and key in values:
            out[key] = values[key]
        elif value == "<string>" and key.endswith("_at"):
            out[key] = TS
        else:
            out[key] = filled(value, **values)
    return out


async def raw(emulator: PlugchoiceEmulator, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    """One request the client would refuse to send, straight to the emulator: (status, JSON body or None)."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.request(method, emulator.base_url + path, **kwargs) as response,
    ):
        text = await response.text()
        return response.status, (json.loads(text) if text else None)
