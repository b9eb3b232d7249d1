"""Routes of sites ("locations": their chargers, connectors, transactions, cards and group meters) and teams."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from aiohttp import web

from ._history import TransactionRow, site_transaction, team_transaction
from ._pagination import simple_page, top_level_page
from ._routes_metering import filter_transactions, query_input, unknown_filter
from ._web import (
    AddRoute,
    RouteGroup,
    Validator,
    forbidden,
    message_response,
    no_content,
    not_found_model,
    ok,
    read_input,
    spatie_error,
)
from ._world import address, new_site, site_document, team_site

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
_ATTACHED_FIELDS = (
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
    "server",
    "last_connection_at",
    "last_disconnection_at",
    "last_heartbeat_at",
    "setup_pending",
    "setup_completed",
    "blocked",
    "max_current",
    "created_at",
    "updated_at",
    "licenses",
    "permissions",
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
    """``/sites`` and everything under a site."""

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

    def site(self, uuid: str) -> dict[str, Any] | web.Response:
        """The user's site, or 403 (another owner's) / 404."""
        site = self.state.world.sites.get(uuid)
        if site is not None:
            return site
        if uuid == self.state.world.foreign_site["uuid"]:
            return forbidden()
        return not_found_model("Site")

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
        for mapping in (world.sites, world.site_team, world.groups, world.cards):
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
        state = self.state
        uuid = next((uuid for uuid, c in state.chargers.items() if c["identity"] == identity), None)
        if uuid is None:
            check.fail("identity", "The selected identity is invalid.")
        elif pincode != int(state.pincodes[uuid]):
            check.fail("pincode", "The pincode is incorrect.")
        if check.failed or uuid is None:
            return check.response()
        world = state.world
        previous = world.charger_site.get(uuid)
        if previous != site["uuid"]:
            if previous is not None:
                world.site_chargers[previous].remove(uuid)
            world.site_chargers[site["uuid"]].append(uuid)
            world.charger_site[uuid] = site["uuid"]
            world.charger_teams[uuid] = {world.site_team[site["uuid"]]}  # it moves to the site's team
        charger = state.chargers[uuid]
        return ok({"data": {name: charger.get(name) for name in _ATTACHED_FIELDS}})

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


class TeamRoutes(RouteGroup):
    """``/teams`` and the team listings (top-level paginator with ``filter_options``)."""

    def register(self, add: AddRoute) -> None:
        add("GET", "/teams", self.list_teams)
        add("GET", "/teams/{team}/chargers", self.team_chargers)
        add("GET", "/teams/{team}/sites", self.team_sites)
        add("GET", "/teams/{team}/transactions", self.team_transactions)

    def team(self, uuid: str) -> dict[str, Any] | web.Response:
        team = self.state.world.teams.get(uuid)
        if team is not None:
            return team
        if uuid == self.state.world.foreign_team["uuid"]:
            return forbidden()
        return not_found_model("Team")

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
