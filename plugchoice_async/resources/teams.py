"""Teams and what they own (``client.teams``)."""

from __future__ import annotations

from ._base import Resource

__all__ = ["Teams"]


class Teams(Resource):
    """Teams and what they own (``client.teams``)."""
