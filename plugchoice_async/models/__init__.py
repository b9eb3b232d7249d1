"""Typed answers of the Plugchoice API: frozen attrs classes, no I/O, no cattrs.

One module per family: ``chargers``, ``users``, ``sites``, ``teams``, ``transactions``,
``metering``, ``logs``, ``actions`` (answers and the charging-profile request bodies), ``bulk``,
``settings`` and ``auth``. Status-like fields are open enums (``_enums``): a known value
is the ``StrEnum`` member, an unknown one stays a plain string.

Which fields are required (the leniency rule)
    The API leaves fields out as well as sending them null (the published Get Charger example
    has no ``pincode`` or ``model_id``), and adds and drops fields over time. So an answer model
    requires only its **identity**: the fields that say *which* thing it is and that a caller
    uses to address it again. Every other field is typed ``X | None`` and defaults to ``None``
    when the key is absent; a collection defaults to an empty tuple (``connectors: tuple[...] =
    ()``), since absent and empty mean the same for a list. A missing optional field never fails a
    poll; a missing identity field raises ``ResponseValidationError`` naming it (``required key
    missing @ $.data[3].uuid``). Leniency is about *absence* only: a value of the wrong JSON type
    still fails (``"16"`` for an integer), and strings-as-numbers are read only where the wire
    documents them (``models/_wire.py``).

    How to decide for a new field:

    * ``uuid`` and ``id`` (the thing's own keys): required.
    * The field that names the thing on the wire or in OCPP and that a caller looks it up by:
      a charger's ``identity``, a connector's number ``connector_id``, a bulk result's
      ``charger_uuid``, an import failure's ``row``, the connector of a latest meter value,
      a public charger's ``public_code``, and the ``access_token`` of an OAuth token. Required.
    * Everything else (statuses, timestamps, counters, flags, nested objects, foreign keys such
      as ``charger_id`` or a join answer's ``site_uuid``, display names such as a site's
      ``name``): ``X | None = None``. An answer that is not a thing (an import's counts, an
      invitation accepted) therefore has no required field at all.
    * Exceptions, on purpose: request bodies the caller builds (``ChargingProfile``,
      ``ChargingSchedule``, ``ChargingSchedulePeriod``) keep what the API requires of a request;
      models the SDK computes or assembles itself (``fleet``; ``PublicChargingStart`` and
      ``PublicChargingState``, built from a response's ``session_token``, ``data`` and
      ``payment``) are not read from the wire as a whole.

    What the SDK does with a value that is None, where it reads one itself: an OAuth token
    without ``expires_in`` is kept until the API refuses it (401), then replaced (RFC 6749 makes
    the field optional); a bulk run without its counts is counted from its ``results``
    (``BulkCommandRun.count``, ``total``); a session without ``started_at`` is sorted last and
    kept by the CLI's export; a missing ``total_kwh`` is shown as unknown, never summed as 0.
"""

from ._enums import (
    ActionStatus,
    BulkResultStatus,
    BulkRunStatus,
    ChargePointErrorCode,
    ChargePointStatus,
    ChargingProfileKind,
    ChargingProfilePurpose,
    ChargingRateUnit,
    ConnectionStatus,
    ConnectorFormat,
    DayAheadPricingStrategy,
    Location,
    LogDestination,
    LogStatus,
    Measurand,
    Phase,
    PowerType,
    PublicSessionStatus,
    ReadingContext,
    RecurrencyKind,
    SmartChargingMode,
    StopReason,
    TransactionStatus,
    UnitOfMeasure,
    ValueFormat,
)
from .actions import ActionResult, ChargingProfile, ChargingSchedule, ChargingSchedulePeriod, CompositeSchedule
from .auth import OAuthToken
from .bulk import BulkCommandCharger, BulkCommandResult, BulkCommandRun
from .chargers import (
    Charger,
    ChargerLicenses,
    ChargerModel,
    ChargerPermissions,
    ChargerSetupResult,
    ChargerSummary,
    Connector,
    LicensePaymentIntent,
)
from .logs import OcppLog
from .metering import (
    LatestMeterValue,
    Meter,
    MeterLatestData,
    MeterValue,
    MeterValueSample,
    PowerUsage,
    SampledValue,
)
from .public_charging import (
    PublicCharger,
    PublicChargerConnector,
    PublicChargingPayment,
    PublicChargingPricing,
    PublicChargingSession,
    PublicChargingStart,
    PublicChargingState,
    PublicSessionCharger,
)
from .settings import (
    LockSetting,
    NanogridSetting,
    PlugAndChargeSetting,
    PublicChargingBilling,
    PublicChargingConnect,
    PublicChargingLimits,
    PublicChargingSetting,
    SocketLockSetting,
)
from .site_access import (
    SiteAccessMessage,
    SiteAsset,
    SiteInvite,
    SiteInviteAccepted,
    SiteInviteLinks,
    SiteInviteResult,
    SiteJoinResult,
)
from .sites import (
    CardImportFailure,
    CardImportResult,
    ChargerReassignResult,
    GroupMeter,
    GroupMeterPower,
    LoadManagement,
    PowerManagement,
    PowerManagementCharger,
    PowerManagementGroup,
    PowerManagementMeter,
    PowerManagementPeakShaving,
    PowerManagementSolarSettings,
    PowerManagementSubgroup,
    Site,
    SiteCapabilities,
    SiteCard,
    SiteCharger,
    SiteChargerConnector,
    SiteConnector,
    SiteConnectorCharger,
    SiteGroup,
    SiteSummary,
    SmartChargingSettings,
)
from .teams import (
    ChargerImportFailure,
    ChargerImportResult,
    Team,
    TeamAccess,
    TeamCharger,
    TeamChargerConnector,
    TeamChargerInternalModel,
)
from .transactions import (
    GraphCurrentPoint,
    GraphEnergyPoint,
    GraphVoltagePoint,
    TeamTransaction,
    Transaction,
    TransactionCharger,
    TransactionConnector,
    TransactionGraph,
)
from .users import User

