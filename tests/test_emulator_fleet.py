"""The emulator for fleet work, over real loopback HTTP: ``per_page`` honoured or ignored, chargers coming and going and
belonging to several teams (or none), team listings that agree with ``GET /chargers/{c}``, bulk commands progressing
with a stepped clock, and composite schedules merged from the charging profiles set."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from plugchoice_async import CompositeSchedule, _converter
from plugchoice_async.testing import PlugchoiceEmulator
from plugchoice_async.testing.__main__ import _emulator, _parser
from tests.conftest import FakeClock, call, get

FIXTURES = Path(__file__).parent / "fixtures"
OTHER_TOKEN = "other-token"
UNKNOWN = "00000000-0000-4000-8000-000000000000"
OCPP_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
TIMEOUT = {"message": "The charger did not respond in time."}
NOT_FOUND = {"message": "No query results for model [App\\Models\\Charger]."}


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def emu(clock: FakeClock) -> AsyncIterator[PlugchoiceEmulator]:
    async with PlugchoiceEmulator(chargers=60, seed=1, rate_limit=None, clock=clock, tokens=(OTHER_TOKEN,)) as emulator:
        yield emulator


async def walk(session: aiohttp.ClientSession, url: str) -> list[Any]:
    """Every page from ``url`` on, following ``links.next`` or ``next_page_url``."""
    pages = []
    next_url: str | None = url
    while next_url is not None:
        status, page = await get(session, next_url)
        assert status == 200, page
        pages.append(page)
        next_url = page["links"]["next"] if "links" in page else page["next_page_url"]
    return pages


async def listed(session: aiohttp.ClientSession, url: str) -> list[str]:
    """The uuids of every item of a listing, in order."""
    return [item["uuid"] for page in await walk(session, url) for item in page["data"]]


def ready(
    emu: PlugchoiceEmulator, count: int = 1, test: Callable[[dict[str, Any]], bool] = lambda c: True
) -> list[str]:
    """``count`` chargers made online, every connector Available (before their history exists: no session)."""
    found = [uuid for uuid, c in emu.chargers.items() if c["connection_status"] != "never_seen" and test(c)][:count]
    assert len(found) == count
    for uuid in found:
        connectors = {c["connector_id"]: "Available" for c in emu.chargers[uuid]["connectors"]}
        emu.set_charger(uuid, connection_status="online", status="Available", connectors=connectors)
    return found


def three_phase(charger: dict[str, Any]) -> bool:
    return all(c["power_type"] == "AC_3_PHASE" and c["max_amperage"] == 32 for c in charger["connectors"])


# -- per_page: honoured, or ignored as the real API may ------------------------------------------------------


async def test_per_page_is_honoured_by_default(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    assert emu.honour_per_page is True
    _, page = await get(session, f"{emu.base_url}/chargers?per_page=7")
    assert (len(page["data"]), page["meta"]["per_page"]) == (7, 7)
    _, page = await get(session, f"{emu.base_url}/chargers?per_page=1000")
    assert (len(page["data"]), page["meta"]["per_page"]) == (60, 100)  # clamped to 1..100
    team = next(iter(emu.teams))
    _, page = await get(session, f"{emu.base_url}/teams/{team}/chargers?per_page=3")
    assert (len(page["data"]), page["per_page"]) == (3, 3)


async def test_per_page_is_ignored_while_switched_off(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    emu.honour_per_page = False
    pages = await walk(session, f"{emu.base_url}/chargers?per_page=7")
    assert [len(page["data"]) for page in pages] == [25, 25, 10]
    assert {page["meta"]["per_page"] for page in pages} == {25}  # what the answer reports, not what was asked
    assert pages[0]["links"]["next"] == f"{emu.base_url}/chargers?per_page=7&page=2"
    assert [item["uuid"] for page in pages for item in page["data"]] == emu.uuids

    team = max(emu.teams, key=lambda t: sum(t in emu.charger_teams(u) for u in emu.uuids))
    members = [u for u in emu.uuids if team in emu.charger_teams(u)]
    assert len(members) > 25
    team_pages = await walk(session, f"{emu.base_url}/teams/{team}/chargers?per_page=100")
    assert [len(page["data"]) for page in team_pages] == [25, len(members) - 25]
    assert {page["per_page"] for page in team_pages} == {25}
    uuid = emu.uuids[0]
    for path in ("/sites?per_page=1", f"/teams/{team}/sites?per_page=1", f"/teams/{team}/transactions?per_page=2"):
        _, page = await get(session, emu.base_url + path)
        assert page.get("meta", page)["per_page"] == 25, path
    _, logs = await get(session, f"{emu.base_url}/chargers/{uuid}/logs?per_page=1")
    assert logs["meta"]["per_page"] == 25 and len(logs["data"]) == min(25, logs["meta"]["total"])

    emu.honour_per_page = True  # changeable while serving
    _, page = await get(session, f"{emu.base_url}/chargers?per_page=7")
    assert (len(page["data"]), page["meta"]["per_page"]) == (7, 7)


def test_per_page_setting_from_the_constructor_and_the_command_line() -> None:
    assert PlugchoiceEmulator(chargers=1, honour_per_page=False).honour_per_page is False
    assert _emulator(_parser().parse_args(["--chargers", "1"])).honour_per_page is True
    assert _emulator(_parser().parse_args(["--chargers", "1", "--ignore-per-page"])).honour_per_page is False
    assert "--ignore-per-page listings ignore per_page" in " ".join(_parser().format_help().split())


# -- the fleet changing between two polls ------------------------------------------------------------------


async def test_an_added_charger_appears_everywhere(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    before = await listed(session, f"{emu.base_url}/chargers")
    first, second = emu.teams
    uuid = emu.add_charger(team_uuid=second, reference="New bay")
    assert uuid not in before and emu.uuids == [*before, uuid]
    assert await listed(session, f"{emu.base_url}/chargers") == [*before, uuid]  # last, as the newest
    status, body = await get(session, f"{emu.base_url}/chargers/{uuid}")
    assert status == 200 and body["data"] == emu.chargers[uuid]
    charger = body["data"]
    assert (charger["reference"], charger["connection_status"]) == ("New bay", "online")
    assert charger["created_at"] == charger["updated_at"]
    others = [c for u, c in emu.chargers.items() if u != uuid]
    assert charger["id"] > max(c["id"] for c in others)
    assert charger["identity"] not in {c["identity"] for c in others}
    own_connectors = {k["id"] for k in charger["connectors"]}
    assert not own_connectors & {k["id"] for c in others for k in c["connectors"]}
    assert emu.charger_teams(uuid) == [second]
    assert uuid in await listed(session, f"{emu.base_url}/teams/{second}/chargers?per_page=100")
    assert uuid not in await listed(session, f"{emu.base_url}/teams/{first}/chargers?per_page=100")
    assert (await get(session, f"{emu.base_url}/chargers/{uuid}/transactions"))[1]["data"] == []  # no past

    site = next(iter(emu.sites))
    placed = emu.add_charger(site_uuid=site, connection_status="offline")
    assert emu.site_chargers(site)[-1] == placed
    assert placed in await listed(session, f"{emu.base_url}/sites/{site}/chargers?per_page=100")
    site_team = emu.charger_teams(placed)
    assert len(site_team) == 1
    assert placed in await listed(session, f"{emu.base_url}/teams/{site_team[0]}/chargers?per_page=100")
    assert (await get(session, f"{emu.base_url}/chargers/{placed}"))[1]["data"]["connection_status"] == "offline"
    default = emu.add_charger()
    assert emu.charger_teams(default) == [first]
    with pytest.raises(KeyError):
        emu.add_charger(team_uuid=emu.foreign_team_uuid)
    with pytest.raises(KeyError):
        emu.add_charger(site_uuid=UNKNOWN)


async def test_a_removed_charger_disappears_everywhere(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    site = next(s for s in emu.sites if emu.site_chargers(s))
    uuid = emu.site_chargers(site)[0]
    (team,) = emu.charger_teams(uuid)
    assert (await get(session, f"{emu.base_url}/chargers/{uuid}"))[0] == 200  # its answer is cached now
    emu.remove_charger(uuid)
    assert uuid not in emu.uuids and uuid not in emu.site_chargers(site)
    assert uuid not in await listed(session, f"{emu.base_url}/chargers")
    assert uuid not in await listed(session, f"{emu.base_url}/teams/{team}/chargers?per_page=100")
    assert uuid not in await listed(session, f"{emu.base_url}/sites/{site}/chargers?per_page=100")
    assert await get(session, f"{emu.base_url}/chargers/{uuid}") == (404, NOT_FOUND)
    assert await call(session, "POST", f"{emu.base_url}/chargers/{uuid}/actions/restart") == (404, NOT_FOUND)
    assert (await get(session, f"{emu.base_url}/chargers/{uuid}/transactions"))[0] == 404
    with pytest.raises(KeyError):
        emu.remove_charger(uuid)


async def test_a_charger_in_several_teams_or_none(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    first, second = emu.teams

    async def teams_listing(uuid: str) -> list[str]:
        return [
            t for t in emu.teams if uuid in await listed(session, f"{emu.base_url}/teams/{t}/chargers?per_page=100")
        ]

    uuid = next(u for u in emu.uuids if emu.charger_teams(u) == [first])
    assert await teams_listing(uuid) == [first]
    emu.add_charger_to_team(uuid, second)
    assert emu.charger_teams(uuid) == [first, second]
    assert await teams_listing(uuid) == [first, second]  # listed by both teams
    emu.add_charger_to_team(uuid, second)  # already in it: nothing changes
    assert emu.charger_teams(uuid) == [first, second]

    emu.remove_charger_from_teams(uuid)
    assert emu.charger_teams(uuid) == []
    assert await teams_listing(uuid) == []
    assert uuid in await listed(session, f"{emu.base_url}/chargers")  # still the user's charger
    assert (await get(session, f"{emu.base_url}/chargers/{uuid}"))[0] == 200
    for bad in ((uuid, emu.foreign_team_uuid), (uuid, UNKNOWN), (UNKNOWN, first)):
        with pytest.raises(KeyError):
            emu.add_charger_to_team(*bad)
    with pytest.raises(KeyError):
        emu.remove_charger_from_teams(emu.foreign_uuids[0])


async def test_team_listing_statuses_equal_get_charger(
    emu: PlugchoiceEmulator, clock: FakeClock, session: aiohttp.ClientSession
) -> None:
    (uuid,) = ready(emu)
    emu.add_charger_to_team(uuid, next(t for t in emu.teams if t not in emu.charger_teams(uuid)))
    base = f"{emu.base_url}/chargers/{uuid}"

    async def agreed() -> tuple[str, str, list[str]]:
        """The charger's statuses, after checking every team listing shows what GET /chargers/{c} does."""
        _, body = await get(session, base)
        doc = body["data"]
        want = (doc["connection_status"], doc["status"], [(c["connector_id"], c["status"]) for c in doc["connectors"]])
        for team in emu.charger_teams(uuid):
            pages = await walk(session, f"{emu.base_url}/teams/{team}/chargers?per_page=100")
            (item,) = [item for page in pages for item in page["data"] if item["uuid"] == uuid]
            shown = [(c["connector_id"], c["status"]) for c in item["connectors"]["data"]]
            assert (item["connection_status"], item["status"], shown) == want
        return doc["connection_status"], doc["status"], [status for _, status in want[2]]

    count = len(emu.chargers[uuid]["connectors"])
    assert await agreed() == ("online", "Available", ["Available"] * count)
    emu.set_charger(uuid, connection_status="offline", status="Faulted", connectors={1: "Faulted"})
    assert await agreed() == ("offline", "Faulted", ["Faulted"] + ["Available"] * (count - 1))
    emu.set_charger(uuid, connection_status="online", status="Available", connectors={1: "Available"})
    assert (await call(session, "POST", f"{base}/actions/start", {"id_token": "CARD1", "connector_id": 1}))[0] == 200
    assert await agreed() == ("online", "Available", ["Charging"] + ["Available"] * (count - 1))
    assert (await call(session, "POST", f"{base}/settings/lock", {"enabled": True}))[0] == 204
    assert await agreed() == ("online", "Unavailable", ["Charging"] + ["Unavailable"] * (count - 1))
    assert await call(session, "POST", f"{base}/actions/restart") == (200, {"status": "Accepted"})
    assert await agreed() == ("online", "Unavailable", ["Unavailable"] * count)
    assert (await call(session, "POST", f"{base}/settings/lock", {"enabled": False}))[0] == 204
    assert await agreed() == ("online", "Available", ["Available"] * count)
    await call(session, "POST", f"{base}/actions/start", {"id_token": "CARD1", "connector_id": 1})
    emu.bulk_delay = 1.0
    bulk = {"command": "Reset", "charger_ids": [uuid]}
    assert (await call(session, "POST", f"{emu.base_url}/chargers/commands/bulk", bulk))[0] == 202
    assert (await agreed())[2][0] == "Charging"  # its job has not run yet
    clock.advance(1.0)
    assert await agreed() == ("online", "Available", ["Available"] * count)


