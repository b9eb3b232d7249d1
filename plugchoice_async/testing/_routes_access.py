"""Routes of site team access: the teams on a site, invitations, joining with charger credentials, and what
each team may see (ownership, sensitive data, assets).

Access lives in ``State.site_access`` (site uuid -> team uuid -> access record), created on first use with the
site's own team as owner, and invitations in ``State.site_invites`` (token -> invite). A team of the account can
be given access to any site of the account (the user is a member of every team in ``World.teams``).
"""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from ._fleet import format_timestamp
from ._web import AddRoute, RouteGroup, Validator, message_response, ok, read_input

__all__ = ["AccessRoutes"]

_INVITE_DAYS = 7
_NO_ACCESS = "This team does not have access to this location."
_ASSET_ACCESS = ("full_access", "limited_access")


class AccessRoutes(RouteGroup):
    """``/sites/{s}/teams...``, ``/sites/invite/accept`` and ``/sites/join``."""

    def register(self, add: AddRoute) -> None:
        add("GET", "/sites/{site}/teams", self.list_teams)
        add("POST", "/sites/{site}/teams/invite", self.invite)
        add("GET", "/sites/{site}/teams/{team}", self.get_team)
        add("POST", "/sites/{site}/teams/{team}/transfer-ownership", self.transfer_ownership)
        add("POST", "/sites/{site}/teams/{team}/grant-sensitive-data", self.grant_sensitive_data)
        add("POST", "/sites/{site}/teams/{team}/request-sensitive-data", self.request_sensitive_data)
        add("PUT", "/sites/{site}/teams/{team}/asset-access", self.asset_access)
        add("POST", "/sites/invite/accept", self.accept)
        add("POST", "/sites/join", self.join)

    # -- state -----------------------------------------------------------------------------------

    def _access(self, site_uuid: str) -> dict[str, dict[str, Any]]:
        """The site's team -> access record; the owning team first, created on first use."""
        records = self.state.site_access.get(site_uuid)
        if records is None:
            owner = self.state.world.site_team[site_uuid]
            records = self.state.site_access[site_uuid] = {owner: self._record(is_owner=True, data_access=True)}
        return records

    def _record(self, *, is_owner: bool = False, data_access: bool = False, **more: Any) -> dict[str, Any]:
        stamp = self.state.stamp()
        record: dict[str, Any] = {
            "is_owner": is_owner,
            "data_access": data_access,
            "data_access_expires_at": None,
            "can_access_all_assets": True,
            "accessible_assets": [],
            "created_at": stamp,
            "updated_at": stamp,
        }
        record.update(more)
        return record

    def _team_document(self, team_uuid: str, record: dict[str, Any]) -> dict[str, Any]:
        world = self.state.world
        team = world.teams.get(team_uuid) or world.foreign_team
        access = {name: value for name, value in record.items() if name != "accessible_assets"}
        return {
            "uuid": team["uuid"],
            "name": team["name"],
            "type": team["type"],
            "email": team["email"],
            "access": access,
            "created_at": team["created_at"],
            "updated_at": team["updated_at"],
        }

    def _site_and_access(self, request: web.Request) -> tuple[dict[str, Any], dict[str, Any]] | web.Response:
        """The site and the access record of ``{team}`` on it, or the 403/404 answer."""
        site = self.site(request.match_info["site"])
        if isinstance(site, web.Response):
            return site
        record = self._access(site["uuid"]).get(request.match_info["team"])
        if record is None:
            return message_response(404, _NO_ACCESS)
        return site, record

    def _future(self, check: Validator, field: str, *, required: bool = False) -> str | None:
        """``date|after:now``: the value as sent, or None."""
        moment = check.date(field, required=required, nullable=not required)
        if moment is None:
            return None
        if moment.timestamp() <= self.state.now():
            check.fail(field, f"The {field.replace('_', ' ')} field must be a date after now.")
            return None
        return format_timestamp(moment.timestamp())

    @staticmethod
    def _assets(check: Validator, field: str, required: bool) -> list[dict[str, Any]] | None:
        """``accessible_assets``: an array of ``{asset_type, asset_id}`` (nullable unless required)."""
        if not required and not check.filled(field):
            return None
        items = check.items(field, required=required, min=1 if required else 0)
        if items is None:
            return None
        assets = []
        for index, _ in enumerate(items):
            asset_type = check.string(f"{field}.{index}.asset_type", required=True, max=255)
            asset_id = check.integer(f"{field}.{index}.asset_id", required=True, min=1)
            assets.append({"asset_type": asset_type, "asset_id": asset_id})
        return assets

    # -- the teams on a site ---------------------------------------------------------------------

    async def list_teams(self, request: web.Request) -> web.Response:
        site = self.site(request.match_info["site"])
        if isinstance(site, web.Response):
            return site
        records = self._access(site["uuid"])
        return ok({"data": [self._team_document(team, record) for team, record in records.items()]})

    async def get_team(self, request: web.Request) -> web.Response:
        found = self._site_and_access(request)
        if isinstance(found, web.Response):
            return found
        return ok({"data": self._team_document(request.match_info["team"], found[1])})

    # -- invitations and joining -----------------------------------------------------------------

    async def invite(self, request: web.Request) -> web.Response:
        site = self.site(request.match_info["site"])
        if isinstance(site, web.Response):
            return site
        check = Validator(await read_input(request))
        email = check.string("email", required=True, max=255)
        if email is not None and "@" not in email:
            check.fail("email", "The email field must be a valid email address.")
        transfer = check.boolean("transfer_ownership", nullable=True)
        data_access = check.boolean("data_access", nullable=True)
        expires = self._future(check, "data_access_expires_at")
        all_assets = check.boolean("can_access_all_assets", nullable=True)
        assets = self._assets(check, "accessible_assets", required=all_assets is False)
        if check.failed:
            return check.response()
        state = self.state
        rng = random.Random(f"plugchoice-invite:{state.seed}:{len(state.site_invites)}")
        token = "".join(rng.choices(string.ascii_lowercase, k=64))
        stamp = state.stamp()
        expires_at = datetime.fromtimestamp(state.now(), UTC) + timedelta(days=_INVITE_DAYS)
        invite = {
            "id": len(state.site_invites) + 1,
            "site_id": site["id"],
            "email": email,
            "expires_at": format_timestamp(expires_at.timestamp()),
            "transfer_ownership": bool(transfer),
            "data_access": bool(data_access),
            "data_access_expires_at": expires,
            "can_access_all_assets": all_assets is not False,
            "accessible_assets": assets or [],
            "created_at": stamp,
            "updated_at": stamp,
        }
        entry = {"site_uuid": site["uuid"], "expires": expires_at.timestamp(), "invite": invite, "used": False}
        state.site_invites[token] = entry
        links = {
            "web": f"https://app.plugchoice.com/site/invite/accept?site_id={site['id']}&token={token}",
            "deep_link": f"plugchoice://invite/{token}",
        }
        answer = {"message": "Invite created successfully", "invite": invite, "invite_token": token}
        return ok({**answer, "invite_links": links}, 201)

    async def accept(self, request: web.Request) -> web.Response:
        check = Validator(await read_input(request))
        token = check.string("token", required=True, size=64)
        team_uuid = check.uuid("team_uuid", nullable=True)
        world = self.state.world
        if team_uuid is not None and team_uuid not in world.teams:
            check.fail("team_uuid", "The selected team uuid is invalid.")
        if check.failed or token is None:
            return check.response()
        entry = self.state.site_invites.get(token)
        if (
            entry is None
            or entry["used"]
            or entry["expires"] <= self.state.now()
            or entry["site_uuid"] not in world.sites
        ):
            return message_response(404, "This invite is invalid or has expired.")
        entry["used"] = True  # kept, so that its token is never drawn again
        invite = entry["invite"]
        team = team_uuid or next(iter(world.teams))
        records = self._access(entry["site_uuid"])
        if invite["transfer_ownership"]:
            for record in records.values():
                record["is_owner"] = False
        records[team] = self._record(
            is_owner=invite["transfer_ownership"],
            data_access=invite["data_access"],
            data_access_expires_at=invite["data_access_expires_at"],
            can_access_all_assets=invite["can_access_all_assets"],
            accessible_assets=invite["accessible_assets"],
        )
        return ok(
            {
                "message": "Invite accepted successfully",
                "site_id": invite["site_id"],
                "team_uuid": team,
                "is_owner": invite["transfer_ownership"],
                "data_access": invite["data_access"],
            }
        )

    async def join(self, request: web.Request) -> web.Response:
        check = Validator(await read_input(request))
        identity = check.string("identity", required=True, max=255)
        pincode = check.number("pincode", required=True)
        team_uuid = check.uuid("team_uuid", required=True)
        state = self.state
        if team_uuid is not None and team_uuid not in state.world.teams:
            check.fail("team_uuid", "The selected team uuid is invalid.")
        if check.failed or identity is None or pincode is None or team_uuid is None:
            return check.response()
        uuid = self.paired_charger(check, identity, pincode, on_site=True)
        site = None if uuid is None else state.site_of(uuid)
        if check.failed or site is None:
            return check.response()
        records = self._access(site["uuid"])
        records.setdefault(team_uuid, self._record())
        return ok(
            {
                "message": "Successfully joined location",
                "site_id": site["id"],
                "site_uuid": site["uuid"],
                "site_name": site["name"],
                "team_uuid": team_uuid,
            }
        )

    # -- what a team may see ---------------------------------------------------------------------

    async def transfer_ownership(self, request: web.Request) -> web.Response:
        found = self._site_and_access(request)
        if isinstance(found, web.Response):
            return found
        site, record = found
        for other in self._access(site["uuid"]).values():
            other["is_owner"] = False
        record.update(is_owner=True, data_access=True, data_access_expires_at=None, updated_at=self.state.stamp())
        self.state.world.site_team[site["uuid"]] = request.match_info["team"]
        return ok({"message": "Ownership transferred successfully"})

    async def grant_sensitive_data(self, request: web.Request) -> web.Response:
        found = self._site_and_access(request)
        if isinstance(found, web.Response):
            return found
        check = Validator(await read_input(request))
        never = check.boolean("expires_never", required=True)
        expires = self._future(check, "data_access_expires_at", required=never is False)
        if check.failed:
            return check.response()
        found[1].update(
            data_access=True, data_access_expires_at=None if never else expires, updated_at=self.state.stamp()
        )
        return ok({"message": "Sensitive data access granted successfully"})

    async def request_sensitive_data(self, request: web.Request) -> web.Response:
        found = self._site_and_access(request)
        if isinstance(found, web.Response):
            return found
        check = Validator(await read_input(request))
        reason = check.string("reason", required=True, max=255)
        never = check.boolean("requested_expires_never", nullable=True)
        expires = self._future(check, "requested_data_expires_at", required=not never)
        if check.failed:
            return check.response()
        self.state.sensitive_data_requests.append(
            {
                "site_uuid": found[0]["uuid"],
                "team_uuid": request.match_info["team"],
                "reason": reason,
                "expires_never": bool(never),
                "expires_at": expires,
            }
        )
        return ok({"message": "Sensitive data access request sent successfully"})

    async def asset_access(self, request: web.Request) -> web.Response:
        found = self._site_and_access(request)
        if isinstance(found, web.Response):
            return found
        check = Validator(await read_input(request))
        access = check.one_of("access_of_assets", _ASSET_ACCESS, required=True)
        assets = self._assets(check, "accessible_assets", required=access == "limited_access")
        if check.failed:
            return check.response()
        limited = access == "limited_access"
        found[1].update(
            can_access_all_assets=not limited,
            accessible_assets=assets if limited else [],
            updated_at=self.state.stamp(),
        )
        return ok({"message": "Asset access modified successfully"})
