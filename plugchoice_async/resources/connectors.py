"""A charger's connectors (``client.chargers.connectors``).

Arguments are checked (``_validate``) before anything is sent: a bad one raises ``InvalidRequestError``.
"""

from __future__ import annotations

import uuid
from typing import Final

from ..models.chargers import Connector
from ..models.metering import LatestMeterValue, PowerUsage
from . import _validate as check
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


def connector_path(charger: str | uuid.UUID, connector: int) -> str:
    """``/chargers/{uuid}/connectors/{n}`` with both checked (``n`` is the 1-based connector number)."""
    number = check.integer("connector", connector, minimum=1)
    return f"/chargers/{uuid_segment(charger)}/connectors/{path_segment(number)}"


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
            "phase_rotation": check.choice("phase_rotation", phase_rotation, PHASE_ROTATIONS),
            "max_amperage": check.integer("max_amperage", max_amperage, minimum=1, maximum=1000),
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