__all__ = [
    "ActionResult",
    "ActionStatus",
    "BulkCommandCharger",
    "BulkCommandResult",
    "BulkCommandRun",
    "BulkResultStatus",
    "BulkRunStatus",
    "CardImportFailure",
    "CardImportResult",
    "ChargePointErrorCode",
    "ChargePointStatus",
    "Charger",
    "ChargerImportFailure",
    "ChargerImportResult",
    "ChargerLicenses",
    "ChargerModel",
    "ChargerPermissions",
    "ChargerReassignResult",
    "ChargerSetupResult",
    "ChargerSummary",
    "ChargingProfile",
    "ChargingProfileKind",
    "ChargingProfilePurpose",
    "ChargingRateUnit",
    "ChargingSchedule",
    "ChargingSchedulePeriod",
    "CompositeSchedule",
    "ConnectionStatus",
    "Connector",
    "ConnectorFormat",
    "DayAheadPricingStrategy",
    "GraphCurrentPoint",
    "GraphEnergyPoint",
    "GraphVoltagePoint",
    "GroupMeter",
    "GroupMeterPower",
    "LatestMeterValue",
    "LicensePaymentIntent",
    "LoadManagement",
    "Location",
    "LockSetting",
    "LogDestination",
    "LogStatus",
    "Measurand",
    "Meter",
    "MeterLatestData",
    "MeterValue",
    "MeterValueSample",
    "NanogridSetting",
    "OAuthToken",
    "OcppLog",
    "Phase",
    "PlugAndChargeSetting",
    "PowerManagement",
    "PowerManagementCharger",
    "PowerManagementGroup",
    "PowerManagementMeter",
    "PowerManagementPeakShaving",
    "PowerManagementSolarSettings",
    "PowerManagementSubgroup",
    "PowerType",
    "PowerUsage",
    "PublicCharger",
    "PublicChargerConnector",
    "PublicChargingBilling",
    "PublicChargingConnect",
    "PublicChargingLimits",
    "PublicChargingPayment",
    "PublicChargingPricing",
    "PublicChargingSession",
    "PublicChargingSetting",
    "PublicChargingStart",
    "PublicChargingState",
    "PublicSessionCharger",
    "PublicSessionStatus",
    "ReadingContext",
    "RecurrencyKind",
    "SampledValue",
    "Site",
    "SiteAccessMessage",
    "SiteAsset",
    "SiteCapabilities",
    "SiteCard",
    "SiteCharger",
    "SiteChargerConnector",
    "SiteConnector",
    "SiteConnectorCharger",
    "SiteGroup",
    "SiteInvite",
    "SiteInviteAccepted",
    "SiteInviteLinks",
    "SiteInviteResult",
    "SiteJoinResult",
    "SiteSummary",
    "SmartChargingMode",
    "SmartChargingSettings",
    "SocketLockSetting",
    "StopReason",
    "Team",
    "TeamAccess",
    "TeamCharger",
    "TeamChargerConnector",
    "TeamChargerInternalModel",
    "TeamTransaction",
    "Transaction",
    "TransactionCharger",
    "TransactionConnector",
    "TransactionGraph",
    "TransactionStatus",
    "UnitOfMeasure",
    "User",
    "ValueFormat",
]
