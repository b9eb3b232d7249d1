"""Teams and what they own (``client.teams``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from typing import Final

from .._converter import structure_response
from .._pagination import AsyncPager
from ..models import (
    ChargePointStatus,
    ConnectionStatus,
    Site,
    SmartChargingMode,
    Team,
    TeamCharger,
    TeamTransaction,
)
from ..models.teams import ChargerImportResult
from . import _validate as check
from ._base import Resource
from ._ids import uuid_segment
from ._params import query
from ._upload import csv_upload
from ._validate import TransactionStatusArg

__all__ = ["Teams"]

#: The sorts ``GET /teams/{uuid}/transactions`` documents (``-`` prefix: descending).
TRANSACTION_SORTS: Final = frozenset({"started_at", "stopped_at", "total_kwh", "meter_start", "meter_stop"})


class Teams(Resource):
    """Teams of the user, and the chargers, sites and sessions a team owns.

    Team lists use Laravel's top-level paginator (``next_page_url`` beside ``data``); the
    pagers follow it. A team of another owner answers 403 (``PermissionDeniedError``).
    """

    def list(self) -> AsyncPager[Team]:
        """``GET /teams``: the user's teams.

        The API answers ``{"data": [...]}``; should it paginate, the pager follows the pages.
        ``async for team in client.teams.list()`` or ``(await client.teams.list()).items``.
        """
        return AsyncPager(self._transport, "/teams", Team)

    def chargers(
        self,
        team: str | uuid.UUID,
        *,
        connection_status: ConnectionStatus | str | Iterable[ConnectionStatus | str] | None = None,
        status: ChargePointStatus | str | Iterable[ChargePointStatus | str] | None = None,
        connector_status: ChargePointStatus | str | Iterable[ChargePointStatus | str] | None = None,
        vendor: str | Iterable[str] | None = None,
        license: str | Iterable[str] | None = None,
        site: str | uuid.UUID | None = None,
        search: str | None = None,
        sort: str | None = None,
        per_page: int | None = None,
    ) -> AsyncPager[TeamCharger]:
        """``GET /teams/{uuid}/chargers``: the team's chargers (short form, with their site), paginated.

        Filters (sent as ``filter[...]``; a list matches any of its values): ``connection_status``
        (online/offline/never_seen), ``status`` (the charger's OCPP status), ``connector_status``
        (any connector in that status), ``vendor``, ``license`` (basic/smart/pro) and ``site`` (a
        site UUID, sent as ``filter[site_uuid]``). ``search`` keeps the chargers whose identity
        contains the text (sent as ``search``: the documented identity filter, whose parameter
        name is unverified). ``sort`` is a field name, ``-`` prefixed to descend; the API does not
        document which fields it sorts by, so the server judges it (400 ``BadRequestError`` for one
        it refuses).
        """
        path = f"/teams/{uuid_segment(team, 'team')}/chargers"
        filters = {
            "connection_status": check.any_of("connection_status", connection_status),
            "status": check.any_of("status", status),
            "connector_status": check.any_of("connector_status", connector_status),
            "vendor": check.any_of("vendor", vendor),
            "license": check.any_of("license", license),
            "site_uuid": None if site is None else uuid_segment(site, "site"),
        }
        params = query(
            filters=filters,
            sort=sort,
            search=None if search is None else check.text("search", search),
            per_page=check.page_size("per_page", per_page),
        )
        return AsyncPager(self._transport, path, TeamCharger, params=params)

    def sites(
        self,
        team: str | uuid.UUID,
        *,
        country: str | Iterable[str] | None = None,
        smart_charging: SmartChargingMode | str | Iterable[SmartChargingMode | str] | None = None,
        sort: str | None = None,
        per_page: int | None = None,
    ) -> AsyncPager[Site]:
        """``GET /teams/{uuid}/sites``: the team's sites, paginated.

        Items are ``Site`` without ``id``, ``capabilities`` and ``permissions``. ``country`` and
        ``smart_charging`` filter (the answer's ``filter_options`` lists their values); ``sort``
        is passed to the server as is.
        """
        path = f"/teams/{uuid_segment(team, 'team')}/sites"
        filters = {
            "country": check.any_of("country", country),
            "smart_charging": check.any_of("smart_charging", smart_charging),
        }
        params = query(filters=filters, sort=sort, per_page=check.page_size("per_page", per_page))
        return AsyncPager(self._transport, path, Site, params=params)

    def transactions(
        self,
        team: str | uuid.UUID,
        *,
        status: TransactionStatusArg | None = None,
        sort: str | None = None,
        per_page: int | None = None,
    ) -> AsyncPager[TeamTransaction]:
        """``GET /teams/{uuid}/transactions``: sessions on the team's chargers, paginated.

        ``status`` is ``"active"`` or ``"finished"``. ``sort`` is one of ``started_at``,
        ``stopped_at``, ``total_kwh``, ``meter_start``, ``meter_stop``, prefixed with ``-`` to
        descend; the server's default is ``-started_at`` (newest first). Anything else raises
        ``InvalidRequestError`` before sending.
        """
        path = f"/teams/{uuid_segment(team, 'team')}/transactions"
        params = query(
            filters={"status": check.transaction_status(status)},
            sort=sort,
            allowed_sorts=TRANSACTION_SORTS,
            per_page=check.page_size("per_page", per_page),
        )
        return AsyncPager(self._transport, path, TeamTransaction, params=params)

    # -- creating ---------------------------------------------------------------------------------

    async def create(self, *, name: str, email: str, type: str | None = None) -> Team:
        """``POST /teams``: create a team of which the user is the owner; returns it.

        ``name`` and ``email`` (the team's contact address) are required, at most 255 characters
        each. ``type`` is the team's kind, e.g. ``"Company"``, ``"Installer"``, ``"Other"`` (the
        older docs list Personal, HOA, Retailer, Installer, Wholesaler, Company, OEM, Other; the
        current ones do not document it, so it is sent only when given and not checked against a
        list). Arguments are checked before sending (``InvalidRequestError``); the server's own
        refusals raise ``UnprocessableEntityError`` with its field errors.
        """
        body: dict[str, str] = {
            "name": check.text("name", name, max_length=255),
            "email": check.email("email", email),
        }
        if type is not None:
            body["type"] = check.text("type", type, max_length=255)
        return await self._send("POST", "/teams", Team, json=body)

    async def import_chargers(
        self,
        team: str | uuid.UUID,
        file: bytes | os.PathLike[str],
        *,
        filename: str | None = None,
    ) -> ChargerImportResult:
        """``POST /teams/{uuid}/chargers/import``: add chargers to the team from a CSV file.

        ``file`` is a path (``pathlib.Path``) of a regular file that is read, or the file's content
        as ``bytes``: one charger identity per row; a header row is detected by the server. A ``str``
        is refused (``text.encode()`` for content, ``pathlib.Path(text)`` for a path). ``filename``
        is the name sent (by default the path's name, or ``import.csv``) and must end in ``.csv`` or
        ``.txt``. The file may be at most 1 MB (1,048,576 bytes). A ``str``, a wrong extension, an
        over-size or empty file, or a path that is not a readable regular file raises
        ``InvalidRequestError`` before anything is sent.

        Returns the counts: ``created`` chargers, ``skipped`` identities that already exist, and
        ``errors`` (rows that could not be imported, with the reason). The upload is sent once and
        never retried after it may have reached the server.
        """
        path = f"/teams/{uuid_segment(team, 'team')}/chargers/import"
        upload = csv_upload(file, filename=filename)
        answer = await self._transport.request("POST", path, upload=upload)
        return structure_response(answer, ChargerImportResult, method="POST", path=path)
