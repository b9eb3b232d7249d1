"""Routes of chargers themselves: the list and documents, creation and setup, updates, connectors, actions,
settings and license payments."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web

from ._pagination import simple_page
from ._web import (
    CHARGER_FIELDS,
    CHARGER_NOT_FOUND,
    FORBIDDEN,
    MAX_IDENTITY,
    AddRoute,
    RouteGroup,
    Validator,
    json_response,
    message_response,
    no_content,
    ok,
    read_input,
)

__all__ = ["ChargerRoutes"]

PHASE_ROTATIONS = ("RST", "RTS", "SRT", "STR", "TRS", "TSR", "RS", "RT", "SR", "ST", "TR", "TS", "R", "S", "T")
PROFILE_PURPOSES = ("ChargePointMaxProfile", "TxDefaultProfile", "TxProfile")
PROFILE_KINDS = ("Absolute", "Recurring", "Relative")
_TIMEOUT = "The charger did not respond in time."
_UPDATE_FIELDS = (
    "uuid",
    "id",
    "identity",
    "reference",
    "connection_status",
    "status",
    "error",
    "error_info",
    "created_at",
    "updated_at",
    "licenses",
)
_OCPP_METHODS = {
    "start": "RemoteStartTransaction",
    "stop": "RemoteStopTransaction",
    "restart": "Reset",
    "charge-limit": "SetChargingProfile",
    "charging-profile": "SetChargingProfile",
    "clear-charging-profile": "ClearChargingProfile",
    "composite-schedule": "GetCompositeSchedule",
    "setup": "ChangeConfiguration",
}
_SETUP_ROTATIONS = {3: ("RST", "RTS", "SRT", "STR", "TRS", "TSR"), 1: ("R", "S", "T")}
_NET_TYPES = ("IT", "TT", "TN", "unknown")


class ChargerRoutes(RouteGroup):
    """``/chargers``, ``/chargers/{c}``, its setup, connectors, ``actions/*``, ``settings/*`` and license payments."""

    _license_rng: random.Random | None = None  # the payment intents' ids, drawn on first use

    def register(self, add: AddRoute) -> None:
        add("GET", "/chargers/{uuid}", self.get_charger)  # first: the router tries /chargers/... in this order
        add("GET", "/chargers", self.list_chargers)
        add("PUT", "/chargers/{uuid}", self.update_charger)
        add("PUT", "/chargers/{uuid}/connectors/{number}", self.update_connector)
        add("POST", "/chargers/{uuid}/actions/start", self.start)
        add("POST", "/chargers/{uuid}/actions/stop", self.stop)
        add("POST", "/chargers/{uuid}/actions/restart", self.restart)
        add("POST", "/chargers/{uuid}/actions/charge-limit", self.charge_limit)
        add("POST", "/chargers/{uuid}/actions/charging-profile", self.charging_profile)
        add("POST", "/chargers/{uuid}/actions/clear-charging-profile", self.clear_charging_profile)
        add("POST", "/chargers/{uuid}/actions/composite-schedule", self.composite_schedule)
        add("GET", "/chargers/{uuid}/settings/lock", self.get_lock)
        add("POST", "/chargers/{uuid}/settings/lock", self.set_lock)
        add("GET", "/chargers/{uuid}/settings/socket-lock", self.get_socket_lock)
        add("GET", "/chargers/{uuid}/settings/plug-charge", self.get_plug_charge)
        add("POST", "/chargers/{uuid}/settings/plug-charge", self.set_plug_charge)
        add("GET", "/chargers/{uuid}/settings/public-charging", self.get_public_charging)
        add("POST", "/chargers/{uuid}/settings/public-charging", self.set_public_charging)
        add("POST", "/chargers", self.create_charger)
        add("POST", "/chargers/{uuid}/setup", self.setup)
        add("GET", "/chargers/{uuid}/settings/nanogrid", self.get_nanogrid)
        add("POST", "/chargers/{uuid}/licenses/payment-intent", self.payment_intent)

    # -- documents -------------------------------------------------------------------------------

    async def list_chargers(self, request: web.Request) -> web.Response:
        return simple_page(request, self.state.chargers.items(), self._list_item, self.page_size(request))

    def _list_item(self, row: tuple[str, dict[str, Any]]) -> bytes:
        uuid, charger = row
        body = self.state.list_items.get(uuid)
        if body is None:
            body = self.state.list_items[uuid] = orjson.dumps(self.state.list_item(charger))
        return body

    async def get_charger(self, request: web.Request) -> web.Response:
        uuid = request.match_info["uuid"]
        state = self.state
        charger = state.chargers.get(uuid)
        if charger is None:
            forbidden = uuid in state.world.foreign_chargers
            return json_response(403, FORBIDDEN) if forbidden else json_response(404, CHARGER_NOT_FOUND)
        body = state.documents.get(uuid)
        if body is None:
            body = state.documents[uuid] = orjson.dumps({"data": charger})
        return json_response(200, body)

    async def update_charger(self, request: web.Request) -> web.Response:
        charger = self.charger(request.match_info["uuid"])
        if isinstance(charger, web.Response):
            return charger
        check = Validator(await read_input(request))
        reference = check.string("reference", nullable=True, max=255)
        if check.failed:
            return check.response()
        if check.has("reference"):
            charger.update(reference=reference, updated_at=self.state.stamp())
            self.state.invalidate(charger["uuid"])
        return ok({"data": {name: charger.get(name) for name in _UPDATE_FIELDS}})

    async def update_connector(self, request: web.Request) -> web.Response:
        found = self.connector(request.match_info["uuid"], request.match_info["number"])
        if isinstance(found, web.Response):
            return found
        charger, connector = found
        check = Validator(await read_input(request))
        rotation = check.one_of("phase_rotation", PHASE_ROTATIONS, required=True)
        amperage = check.integer("max_amperage", required=True, min=1, max=1000)
        if check.failed:
            return check.response()
        stamp = self.state.stamp()
        connector.update(phase_rotation=rotation, max_amperage=amperage, updated_at=stamp)
        charger["updated_at"] = stamp
        self.state.invalidate(charger["uuid"])
        return ok({"data": connector})

    # -- actions ---------------------------------------------------------------------------------

    def _perform(
        self, charger: dict[str, Any], action: str, body: dict[str, Any], command: Callable[[], str]
    ) -> web.Response:
        """Run a validated command as the charger's behaviour says, record it, and answer."""
        status, timed_out = self.state.perform(charger["uuid"], action, _OCPP_METHODS[action], body, command)
        if timed_out:
            return message_response(504, _TIMEOUT)
        return ok({"status": status})

    async def _charger_and_input(self, request: web.Request) -> tuple[dict[str, Any], Validator] | web.Response:
        charger = self.charger(request.match_info["uuid"])
        if isinstance(charger, web.Response):
            return charger
        return charger, Validator(await read_input(request))

    async def start(self, request: web.Request) -> web.Response:
        found = await self._charger_and_input(request)
        if isinstance(found, web.Response):
            return found
        charger, check = found
        id_token = check.string("id_token", required=True, max=20)
        connector_id = check.integer("connector_id", gt=0)
        if check.failed or id_token is None:
            return check.response()
        body = {"id_token": id_token, "connector_id": connector_id}
        number = connector_id or 1
        return self._perform(charger, "start", body, lambda: self.state.start(charger["uuid"], number, id_token))

    async def stop(self, request: web.Request) -> web.Response:
        found = await self._charger_and_input(request)
        if isinstance(found, web.Response):
            return found
        charger, check = found
        transaction_id = check.integer("transaction_id", nullable=True, min=0)
        if check.failed:
            return check.response()
        body = {"transaction_id": transaction_id}
        return self._perform(charger, "stop", body, lambda: self.state.stop(charger["uuid"], transaction_id))

    async def restart(self, request: web.Request) -> web.Response:
        charger = self.charger(request.match_info["uuid"])
        if isinstance(charger, web.Response):
            return charger
        return self._perform(charger, "restart", {}, lambda: self.state.restart(charger["uuid"]))

    async def charge_limit(self, request: web.Request) -> web.Response:
        found = await self._charger_and_input(request)
        if isinstance(found, web.Response):
            return found
        charger, check = found
        connector_id = check.integer("connector_id", required=True, min=0)
        limit = check.number("limit", required=True, min=0)
        stack_level = check.integer("stack_level", nullable=True, min=0)
        if check.failed or connector_id is None or limit is None:
            return check.response()
        level = 1 if stack_level is None else stack_level
        body = {"connector_id": connector_id, "limit": limit, "stack_level": level}

        def command() -> str:
            return self.state.charge_limit(charger["uuid"], connector_id, limit, level)

        return self._perform(charger, "charge-limit", body, command)

    async def charging_profile(self, request: web.Request) -> web.Response:
        found = await self._charger_and_input(request)
        if isinstance(found, web.Response):
            return found
        charger, check = found
        connector_id = check.integer("connector_id", required=True, min=0)
        profile = check.mapping("charging_profile", required=True)
        if profile is not None:
            check.integer("charging_profile.charging_profile_id", required=True)
            check.integer("charging_profile.transaction_id", nullable=True)
            check.integer("charging_profile.stack_level", required=True, min=0)
            check.one_of("charging_profile.charging_profile_purpose", PROFILE_PURPOSES, required=True)
            check.one_of("charging_profile.charging_profile_kind", PROFILE_KINDS, required=True)
            check.one_of("charging_profile.recurrency_kind", ("Daily", "Weekly"), nullable=True)
            check.date("charging_profile.valid_from", nullable=True)
            check.date("charging_profile.valid_to", nullable=True)
            schedule = check.mapping("charging_profile.charging_schedule", required=True)
            if schedule is not None:
                prefix = "charging_profile.charging_schedule"
                check.integer(f"{prefix}.duration", nullable=True, min=0)
                check.date(f"{prefix}.start_schedule", nullable=True)
                check.one_of(f"{prefix}.charging_rate_unit", ("A", "W"), required=True)
                check.number(f"{prefix}.min_charging_rate", nullable=True, min=0)
                periods = check.items(f"{prefix}.charging_schedule_period", required=True, min=1)
                for index in range(len(periods or ())):
                    item = f"{prefix}.charging_schedule_period.{index}"
                    check.integer(f"{item}.start_period", required=True, min=0)
                    check.number(f"{item}.limit", required=True, min=0)
                    check.integer(f"{item}.number_phases", nullable=True, min=1, max=3)
        if check.failed or connector_id is None or profile is None:
            return check.response()
        body = {"connector_id": connector_id, "charging_profile": profile}

        def command() -> str:
            return self.state.set_profile(charger["uuid"], connector_id, profile)

        return self._perform(charger, "charging-profile", body, command)

    async def clear_charging_profile(self, request: web.Request) -> web.Response:
        found = await self._charger_and_input(request)
        if isinstance(found, web.Response):
            return found
        charger, check = found
        profile_id = check.integer("id", nullable=True)
        connector_id = check.integer("connector_id", nullable=True, min=0)
        purpose = check.one_of("charging_profile_purpose", PROFILE_PURPOSES, nullable=True)
        stack_level = check.integer("stack_level", nullable=True, min=0)
        if check.failed:
            return check.response()
        body = {"id": profile_id, "connector_id": connector_id, "charging_profile_purpose": purpose}
        body["stack_level"] = stack_level

        def command() -> str:
            return self.state.clear_profiles(charger["uuid"], profile_id, connector_id, purpose, stack_level)

        return self._perform(charger, "clear-charging-profile", body, command)

    async def composite_schedule(self, request: web.Request) -> web.Response:
        found = await self._charger_and_input(request)
        if isinstance(found, web.Response):
            return found
        charger, check = found
        connector_id = check.integer("connector_id", required=True, min=0)
        duration = check.integer("duration", required=True, gt=0)
        unit = check.one_of("charging_rate_unit", ("A", "W"), nullable=True)
        if check.failed or connector_id is None or duration is None:
            return check.response()
        body = {"connector_id": connector_id, "duration": duration, "charging_rate_unit": unit}
        answer: dict[str, Any] = {}

        def command() -> str:
            answer.update(self.state.composite_schedule(charger["uuid"], connector_id, duration, unit))
            return str(answer["status"])

        state = self.state
        method = _OCPP_METHODS["composite-schedule"]
        status, timed_out = state.perform(
            charger["uuid"], "composite-schedule", method, body, command, changes_state=False
        )
        if timed_out:
            return message_response(504, _TIMEOUT)
        return ok(answer or {"status": status, "connectorId": connector_id})

    # -- settings --------------------------------------------------------------------------------

    async def get_lock(self, request: web.Request) -> web.Response:
        charger = self.charger(request.match_info["uuid"])
        if isinstance(charger, web.Response):
            return charger
        return ok({"enabled": self.state.settings(charger["uuid"]).locked})

    async def set_lock(self, request: web.Request) -> web.Response:
        found = await self._charger_and_input(request)
        if isinstance(found, web.Response):
            return found
        charger, check = found
        enabled = check.boolean("enabled", required=True)
        if check.failed or enabled is None:
            return check.response()
        self.state.set_lock(charger["uuid"], enabled)
        return no_content()

    async def get_socket_lock(self, request: web.Request) -> web.Response:
        charger = self.charger(request.match_info["uuid"])
        if isinstance(charger, web.Response):
            return charger
        formats = {connector.get("format") for connector in charger["connectors"]}
        online = charger["connection_status"] == "online"
        if charger["connection_status"] == "never_seen":
            answer = {"enabled": False, "interactable": False, "error": "The charger has not connected yet."}
        elif "Socket" not in formats:
            answer = {"enabled": False, "interactable": False, "error": "This charger has a fixed cable."}
        else:
            error = None if online else "The charger is offline."
            answer = {"enabled": True, "interactable": online, "error": error}
        return ok(answer)

    async def get_plug_charge(self, request: web.Request) -> web.Response:
        charger = self.charger(request.match_info["uuid"])
        if isinstance(charger, web.Response):
            return charger
        settings = self.state.settings(charger["uuid"])
        return ok({"enabled": settings.plug_charge, "current_card": settings.card_uid})

    async def set_plug_charge(self, request: web.Request) -> web.Response:
        found = await self._charger_and_input(request)
        if isinstance(found, web.Response):
            return found
        charger, check = found
        enabled = check.boolean("enabled", required=True)
        if enabled and not check.filled("card_uid"):
            check.fail("card_uid", "The card uid field is required when enabled is true.")
        card_uid = check.string("card_uid", nullable=True, max=20)
        if check.failed or enabled is None:
            return check.response()
        settings = self.state.settings(charger["uuid"])
        settings.plug_charge = enabled
        settings.card_uid = card_uid if enabled else None
        return no_content()

    async def get_public_charging(self, request: web.Request) -> web.Response:
        charger = self.charger(request.match_info["uuid"])
        if isinstance(charger, web.Response):
            return charger
        return ok(self.state.settings(charger["uuid"]).public)

    async def set_public_charging(self, request: web.Request) -> web.Response:
        found = await self._charger_and_input(request)
        if isinstance(found, web.Response):
            return found
        charger, check = found
        public = self.state.settings(charger["uuid"]).public
        limits = public["limits"]
        enabled = check.boolean("enabled", required=True)
        price = check.integer("price_per_kwh", nullable=True, min=0, max=limits["max_price_per_kwh"])
        start_fee = check.integer("start_fee", nullable=True, min=0, max=limits["max_start_fee"])
        plan = check.string("billing_plan", nullable=True, max=255)
        if check.failed or enabled is None:
            return check.response()
        public["enabled"] = enabled
        if price is not None:
            public["price_per_kwh"] = price
        if start_fee is not None:
            public["start_fee"] = start_fee
        if plan is not None:
            public["billing"]["plan"] = plan
        return ok(public)

    # -- creation, setup, nanogrid, licenses ------------------------------------------------------

    async def create_charger(self, request: web.Request) -> web.Response:
        """``POST /chargers``: a new charger in the user's team (or ``team_uuid``), on ``site_uuid`` if given."""
        state = self.state
        world = state.world
        check = Validator(await read_input(request))
        identity = check.string("identity", required=True, max=MAX_IDENTITY)
        team_uuid = check.uuid("team_uuid", nullable=True)
        site_uuid = check.uuid("site_uuid", nullable=True)
        if identity is not None and state.identity_taken(identity):
            check.fail("identity", "The identity has already been taken.")
        team_uuid = None if team_uuid is None else team_uuid.lower()
        site_uuid = None if site_uuid is None else site_uuid.lower()
        if team_uuid is not None and team_uuid not in world.teams and team_uuid != world.foreign_team["uuid"]:
            check.fail("team_uuid", "The selected team uuid is invalid.")
        if site_uuid is not None and site_uuid not in world.sites and site_uuid != world.foreign_site["uuid"]:
            check.fail("site_uuid", "The selected site uuid is invalid.")
        if check.failed or identity is None:
            return check.response()
        if team_uuid == world.foreign_team["uuid"] or site_uuid == world.foreign_site["uuid"]:
            return json_response(403, FORBIDDEN)
        teams = {team_uuid or state.personal_team()["uuid"]}
        if site_uuid is not None:
            teams.add(world.site_team[site_uuid])
        charger = state.create_charger(identity, teams, site_uuid)
        return ok({"data": {name: charger.get(name) for name in CHARGER_FIELDS}})

    async def setup(self, request: web.Request) -> web.Response:
        """``POST /chargers/{c}/setup``: validated, sent to the charger, which then restarts (see ``State.setup``)."""
        found = await self._charger_and_input(request)
        if isinstance(found, web.Response):
            return found
        charger, check = found
        phases = check.integer("phases", required=True)
        if phases is not None and phases not in _SETUP_ROTATIONS:
            check.fail("phases", "The selected phases is invalid.")
            phases = None
        max_current = check.integer("max_current", required=True, min=6)
        group = check.integer("group", nullable=True)
        net_type = check.one_of("net_type", _NET_TYPES, nullable=True)
        rotation = check.string("phase_rotation", nullable=True)
        if rotation is not None and phases is not None and rotation not in _SETUP_ROTATIONS[phases]:
            check.fail("phase_rotation", "The phase rotation does not match the number of phases.")
        if group is not None:
            site_uuid = self.state.world.charger_site.get(charger["uuid"])
            groups = self.state.world.groups.get(site_uuid or "", [])
            if all(item["id"] != group for item in groups):
                check.fail("group", "The selected group is invalid.")
        if check.failed or phases is None or max_current is None:
            return check.response()
        body = {
            "phases": phases,
            "max_current": max_current,
            "group": group,
            "net_type": net_type,
            "phase_rotation": rotation,
        }
        status, timed_out = self.state.perform(
            charger["uuid"], "setup", _OCPP_METHODS["setup"], body, lambda: self.state.setup(charger["uuid"], body)
        )
        if timed_out:
            return message_response(504, _TIMEOUT)
        if status != "Accepted":
            return ok({"message": "The charger rejected the setup.", "setup_pending": False})
        return ok({"message": "Charger setup started. The charger will restart.", "setup_pending": True})

    async def get_nanogrid(self, request: web.Request) -> web.Response:
        charger = self.charger(request.match_info["uuid"])
        if isinstance(charger, web.Response):
            return charger
        return ok(self.state.nanogrid(charger["uuid"]))

    async def payment_intent(self, request: web.Request) -> web.Response:
        """``POST /chargers/{c}/licenses/payment-intent``: Stripe test-mode ids, drawn afresh for every call."""
        found = await self._charger_and_input(request)
        if isinstance(found, web.Response):
            return found
        _, check = found
        product = check.string("product", required=True, max=255)
        if check.failed or product is None:
            return check.response()
        if self._license_rng is None:
            self._license_rng = random.Random(f"plugchoice-license:{self.state.seed}")
        rng = self._license_rng

        def token(prefix: str, length: int = 24) -> str:
            alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
            return prefix + "".join(rng.choice(alphabet) for _ in range(length))

        return ok(
            {
                "payment_intent": token("pi_"),
                "ephemeral_key": token("ek_test_"),
                "customer": token("cus_", 14),
                "publishable_key": token("pk_test_"),
            }
        )