# -- bulk commands ---------------------------------------------------------------------------------------


async def bulk(session: aiohttp.ClientSession, emu: PlugchoiceEmulator, body: Any) -> tuple[int, Any]:
    return await call(session, "POST", f"{emu.base_url}/chargers/commands/bulk", body)


async def run_of(session: aiohttp.ClientSession, emu: PlugchoiceEmulator, run: str) -> dict[str, Any]:
    status, body = await get(session, f"{emu.base_url}/chargers/commands/bulk/{run}")
    assert status == 200, body
    assert list(body) == ["data"]
    document: dict[str, Any] = body["data"]
    return document


def outcome(run: dict[str, Any]) -> tuple[str, list[str], tuple[int, ...]]:
    """(status, each result's status, (total, sent, offline, error, skipped))."""
    counts = ("total_count", "sent_count", "offline_count", "error_count", "skipped_count")
    return run["status"], [r["status"] for r in run["results"]], tuple(run[name] for name in counts)


async def test_bulk_run_progresses_with_the_clock(
    emu: PlugchoiceEmulator, clock: FakeClock, session: aiohttp.ClientSession
) -> None:
    emu.bulk_delay = 1.0
    first, second, third, rejecting, offline = ready(emu, 5)
    emu.set_action_behaviour(rejecting, "reject")
    emu.set_charger(offline, connection_status="offline")
    foreign = emu.foreign_uuids[0]
    ids = [first, foreign, offline, second, UNKNOWN, rejecting, third.upper()]  # UUIDs match case-blind
    status, body = await bulk(session, emu, {"command": "Reset", "data": {"type": "Soft"}, "charger_ids": ids})
    assert status == 202 and list(body) == ["data"]
    run = body["data"]
    assert list(run) == list(fixture("actions.bulk-command.docs.json"))
    assert (run["command"], run["data"]) == ("Reset", {"type": "Soft"})
    pending = ["pending", "skipped_forbidden", "pending", "pending", "skipped_forbidden", "pending", "pending"]
    assert outcome(run) == ("running", pending, (7, 0, 0, 0, 2))
    assert [r["charger_uuid"] for r in run["results"]] == [*ids[:-1], third]
    for result in run["results"]:
        assert list(result) == ["charger_uuid", "status", "message", "executed_at", "charger"]
        if result["status"] == "pending":
            assert result["message"] is None and result["executed_at"] is None
    charger = emu.chargers[first]
    assert run["results"][0]["charger"] == {name: charger[name] for name in ("uuid", "identity", "reference")}
    skipped = [r for r in run["results"] if r["status"] == "skipped_forbidden"]
    assert [r["charger"] for r in skipped] == [None, None]  # no access: no charger, and no 403 either
    assert all(r["executed_at"] is not None and r["message"] for r in skipped)
    assert emu.actions == []

    # job i (0-based, among the chargers the user has) is due bulk_delay * (i + 1) after the run's creation
    clock.advance(0.999)
    assert outcome(await run_of(session, emu, run["uuid"]))[2] == (7, 0, 0, 0, 2)
    clock.advance(0.001)
    now = await run_of(session, emu, run["uuid"])
    assert outcome(now)[1][:4] == ["sent", "skipped_forbidden", "pending", "pending"]
    assert now["results"][0]["executed_at"] is not None and now["results"][0]["message"] == "Accepted"
    clock.advance(1.0)
    now = await run_of(session, emu, run["uuid"])
    assert outcome(now) == ("running", ["sent", "skipped_forbidden", "offline", *pending[3:]], (7, 1, 1, 0, 2))
    clock.advance(3.0)
    done = await run_of(session, emu, run["uuid"])
    statuses = ["sent", "skipped_forbidden", "offline", "sent", "skipped_forbidden", "error", "sent"]
    assert outcome(done) == ("completed", statuses, (7, 3, 1, 1, 2))
    assert [r["message"] for r in done["results"]][2::3] == ["The charger is offline.", "Rejected"]
    assert emu.bulk_runs == [done]

    # each job reached its charger once, in due order; the offline charger never got it
    records = [(a.uuid, a.action, a.outcome, a.applied) for a in emu.actions]
    assert records == [
        (first, "bulk-command", "Accepted", True),
        (second, "bulk-command", "Accepted", True),
        (rejecting, "bulk-command", "Rejected", False),
        (third, "bulk-command", "Accepted", True),
    ]
    assert emu.actions[0].body == {"run": run["uuid"], "command": "Reset", "data": {"type": "Soft"}}
    clock.advance(10.0)
    assert await run_of(session, emu, run["uuid"]) == done
    assert len(emu.actions) == 4


