"""Charging sessions (OCPP transactions) and their graphs."""

from __future__ import annotations

from datetime import datetime

import attrs

from ._enums import StopReason, TransactionStatus, UnitOfMeasure
from ._wire import Number
from .sites import SiteSummary

__all__ = [
    "GraphCurrentPoint",
    "GraphEnergyPoint",
    "GraphVoltagePoint",
    "TeamTransaction",
    "Transaction",
    "TransactionCharger",
    "TransactionConnector",
    "TransactionGraph",
]


@attrs.frozen(kw_only=True)
class TransactionCharger:
    """The charger a session ran on, as site and team transaction lists embed it.

    ``site`` and ``is_mid`` (whether the charger has a MID-certified meter) appear in
    team transaction lists only.
    """

    uuid: str
    identity: str
    reference: str | None = None
    site: SiteSummary | None = None
    is_mid: bool | None = None


@attrs.frozen(kw_only=True)
class TransactionConnector:
    """The connector a session ran on (1-based ``connector_id``)."""

    connector_id: int


@attrs.frozen(kw_only=True)
class Transaction:
    """A charging session (``GET /chargers/{uuid}/transactions``, ``GET /sites/{uuid}/transactions``).

    ``meter_start``/``meter_stop`` are the meter register in Wh; ``meter_stop``,
    ``stopped_at`` and ``stop_reason`` are None while the session runs. ``total_kwh`` is
    the energy charged in kWh (some endpoints send it as a string such as ``"7.00"``; it
    is always a float here). ``charger_connector_id`` is the connector's database id, not
    its number: ``connector.connector_id`` is the number. ``charger`` and ``connector``
    are embedded by the site and (newer) charger lists. The ``*_cost`` fields appear in
    older copies of the site list (amounts in the site's currency, sent as strings).

    ``total_kwh`` and ``started_at`` are None when the answer leaves them out (the leniency
    rule): a session without ``total_kwh`` is not counted as 0 kWh by the SDK, and the examples
    and the CLI show it as unknown and sort a session without ``started_at`` last.
    """

    id: int
    charger_id: int | None = None
    charger_connector_id: int | None = None
    reservation_id: int | None = None
    id_tag: str | None = None
    meter_start: int | None = None
    meter_stop: int | None = None
    total_kwh: Number | None = None
    start_cost: Number | None = None
    kwh_cost: Number | None = None
    total_kwh_cost: Number | None = None
    total_cost: Number | None = None
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    stop_reason: StopReason | str | None = None
    is_valid: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    charger: TransactionCharger | None = None
    connector: TransactionConnector | None = None


@attrs.frozen(kw_only=True)
class TeamTransaction:
    """An item of ``GET /teams/{uuid}/transactions``: a shorter session shape.

    ``connector_id`` is the connector number. ``status`` is ``active`` or ``finished``.
    ``charger``, ``started_at`` and ``total_kwh`` are None when the answer leaves them out (see
    ``Transaction``).
    """

    id: int
    status: TransactionStatus | str | None = None
    charger: TransactionCharger | None = None
    connector_id: int | None = None
    id_tag: str | None = None
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    meter_start: int | None = None
    meter_stop: int | None = None
    total_kwh: Number | None = None
    stop_reason: StopReason | str | None = None


@attrs.frozen(kw_only=True)
class GraphEnergyPoint:
    """Energy charged so far at ``date`` (``unit`` is e.g. ``kWh``)."""

    date: datetime | None = None
    value: Number | None = None
    unit: UnitOfMeasure | str | None = None


@attrs.frozen(kw_only=True)
class GraphCurrentPoint:
    """Current per phase (amperes) at ``date``, and what the charger offered (wire keys ``L1``/``L2``/``L3``)."""

    date: datetime | None = None
    l1: Number | None = None
    l2: Number | None = None
    l3: Number | None = None
    offered: Number | None = None


@attrs.frozen(kw_only=True)
class GraphVoltagePoint:
    """Voltage per phase at ``date`` (wire keys ``L1``/``L2``/``L3``)."""

    date: datetime | None = None
    l1: Number | None = None
    l2: Number | None = None
    l3: Number | None = None


@attrs.frozen(kw_only=True)
class TransactionGraph:
    """``GET /chargers/{uuid}/transactions/{id}/graph``: time series of one session."""

    energy: tuple[GraphEnergyPoint, ...] = ()
    current: tuple[GraphCurrentPoint, ...] = ()
    voltage: tuple[GraphVoltagePoint, ...] = ()
