"""Charger settings: cable lock, socket lock, Plug & Charge, public charging, nanogrid."""

from __future__ import annotations

import attrs

__all__ = [
    "LockSetting",
    "NanogridSetting",
    "PlugAndChargeSetting",
    "PublicChargingBilling",
    "PublicChargingConnect",
    "PublicChargingLimits",
    "PublicChargingSetting",
    "SocketLockSetting",
]


@attrs.frozen(kw_only=True)
class LockSetting:
    """``GET /chargers/{uuid}/settings/lock``: whether the charger is locked (OCPP Unavailable)."""

    enabled: bool | None = None


@attrs.frozen(kw_only=True)
class SocketLockSetting:
    """``GET /chargers/{uuid}/settings/socket-lock``: the permanent cable lock of a socket.

    ``interactable`` says whether the setting can be changed on this charger now;
    ``error`` explains why not, when the server knows.
    """

    enabled: bool | None = None
    interactable: bool | None = None
    error: str | None = None


@attrs.frozen(kw_only=True)
class PlugAndChargeSetting:
    """``GET /chargers/{uuid}/settings/plug-charge``: charging without a card swipe.

    ``current_card`` is the card uid sessions are started with while enabled.
    """

    enabled: bool | None = None
    current_card: str | None = None


@attrs.frozen(kw_only=True)
class PublicChargingLimits:
    """The highest prices the platform allows (minor currency units)."""

    max_price_per_kwh: int | None = None
    max_start_fee: int | None = None


@attrs.frozen(kw_only=True)
class PublicChargingConnect:
    """The team's payment-provider account used to collect public-charging payments."""

    has_account: bool | None = None
    onboarding_complete: bool | None = None
    team_name: str | None = None


@attrs.frozen(kw_only=True)
class PublicChargingBilling:
    """The platform plan public charging is billed under (``fee_percent`` of revenue, or per-charger prices)."""

    plan: str | None = None
    fee_percent: float | None = None
    ac_price: float | None = None
    dc_price: float | None = None
    subscription_active: bool | None = None
    has_payment_method: bool | None = None


@attrs.frozen(kw_only=True)
class PublicChargingSetting:
    """``GET``/``POST /chargers/{uuid}/settings/public-charging``: ad-hoc paid charging.

    ``price_per_kwh``, ``start_fee`` and ``preauth_amount`` are in minor units of
    ``currency`` (cents). ``public_code``/``public_url`` identify the charger's public
    payment page.
    """

    enabled: bool | None = None
    price_per_kwh: int | None = None
    start_fee: int | None = None
    currency: str | None = None
    public_code: str | None = None
    public_url: str | None = None
    preauth_amount: int | None = None
    limits: PublicChargingLimits | None = None
    connect: PublicChargingConnect | None = None
    billing: PublicChargingBilling | None = None


@attrs.frozen(kw_only=True)
class NanogridSetting:
    """``GET /chargers/{uuid}/settings/nanogrid``: the charger's nanogrid (local energy controller) setup.

    ``supported`` says whether the charger can run one, ``present`` whether one is
    configured; ``content`` is the configuration as the charger reports it and ``error``
    why it could not be read.
    """

    supported: bool | None = None
    present: bool | None = None
    content: str | None = None
    error: str | None = None
