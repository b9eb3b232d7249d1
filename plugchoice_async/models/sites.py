"""Sites ("locations"): the site itself, its connectors, cards, groups, meters and smart-charging settings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from typing import Any

import attrs

from ._enums import (
    ChargePointStatus,
    ConnectionStatus,
    DayAheadPricingStrategy,
    SmartChargingMode,
)
from ._wire import Reading
from .chargers import ChargerPermissions, Connector, _ChargerCore, _ConnectorCore
from .metering import MeterLatestData

__all__ = [
    "CardImportFailure",
    "CardImportResult",
    "ChargerReassignResult",
    "GroupMeter",
    "GroupMeterPower",
    "LoadManagement",
    "PowerManagement",
    "PowerManagementCharger",
    "PowerManagementGroup",
    "PowerManagementMeter",
    "PowerManagementPeakShaving",
    "PowerManagementSolarSettings",
    "PowerManagementSubgroup",
    "Site",
    "SiteCapabilities",
    "SiteCard",
    "SiteCharger",
    "SiteChargerConnector",
    "SiteConnector",
    "SiteConnectorCharger",
    "SiteGroup",
    "SiteSummary",
    "SmartChargingSettings",
]


@attrs.frozen(kw_only=True)
class LoadManagement:
    """Which load-management features the site supports."""

    dynamic: bool | None = None
    peak_shaving: bool | None = None
    solar: bool | None = None


@attrs.frozen(kw_only=True)
class SiteCapabilities:
    """What the site's licenses and hardware allow."""

    smart_charging: bool | None = None
    load_management: LoadManagement | None = None


@attrs.frozen(kw_only=True)
class Site:
    """A site (``GET /sites``, ``GET /sites/{uuid}``, ``POST /sites``, ``GET /teams/{uuid}/sites``).

    ``smart_charging`` is the mode (``SmartChargingMode``) in current answers; older
    copies of the API send a boolean instead. The boolean is kept as is (``False`` means
    disabled; ``True`` means on, mode not said) rather than guessed into a mode.
    ``address`` is the one-line address the server composes. Team site lists leave out
    ``id``, ``capabilities``, ``permissions`` and ``updated_at``; the coordinates,
    ``tariff_zone`` and ``access_level`` (the token's access to the site) only appear in
    newer answers. ``permissions`` has the same shape as a charger's.
    """

    uuid: str
    id: int | None = None
    name: str | None = None
    address: str | None = None
    street: str | None = None
    postal_code: str | None = None
    house_number: int | None = None
    house_number_addition: str | None = None
    city: str | None = None
    country: str | None = None
    tariff_zone: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    manual_coordinates: bool | None = None
    access_level: str | None = None
    smart_charging: SmartChargingMode | str | bool | None = None
    chargers_count: int | None = None
    capabilities: SiteCapabilities | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    permissions: ChargerPermissions | None = None


@attrs.frozen(kw_only=True)
class SiteSummary:
    """A site named inside another answer (team chargers, team transactions)."""

    uuid: str
    name: str | None = None


@attrs.frozen(kw_only=True)
class SiteCard:
    """An access card of a site (``POST /sites/{uuid}/cards``, ``PUT .../cards/{id}``).

    ``id_token`` is the RFID uid (OCPP idTag, at most 20 characters).
    """

    id: int
    name: str | None = None
    id_token: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True)
class CardImportFailure:
    """One CSV row the card import skipped, and why (``error``)."""

    row: int
    name: str | None = None
    id_token: str | None = None
    error: str | None = None


@attrs.frozen(kw_only=True)
class CardImportResult:
    """The answer of ``POST /sites/{uuid}/cards/import``: counts, and the rows that failed."""

    message: str | None = None
    created: int | None = None
    skipped: int | None = None
    errors: tuple[CardImportFailure, ...] = ()


@attrs.frozen(kw_only=True)
class SiteConnectorCharger:
    """The charger a site connector belongs to."""

    uuid: str
    id: int
    identity: str
    connection_status: ConnectionStatus | str | None = None
    status: ChargePointStatus | str | None = None


@attrs.frozen(kw_only=True)
class SiteConnector(Connector):
    """An item of ``GET /sites/{uuid}/connectors``: a ``Connector`` plus its ``charger``."""

    charger: SiteConnectorCharger | None = None


@attrs.frozen(kw_only=True)
class SiteChargerConnector(_ConnectorCore):
    """A connector as ``GET /sites/{uuid}/chargers`` shows it (``SiteCharger.connectors``).

    A ``Connector`` without ``error``, ``error_info``, ``vendor_id``, ``vendor_error_code``,
    ``created_at`` and ``updated_at``: the site list leaves them out.
    """


@attrs.frozen(kw_only=True)
class SiteCharger(_ChargerCore):
    """An item of ``GET /sites/{uuid}/chargers``: a charger with its connectors.

    The fields of ``Charger`` but ``pincode``, ``model_id``, ``model`` and ``permissions``;
    the connectors are ``SiteChargerConnector`` (no errors, no timestamps).
    ``client.chargers.get(item.uuid)`` has the whole document.
    """

    connectors: tuple[SiteChargerConnector, ...] = ()


