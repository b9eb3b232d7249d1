"""A charger's generated past: charging sessions, the meter values they recorded and the OCPP message log.

A :class:`History` is built on first use from the charger's document and the seed alone (so the same seed gives the
same history whatever was asked first); meter values and log entries are built on their own first use, from the
sessions generated then. Live commands (start, stop, ...) then add to it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson

from ._fleet import DAY, REFERENCE_EPOCH, format_timestamp, parse_timestamp

__all__ = [
    "INSIGNIFICANT_METHODS",
    "SAMPLE_INTERVAL",
    "History",
    "LogEntry",
    "MeterValueRow",
    "TransactionRow",
    "charger_transaction",
    "graph",
    "log_entry",
    "meter_value",
    "ocpp_command",
    "ocpp_time",
    "phases_of",
    "site_transaction",
    "team_transaction",
]

_HOUR = 3600
#: Seconds of the emulator's clock between two ``Sample.Periodic`` sets of a running session.
SAMPLE_INTERVAL = 300
_BACKFILL = 2 * DAY  # a running session is sampled at most this far back (after a jump of the clock)
_MAX_ROWS = 100_000  # meter values kept per charger, the newest
_REGISTER = "Energy.Active.Import.Register"
_PHASES = ("L1", "L2", "L3")
_SUSPENDED = frozenset(("SuspendedEV", "SuspendedEVSE"))
_MAX_ENERGY_SECONDS = 8 * _HOUR  # a car is full after this long: the register stops growing
_STOP_REASONS = ("EVDisconnected", "Local", "Remote", "Other", "PowerLoss", "DeAuthorized")
_STOP_WEIGHTS = (40, 25, 15, 10, 6, 4)
_ACTIVE_STATUSES = frozenset(("Charging", "SuspendedEV", "SuspendedEVSE"))
#: Methods hidden by ``filter[hide_insignificant]``.
INSIGNIFICANT_METHODS = frozenset(("Heartbeat", "MeterValues"))


def phases_of(connector: dict[str, Any]) -> int:
    """How many phases the connector charges on: 3, 1, or 0 for DC (and for an unknown power type)."""
    power_type = connector.get("power_type")
    return 3 if power_type == "AC_3_PHASE" else 1 if power_type == "AC_1_PHASE" else 0


@dataclass(slots=True)
class TransactionRow:
    """One charging session (``stopped`` None while active); times are epoch seconds."""

    id: int
    charger_id: int
    connector_id: int  # the connector's number on the charger
    connector_db_id: int  # the connector's own id (``charger_connector_id``)
    id_tag: str
    meter_start: int  # Wh
    started: int
    power: float  # W drawn while charging
    meter_stop: int | None = None
    stopped: int | None = None
    stop_reason: str | None = None
    reservation_id: int | None = None
    kwh_as_number: bool = False  # the API writes total_kwh as a number for some sessions, "7.00" for others
    updated: int = 0
    #: Seconds after which the car is full (the register stops growing, no more power); None: never.
    full_after: int | None = _MAX_ENERGY_SECONDS

    @property
    def active(self) -> bool:
        return self.stopped is None

    def register_at(self, epoch: float) -> int:
        """The energy register (Wh) at ``epoch`` while this session runs."""
        seconds = max(epoch - self.started, 0.0)
        if self.full_after is not None:
            seconds = min(seconds, self.full_after)
        return self.meter_start + int(self.power * seconds / _HOUR)

    def charging_at(self, epoch: float) -> bool:
        """Whether the car still takes energy at ``epoch`` (not yet full)."""
        return self.full_after is None or epoch - self.started < self.full_after

    def total_kwh(self) -> float | str:
        kwh = 0.0 if self.meter_stop is None else (self.meter_stop - self.meter_start) / 1000
        return round(kwh, 2) if self.kwh_as_number else f"{kwh:.2f}"

    def close(self, epoch: int, reason: str) -> None:
        """Stop the session at ``epoch``."""
        self.meter_stop = self.register_at(epoch)
        self.stopped = epoch
        self.stop_reason = reason
        self.updated = epoch


def _stamp(epoch: int | None) -> str | None:
    return None if epoch is None else format_timestamp(epoch)


def charger_transaction(tx: TransactionRow, charger: dict[str, Any]) -> dict[str, Any]:
    """The item of ``GET /chargers/{c}/transactions``."""
    return {
        "id": tx.id,
        "charger_id": tx.charger_id,
        "charger_connector_id": tx.connector_db_id,
        "reservation_id": tx.reservation_id,
        "id_tag": tx.id_tag,
        "meter_start": tx.meter_start,
        "meter_stop": tx.meter_stop,
        "total_kwh": tx.total_kwh(),
        "started_at": format_timestamp(tx.started),
        "stopped_at": _stamp(tx.stopped),
        "stop_reason": tx.stop_reason,
        "created_at": format_timestamp(tx.started),
        "updated_at": format_timestamp(tx.updated),
        "charger": {"uuid": charger["uuid"], "identity": charger["identity"]},
        "connector": {"connector_id": tx.connector_id},
    }


def site_transaction(tx: TransactionRow, charger: dict[str, Any]) -> dict[str, Any]:
    """The item of ``GET /sites/{s}/transactions`` (the charger carries its reference too)."""
    item = charger_transaction(tx, charger)
    item["charger"]["reference"] = charger.get("reference")
    return item


def team_transaction(tx: TransactionRow, charger: dict[str, Any], site: dict[str, Any] | None) -> dict[str, Any]:
    """The item of ``GET /teams/{t}/transactions``."""
    return {
        "id": tx.id,
        "status": "active" if tx.active else "finished",
        "charger": {
            "uuid": charger["uuid"],
            "identity": charger["identity"],
            "reference": charger.get("reference"),
            "site": None if site is None else {"uuid": site["uuid"], "name": site["name"]},
            "is_mid": charger.get("model_id") in (1, 2, 6),  # the Alfen and Peblar models have a MID meter
        },
        "connector_id": tx.connector_id,
        "id_tag": tx.id_tag,
        "started_at": format_timestamp(tx.started),
        "stopped_at": _stamp(tx.stopped),
        "meter_start": tx.meter_start,
        "meter_stop": tx.meter_stop,
        "total_kwh": tx.total_kwh(),
        "stop_reason": tx.stop_reason,
    }


def graph(tx: TransactionRow, now: int, offered: float, phases: int) -> dict[str, Any]:
    """The transaction graph: energy, current and voltage every 5 minutes (288 points at most)."""
    end = tx.stopped if tx.stopped is not None else max(now, tx.started)
    step = max(300, -(-(end - tx.started) // 288 // 300) * 300)
    amps = tx.power / (230 * phases) if phases else 0.0
    energy: list[dict[str, Any]] = []
    current: list[dict[str, Any]] = []
    voltage: list[dict[str, Any]] = []
    for epoch in range(tx.started - tx.started % 300, end + 1, step):
        date = format_timestamp(epoch)[:19] + "+00:00"
        kwh = round((tx.register_at(epoch) - tx.meter_start) / 1000, 3)
        energy.append({"date": date, "value": kwh, "unit": "kWh"})
        charging = tx.charging_at(epoch)
        wobble = (epoch // 300) % 3 / 10
        level = [round(amps - wobble, 1), round(amps - 0.2 + wobble, 1), round(amps + 0.1, 1)]
        if not charging:
            level = [0, 0, 0]
        elif phases == 1:
            level[1] = level[2] = 0
        current.append({"date": date, "L1": level[0], "L2": level[1], "L3": level[2], "offered": offered})
        voltage.append({"date": date, "L1": 230.1 - wobble, "L2": 229.8 + wobble, "L3": 230.5})
    return {"energy": energy, "current": current, "voltage": voltage}


class MeterValueRow(NamedTuple):
    """One sampled value of a charger's meter."""

    epoch: int
    connector_id: int
    connector_db_id: int
    transaction_id: int | None
    value: str
    context: str
    measurand: str
    phase: str | None
    location: str
    unit: str


