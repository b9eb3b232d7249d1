"""``client.user``: the authenticated user."""

from __future__ import annotations

from ..models import User
from ._base import Resource

__all__ = ["Users"]


class Users(Resource):
    """The user the token belongs to."""

    async def get(self) -> User:
        """``GET /user``."""
        return await self._get("/user", User)
