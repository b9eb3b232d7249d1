"""A charger's connectors (``client.chargers.connectors``), and the argument checks the charger resources share.

Every check raises ``InvalidRequestError`` (a ``ValueError``) before anything is sent. They live here because
connector numbers are this module's subject; ``chargers``, ``actions`` and ``settings`` import them.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Collection
from typing import Any, Final

from ..exceptions import InvalidRequestError
from ..models.chargers import Connector
from ..models.metering import LatestMeterValue, PowerUsage
from ._base import Resource
from ._ids import path_segment, uuid_segment

__all__ = ["PHASE_ROTATIONS", "Connectors"]

#: The values ``phase_rotation`` accepts (API.md, Connector).
PHASE_ROTATIONS: Final = (
    "RST",
    "RTS",
    "SRT",
    "STR",
    "TRS",
    "TSR",
    "RS",
    "RT",
    "SR",
    "ST",
    "TR",
    "TS",
    "R",
    "S",
    "T",
)


# -- argument checks (shared by the charger resources) ---------------------------------------------


def check_int(name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as an int within ``minimum..maximum`` (a bool or a float is refused)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequestError(f"{name} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise InvalidRequestError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise InvalidRequestError(f"{name} must be at most {maximum}, got {value}")
    return value


def check_number(name: str, value: Any, *, minimum: float) -> int | float:
    """A finite number >= ``minimum``; an integral float is sent as an int (``16`` rather than ``16.0``)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidRequestError(f"{name} must be a finite number, got {value!r}")
    if value < minimum:
        raise InvalidRequestError(f"{name} must be at least {minimum:g}, got {value:g}")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def check_text(name: str, value: Any, *, max_length: int, allow_empty: bool = False) -> str:
    """A string of at most ``max_length`` characters (and not blank unless ``allow_empty``)."""
    if not isinstance(value, str):
        raise InvalidRequestError(f"{name} must be a string, got {value!r}")
    if not allow_empty and not value.strip():
        raise InvalidRequestError(f"{name} must not be empty")
    if len(value) > max_length:
        raise InvalidRequestError(f"{name} must be at most {max_length} characters, got {len(value)}")
    return value


def check_choice(name: str, value: Any, choices: Collection[str]) -> str:
    """One of ``choices`` (an enum member counts as its value)."""
    text = getattr(value, "value", value)
    if not isinstance(text, str) or text not in choices:
        raise InvalidRequestError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return text


def check_bool(name: str, value: Any) -> bool:
    """``True`` or ``False`` (not 0/1, not a string)."""
    if not isinstance(value, bool):
        raise InvalidRequestError(f"{name} must be True or False, got {value!r}")
    return value


def connector_path(charger: str | uuid.UUID, connector: int) -> str:
    """``/chargers/{uuid}/connectors/{n}`` with both checked (``n`` is the 1-based connector number)."""
    number = check_int("connector", connector, minimum=1)
    return f"/chargers/{uuid_segment(charger)}/connectors/{path_segment(number)}"


# -- the resource -------------------------------------------------------------------------------------


class Connectors(Resource):
    """A charger's connectors (``client.chargers.connectors``).

    ``connector`` is always the 1-based connector number on the charger (``Connector.connector_id``),
    not the connector's database id.
    """

    async def update(
        self, charger: str | uuid.UUID, connector: int, *, phase_rotation: str, max_amperage: int
    ) -> Connector:
        """``PUT /chargers/{uuid}/connectors/{n}``: set how the connector is wired and its current rating.

        ``phase_rotation`` is one of ``PHASE_ROTATIONS`` (``"RST"``, ``"RS"``, ``"R"``, ...) and
        ``max_amperage`` an integer from 1 to 1000 A. Invalid values raise ``InvalidRequestError``
        before anything is sent. Returns the updated connector.
        """
        path = connector_path(charger, connector)
        body = {
            "phase_rotation": check_choice("phase_rotation", phase_rotation, PHASE_ROTATIONS),
            "max_amperage": check_int("max_amperage", max_amperage, minimum=1, maximum=1000),
        }
        return await self._send("PUT", path, Connector, json=body)

    async def latest_meter_value(self, charger: str | uuid.UUID, connector: int) -> LatestMeterValue:
        """``GET /chargers/{uuid}/connectors/{n}/latest-metervalue``: the last OCPP MeterValues message.

        ``meter_value`` is empty when the connector never reported a sample. Each sample's
        ``value`` is the reading as a number (None when it is not one); ``raw_value`` keeps the text.
        """
        return await self._get(f"{connector_path(charger, connector)}/latest-metervalue", LatestMeterValue)

    async def power_usage(self, charger: str | uuid.UUID, connector: int) -> PowerUsage:
        """``GET /chargers/{uuid}/connectors/{n}/power-usage``: the live draw (A per phase, total kW).

        A phase without a reading (the API's ``"-"``) is None.
        """
        return await self._get(f"{connector_path(charger, connector)}/power-usage", PowerUsage)