def _by_epoch(row: MeterValueRow) -> int:
    return row.epoch


def meter_value(row: MeterValueRow, charger_id: int) -> dict[str, Any]:
    """The item of ``GET /chargers/{c}/metervalues`` (the newer shape: both id spellings, no row id)."""
    return {
        "id": None,
        "charger_id": charger_id,
        "charger_connector_id": row.connector_db_id,
        "connector_id": row.connector_id,
        "charger_transaction_id": row.transaction_id,
        "transaction_id": row.transaction_id,
        "timestamp": format_timestamp(row.epoch),
        "value": row.value,
        "context": row.context,
        "format": "Raw",
        "measurand": row.measurand,
        "phase": row.phase,
        "location": row.location,
        "unit": row.unit,
    }


@dataclass(slots=True)
class LogEntry:
    """One OCPP message between the charger and Plugchoice (``destination``: who received it)."""

    id: int
    epoch: int
    method: str
    destination: str  # "centralsystem" (sent by the charger) or "charger" (a command to it)
    status: str  # pending, done, failed
    params: dict[str, Any]
    result: dict[str, Any] | None
    params_as_string: bool = False  # the API returns params as a JSON string for some entries
    updated: int = 0


def log_entry(entry: LogEntry, charger_id: int) -> dict[str, Any]:
    """The item of ``GET /chargers/{c}/logs``."""
    params: Any = orjson.dumps(entry.params).decode() if entry.params_as_string else entry.params
    return {
        "id": entry.id,
        "charger_id": charger_id,
        "status": entry.status,
        "version": "1.6",
        "method": entry.method,
        "destination": entry.destination,
        "params": params,
        "result": entry.result,
        "created_at": format_timestamp(entry.epoch),
        "updated_at": format_timestamp(entry.updated or entry.epoch),
    }


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _ocpp_shape(value: Any) -> Any:
    """A REST body as OCPP writes it: camelCase keys, optional (None) fields left out."""
    if isinstance(value, dict):
        return {_camel(key): _ocpp_shape(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_ocpp_shape(item) for item in value]
    return value


#: ``chargingProfileId`` of the profile ``actions/charge-limit`` sends: one per stack level, so a new limit at a
#: level replaces the one before it on the charger too.
CHARGE_LIMIT_PROFILE_ID = 900


def ocpp_command(action: str, body: dict[str, Any], active_transaction: int | None = None) -> dict[str, Any]:
    """The OCPP 1.6 payload the central system sends a charger for the REST ``actions/<action>`` ``body``.

    ``active_transaction`` is the session ``stop`` ends when the body names none. This is what the log's ``params``
    hold (the REST body is what ``ActionRecord.body`` keeps).
    """
    if action == "start":
        return {"connectorId": body.get("connector_id") or 1, "idTag": body["id_token"]}
    if action == "stop":
        wanted = body.get("transaction_id")
        return {"transactionId": active_transaction if wanted is None else wanted}
    if action == "restart":
        return {"type": "Soft"}
    if action == "charge-limit":
        level = body["stack_level"]
        return {
            "connectorId": body["connector_id"],
            "csChargingProfiles": {
                "chargingProfileId": CHARGE_LIMIT_PROFILE_ID + level,
                "stackLevel": level,
                "chargingProfilePurpose": "TxDefaultProfile",
                "chargingProfileKind": "Absolute",
                "chargingSchedule": {
                    "chargingRateUnit": "A",
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": float(body["limit"])}],
                },
            },
        }
    if action == "charging-profile":
        profile = _ocpp_shape(body["charging_profile"])
        for period in profile.get("chargingSchedule", {}).get("chargingSchedulePeriod", []):
            period["limit"] = float(period["limit"])
        return {"connectorId": body["connector_id"], "csChargingProfiles": profile}
    shaped: dict[str, Any] = _ocpp_shape(body)
    return shaped  # clear-charging-profile (id, connectorId, ...), composite-schedule (connectorId, duration, ...)


def ocpp_time(epoch: float) -> str:
    """A timestamp as OCPP messages carry it: ``2026-01-10T12:00:00Z`` (UTC, whole seconds)."""
    return format_timestamp(epoch)[:19] + "Z"


def _id_tag(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return f"{rng.getrandbits(56):014X}"  # an RFID card's 7-byte UID
    letters = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(4))
    return f"{letters}{rng.randrange(10_000):04d}"


@dataclass(slots=True)
class History:
    """A charger's sessions (chronological), and lazily its meter values and log."""

    seed: int
    charger: dict[str, Any]
    transactions: list[TransactionRow] = field(default_factory=list)
    id_tags: tuple[str, ...] = ()
    _metervalues: list[MeterValueRow] = field(default_factory=list)
    _sampled: dict[int, int] = field(default_factory=dict)  # running session -> its last sample's epoch
    _ended: set[int] = field(default_factory=set)  # sessions sampled to their end
    _logs: list[LogEntry] | None = None
    _next_log_id: int = 0

    @classmethod
    def generate(cls, charger: dict[str, Any], seed: int) -> History:
        """Sessions for ``charger``: a few finished ones per connector, and an active one on each connector that is
        charging now (for an online charger). A charger never seen has none."""
        history = cls(seed, charger)
        if charger["connection_status"] == "never_seen":
            return history
        rng = random.Random(f"plugchoice-history:{seed}:{charger['uuid']}")
        history.id_tags = tuple(_id_tag(rng) for _ in range(rng.randint(1, 3)))
        online = charger["connection_status"] == "online"
        end = REFERENCE_EPOCH
        if not online and charger.get("last_disconnection_at"):
            end = parse_timestamp(charger["last_disconnection_at"])
        sessions: list[TransactionRow] = []
        for connector in charger["connectors"]:
            phases = phases_of(connector)
            dc = phases == 0
            register = rng.randrange(50_000, 4_000_000)
            cursor = end
            active: TransactionRow | None = None
            if online and connector["status"] in _ACTIVE_STATUSES:
                started = end - rng.randrange(600, 6 * _HOUR)
                active = TransactionRow(
                    0, charger["id"], connector["connector_id"], connector["id"], "", 0, started, 0.0
                )
                active.full_after = None  # charging at the reference instant, it charges on whenever it is read
                cursor = started
            finished: list[tuple[int, int]] = []
            for _ in range(rng.randint(1, 4)):
                stop = cursor - rng.randrange(_HOUR, 4 * DAY)
                start = stop - (rng.randrange(900, _HOUR) if dc else rng.randrange(1200, 10 * _HOUR))
                finished.append((start, stop))
                cursor = start
            for start, stop in reversed(finished):
                power = rng.uniform(20_000, 50_000) if dc else rng.uniform(3_000, 7_400 if phases == 1 else 11_000)
                tx = TransactionRow(
                    0, charger["id"], connector["connector_id"], connector["id"], "", register, start, power
                )
                tx.close(stop, rng.choices(_STOP_REASONS, _STOP_WEIGHTS)[0])
                register = tx.meter_stop or register
                sessions.append(tx)
            if active is not None:
                active.meter_start = register
                active.power = rng.uniform(20_000, 50_000) if dc else rng.uniform(3_000, 11_000)
                active.updated = active.started
                sessions.append(active)
        sessions.sort(key=lambda tx: tx.started)
        for number, tx in enumerate(sessions, start=1):
            tx.id = charger["id"] * 100 + number
            tx.id_tag = rng.choice(history.id_tags)
            tx.reservation_id = rng.randrange(1000, 9999) if rng.random() < 0.05 else None
            tx.kwh_as_number = rng.random() < 0.3
        history.transactions = sessions
        return history

    def active_on(self, connector_id: int) -> TransactionRow | None:
        """The session running on a connector, if any."""
        for tx in reversed(self.transactions):
            if tx.active and tx.connector_id == connector_id:
                return tx
        return None

    def register(self, connector_id: int, epoch: float) -> int | None:
        """A connector's energy register (Wh) at ``epoch``, from its sessions (None without any)."""
        for tx in reversed(self.transactions):
            if tx.connector_id == connector_id:
                return tx.register_at(epoch) if tx.active else tx.meter_stop
        return None

    # -- meter values ----------------------------------------------------------------------------

    def metervalues(self, now: float) -> list[MeterValueRow]:
        """Every value sampled up to ``now`` (epoch seconds), chronological; see :meth:`sync`."""
        self.sync(int(now))
        return self._metervalues

    def sync(self, now: int) -> None:
        """Sample every session up to ``now``: what the chargers sent while nobody asked.

        A session sends its ``Transaction.Begin`` reading, then a ``Sample.Periodic`` set every ``SAMPLE_INTERVAL``
        seconds of the emulator's clock (register, power, and current and voltage per phase) while it runs, and
        its ``Transaction.End`` register when it stops. Samples are made here, on read, so an idle emulator costs
        nothing; a running session is sampled at most ``_BACKFILL`` back from now (after a long jump of the
        clock), an unreachable charger's session is sampled once the charger is back online (as chargers queue
        their meter values), and a charger keeps at most ``_MAX_ROWS`` values (the oldest go first).
        """
        fresh: list[MeterValueRow] = []
        online = self.charger.get("connection_status") == "online"
        for tx in self.transactions:
            if tx.id in self._ended or tx.started > now:
                continue
            last = self._sampled.get(tx.id)
            if last is None:
                fresh += self._sample(tx, tx.started, "Transaction.Begin")
                last = tx.started
            if tx.stopped is not None or online:
                end = now if tx.stopped is None else min(now, tx.stopped - 1)
                first = max(last + 1, end - _BACKFILL)
                epoch = tx.started + max(1, -(-(first - tx.started) // SAMPLE_INTERVAL)) * SAMPLE_INTERVAL
                while epoch <= end:
                    fresh += self._sample(tx, epoch, "Sample.Periodic")
                    last = epoch
                    epoch += SAMPLE_INTERVAL
            self._sampled[tx.id] = last
            if tx.stopped is not None and tx.stopped <= now:
                register = str(tx.meter_stop if tx.meter_stop is not None else tx.meter_start)
                fresh.append(self._row(tx, tx.stopped, register, "Transaction.End", _REGISTER, None, "Wh"))
                self._ended.add(tx.id)
                del self._sampled[tx.id]
        if not fresh:
            return
        rows = self._metervalues
        fresh.sort(key=_by_epoch)  # stable: a sample set stays in its order
        in_order = not rows or rows[-1].epoch <= fresh[0].epoch
        rows += fresh
        if not in_order:
            rows.sort(key=_by_epoch)
        if len(rows) > _MAX_ROWS:
            del rows[: len(rows) - _MAX_ROWS]

    def latest_sample(self, tx: TransactionRow, now: float) -> list[MeterValueRow]:
        """The newest set of values the session sent up to ``now`` (all of one instant), or ``[]``."""
        rows = self.metervalues(now)
        newest: list[MeterValueRow] = []
        for row in reversed(rows):
            if newest and row.epoch < newest[0].epoch:
                break
            if row.transaction_id == tx.id:
                newest.insert(0, row)
        return newest

    def _connector(self, number: int) -> dict[str, Any]:
        connectors: list[dict[str, Any]] = self.charger["connectors"]
        return next((connector for connector in connectors if connector["connector_id"] == number), {})

    @staticmethod
    def _row(
        tx: TransactionRow, epoch: int, value: str, context: str, measurand: str, phase: str | None, unit: str
    ) -> MeterValueRow:
        location = "Body" if measurand == "Temperature" else "Outlet"
        return MeterValueRow(
            epoch, tx.connector_id, tx.connector_db_id, tx.id, value, context, measurand, phase, location, unit
        )

    def _watts(self, tx: TransactionRow, epoch: int) -> float:
        """The power drawn at ``epoch``: none once the car is full, nor on a running session that is not
        charging now (suspended by the EV, or by a 0 A limit)."""
        if not tx.charging_at(epoch):
            return 0.0
        if tx.active and self._connector(tx.connector_id).get("status") in _SUSPENDED:
            return 0.0
        return tx.power * (0.97 + (hash((self.seed, tx.id, epoch)) % 1000) * 0.00003)  # within 3% below

    def _sample(self, tx: TransactionRow, epoch: int, context: str) -> list[MeterValueRow]:
        """One sample set: register, power, then current and voltage per phase (DC: one of each)."""
        phases = phases_of(self._connector(tx.connector_id))
        watts = self._watts(tx, epoch)
        volts = 230.0 + (hash((self.seed, tx.id, epoch, 1)) % 21 - 10) / 10

        def row(value: str, measurand: str, phase: str | None, unit: str) -> MeterValueRow:
            return self._row(tx, epoch, value, context, measurand, phase, unit)

        rows = [
            row(str(tx.register_at(epoch)), _REGISTER, None, "Wh"),
            row(f"{watts:.0f}", "Power.Active.Import", None, "W"),
        ]
        if phases:
            amps = f"{watts / (230 * phases):.1f}"  # evenly loaded phases
            rows += [row(amps, "Current.Import", phase, "A") for phase in _PHASES[:phases]]
            rows += [row(f"{volts:.1f}", "Voltage", f"{phase}-N", "V") for phase in _PHASES[:phases]]
        else:
            rows.append(row(f"{watts / 400:.1f}", "Current.Import", None, "A"))
            rows.append(row(f"{volts + 170:.1f}", "Voltage", None, "V"))
        if context == "Transaction.Begin":
            rows.append(row(str(12 + hash((self.seed, tx.id)) % 26), "Temperature", None, "Celsius"))
        return rows

    def record_values(self, tx: TransactionRow, epoch: int, context: str) -> None:
        """Sample up to a live start or stop, which adds the session's begin (or end) reading."""
        self.sync(epoch)

    # -- log ---------------------------------------------------------------------------------------

    def logs(self) -> list[LogEntry]:
        """Every OCPP message, chronological."""
        if self._logs is None:
            self._logs = self._generate_logs()
        return self._logs

    def _generate_logs(self) -> list[LogEntry]:
        charger = self.charger
        if charger["connection_status"] == "never_seen":
            return []
        rng = random.Random(f"plugchoice-logs:{self.seed}:{charger['uuid']}")
        entries: list[LogEntry] = []

        def add(
            epoch: int,
            method: str,
            params: dict[str, Any],
            result: dict[str, Any] | None,
            destination: str = "centralsystem",
            status: str = "done",
        ) -> None:
            entries.append(LogEntry(0, epoch, method, destination, status, params, result, rng.random() < 0.3))

        last_seen = parse_timestamp(charger["last_heartbeat_at"]) if charger.get("last_heartbeat_at") else None
        accepted = {"status": "Accepted"}
        if charger.get("last_connection_at"):
            booted = parse_timestamp(charger["last_connection_at"])
            model = charger.get("model") or {}
            if rng.random() < 0.4:  # restarted from the platform (actions/restart)
                add(booted - 20, "Reset", ocpp_command("restart", {}), accepted, "charger")
            add(
                booted,
                "BootNotification",
                {
                    "chargePointVendor": model.get("vendor"),
                    "chargePointModel": model.get("name"),
                    "chargePointSerialNumber": charger["identity"],
                    "firmwareVersion": charger.get("firmware_version"),
                },
                {"status": "Accepted", "currentTime": ocpp_time(booted), "interval": 300},
            )
            for connector in charger["connectors"]:
                add(
                    booted + 2,
                    "StatusNotification",
                    {
                        "connectorId": connector["connector_id"],
                        "errorCode": "NoError",
                        "status": "Available",
                        "timestamp": ocpp_time(booted + 2),
                    },
                    {},
                )
        if last_seen is not None:
            for epoch in range(last_seen - 24 * _HOUR, last_seen + 1, _HOUR):
                add(epoch, "Heartbeat", {}, {"currentTime": ocpp_time(epoch)})
        for tx in self.transactions:
            tag = {"idTagInfo": {"status": "Accepted"}}
            if tx.stop_reason == "Remote" or rng.random() < 0.2:
                body = {"connector_id": tx.connector_id, "id_token": tx.id_tag}
                add(tx.started - 5, "RemoteStartTransaction", ocpp_command("start", body), accepted, "charger")
            else:
                add(tx.started - 3, "Authorize", {"idTag": tx.id_tag}, tag)
            add(
                tx.started,
                "StartTransaction",
                {
                    "connectorId": tx.connector_id,
                    "idTag": tx.id_tag,
                    "meterStart": tx.meter_start,
                    "timestamp": ocpp_time(tx.started),
                },
                {"transactionId": tx.id, **tag},
            )
            add(
                tx.started + 1,
                "StatusNotification",
                {
                    "connectorId": tx.connector_id,
                    "errorCode": "NoError",
                    "status": "Charging",
                    "timestamp": ocpp_time(tx.started + 1),
                },
                {},
            )
            add(
                tx.started + SAMPLE_INTERVAL,
                "MeterValues",
                {
                    "connectorId": tx.connector_id,
                    "transactionId": tx.id,
                    "meterValue": [
                        {
                            "timestamp": ocpp_time(tx.started + SAMPLE_INTERVAL),
                            "sampledValue": [
                                {
                                    "value": str(tx.register_at(tx.started + SAMPLE_INTERVAL)),
                                    "measurand": "Energy.Active.Import.Register",
                                    "unit": "Wh",
                                }
                            ],
                        }
                    ],
                },
                {},
            )
            if tx.stopped is not None:
                if tx.stop_reason == "Remote":
                    body = {"transaction_id": tx.id}
                    add(tx.stopped - 2, "RemoteStopTransaction", ocpp_command("stop", body), accepted, "charger")
                add(
                    tx.stopped,
                    "StopTransaction",
                    {
                        "transactionId": tx.id,
                        "idTag": tx.id_tag,
                        "meterStop": tx.meter_stop,
                        "timestamp": ocpp_time(tx.stopped),
                        "reason": tx.stop_reason,
                    },
                    tag,
                )
        if last_seen is not None and rng.random() < 0.6:  # a charge limit (actions/charge-limit), maybe cleared
            limit = {"connector_id": 0, "limit": rng.choice((6, 10, 16, 20, 25)), "stack_level": 1}
            add(last_seen - 5 * _HOUR, "SetChargingProfile", ocpp_command("charge-limit", limit), accepted, "charger")
            if rng.random() < 0.5:
                clear = {"id": CHARGE_LIMIT_PROFILE_ID + 1, "connector_id": None}
                cleared = ocpp_command("clear-charging-profile", clear)
                add(last_seen - 4 * _HOUR, "ClearChargingProfile", cleared, accepted, "charger")
        if last_seen is not None and rng.random() < 0.5:
            add(
                last_seen - 7 * _HOUR,
                "ChangeConfiguration",
                {"key": "MeterValueSampleInterval", "value": "900"},
                None,
                "charger",
                "failed",
            )
        if charger["connection_status"] == "offline" and last_seen is not None:
            add(
                last_seen + 60, "TriggerMessage", {"requestedMessage": "StatusNotification"}, None, "charger", "pending"
            )
        entries.sort(key=lambda entry: entry.epoch)
        for number, entry in enumerate(entries, start=1):
            entry.id = charger["id"] * 10_000 + number
            entry.updated = entry.epoch + (0 if entry.status == "pending" else 1)
        self._next_log_id = charger["id"] * 10_000 + len(entries) + 1
        return entries

    def log(
        self,
        epoch: int,
        method: str,
        params: dict[str, Any],
        result: dict[str, Any] | None,
        *,
        destination: str = "charger",
        status: str = "done",
    ) -> LogEntry:
        """Append a live message to the log, and return it."""
        entries = self.logs()
        entry = LogEntry(self._next_log_id, epoch, method, destination, status, params, result, False, epoch)
        entries.append(entry)
        self._next_log_id += 1
        return entry
