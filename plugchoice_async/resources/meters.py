"""External (grid) meters (``client.meters``): the Chargee meter lookup."""

from __future__ import annotations

from ..models.metering import Meter
from . import _validate as check
from ._base import Resource
from ._ids import path_segment

__all__ = ["Meters"]


class Meters(Resource):
    """External meters the user can read (``client.meters``)."""

    async def chargee(self, chargee: str) -> Meter:
        """``GET /meters/chargee/{chargee}``: a Chargee meter, by its Chargee ID or its serial number.

        ``chargee`` is a non-empty string of at most 255 characters (checked before sending; it is
        percent-encoded into the path). Unknown ids raise ``NotFoundError``. The meter's ``power``
        is the current reading, or None with ``power_error`` set to the server's explanation when
        the meter could not be read. The API allows 5 lookups a minute.
        """
        text = check.text("chargee", chargee, max_length=255)
        return await self._get(f"/meters/chargee/{path_segment(text.strip(), 'chargee')}", Meter)
