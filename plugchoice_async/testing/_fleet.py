"""Deterministic, realistic-looking fleet data for the emulator.

Everything here is pure: the same seed gives the same documents, byte for byte. Timestamps are
anchored to a fixed instant (``REFERENCE_EPOCH``), not to the wall clock, for the same reason.
"""

from __future__ import annotations

import calendar
import hashlib
import random
import time
from typing import Any, NamedTuple

__all__ = [
    "DAY",
    "REFERENCE_EPOCH",
    "format_timestamp",
    "generate_chargers",
    "generate_user",
    "parse_timestamp",
    "random_uuid",
]

#: The generated fleet's "now": 2026-01-10T12:00:00Z.
REFERENCE_EPOCH = calendar.timegm((2026, 1, 10, 12, 0, 0, 0, 0, 0))

_DAY = DAY = 86_400
_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.000000Z"


def format_timestamp(epoch: float) -> str:
    """Format epoch seconds like the API does: ``2026-01-10T01:14:32.000000Z`` (UTC, whole seconds)."""
    return time.strftime(_TIMESTAMP_FORMAT, time.gmtime(epoch))


def parse_timestamp(stamp: str) -> int:
    """The epoch seconds of a timestamp written by :func:`format_timestamp`."""
    return calendar.timegm(time.strptime(stamp, _TIMESTAMP_FORMAT))


def random_uuid(rng: random.Random) -> str:
    """A lowercase version-4 UUID string drawn from ``rng`` (so it is reproducible)."""
    value = rng.getrandbits(128)
    value = (value & ~(0xF << 76)) | (0x4 << 76)  # version 4
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class _Model(NamedTuple):
    vendor: str
    name: str
    is_dc: bool
    connectors: int
    power_type: str
    max_amperage: int
    max_voltage: int
    format: str
    identity_prefix: str
    weight: int


# Two-connector models weigh 30 of 100: about 30% of the fleet has two connectors.
_MODELS = (
    _Model("Alfen", "Eve Single Pro-line", False, 1, "AC_3_PHASE", 32, 400, "Socket", "ACE", 22),
    _Model("Alfen", "Eve Double Pro-line", False, 2, "AC_3_PHASE", 32, 400, "Socket", "ACE", 14),
    _Model("Zaptec", "Go", False, 1, "AC_3_PHASE", 32, 400, "Cable", "ZAP", 14),
    _Model("Easee", "Charge", False, 1, "AC_3_PHASE", 32, 400, "Socket", "EH", 12),
    _Model("Wallbox", "Pulsar Plus", False, 1, "AC_1_PHASE", 32, 230, "Cable", "WB", 10),
    _Model("Peblar", "Business", False, 1, "AC_3_PHASE", 32, 400, "Socket", "PB", 12),
    _Model("Ecotap", "EVC30 Duo", False, 2, "AC_3_PHASE", 32, 400, "Socket", "ET", 9),
    _Model("EVBox", "BusinessLine", False, 2, "AC_3_PHASE", 32, 400, "Socket", "EVB", 4),
    _Model("ABB", "Terra 54", True, 2, "DC", 125, 920, "Cable", "TACW", 3),
)
_MODEL_WEIGHTS = tuple(m.weight for m in _MODELS)
_MODEL_IDS = {model: number for number, model in enumerate(_MODELS, start=1)}

_CONNECTOR_STATUSES = (
    "Available",
    "Preparing",
    "Charging",
    "SuspendedEV",
    "SuspendedEVSE",
    "Finishing",
    "Reserved",
    "Unavailable",
    "Faulted",
)
_CONNECTOR_WEIGHTS = (48, 4, 24, 8, 3, 3, 1, 6, 1)
_ERRORS = ("GroundFailure", "GroundFailure", "OverCurrentFailure", "OverCurrentFailure", "HighTemperature")
_PHASE_ROTATIONS = ("RST", "RST", "RST", "RST", "STR", "TRS", "RTS")
_REFERENCES = ("Parking", "Garage", "Depot", "Visitor bay", "Office", "Fleet")
_FIRST_NAMES = ("Morgan", "Alex", "Sam", "Robin", "Jamie", "Charlie", "Noor", "Lotte", "Daan", "Femke")
_LAST_NAMES = ("Hirthe", "de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Bos")


