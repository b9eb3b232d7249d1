"""Which teams may use a site, and how they get there (``client.sites.access``).

A site's owner invites another team by e-mail (``invite``; the invitee ``accept``\\ s the
token), or a team joins with the identity and pincode of a charger on the site (``join``).
The owner then decides what each team sees: ownership, sensitive (session) data, assets.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any, Final, Literal

from .._pagination import AsyncPager, Page, parse_page
from ..exceptions import InvalidRequestError
from ..models import (
    SiteAccessMessage,
    SiteAsset,
    SiteInviteAccepted,
    SiteInviteResult,
    SiteJoinResult,
    Team,
)
from . import _validate as check
from ._base import Resource
from ._ids import uuid_segment
from ._params import iso_datetime

__all__ = ["AssetAccess", "SiteAccess"]

#: ``access`` of ``set_asset_access``: every asset of the site, or only the ones listed.
AssetAccess = Literal["full_access", "limited_access"]

_ASSET_ACCESS: Final = ("full_access", "limited_access")
_INVITE_TOKEN_LENGTH: Final = 64


def _future(name: str, value: object) -> str:
    """A ``date`` after today or a ``datetime`` after now (naive = UTC), as the API wants it."""
    moment = check.moment(name, value)
    now = datetime.now(UTC)
    if isinstance(moment, datetime):
        aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        future = aware > now
    else:
        future = moment > now.date()
    if not future:
        raise InvalidRequestError(f"{name} must be in the future, got {moment.isoformat()}")
    return iso_datetime(moment)


def _assets(name: str, assets: Iterable[SiteAsset | Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``accessible_assets``: at least one, each with an ``asset_type`` and an ``asset_id``."""
    if isinstance(assets, str | bytes | Mapping | SiteAsset) or not isinstance(assets, Iterable):
        raise InvalidRequestError(f"{name} must be a list of SiteAsset, got {assets!r}")
    body = []
    for index, asset in enumerate(assets):
        if isinstance(asset, SiteAsset):
            asset_type, asset_id = asset.asset_type, asset.asset_id
        elif isinstance(asset, Mapping):
            asset_type, asset_id = asset.get("asset_type"), asset.get("asset_id")
        else:
            raise InvalidRequestError(f"{name}[{index}] must be a SiteAsset, got {asset!r}")
        body.append(
            {
                "asset_type": check.text(f"{name}[{index}].asset_type", asset_type, max_length=255),
                "asset_id": check.integer(f"{name}[{index}].asset_id", asset_id, minimum=1),
            }
        )
    return check.non_empty(name, body, what="asset")


def _team_page(body: Any, item_type: type[Team], *, method: str, path: str) -> Page[Team]:
    """The site's teams: ``{"data": [...]}`` (as one API version shows it) or a bare array (the other's)."""
    return parse_page({"data": body} if isinstance(body, list) else body, item_type, method=method, path=path)


def _invite_token(token: object) -> str:
    """The 64-character invite token; the message never repeats it (it is a credential)."""
    if not isinstance(token, str):
        raise InvalidRequestError(f"token must be the invite token (a string), got a {type(token).__name__}")
    if len(token) != _INVITE_TOKEN_LENGTH:
        raise InvalidRequestError(f"token must be {_INVITE_TOKEN_LENGTH} characters, got {len(token)}")
    return token