async def test_bulk_reset_restarts_the_charger_when_its_job_runs(
    emu: PlugchoiceEmulator, clock: FakeClock, session: aiohttp.ClientSession
) -> None:
    (uuid,) = ready(emu)
    base = f"{emu.base_url}/chargers/{uuid}"
    assert await call(session, "POST", f"{base}/actions/start", {"id_token": "CARD1", "connector_id": 1}) == (
        200,
        {"status": "Accepted"},
    )
    assert emu.bulk_delay == 0.05  # the default
    status, body = await bulk(session, emu, {"command": "Reset", "data": {"type": "Hard"}, "charger_ids": [uuid]})
    assert status == 202 and body["data"]["status"] == "running"
    assert (await get(session, base))[1]["data"]["connectors"][0]["status"] == "Charging"
    clock.advance(0.05)
    assert (await get(session, base))[1]["data"]["connectors"][0]["status"] == "Available"
    assert emu.transactions(uuid)[-1]["stop_reason"] == "SoftReset"
    _, logs = await get(session, f"{base}/logs?filter[method]=Reset")
    assert logs["data"][0]["params"] == {"type": "Hard"} and logs["data"][0]["result"] == {"status": "Accepted"}
    assert (await run_of(session, emu, body["data"]["uuid"]))["status"] == "completed"


