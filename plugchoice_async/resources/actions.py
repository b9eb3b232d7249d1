"""Live OCPP commands to a charger (``client.chargers.actions``).

These change the physical world: a session starts, a car stops charging, a charger reboots.
The SDK never sends one twice on its own:

* every argument is checked first; a bad one raises ``InvalidRequestError`` (a ``ValueError``)
  and nothing is sent;
* a command is a ``POST`` sent once. The transport retries it only when it provably never
  reached the server (the connection was refused) or the server refused it unprocessed
  (429 Too Many Requests). A 5xx, a timeout or a connection lost after sending is raised as is;
* a 504 raises ``ChargerTimeoutError``: the charger did not confirm in time, yet it may have
  carried the command out. Re-read the state (``client.chargers.get``,
  ``client.chargers.active_transaction``) before deciding to send it again.

The answer is the charger's OCPP status as an ``ActionResult`` (``Accepted``, ``Rejected``,
``Unknown``; None when the server reported none); ``composite_schedule`` reads the schedule the
charger will apply (a ``CompositeSchedule``), under the same rules since it is a command too.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

import attrs

from .._converter import structure_response, unstructure_request
from ..exceptions import InvalidRequestError
from ..models._enums import ChargingProfileKind, ChargingProfilePurpose, ChargingRateUnit, RecurrencyKind
from ..models.actions import ActionResult, ChargingProfile, CompositeSchedule
from . import _validate as check
from ._base import Resource
from ._ids import uuid_segment

__all__ = ["ChargerActions"]

_PURPOSES: Final = frozenset(p.value for p in ChargingProfilePurpose)
_KINDS: Final = frozenset(k.value for k in ChargingProfileKind)
_RECURRENCIES: Final = frozenset(r.value for r in RecurrencyKind)
_RATE_UNITS: Final = frozenset(u.value for u in ChargingRateUnit)
_MAX_ID_TOKEN: Final = 20
_MAX_EXACT_INT: Final = 2**53  # floats hold every integer up to this exactly


def _check_profile(profile: Any) -> ChargingProfile:
    """What the API validates in a charging profile, checked before sending."""
    if not isinstance(profile, ChargingProfile):
        raise InvalidRequestError(f"charging_profile must be a ChargingProfile, got {type(profile).__name__}")
    check.integer("charging_profile.charging_profile_id", profile.charging_profile_id)
    if profile.transaction_id is not None:
        check.integer("charging_profile.transaction_id", profile.transaction_id, minimum=0)
    check.integer("charging_profile.stack_level", profile.stack_level, minimum=0)
    check.choice("charging_profile.charging_profile_purpose", profile.charging_profile_purpose, _PURPOSES)
    kind = check.choice("charging_profile.charging_profile_kind", profile.charging_profile_kind, _KINDS)
    if profile.recurrency_kind is not None:
        check.choice("charging_profile.recurrency_kind", profile.recurrency_kind, _RECURRENCIES)
    elif kind == ChargingProfileKind.RECURRING:
        raise InvalidRequestError("charging_profile.recurrency_kind is required for a Recurring profile")
    schedule = profile.charging_schedule
    if schedule.duration is not None:
        check.integer("charging_schedule.duration", schedule.duration, minimum=0)
    check.choice("charging_schedule.charging_rate_unit", schedule.charging_rate_unit, _RATE_UNITS)
    if schedule.min_charging_rate is not None:
        check.number("charging_schedule.min_charging_rate", schedule.min_charging_rate, minimum=0)
    periods = check.non_empty(
        "charging_schedule.charging_schedule_period", schedule.charging_schedule_period, what="period"
    )
    for index, period in enumerate(periods):
        where = f"charging_schedule_period[{index}]"
        check.integer(f"{where}.start_period", period.start_period, minimum=0)
        check.number(f"{where}.limit", period.limit, minimum=0)
        if period.number_phases is not None:
            check.integer(f"{where}.number_phases", period.number_phases, minimum=1, maximum=3)
    return profile


def _compact(value: float) -> float:
    """An integral float as an ``int``, so the body says ``16`` rather than ``16.0``.

    Only where the ``int`` is exact and fits JSON's integers (a huge float stays a float).
    """
    if isinstance(value, float) and value.is_integer() and abs(value) <= _MAX_EXACT_INT:
        return int(value)
    return value


def _profile_body(profile: ChargingProfile) -> dict[str, Any]:
    """The ``charging_profile`` JSON of a checked profile, with integral limits sent as integers."""
    schedule = profile.charging_schedule
    periods = tuple(attrs.evolve(period, limit=_compact(period.limit)) for period in schedule.charging_schedule_period)
    return unstructure_request(
        attrs.evolve(profile, charging_schedule=attrs.evolve(schedule, charging_schedule_period=periods))
    )


class ChargerActions(Resource):
    """Live OCPP commands to a charger (``client.chargers.actions``): see the module docstring for the safety rules."""

    async def _command(self, charger: str | uuid.UUID, action: str, body: dict[str, Any] | None) -> ActionResult:
        """Send one command, once (``action=True``: a 504 is ``ChargerTimeoutError``), and read the status."""
        path = f"/chargers/{uuid_segment(charger)}/actions/{action}"
        data = await self._transport.request("POST", path, json=body, action=True)
        if data is None:  # an empty answer: the server took the command and reported nothing
            return ActionResult()
        return structure_response(data, ActionResult, method="POST", path=path)

    async def start(self, charger: str | uuid.UUID, *, id_token: str, connector_id: int | None = None) -> ActionResult:
        """``POST /chargers/{uuid}/actions/start``: start a charging session (OCPP RemoteStartTransaction).

        ``id_token`` is the card or token the session is authorised with (1 to 20 characters);
        ``connector_id`` the 1-based connector (the charger picks one when omitted).

        Returns the charger's answer: ``Accepted`` means it will start, ``Rejected`` that it will not
        (busy, locked, unknown connector). Raises ``ChargerTimeoutError`` when the charger did not
        answer in time: the session may have started all the same, so check
        ``client.chargers.active_transaction`` (or the connector status) before starting again.
        """
        body: dict[str, Any] = {"id_token": check.text("id_token", id_token, max_length=_MAX_ID_TOKEN)}
        if connector_id is not None:
            body["connector_id"] = check.integer("connector_id", connector_id, minimum=1)
        return await self._command(charger, "start", body)

    async def stop(self, charger: str | uuid.UUID, *, transaction_id: int | None = None) -> ActionResult:
        """``POST /chargers/{uuid}/actions/stop``: stop a charging session (OCPP RemoteStopTransaction).

        ``transaction_id`` names the session (``Transaction.id``); when omitted the charger's active
        session is stopped. ``Rejected`` means no such session runs. Raises ``ChargerTimeoutError``
        when the charger did not answer in time: the session may have stopped all the same.
        """
        body: dict[str, Any] = {}
        if transaction_id is not None:
            body["transaction_id"] = check.integer("transaction_id", transaction_id, minimum=0)
        return await self._command(charger, "stop", body)

    async def restart(self, charger: str | uuid.UUID) -> ActionResult:
        """``POST /chargers/{uuid}/actions/restart``: reboot the charger (OCPP Reset).

        Running sessions end. Raises ``ChargerTimeoutError`` when the charger did not answer in
        time: it may be rebooting all the same, so do not send it again blindly.
        """
        return await self._command(charger, "restart", None)

    async def set_charge_limit(
        self, charger: str | uuid.UUID, *, limit: float, connector_id: int = 0, stack_level: int = 1
    ) -> ActionResult:
        """``POST /chargers/{uuid}/actions/charge-limit``: cap the charging current at ``limit`` amperes.

        ``limit`` >= 0 (0 A pauses charging); ``connector_id`` 0 means the whole charger, 1.. one
        connector. The limit is a charging profile at ``stack_level`` (default 1): **a profile with a
        higher stack level overrides it**, so a limit set here may have no effect while such a
        profile exists (see ``clear_charging_profile``). Raises ``ChargerTimeoutError`` when the
        charger did not answer in time: the limit may be in force all the same.
        """
        body = {
            "connector_id": check.integer("connector_id", connector_id, minimum=0),
            "limit": _compact(check.number("limit", limit, minimum=0)),
            "stack_level": check.integer("stack_level", stack_level, minimum=0),
        }
        return await self._command(charger, "charge-limit", body)

    async def set_charging_profile(
        self, charger: str | uuid.UUID, *, connector_id: int, charging_profile: ChargingProfile
    ) -> ActionResult:
        """``POST /chargers/{uuid}/actions/charging-profile``: install an OCPP charging profile.

        ``connector_id`` 0 means the whole charger. The profile is checked first (stack level >= 0,
        a known purpose and kind, a recurrency kind for ``Recurring`` profiles, at least one schedule
        period, limits >= 0, 1-3 phases). A ``TxProfile`` needs the running session's
        ``transaction_id`` or the charger rejects it. The highest stack level of a purpose wins.
        """
        body = {
            "connector_id": check.integer("connector_id", connector_id, minimum=0),
            "charging_profile": _profile_body(_check_profile(charging_profile)),
        }
        return await self._command(charger, "charging-profile", body)

    async def clear_charging_profile(
        self,
        charger: str | uuid.UUID,
        *,
        id: int | None = None,  # the API's own field name
        connector_id: int | None = None,
        charging_profile_purpose: ChargingProfilePurpose | str | None = None,
        stack_level: int | None = None,
    ) -> ActionResult:
        """``POST /chargers/{uuid}/actions/clear-charging-profile``: remove charging profiles.

        Profiles matching every criterion given are removed (``id`` is the
        ``charging_profile_id``); with none given, all of them. ``Unknown`` means none matched.
        """
        body: dict[str, Any] = {}
        if id is not None:
            body["id"] = check.integer("id", id)
        if connector_id is not None:
            body["connector_id"] = check.integer("connector_id", connector_id, minimum=0)
        if charging_profile_purpose is not None:
            body["charging_profile_purpose"] = check.choice(
                "charging_profile_purpose", charging_profile_purpose, _PURPOSES
            )
        if stack_level is not None:
            body["stack_level"] = check.integer("stack_level", stack_level, minimum=0)
        return await self._command(charger, "clear-charging-profile", body)

    async def composite_schedule(
        self,
        charger: str | uuid.UUID,
        *,
        connector_id: int,
        duration: int,
        charging_rate_unit: ChargingRateUnit | str | None = None,
    ) -> CompositeSchedule:
        """``POST /chargers/{uuid}/actions/composite-schedule``: the limits the charger will apply (OCPP
        GetCompositeSchedule), all its active charging profiles merged.

        ``connector_id`` 0 means the whole charger, 1.. one connector; ``duration`` is the span to
        report in seconds (> 0) from now; ``charging_rate_unit`` ``"A"`` or ``"W"`` asks for the limits
        in that unit (the charger's choice when omitted). It changes nothing, but it is a live command
        to the charger, sent once like the others: ``ChargerTimeoutError`` when the charger did not
        answer in time. A charger that cannot compute it answers ``Rejected``, with no
        ``charging_schedule``.
        """
        body: dict[str, Any] = {
            "connector_id": check.integer("connector_id", connector_id, minimum=0),
            "duration": check.integer("duration", duration, minimum=1),
        }
        if charging_rate_unit is not None:
            body["charging_rate_unit"] = check.choice("charging_rate_unit", charging_rate_unit, _RATE_UNITS)
        path = f"/chargers/{uuid_segment(charger)}/actions/composite-schedule"
        return await self._send("POST", path, CompositeSchedule, json=body, action=True)
