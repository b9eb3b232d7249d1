"""Every ```python block of README.md runs as written, against an in-process emulator.

The emulator serves on loopback from a thread of its own, so a block can call ``asyncio.run`` itself
(the quick start does) or use top-level ``await`` (compiled with ``ast.PyCF_ALLOW_TOP_LEVEL_AWAIT``
and run in a fresh event loop). Each block gets a namespace with the names README snippets take for
granted: the public names of ``plugchoice_async``, ``asyncio``, ``client`` (a client of the emulator
whose waits return at once, so watch intervals and polling take no time), ``uuids``, ``uuid``,
``charger_uuids``, ``refresh_token`` (one the emulator issued to "client-id") and ``save`` (it keeps what
it is given). ``PLUGCHOICE_TOKEN`` and ``PLUGCHOICE_BASE_URL`` point at the emulator, and the Redis URL
of the README is replaced by a test redis-server's (``redis_url``; skipped without redis-server).

A block preceded by ``<!-- not run: reason -->`` is not run; the only one is the client's signature
listing, whose parameters are checked against ``PlugchoiceClient`` instead.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import io
import json
import re
import threading
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

import plugchoice_async
from plugchoice_async import PlugchoiceClient
from plugchoice_async.testing import Fault, PlugchoiceEmulator

README = Path(__file__).resolve().parent.parent / "README.md"
README_REDIS_URL = "redis://localhost:6379/0"
CHARGERS = 30  # two pages of the default listing
OAUTH_CLIENT = ("client-id", "client-secret")
_BLOCK = re.compile(r"^(?:<!-- not run: (?P<reason>[^\n]*?) -->\n)?```python\n(?P<code>.*?)^```$", re.M | re.S)
T = TypeVar("T")


@dataclass(frozen=True)
class Block:
    line: int  # of the block's first line of code in README.md
    code: str
    not_run: str | None


def readme_blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    return [Block(text.count("\n", 0, m.start("code")) + 1, m["code"], m["reason"]) for m in _BLOCK.finditer(text)]


BLOCKS = readme_blocks()
RUN = [pytest.param(block, id=f"README.md:{block.line}") for block in BLOCKS if block.not_run is None]


class EmulatorThread:
    """A ``PlugchoiceEmulator`` serving from an event loop in its own thread."""

    def __init__(self, emulator: PlugchoiceEmulator) -> None:
        self.emu = emulator
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="readme-emulator", daemon=True)

    def call(self, function: Callable[[], T]) -> T:
        """Run ``function`` on the emulator's loop (its state is not shared between threads otherwise)."""

        async def call() -> T:
            return function()

        return self._await(call())

    def _await(self, awaitable: Awaitable[T]) -> T:
        async def wrapped() -> T:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(wrapped(), self._loop).result(timeout=30)

    def __enter__(self) -> EmulatorThread:
        self._thread.start()
        self._await(self.emu.start())
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._await(self.emu.stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
            self._loop.close()


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorThread]:
    emu = PlugchoiceEmulator(chargers=CHARGERS)  # the real API's limit: 500 requests a minute
    with EmulatorThread(emu) as thread:

        def prepare() -> None:
            emu.bulk_delay = 0.0  # bulk command runs complete at once
            emu.issue_client(*OAUTH_CLIENT)

        thread.call(prepare)
        monkeypatch.setenv("PLUGCHOICE_TOKEN", emu.token)
        monkeypatch.setenv("PLUGCHOICE_BASE_URL", emu.base_url)
        yield thread


def issue_refresh_token(emu: PlugchoiceEmulator) -> str:
    """A refresh token for the README's OAuth client, from the emulator's token endpoint (loopback only)."""
    form = urllib.parse.urlencode(
        {"grant_type": "client_credentials", "client_id": OAUTH_CLIENT[0], "client_secret": OAUTH_CLIENT[1]}
    )
    with urllib.request.urlopen(emu.oauth_url, data=form.encode(), timeout=10) as answer:  # the emulator, on loopback
        token: str = json.load(answer)["refresh_token"]
    return token


async def _no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


async def _run_awaiting(code: Any, namespace: dict[str, Any], emu: PlugchoiceEmulator) -> None:
    async with PlugchoiceClient(emu.token, base_url=emu.base_url, sleep=_no_wait) as client:
        namespace["client"] = client
        async with asyncio.timeout(30):  # a watch loop that never stops fails here, not at pytest's timeout
            await eval(code, namespace)
        left = asyncio.all_tasks() - {asyncio.current_task()}
        assert not left, f"the block left tasks running: {left}"


