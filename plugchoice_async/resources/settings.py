"""Charger settings (``client.chargers.settings``)."""

from __future__ import annotations

from ._base import Resource

__all__ = ["ChargerSettings"]


class ChargerSettings(Resource):
    """Charger settings (``client.chargers.settings``)."""
