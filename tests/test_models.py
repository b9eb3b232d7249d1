"""Models and the cattrs converter against the published fixtures."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

from plugchoice_async import _converter
from plugchoice_async.exceptions import ResponseValidationError
from plugchoice_async.models import (
    ChargePointErrorCode,
    ChargePointStatus,
    Charger,
    ChargerLicenses,
    ChargerModel,
    ChargerPermissions,
    ConnectionStatus,
    Connector,
    User,
)
from tests.conftest import load_fixture

# Every fixture with real values, through the strict converter (extra keys forbidden).
STRICT_FIXTURES: list[tuple[str, type[Any]]] = [
    ("chargers.get.volttime.json", Charger),
    ("user.get.volttime.json", User),
]


@pytest.mark.parametrize(("name", "cls"), STRICT_FIXTURES)
def test_fixture_structures_strictly(name: str, cls: type[Any]) -> None:
    obj = _converter.structure_strict(load_fixture(name), cls)
    assert isinstance(obj, cls)


@pytest.mark.parametrize(
    ("name", "cls"),
    [("chargers.get.docs.json", Charger), ("chargers.list.docs.json", Charger), ("user.get.docs.json", User)],
)
def test_docs_fixture_fields_are_all_modelled(name: str, cls: type[Any]) -> None:
    """The docs variants carry placeholders, not values; they pin the field names (recursively)."""

    def check(data: dict[str, Any], model: type[Any], where: str) -> None:
        fields = attrs.fields_dict(model)
        missing = set(data) - set(fields)
        assert not missing, f"{where}: fields not modelled: {sorted(missing)}"

    data = load_fixture(name)
    check(data, cls, name)
    if cls is Charger:
        check(data["model"], ChargerModel, "model")
        check(data["licenses"], ChargerLicenses, "licenses")
        check(data["permissions"], ChargerPermissions, "permissions")
        for connector in data.get("connectors", []):
            check(connector, Connector, "connectors[]")


def test_charger_volttime_values() -> None:
    charger = _converter.structure(load_fixture("chargers.get.volttime.json"), Charger)
    assert charger.uuid == "445bd3f6-8f2c-38cb-aa04-2f4e1edb32bb"
    assert charger.connection_status is ConnectionStatus.NEVER_SEEN
    assert charger.status is None
    assert charger.pincode is None  # absent without the sensitive permission
    assert charger.model_id is None and charger.parsed_firmware_version is None
    assert charger.model is not None and charger.model.vendor == "Leffler PLC" and charger.model.is_dc is None
    assert charger.created_at == datetime(2026, 1, 10, 1, 14, 32, tzinfo=UTC)
    assert charger.created_at.tzinfo is not None
    (connector,) = charger.connectors
    assert connector.status is ChargePointStatus.FAULTED
    assert connector.status == "Faulted"
    assert connector.error is ChargePointErrorCode.NO_ERROR
    assert charger.licenses.smart is False and charger.permissions.full is False


def test_bare_and_wrapped_are_equal() -> None:
    wrapped = load_fixture("chargers.get.volttime.json")
    assert _converter.structure(wrapped, Charger) == _converter.structure(wrapped["data"], Charger)


def test_unknown_enum_values_are_kept() -> None:
    data = copy.deepcopy(load_fixture("chargers.get.volttime.json"))
    data["data"]["connection_status"] = "hibernating"
    data["data"]["status"] = "Quantum"
    data["data"]["connectors"][0]["status"] = "Levitating"
    charger = _converter.structure(data, Charger)
    assert charger.connection_status == "hibernating"
    assert type(charger.connection_status) is str
    assert charger.status == "Quantum"
    assert charger.connectors[0].status == "Levitating"


def test_extra_keys_tolerated_by_default_and_forbidden_when_strict() -> None:
    data = copy.deepcopy(load_fixture("chargers.get.volttime.json"))
    data["data"]["brand_new_field"] = {"x": 1}
    assert _converter.structure(data, Charger).uuid
    with pytest.raises(_converter.StructureError, match="brand_new_field"):
        _converter.structure_strict(data, Charger)


def test_pincode_and_optional_fields_present() -> None:
    data = copy.deepcopy(load_fixture("chargers.get.volttime.json"))
    data["data"].update(
        pincode="918273",
        model_id=7,
        parsed_firmware_version="1.2.3",
        max_current=16.5,
        last_heartbeat_at="2026-03-01T10:00:00.123456Z",
        status="Available",
    )
    data["data"]["model"]["is_dc"] = True
    charger = _converter.structure_strict(data, Charger)
    assert charger.pincode == "918273"
    assert "918273" not in repr(charger)
    assert charger.max_current == 16.5
    assert charger.last_heartbeat_at == datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert charger.status is ChargePointStatus.AVAILABLE


def test_millisecond_and_offset_timestamps() -> None:
    data = copy.deepcopy(load_fixture("chargers.get.volttime.json"))
    data["data"]["created_at"] = "2026-01-10T01:14:32.628Z"
    data["data"]["updated_at"] = "2026-01-10T03:14:32+02:00"
    charger = _converter.structure(data, Charger)
    assert charger.created_at.microsecond == 628000
    assert charger.updated_at == datetime(2026, 1, 10, 1, 14, 32, tzinfo=UTC)


def test_shape_error_names_the_field_path() -> None:
    data = copy.deepcopy(load_fixture("chargers.get.volttime.json"))
    data["data"]["connectors"][0]["created_at"] = 12
    del data["data"]["licenses"]["pro"]
    with pytest.raises(_converter.StructureError) as info:
        _converter.structure(data, Charger)
    text = str(info.value)
    assert "$.connectors[0].created_at" in text
    assert "$.licenses.pro" in text


def test_structure_response_raises_plugchoice_error() -> None:
    with pytest.raises(ResponseValidationError) as info:
        _converter.structure_response({"data": {"uuid": 1}}, Charger, method="GET", path="/chargers/x")
    assert "GET /chargers/x" in str(info.value)
    assert "does not fit Charger" in str(info.value)
    assert info.value.method == "GET"


def test_models_are_frozen() -> None:
    charger = _converter.structure(load_fixture("chargers.get.volttime.json"), Charger)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        charger.status = "Available"  # type: ignore[misc]


def test_user_volttime() -> None:
    user = _converter.structure(load_fixture("user.get.volttime.json"), User)
    assert user.name == "Morgan Hirthe"
    assert user.created_at.tzinfo is not None
    assert user.intercom is not None and "hmac_web" in user.intercom


def test_list_shape_error_names_item_and_field() -> None:
    from plugchoice_async.models import Transaction

    with pytest.raises(ResponseValidationError) as info:
        _converter.structure_response([{"id": 1}], tuple[Transaction, ...], method="GET", path="/x")
    text = str(info.value)
    assert "does not fit tuple[Transaction, ...]" in text
    assert "$[0].charger_id" in text