async def test_bulk_errors_and_a_zero_delay(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    emu.bulk_delay = 0  # every job runs at once: the POST answers the finished run
    silent, late, fine = ready(emu, 3)
    emu.set_action_behaviour(silent, "offline")
    emu.set_action_behaviour(late, "slow")
    body = {"command": "ChangeAvailability", "data": {"connectorId": 0, "type": "Inoperative"}}
    status, answer = await bulk(session, emu, {**body, "charger_ids": [silent, late, fine]})
    assert status == 202
    run = answer["data"]
    assert outcome(run) == ("completed", ["error", "error", "sent"], (3, 1, 0, 2, 0))
    assert [r["message"] for r in run["results"][:2]] == [TIMEOUT["message"]] * 2
    assert [(a.uuid, a.outcome, a.applied) for a in emu.actions] == [
        (silent, "Timeout", False),
        (late, "Timeout", True),  # a slow charger acts, then answers too late
        (fine, "Accepted", True),
    ]
    locked = [(await get(session, f"{emu.base_url}/chargers/{u}/settings/lock"))[1]["enabled"] for u in run_uuids(run)]
    assert locked == [False, True, True]
    with pytest.raises(ValueError, match="bulk_delay"):
        emu.bulk_delay = -1


def run_uuids(run: dict[str, Any]) -> list[str]:
    return [r["charger_uuid"] for r in run["results"]]


async def test_bulk_job_of_a_removed_charger_ends_in_error(
    emu: PlugchoiceEmulator, clock: FakeClock, session: aiohttp.ClientSession
) -> None:
    emu.bulk_delay = 1.0
    (uuid,) = ready(emu)
    _, body = await bulk(session, emu, {"command": "ClearCache", "charger_ids": [uuid]})
    emu.remove_charger(uuid)
    clock.advance(1.0)
    (result,) = (await run_of(session, emu, body["data"]["uuid"]))["results"]
    assert (result["status"], result["message"], result["charger"]) == ("error", "The charger no longer exists.", None)
    assert emu.actions == []


async def test_bulk_run_is_read_only_by_its_creator(emu: PlugchoiceEmulator, session: aiohttp.ClientSession) -> None:
    (uuid,) = ready(emu)
    _, body = await bulk(session, emu, {"command": "TriggerMessage", "charger_ids": [uuid]})
    run = body["data"]["uuid"]
    assert body["data"]["data"] == {}  # no data sent
    assert (await run_of(session, emu, run))["uuid"] == run
    missing = {"message": "No query results for model [App\\Models\\BulkCommandRun]."}
    async with aiohttp.ClientSession(headers=auth(OTHER_TOKEN)) as other:
        assert await get(other, f"{emu.base_url}/chargers/commands/bulk/{run}") == (404, missing)
    assert await get(session, f"{emu.base_url}/chargers/commands/bulk/{UNKNOWN}") == (404, missing)


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"charger_ids": [UNKNOWN]}, {"command": ["The command field is required."]}),
        ({"command": "Reboot", "charger_ids": [UNKNOWN]}, {"command": ["The selected command is invalid."]}),
        ({"command": "Reset"}, {"charger_ids": ["The charger ids field is required."]}),
        ({"command": "Reset", "charger_ids": []}, {"charger_ids": ["The charger ids field is required."]}),
        ({"command": "Reset", "charger_ids": UNKNOWN}, {"charger_ids": ["The charger ids field must be an array."]}),
        (
            {"command": "Reset", "charger_ids": [UNKNOWN, "ACE0000001", 5]},
            {
                "charger_ids.1": ["The charger ids.1 field must be a valid UUID."],
                "charger_ids.2": ["The charger ids.2 field must be a valid UUID."],
            },
        ),
        (
            {"command": "Reset", "data": "Soft", "charger_ids": [UNKNOWN]},
            {"data": ["The data field must be an array."]},
        ),
    ],
)
async def test_bulk_validation(
    emu: PlugchoiceEmulator, session: aiohttp.ClientSession, body: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    status, answer = await bulk(session, emu, body)
    assert status == 422
    assert answer["errors"] == errors
    assert answer["message"].startswith(next(iter(errors.values()))[0])
    assert emu.bulk_runs == [] and emu.actions == []


# -- composite schedule ----------------------------------------------------------------------------------


async def composite(session: aiohttp.ClientSession, emu: PlugchoiceEmulator, uuid: str, **body: Any) -> tuple[int, Any]:
    return await call(session, "POST", f"{emu.base_url}/chargers/{uuid}/actions/composite-schedule", body)


def periods(answer: dict[str, Any]) -> list[tuple[int, float, int]]:
    return [
        (p["startPeriod"], p["limit"], p["numberPhases"]) for p in answer["chargingSchedule"]["chargingSchedulePeriod"]
    ]


async def test_composite_schedule_follows_charge_limits(
    emu: PlugchoiceEmulator, session: aiohttp.ClientSession
) -> None:
    (uuid,) = ready(emu, test=three_phase)
    base = f"{emu.base_url}/chargers/{uuid}/actions"

    status, answer = await composite(session, emu, uuid, connector_id=0, duration=3600)
    assert status == 200
    published = fixture("actions.composite-schedule.docs.json")
    assert list(answer) == list(published)
    assert list(answer["chargingSchedule"]) == [k for k in published["chargingSchedule"] if k != "minChargingRate"]
    assert OCPP_TIME.fullmatch(answer["scheduleStart"])
    assert answer["chargingSchedule"] == {
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 32.0, "numberPhases": 3}],  # no profile: the rating
        "duration": 3600,
        "startSchedule": answer["scheduleStart"],
    }
    assert (answer["status"], answer["connectorId"]) == ("Accepted", 0)
    structured = _converter.structure_strict(answer, CompositeSchedule)
    assert structured.charging_schedule is not None and structured.charging_schedule.duration == 3600

    async def limits(connector_id: int = 0, **body: Any) -> list[tuple[int, float, int]]:
        status, answer = await composite(session, emu, uuid, connector_id=connector_id, duration=600, **body)
        assert status == 200 and answer["connectorId"] == connector_id
        return periods(answer)

    assert await limits(charging_rate_unit="W") == [(0, 22080.0, 3)]  # 32 A on three phases of 230 V
    await call(session, "POST", f"{base}/charge-limit", {"connector_id": 0, "limit": 10, "stack_level": 1})
    assert await limits() == [(0, 10.0, 3)]
    assert await limits(1) == [(0, 10.0, 3)]  # connector 0 profiles apply to every connector
    await call(session, "POST", f"{base}/charge-limit", {"connector_id": 0, "limit": 6, "stack_level": 2})
    assert await limits() == [(0, 6.0, 3)]  # the higher stack level overrides
    await call(session, "POST", f"{base}/charge-limit", {"connector_id": 0, "limit": 20, "stack_level": 1})
    assert await limits() == [(0, 6.0, 3)]  # the level-1 limit changed, level 2 still wins
    clear = f"{base}/clear-charging-profile"
    assert await call(session, "POST", clear, {"stack_level": 2}) == (200, {"status": "Accepted"})
    assert await limits() == [(0, 20.0, 3)]
    assert await call(session, "POST", clear, {}) == (200, {"status": "Accepted"})
    assert await limits() == [(0, 32.0, 3)]  # a cleared profile no longer counts

    records = [a for a in emu.actions if a.action == "composite-schedule"]
    assert records[0].body == {"connector_id": 0, "duration": 3600, "charging_rate_unit": None}
    assert {(a.outcome, a.applied) for a in records} == {("Accepted", False)}  # a read: nothing changed


