"""Bulk commands: one OCPP command sent to many chargers by queued jobs, polled as a "run".

``POST /chargers/commands/bulk`` validates the body and answers 202 with the new run; ``GET
/chargers/commands/bulk/{run}`` shows it again (404 for an unknown run, or one another token or OAuth client created).

Every outcome is decided when the run is created, from the state then:

* a uuid that is not one of the user's chargers (another owner's, or unknown) is ``skipped_forbidden`` at once;
* every other charger gets a job, the i-th (from 0, in ``charger_ids`` order) finishing ``delay * (i + 1)`` seconds
  of ``clock`` after the creation; its result is ``pending`` until then, and then ``offline`` (the charger was not
  online), ``error`` (its action behaviour rejects, stays silent or answers late) or ``sent``.

A run's status and counts are therefore a pure function of ``clock``. When a job's time comes (checked by
:meth:`BulkCommands.settle` before every request is routed), the command reaches the charger once, like any other
command (logged, recorded in ``actions``), and its effect is applied: ``Reset`` restarts the charger and
``ChangeAvailability`` on connector 0 (or none) locks or unlocks it; other commands change nothing. A charger removed
before its job ran ends in ``error``.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ._fleet import format_timestamp, random_uuid
from ._state import Behaviour, State
from ._web import AddRoute, RouteGroup, Validator, not_found_model, ok, read_input

__all__ = ["OCPP_COMMANDS", "BulkCommands", "BulkRoutes"]

#: The commands a central system sends to an OCPP 1.6 charge point.
OCPP_COMMANDS = (
    "CancelReservation",
    "ChangeAvailability",
    "ChangeConfiguration",
    "ClearCache",
    "ClearChargingProfile",
    "DataTransfer",
    "GetCompositeSchedule",
    "GetConfiguration",
    "GetDiagnostics",
    "GetLocalListVersion",
    "RemoteStartTransaction",
    "RemoteStopTransaction",
    "ReserveNow",
    "Reset",
    "SendLocalList",
    "SetChargingProfile",
    "TriggerMessage",
    "UnlockConnector",
    "UpdateFirmware",
)
_EPSILON = 1e-9  # a job is due at its instant even when the clock got there by float steps (0.05 + 0.05 + ...)
_FORBIDDEN = "You do not have access to this charger."
_OFFLINE = "The charger is offline."
_TIMEOUT = "The charger did not respond in time."
_MESSAGES: dict[Behaviour, tuple[str, str]] = {  # behaviour -> (result status, message)
    "accept": ("sent", "Accepted"),
    "reject": ("error", "Rejected"),
    "offline": ("error", _TIMEOUT),
    "slow": ("error", _TIMEOUT),
}


def _change_availability(state: State, uuid: str, data: dict[str, Any]) -> str:
    if data.get("connectorId") in (None, 0) and data.get("type") in ("Inoperative", "Operative"):
        state.set_lock(uuid, data["type"] == "Inoperative")
    return "Accepted"


#: Commands that change the emulated charger: (state, uuid, data) -> the charger's status.
_EFFECTS: dict[str, Callable[[State, str, dict[str, Any]], str]] = {
    "Reset": lambda state, uuid, data: state.restart(uuid),
    "ChangeAvailability": _change_availability,
}


@dataclass(slots=True)
class BulkResult:
    """One charger's row of a run: the outcome it reaches at ``due`` (a ``clock`` value)."""

    charger_uuid: str
    outcome: str  # sent, offline, error, skipped_forbidden
    due: float
    message: str
    behaviour: Behaviour | None  # how the charger answers, when the command reaches it (None: it never does)


@dataclass(slots=True)
class BulkRun:
    """A bulk command and its results; ``owner`` is the token (or OAuth client) that created it."""

    uuid: str
    command: str
    data: dict[str, Any]
    owner: str
    created: float  # clock
    created_epoch: float  # the emulator's "now" then
    results: list[BulkResult]


