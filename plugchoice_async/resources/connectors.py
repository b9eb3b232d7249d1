"""A charger's connectors (``client.chargers.connectors``)."""

from __future__ import annotations

from ._base import Resource

__all__ = ["Connectors"]


class Connectors(Resource):
    """A charger's connectors (``client.chargers.connectors``)."""