async def test_composite_schedule_merges_profiles_over_time(
    emu: PlugchoiceEmulator, session: aiohttp.ClientSession
) -> None:
    (uuid,) = ready(emu, test=three_phase)
    base = f"{emu.base_url}/chargers/{uuid}/actions"

    def profile(profile_id: int, purpose: str, steps: list[tuple[int, float]], **extra: Any) -> dict[str, Any]:
        return {
            "charging_profile_id": profile_id,
            "stack_level": 1,
            "charging_profile_purpose": purpose,
            "charging_profile_kind": "Absolute",
            "charging_schedule": {
                "charging_rate_unit": "A",
                "charging_schedule_period": [{"start_period": s, "limit": limit} for s, limit in steps],
                **extra,
            },
        }

    tx_default = profile(1, "TxDefaultProfile", [(0, 16), (1800, 8)], min_charging_rate=6)
    assert await call(
        session, "POST", f"{base}/charging-profile", {"connector_id": 1, "charging_profile": tx_default}
    ) == (200, {"status": "Accepted"})
    _, answer = await composite(session, emu, uuid, connector_id=1, duration=3600)
    assert periods(answer) == [(0, 16.0, 3), (1800, 8.0, 3)]
    assert answer["chargingSchedule"]["minChargingRate"] == 6.0
    _, answer = await composite(session, emu, uuid, connector_id=1, duration=1200)
    assert periods(answer) == [(0, 16.0, 3)]  # only the window asked for
    cap = profile(2, "ChargePointMaxProfile", [(0, 10)], duration=2400)
    await call(session, "POST", f"{base}/charging-profile", {"connector_id": 0, "charging_profile": cap})
    _, answer = await composite(session, emu, uuid, connector_id=1, duration=3600)
    assert periods(answer) == [(0, 10.0, 3), (1800, 8.0, 3)]  # the minimum of the cap and the profile
    _, answer = await composite(session, emu, uuid, connector_id=1, duration=3600, charging_rate_unit="W")
    assert periods(answer) == [(0, 6900.0, 3), (1800, 5520.0, 3)]
    _, answer = await composite(session, emu, uuid, connector_id=0, duration=3600)
    assert periods(answer) == [(0, 10.0, 3), (2400, 32.0, 3)]  # connector 1's profile is not the charger's


