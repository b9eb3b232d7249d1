"""Charging profiles as a charger stores them, and OCPP 1.6 GetCompositeSchedule over them.

Pure: a profile is a plain dict (see :func:`stored_profile`), times are epoch seconds and currents amperes per phase.
The composite of a connector over ``[start, start + duration)`` is computed at every instant where any profile can
change (a period start, a schedule or validity end, a recurrence), as OCPP stacks them:

* per purpose, the profile with the highest ``stack_level`` whose schedule covers the instant applies (at equal levels,
  one set on the connector itself beats one on connector 0, then the later one wins);
* ``ChargePointMaxProfile`` (set on connector 0) caps the whole charge point;
* ``TxDefaultProfile`` applies to every connector when set on connector 0, to one connector when set on it;
* ``TxProfile`` (on a connector, only while its session runs) overrides the ``TxDefaultProfile``;
* the composite limit is the minimum of the charge point's cap and the transaction limit; with neither, the
  connector's rating.

A schedule starts at its ``start_schedule`` (``Absolute``; the moment it was set when it has none), at the start of the
running session (``Relative``; the request's start without one), or at the latest daily/weekly recurrence of its
``start_schedule`` (``Recurring``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from ._fleet import DAY

__all__ = ["VOLTS", "composite_schedule", "stored_profile", "to_amps"]

VOLTS = 230  # per phase: how watts and amperes convert here
_WEEK = 7 * DAY
_DEFAULT_PHASES = 3  # OCPP's numberPhases default


def stored_profile(
    *,
    profile_id: int | None,
    connector_id: int,
    stack_level: int,
    purpose: str,
    unit: str,
    periods: Iterable[Mapping[str, Any]],
    set_at: float,
    kind: str = "Absolute",
    recurrency: str | None = None,
    transaction_id: int | None = None,
    valid_from: float | None = None,
    valid_to: float | None = None,
    start_schedule: float | None = None,
    duration: int | None = None,
    min_rate: float | None = None,
) -> dict[str, Any]:
    """A profile as the charger keeps it, from validated periods (``"16"`` is 16, as PHP reads it); ``limit`` and
    ``number_phases`` are its first period's."""
    steps: list[dict[str, Any]] = [
        {
            "start_period": int(p["start_period"]),
            "limit": float(p["limit"]),
            "number_phases": None if p.get("number_phases") in (None, "") else int(p["number_phases"]),
        }
        for p in periods
    ]
    steps.sort(key=lambda step: int(step["start_period"]))
    return {
        "id": profile_id,
        "connector_id": connector_id,
        "stack_level": stack_level,
        "purpose": purpose,
        "unit": unit,
        "limit": steps[0]["limit"],
        "number_phases": steps[0]["number_phases"],
        "periods": steps,
        "kind": kind,
        "recurrency": recurrency,
        "transaction_id": transaction_id,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "start_schedule": start_schedule,
        "duration": duration,
        "min_rate": min_rate,
        "set_at": set_at,
    }


def to_amps(value: float, unit: str, phases: int) -> float:
    """A limit in amperes per phase (watts spread over ``phases`` phases of 230 V)."""
    return float(value) if unit != "W" else float(value) / (VOLTS * phases)


def _schedule_start(profile: Mapping[str, Any], t: float, session_start: float | None, start: float) -> float | None:
    """When the schedule instance covering ``t`` started (None before the first one)."""
    if profile["kind"] == "Relative":
        return session_start if session_start is not None else start
    base = float(profile["start_schedule"] if profile["start_schedule"] is not None else profile["set_at"])
    if profile["kind"] == "Recurring":
        every = _WEEK if profile["recurrency"] == "Weekly" else DAY
        if t < base:
            return None
        return base + math.floor((t - base) / every) * every
    return base


def _level(
    profile: Mapping[str, Any], t: float, session_start: float | None, start: float, phases: int
) -> tuple[float, int] | None:
    """The profile's limit at ``t`` (amperes, phases), or None when it does not cover ``t``."""
    if (profile["valid_from"] is not None and t < profile["valid_from"]) or (
        profile["valid_to"] is not None and t >= profile["valid_to"]
    ):
        return None
    began = _schedule_start(profile, t, session_start, start)
    if began is None:
        return None
    offset = t - began
    duration = profile["duration"]
    if offset < 0 or (duration is not None and offset >= duration):
        return None
    current = None
    for period in profile["periods"]:
        if period["start_period"] > offset:
            break
        current = period
    if current is None:
        return None
    used = current["number_phases"] or phases
    return to_amps(current["limit"], profile["unit"], used), used