def _identity(rng: random.Random, model: _Model) -> str:
    if model.identity_prefix == "ACE":
        return f"ACE{rng.randrange(10**7):07d}"
    if model.identity_prefix == "ZAP":
        return f"ZAP{rng.randrange(10**6):06d}"
    if rng.random() < 0.5:
        return f"PC-{rng.getrandbits(32):08X}"
    return f"{model.identity_prefix}{rng.getrandbits(40):010X}"


def _firmware(rng: random.Random, model: _Model) -> tuple[str, str]:
    parsed = f"{rng.randrange(1, 7)}.{rng.randrange(0, 12)}.{rng.randrange(0, 20)}"
    if model.vendor == "Alfen":
        return f"{parsed}-{rng.randrange(1000, 5000)}", parsed
    return parsed, parsed


def _connectors(
    rng: random.Random,
    model: _Model,
    charger: dict[str, Any],
    first_id: int,
) -> list[dict[str, Any]]:
    seen = charger["connection_status"] != "never_seen"
    created = charger["created_at"]
    out: list[dict[str, Any]] = []
    for number in range(1, model.connectors + 1):
        if not seen or charger["status"] == "Unavailable":
            status = "Unavailable"
        elif charger["status"] == "Faulted" and number == 1:
            status = "Faulted"
        else:
            status = rng.choices(_CONNECTOR_STATUSES, _CONNECTOR_WEIGHTS)[0]
        faulted = status == "Faulted"
        if model.is_dc:
            standard = "IEC_62196_T2_COMBO" if number == 1 else "CHADEMO"
            rotation = None
        else:
            standard = "IEC_62196_T2"
            rotation = rng.choice(_PHASE_ROTATIONS) if model.power_type == "AC_3_PHASE" else rng.choice(("R", "S", "T"))
        out.append(
            {
                "id": first_id + number - 1,
                "charger_id": charger["id"],
                "connector_id": number,
                "status": status,
                "error": rng.choice(_ERRORS) if faulted else "NoError",
                "error_info": "RCD tripped" if faulted and rng.random() < 0.3 else None,
                "vendor_id": None,
                "vendor_error_code": f"E{rng.randrange(10, 99)}" if faulted and rng.random() < 0.5 else None,
                "max_amperage": model.max_amperage if seen else None,
                "max_voltage": (model.max_voltage if rng.random() < 0.9 else None) if seen else None,
                "standard": standard if seen else None,
                "format": model.format if seen else None,
                "power_type": model.power_type if seen else None,
                "phase_rotation": rotation if seen else None,
                "created_at": created,
                "updated_at": charger["updated_at"],
            }
        )
    return out


