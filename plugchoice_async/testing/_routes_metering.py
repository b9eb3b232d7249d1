"""Routes of what chargers measure and record: live readings, meter values, transactions, graphs and the OCPP log."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import orjson
from aiohttp import web

from ._fleet import parse_timestamp
from ._history import (
    INSIGNIFICANT_METHODS,
    LogEntry,
    MeterValueRow,
    TransactionRow,
    charger_transaction,
    graph,
    log_entry,
    meter_value,
    ocpp_time,
    phases_of,
)
from ._pagination import PER_PAGE, length_aware_page
from ._web import AddRoute, RouteGroup, Validator, not_found_model, ok, spatie_error

__all__ = ["MeteringRoutes", "filter_transactions", "query_input"]

_T = TypeVar("_T")
_TRANSACTION_FILTERS = ("status", "started_from", "stopped_until")
_LOG_FILTERS = ("method", "status", "destination", "hide_insignificant", "date_from", "date_to")
_TRUE = frozenset(("1", "true", "yes", "on"))


def query_input(query: Mapping[str, str]) -> dict[str, Any]:
    """The query string as Laravel parses it: ``filter[status]=x`` becomes ``{"filter": {"status": "x"}}``."""
    data: dict[str, Any] = {}
    for name, value in query.items():
        if "[" in name and name.endswith("]"):
            outer, inner = name[:-1].split("[", 1)
            nested = data.setdefault(outer, {})
            if isinstance(nested, dict):
                nested[inner] = value
        else:
            data[name] = value
    return data


def unknown_filter(data: Mapping[str, Any], allowed: Sequence[str]) -> web.Response | None:
    """spatie/laravel-query-builder's 400 for a ``filter[...]`` the endpoint does not allow."""
    filters = data.get("filter")
    if isinstance(filters, dict):
        unknown = [name for name in filters if name not in allowed]
        if unknown:
            return spatie_error("filter", ", ".join(unknown), list(allowed))
    return None


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


def filter_transactions(
    query: Mapping[str, str], transactions: list[_T], of: Callable[[_T], TransactionRow], extra: Sequence[str] = ()
) -> tuple[list[_T], int, Validator] | web.Response:
    """Apply ``limit``, ``filter[status]``, ``filter[started_from]`` and ``filter[stopped_until]`` (newest first).

    Returns the matching rows, the page size, and the validator (for endpoint-specific filters in ``extra``),
    or the 400/422 answer.
    """
    data = query_input(query)
    refused = unknown_filter(data, (*_TRANSACTION_FILTERS, *extra))
    if refused is not None:
        return refused
    check = Validator(data)
    limit = check.integer("limit", min=1, max=10_000)
    status = check.one_of("filter.status", ("active", "finished"))
    started_from = check.date("filter.started_from")
    stopped_until = check.date("filter.stopped_until")
    if check.failed:
        return check.response()
    rows = transactions
    if status is not None:
        rows = [row for row in rows if of(row).active == (status == "active")]
    if started_from is not None:
        since = _epoch(started_from)
        rows = [row for row in rows if of(row).started >= since]
    if stopped_until is not None:
        until = _epoch(stopped_until)
        rows = [row for row in rows if (stopped := of(row).stopped) is not None and stopped <= until]
    rows = sorted(rows, key=lambda row: (of(row).started, of(row).id), reverse=True)
    return rows, limit or PER_PAGE, check


def _ms_stamp(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch * 1000) % 1000:03d}Z"


