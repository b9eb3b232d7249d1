"""``client.chargers``: read chargers."""

from __future__ import annotations

import uuid

from .._pagination import AsyncPager
from ..models import Charger
from ._base import Resource
from ._ids import uuid_segment

__all__ = ["Chargers"]


class Chargers(Resource):
    """Chargers the token can see."""

    async def get(self, charger: str | uuid.UUID) -> Charger:
        """``GET /chargers/{uuid}``: one charger with its connectors.

        Raises ``InvalidRequestError`` (a ``ValueError``) before sending anything
        when ``charger`` is not a UUID, and ``NotFoundError`` when it does not exist.
        """
        return await self._get(f"/chargers/{uuid_segment(charger)}", Charger)

    def list(self, *, per_page: int | None = None) -> AsyncPager[Charger]:
        """``GET /chargers``: every charger, paginated (items carry no connectors).

        ``await`` the result for the first page, or ``async for`` it for every charger.
        """
        params = {"per_page": per_page} if per_page is not None else None
        return AsyncPager(self._transport, "/chargers", Charger, params=params)