def _charger(rng: random.Random, charger_id: int, uuid: str, identity: str, model: _Model) -> dict[str, Any]:
    roll = rng.random()
    connection_status = "online" if roll < 0.80 else "offline" if roll < 0.95 else "never_seen"
    created = REFERENCE_EPOCH - rng.randrange(90 * _DAY, 3 * 365 * _DAY)
    seen = connection_status != "never_seen"

    last_connection: int | None = None
    last_disconnection: int | None = None
    last_heartbeat: int | None = None
    if connection_status == "online":
        last_connection = REFERENCE_EPOCH - rng.randrange(60, 30 * _DAY)
        last_heartbeat = REFERENCE_EPOCH - rng.randrange(0, 300)
        if rng.random() < 0.8:
            last_disconnection = last_connection - rng.randrange(5, 30 * _DAY)
    elif connection_status == "offline":
        last_disconnection = REFERENCE_EPOCH - rng.randrange(600, 60 * _DAY)
        last_connection = last_disconnection - rng.randrange(600, 25 * _DAY)
        last_heartbeat = last_disconnection - rng.randrange(0, 300)
    updated = max(created, last_connection or 0, last_disconnection or 0)

    status: str | None = None
    error: str | None = None
    vendor_error_code: str | None = None
    firmware: str | None = None
    parsed_firmware: str | None = None
    server: str | None = None
    if seen:
        roll = rng.random()
        status = "Available" if roll < 0.91 else "Unavailable" if roll < 0.97 else "Faulted"
        error = rng.choice(_ERRORS) if status == "Faulted" else "NoError"
        if status == "Faulted" and rng.random() < 0.5:
            vendor_error_code = f"0x{rng.randrange(256):02X}"
        firmware, parsed_firmware = _firmware(rng, model)
        server = f"ocpp-eu-{rng.randrange(1, 4)}"

    reference: str | None = None
    if rng.random() < 0.3:
        reference = f"{rng.choice(_REFERENCES)} {rng.randrange(1, 40)}"

    if model.is_dc:
        max_current: int | None = rng.choice((125, 200, None))
    else:
        max_current = rng.choice((16, 20, 25, 32, 32, None))

    created_at = format_timestamp(created)
    return {
        "uuid": uuid,
        "id": charger_id,
        "identity": identity,
        "pincode": f"{rng.randrange(10**6):06d}",
        "reference": reference,
        "connection_status": connection_status,
        "status": status,
        "error": error,
        "error_info": None,
        "vendor_id": None,
        "vendor_error_code": vendor_error_code,
        "firmware_version": firmware,
        "parsed_firmware_version": parsed_firmware,
        "server": server,
        "last_connection_at": None if last_connection is None else format_timestamp(last_connection),
        "last_disconnection_at": None if last_disconnection is None else format_timestamp(last_disconnection),
        "last_heartbeat_at": None if last_heartbeat is None else format_timestamp(last_heartbeat),
        "setup_pending": (not seen) and rng.random() < 0.5,
        "setup_completed": seen,
        "blocked": rng.random() < 0.01,
        "max_current": max_current,
        "created_at": created_at,
        "updated_at": format_timestamp(updated),
        "licenses": {"smart": rng.random() < 0.4, "pro": rng.random() < 0.2},
        "model_id": _MODEL_IDS[model],
        "model": {"vendor": model.vendor, "name": model.name, "is_dc": model.is_dc},
        "connectors": [],  # filled in by generate_chargers (needs the document's own fields)
        "permissions": {"basic": True, "sensitive": True, "full": True},
    }


def generate_chargers(
    count: int, seed: int | str, *, first_id: int = 1, first_connector_id: int = 1
) -> dict[str, dict[str, Any]]:
    """Generate ``count`` Get Charger documents, keyed by uuid, in fleet order (ids ``first_id`` on)."""
    rng = random.Random(seed)
    fleet: dict[str, dict[str, Any]] = {}
    identities: set[str] = set()
    next_connector_id = first_connector_id
    models = rng.choices(_MODELS, _MODEL_WEIGHTS, k=count)
    for charger_id, model in enumerate(models, start=first_id):
        uuid = random_uuid(rng)
        while uuid in fleet:  # pragma: no cover - 122 random bits
            uuid = random_uuid(rng)
        identity = _identity(rng, model)
        while identity in identities:
            identity = _identity(rng, model)
        identities.add(identity)
        charger = _charger(rng, charger_id, uuid, identity, model)
        charger["connectors"] = _connectors(rng, model, charger, next_connector_id)
        next_connector_id += model.connectors
        fleet[uuid] = charger
    return fleet


def generate_user(seed: int) -> dict[str, Any]:
    """The account behind the emulator's tokens, as ``GET /user`` shows it."""
    rng = random.Random(f"plugchoice-user:{seed}")
    first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
    email = f"{first}.{last.replace(' ', '')}@example.com".lower()
    digest = hashlib.sha256(email.encode()).hexdigest()
    created = format_timestamp(REFERENCE_EPOCH - rng.randrange(30 * _DAY, 700 * _DAY))
    return {
        "uuid": random_uuid(rng),
        "id": 1,
        "name": f"{first} {last}",
        "email": email,
        "avatar": f"https://gravatar.com/avatar/{digest}?d=404",
        "created_at": created,
        "updated_at": created,
    }
