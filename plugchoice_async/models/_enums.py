"""Open enumerations: known values as ``StrEnum`` members.

A field typed ``ChargePointStatus | str`` holds the member when the server sends a
known value and the plain string otherwise, so a value the API adds tomorrow never
breaks a user. Members are ``str``: ``charger.status == "Available"`` works either way.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "ActionStatus",
    "BulkResultStatus",
    "BulkRunStatus",
    "ChargePointErrorCode",
    "ChargePointStatus",
    "ChargingProfileKind",
    "ChargingProfilePurpose",
    "ChargingRateUnit",
    "ConnectionStatus",
    "ConnectorFormat",
    "DayAheadPricingStrategy",
    "Location",
    "LogDestination",
    "LogStatus",
    "Measurand",
    "Phase",
    "PowerType",
    "PublicSessionStatus",
    "ReadingContext",
    "RecurrencyKind",
    "SmartChargingMode",
    "StopReason",
    "TransactionStatus",
    "UnitOfMeasure",
    "ValueFormat",
]


class ConnectionStatus(StrEnum):
    """Whether the charger's OCPP connection is up."""

    ONLINE = "online"
    OFFLINE = "offline"
    NEVER_SEEN = "never_seen"


class ChargePointStatus(StrEnum):
    """OCPP 1.6 StatusNotification status, for a charger (connector 0) or a connector."""

    AVAILABLE = "Available"
    PREPARING = "Preparing"
    CHARGING = "Charging"
    SUSPENDED_EV = "SuspendedEV"
    SUSPENDED_EVSE = "SuspendedEVSE"
    FINISHING = "Finishing"
    RESERVED = "Reserved"
    UNAVAILABLE = "Unavailable"
    FAULTED = "Faulted"


class ChargePointErrorCode(StrEnum):
    """OCPP 1.6 ChargePointErrorCode."""

    CONNECTOR_LOCK_FAILURE = "ConnectorLockFailure"
    EV_COMMUNICATION_ERROR = "EVCommunicationError"
    GROUND_FAILURE = "GroundFailure"
    HIGH_TEMPERATURE = "HighTemperature"
    INTERNAL_ERROR = "InternalError"
    LOCAL_LIST_CONFLICT = "LocalListConflict"
    NO_ERROR = "NoError"
    OTHER_ERROR = "OtherError"
    OVER_CURRENT_FAILURE = "OverCurrentFailure"
    OVER_VOLTAGE = "OverVoltage"
    POWER_METER_FAILURE = "PowerMeterFailure"
    POWER_SWITCH_FAILURE = "PowerSwitchFailure"
    READER_FAILURE = "ReaderFailure"
    RESET_FAILURE = "ResetFailure"
    UNDER_VOLTAGE = "UnderVoltage"
    WEAK_SIGNAL = "WeakSignal"


class ConnectorFormat(StrEnum):
    """Whether the connector is a socket or a tethered cable."""

    SOCKET = "Socket"
    CABLE = "Cable"


class PowerType(StrEnum):
    """The connector's supply."""

    AC_1_PHASE = "AC_1_PHASE"
    AC_3_PHASE = "AC_3_PHASE"
    DC = "DC"


class StopReason(StrEnum):
    """OCPP 1.6 StopTransaction reason: why a charging session ended."""

    DE_AUTHORIZED = "DeAuthorized"
    EMERGENCY_STOP = "EmergencyStop"
    EV_DISCONNECTED = "EVDisconnected"
    HARD_RESET = "HardReset"
    LOCAL = "Local"
    OTHER = "Other"
    POWER_LOSS = "PowerLoss"
    REBOOT = "Reboot"
    REMOTE = "Remote"
    SOFT_RESET = "SoftReset"
    UNLOCK_COMMAND = "UnlockCommand"


class TransactionStatus(StrEnum):
    """Whether a session is still running (the ``filter[status]`` values of the transaction lists)."""

    ACTIVE = "active"
    FINISHED = "finished"


class ReadingContext(StrEnum):
    """OCPP 1.6 ReadingContext: what triggered a meter sample."""

    INTERRUPTION_BEGIN = "Interruption.Begin"
    INTERRUPTION_END = "Interruption.End"
    OTHER = "Other"
    SAMPLE_CLOCK = "Sample.Clock"
    SAMPLE_PERIODIC = "Sample.Periodic"
    TRANSACTION_BEGIN = "Transaction.Begin"
    TRANSACTION_END = "Transaction.End"
    TRIGGER = "Trigger"


class ValueFormat(StrEnum):
    """OCPP 1.6 ValueFormat: a plain number, or a signed blob that is not a number."""

    RAW = "Raw"
    SIGNED_DATA = "SignedData"