class SiteAccess(Resource):
    """Team access to sites: who has it, invitations, joining, ownership, sensitive data, assets.

    ``site`` and ``team`` arguments are UUIDs (``str`` or ``uuid.UUID``); anything else raises
    ``InvalidRequestError`` before a request is sent. A site of another owner answers 403
    (``PermissionDeniedError``); a team without access to the site answers 404 (``NotFoundError``).
    """

    def list(self, site: str | uuid.UUID) -> AsyncPager[Team]:
        """``GET /sites/{uuid}/teams``: the teams with access to the site, each with its ``access``.

        ``await`` it for the first page (the API answers one ``{"data": [...]}``, or a bare array), or
        ``async for`` it.
        """
        return AsyncPager(self._transport, f"/sites/{uuid_segment(site, 'site')}/teams", Team, parse=_team_page)

    async def get(self, site: str | uuid.UUID, team: str | uuid.UUID) -> Team:
        """``GET /sites/{uuid}/teams/{team}``: one team's access; ``NotFoundError`` when it has none."""
        path = f"/sites/{uuid_segment(site, 'site')}/teams/{uuid_segment(team, 'team')}"
        return await self._get(path, Team)

    async def invite(
        self,
        site: str | uuid.UUID,
        *,
        email: str,
        transfer_ownership: bool | None = None,
        data_access: bool | None = None,
        data_access_expires_at: datetime | date | None = None,
        can_access_all_assets: bool | None = None,
        accessible_assets: Iterable[SiteAsset | Mapping[str, Any]] | None = None,
    ) -> SiteInviteResult:
        """``POST /sites/{uuid}/teams/invite``: invite a team, by e-mail address, to the site.

        ``transfer_ownership`` makes the invitee the owner once it accepts; ``data_access``
        shares sensitive (session) data, until ``data_access_expires_at`` (a future date or
        datetime) when given. ``can_access_all_assets=False`` needs ``accessible_assets``
        (``SiteAsset(asset_type="charger", asset_id=12)``, ...). Arguments left at None are not
        sent. The answer's ``invite_token`` (hidden from reprs) is what the invitee accepts with.
        Invitations are limited to 5 a minute (``RateLimitError``).
        """
        segment = uuid_segment(site, "site")
        body: dict[str, Any] = {"email": check.email("email", email)}
        for name, flag in (
            ("transfer_ownership", transfer_ownership),
            ("data_access", data_access),
            ("can_access_all_assets", can_access_all_assets),
        ):
            if flag is not None:
                body[name] = check.boolean(name, flag)
        if data_access_expires_at is not None:
            body["data_access_expires_at"] = _future("data_access_expires_at", data_access_expires_at)
        if accessible_assets is not None:
            if can_access_all_assets:
                raise InvalidRequestError("accessible_assets is only for can_access_all_assets=False")
            body["accessible_assets"] = _assets("accessible_assets", accessible_assets)
        elif can_access_all_assets is False:
            raise InvalidRequestError("can_access_all_assets=False needs accessible_assets")
        return await self._send("POST", f"/sites/{segment}/teams/invite", SiteInviteResult, json=body)

    async def accept(self, token: str, *, team: str | uuid.UUID | None = None) -> SiteInviteAccepted:
        """``POST /sites/invite/accept``: accept an invitation with its 64-character token.

        ``team`` is the team that gains access (the user must be a member); without it the
        server picks the user's first team (or creates a personal one). The token is never
        shown in an error.
        """
        body: dict[str, Any] = {"token": _invite_token(token)}
        if team is not None:
            body["team_uuid"] = uuid_segment(team, "team")
        return await self._send("POST", "/sites/invite/accept", SiteInviteAccepted, json=body)

    async def join(self, *, identity: str, pincode: str | int, team: str | uuid.UUID) -> SiteJoinResult:
        """``POST /sites/join``: give ``team`` access to the site of a charger, proven by its pincode.

        ``identity`` is the charger's OCPP identity and ``pincode`` the code on its label (digits);
        the user must be a member of ``team``. A wrong identity or pincode answers 422.
        """
        body = {
            "identity": check.text("identity", identity, max_length=255),
            "pincode": check.pincode("pincode", pincode),
            "team_uuid": uuid_segment(team, "team"),
        }
        return await self._send("POST", "/sites/join", SiteJoinResult, json=body)

    async def transfer_ownership(self, site: str | uuid.UUID, team: str | uuid.UUID) -> SiteAccessMessage:
        """``POST /sites/{uuid}/teams/{team}/transfer-ownership``: make ``team`` (which has access) the owner."""
        path = f"/sites/{uuid_segment(site, 'site')}/teams/{uuid_segment(team, 'team')}/transfer-ownership"
        return await self._send("POST", path, SiteAccessMessage)

    async def grant_sensitive_data(
        self,
        site: str | uuid.UUID,
        team: str | uuid.UUID,
        *,
        expires_never: bool,
        expires_at: datetime | date | None = None,
    ) -> SiteAccessMessage:
        """``POST /sites/{uuid}/teams/{team}/grant-sensitive-data``: share session data with ``team``.

        ``expires_never=False`` needs ``expires_at`` (a future date or datetime).
        """
        path = f"/sites/{uuid_segment(site, 'site')}/teams/{uuid_segment(team, 'team')}/grant-sensitive-data"
        body: dict[str, Any] = {"expires_never": check.boolean("expires_never", expires_never)}
        if expires_at is not None:
            body["data_access_expires_at"] = _future("expires_at", expires_at)
        elif not expires_never:
            raise InvalidRequestError("expires_never=False needs expires_at")
        return await self._send("POST", path, SiteAccessMessage, json=body)

    async def request_sensitive_data(
        self,
        site: str | uuid.UUID,
        team: str | uuid.UUID,
        *,
        reason: str,
        expires_never: bool | None = None,
        expires_at: datetime | date | None = None,
    ) -> SiteAccessMessage:
        """``POST /sites/{uuid}/teams/{team}/request-sensitive-data``: ask the owner to share session data.

        ``reason`` (at most 255 characters) is shown to the owner, who is notified. Give
        ``expires_at`` (a future date or datetime) or ``expires_never=True``.
        """
        path = f"/sites/{uuid_segment(site, 'site')}/teams/{uuid_segment(team, 'team')}/request-sensitive-data"
        body: dict[str, Any] = {"reason": check.text("reason", reason, max_length=255)}
        if expires_never is not None:
            body["requested_expires_never"] = check.boolean("expires_never", expires_never)
        if expires_at is not None:
            body["requested_data_expires_at"] = _future("expires_at", expires_at)
        elif not expires_never:
            raise InvalidRequestError("request_sensitive_data needs expires_at, or expires_never=True")
        return await self._send("POST", path, SiteAccessMessage, json=body)

    async def set_asset_access(
        self,
        site: str | uuid.UUID,
        team: str | uuid.UUID,
        *,
        access: AssetAccess,
        assets: Iterable[SiteAsset | Mapping[str, Any]] | None = None,
    ) -> SiteAccessMessage:
        """``PUT /sites/{uuid}/teams/{team}/asset-access``: every asset, or only ``assets``.

        ``access="limited_access"`` needs ``assets``; ``"full_access"`` takes none.
        """
        path = f"/sites/{uuid_segment(site, 'site')}/teams/{uuid_segment(team, 'team')}/asset-access"
        body: dict[str, Any] = {"access_of_assets": check.choice("access", access, _ASSET_ACCESS)}
        if body["access_of_assets"] == "limited_access":
            if assets is None:
                raise InvalidRequestError("access='limited_access' needs assets")
            body["accessible_assets"] = _assets("assets", assets)
        elif assets is not None:
            raise InvalidRequestError("assets is only for access='limited_access'")
        return await self._send("PUT", path, SiteAccessMessage, json=body)
