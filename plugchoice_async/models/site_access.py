"""Site team access and invitations: who may use a site, invites, joining with charger credentials.

The teams with access to a site are ``Team`` items (``models.teams``) with their ``TeamAccess``.
Invite tokens (``invite_token``, ``SiteInvite.token`` and the links that carry them) are
credentials: they never appear in a repr.
"""

from __future__ import annotations

from datetime import datetime

import attrs

__all__ = [
    "SiteAccessMessage",
    "SiteAsset",
    "SiteInvite",
    "SiteInviteAccepted",
    "SiteInviteLinks",
    "SiteInviteResult",
    "SiteJoinResult",
]


@attrs.frozen(kw_only=True)
class SiteAsset:
    """One asset a team may use on a site when it cannot use them all (``accessible_assets``).

    ``asset_type`` names the kind of asset (for example ``"charger"``) and ``asset_id`` its id.
    Pass these to ``client.sites.access.invite`` and ``set_asset_access``.
    """

    asset_type: str | None = None
    asset_id: int | None = None


@attrs.frozen(kw_only=True)
class SiteInvite:
    """An invitation of a team (by e-mail address) to a site.

    ``token`` (only some API versions put it here) is the secret the invitee accepts with:
    hidden from the repr. ``expires_at`` is when the invite lapses; the other fields repeat
    what the invite grants.
    """

    id: int
    site_id: int | None = None
    email: str | None = None
    token: str | None = attrs.field(default=None, repr=False)
    expires_at: datetime | None = None
    transfer_ownership: bool | None = None
    data_access: bool | None = None
    data_access_expires_at: datetime | None = None
    can_access_all_assets: bool | None = None
    accessible_assets: tuple[SiteAsset, ...] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True)
class SiteInviteLinks:
    """Where the invitee accepts: a web page and an app deep link (both carry the token: hidden from the repr)."""

    web: str | None = attrs.field(default=None, repr=False)
    deep_link: str | None = attrs.field(default=None, repr=False)


@attrs.frozen(kw_only=True)
class SiteInviteResult:
    """The answer of ``POST /sites/{uuid}/teams/invite``.

    ``invite_token`` is what ``client.sites.access.accept(token)`` takes; send it (or one of
    ``invite_links``) to the invitee. It is hidden from the repr. ``invite`` (the invitation as
    stored) is None when the answer leaves it out.
    """

    message: str | None = None
    invite: SiteInvite | None = None
    invite_token: str | None = attrs.field(default=None, repr=False)
    invite_links: SiteInviteLinks | None = None


@attrs.frozen(kw_only=True)
class SiteInviteAccepted:
    """The answer of ``POST /sites/invite/accept``: the site joined, by which team, with what rights.

    An answer, not a thing with an identity of its own: every field is None when left out.
    """

    message: str | None = None
    site_id: int | None = None
    team_uuid: str | None = None
    is_owner: bool | None = None
    data_access: bool | None = None


@attrs.frozen(kw_only=True)
class SiteJoinResult:
    """The answer of ``POST /sites/join``: the site a team joined with a charger's identity and pincode.

    An answer, not a thing with an identity of its own: ``site_uuid`` (the site's key, a foreign
    key here) is None like every other field when left out.
    """

    message: str | None = None
    site_id: int | None = None
    site_uuid: str | None = None
    site_name: str | None = None
    team_uuid: str | None = None


@attrs.frozen(kw_only=True)
class SiteAccessMessage:
    """The ``{"message": ...}`` answer of the site team access changes (ownership, sensitive data, assets)."""

    message: str | None = None
