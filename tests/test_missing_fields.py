"""What reads a field the leniency rule made optional copes when the API leaves it out.

One test per reader that had to change: the OAuth helpers (``expires_in``), bulk command runs and
the CLI's ``bulk`` (the ``*_count`` fields), the CLI's ``transactions export`` and the examples
(``started_at``, ``total_kwh``, ``TeamTransaction.charger``, a reading's ``raw_value``, a sample's
``timestamp``, display names).
"""

from __future__ import annotations

import csv
import importlib.util
import io
import logging
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from aioresponses import CallbackResult, aioresponses
from click.testing import CliRunner

from plugchoice_async import BulkCommandTimeoutError, OAuthClientCredentials, PlugchoiceClient
from plugchoice_async.cli import cli
from plugchoice_async.models import (
    BulkCommandRun,
    Charger,
    Connector,
    OAuthToken,
    TeamTransaction,
    Transaction,
    TransactionCharger,
)
from plugchoice_async.testing import FakeTransport
from tests.conftest import TOKEN, FakeClock, make_client
from tests.test_bulk_commands import ClockedSleep, polling

BASE = "https://api.test/api/v3"
SECRET = "s3cret-client-secret-value"
TEAM = "7e0b1a52-0000-4000-8000-00000000000a"
RUN = "9b1d2c3e-5a6f-4b7c-8d9e-0f1a2b3c4d5e"
A = "445bd3f6-8f2c-38cb-aa04-2f4e1edb32bb"
B = "51c7cf5e-fac2-3ac6-8ef8-61e6050503af"
C = "6a1f2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"
EXAMPLES = Path(__file__).parent.parent / "examples"
USER = {"uuid": "38b2d76f-d2c3-418e-9aa8-87bb2f996ff1", "id": 1}


