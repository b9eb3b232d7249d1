"""Typed answers of the Plugchoice API: frozen attrs classes, no I/O, no cattrs."""

from ._enums import ChargePointErrorCode, ChargePointStatus, ConnectionStatus, ConnectorFormat, PowerType
from .chargers import Charger, ChargerLicenses, ChargerModel, ChargerPermissions, Connector
from .users import User

__all__ = [
    "ChargePointErrorCode",
    "ChargePointStatus",
    "Charger",
    "ChargerLicenses",
    "ChargerModel",
    "ChargerPermissions",
    "ConnectionStatus",
    "Connector",
    "ConnectorFormat",
    "PowerType",
    "User",
]