async def test_composite_schedule_of_offline_rejecting_or_unknown(
    emu: PlugchoiceEmulator, session: aiohttp.ClientSession
) -> None:
    offline = next(u for u, c in emu.chargers.items() if c["connection_status"] == "offline")
    assert await composite(session, emu, offline, connector_id=1, duration=60) == (504, TIMEOUT)
    rejecting, fine = ready(emu, 2)
    emu.set_action_behaviour(rejecting, "reject")
    assert await composite(session, emu, rejecting, connector_id=1, duration=60) == (
        200,
        {"status": "Rejected", "connectorId": 1},
    )
    assert await composite(session, emu, fine, connector_id=9, duration=60) == (
        200,
        {"status": "Rejected", "connectorId": 9},
    )
    assert await composite(session, emu, emu.foreign_uuids[0], connector_id=1, duration=60) == (
        403,
        {"message": "This action is unauthorized."},
    )


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {},
            {"connector_id": ["The connector id field is required."], "duration": ["The duration field is required."]},
        ),
        ({"connector_id": -1, "duration": 60}, {"connector_id": ["The connector id field must be at least 0."]}),
        ({"connector_id": 1, "duration": 0}, {"duration": ["The duration field must be greater than 0."]}),
        ({"connector_id": 1, "duration": "long"}, {"duration": ["The duration field must be an integer."]}),
        (
            {"connector_id": 1, "duration": 60, "charging_rate_unit": "kW"},
            {"charging_rate_unit": ["The selected charging rate unit is invalid."]},
        ),
    ],
)
async def test_composite_schedule_validation(
    emu: PlugchoiceEmulator, session: aiohttp.ClientSession, body: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    (uuid,) = ready(emu)
    status, answer = await composite(session, emu, uuid, **body)
    assert (status, answer["errors"]) == (422, errors)
    assert emu.actions == []
