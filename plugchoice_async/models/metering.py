"""Meter readings: historical meter values, the latest OCPP sample, live power usage, external meters."""

from __future__ import annotations

from datetime import datetime

import attrs

from ._enums import Location, Measurand, Phase, ReadingContext, UnitOfMeasure, ValueFormat
from ._wire import MaybeTimestamp, Reading, ReadingText

__all__ = [
    "LatestMeterValue",
    "Meter",
    "MeterLatestData",
    "MeterValue",
    "MeterValueSample",
    "PowerUsage",
    "SampledValue",
]


@attrs.frozen(kw_only=True)
class _Reading:
    """What every OCPP reading carries: the value (parsed and as sent) and what it measures.

    ``raw_value`` is the wire text of ``value``; both are None when the answer has no ``value``
    (or sends null), as for any other optional field.
    """

    value: Reading = None
    raw_value: str | None = None
    context: ReadingContext | str | None = None
    format: ValueFormat | str | None = None
    measurand: Measurand | str | None = None
    phase: Phase | str | None = None
    location: Location | str | None = None
    unit: UnitOfMeasure | str | None = None


@attrs.frozen(kw_only=True)
class MeterValue(_Reading):
    """One stored OCPP sample (an item of ``GET /chargers/{uuid}/metervalues``).

    The wire sends the reading as a string. ``value`` is that string parsed as a number,
    or None when it is not one (e.g. ``format`` ``SignedData``); ``raw_value`` is the
    string exactly as sent, so nothing is lost. ``unit`` says what ``value`` counts
    (``Wh``, ``kW``, ``A``, ...). Older answers name the connector and transaction
    ``charger_connector_id``/``charger_transaction_id``, newer ones add
    ``connector_id``/``transaction_id``; any of them may be null.
    """

    id: int | None = None
    charger_id: int | None = None
    charger_connector_id: int | None = None
    connector_id: int | None = None
    charger_transaction_id: int | None = None
    transaction_id: int | None = None
    timestamp: datetime | None = None


@attrs.frozen(kw_only=True)
class SampledValue(_Reading):
    """One OCPP ``sampledValue`` of the latest meter value (camelCase on the wire).

    ``value`` is the reading parsed as a number (None when it is not one); ``raw_value``
    keeps the string as sent.
    """


@attrs.frozen(kw_only=True)
class MeterValueSample:
    """One OCPP ``meterValue``: a timestamp and the values sampled at that moment (``sampledValue``)."""

    timestamp: datetime | None = None
    sampled_value: tuple[SampledValue, ...] = ()


@attrs.frozen(kw_only=True)
class LatestMeterValue:
    """``GET /chargers/{uuid}/connectors/{n}/latest-metervalue``: the raw OCPP MeterValues message.

    The wire is OCPP camelCase (``connectorId``, ``meterValue``, ``sampledValue``);
    attributes are snake_case.
    """

    connector_id: int
    meter_value: tuple[MeterValueSample, ...] = ()


@attrs.frozen(kw_only=True)
class PowerUsage:
    """``GET /chargers/{uuid}/connectors/{n}/power-usage``: the connector's live draw.

    ``l1``/``l2``/``l3`` are amperes per phase and ``kw`` the total power in kW (wire keys
    ``L1``, ``L2``, ``L3``, ``kW``, all strings). A phase without a reading is sent as
    ``"-"`` and reads None here; so does any other value that is not a number.
    """

    timestamp: datetime | None = None
    l1: Reading = None
    l2: Reading = None
    l3: Reading = None
    kw: Reading = None


@attrs.frozen(kw_only=True)
class MeterLatestData:
    """The last per-phase readings of an external meter.

    ``updated_at`` is None when the meter never reported (the wire then sends ``"-"``).
    """

    l1: Reading = None
    l2: Reading = None
    l3: Reading = None
    updated_at: MaybeTimestamp = None


@attrs.frozen(kw_only=True)
class Meter:
    """An external (grid) meter, as ``GET /meters/chargee/{id}`` answers.

    ``type`` is e.g. ``"ct_meter"``. The wire's ``power`` is a number, or a string with an
    error message when the server cannot read the meter; it is split in two here:
    ``power`` is the reading (None when there is none) and ``power_error`` the server's
    explanation ("Unable to retrieve power information for this meter."), None whenever
    a number was sent. At most one of them is set.
    """

    uuid: str
    id: int
    type: str | None = None
    latest_data: MeterLatestData | None = None
    power: Reading = None
    power_error: ReadingText = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
