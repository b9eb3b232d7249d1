"""Teams and what they own (``client.teams``)."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from typing import Final

from .._pagination import AsyncPager
from ..exceptions import InvalidRequestError
from ..models import (
    ChargePointStatus,
    ConnectionStatus,
    Site,
    SmartChargingMode,
    Team,
    TeamCharger,
    TeamTransaction,
)
from ._base import Resource
from ._ids import uuid_segment
from ._params import query
from .sites import StatusArg, transaction_status

__all__ = ["Teams"]

#: The sorts ``GET /teams/{uuid}/transactions`` documents (``-`` prefix: descending).
TRANSACTION_SORTS: Final = frozenset({"started_at", "stopped_at", "total_kwh", "meter_start", "meter_stop"})

# A filter value: one value, or several (sent comma-separated: any of them matches).
_OneOrMany = str | enum.Enum | Iterable[str | enum.Enum]


def _any_of(value: _OneOrMany | None, field: str) -> str | None:
    """``"online"`` -> ``"online"``; ``["online", "offline"]`` -> ``"online,offline"``; None stays None."""
    if value is None:
        return None
    values = [value] if isinstance(value, str | enum.Enum) else list(value)
    texts = []
    for item in values:
        text = item.value if isinstance(item, enum.Enum) else item
        if not isinstance(text, str) or not text.strip() or "," in text:
            raise InvalidRequestError(f"{field} must be a non-empty value without commas, got {item!r}")
        texts.append(text)
    if not texts:
        raise InvalidRequestError(f"{field} must name at least one value")
    return ",".join(texts)


def _per_page(value: int | None) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise InvalidRequestError(f"per_page must be a positive integer, got {value!r}")
    return value


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
        sort: str | None = None,
        per_page: int | None = None,
    ) -> AsyncPager[TeamCharger]:
        """``GET /teams/{uuid}/chargers``: the team's chargers (short form, with their site), paginated.

        Filters (sent as ``filter[...]``; a list matches any of its values): ``connection_status``
        (online/offline/never_seen), ``status`` (the charger's OCPP status), ``connector_status``
        (any connector in that status), ``vendor``, ``license`` (basic/smart/pro) and ``site`` (a
        site UUID, sent as ``filter[site_uuid]``). ``sort`` is a field name, ``-`` prefixed to
        descend; the API does not document which fields it sorts by, so the server judges it
        (400 ``BadRequestError`` for one it refuses).
        """
        path = f"/teams/{uuid_segment(team, 'team')}/chargers"
        filters = {
            "connection_status": _any_of(connection_status, "connection_status"),
            "status": _any_of(status, "status"),
            "connector_status": _any_of(connector_status, "connector_status"),
            "vendor": _any_of(vendor, "vendor"),
            "license": _any_of(license, "license"),
            "site_uuid": None if site is None else uuid_segment(site, "site"),
        }
        params = query(filters=filters, sort=_sort(sort), per_page=_per_page(per_page))
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
        filters = {"country": _any_of(country, "country"), "smart_charging": _any_of(smart_charging, "smart_charging")}
        params = query(filters=filters, sort=_sort(sort), per_page=_per_page(per_page))
        return AsyncPager(self._transport, path, Site, params=params)

    def transactions(
        self,
        team: str | uuid.UUID,
        *,
        status: StatusArg | None = None,
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
            filters={"status": transaction_status(status)},
            sort=_sort(sort),
            allowed_sorts=TRANSACTION_SORTS,
            per_page=_per_page(per_page),
        )
        return AsyncPager(self._transport, path, TeamTransaction, params=params)


def _sort(value: str | None) -> str | None:
    """A ``sort`` value: one field name, optionally ``-`` prefixed."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.lstrip("-") or value.count("-", 0, 2) > 1:
        raise InvalidRequestError(f"sort must be a field name, optionally prefixed with '-', got {value!r}")
    return value
