"""Live OCPP commands: their answers, and the charging-profile request bodies."""

from __future__ import annotations

from datetime import datetime

import attrs

from ._enums import ActionStatus, ChargingProfileKind, ChargingProfilePurpose, ChargingRateUnit, RecurrencyKind

__all__ = ["ActionResult", "ChargingProfile", "ChargingSchedule", "ChargingSchedulePeriod", "CompositeSchedule"]


@attrs.frozen(kw_only=True)
class ActionResult:
    """The charger's answer to a command (start, stop, restart, charge-limit, profiles).

    ``status`` is what the charger replied over OCPP (``Accepted``, ``Rejected``, and
    ``Unknown`` for clear-charging-profile). It is None when the answer carried no
    status at all: the older reference prints ``{}`` for charge-limit. None means "the
    server took the command and reported no outcome", not a rejection.
    """

    status: ActionStatus | str | None = None


@attrs.frozen(kw_only=True)
class ChargingSchedulePeriod:
    """One step of a schedule: from ``start_period`` seconds after the schedule start, at most ``limit``.

    ``limit`` is in the schedule's ``charging_rate_unit`` (amperes per phase or watts);
    ``number_phases`` None means the OCPP default (3).
    """

    start_period: int
    limit: float
    number_phases: int | None = None


@attrs.frozen(kw_only=True)
class ChargingSchedule:
    """An OCPP 1.6 charging schedule.

    Sent inside a ``ChargingProfile`` (snake_case keys) and received inside a
    ``CompositeSchedule`` (the charger's camelCase OCPP keys); the converter handles both.
    ``duration`` is in seconds (None = open-ended); ``start_schedule`` is needed for
    ``Absolute`` profiles; ``min_charging_rate`` is in ``charging_rate_unit``.
    """

    duration: int | None = None
    start_schedule: datetime | None = None
    charging_rate_unit: ChargingRateUnit | str
    charging_schedule_period: tuple[ChargingSchedulePeriod, ...]
    min_charging_rate: float | None = None


@attrs.frozen(kw_only=True)
class ChargingProfile:
    """The ``charging_profile`` of ``POST /chargers/{uuid}/actions/charging-profile`` (a request body).

    Build one and send it through the resource (``_converter.unstructure_request`` turns it
    into JSON: None fields are left out, datetimes become UTC ``...Z`` strings). A profile
    with a higher ``stack_level`` overrides lower ones of the same purpose; the
    charge-limit action uses stack level 1 by default. ``transaction_id`` only applies to
    ``TxProfile``; ``recurrency_kind`` only to ``Recurring`` profiles.
    """

    charging_profile_id: int
    transaction_id: int | None = None
    stack_level: int
    charging_profile_purpose: ChargingProfilePurpose | str
    charging_profile_kind: ChargingProfileKind | str
    recurrency_kind: RecurrencyKind | str | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    charging_schedule: ChargingSchedule


@attrs.frozen(kw_only=True)
class CompositeSchedule:
    """The answer of ``POST /chargers/{uuid}/actions/composite-schedule`` (OCPP GetCompositeSchedule).

    The schedule the charger will actually apply on ``connector_id`` from
    ``schedule_start``, all profiles combined. ``charging_schedule`` is None when the
    charger rejected the request. The wire is OCPP camelCase.
    """

    status: ActionStatus | str | None = None
    connector_id: int | None = None
    schedule_start: datetime | None = None
    charging_schedule: ChargingSchedule | None = None
