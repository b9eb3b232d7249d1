"""Sites, their chargers, cards, transactions and group meters (``client.sites``)."""

from __future__ import annotations

import builtins
import os
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any, Final, Literal

from .._converter import structure_response
from .._pagination import AsyncPager
from .._types import Requester
from ..exceptions import InvalidRequestError
from ..models import (
    CardImportResult,
    Charger,
    ChargerReassignResult,
    DayAheadPricingStrategy,
    GroupMeter,
    PowerManagement,
    Site,
    SiteCard,
    SiteCharger,
    SiteConnector,
    SiteGroup,
    SmartChargingMode,
    SmartChargingSettings,
    Transaction,
)
from . import _validate as check
from ._base import Resource
from ._ids import path_segment, uuid_segment
from ._params import iso_datetime, query, transaction_filters
from ._upload import csv_upload
from ._validate import TransactionStatusArg
from .site_access import SiteAccess

__all__ = ["Sites"]

_REQUIRED_SITE_FIELDS: Final = ("name", "street", "house_number", "postal_code", "city", "country")
_NET_TYPES: Final = ("TN", "TT", "IT")
_GROUP_METHODS: Final = ("boost", "solar")
_SMART_CHARGING_MODES: Final = tuple(mode.value for mode in SmartChargingMode)
_PRICING_STRATEGIES: Final = tuple(strategy.value for strategy in DayAheadPricingStrategy)
_POWER_HISTORY_TYPES: Final = ("branch", "connector")
_HH_MM: Final = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")

#: ``net_type`` of ``update_group``: the grid's earthing system.
NetType = Literal["TN", "TT", "IT"]
#: ``method`` of ``update_group``: how a group balances its chargers.
GroupMethod = Literal["boost", "solar"]
#: ``type`` of ``power_history``: a group ("branch") or a connector.
PowerHistoryType = Literal["branch", "connector"]


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


def _group_id(name: str, value: object) -> int:
    """A load-management group id (an ``int`` of at least 1, as ``groups`` lists them)."""
    return check.integer(name, value, minimum=1)


def _time_of_day(name: str, value: object) -> str:
    """``HH:mm`` (24 h): a ``str`` such as ``"23:00"``, or a ``datetime.time`` on a whole minute."""
    if isinstance(value, time):
        if value.second or value.microsecond:
            raise InvalidRequestError(f"{name} must be a whole minute (HH:mm), got {value.isoformat()!r}")
        return value.strftime("%H:%M")
    if not isinstance(value, str) or _HH_MM.fullmatch(value) is None:
        raise InvalidRequestError(f"{name} must be a time of day HH:mm (00:00-23:59) such as '23:00', got {value!r}")
    return value