class BulkCommands:
    """Every run, and the jobs still to reach their chargers."""

    def __init__(self, state: State, clock: Callable[[], float], seed: int) -> None:
        self.state = state
        self.clock = clock
        self.delay = 0.05  # seconds of clock between two jobs of a run
        self.runs: dict[str, BulkRun] = {}
        self._jobs: list[tuple[float, int, BulkRun, BulkResult]] = []  # a heap, by due time
        self._next_job = 0
        self._rng = random.Random(f"plugchoice-bulk:{seed}")

    def create(self, owner: str, command: str, data: dict[str, Any], charger_ids: list[str]) -> BulkRun:
        """A new run over ``charger_ids`` (duplicates once), every outcome decided now (see the module)."""
        state = self.state
        created = self.clock()
        run = BulkRun(random_uuid(self._rng), command, data, owner, created, state.now(), [])
        jobs = 0
        for uuid in dict.fromkeys(charger_ids):
            charger = state.chargers.get(uuid)
            if charger is None:
                run.results.append(BulkResult(uuid, "skipped_forbidden", created, _FORBIDDEN, None))
                continue
            jobs += 1
            due = created + self.delay * jobs
            if charger["connection_status"] != "online":
                run.results.append(BulkResult(uuid, "offline", due, _OFFLINE, None))
                continue
            behaviour = state.behaviours.get(uuid, "accept")
            outcome, message = _MESSAGES[behaviour]
            result = BulkResult(uuid, outcome, due, message, behaviour)
            run.results.append(result)
            heapq.heappush(self._jobs, (due, self._next_job, run, result))
            self._next_job += 1
        self.runs[run.uuid] = run
        return run

    def settle(self) -> None:
        """Let every job whose time has come reach its charger (in due order)."""
        jobs = self._jobs
        if not jobs:
            return
        now = self.clock() + _EPSILON
        while jobs and jobs[0][0] <= now:
            _, _, run, result = heapq.heappop(jobs)
            self._dispatch(run, result)

    def _dispatch(self, run: BulkRun, result: BulkResult) -> None:
        state = self.state
        uuid = result.charger_uuid
        if uuid not in state.chargers:
            result.outcome, result.message = "error", "The charger no longer exists."
            return
        effect = _EFFECTS.get(run.command)

        def command() -> str:
            return "Accepted" if effect is None else effect(state, uuid, run.data)

        body = {"run": run.uuid, "command": run.command, "data": run.data}
        state.perform(
            uuid,
            "bulk-command",
            run.command,
            body,
            command,
            result.behaviour,
            params=run.data,
            changes_state=effect is not None,
        )

    def document(self, run: BulkRun) -> dict[str, Any]:
        """The run as the API shows it now (jobs due are settled first)."""
        self.settle()
        now = self.clock() + _EPSILON
        chargers = self.state.chargers
        counts: Counter[str] = Counter()
        results = []
        for result in run.results:
            done = result.due <= now
            status = result.outcome if done else "pending"
            counts[status] += 1
            charger = chargers.get(result.charger_uuid)
            executed = run.created_epoch + (result.due - run.created)
            results.append(
                {
                    "charger_uuid": result.charger_uuid,
                    "status": status,
                    "message": result.message if done else None,
                    "executed_at": format_timestamp(executed) if done else None,
                    "charger": None
                    if charger is None
                    else {name: charger[name] for name in ("uuid", "identity", "reference")},
                }
            )
        return {
            "uuid": run.uuid,
            "command": run.command,
            "data": run.data,
            "status": "running" if counts["pending"] else "completed",
            "total_count": len(results),
            "sent_count": counts["sent"],
            "offline_count": counts["offline"],
            "error_count": counts["error"],
            "skipped_count": counts["skipped_forbidden"],
            "results": results,
        }


class BulkRoutes(RouteGroup):
    """``/chargers/commands/bulk`` and its runs; ``caller`` names who sent a request (its token or OAuth client)."""

    def __init__(self, state: State, bulk: BulkCommands, caller: Callable[[web.Request], str]) -> None:
        super().__init__(state)
        self.bulk = bulk
        self.caller = caller

    def register(self, add: AddRoute) -> None:
        add("POST", "/chargers/commands/bulk", self.create)
        add("GET", "/chargers/commands/bulk/{run}", self.get)

    async def create(self, request: web.Request) -> web.Response:
        check = Validator(await read_input(request))
        command = check.one_of("command", OCPP_COMMANDS, required=True)
        data = check.mapping("data", nullable=True)
        ids = check.items("charger_ids", required=True, min=1)
        uuids = [check.uuid(f"charger_ids.{index}", required=True) for index in range(len(ids or ()))]
        if check.failed or command is None:
            return check.response()
        charger_ids = [uuid.lower() for uuid in uuids if uuid is not None]  # MySQL compares them case-blind
        run = self.bulk.create(self.caller(request), command, data or {}, charger_ids)
        return ok({"data": self.bulk.document(run)}, 202)

    async def get(self, request: web.Request) -> web.Response:
        run = self.bulk.runs.get(request.match_info["run"])
        if run is None or run.owner != self.caller(request):
            return not_found_model("BulkCommandRun")
        return ok({"data": self.bulk.document(run)})