@attrs.frozen(kw_only=True)
class SiteGroup:
    """A load-management group of a site (``GET /sites/{uuid}/groups``).

    ``total_amps`` is the group's capacity; ``group_id`` the parent group (None for the
    root); ``meter_id`` the external meter, if any. ``net_type`` and ``method`` are the
    server's load-balancing settings, passed through as strings.
    """

    id: int
    site_id: int | None = None
    group_id: int | None = None
    meter_id: int | None = None
    total_amps: float | None = None
    net_type: str | None = None
    method: str | None = None
    solar_additional_amps: float | None = None
    solar_always_charge: bool | None = None
    solar_always_charge_amps: float | None = None
    smart_charging_charge_on_solar_export: bool | None = None
    peak_shaving_enabled: bool | None = None
    peak_shaving_threshold: float | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True)
class GroupMeterPower:
    """Power readings of a group meter: ``total`` and per phase."""

    total: Reading = None
    l1: Reading = None
    l2: Reading = None
    l3: Reading = None


@attrs.frozen(kw_only=True)
class GroupMeter:
    """``GET /sites/{uuid}/groups/{id}/meter``: the group's external meter (404 when it has none)."""

    uuid: str
    id: int
    type: str | None = None
    latest_data: MeterLatestData | None = None
    power: GroupMeterPower | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True)
class SmartChargingSettings:
    """A site's smart-charging settings (``GET``/``PUT /sites/{uuid}/smart-charging``).

    ``off_peak_start``/``off_peak_end`` are local times of day in ``timezone`` (an IANA
    name, None = the site's default). ``day_ahead_pricing_threshold`` is the price below
    which charging runs under a ``manual`` strategy.
    """

    timezone: str | None = None
    smart_charging: SmartChargingMode | str | bool | None = None
    day_ahead_pricing_strategy: DayAheadPricingStrategy | str | None = None
    day_ahead_pricing_threshold: float | None = None
    day_ahead_pricing_smart_mode_price: float | None = None
    off_peak_start: time | None = None
    off_peak_end: time | None = None


@attrs.frozen(kw_only=True)
class ChargerReassignResult:
    """The answer of ``PATCH /sites/{uuid}/chargers/{uuid}/reassign``: the server's confirmation."""

    message: str | None = None


@attrs.frozen(kw_only=True)
class PowerManagementPeakShaving:
    """A group's peak shaving: whether it is on, and the threshold."""

    enabled: bool | None = None
    threshold: float | None = None


@attrs.frozen(kw_only=True)
class PowerManagementMeter:
    """The external meter of a group, as power management names it."""

    id: int
    uuid: str | None = None
    type: str | None = None
    serial_number: str | None = None


@attrs.frozen(kw_only=True)
class PowerManagementSolarSettings:
    """A group's solar settings (the ``solar_*`` fields of ``SiteGroup``)."""

    additional_amps: float | None = None
    always_charge: bool | None = None
    always_charge_amps: float | None = None
    smart_charging_charge_on_solar_export: bool | None = None


@attrs.frozen(kw_only=True)
class PowerManagementCharger:
    """A charger in power management: ``all_chargers`` items (documented), and (inferred) the items of a
    group's ``chargers`` and of ``unattached_chargers``. ``group_id`` is None for a charger in no group."""

    id: int
    uuid: str
    label: str | None = None
    status: ChargePointStatus | str | None = None
    group_id: int | None = None


@attrs.frozen(kw_only=True)
class _PowerGroupCore:
    """What power management shows of every group (``PowerManagementGroup``, ``PowerManagementSubgroup``)."""

    id: int
    is_root: bool | None = None
    total_amps: float | None = None
    net_type: str | None = None
    method: str | None = None
    peak_shaving: PowerManagementPeakShaving | None = None
    meter: PowerManagementMeter | None = None
    solar_settings: PowerManagementSolarSettings | None = None
    chargers: tuple[PowerManagementCharger, ...] = ()


@attrs.frozen(kw_only=True)
class PowerManagementSubgroup(_PowerGroupCore):
    """A subgroup inside a ``PowerManagementGroup``.

    Groups nest as a tree; the models are typed two levels deep (group and subgroup, as the
    API's wording has it). A subgroup's own ``subgroups`` are kept as the JSON objects received
    (camelCase keys), so nothing deeper is lost.
    """

    subgroups: tuple[Mapping[str, Any], ...] = ()


@attrs.frozen(kw_only=True)
class PowerManagementGroup(_PowerGroupCore):
    """A group of ``PowerManagement.groups``: its capacity, settings, chargers and subgroups."""

    subgroups: tuple[PowerManagementSubgroup, ...] = ()


@attrs.frozen(kw_only=True)
class PowerManagement:
    """``GET /sites/{uuid}/power-management``: the site's load-management tree (camelCase on the wire).

    ``groups`` are the group tree, ``unattached_chargers`` the site's chargers in no group,
    ``all_chargers`` every charger with its ``group_id``. ``real_time_data`` (available,
    requested and allocated current per phase) and ``meter_data`` (meter id -> power) are maps
    whose value shapes the API does not publish: they are kept as the JSON received.
    """

    groups: tuple[PowerManagementGroup, ...] = ()
    unattached_chargers: tuple[PowerManagementCharger, ...] = ()
    all_chargers: tuple[PowerManagementCharger, ...] = ()
    real_time_data: Mapping[str, Any] | None = None
    meter_data: Mapping[str, Any] | None = None
