"""Routes of public charging: a charger's public page and a paying driver's session (no bearer token: the auth
middleware lets ``/public-charging/`` through, and these requests do not count against a token's rate budget).

A charger is public while its ``settings/public-charging`` is enabled; its ``public_code`` (any case) finds it.
Sessions live in ``State.public_sessions`` (session token -> record) and move over the emulator's clock::

    created --confirm--> authorized --1 s--> starting --5 s after confirm--> charging (a transaction starts)
    charging --stop--> stopping --3 s--> settling (energy, cost and the captured amount are final)
    created | authorized | starting --cancel--> cancelled (the hold is released); later: 409
    created, never confirmed, for 30 minutes: expired (404 from then on, the connector is free again)

A charger that is offline (or set to reject commands) refuses to stop: 400.
"""

from __future__ import annotations

import random
import string
from typing import Any

from aiohttp import web

from ._fleet import format_timestamp
from ._web import AddRoute, RouteGroup, Validator, message_response, ok, read_input

__all__ = ["PublicRoutes"]

_STARTING_AFTER = 1.0  # seconds after confirm
_CHARGING_AFTER = 5.0  # seconds after confirm
_SETTLING_AFTER = 3.0  # seconds after stop
_EXPIRES_AFTER = 1800.0  # an unconfirmed session, seconds after it was created
_POWER_KW = 11.0
_TAX_PERCENT = 21
_AVAILABLE = frozenset(("Available", "Preparing"))
_CANCELLABLE = frozenset(("created", "authorized", "starting"))
_OVER = frozenset(("cancelled", "settling", "failed", "expired"))
_UNKNOWN_SESSION = "This session does not exist or has expired."
_UNKNOWN_CHARGER = "This charger does not exist or does not offer public charging."


def _expired(session: dict[str, Any], now: float) -> bool:
    """Whether a session was left unconfirmed too long (it is then gone)."""
    return bool(session["status"] == "created" and now >= session["created"] + _EXPIRES_AFTER)


def _stamp(epoch: float | None) -> str | None:
    return None if epoch is None else format_timestamp(epoch)


