"""Sites, their chargers, cards, transactions and group meters (``client.sites``)."""

from __future__ import annotations

from ._base import Resource

__all__ = ["Sites"]


class Sites(Resource):
    """Sites, their chargers, cards, transactions and group meters (``client.sites``)."""
