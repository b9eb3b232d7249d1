"""The examples run in-process against their embedded emulator, and say something true."""

from __future__ import annotations

import importlib.util
import re
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

from plugchoice_async import RetryPolicy
from plugchoice_async.testing import PlugchoiceEmulator
from tests.conftest import make_client

EXAMPLES = Path(__file__).parent.parent / "examples"


def load(name: str) -> ModuleType:
    """Import ``examples/<name>.py`` as a module (the examples directory is not a package)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # attrs classes in the module resolve their annotations through it
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLUGCHOICE_TOKEN", raising=False)
    monkeypatch.delenv("PLUGCHOICE_BASE_URL", raising=False)


async def test_transactions_report(capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    assert await load("transactions_report").main(["--chargers", "4"]) == 0
    out = capsys.readouterr().out
    assert time.monotonic() - started < 3
    header = re.search(r"Transactions report: 4 chargers, (\d+) sessions, ([\d.]+) kWh charged", out)
    assert header is not None, out
    rows = re.findall(r"^\S+\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+\d{4}-", out, re.MULTILINE)
    assert len(rows) == 4
    assert sum(int(sessions) for sessions, *_ in rows) == int(header[1])
    assert sum(float(kwh) for *_, kwh in rows) == pytest.approx(float(header[2]), abs=0.1)
    assert all(int(s) == int(f) + int(a) for s, f, a, _ in rows)
    active = re.search(r"Active sessions: (\d+)", out)
    assert active is not None
    assert int(active[1]) == sum(int(a) for _, _, a, _ in rows)
    assert len(re.findall(r"connector \d+\s+id tag", out)) == int(active[1])


async def test_transactions_report_since_a_future_date_finds_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert await load("transactions_report").main(["--chargers", "2", "--since", "2099-01-01"]) == 0
    assert "Transactions report: 2 chargers, 0 sessions, 0.0 kWh charged" in capsys.readouterr().out


async def test_transactions_report_matches_the_emulators_records(emulator: PlugchoiceEmulator) -> None:
    example = load("transactions_report")
    async with make_client(emulator.base_url) as client:
        text = await example.report(client, 3, None)
    picked = [u for u, c in emulator.chargers.items() if c["connection_status"] != "never_seen"][:3]
    rows = [row for uuid in picked for row in emulator.transactions(uuid)]
    assert f"3 chargers, {len(rows)} sessions" in text
    kwh = sum(float(row["total_kwh"]) for row in rows if row["stopped_at"])
    assert f"{kwh:.1f} kWh charged" in text
    assert f"Active sessions: {sum(row['stopped_at'] is None for row in rows)}" in text


async def test_start_stop_rereads_state_after_a_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    assert await load("start_stop").main([]) == 0
    out = capsys.readouterr().out
    assert time.monotonic() - started < 3
    lines = out.splitlines()
    order = [
        "did not confirm in time. Re-reading its state instead of sending the start again",
        "is running",
        "45 minutes of charging pass",
        "The charger answered Accepted.",
        "finished (Remote)",
    ]
    positions = [next(i for i, line in enumerate(lines) if phrase in line) for phrase in order]
    assert positions == sorted(positions), out
    kwh = re.search(r"finished \(Remote\): ([\d.]+) kWh in 45 min", out)
    assert kwh is not None and float(kwh[1]) > 1.0  # 45 minutes of charging
    # one start reached the charger (and ran, though its answer was a 504), then one stop
    assert "Commands that reached the charger: start (Timeout, applied), stop (Accepted, applied)" in out


async def test_start_stop_gives_up_when_the_charger_never_started(
    emulator: PlugchoiceEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    example = load("start_stop")
    uuid = next(u for u, c in emulator.chargers.items() if c["connection_status"] == "online")
    emulator.set_charger(
        uuid,
        status="Available",
        connectors={c["connector_id"]: "Available" for c in emulator.chargers[uuid]["connectors"]},
    )
    emulator.set_action_behaviour(uuid, "offline")
    async with make_client(emulator.base_url, retry=RetryPolicy(max_retries=3)) as client:
        session = await example.start_session(client, uuid, 1, "T", attempts=3, pause=0)
    out = capsys.readouterr().out
    assert session is None
    assert "No session appeared" in out
    assert [(a.action, a.outcome) for a in emulator.actions] == [("start", "Timeout")]  # sent once, never again


async def test_start_stop_refuses_the_real_api_without_a_charger(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLUGCHOICE_TOKEN", "not-used")
    with pytest.raises(SystemExit) as info:
        await load("start_stop").main([])
    assert info.value.code == 2


async def test_meter_values(capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    assert await load("meter_values").main(["--hours", "4"]) == 0
    out = capsys.readouterr().out
    assert time.monotonic() - started < 3
    assert re.search(r"Window: .*4 h.*, \d{4}-\d\d-\d\d \d\d:\d\d -> \d{4}-\d\d-\d\d \d\d:\d\d UTC", out), out
    samples = re.search(r"(\d+) samples: .*Energy\.Active\.Import\.Register \d+", out)
    assert samples is not None and int(samples[1]) > 0
    energy = re.search(r"energy register ([\d,.]+) -> ([\d,.]+) kWh: ([\d.]+) kWh charged", out)
    assert energy is not None
    low, high, charged = (float(g.replace(",", "")) for g in energy.groups())
    # each figure is rounded to 0.01 on its own: the printed difference may be off by one unit of 0.01
    assert charged == pytest.approx(high - low, abs=0.011) and charged > 0
    assert re.search(r"Connector 1 \(Charging\):\n  latest meter value .* register \d+ Wh", out)
    power = re.search(r"power usage now: ([\d.]+) kW", out)
    assert power is not None and float(power[1]) > 0


async def test_fleet_status_takes_one_cheap_snapshot(capsys: pytest.CaptureFixture[str]) -> None:
    assert await load("fleet_status").main(["--chargers", "300", "--error-rate", "0"]) == 0
    out = capsys.readouterr().out
    header = re.search(r"Fleet status: 300 chargers in [\d.]+ s, (\d+) requests", out)
    assert header is not None, out
    assert int(header[1]) <= 2 * 3 + 2 + 2  # two listings of 3 pages, the teams list, the team pages' spare
    online = re.search(r"Connection status: (.*)", out)
    assert online is not None and sum(int(n) for n in re.findall(r"(\d+)", online[1])) == 300
    left = re.search(r"rate budget: (\d+) of 500 left", out)
    assert left is not None and int(left[1]) == 500 - int(header[1])
