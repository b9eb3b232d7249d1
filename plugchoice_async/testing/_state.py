"""The emulator's mutable model: the fleet, the world around it, per-charger history and settings, and the effect
of every command a charger can be sent (start, stop, restart, limits and profiles, lock, composite schedule).

Route handlers read and change it; the emulator exposes parts of it. Charger documents are the answers themselves:
change one in place, then :meth:`State.invalidate` it so its cached JSON is rebuilt.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ._fleet import format_timestamp, generate_chargers, generate_user, random_uuid
from ._history import History, LogEntry, TransactionRow, ocpp_command, ocpp_time, phases_of
from ._pagination import per_page_param
from ._schedule import composite_schedule, stored_profile, to_amps
from ._web import parse_date
from ._world import World, build_world

__all__ = ["ActionRecord", "Behaviour", "ChargerSettingsState", "State"]

#: How a charger answers commands: apply and accept; reject (no change); stay silent (504, no change); or apply
#: the command but answer too late (504 after the change).
Behaviour = Literal["accept", "reject", "offline", "slow"]
BEHAVIOURS: tuple[Behaviour, ...] = ("accept", "reject", "offline", "slow")

_NON_SENSITIVE_EVERY = 7  # every 7th charger (ids 7, 14, ...) is shared without the sensitive permission
_STARTABLE = frozenset(("Available", "Preparing", "Finishing"))
_LIST_OMITS = frozenset(("pincode", "connectors"))
_DEFAULT_AMPS = 32  # a connector's current when its document has no max_amperage

#: After an accepted setup the charger restarts: it goes offline this many seconds of the emulator's clock later
#: (a Reset: running sessions end) and is back online ``SETUP_OFFLINE_FOR`` seconds after that, set up.
SETUP_RESTART_AFTER = 1.0
SETUP_OFFLINE_FOR = 10.0
#: The Chargee meters every emulator has: Chargee IDs ``CHG-0001``.. and serial numbers ``E0000001``.., in order;
#: the last one cannot be read (its ``power`` is the server's error message).
CHARGEE_METERS = 3
CHARGEE_UNREADABLE = "Unable to retrieve power information for this meter."
_TIMER_EPSILON = 1e-9  # an effect is due at its instant even when the clock got there by float steps


def _int_or_none(value: Any) -> int | None:
    """A validated integer field (PHP-style: ``"16"`` too), None when absent."""
    return None if value in (None, "") else int(value)


def _epoch_or_none(value: Any) -> float | None:
    """A validated date field as epoch seconds, None when absent."""
    parsed = parse_date(value) if isinstance(value, str) else None
    return None if parsed is None else parsed.timestamp()


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """A command that reached a charger (it passed validation), and what came of it.

    ``outcome`` is the status answered (``"Accepted"``, ``"Rejected"``, ``"Unknown"``) or ``"Timeout"`` for a 504;
    ``applied`` tells whether the charger's state changed (a ``"slow"`` charger applies and still times out).
    """

    uuid: str
    action: str  # start, stop, restart, charge-limit, charging-profile, clear-charging-profile, composite-schedule,
    # bulk-command (body: the run's uuid, command and data)
    body: dict[str, Any]
    outcome: str
    applied: bool


@dataclass(slots=True)
class ChargerSettingsState:
    """The settings endpoints' state of one charger, and its charging profiles."""

    locked: bool
    plug_charge: bool
    card_uid: str | None
    public: dict[str, Any]
    profiles: list[dict[str, Any]] = field(default_factory=list)
    base_max_current: Any = None  # max_current before the first profile


