"""Public charging: a driver without an account pays by card at a charger's public code.

Amounts (``price_per_kwh``, ``start_fee``, ``amount_*``, ``cost_amount``, ``tax_amount``) are in
minor units of ``currency`` (cents). The session token and the payment's client secret are
credentials: they never appear in a repr.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from ._enums import ChargePointStatus, ConnectorFormat, PowerType, PublicSessionStatus
from ._wire import Number

__all__ = [
    "PublicCharger",
    "PublicChargerConnector",
    "PublicChargingPayment",
    "PublicChargingPricing",
    "PublicChargingSession",
    "PublicChargingStart",
    "PublicChargingState",
    "PublicSessionCharger",
]


@attrs.frozen(kw_only=True)
class PublicChargingPricing:
    """What charging costs: ``price_per_kwh`` and ``start_fee`` in minor units of ``currency``."""

    currency: str | None = None
    price_per_kwh: int | None = None
    start_fee: int | None = None


@attrs.frozen(kw_only=True)
class PublicChargerConnector:
    """A connector as the public charger page shows it."""

    connector_id: int
    status: ChargePointStatus | str | None = None
    standard: str | None = None
    format: ConnectorFormat | str | None = None
    power_type: PowerType | str | None = None


@attrs.frozen(kw_only=True)
class PublicCharger:
    """``GET /public-charging/chargers/{code}``: a charger open to public charging.

    ``preauth_amount`` is the hold placed on the driver's card when a session starts.
    """

    public_code: str
    name: str | None = None
    online: bool | None = None
    connectors: tuple[PublicChargerConnector, ...] | None = None
    pricing: PublicChargingPricing | None = None
    preauth_amount: int | None = None


@attrs.frozen(kw_only=True)
class PublicSessionCharger:
    """The charger of a public session."""

    public_code: str
    name: str | None = None
    online: bool | None = None


@attrs.frozen(kw_only=True)
class PublicChargingSession:
    """A public charging session (the ``data`` of every session answer).

    ``energy_kwh`` arrives as a string (``"7.00"``) and is read as a float. ``failure_reason``
    says why a session failed, when it did. The session has no id of its own on the wire (its
    token is its key), so every field, ``status`` too, is None when left out.
    """

    status: PublicSessionStatus | str | None = None
    failure_reason: str | None = None
    connector_id: int | None = None
    connector_status: ChargePointStatus | str | None = None
    charger: PublicSessionCharger | None = None
    pricing: PublicChargingPricing | None = None
    amount_authorized: int | None = None
    energy_kwh: Number | None = None
    cost_amount: int | None = None
    amount_captured: int | None = None
    tax_amount: int | None = None
    driver_email: str | None = None
    created_at: datetime | None = None
    authorized_at: datetime | None = None
    charging_started_at: datetime | None = None
    completed_at: datetime | None = None
    captured_at: datetime | None = None


@attrs.frozen(kw_only=True)
class PublicChargingPayment:
    """What the payment page needs to confirm the card hold with Stripe (``stripe.confirmPayment``).

    ``client_secret`` is a credential: hidden from the repr.
    """

    client_secret: str | None = attrs.field(default=None, repr=False)
    publishable_key: str | None = None
    stripe_account_id: str | None = None


@attrs.frozen(kw_only=True)
class PublicChargingStart:
    """The answer of ``start_session``: the session, its token and the payment to confirm.

    ``session_token`` is the only credential of the session (every later call takes it):
    keep it secret; it is hidden from the repr. The SDK builds this answer from the response's
    parts: ``session_token`` (the session's key) is required there, and ``session`` is the
    response's ``data``, which must be an object.
    """

    session_token: str = attrs.field(repr=False)
    session: PublicChargingSession
    payment: PublicChargingPayment | None = None


@attrs.frozen(kw_only=True)
class PublicChargingState:
    """The answer of ``get_session``: the session, and the payment while it is still ``created`` (else None)."""

    session: PublicChargingSession
    payment: PublicChargingPayment | None = None
