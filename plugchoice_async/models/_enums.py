"""Open enumerations: known values as ``StrEnum`` members.

A field typed ``ChargePointStatus | str`` holds the member when the server sends a
known value and the plain string otherwise, so a value the API adds tomorrow never
breaks a user. Members are ``str``: ``charger.status == "Available"`` works either way.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ChargePointErrorCode", "ChargePointStatus", "ConnectionStatus", "ConnectorFormat", "PowerType"]


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
