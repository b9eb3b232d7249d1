"""The account around the fleet: its teams, their sites (with groups and meters), and another owner's chargers.

Pure and deterministic like :mod:`._fleet`: built once at start from the seed and the fleet, cheaply (one pass
over the chargers), so a large fleet still starts fast.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from ._fleet import DAY, REFERENCE_EPOCH, format_timestamp, generate_chargers, random_uuid

__all__ = ["World", "address", "build_world", "new_site", "site_document", "team_site"]

_CITIES = (
    ("Amsterdam", "NL", "10"),
    ("Rotterdam", "NL", "30"),
    ("Utrecht", "NL", "35"),
    ("Eindhoven", "NL", "56"),
    ("Zwolle", "NL", "80"),
    ("Antwerpen", "BE", "20"),
    ("Gent", "BE", "90"),
    ("Düsseldorf", "DE", "40"),
    ("Köln", "DE", "50"),
)
_STREETS = ("Stationsplein", "Kerkstraat", "Industrieweg", "Havenstraat", "Marktplein", "Parkweg", "Energieweg")
_KINDS = ("Office", "Depot", "Garage", "Hub", "Campus", "Warehouse", "Showroom")
_SMART_MODES = ("disabled", "disabled", "day_ahead_pricing", "off_peak")
_ALL_PERMISSIONS = {"basic": True, "sensitive": True, "full": True}
_SITE_SHARE = 0.8  # chargers placed on a site; the rest belong to a team without one


@dataclass(slots=True)
class World:
    """Teams and sites of the account, which charger is where, and the chargers of another owner."""

    teams: dict[str, dict[str, Any]]  # uuid -> the GET /teams item
    sites: dict[str, dict[str, Any]]  # uuid -> site record (the document without chargers_count and permissions)
    site_team: dict[str, str]
    site_chargers: dict[str, list[str]]  # site uuid -> charger uuids, in the order they joined
    charger_site: dict[str, str]  # only chargers that are on a site
    charger_teams: dict[str, set[str]]  # the teams whose listings show the charger (none, one or several)
    groups: dict[str, list[dict[str, Any]]]  # site uuid -> its groups (GET /sites/{s}/groups items)
    meters: dict[int, dict[str, Any]]  # group id -> the meter document
    foreign_team: dict[str, Any]
    foreign_site: dict[str, Any]
    foreign_chargers: dict[str, dict[str, Any]]
    next_site_id: int = 1
    cards: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)  # site uuid -> card id -> card
    charger_group: dict[str, int] = field(default_factory=dict)  # charger uuid -> its group's id (none: unattached)
    smart_charging: dict[str, dict[str, Any]] = field(default_factory=dict)  # site uuid -> settings (on first use)
    next_group_id: int = 1

    def site_groups(self, site_uuid: str) -> dict[int, dict[str, Any]]:
        """The site's groups by id."""
        return {group["id"]: group for group in self.groups.get(site_uuid, [])}

    def teams_of(self, charger_uuid: str) -> list[str]:
        """The uuids of the charger's teams, in ``teams`` order."""
        member = self.charger_teams.get(charger_uuid, set())
        return [uuid for uuid in self.teams if uuid in member]


def site_document(site: dict[str, Any], chargers_count: int) -> dict[str, Any]:
    """The site as ``GET /sites`` and ``GET /sites/{s}`` show it."""
    return {
        **{name: site[name] for name in _SITE_FIELDS},
        "chargers_count": chargers_count,
        "capabilities": site["capabilities"],
        "created_at": site["created_at"],
        "updated_at": site["updated_at"],
        "permissions": _ALL_PERMISSIONS,
    }


def team_site(site: dict[str, Any], chargers_count: int) -> dict[str, Any]:
    """The site as ``GET /teams/{t}/sites`` shows it."""
    return {
        **{name: site[name] for name in _SITE_FIELDS if name != "id"},
        "chargers_count": chargers_count,
        "created_at": site["created_at"],
    }


