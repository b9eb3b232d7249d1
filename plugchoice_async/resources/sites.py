"""Sites, their chargers, cards, transactions and group meters (``client.sites``)."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Final

from .._converter import structure_response
from .._pagination import AsyncPager
from ..exceptions import InvalidRequestError
from ..models import (
    Charger,
    GroupMeter,
    Site,
    SiteCard,
    SiteCharger,
    SiteConnector,
    SiteGroup,
    Transaction,
)
from . import _validate as check
from ._base import Resource
from ._ids import path_segment, uuid_segment
from ._params import query, transaction_filters
from ._validate import TransactionStatusArg

__all__ = ["Sites"]

_REQUIRED_SITE_FIELDS: Final = ("name", "street", "house_number", "postal_code", "city", "country")


def _country(value: object) -> str:
    """An ISO 3166-1 alpha-2 code (two ASCII letters), uppercased: ``"nl"`` -> ``"NL"``."""
    if not isinstance(value, str) or len(value) != 2 or not (value.isascii() and value.isalpha()):
        raise InvalidRequestError(f"country must be an ISO 3166-1 alpha-2 code such as 'NL', got {value!r}")
    return value.upper()


def _site_fields(
    *,
    name: str | None,
    street: str | None,
    house_number: int | None,
    house_number_addition: str | None,
    postal_code: str | None,
    city: str | None,
    country: str | None,
    latitude: float | None,
    longitude: float | None,
    manual_coordinates: bool | None,
) -> dict[str, Any]:
    """The JSON body of a site create or update: given fields only, each checked."""
    body: dict[str, Any] = {}
    for field, value in (("name", name), ("street", street), ("postal_code", postal_code), ("city", city)):
        if value is not None:
            body[field] = check.text(field, value)
    if house_number is not None:
        body["house_number"] = check.integer("house_number", house_number, minimum=0)
    if house_number_addition is not None:  # "" clears it
        body["house_number_addition"] = check.text("house_number_addition", house_number_addition, allow_empty=True)
    if country is not None:
        body["country"] = _country(country)
    if manual_coordinates is not None:
        body["manual_coordinates"] = check.boolean("manual_coordinates", manual_coordinates)
    if latitude is not None:
        body["latitude"] = check.number("latitude", latitude, minimum=-90, maximum=90)
    if longitude is not None:
        body["longitude"] = check.number("longitude", longitude, minimum=-180, maximum=180)
    return body


class Sites(Resource):
    """Sites (the app's "locations"): their chargers, connectors, transactions, cards and group meters.

    Every method that takes a ``site`` wants its UUID (a ``str`` or ``uuid.UUID``); anything else
    raises ``InvalidRequestError`` (a ``ValueError``) before a request is sent. A site of another
    owner answers 403 (``PermissionDeniedError``), an unknown one 404 (``NotFoundError``).
    """

    # -- the sites themselves -----------------------------------------------------------------------

    def list(
        self,
        *,
        team: str | uuid.UUID | None = None,
        search: str | None = None,
        per_page: int | None = None,
    ) -> AsyncPager[Site]:
        """``GET /sites``: every site the token can see, paginated.

        ``team`` keeps the sites of one team (its UUID); ``search`` matches name, street and city.
        ``await`` the result for the first page, or ``async for`` it for every site.
        """
        params = query(
            team=None if team is None else uuid_segment(team, "team"),
            search=search,
            per_page=check.page_size("per_page", per_page),
        )
        return AsyncPager(self._transport, "/sites", Site, params=params)

    async def get(self, site: str | uuid.UUID) -> Site:
        """``GET /sites/{uuid}``: one site."""
        return await self._get(f"/sites/{uuid_segment(site, 'site')}", Site)

    async def create(
        self,
        *,
        name: str,
        street: str,
        house_number: int,
        postal_code: str,
        city: str,
        country: str,
        house_number_addition: str | None = None,
        team_uuid: str | uuid.UUID | None = None,
        latitude: float | None = None,
        longitude: float | None = None,
        manual_coordinates: bool | None = None,
    ) -> Site:
        """``POST /sites``: create a site and return it.

        ``country`` is an ISO 3166-1 alpha-2 code (``"NL"``; sent uppercased). ``team_uuid``
        is the owning team (None: the server's default, the user's current team). ``latitude``
        and ``longitude`` (with ``manual_coordinates=True``) pin the site instead of geocoding
        the address. Arguments left at None are not sent.
        """
        body = _site_fields(
            name=name,
            street=street,
            house_number=house_number,
            house_number_addition=house_number_addition,
            postal_code=postal_code,
            city=city,
            country=country,
            latitude=latitude,
            longitude=longitude,
            manual_coordinates=manual_coordinates,
        )
        missing = [field for field in _REQUIRED_SITE_FIELDS if field not in body]
        if missing:
            raise InvalidRequestError(f"create needs {', '.join(missing)}")
        if team_uuid is not None:
            body["team_uuid"] = uuid_segment(team_uuid, "team")
        return await self._send("POST", "/sites", Site, json=body)

    async def update(
        self,
        site: str | uuid.UUID,
        *,
        name: str | None = None,
        street: str | None = None,
        house_number: int | None = None,
        house_number_addition: str | None = None,
        postal_code: str | None = None,
        city: str | None = None,
        country: str | None = None,
        latitude: float | None = None,
        longitude: float | None = None,
        manual_coordinates: bool | None = None,
    ) -> Site:
        """``PUT /sites/{uuid}``: change the given fields only; return the updated site.

        Fields left at None are not sent and keep their value. ``house_number_addition=""``
        clears the addition (Laravel stores an empty string as null). Raises
        ``InvalidRequestError`` when no field is given.
        """
        segment = uuid_segment(site, "site")
        body = _site_fields(
            name=name,
            street=street,
            house_number=house_number,
            house_number_addition=house_number_addition,
            postal_code=postal_code,
            city=city,
            country=country,
            latitude=latitude,
            longitude=longitude,
            manual_coordinates=manual_coordinates,
        )
        if not body:
            raise InvalidRequestError("update needs at least one field to change")
        return await self._send("PUT", f"/sites/{segment}", Site, json=body)

    async def delete(self, site: str | uuid.UUID) -> None:
        """``DELETE /sites/{uuid}``: delete the site (204). Its chargers leave it, they are not deleted."""
        await self._transport.request("DELETE", f"/sites/{uuid_segment(site, 'site')}")

    # -- chargers and connectors --------------------------------------------------------------------

    def chargers(self, site: str | uuid.UUID, *, per_page: int | None = None) -> AsyncPager[SiteCharger]:
        """``GET /sites/{uuid}/chargers``: the chargers on the site with their connectors, paginated.

        Items are ``SiteCharger``: the list shows neither ``permissions`` nor the connectors'
        errors and timestamps, so it does not fit ``Charger``; ``client.chargers.get(item.uuid)``
        has the whole document.
        """
        path = f"/sites/{uuid_segment(site, 'site')}/chargers"
        params = query(per_page=check.page_size("per_page", per_page))
        return AsyncPager(self._transport, path, SiteCharger, params=params)

    async def attach_charger(self, site: str | uuid.UUID, *, identity: str, pincode: str | int) -> Charger:
        """``POST /sites/{uuid}/chargers``: put a charger on the site, proven by its pincode.

        ``identity`` is the charger's OCPP identity and ``pincode`` the code on its label
        (digits; sent as the number the API wants). A charger already on another site moves.
        A wrong identity or pincode answers 422 (``UnprocessableEntityError``). The answer
        carries no connectors.
        """
        segment = uuid_segment(site, "site")
        identity = check.text("identity", identity, max_length=255)
        if isinstance(pincode, bool) or not isinstance(pincode, int | str):
            raise InvalidRequestError(f"pincode must be digits, got {pincode!r}")
        text = str(pincode).strip()
        if not (text.isascii() and text.isdigit()):
            raise InvalidRequestError(f"pincode must be digits, got {pincode!r}")
        body = {"identity": identity, "pincode": int(text)}
        return await self._send("POST", f"/sites/{segment}/chargers", Charger, json=body)

    def connectors(self, site: str | uuid.UUID, *, per_page: int | None = None) -> AsyncPager[SiteConnector]:
        """``GET /sites/{uuid}/connectors``: every connector of the site's chargers, each with its charger."""
        path = f"/sites/{uuid_segment(site, 'site')}/connectors"
        params = query(per_page=check.page_size("per_page", per_page))
        return AsyncPager(self._transport, path, SiteConnector, params=params)

    # -- transactions -------------------------------------------------------------------------------

    def transactions(
        self,
        site: str | uuid.UUID,
        *,
        status: TransactionStatusArg | None = None,
        started_from: datetime | date | None = None,
        stopped_until: datetime | date | None = None,
        charger: str | uuid.UUID | None = None,
        limit: int | None = None,
    ) -> AsyncPager[Transaction]:
        """``GET /sites/{uuid}/transactions``: sessions of the site's chargers, newest first, paginated.

        ``status`` is ``"active"`` or ``"finished"``; ``started_from``/``stopped_until`` bound the
        start and stop times (naive datetimes are UTC); ``charger`` keeps one charger's sessions
        (its UUID, sent as ``filter[charger_uuid]``); ``limit`` (1-10000) is the page size.
        Items embed ``charger`` and ``connector``.
        """
        path = f"/sites/{uuid_segment(site, 'site')}/transactions"
        filters = {
            **transaction_filters(status, started_from, stopped_until),
            "charger_uuid": None if charger is None else uuid_segment(charger, "charger"),
        }
        params = query(filters=filters, limit=check.page_size("limit", limit))
        return AsyncPager(self._transport, path, Transaction, params=params)

    # -- cards --------------------------------------------------------------------------------------

    async def create_card(self, site: str | uuid.UUID, *, name: str, id_token: str) -> SiteCard:
        """``POST /sites/{uuid}/cards``: register an access card on the site.

        ``name`` is at most 255 characters; ``id_token`` is the card's RFID uid (OCPP idTag,
        at most 20 characters). A token already on the site answers 422.
        """
        segment = uuid_segment(site, "site")
        body = {
            "name": check.text("name", name, max_length=255),
            "id_token": check.text("id_token", id_token, max_length=20),
        }
        return await self._send("POST", f"/sites/{segment}/cards", SiteCard, json=body)

    async def update_card(
        self, site: str | uuid.UUID, card_id: int, *, name: str | None = None, id_token: str | None = None
    ) -> SiteCard:
        """``PUT /sites/{uuid}/cards/{id}``: rename a card or change its token (given fields only)."""
        segment = uuid_segment(site, "site")
        card = check.integer("card_id", card_id, minimum=1)
        body: dict[str, str] = {}
        if name is not None:
            body["name"] = check.text("name", name, max_length=255)
        if id_token is not None:
            body["id_token"] = check.text("id_token", id_token, max_length=20)
        if not body:
            raise InvalidRequestError("update_card needs name and/or id_token")
        return await self._send("PUT", f"/sites/{segment}/cards/{card}", SiteCard, json=body)

    # -- load-management groups --------------------------------------------------------------------

    async def groups(self, site: str | uuid.UUID) -> builtins.list[SiteGroup]:
        """``GET /sites/{uuid}/groups``: the site's load-management groups (a plain list, not paginated)."""
        path = f"/sites/{uuid_segment(site, 'site')}/groups"
        body = await self._transport.request("GET", path)
        items = body.get("data") if isinstance(body, Mapping) else body
        return builtins.list(structure_response(items, tuple[SiteGroup, ...], method="GET", path=path))

    async def group_meter(self, site: str | uuid.UUID, group: int | str) -> GroupMeter:
        """``GET /sites/{uuid}/groups/{id}/meter``: the external meter of a group.

        ``group`` is the group's id (see ``groups``). Raises ``NotFoundError`` when the
        group has no meter (or does not exist).
        """
        segment = uuid_segment(site, "site")
        if isinstance(group, bool) or not isinstance(group, int | str):
            raise InvalidRequestError(f"group must be a group id, got {group!r}")
        if isinstance(group, int):
            check.integer("group", group, minimum=0)
        return await self._get(f"/sites/{segment}/groups/{path_segment(group, 'group')}/meter", GroupMeter)
