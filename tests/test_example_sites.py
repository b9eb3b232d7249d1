"""examples/sites_overview.py runs against its embedded emulator and prints what the emulator holds."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from plugchoice_async import PlugchoiceClient
from plugchoice_async.testing import PlugchoiceEmulator
from tests.conftest import make_client

EXAMPLE = Path(__file__).parent.parent / "examples" / "sites_overview.py"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sites_overview_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


async def test_main_without_token_uses_the_emulator(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PLUGCHOICE_TOKEN", raising=False)
    example = load_example()
    assert await example.main(["--chargers", "60", "--sessions", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("No PLUGCHOICE_TOKEN: using the embedded emulator at http://127.0.0.1:")
    assert "Sites: 3" in out  # 60 chargers: one site per 20
    assert len(re.findall(r"^Latest sessions of ", out, re.MULTILINE)) == 2  # both teams
    assert "Traceback" not in out


async def test_report_matches_the_emulator(emulator: PlugchoiceEmulator) -> None:
    example = load_example()
    async with make_client(emulator.base_url) as client:
        assert isinstance(client, PlugchoiceClient)
        report = await example.sites_overview(client, sessions=2)
    lines = report.splitlines()
    assert lines[0] == f"Sites: {len(emulator.sites)}"
    for site in emulator.sites.values():
        members = emulator.site_chargers(site["uuid"])
        online = sum(1 for uuid in members if emulator.chargers[uuid]["connection_status"] == "online")
        row = next(line for line in lines if line.strip().startswith(site["name"]))
        assert re.search(rf"\b{len(members)} chargers,\s+{online} online$", row), row
    total = sum(len(emulator.site_chargers(s)) for s in emulator.sites)
    assert re.search(rf"^  total\s+{total} chargers$", report, re.MULTILINE)
    for team in emulator.teams.values():
        header = lines.index(f"Latest sessions of {team['name']}:")
        sessions = lines[header + 1 : header + 3]
        assert len(sessions) == 2 and all("kWh" in line for line in sessions)