def _instant(value: datetime | date) -> datetime:
    """A bound as an aware UTC datetime, to compare two bounds (a date is its midnight UTC)."""
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Sites(Resource):
    """Sites (the app's "locations"): their chargers, connectors, transactions, cards and group meters.

    Every method that takes a ``site`` wants its UUID (a ``str`` or ``uuid.UUID``); anything else
    raises ``InvalidRequestError`` (a ``ValueError``) before a request is sent. A site of another
    owner answers 403 (``PermissionDeniedError``), an unknown one 404 (``NotFoundError``).
    """

    def __init__(self, transport: Requester) -> None:
        super().__init__(transport)
        self.access = SiteAccess(transport)
        """Team access to sites: list, get, invite, accept, join, ownership, sensitive data, assets."""

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
            search=None if search is None else check.text("search", search),
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
        body = {
            "identity": check.text("identity", identity, max_length=255),
            "pincode": check.pincode("pincode", pincode),
        }
        return await self._send("POST", f"/sites/{segment}/chargers", Charger, json=body)

    async def move_charger(
        self, site: str | uuid.UUID, charger: str | uuid.UUID, *, target_site: str | uuid.UUID
    ) -> Charger:
        """``PATCH /sites/{uuid}/chargers/{uuid}/move``: move a charger of ``site`` to ``target_site``.

        Moving **resets the charger's configuration** (its load-management group and connector
        settings) and needs sensitive access to both sites. ``target_site`` must differ from
        ``site``: the same UUID raises ``InvalidRequestError`` before anything is sent. A target
        the token cannot use answers 422 (``UnprocessableEntityError``), a charger that is not
        on ``site`` 404. Returns the moved charger.
        """
        segment = uuid_segment(site, "site")
        charger_segment = uuid_segment(charger, "charger")
        target = uuid_segment(target_site, "target_site")
        if target == segment:
            raise InvalidRequestError(f"target_site must differ from the charger's current site {segment}")
        path = f"/sites/{segment}/chargers/{charger_segment}/move"
        return await self._send("PATCH", path, Charger, json={"target_site_uuid": target})

    async def reassign_charger(
        self, site: str | uuid.UUID, charger: str | uuid.UUID, *, group: int
    ) -> ChargerReassignResult:
        """``PATCH /sites/{uuid}/chargers/{uuid}/reassign``: put a charger of the site in another group.

        ``group`` is the id of a group or subgroup of the same site (see ``groups``; sent as
        ``site_group_id``). A group of another site answers 422. Returns the server's message.
        """
        segment = uuid_segment(site, "site")
        charger_segment = uuid_segment(charger, "charger")
        body = {"site_group_id": _group_id("group", group)}
        path = f"/sites/{segment}/chargers/{charger_segment}/reassign"
        return await self._send("PATCH", path, ChargerReassignResult, json=body)

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

    async def import_cards(
        self, site: str | uuid.UUID, file: bytes | os.PathLike[str], *, filename: str | None = None
    ) -> CardImportResult:
        """``POST /sites/{uuid}/cards/import``: add many access cards from one CSV file.

        The CSV has a header row with the columns ``name`` and ``id_token``, then one card a row.
        ``file`` is a path (``pathlib.Path``) of a regular file that is read, or the content as
        ``bytes``; a ``str`` is refused (``text.encode()`` for content, ``pathlib.Path(text)`` for a
        path). ``filename`` is the name sent (by default the path's name, or ``import.csv``); it must
        end in ``.csv`` or ``.txt``, and the file may be at most 1 MB: otherwise
        ``InvalidRequestError`` is raised before anything is sent. Rows the
        server refuses (a token already on the site, a missing name) are skipped and reported in
        ``errors``; the other rows are created.
        """
        segment = uuid_segment(site, "site")
        upload = csv_upload(file, filename=filename)
        path = f"/sites/{segment}/cards/import"
        data = await self._transport.request("POST", path, upload=upload)
        return structure_response(data, CardImportResult, method="POST", path=path)

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

    async def update_group(
        self,
        site: str | uuid.UUID,
        group: int,
        *,
        total_amps: int | None = None,
        net_type: NetType | None = None,
        method: GroupMethod | None = None,
        meter: str | uuid.UUID | None = None,
        remove_meter: bool | None = None,
        solar_additional_amps: int | None = None,
        solar_always_charge: bool | None = None,
        solar_always_charge_amps: int | None = None,
        smart_charging_charge_on_solar_export: bool | None = None,
        peak_shaving_enabled: bool | None = None,
        peak_shaving_threshold: float | None = None,
    ) -> SiteGroup:
        """``PUT /sites/{uuid}/groups/{id}``: change the given settings of a group; return the group.

        Only the arguments given (not None) are sent. ``total_amps`` is the group's capacity
        (amperes, at least 1); ``net_type`` ``"TN"``, ``"TT"`` or ``"IT"``; ``method``
        ``"boost"`` or ``"solar"``; ``meter`` the UUID of an external meter to attach (sent as
        ``meter_uuid``) and ``remove_meter=True`` detaches the group's meter (not both at once);
        the solar amperes and ``peak_shaving_threshold`` are at least 0. A bad value raises
        ``InvalidRequestError`` before sending, as does a call with nothing to change.
        """
        segment = uuid_segment(site, "site")
        group_id = _group_id("group", group)
        body: dict[str, Any] = {}
        if total_amps is not None:
            body["total_amps"] = check.integer("total_amps", total_amps, minimum=1)
        if net_type is not None:
            body["net_type"] = check.choice("net_type", net_type, _NET_TYPES)
        if method is not None:
            body["method"] = check.choice("method", method, _GROUP_METHODS)
        if meter is not None:
            if remove_meter:
                raise InvalidRequestError("pass meter or remove_meter=True, not both")
            body["meter_uuid"] = uuid_segment(meter, "meter")
        if remove_meter is not None:
            body["remove_meter"] = check.boolean("remove_meter", remove_meter)
        for name, amps in (
            ("solar_additional_amps", solar_additional_amps),
            ("solar_always_charge_amps", solar_always_charge_amps),
        ):
            if amps is not None:
                body[name] = check.integer(name, amps, minimum=0)
        for name, flag in (
            ("solar_always_charge", solar_always_charge),
            ("smart_charging_charge_on_solar_export", smart_charging_charge_on_solar_export),
            ("peak_shaving_enabled", peak_shaving_enabled),
        ):
            if flag is not None:
                body[name] = check.boolean(name, flag)
        if peak_shaving_threshold is not None:
            body["peak_shaving_threshold"] = check.number("peak_shaving_threshold", peak_shaving_threshold, minimum=0)
        if not body:
            raise InvalidRequestError("update_group needs at least one setting to change")
        return await self._send("PUT", f"/sites/{segment}/groups/{group_id}", SiteGroup, json=body)

    async def reassign_group(self, site: str | uuid.UUID, group: int, *, parent: int) -> SiteGroup:
        """``PATCH /sites/{uuid}/groups/{id}/reassign``: make ``group`` a subgroup of ``parent``.

        Both are group ids of the site; ``parent`` must differ from ``group`` (the same id raises
        ``InvalidRequestError`` before sending). A parent inside the group's own subtree, or of
        another site, answers 422. Returns the moved group.
        """
        segment = uuid_segment(site, "site")
        group_id = _group_id("group", group)
        parent_id = _group_id("parent", parent)
        if parent_id == group_id:
            raise InvalidRequestError(f"parent must be another group than the group itself ({group_id})")
        path = f"/sites/{segment}/groups/{group_id}/reassign"
        return await self._send("PATCH", path, SiteGroup, json={"parent_group_id": parent_id})

    # -- power management and smart charging ------------------------------------------------------

    async def power_management(self, site: str | uuid.UUID) -> PowerManagement:
        """``GET /sites/{uuid}/power-management``: the site's groups as a tree, with their chargers.

        See ``PowerManagement``: the groups (capacity, method, peak shaving, meter, solar
        settings, chargers, subgroups), the chargers in no group, every charger, and the
        real-time and meter maps.
        """
        return await self._get(f"/sites/{uuid_segment(site, 'site')}/power-management", PowerManagement)

    async def power_history(
        self,
        site: str | uuid.UUID,
        *,
        type: PowerHistoryType,
        entity_id: int,
        connector_id: int | None = None,
        from_: datetime | date | None = None,
        to: datetime | date | None = None,
    ) -> dict[str, Any] | None:
        """``GET /sites/{uuid}/power-history``: the power history of a group or of a connector.

        ``type="branch"`` with a group id as ``entity_id``, or ``type="connector"`` with a
        charger's numeric ``id`` as ``entity_id`` and the connector number as ``connector_id``
        (required for a connector, refused for a branch). ``from_``/``to`` bound the period
        (sent as ISO 8601, naive datetimes as UTC); ``to`` must not be before ``from_``.

        The API documents the answer only as "an object or null" (its example is ``{}``), so
        it is returned as the decoded JSON object, or None when the server sends null.
        """
        segment = uuid_segment(site, "site")
        kind = check.choice("type", type, _POWER_HISTORY_TYPES)
        entity = check.integer("entity_id", entity_id, minimum=1)
        if kind == "connector" and connector_id is None:
            raise InvalidRequestError("connector_id is required when type is 'connector'")
        if kind == "branch" and connector_id is not None:
            raise InvalidRequestError("connector_id is only for type='connector'")
        connector = None if connector_id is None else check.integer("connector_id", connector_id, minimum=1)
        start = None if from_ is None else check.moment("from_", from_)
        end = None if to is None else check.moment("to", to)
        if start is not None and end is not None and _instant(end) < _instant(start):
            raise InvalidRequestError(f"to ({end.isoformat()}) must not be before from_ ({start.isoformat()})")
        params = query(type=kind, entity_id=entity, connector_id=connector)
        if start is not None:
            params["from"] = iso_datetime(start)  # a Python keyword: not a query() argument
        if end is not None:
            params["to"] = iso_datetime(end)
        path = f"/sites/{segment}/power-history"
        data = await self._transport.request("GET", path, params=params)
        if data is None or data == {"data": None}:
            return None
        return structure_response(data, dict[str, Any], method="GET", path=path)

    async def smart_charging(self, site: str | uuid.UUID) -> SmartChargingSettings:
        """``GET /sites/{uuid}/smart-charging``: the site's smart-charging settings."""
        return await self._get(f"/sites/{uuid_segment(site, 'site')}/smart-charging", SmartChargingSettings)

    async def update_smart_charging(
        self,
        site: str | uuid.UUID,
        *,
        timezone: str,
        mode: SmartChargingMode | Literal["disabled", "off_peak", "day_ahead_pricing"],
        day_ahead_pricing_strategy: DayAheadPricingStrategy | Literal["automatic", "manual"] | None = None,
        day_ahead_pricing_threshold: float | None = None,
        off_peak_start: str | time | None = None,
        off_peak_end: str | time | None = None,
    ) -> SmartChargingSettings:
        """``PUT /sites/{uuid}/smart-charging``: set the site's smart charging; return the settings.

        ``timezone`` is an IANA name (``"Europe/Amsterdam"``); ``mode`` (sent as
        ``smart_charging``) is ``"disabled"``, ``"off_peak"`` or ``"day_ahead_pricing"``.
        ``day_ahead_pricing_strategy`` is ``"automatic"`` or ``"manual"``; a manual strategy
        needs ``day_ahead_pricing_threshold`` (a price; it may be negative) unless the site has
        one already: the server judges that and answers 422 (``UnprocessableEntityError``)
        when it is missing. ``off_peak_start``/``off_peak_end`` are local times ``HH:mm`` (or
        ``datetime.time`` on a whole minute); the server may require them for ``"off_peak"``.
        Arguments left at None are not sent. A malformed value raises ``InvalidRequestError``
        before sending.
        """
        segment = uuid_segment(site, "site")
        body: dict[str, Any] = {
            "timezone": check.text("timezone", timezone, max_length=255),
            "smart_charging": check.choice("mode", mode, _SMART_CHARGING_MODES),
        }
        if day_ahead_pricing_strategy is not None:
            body["day_ahead_pricing_strategy"] = check.choice(
                "day_ahead_pricing_strategy", day_ahead_pricing_strategy, _PRICING_STRATEGIES
            )
        if day_ahead_pricing_threshold is not None:
            body["day_ahead_pricing_threshold"] = check.number(
                "day_ahead_pricing_threshold", day_ahead_pricing_threshold
            )
        if off_peak_start is not None:
            body["off_peak_start"] = _time_of_day("off_peak_start", off_peak_start)
        if off_peak_end is not None:
            body["off_peak_end"] = _time_of_day("off_peak_end", off_peak_end)
        return await self._send("PUT", f"/sites/{segment}/smart-charging", SmartChargingSettings, json=body)