def run_block(block: Block, emulator: EmulatorThread, request: pytest.FixtureRequest) -> dict[str, Any]:
    """Run one block as README.md shows it; return its namespace, with what it printed under ``"<stdout>"``."""
    emu = emulator.emu
    source = block.code
    if README_REDIS_URL in source:
        source = source.replace(README_REDIS_URL, request.getfixturevalue("redis_url"))
    saved: list[object] = []
    online = emulator.call(lambda: [u for u in emu.uuids if emu.chargers[u]["connection_status"] == "online"])
    namespace: dict[str, Any] = {name: getattr(plugchoice_async, name) for name in plugchoice_async.__all__}
    namespace |= {
        "__name__": "__readme__",
        "asyncio": asyncio,
        "uuids": emu.uuids[:10],
        "uuid": online[0],  # commands need a charger that answers
        "charger_uuids": online[1:4],
        "refresh_token": issue_refresh_token(emu),
        "save": saved.append,
        "<saved>": saved,
    }
    # The line numbers of a failure point into README.md.
    code = compile("\n" * (block.line - 1) + source, str(README), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    with contextlib.redirect_stdout(io.StringIO()) as out:
        if code.co_flags & inspect.CO_COROUTINE:
            asyncio.run(_run_awaiting(code, namespace, emu))
        else:
            exec(code, namespace)
    namespace["<stdout>"] = out.getvalue()
    return namespace


@pytest.mark.parametrize("block", RUN)
def test_readme_block_runs(block: Block, emulator: EmulatorThread, request: pytest.FixtureRequest) -> None:
    namespace = run_block(block, emulator, request)
    if "on_token=save" in block.code:  # the rotated tokens reached the callback
        assert namespace["<saved>"], "on_token was never called"


def test_quick_start_runs_as_written(emulator: EmulatorThread, request: pytest.FixtureRequest) -> None:
    quick_start = BLOCKS[0]
    assert "asyncio.run(main())" in quick_start.code and quick_start.not_run is None
    output = run_block(quick_start, emulator, request)["<stdout>"]
    assert output.splitlines()[-1] == f"{CHARGERS} chargers fetched, 0 failed"


def test_quick_start_bulk_fetch_survives_one_failure(emulator: EmulatorThread, request: pytest.FixtureRequest) -> None:
    emu = emulator.emu
    broken = emu.uuids[7]
    emulator.call(lambda: emu.add_fault(Fault("status", status=404, method="GET", path=f"/chargers/{broken}")))
    output = run_block(BLOCKS[0], emulator, request)["<stdout>"]
    assert output.splitlines()[-1] == f"{CHARGERS - 1} chargers fetched, 1 failed"
    # Every fetch was answered: none was cancelled when the broken one failed.
    charger_path = re.compile(r"/api/v3/chargers/([^/]+)")
    gets = emulator.call(lambda: [(charger_path.fullmatch(r.path), r.status) for r in emu.requests])
    answered = sorted((match[1], status) for match, status in gets if match is not None)
    assert answered == sorted([(u, 200) for u in emu.uuids if u != broken] + [(emu.uuids[0], 200), (broken, 404)])


def test_every_python_block_is_found() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(BLOCKS) == text.count("```python\n") > 1
    assert BLOCKS[0].not_run is None, "the quick start must run"
    not_run = [block for block in BLOCKS if block.not_run is not None]
    assert len(not_run) <= 1, f"marked not run: {[(b.line, b.not_run) for b in not_run]}"


def test_signature_listing_matches_the_client() -> None:
    (listing,) = (block for block in BLOCKS if block.not_run is not None)
    head, _, params = listing.code.partition("(")
    assert head.strip() == "PlugchoiceClient"
    listed = ast.parse(f"def listing({params.rstrip().removesuffix(')')}): pass").body[0]
    assert isinstance(listed, ast.FunctionDef)
    names = [a.arg for a in listed.args.args], [a.arg for a in listed.args.kwonlyargs]
    parameters = inspect.signature(PlugchoiceClient).parameters.values()
    positional = [p.name for p in parameters if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    keyword_only = [p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY]
    assert names == (positional, keyword_only)


def test_readme_is_self_contained() -> None:
    text = README.read_text(encoding="utf-8")
    assert "../shared" not in text
    outside = re.findall(r"\]\((\.\./[^)]*)\)", text)
    assert not outside, f"links outside the repository: {outside}"