def _changes(profile: Mapping[str, Any], start: float, end: float, session_start: float | None) -> Iterable[float]:
    """Every instant in the window at which the profile's contribution may change."""
    yield from (t for t in (profile["valid_from"], profile["valid_to"]) if t is not None)
    if profile["kind"] == "Relative":
        beginnings = [session_start if session_start is not None else start]
    else:
        base = profile["start_schedule"] if profile["start_schedule"] is not None else profile["set_at"]
        beginnings = [float(base)]
        if profile["kind"] == "Recurring":
            every = _WEEK if profile["recurrency"] == "Weekly" else DAY
            first = max(0, math.floor((start - base) / every))
            last = math.floor((end - base) / every)
            beginnings = [base + k * every for k in range(first, last + 1)]
    for began in beginnings:
        yield from (began + period["start_period"] for period in profile["periods"])
        if profile["duration"] is not None:
            yield began + profile["duration"]


def _winner(
    candidates: list[dict[str, Any]],
    connector_id: int,
    t: float,
    session_start: float | None,
    start: float,
    phases: int,
) -> tuple[dict[str, Any], tuple[float, int]] | None:
    """The applying profile among ``candidates`` (one purpose) at ``t``, with its level."""
    best: tuple[tuple[int, bool, int], dict[str, Any], tuple[float, int]] | None = None
    for order, profile in enumerate(candidates):
        level = _level(profile, t, session_start, start, phases)
        if level is None:
            continue
        rank = (profile["stack_level"], profile["connector_id"] == connector_id, order)
        if best is None or rank > best[0]:
            best = (rank, profile, level)
    return None if best is None else (best[1], best[2])


def composite_schedule(
    profiles: Iterable[dict[str, Any]],
    connector_id: int,
    start: int,
    duration: int,
    unit: str,
    *,
    phases: int,
    rating: float,
    session: tuple[float, int] | None = None,
    start_schedule: str,
) -> dict[str, Any]:
    """The ``chargingSchedule`` (OCPP camelCase) of ``connector_id`` over the window, in ``unit`` (A or W).

    ``phases`` is the connector's (0 or unknown counts as 3), ``rating`` its current when no profile limits it,
    ``session`` the (start, transaction id) of its running session, if any, and ``start_schedule`` the window's
    start as the answer writes it.
    """
    phases = phases or _DEFAULT_PHASES
    end = start + duration
    session_start, transaction_id = session if session is not None else (None, None)
    by_purpose: dict[str, list[dict[str, Any]]] = {"ChargePointMaxProfile": [], "TxDefaultProfile": [], "TxProfile": []}
    for profile in profiles:
        on = profile["connector_id"]
        purpose = profile["purpose"]
        if purpose == "TxProfile":
            wanted = profile["transaction_id"]
            if connector_id == 0 or on != connector_id or session is None:
                continue  # a TxProfile lives only as long as its session
            if wanted is not None and wanted != transaction_id:
                continue
        elif on not in (0, connector_id):
            continue
        by_purpose.setdefault(purpose, []).append(profile)

    instants = {start}  # whole seconds, as startPeriod counts them
    for candidates in by_purpose.values():
        for profile in candidates:
            instants.update(math.ceil(t) for t in _changes(profile, start, end, session_start) if start < t < end)

    def shown(amps: float, used: int) -> float:
        return round(amps * VOLTS * used if unit == "W" else amps, 1)

    steps: list[tuple[int, float, int]] = []
    min_rate: float | None = None
    for t in sorted(instants):
        cap = _winner(by_purpose["ChargePointMaxProfile"], connector_id, t, session_start, start, phases)
        tx = _winner(by_purpose["TxProfile"], connector_id, t, session_start, start, phases) or _winner(
            by_purpose["TxDefaultProfile"], connector_id, t, session_start, start, phases
        )
        levels = [found[1] for found in (cap, tx) if found is not None]
        amps, used = min(levels, key=lambda level: level[0]) if levels else (float(rating), phases)
        if t == start and tx is not None and tx[0]["min_rate"] is not None:
            tx_phases = tx[1][1]
            min_rate = shown(to_amps(tx[0]["min_rate"], tx[0]["unit"], tx_phases), tx_phases)
        limit = shown(amps, used)
        if not steps or (steps[-1][1], steps[-1][2]) != (limit, used):
            steps.append((int(t - start), limit, used))
    schedule: dict[str, Any] = {
        "chargingRateUnit": unit,
        "chargingSchedulePeriod": [
            {"startPeriod": offset, "limit": limit, "numberPhases": used} for offset, limit, used in steps
        ],
        "duration": duration,
        "startSchedule": start_schedule,
    }
    if min_rate is not None:
        schedule["minChargingRate"] = min_rate
    return schedule
