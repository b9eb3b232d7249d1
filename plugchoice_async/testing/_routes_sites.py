"""Routes of sites ("locations": their chargers, connectors, transactions, cards and group meters) and teams."""

from __future__ import annotations

import csv
import io
import random
import re
import zoneinfo
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from ._history import TransactionRow, site_transaction, team_transaction
from ._pagination import simple_page, top_level_page
from ._routes_metering import filter_transactions, query_input, unknown_filter
from ._web import (
    CHARGER_FIELDS,
    CHARGER_NOT_FOUND,
    AddRoute,
    RouteGroup,
    Validator,
    forbidden,
    json_response,
    message_response,
    no_content,
    not_found_model,
    ok,
    read_input,
    read_upload,
    spatie_error,
    validation_error,
)
from ._world import World, address, new_site, site_document, team_site

if TYPE_CHECKING:
    from ._state import State

__all__ = ["SiteRoutes", "TeamRoutes"]

_SITE_CHARGER_FIELDS = (
    "uuid",
    "id",
    "identity",
    "reference",
    "connection_status",
    "status",
    "error",
    "error_info",
    "vendor_id",
    "vendor_error_code",
    "firmware_version",
    "parsed_firmware_version",
    "server",
    "last_connection_at",
    "last_disconnection_at",
    "last_heartbeat_at",
    "setup_pending",
    "setup_completed",
    "blocked",
    "max_current",
    "licenses",
)
_SITE_CONNECTOR_FIELDS = (
    "id",
    "charger_id",
    "connector_id",
    "status",
    "max_amperage",
    "max_voltage",
    "standard",
    "format",
    "power_type",
    "phase_rotation",
)
_CONNECTOR_STATUSES = (
    "Available",
    "Charging",
    "Faulted",
    "Finishing",
    "Preparing",
    "Reserved",
    "SuspendedEV",
    "SuspendedEVSE",
    "Unavailable",
)
_SMART_CHARGING_MODES = ("disabled", "off_peak", "day_ahead_pricing")
_HH_MM = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")
_TEAM_CHARGER_FILTERS = ("connection_status", "status", "connector_status", "vendor", "license", "site_uuid")
_TEAM_CHARGER_SORTS = ("identity", "connection_status", "status", "created_at")
_TEAM_SITE_SORTS = ("name", "city", "chargers_count", "created_at")
_TEAM_TRANSACTION_SORTS = ("started_at", "stopped_at", "total_kwh", "meter_start", "meter_stop")


def _sort_key(value: Any) -> tuple[bool, Any]:
    """MySQL's order: NULL first ascending (so last descending)."""
    return (value is not None, value)


def _sorted(rows: list[Any], sort: str, allowed: tuple[str, ...], key: Callable[[Any, str], Any]) -> list[Any] | str:
    """Rows sorted by ``sort`` (``-`` for descending); the refused sort's name when it is not allowed."""
    name = sort.lstrip("-")
    if name not in allowed:
        return sort
    return sorted(rows, key=lambda row: _sort_key(key(row, name)), reverse=sort.startswith("-"))


def _wanted(filters: dict[str, Any], name: str) -> set[str] | None:
    """A ``filter[name]`` value as a set (comma-separated values match any of them); None without one."""
    value = filters.get(name)
    return None if value in (None, "") else set(str(value).split(","))


