"""Live OCPP commands to a charger (``client.chargers.actions``)."""

from __future__ import annotations

from ._base import Resource

__all__ = ["ChargerActions"]


class ChargerActions(Resource):
    """Live OCPP commands to a charger (``client.chargers.actions``)."""