class Measurand(StrEnum):
    """OCPP 1.6 Measurand: what a meter sample measures."""

    CURRENT_EXPORT = "Current.Export"
    CURRENT_IMPORT = "Current.Import"
    CURRENT_OFFERED = "Current.Offered"
    ENERGY_ACTIVE_EXPORT_REGISTER = "Energy.Active.Export.Register"
    ENERGY_ACTIVE_IMPORT_REGISTER = "Energy.Active.Import.Register"
    ENERGY_REACTIVE_EXPORT_REGISTER = "Energy.Reactive.Export.Register"
    ENERGY_REACTIVE_IMPORT_REGISTER = "Energy.Reactive.Import.Register"
    ENERGY_ACTIVE_EXPORT_INTERVAL = "Energy.Active.Export.Interval"
    ENERGY_ACTIVE_IMPORT_INTERVAL = "Energy.Active.Import.Interval"
    ENERGY_REACTIVE_EXPORT_INTERVAL = "Energy.Reactive.Export.Interval"
    ENERGY_REACTIVE_IMPORT_INTERVAL = "Energy.Reactive.Import.Interval"
    FREQUENCY = "Frequency"
    POWER_ACTIVE_EXPORT = "Power.Active.Export"
    POWER_ACTIVE_IMPORT = "Power.Active.Import"
    POWER_FACTOR = "Power.Factor"
    POWER_OFFERED = "Power.Offered"
    POWER_REACTIVE_EXPORT = "Power.Reactive.Export"
    POWER_REACTIVE_IMPORT = "Power.Reactive.Import"
    RPM = "RPM"
    SOC = "SoC"
    TEMPERATURE = "Temperature"
    VOLTAGE = "Voltage"


class Phase(StrEnum):
    """OCPP 1.6 Phase: which phase (or phase pair) a sample is for."""

    L1 = "L1"
    L2 = "L2"
    L3 = "L3"
    N = "N"
    L1_N = "L1-N"
    L2_N = "L2-N"
    L3_N = "L3-N"
    L1_L2 = "L1-L2"
    L2_L3 = "L2-L3"
    L3_L1 = "L3-L1"


class Location(StrEnum):
    """OCPP 1.6 Location: where the sample was measured."""

    BODY = "Body"
    CABLE = "Cable"
    EV = "EV"
    INLET = "Inlet"
    OUTLET = "Outlet"


class UnitOfMeasure(StrEnum):
    """OCPP 1.6 UnitOfMeasure of a sample."""

    WH = "Wh"
    KWH = "kWh"
    VARH = "varh"
    KVARH = "kvarh"
    W = "W"
    KW = "kW"
    VA = "VA"
    KVA = "kVA"
    VAR = "var"
    KVAR = "kvar"
    A = "A"
    V = "V"
    CELSIUS = "Celsius"
    FAHRENHEIT = "Fahrenheit"
    K = "K"
    PERCENT = "Percent"


class LogStatus(StrEnum):
    """Where an OCPP message logged for a charger stands."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class LogDestination(StrEnum):
    """Who an OCPP message logged for a charger was sent to."""

    CENTRAL_SYSTEM = "centralsystem"
    CHARGER = "charger"


class ActionStatus(StrEnum):
    """The charger's answer to a live OCPP command (start, stop, restart, limits, profiles)."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    UNKNOWN = "Unknown"
    NOT_SUPPORTED = "NotSupported"


class ChargingProfilePurpose(StrEnum):
    """OCPP 1.6 ChargingProfilePurposeType."""

    CHARGE_POINT_MAX_PROFILE = "ChargePointMaxProfile"
    TX_DEFAULT_PROFILE = "TxDefaultProfile"
    TX_PROFILE = "TxProfile"


class ChargingProfileKind(StrEnum):
    """OCPP 1.6 ChargingProfileKindType: how the schedule's start is fixed."""

    ABSOLUTE = "Absolute"
    RECURRING = "Recurring"
    RELATIVE = "Relative"


class RecurrencyKind(StrEnum):
    """OCPP 1.6 RecurrencyKindType, for ``Recurring`` profiles."""

    DAILY = "Daily"
    WEEKLY = "Weekly"


class ChargingRateUnit(StrEnum):
    """OCPP 1.6 ChargingRateUnitType: limits in amperes (per phase) or watts."""

    A = "A"
    W = "W"


class SmartChargingMode(StrEnum):
    """A site's smart-charging mode."""

    DISABLED = "disabled"
    DAY_AHEAD_PRICING = "day_ahead_pricing"
    OFF_PEAK = "off_peak"


class DayAheadPricingStrategy(StrEnum):
    """How a site's day-ahead-pricing threshold is chosen."""

    AUTOMATIC = "automatic"
    MANUAL = "manual"


class BulkRunStatus(StrEnum):
    """Where a bulk command run stands: jobs in flight, or a terminal result for every charger."""

    RUNNING = "running"
    COMPLETED = "completed"


class BulkResultStatus(StrEnum):
    """One charger's result in a bulk command run (``PENDING`` until its job has run)."""

    PENDING = "pending"
    SENT = "sent"
    OFFLINE = "offline"
    ERROR = "error"
    SKIPPED_FORBIDDEN = "skipped_forbidden"


class PublicSessionStatus(StrEnum):
    """Where a public charging session is (an open enum: other values stay plain strings).

    ``created`` (card hold pending) -> ``authorized`` (after ``confirm``) -> ``starting`` ->
    ``charging``; ``stop`` -> ``stopping`` -> ``settling`` (the final amount is captured).
    ``cancel`` ends a session that has not started charging (``cancelled``).
    """

    CREATED = "created"
    AUTHORIZED = "authorized"
    STARTING = "starting"
    CHARGING = "charging"
    STOPPING = "stopping"
    SETTLING = "settling"
    CANCELLED = "cancelled"