class SiteRoutes(RouteGroup):
    """``/sites`` and everything under a site.

    Every generated site has a root group (``group_id`` null) and two subgroups; its chargers are in turn in the
    root, either subgroup, or no group (sites created later start with none). ``PATCH .../chargers/{c}/move``
    moves a charger of the site to another of the user's sites (422 for the same or an unknown site, 403 for
    another owner's) and resets its configuration: no group, connectors' ``max_amperage`` null.
    ``.../reassign`` puts it in a group of the same site. ``PUT .../groups/{g}`` changes the given settings
    (``meter_uuid`` takes a meter from the group that had it, ``remove_meter`` detaches); ``.../reassign`` moves a
    group under another of the site's groups, never under its own subtree. ``GET .../power-management`` answers
    the tree in camelCase (flat, as the docs show it). Smart-charging settings start as the published defaults
    (off-peak 23:00-07:00, strategy automatic, no threshold) with the site's mode; a ``manual`` strategy needs a
    threshold unless one is set, ``off_peak`` needs both times. ``GET .../power-history`` validates its query and
    answers ``{}``, the only published example. ``POST .../cards/import`` takes a CSV with a ``name,id_token``
    header; a row with a missing or too long value, or a token the site (or an earlier row) has, is skipped and
    reported with its number (data rows from 1, blank lines ignored).
    """

    def register(self, add: AddRoute) -> None:
        add("GET", "/sites", self.list_sites)
        add("POST", "/sites", self.create_site)
        add("GET", "/sites/{site}", self.get_site)
        add("PUT", "/sites/{site}", self.update_site)
        add("DELETE", "/sites/{site}", self.delete_site)
        add("GET", "/sites/{site}/chargers", self.site_chargers)
        add("POST", "/sites/{site}/chargers", self.attach_charger)
        add("GET", "/sites/{site}/connectors", self.site_connectors)
        add("GET", "/sites/{site}/transactions", self.site_transactions)
        add("POST", "/sites/{site}/cards", self.create_card)
        add("PUT", "/sites/{site}/cards/{card}", self.update_card)
        add("GET", "/sites/{site}/groups", self.groups)
        add("GET", "/sites/{site}/groups/{group}/meter", self.group_meter)
        add("PATCH", "/sites/{site}/chargers/{charger}/move", self.move_charger)
        add("PATCH", "/sites/{site}/chargers/{charger}/reassign", self.reassign_charger)
        add("PUT", "/sites/{site}/groups/{group}", self.update_group)
        add("PATCH", "/sites/{site}/groups/{group}/reassign", self.reassign_group)
        add("GET", "/sites/{site}/power-management", self.power_management)
        add("GET", "/sites/{site}/power-history", self.power_history)
        add("GET", "/sites/{site}/smart-charging", self.smart_charging)
        add("PUT", "/sites/{site}/smart-charging", self.update_smart_charging)
        add("POST", "/sites/{site}/cards/import", self.import_cards)

    def _document(self, site: dict[str, Any]) -> dict[str, Any]:
        return site_document(site, self.state.chargers_count(site["uuid"]))

    async def list_sites(self, request: web.Request) -> web.Response:
        world = self.state.world
        team = request.query.get("team")
        search = request.query.get("search", "").strip().lower()
        rows: Iterable[dict[str, Any]] = world.sites.values()
        if team:
            rows = (site for site in rows if world.site_team[site["uuid"]] == team)
        if search:
            rows = (site for site in rows if search in f"{site['name']} {site['city']} {site['street']}".lower())
        return simple_page(request, rows, lambda site: orjson.dumps(self._document(site)), self.page_size(request))

    def _check_site(self, check: Validator, partial: bool) -> dict[str, Any]:
        """The site fields of a create (every required one) or an update (only those sent)."""

        def required(name: str) -> bool:
            return not partial or check.has(name)

        fields: dict[str, Any] = {
            "name": check.string("name", required=required("name"), max=255),
            "street": check.string("street", required=required("street"), max=255),
            "house_number": check.integer("house_number", required=required("house_number"), min=0),
            "house_number_addition": check.string("house_number_addition", nullable=True, max=10),
            "postal_code": check.string("postal_code", required=required("postal_code"), max=20),
            "city": check.string("city", required=required("city"), max=255),
            "country": check.string("country", required=required("country"), size=2),
        }
        check.boolean("manual_coordinates", nullable=True)
        check.number("latitude", nullable=True, min=-90, max=90)
        check.number("longitude", nullable=True, min=-180, max=180)
        if fields["country"] is not None and not fields["country"].isalpha():
            check.fail("country", "The country field must only contain letters.")
        if fields["country"]:
            fields["country"] = fields["country"].upper()
        sent = {name for name in fields if check.has(name)}
        return {name: value for name, value in fields.items() if name in sent}

    async def create_site(self, request: web.Request) -> web.Response:
        world = self.state.world
        check = Validator(await read_input(request))
        fields = self._check_site(check, partial=False)
        team_uuid = check.string("team_uuid", nullable=True)
        if team_uuid is not None and team_uuid not in world.teams:
            check.fail("team_uuid", "The selected team uuid is invalid.")
        if check.failed:
            return check.response()
        rng = random.Random(f"plugchoice-new-site:{self.state.seed}:{world.next_site_id}")
        site = new_site(rng, world.next_site_id, fields["name"])
        world.next_site_id += 1
        site.update(fields, smart_charging="disabled", created_at=self.state.stamp(), updated_at=self.state.stamp())
        site["address"] = address(site)
        world.sites[site["uuid"]] = site
        world.site_team[site["uuid"]] = team_uuid or next(iter(world.teams))
        world.site_chargers[site["uuid"]] = []
        world.groups[site["uuid"]] = []
        return ok({"data": self._document(site)}, 201)

    async def get_site(self, request: web.Request) -> web.Response:
        site = self.site(request.match_info["site"])
        if isinstance(site, web.Response):
            return site
        return ok({"data": self._document(site)})

    async def update_site(self, request: web.Request) -> web.Response:
        site = self.site(request.match_info["site"])
        if isinstance(site, web.Response):
            return site
        check = Validator(await read_input(request))
        fields = self._check_site(check, partial=True)
        if check.failed:
            return check.response()
        site.update(fields, updated_at=self.state.stamp())
        return ok({"data": self._document(site)})

    async def delete_site(self, request: web.Request) -> web.Response:
        site = self.site(request.match_info["site"])
        if isinstance(site, web.Response):
            return site
        world = self.state.world
        uuid = site["uuid"]
        for charger in world.site_chargers.pop(uuid, []):
            world.charger_site.pop(charger, None)
            world.charger_group.pop(charger, None)
        for mapping in (world.sites, world.site_team, world.groups, world.cards, world.smart_charging):
            mapping.pop(uuid, None)
        return no_content()

    # -- chargers and connectors of a site --------------------------------------------------------

    def _site_charger(self, uuid: str) -> bytes:
        charger = self.state.chargers[uuid]
        item = {name: charger.get(name) for name in _SITE_CHARGER_FIELDS}
        item["connectors"] = [{name: c.get(name) for name in _SITE_CONNECTOR_FIELDS} for c in charger["connectors"]]
        item["created_at"] = charger["created_at"]
        item["updated_at"] = charger["updated_at"]
        return orjson.dumps(item)

    async def site_chargers(self, request: web.Request) -> web.Response:
        site = self.site(request.match_info["site"])
        if isinstance(site, web.Response):
            return site
        return simple_page(request, self.state.site_members(site["uuid"]), self._site_charger, self.page_size(request))

    async def attach_charger(self, request: web.Request) -> web.Response:
        site = self.site(request.match_info["site"])
        if isinstance(site, web.Response):
            return site
        check = Validator(await read_input(request))
        identity = check.string("identity", required=True, max=255)
        pincode = check.number("pincode", required=True)
        if check.failed or identity is None or pincode is None:
            return check.response()
        uuid = self.paired_charger(check, identity, pincode)
        if check.failed or uuid is None:
            return check.response()
        state = self.state
        world = state.world
        previous = world.charger_site.get(uuid)
        if previous != site["uuid"]:
            if previous is not None:
                world.site_chargers[previous].remove(uuid)
            world.site_chargers[site["uuid"]].append(uuid)
            world.charger_site[uuid] = site["uuid"]
            world.charger_teams[uuid] = {world.site_team[site["uuid"]]}  # it moves to the site's team
        charger = state.chargers[uuid]
        return ok({"data": {name: charger.get(name) for name in CHARGER_FIELDS}})

    async def site_connectors(self, request: web.Request) -> web.Response:
        site = self.site(request.match_info["site"])
        if isinstance(site, web.Response):
            return site
        chargers = self.state.chargers
        rows = (
            (chargers[uuid], c) for uuid in self.state.site_members(site["uuid"]) for c in chargers[uuid]["connectors"]
        )

        def encode(row: tuple[dict[str, Any], dict[str, Any]]) -> bytes:
            charger, connector = row
            item = {name: value for name, value in connector.items() if name not in ("created_at", "updated_at")}
            item["charger"] = {
                name: charger[name] for name in ("uuid", "id", "identity", "connection_status", "status")
            }
            item["created_at"] = connector["created_at"]
            item["updated_at"] = connector["updated_at"]
            return orjson.dumps(item)

        return simple_page(request, rows, encode, self.page_size(request))

    async def site_transactions(self, request: web.Request) -> web.Response:
        site = self.site(request.match_info["site"])
        if isinstance(site, web.Response):
            return site
        state = self.state
        members = list(state.site_members(site["uuid"]))
        wanted = _wanted(query_input(request.query).get("filter") or {}, "charger_uuid")
        if wanted is not None:
            members = [uuid for uuid in members if uuid in wanted]
        pairs = [(tx, state.chargers[uuid]) for uuid in members for tx in state.history(uuid).transactions]
        found = filter_transactions(request.query, pairs, lambda pair: pair[0], ("charger_uuid",))
        if isinstance(found, web.Response):
            return found
        rows, limit, _ = found

        def encode(pair: tuple[TransactionRow, dict[str, Any]]) -> bytes:
            return orjson.dumps(site_transaction(*pair))

        return simple_page(request, rows, encode, limit)

    # -- cards and groups ------------------------------------------------------------------------

    def _check_card(self, check: Validator, site_uuid: str, card_id: int | None) -> dict[str, Any]:
        partial = card_id is not None
        name = check.string("name", required=not partial or check.has("name"), max=255)
        id_token = check.string("id_token", required=not partial or check.has("id_token"), max=20)
        cards = self.state.world.cards.get(site_uuid, {})
        if id_token is not None and any(c["id_token"] == id_token and c["id"] != card_id for c in cards.values()):
            check.fail("id_token", "The id token has already been taken.")
        return {key: value for key, value in (("name", name), ("id_token", id_token)) if value is not None}

    async def create_card(self, request: web.Request) -> web.Response:
        site = self.site(request.match_info["site"])
        if isinstance(site, web.Response):
            return site
        check = Validator(await read_input(request))
        fields = self._check_card(check, site["uuid"], None)
        if check.failed:
            return check.response()
        stamp = self.state.stamp()
        card = {"id": self.state.next_card_id(), **fields, "created_at": stamp, "updated_at": stamp}
        self.state.world.cards.setdefault(site["uuid"], {})[card["id"]] = card
        return ok({"data": card}, 201)

    async def update_card(self, request: web.Request) -> web.Response:
        site = self.site(request.match_info["site"])
        if isinstance(site, web.Response):
            return site
        cards = self.state.world.cards.get(site["uuid"], {})
        card = cards.get(int(request.match_info["card"])) if request.match_info["card"].isdigit() else None
        if card is None:
            return not_found_model("SiteCard")
        check = Validator(await read_input(request))
        fields = self._check_card(check, site["uuid"], card["id"])
        if check.failed:
            return check.response()
        card.update(fields, updated_at=self.state.stamp())
        return ok({"data": card})

    async def groups(self, request: web.Request) -> web.Response:
        site = self.site(request.match_info["site"])
        if isinstance(site, web.Response):
            return site
        return ok({"data": self.state.world.groups.get(site["uuid"], [])})

    async def group_meter(self, request: web.Request) -> web.Response:
        site = self.site(request.match_info["site"])
        if isinstance(site, web.Response):
            return site
        world, wanted = self.state.world, request.match_info["group"]
        group = next((g for g in world.groups.get(site["uuid"], []) if str(g["id"]) == wanted), None)
        if group is None:
            return not_found_model("SiteGroup")
        meter = world.meters.get(group["id"])
        if meter is None:
            return message_response(404, "This group has no meter.")
        return ok({"data": meter})

    # -- moving chargers, groups, power management, smart charging, card import -------------------

    def _site_and_charger(self, request: web.Request) -> tuple[dict[str, Any], dict[str, Any]] | web.Response:
        """The path's site and charger, the charger on that site (404 otherwise, as a scoped binding)."""
        site = self.site(request.match_info["site"])
        if isinstance(site, web.Response):
            return site
        charger = self.charger(request.match_info["charger"])
        if isinstance(charger, web.Response):
            return charger
        if self.state.world.charger_site.get(charger["uuid"]) != site["uuid"]:
            return json_response(404, CHARGER_NOT_FOUND)
        return site, charger

    def _site_and_group(self, request: web.Request) -> tuple[dict[str, Any], dict[str, Any]] | web.Response:
        """The path's site and one of its groups (404 for a group id the site does not have)."""
        site = self.site(request.match_info["site"])
        if isinstance(site, web.Response):
            return site
        wanted = request.match_info["group"]
        group = self.state.world.site_groups(site["uuid"]).get(int(wanted)) if wanted.isdigit() else None
        if group is None:
            return not_found_model("SiteGroup")
        return site, group

    async def move_charger(self, request: web.Request) -> web.Response:
        found = self._site_and_charger(request)
        if isinstance(found, web.Response):
            return found
        site, charger = found
        world = self.state.world
        check = Validator(await read_input(request))
        target = check.uuid("target_site_uuid", required=True)
        if target is not None:
            target = target.lower()
            if target == site["uuid"]:
                check.fail("target_site_uuid", "The target site uuid field and current site must be different.")
            elif target == world.foreign_site["uuid"]:
                return forbidden()  # moving needs sensitive access to both sites
            elif target not in world.sites:
                check.fail("target_site_uuid", "The selected target site uuid is invalid.")
        if check.failed or target is None:
            return check.response()
        self.state.move_to_site(charger["uuid"], target)
        document = {name: charger.get(name) for name in CHARGER_FIELDS}
        document["connectors"] = charger["connectors"]
        return ok({"data": document})

    async def reassign_charger(self, request: web.Request) -> web.Response:
        found = self._site_and_charger(request)
        if isinstance(found, web.Response):
            return found
        site, charger = found
        world = self.state.world
        check = Validator(await read_input(request))
        group_id = check.integer("site_group_id", required=True)
        if group_id is not None and group_id not in world.site_groups(site["uuid"]):
            check.fail("site_group_id", "The selected site group id is invalid.")
        if check.failed or group_id is None:
            return check.response()
        world.charger_group[charger["uuid"]] = group_id
        return ok({"message": "Charger reassigned successfully."})

    async def update_group(self, request: web.Request) -> web.Response:
        found = self._site_and_group(request)
        if isinstance(found, web.Response):
            return found
        _, group = found
        world = self.state.world
        check = Validator(await read_input(request))
        changes: dict[str, Any] = {
            "total_amps": check.integer("total_amps", min=1),
            "net_type": check.one_of("net_type", ("TN", "TT", "IT"), nullable=True),
            "method": check.one_of("method", ("boost", "solar")),
            "solar_additional_amps": check.integer("solar_additional_amps", min=0),
            "solar_always_charge": check.boolean("solar_always_charge"),
            "solar_always_charge_amps": check.integer("solar_always_charge_amps", min=0),
            "smart_charging_charge_on_solar_export": check.boolean("smart_charging_charge_on_solar_export"),
            "peak_shaving_enabled": check.boolean("peak_shaving_enabled"),
            "peak_shaving_threshold": check.number("peak_shaving_threshold", min=0),
        }
        meter_uuid = check.uuid("meter_uuid", nullable=True)
        remove_meter = check.boolean("remove_meter")
        meter_at: int | None = None
        if meter_uuid is not None:
            meter_at = next((gid for gid, m in world.meters.items() if m["uuid"] == meter_uuid.lower()), None)
            if meter_at is None:
                check.fail("meter_uuid", "The selected meter uuid is invalid.")
        if check.failed:
            return check.response()
        group.update({name: value for name, value in changes.items() if value is not None or check.has(name)})
        if remove_meter:
            world.meters.pop(group["id"], None)
            group["meter_id"] = None
        if meter_at is not None and meter_at != group["id"]:
            meter = world.meters.pop(meter_at)
            for other in world.groups.get(self._site_of_group(meter_at), []):
                if other["id"] == meter_at:
                    other["meter_id"] = None
            world.meters[group["id"]] = meter
            group["meter_id"] = meter["id"]
        group["updated_at"] = self.state.stamp()
        return ok({"data": group})

    def _site_of_group(self, group_id: int) -> str:
        """The uuid of the site that has the group (``""`` when none has)."""
        groups = self.state.world.groups
        return next((uuid for uuid, items in groups.items() if any(g["id"] == group_id for g in items)), "")

    async def reassign_group(self, request: web.Request) -> web.Response:
        found = self._site_and_group(request)
        if isinstance(found, web.Response):
            return found
        site, group = found
        groups = self.state.world.site_groups(site["uuid"])
        check = Validator(await read_input(request))
        parent_id = check.integer("parent_group_id", required=True)
        if parent_id is not None:
            if parent_id == group["id"]:
                check.fail("parent_group_id", "The parent group id field and group must be different.")
            elif parent_id not in groups:
                check.fail("parent_group_id", "The selected parent group id is invalid.")
            else:
                ancestor: int | None = parent_id
                while ancestor is not None and ancestor in groups:
                    if ancestor == group["id"]:
                        check.fail("parent_group_id", "A group cannot be moved under one of its own subgroups.")
                        break
                    ancestor = groups[ancestor]["group_id"]
        if check.failed or parent_id is None:
            return check.response()
        group.update(group_id=parent_id, updated_at=self.state.stamp())
        return ok({"data": group})

    async def power_management(self, request: web.Request) -> web.Response:
        site = self.site(request.match_info["site"])
        if isinstance(site, web.Response):
            return site
        return ok(power_management(self.state, site["uuid"]))

    async def power_history(self, request: web.Request) -> web.Response:
        site = self.site(request.match_info["site"])
        if isinstance(site, web.Response):
            return site
        state = self.state
        check = Validator(dict(request.query))
        kind = check.one_of("type", ("branch", "connector"), required=True)
        entity = check.integer("entity_id", required=True)
        connector = check.integer("connector_id", required=kind == "connector")
        start = check.date("from")
        end = check.date("to")
        if start is not None and end is not None and end < start:
            check.fail("to", "The to field must be a date after or equal to from.")
        if kind == "branch" and entity is not None and entity not in state.world.site_groups(site["uuid"]):
            check.fail("entity_id", "The selected entity id is invalid.")
        if kind == "connector" and entity is not None:
            members = [state.chargers[uuid] for uuid in state.site_members(site["uuid"])]
            charger = next((c for c in members if c["id"] == entity), None)
            if charger is None:
                check.fail("entity_id", "The selected entity id is invalid.")
            elif connector is not None and state.connector(charger, connector) is None:
                check.fail("connector_id", "The selected connector id is invalid.")
        if check.failed:
            return check.response()
        return ok({})  # the only published example: the history's shape is not documented

    def _smart_charging(self, site: dict[str, Any]) -> dict[str, Any]:
        """The site's smart-charging settings (the published defaults on first use); the mode is the site's."""
        settings = self.state.world.smart_charging.setdefault(
            site["uuid"],
            {
                "timezone": None,
                "smart_charging": site["smart_charging"],
                "day_ahead_pricing_strategy": "automatic",
                "day_ahead_pricing_threshold": None,
                "day_ahead_pricing_smart_mode_price": None,
                "off_peak_start": "23:00",
                "off_peak_end": "07:00",
            },
        )
        settings["smart_charging"] = site["smart_charging"]
        return settings

    async def smart_charging(self, request: web.Request) -> web.Response:
        site = self.site(request.match_info["site"])
        if isinstance(site, web.Response):
            return site
        return ok({"data": self._smart_charging(site)})

    async def update_smart_charging(self, request: web.Request) -> web.Response:
        site = self.site(request.match_info["site"])
        if isinstance(site, web.Response):
            return site
        settings = self._smart_charging(site)
        check = Validator(await read_input(request))
        timezone = check.string("timezone", required=True, max=255)
        if timezone is not None and not _is_timezone(timezone):
            check.fail("timezone", "The timezone field must be a valid timezone.")
        mode = check.one_of("smart_charging", _SMART_CHARGING_MODES, required=True)
        strategy = check.one_of("day_ahead_pricing_strategy", ("automatic", "manual"), nullable=True)
        threshold = check.number("day_ahead_pricing_threshold", nullable=True)
        if strategy == "manual" and threshold is None and settings["day_ahead_pricing_threshold"] is None:
            check.fail(
                "day_ahead_pricing_threshold",
                "The day ahead pricing threshold field is required when day ahead pricing strategy is manual.",
            )
        times: dict[str, str | None] = {}
        for name in ("off_peak_start", "off_peak_end"):
            value = check.string(name, nullable=True)
            if mode == "off_peak" and not check.filled(name):
                check.fail(name, f"The {name.replace('_', ' ')} field is required when smart charging is off_peak.")
            if value is not None and _HH_MM.fullmatch(value) is None:
                check.fail(name, f"The {name.replace('_', ' ')} field must match the format H:i.")
            times[name] = value
        if check.failed:
            return check.response()
        site.update(smart_charging=mode, updated_at=self.state.stamp())
        settings.update(timezone=timezone, smart_charging=mode)
        if strategy is not None:
            settings["day_ahead_pricing_strategy"] = strategy
        if threshold is not None:
            settings["day_ahead_pricing_threshold"] = threshold
        settings.update({name: value for name, value in times.items() if value is not None})
        return ok({"data": settings})

    async def import_cards(self, request: web.Request) -> web.Response:
        site = self.site(request.match_info["site"])
        if isinstance(site, web.Response):
            return site
        content = await read_upload(request, "file")
        if isinstance(content, web.Response):
            return content
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig", "replace"))))
        rows = [row for row in rows if any(cell.strip() for cell in row)]
        header = [cell.strip().lower() for cell in rows[0]] if rows else []
        if "name" not in header or "id_token" not in header:
            return validation_error({"file": ["The file must have a header row with the columns name and id_token."]})
        name_at, token_at = header.index("name"), header.index("id_token")
        cards = self.state.world.cards.setdefault(site["uuid"], {})
        taken = {card["id_token"] for card in cards.values()}
        created, errors = 0, []
        for number, row in enumerate(rows[1:], start=1):
            name = row[name_at].strip() if name_at < len(row) else ""
            token = row[token_at].strip() if token_at < len(row) else ""
            problem = _card_row_problem(name, token, taken)
            if problem is not None:
                errors.append({"row": number, "name": name or None, "id_token": token or None, "error": problem})
                continue
            stamp = self.state.stamp()
            card_id = self.state.next_card_id()
            cards[card_id] = {"id": card_id, "name": name, "id_token": token, "created_at": stamp, "updated_at": stamp}
            taken.add(token)
            created += 1
        return ok({"message": "Import completed", "created": created, "skipped": len(errors), "errors": errors})


