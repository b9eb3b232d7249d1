"""Teams, their access to sites, and the team charger list."""

from __future__ import annotations

from datetime import datetime

import attrs

from ._enums import ChargePointStatus, ConnectionStatus
from .chargers import ChargerLicenses, ChargerModel
from .sites import SiteSummary

__all__ = [
    "ChargerImportFailure",
    "ChargerImportResult",
    "Team",
    "TeamAccess",
    "TeamCharger",
    "TeamChargerConnector",
    "TeamChargerInternalModel",
]


@attrs.frozen(kw_only=True)
class TeamAccess:
    """What a team may do on a site (``GET /sites/{uuid}/teams``).

    ``data_access`` lets the team read session data until ``data_access_expires_at``
    (None = no expiry); ``can_access_all_assets`` covers every charger of the site.
    """

    is_owner: bool | None = None
    data_access: bool | None = None
    data_access_expires_at: datetime | None = None
    can_access_all_assets: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True)
class Team:
    """A team (``GET /teams``, ``POST /teams``, ``GET /sites/{uuid}/teams``).

    Site team lists leave out ``id`` and add ``access``; ``type`` is the team's kind
    (e.g. ``"Other"``). ``POST /teams`` answers in two published forms: with ``slug``, or
    (inside ``data``) with ``is_personal_team`` and ``type`` but no ``slug``; the fields a
    form lacks are None.
    """

    uuid: str
    id: int | None = None
    name: str | None = None
    slug: str | None = None
    type: str | None = None
    is_personal_team: bool | None = None
    email: str | None = None
    access: TeamAccess | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True)
class TeamChargerInternalModel:
    """Plugchoice's own catalogue entry for the charger's hardware (name and SKU)."""

    name: str | None = None
    sku: str | None = None


@attrs.frozen(kw_only=True)
class TeamChargerConnector:
    """A connector as the team charger list shows it: number and status only."""

    id: int
    connector_id: int
    status: ChargePointStatus | str | None = None


@attrs.frozen(kw_only=True)
class TeamCharger:
    """An item of ``GET /teams/{uuid}/chargers``: a short charger with its site.

    On the wire ``connectors`` is wrapped as ``{"data": [...]}``; here it is the tuple.
    """

    uuid: str
    identity: str
    connection_status: ConnectionStatus | str | None = None
    status: ChargePointStatus | str | None = None
    licenses: ChargerLicenses | None = None
    model: ChargerModel | None = None
    internal_model: TeamChargerInternalModel | None = None
    site: SiteSummary | None = None
    connectors: tuple[TeamChargerConnector, ...] = ()


@attrs.frozen(kw_only=True)
class ChargerImportFailure:
    """One CSV row the charger import did not create, and why (``error``, None when the answer has no reason)."""

    row: int
    identity: str | None = None
    error: str | None = None


@attrs.frozen(kw_only=True)
class ChargerImportResult:
    """The answer of ``POST /teams/{uuid}/chargers/import``: counts, and the rows that failed.

    ``created`` chargers joined the team; ``skipped`` rows named an identity that already
    exists; ``errors`` lists the rows that could not be imported (1-based ``row``). A count the
    answer leaves out is None (not 0: the SDK does not know it).
    """

    message: str | None = None
    created: int | None = None
    skipped: int | None = None
    errors: tuple[ChargerImportFailure, ...] = ()
