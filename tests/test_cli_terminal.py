"""The ``plugchoice`` command line in a real terminal: tmux runs it, ``capture-pane`` reads the screen.

Checks what only a terminal shows: the progress bar on stderr, the live table of ``fleet watch``,
and that Ctrl-C (``send-keys C-c``) ends the watch cleanly with its summary line. The screen is
polled with a deadline, never read after a fixed sleep. Needs /usr/bin/tmux (skipped without it).
"""

from __future__ import annotations

import asyncio
import re
import shlex
import shutil
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from plugchoice_async.testing import PlugchoiceEmulator

TMUX = shutil.which("tmux") or "/usr/bin/tmux"
pytestmark = pytest.mark.skipif(not Path(TMUX).exists(), reason="tmux is not installed")
WIDTH, HEIGHT = 80, 40
_EXIT = re.compile(r"^\[exit status (\d+)\]$", re.MULTILINE)


def plugchoice() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m plugchoice_async.cli``."""
    script = Path(sys.executable).with_name("plugchoice")
    return [str(script)] if script.exists() else [sys.executable, "-m", "plugchoice_async.cli"]


class Terminal:
    """One tmux server (its own socket) with one 80-column window whose pane stays after its program ends."""

    def __init__(self, directory: Path) -> None:
        self.socket = directory / "tmux.sock"
        self.config = directory / "tmux.conf"
        self.config.write_text("set -g remain-on-exit on\nset -g history-limit 10000\n")

    async def tmux(self, *args: str) -> str:
        process = await asyncio.create_subprocess_exec(
            TMUX,
            "-S",
            str(self.socket),
            "-f",
            str(self.config),
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        return out.decode()

    async def start(self, command: list[str], env: dict[str, str]) -> None:
        """Run ``command`` in the pane; bash then writes its exit status (tmux 3.3 does not report it)."""
        settings = [f"{name}={value}" for name, value in env.items()]
        options = [item for setting in settings for item in ("-e", setting)]
        shell = f'{shlex.join(command)}; echo "[exit status $?]"'
        await self.tmux(
            "new-session",
            "-d",
            "-s",
            "cli",
            "-x",
            str(WIDTH),
            "-y",
            str(HEIGHT),
            *options,
            shlex.join(["bash", "-c", shell]),
        )

    async def screen(self) -> str:
        """The pane's text, scrollback included."""
        return await self.tmux("capture-pane", "-p", "-J", "-t", "cli", "-S", "-")

    async def wait_for(self, what: str, check: Callable[[str], bool], within: float = 30.0) -> str:
        """Poll the screen until ``check`` holds; fail with the screen after ``within`` seconds."""
        deadline = time.monotonic() + within
        while True:
            text = await self.screen()
            if check(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; the screen:\n{text}")
            await asyncio.sleep(0.05)  # polling interval of the screen, not a synchronisation

    async def wait_exit(self, within: float = 30.0) -> int:
        """The program's exit status, once it ended."""
        screen = await self.wait_for("the program to end", lambda s: _EXIT.search(s) is not None, within)
        found = _EXIT.search(screen)
        assert found is not None
        return int(found[1])

    async def running(self) -> bool:
        return _EXIT.search(await self.screen()) is None

    async def close(self) -> None:
        if self.socket.exists():
            await self.tmux("kill-server")


@pytest.fixture
async def terminal(tmp_path: Path) -> AsyncIterator[Terminal]:
    term = Terminal(tmp_path)
    try:
        yield term
    finally:
        await term.close()


def lines_fit(text: str) -> bool:
    return all(len(line.rstrip()) <= WIDTH for line in text.splitlines())


async def test_demo_shows_a_progress_bar_then_the_status(terminal: Terminal) -> None:
    await terminal.start([*plugchoice(), "demo", "--chargers", "600", "--error-rate", "0"], {})
    assert await terminal.wait_exit(within=60) == 0
    screen = await terminal.screen()
    bar = next((line for line in screen.splitlines() if "Reading the fleet" in line), None)
    assert bar is not None, screen
    assert "━" in bar and re.search(r"\d+ requests", bar), bar  # the bar, filled, with the requests it counted
    assert "Fleet status: 600 chargers" in screen
    assert "Rate budget: " in screen and "Traceback" not in screen
    assert lines_fit(screen)


async def test_fleet_watch_shows_changes_live_and_stops_on_ctrl_c(terminal: Terminal) -> None:
    async with PlugchoiceEmulator(chargers=30, seed=5) as emulator:
        env = {"PLUGCHOICE_BASE_URL": emulator.base_url, "PLUGCHOICE_TOKEN": emulator.token}
        await terminal.start([*plugchoice(), "fleet", "watch", "--interval", "0.2"], env)
        await terminal.wait_for("the live table", lambda s: "Fleet watch: 30 chargers" in s and "no changes yet" in s)

        uuid = next(u for u, doc in emulator.chargers.items() if doc["status"] == "Available")
        identity = emulator.chargers[uuid]["identity"]
        emulator.set_charger(uuid, status="Faulted")
        screen = await terminal.wait_for(
            "the change", lambda s: any(identity in line and "Available → Faulted" in line for line in s.splitlines())
        )
        assert "Ctrl-C stops" in screen
        assert await terminal.running()  # still watching

        await terminal.tmux("send-keys", "-t", "cli", "C-c")
        assert await terminal.wait_exit() == 0
        screen = await terminal.screen()
    summary = [line for line in screen.splitlines() if line.startswith("Stopped after ")]
    assert len(summary) == 1, screen
    assert re.fullmatch(
        r"Stopped after \d+ rounds in \d+:\d\d: [1-9]\d* changes, 0 failed rounds, \d+ requests\.", summary[0]
    )
    assert "Traceback" not in screen and "KeyboardInterrupt" not in screen
    assert lines_fit(screen)


async def test_bulk_follows_the_run_with_a_progress_bar(terminal: Terminal) -> None:
    async with PlugchoiceEmulator(chargers=30, seed=5) as emulator:
        emulator.bulk_delay = 0.1  # the run takes a while: about 0.1 s a charger
        chargers = [u for u, doc in emulator.chargers.items() if doc["connection_status"] == "online"][:8]
        env = {"PLUGCHOICE_BASE_URL": emulator.base_url, "PLUGCHOICE_TOKEN": emulator.token}
        command = [*plugchoice(), "bulk", "Reset", "--chargers", ",".join(chargers), "--interval", "0.2"]
        await terminal.start(command, env)
        await terminal.wait_for("the question", lambda s: "Send it? [y/N]" in s)
        assert emulator.bulk_runs == []  # nothing before the answer
        await terminal.tmux("send-keys", "-t", "cli", "y", "Enter")
        assert await terminal.wait_exit() == 0
        screen = await terminal.screen()
        (run,) = emulator.bulk_runs
    bar = next((line for line in screen.splitlines() if line.lstrip("✓ ").startswith("Reset") and "━" in line), None)
    assert bar is not None and "8 chargers" in bar, screen
    assert "Reset: 8 sent, 0 offline, 0 errors, 0 skipped of 8 chargers" in screen
    assert run["uuid"] in screen