_SITE_FIELDS = (
    "uuid",
    "id",
    "name",
    "address",
    "street",
    "postal_code",
    "house_number",
    "house_number_addition",
    "city",
    "country",
    "smart_charging",
)


def _postal_code(rng: random.Random, country: str, prefix: str) -> str:
    if country == "NL":
        letters = "ABCDEFGHJKLMNPRSTVWXZ"
        return f"{prefix}{rng.randrange(10, 99)} {rng.choice(letters)}{rng.choice(letters)}"
    return f"{prefix}{rng.randrange(100, 999)}"


def address(site: dict[str, Any]) -> str:
    """The one-line address the API shows beside the parts."""
    addition = site["house_number_addition"] or ""
    street = f"{site['street']} {site['house_number']}{addition}"
    return f"{street}, {site['postal_code']} {site['city']}, {site['country']}"


def new_site(rng: random.Random, site_id: int, name: str | None = None) -> dict[str, Any]:
    """A generated site record."""
    city, country, prefix = rng.choice(_CITIES)
    street = rng.choice(_STREETS)
    number = rng.randrange(1, 250)
    addition = rng.choice((None, None, None, "A", "B", "bis"))
    postal_code = _postal_code(rng, country, prefix)
    created = format_timestamp(REFERENCE_EPOCH - rng.randrange(60 * DAY, 900 * DAY))
    site = {
        "uuid": random_uuid(rng),
        "id": site_id,
        "name": name or f"{rng.choice(_KINDS)} {city}",
        "address": "",
        "street": street,
        "postal_code": postal_code,
        "house_number": number,
        "house_number_addition": addition,
        "city": city,
        "country": country,
        "smart_charging": rng.choice(_SMART_MODES),
        "capabilities": {
            "smart_charging": rng.random() < 0.6,
            "load_management": {"dynamic": True, "peak_shaving": rng.random() < 0.3, "solar": rng.random() < 0.2},
        },
        "created_at": created,
        "updated_at": created,
    }
    site["address"] = address(site)
    return site


def _team(rng: random.Random, team_id: int, name: str, personal: bool, email: str) -> dict[str, Any]:
    created = format_timestamp(REFERENCE_EPOCH - rng.randrange(400 * DAY, 1000 * DAY))
    return {
        "uuid": random_uuid(rng),
        "id": team_id,
        "is_personal_team": personal,
        "name": name,
        "type": "Other" if personal else "Company",
        "email": email,
        "created_at": created,
        "updated_at": created,
    }


def _groups(rng: random.Random, site: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[int, dict[str, Any]]]:
    """One group per site; sites with an even id have a meter on it."""
    group_id = site["id"]
    meter: dict[str, Any] | None = None
    if site["id"] % 2 == 0:
        amps = [rng.randrange(2, 40) for _ in range(3)]
        stamp = format_timestamp(REFERENCE_EPOCH - rng.randrange(5, 300))
        meter = {
            "uuid": random_uuid(rng),
            "id": group_id,
            "type": "p1_meter",
            "latest_data": {"l1": amps[0], "l2": amps[1], "l3": amps[2], "updated_at": stamp},
            "power": {"total": sum(amps) * 230, "l1": amps[0] * 230, "l2": amps[1] * 230, "l3": amps[2] * 230},
            "created_at": site["created_at"],
            "updated_at": stamp,
        }
    group = {
        "id": group_id,
        "site_id": site["id"],
        "group_id": None,  # the root
        "meter_id": None if meter is None else meter["id"],
        "total_amps": rng.choice((40, 63, 80, 125)),
        "net_type": rng.choice(("TN", "TT")),
        "method": "boost",
        "solar_additional_amps": 0,
        "solar_always_charge": False,
        "solar_always_charge_amps": 6,
        "smart_charging_charge_on_solar_export": False,
        "peak_shaving_enabled": False,
        "peak_shaving_threshold": None,
        "created_at": site["created_at"],
        "updated_at": site["updated_at"],
    }
    return [group], ({} if meter is None else {group_id: meter})


