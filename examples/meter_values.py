"""Meter values of one charger: the samples of the last hours, the latest reading and the live power draw.

    python examples/meter_values.py                        # embedded emulator, no token needed
    python examples/meter_values.py --hours 12
    PLUGCHOICE_TOKEN=... python examples/meter_values.py --charger <uuid>   # the real API (read-only)

``GET /chargers/{uuid}/metervalues`` needs a time window (``Y-m-d H:i:s`` UTC; the SDK formats it).
When the charger recorded nothing in the last ``--hours`` (it has been idle), the window moves to the
hours before its last finished session. Then each connector's latest OCPP meter value and power usage.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import sys
from datetime import UTC, datetime, timedelta

from plugchoice_async import ChargePointStatus, Charger, ConnectionStatus, PlugchoiceClient
from plugchoice_async.models import Measurand, MeterValue, UnitOfMeasure
from plugchoice_async.testing import PlugchoiceEmulator

_ENERGY = Measurand.ENERGY_ACTIVE_IMPORT_REGISTER
_POWER = Measurand.POWER_ACTIVE_IMPORT
_SCALE = {UnitOfMeasure.WH: 0.001, UnitOfMeasure.KWH: 1.0, UnitOfMeasure.W: 0.001, UnitOfMeasure.KW: 1.0}


async def pick_charger(client: PlugchoiceClient) -> Charger | None:
    """An online charger, preferably one that is charging now."""
    fallback: Charger | None = None
    async for page in client.chargers.list().iter_pages():
        for listed in page:
            if listed.connection_status != ConnectionStatus.ONLINE:
                continue
            charger = await client.chargers.get(listed.uuid)
            if any(c.status == ChargePointStatus.CHARGING for c in charger.connectors):
                return charger
            fallback = fallback or charger
    return fallback


async def window(client: PlugchoiceClient, uuid: str, hours: float) -> tuple[datetime, datetime, list[MeterValue], str]:
    """The samples of the last ``hours``; if there are none, of the ``hours`` before the last finished session."""
    end = datetime.now(UTC)
    start = end - timedelta(hours=hours)
    values = [v async for v in client.chargers.meter_values(uuid, date_from=start, date_to=end, limit=1000)]
    if values:
        return start, end, values, f"the last {hours:g} h"
    last = (await client.chargers.transactions(uuid, status="finished", limit=1)).items
    if not last or last[0].stopped_at is None:
        return start, end, [], f"the last {hours:g} h"
    end = last[0].stopped_at
    start = end - timedelta(hours=hours)
    values = [v async for v in client.chargers.meter_values(uuid, date_from=start, date_to=end, limit=1000)]
    return start, end, values, f"the {hours:g} h up to its last session's end (nothing in the last {hours:g} h)"


def _scaled(value: MeterValue) -> float | None:
    factor = _SCALE.get(value.unit) if isinstance(value.unit, UnitOfMeasure) else None
    return None if value.value is None or factor is None else value.value * factor


def summarise(values: list[MeterValue]) -> list[str]:
    """Counts per measurand, energy charged, peak power and the busiest phases."""
    if not values:
        return ["  no samples"]
    by_measurand = collections.Counter(str(v.measurand) for v in values)
    lines = [f"  {len(values)} samples: " + ", ".join(f"{name} {n}" for name, n in by_measurand.most_common())]
    registers = [kwh for v in values if v.measurand == _ENERGY and (kwh := _scaled(v)) is not None]
    if registers:
        lines.append(
            f"  energy register {min(registers):,.2f} -> {max(registers):,.2f} kWh: "
            f"{max(registers) - min(registers):.2f} kWh charged"
        )
    powers = [kw for v in values if v.measurand == _POWER and (kw := _scaled(v)) is not None]
    if powers:
        lines.append(f"  peak power {max(powers):.2f} kW, average {sum(powers) / len(powers):.2f} kW")
    currents: dict[str, list[float]] = collections.defaultdict(list)
    for v in values:
        if v.measurand == Measurand.CURRENT_IMPORT and v.value is not None:
            currents[str(v.phase or "total")].append(v.value)
    if currents:
        lines.append("  peak current " + ", ".join(f"{phase} {max(a):.1f} A" for phase, a in sorted(currents.items())))
    return lines


def _reading(value: float | None, unit: str) -> str:
    return "n/a" if value is None else f"{value:g} {unit}"


async def report(client: PlugchoiceClient, charger: Charger, hours: float) -> str:
    """The printed report for one charger."""
    start, end, values, described = await window(client, charger.uuid, hours)
    lines = [
        f"Meter values of {charger.identity} ({charger.uuid})",
        f"Window: {described}, {start:%Y-%m-%d %H:%M} -> {end:%Y-%m-%d %H:%M} UTC",
        *summarise(values),
        "",
    ]
    for connector in charger.connectors:
        number = connector.connector_id
        latest, power = await asyncio.gather(
            client.chargers.connectors.latest_meter_value(charger.uuid, number),
            client.chargers.connectors.power_usage(charger.uuid, number),
        )
        lines.append(f"Connector {number} ({connector.status}):")
        if latest.meter_value:
            sample = latest.meter_value[-1]
            register = next((s for s in sample.sampled_value if s.measurand == _ENERGY), None)
            reading = None if register is None else register.raw_value or "?"  # "?": the sample had no value
            shown = "no energy register" if register is None else f"register {reading} {register.unit}"
            at = "(no timestamp)" if sample.timestamp is None else f"{sample.timestamp:%Y-%m-%d %H:%M:%S} UTC"
            lines.append(f"  latest meter value {at}: {shown}, {len(sample.sampled_value)} values")
        else:
            lines.append("  latest meter value: none reported yet")
        lines.append(
            f"  power usage now: {_reading(power.kw, 'kW')} (L1 {_reading(power.l1, 'A')}, "
            f"L2 {_reading(power.l2, 'A')}, L3 {_reading(power.l3, 'A')})"
        )
    return "\n".join(lines)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--charger", help="charger UUID (default: an online charger, preferably charging)")
    parser.add_argument("--hours", type=float, default=6.0, help="the window, in hours (default 6)")
    args = parser.parse_args(argv)

    async def run(client: PlugchoiceClient) -> int:
        charger = await client.chargers.get(args.charger) if args.charger else await pick_charger(client)
        if charger is None:
            print("No online charger found.")
            return 1
        print(await report(client, charger, args.hours))
        return 0

    if os.environ.get("PLUGCHOICE_TOKEN"):
        async with PlugchoiceClient() as client:
            return await run(client)
    async with PlugchoiceEmulator(chargers=20, rate_limit=None, seed=2) as emulator:
        print(f"No PLUGCHOICE_TOKEN: using the embedded emulator at {emulator.base_url}")
        async with PlugchoiceClient(emulator.token, base_url=emulator.base_url) as client:
            return await run(client)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
