"""Charger settings (``client.chargers.settings``): lock, socket lock, Plug & Charge, public charging, nanogrid.

Setters check their arguments first (``InvalidRequestError``, nothing sent). The lock and Plug & Charge
setters reach the charger itself: a 504 there raises ``ChargerTimeoutError`` (the change may have been
made all the same; read the setting back before sending it again). POST setters are never retried
after they reached the server.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from .._converter import structure_response
from ..exceptions import InvalidRequestError
from ..models.settings import (
    LockSetting,
    NanogridSetting,
    PlugAndChargeSetting,
    PublicChargingSetting,
    SocketLockSetting,
)
from . import _validate as check
from ._base import Resource
from ._ids import uuid_segment

__all__ = ["ChargerSettings"]

_MAX_CARD_UID: Final = 20


def _path(charger: str | uuid.UUID, setting: str) -> str:
    return f"/chargers/{uuid_segment(charger)}/settings/{setting}"


class ChargerSettings(Resource):
    """Charger settings (``client.chargers.settings``)."""

    async def get_lock(self, charger: str | uuid.UUID) -> LockSetting:
        """``GET /chargers/{uuid}/settings/lock``: whether the charger is locked (OCPP Unavailable)."""
        return await self._get(_path(charger, "lock"), LockSetting)

    async def set_lock(self, charger: str | uuid.UUID, enabled: bool) -> None:
        """``POST /chargers/{uuid}/settings/lock``: lock (``True``) or unlock the charger.

        A locked charger reports OCPP status ``Unavailable`` and refuses new sessions; a session
        already running continues. Raises ``ChargerTimeoutError`` when the charger did not confirm
        in time (the lock may be in force all the same).
        """
        body = {"enabled": check.boolean("enabled", enabled)}
        await self._transport.request("POST", _path(charger, "lock"), json=body, action=True)

    async def get_socket_lock(self, charger: str | uuid.UUID) -> SocketLockSetting:
        """``GET /chargers/{uuid}/settings/socket-lock``: the permanent cable lock of a socket charger.

        ``interactable`` is False when it cannot be changed now; ``error`` then says why.
        """
        return await self._get(_path(charger, "socket-lock"), SocketLockSetting)

    async def get_nanogrid(self, charger: str | uuid.UUID) -> NanogridSetting:
        """``GET /chargers/{uuid}/settings/nanogrid``: the charger's NANOGRID configuration file.

        ``supported`` says whether the charger can run NANOGRID, ``present`` whether the file is on
        the charger and ``content`` is the file (empty when there is none). The file is read from the
        charger itself: when that fails (e.g. the charger is offline) the answer is still 200 and
        ``error`` says why; ``error`` is None otherwise. There is no setter in the API.
        """
        return await self._get(_path(charger, "nanogrid"), NanogridSetting)

    async def get_plug_and_charge(self, charger: str | uuid.UUID) -> PlugAndChargeSetting:
        """``GET /chargers/{uuid}/settings/plug-charge``: whether sessions start without a card swipe."""
        return await self._get(_path(charger, "plug-charge"), PlugAndChargeSetting)

    async def set_plug_and_charge(
        self, charger: str | uuid.UUID, *, enabled: bool, card_uid: str | None = None
    ) -> None:
        """``POST /chargers/{uuid}/settings/plug-charge``: turn Plug & Charge on or off.

        While enabled, sessions start on plug-in and are authorised with ``card_uid`` (required
        when ``enabled``, at most 20 characters). Raises ``ChargerTimeoutError`` when the charger
        did not confirm in time.
        """
        body: dict[str, Any] = {"enabled": check.boolean("enabled", enabled)}
        if card_uid is not None or enabled:
            if card_uid is None:
                raise InvalidRequestError("card_uid is required when enabling Plug & Charge")
            body["card_uid"] = check.text("card_uid", card_uid, max_length=_MAX_CARD_UID)
        await self._transport.request("POST", _path(charger, "plug-charge"), json=body, action=True)

    async def get_public_charging(self, charger: str | uuid.UUID) -> PublicChargingSetting:
        """``GET /chargers/{uuid}/settings/public-charging``: ad-hoc paid charging, its prices and status.

        Prices are in minor units of ``currency`` (cents).
        """
        return await self._get(_path(charger, "public-charging"), PublicChargingSetting)

    async def set_public_charging(
        self,
        charger: str | uuid.UUID,
        *,
        enabled: bool,
        price_per_kwh: int | None = None,
        start_fee: int | None = None,
        billing_plan: str | None = None,
    ) -> PublicChargingSetting:
        """``POST /chargers/{uuid}/settings/public-charging``: turn public charging on or off, set prices.

        ``price_per_kwh`` and ``start_fee`` are integers in minor units (cents), >= 0; the platform
        caps them (``PublicChargingSetting.limits``) and answers ``UnprocessableEntityError`` above
        the cap. Fields left None are not sent (kept as they are). Returns the setting as it is now
        (read back with a GET when the server answers without a body).
        """
        body: dict[str, Any] = {"enabled": check.boolean("enabled", enabled)}
        if price_per_kwh is not None:
            body["price_per_kwh"] = check.integer("price_per_kwh", price_per_kwh, minimum=0)
        if start_fee is not None:
            body["start_fee"] = check.integer("start_fee", start_fee, minimum=0)
        if billing_plan is not None:
            body["billing_plan"] = check.text("billing_plan", billing_plan, max_length=255)
        path = _path(charger, "public-charging")
        data = await self._transport.request("POST", path, json=body)
        if data is None or data in ({}, {"data": {}}):  # 204 or an empty object: read the result back
            return await self.get_public_charging(charger)
        return structure_response(data, PublicChargingSetting, method="POST", path=path)