def _subgroup(parent: dict[str, Any], group_id: int) -> dict[str, Any]:
    """A subgroup of ``parent``: half its capacity, no meter (no random draw: the rest of the world stays the same)."""
    return {
        **parent,
        "id": group_id,
        "group_id": parent["id"],
        "meter_id": None,
        "total_amps": parent["total_amps"] // 2,
        "peak_shaving_enabled": False,
        "peak_shaving_threshold": None,
    }


def _subgroups_and_members(world: World) -> None:
    """Two subgroups under each site's root; the site's chargers in turn in the root, either subgroup, or none."""
    for site_uuid, groups in world.groups.items():
        root = groups[0]
        for _ in range(2):
            groups.append(_subgroup(root, world.next_group_id))
            world.next_group_id += 1
        for index, uuid in enumerate(world.site_chargers.get(site_uuid, ())):
            slot = index % (len(groups) + 1)
            if slot < len(groups):
                world.charger_group[uuid] = groups[slot]["id"]


def build_world(chargers: dict[str, dict[str, Any]], user: dict[str, Any], seed: int) -> World:
    """Two teams of the user (a company team owning most sites, and the personal team), about one site per 20
    chargers (at least two), 80% of the chargers on a site, and a third team of another owner with one site and
    two chargers the user may not see. Each charger starts in one team: its site's, or either team when on none."""
    rng = random.Random(f"plugchoice-world:{seed}")
    first, _, last = str(user["name"]).partition(" ")
    last = last or first
    company = _team(rng, 1, f"{last} Energy B.V.", False, f"facilities@{last.replace(' ', '').lower()}.example")
    personal = _team(rng, 2, f"{first}'s Team", True, user["email"])
    teams = {company["uuid"]: company, personal["uuid"]: personal}

    site_count = min(max(2, len(chargers) // 20), 1000)
    sites: dict[str, dict[str, Any]] = {}
    site_team: dict[str, str] = {}
    groups: dict[str, list[dict[str, Any]]] = {}
    meters: dict[int, dict[str, Any]] = {}
    for number in range(site_count):
        site = new_site(rng, number + 1)
        sites[site["uuid"]] = site
        site_team[site["uuid"]] = personal["uuid"] if number % 3 == 2 else company["uuid"]
        groups[site["uuid"]], found = _groups(rng, site)
        meters.update(found)

    site_uuids = list(sites)
    site_chargers: dict[str, list[str]] = {uuid: [] for uuid in site_uuids}
    charger_site: dict[str, str] = {}
    charger_teams: dict[str, set[str]] = {}
    teamless = (company["uuid"], personal["uuid"])
    random_ = rng.random
    for uuid in chargers:
        if random_() < _SITE_SHARE:
            site_uuid = site_uuids[int(random_() * site_count)]
            site_chargers[site_uuid].append(uuid)
            charger_site[uuid] = site_uuid
            charger_teams[uuid] = {site_team[site_uuid]}
        else:
            charger_teams[uuid] = {teamless[random_() < 0.5]}

    foreign_team = _team(rng, 3, "Other Owner B.V.", False, "fleet@other-owner.example")
    foreign_site = new_site(rng, site_count + 1, "Other Owner Depot")
    foreign_chargers = generate_chargers(
        2,
        f"plugchoice-foreign:{seed}",
        first_id=len(chargers) + 1,
        first_connector_id=2 * len(chargers) + 1,
    )
    world = World(
        teams=teams,
        sites=sites,
        site_team=site_team,
        site_chargers=site_chargers,
        charger_site=charger_site,
        charger_teams=charger_teams,
        groups=groups,
        meters=meters,
        foreign_team=foreign_team,
        foreign_site=foreign_site,
        foreign_chargers=foreign_chargers,
        next_site_id=site_count + 2,
        next_group_id=site_count + 2,  # the root groups have their site's id; the foreign site has none
    )
    _subgroups_and_members(world)
    return world
