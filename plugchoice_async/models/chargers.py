"""Chargers and their connectors (the 'Get Charger' document)."""

from __future__ import annotations

from datetime import datetime

import attrs

from ._enums import ChargePointErrorCode, ChargePointStatus, ConnectionStatus, ConnectorFormat, PowerType

__all__ = [
    "Charger",
    "ChargerLicenses",
    "ChargerModel",
    "ChargerPermissions",
    "ChargerSetupResult",
    "ChargerSummary",
    "Connector",
    "LicensePaymentIntent",
]


@attrs.frozen(kw_only=True)
class ChargerLicenses:
    """Which paid licenses the charger has."""

    smart: bool | None = None
    pro: bool | None = None


@attrs.frozen(kw_only=True)
class ChargerModel:
    """The charger's hardware model."""

    vendor: str | None = None
    name: str | None = None
    is_dc: bool | None = None


@attrs.frozen(kw_only=True)
class ChargerPermissions:
    """What the token may do with this charger (``sensitive`` reveals the pincode)."""

    basic: bool | None = None
    sensitive: bool | None = None
    full: bool | None = None


@attrs.frozen(kw_only=True)
class _ConnectorCore:
    """What every connector document shows: its number, status and wiring (``Connector``, ``SiteChargerConnector``)."""

    id: int
    charger_id: int | None = None
    connector_id: int
    status: ChargePointStatus | str | None = None
    max_amperage: int | None = None
    max_voltage: int | None = None
    standard: str | None = None
    format: ConnectorFormat | str | None = None
    power_type: PowerType | str | None = None
    phase_rotation: str | None = None


@attrs.frozen(kw_only=True)
class Connector(_ConnectorCore):
    """One connector (1-based ``connector_id``) of a charger, with its error and timestamps."""

    error: ChargePointErrorCode | str | None = None
    error_info: str | None = None
    vendor_id: str | None = None
    vendor_error_code: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True)
class _ChargerCore:
    """What every full charger document shows (``Charger``, ``SiteCharger``); connectors are the subclass's."""

    uuid: str
    id: int
    identity: str
    reference: str | None = None
    connection_status: ConnectionStatus | str | None = None
    status: ChargePointStatus | str | None = None
    error: ChargePointErrorCode | str | None = None
    error_info: str | None = None
    vendor_id: str | None = None
    vendor_error_code: str | None = None
    firmware_version: str | None = None
    parsed_firmware_version: str | None = None
    server: str | None = None
    last_connection_at: datetime | None = None
    last_disconnection_at: datetime | None = None
    last_heartbeat_at: datetime | None = None
    setup_pending: bool | None = None
    setup_completed: bool | None = None
    blocked: bool | None = None
    max_current: float | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    licenses: ChargerLicenses | None = None


@attrs.frozen(kw_only=True)
class Charger(_ChargerCore):
    """A charger, as ``GET /chargers/{uuid}`` describes it.

    ``pincode`` is present only for tokens with the sensitive permission and is left
    out of ``repr``. Items of ``GET /chargers`` carry no connectors: there
    ``connectors`` is empty.
    """

    pincode: str | None = attrs.field(default=None, repr=False)
    model_id: int | None = None
    model: ChargerModel | None = None
    connectors: tuple[Connector, ...] = ()
    permissions: ChargerPermissions | None = None


@attrs.frozen(kw_only=True)
class ChargerSummary(_ChargerCore):
    """The charger document ``PUT /chargers/{uuid}`` and ``POST /chargers`` answer with.

    The short form (the ``PUT`` answer, and ``POST /chargers`` in the current docs) lacks the
    setup flags, firmware, heartbeat and connector details of ``Charger``; the older docs show
    ``POST /chargers`` answering the whole charger document (without connectors). Both read
    into this class: the fields only the long form has (``firmware_version`` ... ``max_current``)
    are None when absent. ``get`` the charger for its connectors. ``permissions`` is absent in
    some published copies.
    """

    permissions: ChargerPermissions | None = None
    model_id: int | None = None
    model: ChargerModel | None = None


@attrs.frozen(kw_only=True)
class ChargerSetupResult:
    """The answer of ``POST /chargers/{uuid}/setup``: the server's message and whether setup still waits."""

    message: str | None = None
    setup_pending: bool | None = None


@attrs.frozen(kw_only=True)
class LicensePaymentIntent:
    """``POST /chargers/{uuid}/licenses/payment-intent``: what a Stripe payment sheet needs to buy a license.

    ``payment_intent`` (``pi_...``) and ``ephemeral_key`` (``ek_...``) let whoever holds them
    complete or inspect the payment: both are left out of ``repr``
    (and out of the converter's error messages). ``customer`` (``cus_...``) is
    the Stripe customer and ``publishable_key`` (``pk_...``) the public Stripe key.
    """

    payment_intent: str | None = attrs.field(default=None, repr=False)
    ephemeral_key: str | None = attrs.field(default=None, repr=False)
    customer: str | None = None
    publishable_key: str | None = None