class State:
    """Everything the routes serve, generated from the seed (the per-charger parts on first use)."""

    def __init__(self, chargers: int, seed: int, now: Callable[[], float]) -> None:
        self.seed = seed
        self.now = now  # epoch seconds, the emulator's "now"
        self.chargers: dict[str, dict[str, Any]] = generate_chargers(chargers, seed)
        self.user: dict[str, Any] = generate_user(seed)
        self.pincodes: dict[str, str] = {}
        for charger in self.chargers.values():
            self._share(charger)
        self.world: World = build_world(self.chargers, self.user, seed)
        self.honour_per_page = True
        self._added = 0  # chargers added by add_charger
        self.documents: dict[str, bytes] = {}  # uuid -> serialized {"data": charger}
        self.list_items: dict[str, bytes] = {}  # uuid -> serialized list item
        self.actions: list[ActionRecord] = []
        self.behaviours: dict[str, Behaviour] = {}
        self._histories: dict[str, History] = {}
        self._settings: dict[str, ChargerSettingsState] = {}
        self._next_transaction_id = 100 * (chargers + 10) + 1
        self._next_card_id = 1
        # site team access (_routes_access): site uuid -> team uuid -> access; invite token -> invite; requests
        self.site_access: dict[str, dict[str, dict[str, Any]]] = {}
        self.site_invites: dict[str, dict[str, Any]] = {}
        self.sensitive_data_requests: list[dict[str, Any]] = []
        self.public_sessions: dict[str, dict[str, Any]] = {}  # session token -> session (_routes_public)
        self._timers: list[tuple[float, int, Callable[[float], None]]] = []  # a heap: (due epoch, order, effect)
        self._next_timer = 0
        self.setups: dict[str, dict[str, Any]] = {}  # uuid -> the last setup body the charger accepted
        self._chargee: dict[str, dict[str, Any]] | None = None  # Chargee ID and serial (upper case) -> meter
        self._accounts_rng = random.Random(f"plugchoice-accounts:{seed}")

    def _share(self, charger: dict[str, Any]) -> None:
        """Keep the charger's pincode aside, and hide it (and the sensitive permission) on every 7th charger."""
        self.pincodes[charger["uuid"]] = charger["pincode"]
        if charger["id"] % _NON_SENSITIVE_EVERY == 0:
            del charger["pincode"]
            charger["permissions"] = {"basic": True, "sensitive": False, "full": False}

    # -- lookups ---------------------------------------------------------------------------------

    def page_size(self, query: Mapping[str, str]) -> int:
        """A listing's page size: the query's ``per_page`` (1..100), or 25 while ``honour_per_page`` is off."""
        return per_page_param(query, self.honour_per_page)

    def epoch(self) -> int:
        return int(self.now())

    def stamp(self) -> str:
        return format_timestamp(self.now())

    def invalidate(self, uuid: str | None = None) -> None:
        """Forget the cached JSON of one charger (or of all)."""
        if uuid is None:
            self.documents.clear()
            self.list_items.clear()
        else:
            self.documents.pop(uuid, None)
            self.list_items.pop(uuid, None)

    def list_item(self, charger: dict[str, Any]) -> dict[str, Any]:
        """The charger as ``GET /chargers`` lists it: no pincode, no connectors."""
        return {name: value for name, value in charger.items() if name not in _LIST_OMITS}

    def history(self, uuid: str) -> History:
        """The charger's history, generated on first use."""
        history = self._histories.get(uuid)
        if history is None:
            history = self._histories[uuid] = History.generate(self.chargers[uuid], self.seed)
        return history

    def settings(self, uuid: str) -> ChargerSettingsState:
        """The charger's settings, generated on first use."""
        settings = self._settings.get(uuid)
        if settings is None:
            charger = self.chargers[uuid]
            rng = random.Random(f"plugchoice-settings:{self.seed}:{uuid}")
            plug_charge = rng.random() < 0.1
            code = f"{rng.getrandbits(24):06X}"
            teams = self.world.teams_of(uuid)
            team = self.world.teams[teams[0]] if teams else {}
            public = {
                "enabled": rng.random() < 0.2,
                "price_per_kwh": rng.choice((29, 35, 39, 45)),
                "start_fee": rng.choice((0, 0, 50, 100)),
                "currency": "EUR",
                "public_code": code,
                "public_url": f"https://app.plugchoice.com/charge/{code}",
                "preauth_amount": 2500,
                "limits": {"max_price_per_kwh": 150, "max_start_fee": 500},
                "connect": {"has_account": True, "onboarding_complete": True, "team_name": team.get("name")},
                "billing": {
                    "plan": "percentage",
                    "fee_percent": 10,
                    "ac_price": 0,
                    "dc_price": 0,
                    "subscription_active": False,
                    "has_payment_method": True,
                },
            }
            settings = self._settings[uuid] = ChargerSettingsState(
                locked=charger["status"] == "Unavailable",
                plug_charge=plug_charge,
                card_uid=f"{rng.getrandbits(32):08X}" if plug_charge else None,
                public=public,
                base_max_current=charger["max_current"],
            )
        return settings

    def behaviour(self, uuid: str) -> Behaviour:
        """How the charger answers commands: as set, else ``"offline"`` unless it is online."""
        behaviour = self.behaviours.get(uuid)
        if behaviour is not None:
            return behaviour
        return "accept" if self.chargers[uuid]["connection_status"] == "online" else "offline"

    def site_of(self, uuid: str) -> dict[str, Any] | None:
        site_uuid = self.world.charger_site.get(uuid)
        return None if site_uuid is None else self.world.sites.get(site_uuid)

    def site_members(self, site_uuid: str) -> Iterator[str]:
        """The uuids of the chargers on a site (that still exist)."""
        chargers = self.chargers
        return (uuid for uuid in self.world.site_chargers.get(site_uuid, ()) if uuid in chargers)

    def chargers_count(self, site_uuid: str) -> int:
        return sum(1 for _ in self.site_members(site_uuid))

    def next_card_id(self) -> int:
        number = self._next_card_id
        self._next_card_id += 1
        return number

    @staticmethod
    def connector(charger: dict[str, Any], number: int) -> dict[str, Any] | None:
        connectors: list[dict[str, Any]] = charger["connectors"]
        return next((connector for connector in connectors if connector["connector_id"] == number), None)

    def _touch(self, uuid: str, *connectors: dict[str, Any], **changes: Any) -> None:
        charger = self.chargers[uuid]
        stamp = self.stamp()
        for connector in connectors:
            connector["updated_at"] = stamp
        charger.update(changes)
        charger["updated_at"] = stamp
        self.invalidate(uuid)

    # -- the fleet changing ------------------------------------------------------------------------

    def add_charger(self, connection_status: str, teams: set[str], site_uuid: str | None) -> dict[str, Any]:
        """A new generated charger at the end of the fleet: created now, no past, in ``teams`` and on the site.

        Its document is drawn (deterministically) until one has ``connection_status``, so the rest of it fits.
        """
        world = self.world
        known = [*self.chargers.values(), *world.foreign_chargers.values()]
        next_id = max((c["id"] for c in known), default=0) + 1
        next_connector = max((k["id"] for c in known for k in c["connectors"]), default=0) + 1
        identities = {c["identity"] for c in known}
        while True:
            self._added += 1
            seed = f"plugchoice-added:{self.seed}:{self._added}"
            fleet = generate_chargers(1, seed, first_id=next_id, first_connector_id=next_connector)
            uuid, charger = next(iter(fleet.items()))
            fresh = uuid not in self.chargers and uuid not in world.foreign_chargers
            if fresh and charger["identity"] not in identities and charger["connection_status"] == connection_status:
                break
        stamp = self.stamp()
        charger.update(created_at=stamp, updated_at=stamp)
        if connection_status == "online":
            charger.update(last_connection_at=stamp, last_heartbeat_at=stamp, last_disconnection_at=None)
        for connector in charger["connectors"]:
            connector.update(created_at=stamp, updated_at=stamp)
        self._share(charger)
        self.chargers[uuid] = charger
        self._histories[uuid] = History(self.seed, charger)  # no past sessions: it was just added
        world.charger_teams[uuid] = set(teams)
        if site_uuid is not None:
            world.site_chargers[site_uuid].append(uuid)
            world.charger_site[uuid] = site_uuid
        return charger

    def remove_charger(self, uuid: str) -> None:
        """Forget a charger everywhere (its uuid then answers 404); ``KeyError`` when unknown."""
        del self.chargers[uuid]
        world = self.world
        site_uuid = world.charger_site.pop(uuid, None)
        members = world.site_chargers.get(site_uuid or "", [])
        if uuid in members:
            members.remove(uuid)
        world.charger_teams.pop(uuid, None)
        for mapping in (self.pincodes, self.behaviours, self._histories, self._settings):
            mapping.pop(uuid, None)
        self.invalidate(uuid)

    def move_to_site(self, uuid: str, site_uuid: str) -> None:
        """``PATCH /sites/{s}/chargers/{c}/move``: the charger joins the site (and only its team), and its
        configuration resets: no load-management group, and its connectors' ``max_amperage`` unset."""
        world = self.world
        previous = world.charger_site.get(uuid)
        if previous is not None and uuid in world.site_chargers.get(previous, []):
            world.site_chargers[previous].remove(uuid)
        world.site_chargers.setdefault(site_uuid, []).append(uuid)
        world.charger_site[uuid] = site_uuid
        world.charger_teams[uuid] = {world.site_team[site_uuid]}
        world.charger_group.pop(uuid, None)
        connectors = self.chargers[uuid]["connectors"]
        for connector in connectors:
            connector["max_amperage"] = None
        self._touch(uuid, *connectors)

    # -- sending a command -------------------------------------------------------------------------

    def perform(
        self,
        uuid: str,
        action: str,
        method: str,
        body: dict[str, Any],
        command: Callable[[], str],
        behaviour: Behaviour | None = None,
        *,
        params: dict[str, Any] | None = None,
        changes_state: bool = True,
    ) -> tuple[str, bool]:
        """Send a validated command to the charger as ``behaviour`` (by default its own) says; log and record it.

        ``method`` and ``params`` (default: the OCPP payload of ``body``, see ``ocpp_command``) are the OCPP
        message logged, ``body`` (the REST body) is what ``actions`` records, and ``command`` applies it and
        answers the charger's status. Returns that status (``""`` when the charger stayed silent) and whether the
        answer timed out (behaviour ``"offline"`` or ``"slow"``).
        """
        behaviour = self.behaviour(uuid) if behaviour is None else behaviour
        history = self.history(uuid)
        if params is None:
            running = next((tx.id for tx in history.transactions if tx.active), None)
            params = ocpp_command(action, body, running)
        entry: LogEntry = history.log(self.epoch(), method, params, None)
        if behaviour == "reject":
            status, applied = "Rejected", False
        elif behaviour == "offline":
            status, applied = "", False
        else:
            status = command()
            applied = changes_state and status == "Accepted"
        timed_out = behaviour in ("offline", "slow")
        entry.status = "failed" if behaviour == "offline" else "done"
        entry.result = {"status": status} if status else None
        self.actions.append(ActionRecord(uuid, action, body, "Timeout" if timed_out else status, applied))
        return status, timed_out

    # -- commands: each answers the charger's status ------------------------------------------------

    def start(self, uuid: str, connector_id: int, id_tag: str) -> str:
        """RemoteStartTransaction: the connector charges in a new session."""
        charger = self.chargers[uuid]
        connector = self.connector(charger, connector_id)
        if connector is None or connector["status"] not in _STARTABLE or self.settings(uuid).locked:
            return "Rejected"
        history = self.history(uuid)
        now = self.epoch()
        stale = history.active_on(connector_id)  # left open by a set_charger() edit: close it
        if stale is not None:
            stale.close(now, "Other")
        phases = phases_of(connector)
        amps = self._effective_limit(uuid, connector)
        watts = amps * 230 * phases if phases else float(amps) * 400
        tx = TransactionRow(
            self._next_transaction_id,
            charger["id"],
            connector_id,
            connector["id"],
            id_tag,
            history.register(connector_id, now) or 0,
            now,
            watts,
            updated=now,
        )
        self._next_transaction_id += 1
        history.transactions.append(tx)
        history.record_values(tx, now, "Transaction.Begin")
        history.log(
            now,
            "StartTransaction",
            {"connectorId": connector_id, "idTag": id_tag, "meterStart": tx.meter_start},
            {"transactionId": tx.id, "idTagInfo": {"status": "Accepted"}},
            destination="centralsystem",
        )
        connector["status"] = "Charging" if amps > 0 else "SuspendedEVSE"
        self._touch(uuid, connector)
        return "Accepted"

    def stop(self, uuid: str, transaction_id: int | None) -> str:
        """RemoteStopTransaction: the session (the charger's active one when not named) ends."""
        history = self.history(uuid)
        active = [tx for tx in history.transactions if tx.active]
        if transaction_id is not None:
            active = [tx for tx in active if tx.id == transaction_id]
        if not active:
            return "Rejected"
        self._close(uuid, active[0], "Remote")
        return "Accepted"

    def _close(self, uuid: str, tx: TransactionRow, reason: str) -> None:
        history = self.history(uuid)
        now = self.epoch()
        tx.close(now, reason)
        history.record_values(tx, now, "Transaction.End")
        history.log(
            now,
            "StopTransaction",
            {"transactionId": tx.id, "meterStop": tx.meter_stop, "reason": reason},
            {"idTagInfo": {"status": "Accepted"}},
            destination="centralsystem",
        )
        connector = self.connector(self.chargers[uuid], tx.connector_id)
        if connector is not None:
            connector["status"] = "Unavailable" if self.settings(uuid).locked else "Available"
            self._touch(uuid, connector)

    def restart(self, uuid: str) -> str:
        """Reset: running sessions end (SoftReset) and the charger comes back Available (Unavailable if locked)."""
        for tx in [tx for tx in self.history(uuid).transactions if tx.active]:
            self._close(uuid, tx, "SoftReset")
        status = "Unavailable" if self.settings(uuid).locked else "Available"
        charger = self.chargers[uuid]
        for connector in charger["connectors"]:
            connector.update(status=status, error="NoError", error_info=None, vendor_error_code=None)
        stamp = self.stamp()
        changes: dict[str, Any] = {"status": status, "error": "NoError", "error_info": None, "vendor_error_code": None}
        if charger["connection_status"] == "online":
            changes.update(last_connection_at=stamp, last_heartbeat_at=stamp)
        self._touch(uuid, *charger["connectors"], **changes)
        return "Accepted"

    def set_lock(self, uuid: str, locked: bool) -> None:
        """ChangeAvailability: locked makes the charger and its idle connectors Unavailable; unlocked, Available."""
        self.settings(uuid).locked = locked
        charger = self.chargers[uuid]
        if charger["connection_status"] == "never_seen":
            return
        history = self.history(uuid)
        touched = []
        for connector in charger["connectors"]:
            if history.active_on(connector["connector_id"]) is not None:
                continue  # availability changes once the session ends
            if locked or connector["status"] == "Unavailable":
                connector["status"] = "Unavailable" if locked else "Available"
                touched.append(connector)
        self._touch(uuid, *touched, status="Unavailable" if locked else "Available")

    # -- charging profiles: the highest stack level sets the limit --------------------------------

    def charge_limit(self, uuid: str, connector_id: int, limit: float, stack_level: int) -> str:
        """A TxDefaultProfile of ``limit`` amperes at ``stack_level`` (replacing one at the same level)."""
        charger = self.chargers[uuid]
        if connector_id and self.connector(charger, connector_id) is None:
            return "Rejected"
        profile = stored_profile(
            profile_id=None,
            connector_id=connector_id,
            stack_level=stack_level,
            purpose="TxDefaultProfile",
            unit="A",
            periods=[{"start_period": 0, "limit": limit}],
            set_at=self.epoch(),
        )
        self._store_profile(uuid, profile)
        return "Accepted"

    def set_profile(self, uuid: str, connector_id: int, profile: dict[str, Any]) -> str:
        """SetChargingProfile from a validated ``charging_profile`` body."""
        charger = self.chargers[uuid]
        if connector_id and self.connector(charger, connector_id) is None:
            return "Rejected"
        purpose = profile["charging_profile_purpose"]
        wanted = _int_or_none(profile.get("transaction_id"))
        if purpose == "TxProfile":
            running = self.history(uuid).active_on(connector_id) if connector_id else None
            if running is None or (wanted is not None and wanted != running.id):
                return "Rejected"  # a TxProfile needs the session it is for
            wanted = running.id
        schedule = profile["charging_schedule"]
        min_rate = schedule.get("min_charging_rate")
        stored = stored_profile(
            profile_id=int(profile["charging_profile_id"]),
            connector_id=connector_id,
            stack_level=int(profile["stack_level"]),
            purpose=purpose,
            unit=schedule["charging_rate_unit"],
            periods=schedule["charging_schedule_period"],
            set_at=self.epoch(),
            kind=profile["charging_profile_kind"],
            recurrency=profile.get("recurrency_kind"),
            transaction_id=wanted,
            valid_from=_epoch_or_none(profile.get("valid_from")),
            valid_to=_epoch_or_none(profile.get("valid_to")),
            start_schedule=_epoch_or_none(schedule.get("start_schedule")),
            duration=_int_or_none(schedule.get("duration")),
            min_rate=None if min_rate in (None, "") else float(min_rate),
        )
        self._store_profile(uuid, stored)
        return "Accepted"

    def composite_schedule(self, uuid: str, connector_id: int, duration: int, unit: str | None) -> dict[str, Any]:
        """GetCompositeSchedule: the limits the connector (0: the whole charge point) gets for ``duration`` s from now.

        ``Rejected`` (without a schedule) for a connector the charger does not have. See ``_schedule``.
        """
        charger = self.chargers[uuid]
        if connector_id:
            connector = self.connector(charger, connector_id)
            if connector is None:
                return {"status": "Rejected", "connectorId": connector_id}
            chosen = [connector]
        else:
            chosen = charger["connectors"]
        rating = max((float(c.get("max_amperage") or _DEFAULT_AMPS) for c in chosen), default=float(_DEFAULT_AMPS))
        phases = max((phases_of(c) for c in chosen), default=0)
        running = self.history(uuid).active_on(connector_id) if connector_id else None
        now = self.epoch()
        schedule = composite_schedule(
            self.settings(uuid).profiles,
            connector_id,
            now,
            duration,
            unit or "A",
            phases=phases,
            rating=rating,
            session=None if running is None else (float(running.started), running.id),
            start_schedule=ocpp_time(now),
        )
        return {
            "status": "Accepted",
            "connectorId": connector_id,
            "scheduleStart": ocpp_time(now),
            "chargingSchedule": schedule,
        }

    def clear_profiles(
        self, uuid: str, profile_id: int | None, connector_id: int | None, purpose: str | None, stack_level: int | None
    ) -> str:
        """ClearChargingProfile: drop the profiles matching every criterion given; Unknown when none does."""
        settings = self.settings(uuid)
        criteria = {"id": profile_id, "connector_id": connector_id, "purpose": purpose, "stack_level": stack_level}
        wanted = {name: value for name, value in criteria.items() if value is not None}
        keep = [p for p in settings.profiles if any(p[name] != value for name, value in wanted.items())]
        if len(keep) == len(settings.profiles):
            return "Unknown"
        settings.profiles = keep
        self._apply_profiles(uuid)
        return "Accepted"

    def _store_profile(self, uuid: str, profile: dict[str, Any]) -> None:
        settings = self.settings(uuid)
        same = ("connector_id", "stack_level", "purpose")
        settings.profiles = [
            p
            for p in settings.profiles
            if not (profile["id"] is not None and p["id"] == profile["id"])
            and any(p[name] != profile[name] for name in same)
        ]
        settings.profiles.append(profile)
        self._apply_profiles(uuid)

    def _profile_amps(self, profile: dict[str, Any], charger: dict[str, Any]) -> float:
        phases = profile["number_phases"] or max((phases_of(c) for c in charger["connectors"]), default=3) or 3
        return to_amps(profile["limit"], profile["unit"], phases)

    def _effective_limit(self, uuid: str, connector: dict[str, Any]) -> float:
        """The current a connector may draw: its rating capped by the winning profile."""
        rating = float(connector.get("max_amperage") or _DEFAULT_AMPS)
        max_current = self.chargers[uuid].get("max_current")
        return min(rating, float(max_current)) if max_current is not None else rating

    def _apply_profiles(self, uuid: str) -> None:
        """Show the winning profile's limit as max_current, and pause (or resume) charging at 0 A."""
        settings = self.settings(uuid)
        charger = self.chargers[uuid]
        if settings.profiles:
            winner = max(enumerate(settings.profiles), key=lambda item: (item[1]["stack_level"], item[0]))[1]
            amps = round(self._profile_amps(winner, charger), 1)
            limit: Any = int(amps) if amps.is_integer() else amps
        else:
            limit = settings.base_max_current
        history = self.history(uuid)
        touched = []
        for connector in charger["connectors"]:
            running = history.active_on(connector["connector_id"]) is not None
            if running and limit == 0 and connector["status"] == "Charging":
                connector["status"] = "SuspendedEVSE"
                touched.append(connector)
            elif running and limit != 0 and connector["status"] == "SuspendedEVSE":
                connector["status"] = "Charging"
                touched.append(connector)
        self._touch(uuid, *touched, max_current=limit)

    # -- timed effects: what happens later by the emulator's clock ---------------------------------

    def at(self, due: float, effect: Callable[[float], None]) -> None:
        """Run ``effect(due)`` once ``now`` reaches ``due`` (epoch seconds); see :meth:`settle`."""
        heapq.heappush(self._timers, (due, self._next_timer, effect))
        self._next_timer += 1

    def settle(self) -> None:
        """Apply every timed effect whose time has come, in due order (the emulator calls it before each route)."""
        timers = self._timers
        if not timers:
            return
        now = self.now() + _TIMER_EPSILON
        while timers and timers[0][0] <= now:
            due, _, effect = heapq.heappop(timers)
            effect(due)

    # -- creating chargers and teams ---------------------------------------------------------------

    def identity_taken(self, identity: str) -> bool:
        """Whether a charger (the user's or another owner's) has ``identity`` (compared case-blind, as MySQL does)."""
        wanted = identity.casefold()
        known = (*self.chargers.values(), *self.world.foreign_chargers.values())
        return any(str(charger["identity"]).casefold() == wanted for charger in known)

    def personal_team(self) -> dict[str, Any]:
        """The user's personal team, created when there is none."""
        team = next((t for t in self.world.teams.values() if t.get("is_personal_team")), None)
        if team is None:
            team = self.create_team(f"{self.user.get('name', 'User')}'s Team", str(self.user.get("email", "")), None)
            team.update(is_personal_team=True, type="Personal")
        return team

    def create_team(self, name: str, email: str, kind: str | None) -> dict[str, Any]:
        """A new team of the user (it is listed by ``GET /teams`` from now on)."""
        world = self.world
        next_id = max((t["id"] for t in (*world.teams.values(), world.foreign_team)), default=0) + 1
        stamp = self.stamp()
        team: dict[str, Any] = {
            "uuid": random_uuid(self._accounts_rng),
            "id": next_id,
            "is_personal_team": False,
            "name": name,
            "type": kind or "Other",
            "email": email,
            "created_at": stamp,
            "updated_at": stamp,
        }
        world.teams[team["uuid"]] = team
        return team

    def create_charger(self, identity: str, teams: set[str], site_uuid: str | None) -> dict[str, Any]:
        """``POST /chargers``: a new ``never_seen`` charger named ``identity``, in ``teams`` (and on the site)."""
        charger = self.add_charger("never_seen", teams, site_uuid)
        stamp = self.stamp()
        charger.update(identity=identity, reference=None, setup_pending=False, setup_completed=False, max_current=None)
        self.settings(charger["uuid"]).base_max_current = None
        charger.update(created_at=stamp, updated_at=stamp)
        self.invalidate(charger["uuid"])
        return charger

    # -- setup: configure, then restart over the clock ---------------------------------------------

    def setup(self, uuid: str, body: dict[str, Any]) -> str:
        """The setup reaches the charger: its wiring and current change, ``setup_pending`` is set, and a restart is
        scheduled (offline after ``SETUP_RESTART_AFTER`` s, online and set up ``SETUP_OFFLINE_FOR`` s later)."""
        charger = self.chargers[uuid]
        phases, rotation = body["phases"], body.get("phase_rotation")
        power_type = "AC_3_PHASE" if phases == 3 else "AC_1_PHASE"
        touched = []
        for connector in charger["connectors"]:
            if connector.get("power_type") == "DC":
                continue
            connector["power_type"] = power_type
            if rotation is not None:
                connector["phase_rotation"] = rotation
            touched.append(connector)
        self.settings(uuid).base_max_current = body["max_current"]
        self.setups[uuid] = dict(body)
        self._touch(uuid, *touched, setup_pending=True)
        self._apply_profiles(uuid)  # max_current: a charging profile's limit still wins over the new maximum
        self.at(self.now() + SETUP_RESTART_AFTER, lambda due: self._setup_restart(uuid, due))
        return "Accepted"

    def _setup_restart(self, uuid: str, due: float) -> None:
        """The charger resets to apply its setup: sessions end, and it drops offline until it reconnects."""
        charger = self.chargers.get(uuid)
        if charger is None:
            return
        self.history(uuid).log(int(due), "Reset", {"type": "Soft"}, {"status": "Accepted"})
        self.restart(uuid)
        stamp = format_timestamp(due)
        charger.update(connection_status="offline", last_disconnection_at=stamp, updated_at=stamp)
        self.invalidate(uuid)
        self.at(due + SETUP_OFFLINE_FOR, lambda back: self._setup_reconnect(uuid, back))

    def _setup_reconnect(self, uuid: str, due: float) -> None:
        """The charger is back online with its setup applied."""
        charger = self.chargers.get(uuid)
        if charger is None:
            return
        stamp = format_timestamp(due)
        charger.update(
            connection_status="online",
            last_connection_at=stamp,
            last_heartbeat_at=stamp,
            setup_pending=False,
            setup_completed=True,
            updated_at=stamp,
        )
        self.invalidate(uuid)

    # -- files and meters read from devices --------------------------------------------------------

    def nanogrid(self, uuid: str) -> dict[str, Any]:
        """``GET /chargers/{c}/settings/nanogrid``: the file as the charger reports it; ``error`` when it cannot."""
        charger = self.chargers[uuid]
        rng = random.Random(f"plugchoice-nanogrid:{self.seed}:{uuid}")
        supported = rng.random() < 0.5
        present = supported and rng.random() < 0.6
        status = charger["connection_status"]
        if status != "online":
            error = "The charger has not connected yet." if status == "never_seen" else "The charger is offline."
            return {"supported": supported, "present": False, "content": "", "error": error}
        content = ""
        if present:
            amps = rng.choice((25, 35, 40, 63))
            content = f"[nanogrid]\nenabled=1\nmain_fuse={amps}\nphases=3\nmeter=p1\n"
        return {"supported": supported, "present": present, "content": content}

    def chargee_meter(self, chargee: str) -> dict[str, Any] | None:
        """The Chargee meter with this Chargee ID or serial number (case-blind), or None."""
        if self._chargee is None:
            rng = random.Random(f"plugchoice-chargee:{self.seed}")
            meters: dict[str, dict[str, Any]] = {}
            for number in range(1, CHARGEE_METERS + 1):
                created = format_timestamp(self.now() - rng.randrange(30, 400) * 86_400)
                if number == CHARGEE_METERS:
                    latest: dict[str, Any] = {"l1": 0, "l2": 0, "l3": 0, "updated_at": "-"}
                    power: Any = CHARGEE_UNREADABLE
                else:
                    amps = [rng.randrange(1, 40) for _ in range(3)]
                    stamp = format_timestamp(self.now() - rng.randrange(2, 60))
                    latest = {"l1": amps[0], "l2": amps[1], "l3": amps[2], "updated_at": stamp}
                    power = sum(amps) * 230
                meter = {
                    "uuid": random_uuid(rng),
                    "id": 1000 + number,
                    "type": "p1_meter" if number < CHARGEE_METERS else "ct_meter",
                    "latest_data": latest,
                    "power": power,
                    "created_at": created,
                    "updated_at": created,
                }
                meters[f"CHG-{number:04d}"] = meters[f"E{number:07d}"] = meter
            self._chargee = meters
        return self._chargee.get(chargee.upper())
