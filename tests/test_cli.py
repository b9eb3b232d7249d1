"""The ``plugchoice`` command line through click's CliRunner, against a real emulator served from a thread.

CliRunner calls the command synchronously and each command runs its own ``asyncio.run``, so the
emulator lives on an event loop of its own in a background thread; the tests read its request log and
its state once a command has returned, and call the SDK on that loop to compare with the CLI's output.
"""

from __future__ import annotations

import ast
import asyncio
import csv
import io
import json
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Coroutine, Iterator
from dataclasses import replace as dataclass_replace
from pathlib import Path
from typing import Any, TypeVar

import attrs
import pytest
from click.testing import CliRunner, Result

from plugchoice_async import AuthenticationError, FleetSnapshot, PlugchoiceClient
from plugchoice_async.cli import cli
from plugchoice_async.cli._fleet import CSV_COLUMNS
from plugchoice_async.testing import Fault, PlugchoiceEmulator

T = TypeVar("T")
PACKAGE = Path(__file__).parent.parent / "plugchoice_async"
SECRET = "s3cret-token-never-shown"


@attrs.define
class Served:
    """An emulator serving from its own loop in a thread."""

    emulator: PlugchoiceEmulator
    loop: asyncio.AbstractEventLoop

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the emulator's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def snapshot(self) -> FleetSnapshot:
        """A fleet snapshot taken through the SDK."""

        async def take() -> FleetSnapshot:
            async with PlugchoiceClient(self.emulator.token, base_url=self.emulator.base_url) as client:
                return await client.fleet.snapshot()

        return self.call(take())

    def posts(self) -> list[str]:
        """The paths of every POST the emulator answered."""

        async def read() -> list[str]:
            return [r.path for r in self.emulator.requests if r.method == "POST"]

        return self.call(read())


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> PlugchoiceEmulator:
        emulator = PlugchoiceEmulator(chargers=40, seed=3, rate_limit=500)
        await emulator.start()
        return emulator

    emulator = asyncio.run_coroutine_threadsafe(start(), loop).result(30)
    monkeypatch.setenv("PLUGCHOICE_BASE_URL", emulator.base_url)
    monkeypatch.setenv("PLUGCHOICE_TOKEN", emulator.token)
    try:
        yield Served(emulator, loop)
    finally:
        asyncio.run_coroutine_threadsafe(emulator.stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def invoke(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def assert_fits_80(text: str) -> None:
    too_wide = [line for line in text.splitlines() if len(line.rstrip()) > 80]
    assert not too_wide, too_wide


def first_online(served: Served, status: str = "Available") -> str:
    for uuid, doc in served.emulator.chargers.items():
        if doc["connection_status"] == "online" and doc["status"] == status:
            return uuid
    raise AssertionError(f"no online {status} charger")


# -- fleet status ---------------------------------------------------------------------------------


def test_fleet_status_table_reports_counts_faults_and_budget(served: Served) -> None:
    result = invoke("fleet", "status")
    assert result.exit_code == 0, result.output
    snap = served.snapshot()
    out = result.stdout
    assert f"Fleet status: {len(snap.chargers)} chargers" in out
    for section in ("Connection", "Status", "Connectors"):
        assert section in out
    for value, count in snap.by_status.items():
        assert any(value in line and f" {count} " in line for line in out.splitlines()), value
    assert f"Requests: {snap.requests} for the snapshot" in out
    assert "Rate budget: " in out and "of 500 requests left" in out
    assert_fits_80(out)
    assert result.stderr == ""  # no progress bar: stderr is not a terminal


def test_fleet_status_lists_faulted_chargers_with_their_error(served: Served) -> None:
    uuid = first_online(served)
    served.emulator.set_charger(uuid, status="Faulted", error="GroundFailure")
    result = invoke("fleet", "status")
    assert result.exit_code == 0
    identity = served.emulator.chargers[uuid]["identity"]
    line = next(line for line in result.stdout.splitlines() if uuid in line)
    assert identity in line and "GroundFailure" in line


def test_fleet_status_json_is_the_snapshot(served: Served) -> None:
    result = invoke("fleet", "status", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)  # nothing but the JSON on stdout
    snap = served.snapshot()
    assert len(data["chargers"]) == len(snap.chargers) == 40
    assert {c["uuid"] for c in data["chargers"]} == set(snap.chargers)
    assert data["by_status"] == dict(snap.by_status)
    assert data["by_connection_status"] == dict(snap.by_connection_status)
    assert data["by_connector_status"] == dict(snap.by_connector_status)
    assert Counter(c["status"] or "(none)" for c in data["chargers"]) == Counter(snap.by_status)
    assert data["requests"] == snap.requests
    assert data["failures"] == []


def test_fleet_status_csv_has_one_row_per_charger(served: Served) -> None:
    result = invoke("fleet", "status", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert tuple(csv.reader(io.StringIO(result.stdout)).__next__()) == CSV_COLUMNS
    snap = served.snapshot()
    assert [row["uuid"] for row in rows] == list(snap.chargers)
    assert Counter(row["status"] or "(none)" for row in rows) == Counter(snap.by_status)
    connectors = Counter(part.split(":", 1)[1] for row in rows for part in row["connectors"].split(";") if part)
    assert connectors == Counter(snap.by_connector_status)
    for row in rows:
        assert row["identity"] == snap.chargers[row["uuid"]].identity


def test_fleet_status_of_one_team(served: Served) -> None:
    team = next(iter(served.emulator.teams))
    result = invoke("fleet", "status", "--team", team, "--format", "json")
    assert result.exit_code == 0
    assert {c["team"] for c in json.loads(result.stdout)["chargers"]} == {team}


def test_demo_runs_fleet_status_against_the_embedded_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLUGCHOICE_TOKEN", raising=False)
    monkeypatch.delenv("PLUGCHOICE_BASE_URL", raising=False)
    result = invoke("demo", "--chargers", "120", "--error-rate", "0")
    assert result.exit_code == 0, result.output
    assert "Fleet status: 120 chargers" in result.stdout
    assert "Embedded emulator at http://127.0.0.1:" in result.stderr
    assert_fits_80(result.stdout)
    csv_result = invoke("demo", "--chargers", "30", "--error-rate", "0", "--format", "csv")
    assert len(list(csv.DictReader(io.StringIO(csv_result.stdout)))) == 30


# -- errors, token, exit codes --------------------------------------------------------------------


def test_no_token_is_a_usage_error_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLUGCHOICE_TOKEN", raising=False)
    result = invoke("fleet", "status")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "PLUGCHOICE_TOKEN" in result.stderr
    assert "Traceback" not in result.output


def test_a_refused_token_is_one_line_and_never_shown(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLUGCHOICE_TOKEN", SECRET)
    result = invoke("fleet", "status")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: 401 ") and result.stderr.count("\n") == 1
    assert SECRET not in result.output


def test_debug_shows_the_traceback(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLUGCHOICE_TOKEN", SECRET)
    result = CliRunner().invoke(cli, ["--debug", "chargers", "list"])
    assert isinstance(result.exception, AuthenticationError)
    assert SECRET not in str(result.exception)


def test_token_file(served: Served, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PLUGCHOICE_TOKEN", "not-this-one")
    token_file = tmp_path / "token"
    token_file.write_text(served.emulator.token + "\n")
    result = invoke("--token-file", str(token_file), "chargers", "list", "--format", "csv")
    assert result.exit_code == 0
    assert served.emulator.token not in result.output
    empty = tmp_path / "empty"
    empty.write_text("  \n")
    refused = invoke("--token-file", str(empty), "chargers", "list")
    assert refused.exit_code == 2 and "is empty" in refused.stderr


def test_a_bad_charger_id_is_a_usage_error(served: Served) -> None:
    result = invoke("chargers", "get", "not-a-uuid")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: charger id must be a UUID")


def test_an_unknown_charger_exits_1(served: Served) -> None:
    result = invoke("chargers", "get", "3f2b6c1e-0000-4000-8000-000000000000")
    assert result.exit_code == 1 and result.stderr.startswith("error: 404 ")


# -- chargers, transactions -----------------------------------------------------------------------


def test_chargers_list_in_every_format(served: Served) -> None:
    uuids = served.emulator.uuids
    as_csv = invoke("chargers", "list", "--format", "csv")
    assert [row["uuid"] for row in csv.DictReader(io.StringIO(as_csv.stdout))] == uuids
    as_json = json.loads(invoke("chargers", "list", "--format", "json").stdout)
    assert [c["uuid"] for c in as_json] == uuids
    table = invoke("chargers", "list")
    assert table.exit_code == 0
    assert all(uuid in table.stdout for uuid in uuids)  # never truncated
    assert_fits_80(table.stdout)


def test_chargers_get_leaves_the_pincode_out(served: Served) -> None:
    uuid = served.emulator.uuids[0]
    pincode = served.emulator.pincodes[uuid]
    data = json.loads(invoke("chargers", "get", uuid, "--format", "json").stdout)
    assert data["uuid"] == uuid and "pincode" not in data
    table = invoke("chargers", "get", uuid)
    assert served.emulator.chargers[uuid]["identity"] in table.stdout
    assert pincode not in table.stdout
    assert_fits_80(table.stdout)


def test_transactions_export_since_a_date(served: Served) -> None:
    since = "2026-01-08"
    result = invoke("transactions", "export", "--since", since)
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))

    async def expected() -> set[int]:
        async with PlugchoiceClient(served.emulator.token, base_url=served.emulator.base_url) as client:
            found: set[int] = set()
            async for team in client.teams.list():
                async for tx in client.teams.transactions(team.uuid):
                    if tx.started_at is not None and tx.started_at.isoformat() >= "2026-01-08":
                        found.add(tx.id)
            return found

    ids = [int(row["id"]) for row in rows]
    assert len(ids) == len(set(ids))  # each session once
    assert set(ids) == served.call(expected())
    assert ids and all(row["started_at"] >= since for row in rows)
    assert [row["started_at"] for row in rows] == sorted((row["started_at"] for row in rows), reverse=True)
    as_json = json.loads(invoke("transactions", "export", "--since", since, "--format", "json").stdout)
    assert [tx["id"] for tx in as_json] == ids


def test_transactions_export_stops_reading_at_older_sessions(served: Served) -> None:
    async def clear() -> None:
        served.emulator.reset_stats()

    served.call(clear())
    result = invoke("transactions", "export", "--since", "2026-01-10T11:00:00")
    assert result.exit_code == 0

    async def pages() -> int:
        return sum(1 for r in served.emulator.requests if r.path.endswith("/transactions"))

    assert served.call(pages()) == len(served.emulator.teams)  # one page a team: the recent sessions fit in it


# -- charger commands -----------------------------------------------------------------------------


def test_a_refused_confirmation_sends_nothing(served: Served) -> None:
    uuid = first_online(served)
    result = invoke("charger", "restart", uuid, input="n\n")
    assert result.exit_code == 1
    assert "Charger: " in result.stdout and "restart" in result.stdout
    assert "Nothing sent." in result.stderr
    assert served.posts() == [] and served.emulator.actions == []


def test_without_a_terminal_or_yes_nothing_is_sent(served: Served) -> None:
    uuid = first_online(served)
    for args in (["restart", uuid], ["limit", uuid, "6"], ["stop", uuid], ["start", uuid, "--id-token", "CARD1"]):
        result = invoke("charger", *args)  # no input: the question gets no answer
        assert result.exit_code == 1, args
    assert served.posts() == [] and served.emulator.actions == []


def test_a_confirmed_command_is_sent_once(served: Served) -> None:
    uuid = first_online(served)
    result = invoke("charger", "limit", uuid, "16", "--connector", "1", input="y\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith(": Accepted")
    (record,) = served.emulator.actions
    assert record.uuid == uuid and record.action == "charge-limit"
    assert record.body["limit"] == 16 and record.body["connector_id"] == 1


def test_yes_skips_the_question(served: Served) -> None:
    uuid = first_online(served)
    result = invoke("charger", "start", uuid, "--id-token", "CARD1", "--connector", "1", "--yes")
    assert result.exit_code == 0, result.output
    assert "Send it?" not in result.output
    assert [(a.action, a.body.get("id_token")) for a in served.emulator.actions] == [("start", "CARD1")]


def test_a_rejected_command_exits_1(served: Served) -> None:
    uuid = first_online(served)
    served.emulator.set_action_behaviour(uuid, "reject")
    result = invoke("charger", "restart", uuid, "--yes")
    assert result.exit_code == 1
    assert result.stdout.rstrip().endswith(": Rejected")


def test_an_unconfirmed_outcome_is_reported_and_never_retried(served: Served) -> None:
    uuid = first_online(served)
    served.emulator.set_action_behaviour(uuid, "slow")  # applies the command, then 504
    result = invoke("charger", "restart", uuid, "--yes")
    assert result.exit_code == 1
    assert "outcome unknown" in result.stdout
    assert served.posts() == [f"/api/v3/chargers/{uuid}/actions/restart"]  # sent once


def test_bad_command_arguments_are_usage_errors_and_send_nothing(served: Served) -> None:
    uuid = first_online(served)
    for args in (
        ["limit", uuid, "--", "-1"],
        ["start", uuid, "--id-token", "x" * 21],
        ["start", "not-a-uuid", "--id-token", "CARD1", "--yes"],
        ["stop", uuid, "--transaction", "-4"],
    ):
        assert invoke("charger", *args).exit_code == 2, args
    assert served.posts() == []


# -- bulk -----------------------------------------------------------------------------------------


def test_bulk_by_status_refused_sends_nothing(served: Served) -> None:
    faulted = [u for u, doc in served.emulator.chargers.items() if doc["status"] == "Faulted"]
    assert faulted
    result = invoke("bulk", "Reset", "--status", "Faulted", input="n\n")
    assert result.exit_code == 1
    assert f"About to send Reset to {len(faulted)} chargers:" in result.stdout
    assert served.posts() == [] and served.emulator.bulk_runs == []


def test_bulk_by_status_follows_the_run_to_completion(served: Served) -> None:
    online = [u for u, doc in served.emulator.chargers.items() if doc["connection_status"] == "online"][:3]
    for uuid in online:
        served.emulator.set_charger(uuid, status="Faulted")
    faulted = [u for u, doc in served.emulator.chargers.items() if doc["status"] == "Faulted"]
    result = invoke("bulk", "Reset", "--status", "faulted", "--data", '{"type": "Soft"}', input="y\n")
    (run,) = served.emulator.bulk_runs
    assert sorted(r["charger_uuid"] for r in run["results"]) == sorted(faulted)
    offline = sum(served.emulator.chargers[u]["connection_status"] != "online" for u in faulted)
    assert f"Reset: {len(faulted) - offline} sent, {offline} offline" in result.stdout
    assert result.exit_code == (1 if offline else 0)
    assert_fits_80(result.stdout)


def test_bulk_reports_the_chargers_that_did_not_take_it(served: Served) -> None:
    online = first_online(served)
    offline = next(u for u, doc in served.emulator.chargers.items() if doc["connection_status"] == "offline")
    result = invoke("bulk", "Reset", "--chargers", f"{online},{offline}", "--yes")
    assert result.exit_code == 1
    assert "Reset: 1 sent, 1 offline, 0 errors, 0 skipped of 2 chargers" in result.stdout
    table = result.stdout.split("did not take it", 1)[1]
    assert served.emulator.chargers[offline]["identity"] in table
    assert served.emulator.chargers[online]["identity"] not in table


@pytest.mark.parametrize("fault", [Fault("drop"), Fault("status", status=504)], ids=["dropped", "504"])
def test_bulk_with_an_unknown_outcome_is_reported_and_never_retried(served: Served, fault: Fault) -> None:
    uuid = first_online(served)
    served.emulator.add_fault(dataclass_replace(fault, method="POST", path="/chargers/commands/bulk"))
    result = invoke("bulk", "Reset", "--chargers", uuid, "--yes")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-2].startswith("Outcome unknown: ")
    assert served.posts() == ["/api/v3/chargers/commands/bulk"]  # sent once


def test_bulk_usage_errors_send_nothing(served: Served) -> None:
    uuid = first_online(served)
    for args in (
        ["Reset"],
        ["Reset", "--chargers", uuid, "--status", "Faulted"],
        ["Reset", "--chargers", "nope", "--yes"],
        ["Reset", "--chargers", uuid, "--data", "[1]", "--yes"],
        ["Reset", "--chargers", uuid, "--data", "{", "--yes"],
        ["Re set", "--chargers", uuid, "--yes"],
        ["Reset", "--chargers", uuid, "--team", uuid, "--yes"],
    ):
        assert invoke("bulk", *args).exit_code == 2, args
    assert served.posts() == []


def test_bulk_with_no_matching_charger_sends_nothing(served: Served) -> None:
    result = invoke("bulk", "Reset", "--status", "Reserved", "--yes")
    assert result.exit_code == 0
    assert "nothing to send" in result.stdout
    assert served.posts() == []


# -- watch, emulator ------------------------------------------------------------------------------


def test_fleet_watch_prints_a_summary_line(served: Served) -> None:
    result = invoke("fleet", "watch", "--interval", "0", "--rounds", "2")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1].startswith("Stopped after 2 rounds in 0:0")


def test_emulator_hands_every_argument_to_the_emulators_own_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []

    def fake_main(argv: list[str] | None = None) -> int:
        seen.append(list(argv or []))
        return 0

    monkeypatch.setattr("plugchoice_async.testing.__main__.main", fake_main)
    args = ["--chargers", "5", "--throttle", "leaky-bucket", "--some-new-option", "x"]
    result = CliRunner().invoke(cli, ["emulator", *args])
    assert result.exit_code == 0
    assert seen == [args]


def test_emulator_help_is_the_emulators() -> None:
    result = CliRunner().invoke(cli, ["emulator", "--help"])
    assert result.exit_code == 0
    assert result.stdout.startswith("usage: plugchoice emulator")
    assert "--chargers" in result.stdout and "--throttle" in result.stdout


def test_help_fits_80_columns() -> None:
    for args in (
        [],
        ["fleet", "status"],
        ["fleet", "watch"],
        ["bulk"],
        ["charger", "start"],
        ["charger", "limit"],
        ["transactions", "export"],
    ):
        result = invoke(*args, "--help")
        assert result.exit_code == 0, args
        assert_fits_80(result.stdout)


# -- packaging ------------------------------------------------------------------------------------


def test_only_the_cli_package_imports_click_and_rich() -> None:
    for path in PACKAGE.rglob("*.py"):
        if "cli" in path.relative_to(PACKAGE).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not any(n.split(".")[0] in {"click", "rich"} for n in names), path


def test_the_sdk_imports_without_the_cli_extra() -> None:
    code = (
        "import sys\n"
        "sys.modules['click'] = sys.modules['rich'] = None\n"  # as if not installed
        "import plugchoice_async, plugchoice_async.testing\n"
        "try:\n"
        "    from plugchoice_async.cli import cli\n"  # the package imports; its click group needs the extra
        "except ImportError:\n"
        "    print('cli needs the extra')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "cli needs the extra\n"