class PublicRoutes(RouteGroup):
    """``/public-charging/chargers/{code}`` and ``/public-charging/sessions[/{token}[/confirm|stop|cancel]]``."""

    def register(self, add: AddRoute) -> None:
        add("GET", "/public-charging/chargers/{code}", self.get_charger)
        add("POST", "/public-charging/sessions", self.start_session)
        add("GET", "/public-charging/sessions/{token}", self.get_session)
        add("POST", "/public-charging/sessions/{token}/confirm", self.confirm)
        add("POST", "/public-charging/sessions/{token}/stop", self.stop)
        add("POST", "/public-charging/sessions/{token}/cancel", self.cancel)

    # -- lookups and documents -------------------------------------------------------------------

    def _public(self, code: str) -> dict[str, Any] | None:
        """The charger whose enabled public charging has ``code`` (case-insensitive)."""
        wanted = code.lower()
        for uuid, charger in self.state.chargers.items():
            public = self.state.settings(uuid).public
            if public["enabled"] and str(public["public_code"]).lower() == wanted:
                return charger
        return None

    def _pricing(self, uuid: str) -> dict[str, Any]:
        public = self.state.settings(uuid).public
        return {name: public[name] for name in ("currency", "price_per_kwh", "start_fee")}

    def _charger_summary(self, charger: dict[str, Any]) -> dict[str, Any]:
        return {
            "public_code": self.state.settings(charger["uuid"]).public["public_code"],
            "name": charger.get("reference") or charger["identity"],
            "online": charger["connection_status"] == "online",
        }

    def _session_document(self, session: dict[str, Any]) -> dict[str, Any]:
        charger = self.state.chargers.get(session["uuid"])
        connector = None if charger is None else self.state.connector(charger, session["connector_id"])
        return {
            "status": session["status"],
            "failure_reason": session["failure_reason"],
            "connector_id": session["connector_id"],
            "connector_status": None if connector is None else connector["status"],
            "charger": None if charger is None else self._charger_summary(charger),
            "pricing": session["pricing"],
            "amount_authorized": session["amount_authorized"],
            "energy_kwh": f"{session['energy_kwh']:.3f}",
            "cost_amount": session["cost_amount"],
            "amount_captured": session["amount_captured"],
            "tax_amount": session["tax_amount"],
            "driver_email": session["email"],
            "created_at": _stamp(session["created"]),
            "authorized_at": _stamp(session["authorized"]),
            "charging_started_at": _stamp(session["charging_started"]),
            "completed_at": _stamp(session["completed"]),
            "captured_at": _stamp(session["captured"]),
        }

    def _answer(self, session: dict[str, Any], *, payment: bool = False) -> web.Response:
        document: dict[str, Any] = {"data": self._session_document(session)}
        if payment:
            document["payment"] = session["payment"] if session["status"] == "created" else None
        return ok(document)

    def _session(self, request: web.Request) -> dict[str, Any] | web.Response:
        """The session of ``{token}``, moved along the clock, or the 404 answer."""
        session = self.state.public_sessions.get(request.match_info["token"])
        if session is not None and _expired(session, self.state.now()):
            session["status"] = "expired"  # kept, so that its token is never drawn again
        if session is None or session["status"] == "expired":
            return message_response(404, _UNKNOWN_SESSION)
        self._advance(session)
        return session

    # -- the clock moves a session ---------------------------------------------------------------

    def _advance(self, session: dict[str, Any]) -> None:
        now = self.state.now()
        status = session["status"]
        if status == "authorized" and now >= session["authorized"] + _STARTING_AFTER:
            session["status"] = status = "starting"
        if status == "starting" and now >= session["authorized"] + _CHARGING_AFTER:
            self._start_charging(session)
        if session["status"] == "stopping" and now >= session["stop_requested"] + _SETTLING_AFTER:
            self._settle(session, now)

    def _start_charging(self, session: dict[str, Any]) -> None:
        state, uuid, number = self.state, session["uuid"], session["connector_id"]
        if uuid not in state.chargers or state.start(uuid, number, "PUBLIC") != "Accepted":
            session.update(status="failed", failure_reason="The charger did not start charging.")
            return
        running = state.history(uuid).active_on(number)
        session.update(
            status="charging",
            charging_started=state.now(),
            transaction_id=None if running is None else running.id,
        )

    def _settle(self, session: dict[str, Any], now: float) -> None:
        hours = max(0.0, session["stop_requested"] - session["charging_started"]) / 3600
        kwh = round(_POWER_KW * hours, 3)
        pricing = session["pricing"]
        cost = min(round(kwh * pricing["price_per_kwh"]) + pricing["start_fee"], session["amount_authorized"])
        session.update(
            status="settling",
            energy_kwh=kwh,
            cost_amount=cost,
            tax_amount=round(cost * _TAX_PERCENT / (100 + _TAX_PERCENT)),
            amount_captured=cost,
            completed=session["stop_requested"],
            captured=now,
        )

    # -- routes ----------------------------------------------------------------------------------

    async def get_charger(self, request: web.Request) -> web.Response:
        charger = self._public(request.match_info["code"])
        if charger is None:
            return message_response(404, _UNKNOWN_CHARGER)
        uuid = charger["uuid"]
        connectors = [
            {name: connector.get(name) for name in ("connector_id", "status", "standard", "format", "power_type")}
            for connector in charger["connectors"]
        ]
        document = {
            **self._charger_summary(charger),
            "connectors": connectors,
            "pricing": self._pricing(uuid),
            "preauth_amount": self.state.settings(uuid).public["preauth_amount"],
        }
        return ok({"data": document})

    async def start_session(self, request: web.Request) -> web.Response:
        check = Validator(await read_input(request))
        code = check.string("code", required=True, max=10)
        number = check.integer("connector_id", required=True, min=1, max=100)
        email = check.string("email", nullable=True, max=255)
        if email is not None and "@" not in email:
            check.fail("email", "The email field must be a valid email address.")
        if check.failed or code is None or number is None:
            return check.response()
        state = self.state
        charger = self._public(code)
        if charger is None:
            return message_response(404, _UNKNOWN_CHARGER)
        if charger["connection_status"] != "online":
            return message_response(400, "The charger is offline.")
        connector = state.connector(charger, number)
        if connector is None:
            check.fail("connector_id", "The selected connector id is invalid.")
            return check.response()
        now = state.now()
        busy = any(
            s["uuid"] == charger["uuid"]
            and s["connector_id"] == number
            and s["status"] not in _OVER
            and not _expired(s, now)
            for s in state.public_sessions.values()
        )
        if busy or connector["status"] not in _AVAILABLE:
            return message_response(409, "This connector is not available.")
        rng = random.Random(f"plugchoice-public-session:{state.seed}:{len(state.public_sessions)}")
        token = "".join(rng.choices(string.ascii_letters + string.digits, k=48))
        intent = "".join(rng.choices(string.ascii_letters + string.digits, k=24))
        public = state.settings(charger["uuid"]).public
        session = {
            "uuid": charger["uuid"],
            "connector_id": number,
            "status": "created",
            "failure_reason": None,
            "email": email,
            "pricing": self._pricing(charger["uuid"]),
            "amount_authorized": public["preauth_amount"],
            "energy_kwh": 0.0,
            "cost_amount": None,
            "amount_captured": None,
            "tax_amount": None,
            "created": state.now(),
            "authorized": None,
            "charging_started": None,
            "stop_requested": None,
            "completed": None,
            "captured": None,
            "transaction_id": None,
            "payment": {
                "client_secret": f"pi_{intent}_secret_{token[:16]}",
                "publishable_key": "pk_test_plugchoice_emulator",
                "stripe_account_id": f"acct_{intent[:16]}",
            },
        }
        state.public_sessions[token] = session
        document = {"session_token": token, "data": self._session_document(session), "payment": session["payment"]}
        return ok(document, 201)

    async def get_session(self, request: web.Request) -> web.Response:
        session = self._session(request)
        if isinstance(session, web.Response):
            return session
        return self._answer(session, payment=True)

    async def confirm(self, request: web.Request) -> web.Response:
        session = self._session(request)
        if isinstance(session, web.Response):
            return session
        if session["status"] == "created":
            session.update(status="authorized", authorized=self.state.now())
        elif session["status"] in ("cancelled", "failed"):
            return message_response(409, "This session can no longer be confirmed.")
        return self._answer(session)

    async def stop(self, request: web.Request) -> web.Response:
        session = self._session(request)
        if isinstance(session, web.Response):
            return session
        status = session["status"]
        if status in ("stopping", "settling"):
            return self._answer(session)
        if status != "charging":
            return message_response(400, "The session is not charging.")
        state, uuid = self.state, session["uuid"]
        if uuid not in state.chargers or state.behaviour(uuid) in ("reject", "offline"):
            return message_response(400, "The charger refused to stop. Unplug the vehicle to end the session.")
        state.stop(uuid, session["transaction_id"])
        session.update(status="stopping", stop_requested=state.now())
        return self._answer(session)

    async def cancel(self, request: web.Request) -> web.Response:
        session = self._session(request)
        if isinstance(session, web.Response):
            return session
        if session["status"] not in _CANCELLABLE:
            return message_response(409, "This session can no longer be cancelled.")
        now = self.state.now()
        session.update(status="cancelled", amount_captured=0, cost_amount=0, tax_amount=0, completed=now)
        return self._answer(session)