def _card_row_problem(name: str, token: str, taken: set[str]) -> str | None:
    """Why a row of a card import is skipped, or None to create the card."""
    if not name:
        return "The name field is required."
    if len(name) > 255:
        return "The name field must not be greater than 255 characters."
    if not token:
        return "The id_token field is required."
    if len(token) > 20:
        return "The id_token field must not be greater than 20 characters."
    if token in taken:
        return "The id_token has already been taken."
    return None


def _is_timezone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone (Laravel's ``timezone`` rule)."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _group_of(world: World, uuid: str, groups: dict[int, dict[str, Any]]) -> int | None:
    """The id of the charger's group among ``groups`` (the site's), None when it is in none of them."""
    group_id = world.charger_group.get(uuid)
    return group_id if group_id in groups else None


def _power_charger(charger: dict[str, Any], group_id: int | None) -> dict[str, Any]:
    return {
        "id": charger["id"],
        "uuid": charger["uuid"],
        "label": charger.get("reference") or charger["identity"],
        "status": charger["status"],
        "groupId": group_id,
    }


def power_management(state: State, site_uuid: str) -> dict[str, Any]:
    """``GET /sites/{s}/power-management``: the site's group tree (camelCase), its chargers and live figures.

    ``realTimeData`` has, per group id, the current ``available`` (its capacity), ``requested`` (the rating of
    its charging connectors) and ``allocated`` (the requested current, capped by the capacity) per phase;
    ``meterData`` the ``power`` of each group meter by meter id.
    """
    world = state.world
    groups = world.site_groups(site_uuid)
    members = [state.chargers[uuid] for uuid in state.site_members(site_uuid)]
    grouped: dict[int | None, list[dict[str, Any]]] = {}
    for charger in members:
        grouped.setdefault(_group_of(world, charger["uuid"], groups), []).append(charger)
    children: dict[int | None, list[dict[str, Any]]] = {}
    for group in groups.values():
        parent = group["group_id"] if group["group_id"] in groups else None
        children.setdefault(parent, []).append(group)
    real_time: dict[str, Any] = {}
    meter_data: dict[str, Any] = {}

    def node(group: dict[str, Any]) -> dict[str, Any]:
        meter = world.meters.get(group["id"]) if group["meter_id"] is not None else None
        chargers = grouped.get(group["id"], [])
        requested = sum(
            float(connector.get("max_amperage") or 32)
            for charger in chargers
            for connector in charger["connectors"]
            if connector["status"] == "Charging"
        )
        available = float(group["total_amps"])
        phases = ("l1", "l2", "l3")
        real_time[str(group["id"])] = {
            "available": dict.fromkeys(phases, available),
            "requested": dict.fromkeys(phases, requested),
            "allocated": dict.fromkeys(phases, min(requested, available)),
        }
        if meter is not None:
            meter_data[str(meter["id"])] = meter["power"]
        return {
            "id": group["id"],
            "isRoot": group["group_id"] not in groups,
            "totalAmps": group["total_amps"],
            "netType": group["net_type"],
            "method": group["method"],
            "peakShaving": {"enabled": group["peak_shaving_enabled"], "threshold": group["peak_shaving_threshold"]},
            "meter": None
            if meter is None
            else {"id": meter["id"], "uuid": meter["uuid"], "type": meter["type"], "serialNumber": None},
            "solarSettings": {
                "additionalAmps": group["solar_additional_amps"],
                "alwaysCharge": group["solar_always_charge"],
                "alwaysChargeAmps": group["solar_always_charge_amps"],
                "smartChargingChargeOnSolarExport": group["smart_charging_charge_on_solar_export"],
            },
            "chargers": [_power_charger(charger, group["id"]) for charger in chargers],
            "subgroups": [node(child) for child in children.get(group["id"], [])],
        }

    tree = [node(root) for root in children.get(None, [])]
    return {
        "groups": tree,
        "unattachedChargers": [_power_charger(charger, None) for charger in grouped.get(None, [])],
        "allChargers": [_power_charger(charger, _group_of(world, charger["uuid"], groups)) for charger in members],
        "realTimeData": real_time,
        "meterData": meter_data,
    }


class TeamRoutes(RouteGroup):
    """``/teams`` and the team listings (top-level paginator with ``filter_options``).

    ``GET /teams/{t}/chargers?search=text`` keeps the chargers whose identity contains ``text`` (case-insensitive).
    The docs describe the identity filter but their stored copies lost its name; ``search`` is what ``GET /sites``
    calls its own search, so it is the likely name (unverified).
    """

    def register(self, add: AddRoute) -> None:
        add("GET", "/teams", self.list_teams)
        add("GET", "/teams/{team}/chargers", self.team_chargers)
        add("GET", "/teams/{team}/sites", self.team_sites)
        add("GET", "/teams/{team}/transactions", self.team_transactions)

    async def list_teams(self, request: web.Request) -> web.Response:
        return ok({"data": list(self.state.world.teams.values())})

    def _team_chargers(self, team_uuid: str) -> list[dict[str, Any]]:
        """The team's chargers, in fleet order (a charger may be in several teams, or in none)."""
        teams = self.state.world.charger_teams
        return [charger for uuid, charger in self.state.chargers.items() if team_uuid in teams.get(uuid, ())]

    async def team_chargers(self, request: web.Request) -> web.Response:
        team = self.team(request.match_info["team"])
        if isinstance(team, web.Response):
            return team
        data = query_input(request.query)
        refused = unknown_filter(data, _TEAM_CHARGER_FILTERS)
        if refused is not None:
            return refused
        state = self.state
        chargers = self._team_chargers(team["uuid"])
        vendors = sorted({c["model"]["vendor"] for c in chargers if c.get("model")})
        filters = data.get("filter") or {}
        rows = chargers
        for name in ("connection_status", "status"):
            if (wanted := _wanted(filters, name)) is not None:
                rows = [c for c in rows if c[name] in wanted]
        if (wanted := _wanted(filters, "connector_status")) is not None:
            rows = [c for c in rows if any(k["status"] in wanted for k in c["connectors"])]
        if (wanted := _wanted(filters, "vendor")) is not None:
            rows = [c for c in rows if (c.get("model") or {}).get("vendor") in wanted]
        if (wanted := _wanted(filters, "license")) is not None:
            rows = [c for c in rows if self._licenses(c) & wanted]
        if (wanted := _wanted(filters, "site_uuid")) is not None:
            rows = [c for c in rows if state.world.charger_site.get(c["uuid"]) in wanted]
        search = request.query.get("search", "").strip().casefold()
        if search:  # the identity filter (its name is unverified: see TeamRoutes)
            rows = [c for c in rows if search in c["identity"].casefold()]
        if "sort" in request.query:
            ordered = _sorted(rows, request.query["sort"], _TEAM_CHARGER_SORTS, lambda c, name: c[name])
            if isinstance(ordered, str):
                return spatie_error("sort", ordered, list(_TEAM_CHARGER_SORTS))
            rows = ordered
        options = {
            "connection_statuses": ["online", "offline", "never_seen"],
            "statuses": ["Available", "Faulted", "Unavailable"],
            "connector_statuses": list(_CONNECTOR_STATUSES),
            "vendors": vendors,
            "license_types": ["basic", "smart", "pro"],
        }
        return top_level_page(request, rows, self._team_charger, options, self.page_size(request))

    @staticmethod
    def _licenses(charger: dict[str, Any]) -> set[str]:
        licenses = charger.get("licenses") or {}
        held = {name for name in ("smart", "pro") if licenses.get(name)}
        return held or {"basic"}

    def _team_charger(self, charger: dict[str, Any]) -> bytes:
        model = charger.get("model") or {}
        vendor, name = model.get("vendor", ""), model.get("name", "")
        site = self.state.site_of(charger["uuid"])
        item = {
            "uuid": charger["uuid"],
            "identity": charger["identity"],
            "connection_status": charger["connection_status"],
            "status": charger["status"],
            "licenses": charger["licenses"],
            "model": {"vendor": vendor, "name": name},
            "internal_model": {
                "name": f"{vendor} {name}",
                "sku": f"{vendor[:3].upper()}-{charger.get('model_id', 0):03d}",
            },
            "site": None if site is None else {"uuid": site["uuid"], "name": site["name"]},
            "connectors": {
                "data": [
                    {"id": c["id"], "connector_id": c["connector_id"], "status": c["status"]}
                    for c in charger["connectors"]
                ]
            },
        }
        return orjson.dumps(item)

    async def team_sites(self, request: web.Request) -> web.Response:
        team = self.team(request.match_info["team"])
        if isinstance(team, web.Response):
            return team
        data = query_input(request.query)
        refused = unknown_filter(data, ("country", "smart_charging"))
        if refused is not None:
            return refused
        world = self.state.world
        sites = [site for site in world.sites.values() if world.site_team[site["uuid"]] == team["uuid"]]
        countries = sorted({site["country"] for site in sites})
        rows = [(site, self.state.chargers_count(site["uuid"])) for site in sites]
        filters = data.get("filter") or {}
        for name in ("country", "smart_charging"):
            if (wanted := _wanted(filters, name)) is not None:
                rows = [row for row in rows if row[0][name] in wanted]
        if "sort" in request.query:

            def key(row: tuple[dict[str, Any], int], name: str) -> Any:
                return row[1] if name == "chargers_count" else row[0][name]

            ordered = _sorted(rows, request.query["sort"], _TEAM_SITE_SORTS, key)
            if isinstance(ordered, str):
                return spatie_error("sort", ordered, list(_TEAM_SITE_SORTS))
            rows = ordered
        options = {"countries": countries, "smart_charging_modes": ["day_ahead_pricing", "disabled", "off_peak"]}
        return top_level_page(
            request, rows, lambda row: orjson.dumps(team_site(*row)), options, self.page_size(request)
        )

    async def team_transactions(self, request: web.Request) -> web.Response:
        team = self.team(request.match_info["team"])
        if isinstance(team, web.Response):
            return team
        data = query_input(request.query)
        refused = unknown_filter(data, ("status",))
        if refused is not None:
            return refused
        check = Validator(data)
        status = check.one_of("filter.status", ("active", "finished"))
        if check.failed:
            return check.response()
        state = self.state
        pairs = [(tx, c) for c in self._team_chargers(team["uuid"]) for tx in state.history(c["uuid"]).transactions]
        if status is not None:
            pairs = [pair for pair in pairs if pair[0].active == (status == "active")]

        def key(pair: tuple[TransactionRow, dict[str, Any]], name: str) -> Any:
            tx = pair[0]
            if name == "total_kwh":
                return float(tx.total_kwh())
            return {"started_at": tx.started, "stopped_at": tx.stopped}.get(name, getattr(tx, name, None))

        ordered = _sorted(pairs, request.query.get("sort", "-started_at"), _TEAM_TRANSACTION_SORTS, key)
        if isinstance(ordered, str):
            return spatie_error("sort", ordered, list(_TEAM_TRANSACTION_SORTS))

        def encode(pair: tuple[TransactionRow, dict[str, Any]]) -> bytes:
            tx, charger = pair
            return orjson.dumps(team_transaction(tx, charger, state.site_of(charger["uuid"])))

        options = {"statuses": ["active", "finished"]}
        return top_level_page(request, ordered, encode, options, self.page_size(request))