def load(name: str) -> ModuleType:
    """Import ``examples/<name>.py`` as a module (the examples directory is not a package)."""
    spec = importlib.util.spec_from_file_location(f"example_missing_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # attrs classes in the module resolve their annotations through it
    spec.loader.exec_module(module)
    return module


# -- OAuthToken.expires_in ----------------------------------------------------------------------------------


async def test_a_token_without_expires_in_is_used_until_refused_then_replaced(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="plugchoice_async")
    clock = FakeClock()
    granted: list[OAuthToken] = []
    refused: set[str] = set()
    sent: list[str] = []

    def token(url: Any, **kwargs: Any) -> CallbackResult:
        return CallbackResult(payload={"token_type": "Bearer", "access_token": f"at-{len(granted) + 1}"})

    def user(url: Any, **kwargs: Any) -> CallbackResult:
        sent.append(kwargs["headers"]["Authorization"])
        if sent[-1] in refused:
            return CallbackResult(status=401, payload={"message": "Unauthenticated."})
        return CallbackResult(payload=USER)

    auth = OAuthClientCredentials("cid", SECRET, clock=clock, on_token=granted.append)
    with aioresponses() as mocked:
        mocked.post("https://api.test/oauth/token", callback=token, repeat=True)
        mocked.get(f"{BASE}/user", callback=user, repeat=True)
        async with PlugchoiceClient(auth=auth, base_url=BASE, rate_limit=None) as client:
            await client.user.get()
            clock.advance(10 * 365 * 86400.0)  # ten years: no lifetime was stated, so none runs out
            await client.user.get()
            assert auth.grants == 1
            refused.add("Bearer at-1")  # the API refuses it now: one new grant, the request sent once more
            await client.user.get()
    assert auth.grants == 2 and [t.expires_in for t in granted] == [None, None]
    assert sent == ["Bearer at-1", "Bearer at-1", "Bearer at-1", "Bearer at-2"]
    assert any("no expiry stated" in r.getMessage() for r in caplog.records)


# -- BulkCommandRun counts ----------------------------------------------------------------------------------


def run_json(status: str = "running", **counts: int) -> dict[str, Any]:
    """A run over A (sent), B (offline) and C (pending), with only the ``counts`` given."""
    results = [
        {"charger_uuid": A, "status": "sent"},
        {"charger_uuid": B, "status": "offline", "message": "Charger is offline"},
        {"charger_uuid": C, "status": "pending" if status == "running" else "error"},
    ]
    return {"uuid": RUN, "command": "Reset", "status": status, "results": results, **counts}


def test_a_run_without_counts_is_counted_from_its_results() -> None:
    run = BulkCommandRun(uuid=RUN)
    assert (run.total, run.count("sent"), run.count("pending")) == (0, 0, 0)
    from plugchoice_async import _converter

    bare = _converter.structure({"data": run_json()}, BulkCommandRun)
    assert bare.total_count is None and bare.sent_count is None  # as sent: absent
    assert bare.total == 3
    assert [bare.count(s) for s in ("sent", "offline", "error", "skipped_forbidden", "pending")] == [1, 1, 0, 0, 1]
    told = _converter.structure({"data": run_json(total_count=5, sent_count=4, error_count=0)}, BulkCommandRun)
    assert told.total == 5 and told.count("sent") == 4  # the server's counts win over the results shown
    assert told.count("offline") == 1 and told.count("pending") == 0  # 5 - (4 + 1 + 0 + 0)


async def test_wait_timeout_message_counts_a_run_sent_without_counts() -> None:
    clock = FakeClock()
    async with make_client(BASE) as client:
        chargers = polling(client, clock, ClockedSleep(clock))
        with aioresponses() as mocked:
            mocked.get(f"{BASE}/chargers/commands/bulk/{RUN}", payload={"data": run_json()}, repeat=True)
            with pytest.raises(BulkCommandTimeoutError) as info:
                await chargers.wait_bulk_command(RUN, interval=2, timeout=3)
    assert str(info.value) == (
        f"bulk command run {RUN} (Reset) not completed after 3 s: "
        "1 sent, 1 offline, 0 errors, 0 skipped, 1 pending of 3 chargers"
    )


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        (run_json("completed"), "Reset: 1 sent, 1 offline, 1 errors, 0 skipped of 3 chargers"),
        (
            {"uuid": RUN, "command": "Reset", "status": "completed"},
            "Reset: 0 sent, 0 offline, 0 errors, 0 skipped of 3",
        ),
    ],
    ids=["results-only", "nothing"],
)
def test_cli_bulk_reports_a_run_sent_without_counts(
    monkeypatch: pytest.MonkeyPatch, answer: dict[str, Any], outcome: str
) -> None:
    monkeypatch.setenv("PLUGCHOICE_BASE_URL", BASE)
    monkeypatch.setenv("PLUGCHOICE_TOKEN", TOKEN)
    with aioresponses() as mocked:
        mocked.post(f"{BASE}/chargers/commands/bulk", status=202, payload={"data": answer})
        result = CliRunner().invoke(cli, ["bulk", "Reset", "--chargers", f"{A},{B},{C}", "--yes"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert outcome in result.output
    # Not every charger took it (or the run does not say): a failure, never "all sent".
    assert result.exit_code == 1
    if answer.get("results"):
        assert B in result.output and "Charger is offline" in result.output


# -- Transaction / TeamTransaction: started_at, total_kwh, charger --------------------------------------------


def team_tx(n: int, **fields: Any) -> dict[str, Any]:
    return {"id": n, **fields}


def test_cli_export_keeps_a_session_without_started_at_and_stops_at_an_older_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PLUGCHOICE_BASE_URL", BASE)
    monkeypatch.setenv("PLUGCHOICE_TOKEN", TOKEN)
    charger = {"uuid": A, "identity": "CP-001"}
    page = [
        team_tx(1, started_at="2026-01-12T08:00:00Z", total_kwh="7.00", charger=charger, status="finished"),
        team_tx(2),  # no start, no energy, no charger
        team_tx(3, started_at="2026-01-11T08:00:00Z", charger=charger),  # no total_kwh
        team_tx(4, started_at="2025-12-01T08:00:00Z", total_kwh=1, charger=charger),  # older: the end
    ]
    with aioresponses() as mocked:
        mocked.get(
            re.compile(rf"{re.escape(BASE)}/teams/{TEAM}/transactions\?.*"),
            payload={"data": page, "next_page_url": f"{BASE}/teams/{TEAM}/transactions?page=2", "per_page": 100},
        )
        result = CliRunner().invoke(
            cli, ["transactions", "export", "--since", "2026-01-01", "--team", TEAM], catch_exceptions=False
        )
        assert len(mocked.requests) == 1  # the older session ended the reading: page 2 never asked for
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [row["id"] for row in rows] == ["1", "3", "2"]  # newest first, the undated one last
    undated = rows[2]
    assert (undated["started_at"], undated["total_kwh"], undated["charger_uuid"], undated["charger_identity"]) == (
        "",
        "",
        "",
        "",
    )
    assert rows[1]["total_kwh"] == "" and rows[0]["total_kwh"] == "7.0"


def test_sites_overview_shows_a_session_without_start_energy_or_charger() -> None:
    example = load("sites_overview")
    line = example._session_line(TeamTransaction(id=1))
    assert re.fullmatch(r"  \? +-> charging +\? kWh  \? +\(no site\)", line), line
    full = TeamTransaction(
        id=2,
        started_at=datetime(2026, 1, 12, 8, 0, tzinfo=UTC),
        total_kwh=7.0,
        charger=TransactionCharger(uuid=A, identity="CP-001"),
    )
    assert example._session_line(full).startswith("  2026-01-12 08:00 -> charging             7.00 kWh  CP-001")


async def test_sites_overview_reads_sites_and_teams_without_their_names() -> None:
    example = load("sites_overview")
    fake = FakeTransport()
    fake.add("GET", "/sites", json={"data": [{"uuid": C}], "next_page_url": None})
    fake.add("GET", f"/sites/{C}/chargers", json={"data": [], "next_page_url": None})
    fake.add("GET", "/teams", json={"data": [{"uuid": TEAM}], "next_page_url": None})
    fake.add("GET", f"/teams/{TEAM}/transactions", json={"data": [team_tx(1)], "next_page_url": None})
    async with PlugchoiceClient(TOKEN, transport=fake, rate_limit=None) as client:
        report = await example.sites_overview(client, sessions=3)
    assert "  (unnamed)                    -              -     0 chargers,    0 online" in report
    assert f"Latest sessions of {TEAM}:" in report and "? kWh" in report


def test_transactions_report_leaves_sessions_without_total_kwh_out_of_the_sum() -> None:
    example = load("transactions_report")
    stopped = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
    sessions = (
        Transaction(id=1, started_at=datetime(2026, 1, 12, 8, 0, tzinfo=UTC), stopped_at=stopped, total_kwh=7.0),
        Transaction(id=2, stopped_at=stopped),  # finished, energy not sent
        Transaction(id=3),  # running: no start, no id tag
    )
    row = example.ChargerSessions(A, "CP-001", sessions)
    assert row.kwh == 7.0 and row.unmetered == 1
    text = example.render([row], [(A, "CP-001")])
    assert "1 chargers, 3 sessions, 7.0 kWh charged" in text
    assert "(1 finished sessions came without total_kwh: not in the kWh figures)" in text
    assert re.search(r"id tag - +since - UTC  \(transaction 3\)", text), text


async def test_sessions_of_sorts_a_session_without_started_at_last() -> None:
    example = load("transactions_report")
    fake = FakeTransport()
    items = [
        {"id": 1},
        {"id": 2, "started_at": "2026-01-12T08:00:00Z"},
        {"id": 3, "started_at": "2026-01-11T08:00:00Z"},
    ]
    fake.add("GET", f"/chargers/{A}/transactions", json={"data": items, "next_page_url": None})
    async with PlugchoiceClient(TOKEN, transport=fake, rate_limit=None) as client:
        row = await example.sessions_of(client, A, "CP-001", None)
    assert [tx.id for tx in row.sessions] == [2, 3, 1]


async def test_start_stop_reports_a_finished_session_without_start_or_energy(
    capsys: pytest.CaptureFixture[str],
) -> None:
    example = load("start_stop")
    fake = FakeTransport()
    fake.add("POST", f"/chargers/{A}/actions/stop", json={"status": "Accepted"})
    finished = {"id": 5, "stopped_at": "2026-01-12T09:00:00Z", "stop_reason": "Remote"}
    fake.add("GET", f"/chargers/{A}/transactions", json={"data": [finished], "next_page_url": None})
    async with PlugchoiceClient(TOKEN, transport=fake, rate_limit=None) as client:
        tx = await example.stop_session(client, A, Transaction(id=5))
    assert tx is not None and tx.id == 5
    out = capsys.readouterr().out
    assert "Session 5 finished (Remote): energy unknown." in out
    assert "started_from" not in str(fake.requests[-1].url)  # no start to filter by: every finished session


async def test_meter_values_report_copes_with_a_sample_without_timestamp_or_value() -> None:
    example = load("meter_values")
    fake = FakeTransport()
    fake.add("GET", f"/chargers/{A}/metervalues", json={"data": [], "next_page_url": None}, times=None)
    fake.add("GET", f"/chargers/{A}/transactions", json={"data": [], "next_page_url": None})
    latest = {
        "connectorId": 1,
        "meterValue": [{"sampledValue": [{"measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}],
    }
    fake.add("GET", f"/chargers/{A}/connectors/1/latest-metervalue", json=latest)
    fake.add("GET", f"/chargers/{A}/connectors/1/power-usage", json={})
    charger = Charger(uuid=A, id=1, identity="CP-001", connectors=(Connector(id=9, connector_id=1),))
    async with PlugchoiceClient(TOKEN, transport=fake, rate_limit=None) as client:
        text = await example.report(client, charger, 1.0)
    assert "latest meter value (no timestamp): register ? Wh, 1 values" in text