class MeteringRoutes(RouteGroup):
    """``/chargers/{c}/connectors/{n}/(latest-metervalue|power-usage)``, ``metervalues``, ``transactions``, ``logs``."""

    def register(self, add: AddRoute) -> None:
        add("GET", "/chargers/{uuid}/connectors/{number}/latest-metervalue", self.latest_metervalue)
        add("GET", "/chargers/{uuid}/connectors/{number}/power-usage", self.power_usage)
        add("GET", "/chargers/{uuid}/metervalues", self.metervalues)
        add("GET", "/chargers/{uuid}/transactions", self.transactions)
        add("GET", "/chargers/{uuid}/transactions/{id}/graph", self.graph)
        add("GET", "/chargers/{uuid}/logs", self.logs)

    # -- live readings ---------------------------------------------------------------------------
    #
    # Both answer the newest values the connector's running session sent (see ``History.sync``), so they agree
    # with ``GET /chargers/{c}/metervalues``; an idle connector shows its last register and no power.

    def _newest(self, charger: dict[str, Any], connector: dict[str, Any]) -> list[MeterValueRow]:
        """The newest sample set of the connector's running session ([] when it has none)."""
        history = self.state.history(charger["uuid"])
        tx = history.active_on(connector["connector_id"])
        return [] if tx is None else history.latest_sample(tx, self.state.now())

    async def latest_metervalue(self, request: web.Request) -> web.Response:
        found = self.connector(request.match_info["uuid"], request.match_info["number"])
        if isinstance(found, web.Response):
            return found
        charger, connector = found
        number = connector["connector_id"]

        def sample(value: str, context: str, measurand: str, phase: str | None, location: str, unit: str) -> Any:
            return {
                "value": value,
                "context": context,
                "format": "Raw",
                "measurand": measurand,
                "phase": phase,
                "location": location,
                "unit": unit,
            }

        newest = self._newest(charger, connector)
        if newest:
            values = [sample(r.value, r.context, r.measurand, r.phase, r.location, r.unit) for r in newest]
            reading = {"timestamp": ocpp_time(newest[0].epoch), "sampledValue": values}
            return ok({"connectorId": number, "meterValue": [reading]})
        now = self.state.now()
        register = self.state.history(charger["uuid"]).register(number, now)
        if register is None:  # never charged (or never seen): nothing sampled yet
            return ok({"connectorId": number, "meterValue": []})
        seen = charger["connection_status"] == "online" or not charger.get("last_heartbeat_at")
        epoch = now if seen else parse_timestamp(charger["last_heartbeat_at"])
        periodic = "Sample.Periodic"
        values = [
            sample(str(register), periodic, "Energy.Active.Import.Register", None, "Outlet", "Wh"),
            sample("0", periodic, "Power.Active.Import", None, "Outlet", "W"),
        ]
        phases = phases_of(connector)
        for phase in ("L1", "L2", "L3")[:phases]:
            values.append(sample("0.0", periodic, "Current.Import", phase, "Outlet", "A"))
            values.append(sample("230.0", periodic, "Voltage", f"{phase}-N", "Outlet", "V"))
        return ok({"connectorId": number, "meterValue": [{"timestamp": ocpp_time(epoch), "sampledValue": values}]})

    async def power_usage(self, request: web.Request) -> web.Response:
        found = self.connector(request.match_info["uuid"], request.match_info["number"])
        if isinstance(found, web.Response):
            return found
        charger, connector = found
        now = self.state.now()
        dash = ("- ", " -") if charger["id"] % 4 == 0 else ("-", "-")  # the API pads some dashes
        status = charger["connection_status"]
        if status != "online":
            heartbeat = charger.get("last_heartbeat_at")
            epoch = parse_timestamp(heartbeat) if heartbeat else now
            return ok({"timestamp": _ms_stamp(epoch), "L1": "-", "L2": dash[0], "L3": dash[1], "kW": "-"})
        newest = self._newest(charger, connector)
        watts = sum(float(row.value) for row in newest if row.measurand == "Power.Active.Import")
        if not newest or watts == 0:
            return ok({"timestamp": _ms_stamp(now), "L1": "0", "L2": dash[0], "L3": dash[1], "kW": "0.00"})
        currents = {row.phase: row.value for row in newest if row.measurand == "Current.Import"}
        if phases_of(connector) == 3:
            lines = (currents.get("L1", "-"), currents.get("L2", "-"), currents.get("L3", "-"))
        else:  # one phase, or DC: no phase currents
            lines = (currents.get("L1", "-"), *dash)
        reading = {"timestamp": _ms_stamp(newest[0].epoch), "L1": lines[0], "L2": lines[1], "L3": lines[2]}
        return ok({**reading, "kW": f"{watts / 1000:.2f}"})

    # -- meter values ----------------------------------------------------------------------------

    async def metervalues(self, request: web.Request) -> web.Response:
        charger = self.charger(request.match_info["uuid"])
        if isinstance(charger, web.Response):
            return charger
        check = Validator(query_input(request.query))
        date_from = check.date_format("date_from", required=True)
        date_to = check.date_format("date_to", required=True)
        if date_from is not None and date_to is not None and date_to < date_from:
            check.fail("date_to", "The date to field must be a date after or equal to date from.")
        wanted = {name: check.string(name, nullable=True) for name in ("context", "measurand", "phase", "location")}
        wanted["unit"] = check.string("unit", nullable=True)
        limit = check.integer("limit", min=1, max=10_000)
        order = check.one_of("order_by", ("asc", "desc"))
        if check.failed or date_from is None or date_to is None:
            return check.response()
        since, until = _epoch(date_from), _epoch(date_to)
        rows = self.state.history(charger["uuid"]).metervalues(self.state.now())
        rows = [row for row in rows if since <= row.epoch <= until]
        for name, value in wanted.items():
            if value is not None:
                rows = [row for row in rows if getattr(row, name) == value]
        if order == "desc":
            rows.reverse()
        charger_id = charger["id"]

        def encode(row: MeterValueRow) -> bytes:
            return orjson.dumps(meter_value(row, charger_id))

        return length_aware_page(request, rows, encode, limit or PER_PAGE)

    # -- transactions ----------------------------------------------------------------------------

    async def transactions(self, request: web.Request) -> web.Response:
        charger = self.charger(request.match_info["uuid"])
        if isinstance(charger, web.Response):
            return charger
        history = self.state.history(charger["uuid"])
        found = filter_transactions(request.query, history.transactions, lambda tx: tx)
        if isinstance(found, web.Response):
            return found
        rows, limit, _ = found

        def encode(tx: TransactionRow) -> bytes:
            return orjson.dumps(charger_transaction(tx, charger))

        return length_aware_page(request, rows, encode, limit)

    async def graph(self, request: web.Request) -> web.Response:
        charger = self.charger(request.match_info["uuid"])
        if isinstance(charger, web.Response):
            return charger
        wanted = request.match_info["id"]
        for tx in self.state.history(charger["uuid"]).transactions:
            if str(tx.id) == wanted:
                connector = self.state.connector(charger, tx.connector_id) or {}
                offered = float(charger.get("max_current") or connector.get("max_amperage") or 32)
                return ok(graph(tx, self.state.epoch(), offered, phases_of(connector)))
        return not_found_model("ChargerTransaction")

    # -- log -------------------------------------------------------------------------------------

    async def logs(self, request: web.Request) -> web.Response:
        charger = self.charger(request.match_info["uuid"])
        if isinstance(charger, web.Response):
            return charger
        data = query_input(request.query)
        refused = unknown_filter(data, _LOG_FILTERS)
        if refused is not None:
            return refused
        sort = request.query.get("sort", "-created_at")
        if sort not in ("created_at", "-created_at"):
            return spatie_error("sort", sort, ["created_at"])
        check = Validator(data)
        date_from = check.date("filter.date_from")
        date_to = check.date("filter.date_to")
        if check.failed:
            return check.response()
        entries = self.state.history(charger["uuid"]).logs()
        methods = sorted({entry.method for entry in entries})
        filters: dict[str, Any] = data["filter"] if isinstance(data.get("filter"), dict) else {}
        rows: list[LogEntry] = list(entries)
        for name in ("method", "status", "destination"):
            if filters.get(name):
                allowed = set(str(filters[name]).split(","))
                rows = [entry for entry in rows if getattr(entry, name) in allowed]
        if str(filters.get("hide_insignificant", "")).lower() in _TRUE:
            rows = [entry for entry in rows if entry.method not in INSIGNIFICANT_METHODS]
        if date_from is not None:
            rows = [entry for entry in rows if entry.epoch >= _epoch(date_from)]
        if date_to is not None:
            rows = [entry for entry in rows if entry.epoch <= _epoch(date_to)]
        rows.sort(key=lambda entry: (entry.epoch, entry.id), reverse=sort.startswith("-"))
        charger_id = charger["id"]

        def encode(entry: LogEntry) -> bytes:
            return orjson.dumps(log_entry(entry, charger_id))

        per_page = self.page_size(request)
        return length_aware_page(request, rows, encode, per_page, {"filter_options": {"methods": methods}})
