"""Models and the cattrs converter against the published fixtures."""

from __future__ import annotations

import copy
import re
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
    assert connector.status == "Faulted"  # type: ignore[comparison-overlap]
    assert connector.error is ChargePointErrorCode.NO_ERROR
    assert charger.licenses is not None and charger.permissions is not None
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
    assert charger.created_at is not None and charger.created_at.microsecond == 628000
    assert charger.updated_at == datetime(2026, 1, 10, 1, 14, 32, tzinfo=UTC)


def test_shape_error_names_the_field_path() -> None:
    data = copy.deepcopy(load_fixture("chargers.get.volttime.json"))
    data["data"]["connectors"][0]["created_at"] = 12
    del data["data"]["uuid"]  # identity fields are required (absent optional ones are None)
    with pytest.raises(_converter.StructureError) as info:
        _converter.structure(data, Charger)
    text = str(info.value)
    # Paths start at the body as received: the envelope is part of them.
    assert "expected an ISO 8601 timestamp or null, got an integer (12) @ $.data.connectors[0].created_at" in text
    assert "required key missing @ $.data.uuid" in text
    with pytest.raises(_converter.StructureError, match=r"@ \$\.uuid"):
        _converter.structure(data["data"], Charger)  # no envelope, no ".data"


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
    assert user.created_at is not None and user.created_at.tzinfo is not None
    assert user.intercom is not None and "hmac_web" in user.intercom


def test_list_shape_error_names_item_and_field() -> None:
    from plugchoice_async.models import Transaction

    with pytest.raises(ResponseValidationError) as info:
        _converter.structure_response([{"started_at": None}], tuple[Transaction, ...], method="GET", path="/x")
    text = str(info.value)
    assert "does not fit tuple[Transaction, ...]" in text
    assert "required key missing @ $[0].id" in text


# --- Strict JSON types: a scalar of the wrong type is named, never coerced ------------------------


def _charger_with(mutate: Any) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(load_fixture("chargers.get.volttime.json"))
    mutate(data["data"])
    return data


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(id=12.9), "expected an integer, got a number (12.9) @ $.data.id"),
        (lambda d: d.update(id=12.0), "expected an integer, got a number (12.0) @ $.data.id"),
        (lambda d: d.update(id="17"), "expected an integer, got a string ('17') @ $.data.id"),
        (lambda d: d.update(id=True), "expected an integer, got a boolean (true) @ $.data.id"),
        (lambda d: d.update(identity={"evil": 1}), "expected a string, got an object @ $.data.identity"),
        (lambda d: d.update(identity=7), "expected a string, got an integer (7) @ $.data.identity"),
        (lambda d: d.update(blocked="false"), "expected a boolean or null, got a string ('false') @ $.data.blocked"),
        (lambda d: d.update(blocked="0"), "expected a boolean or null, got a string ('0') @ $.data.blocked"),
        (lambda d: d.update(blocked=[]), "expected a boolean or null, got an array @ $.data.blocked"),
        (lambda d: d.update(blocked=0), "expected a boolean or null, got an integer (0) @ $.data.blocked"),
        (lambda d: d.update(max_current="16"), "expected a number or null, got a string ('16') @ $.data.max_current"),
        (
            lambda d: d.update(max_current=False),
            "expected a number or null, got a boolean (false) @ $.data.max_current",
        ),
        (lambda d: d.update(reference=5), "expected a string or null, got an integer (5) @ $.data.reference"),
        (lambda d: d.update(status=5), "expected a string or null, got an integer (5) @ $.data.status"),
        (
            lambda d: d.update(connection_status=5),
            "expected a string or null, got an integer (5) @ $.data.connection_status",
        ),
        (
            lambda d: d.update(created_at="yesterday"),
            "ISO 8601 timestamp or null, got a string ('yesterday') @ $.data.created_at",
        ),
        (lambda d: d.update(connectors=None), "got null @ $.data.connectors"),
        (lambda d: d.update(connectors="x"), "got a string ('x') @ $.data.connectors"),
        (
            lambda d: d.update(licenses="yes"),
            "expected a JSON object (ChargerLicenses) or null, got a string ('yes') @ $.data.licenses",
        ),
        (lambda d: d["connectors"][0].update(id=12.9), "got a number (12.9) @ $.data.connectors[0].id"),
        (lambda d: d["connectors"].append(None), "expected a JSON object (Connector), got null @ $.data.connectors[1]"),
        (
            lambda d: d["model"].update(is_dc="yes"),
            "expected a boolean or null, got a string ('yes') @ $.data.model.is_dc",
        ),
    ],
)
def test_wrong_json_types_are_named_not_coerced(mutate: Any, message: str) -> None:
    with pytest.raises(ResponseValidationError) as info:
        _converter.structure_response(_charger_with(mutate), Charger, method="GET", path="/chargers/x")
    assert message in str(info.value)
    with pytest.raises(_converter.StructureError, match=re.escape(message)):
        _converter.structure_strict(_charger_with(mutate), Charger)  # the same rules, the same words


def test_numbers_fit_float_fields_and_naive_timestamps_are_utc() -> None:
    data = _charger_with(lambda d: d.update(max_current=16, created_at="2026-01-10T01:14:32"))
    charger = _converter.structure(data, Charger)
    assert charger.max_current == 16.0 and type(charger.max_current) is float
    assert charger.created_at == datetime(2026, 1, 10, 1, 14, 32, tzinfo=UTC)


def test_every_misfit_is_named_in_one_message() -> None:
    def break_three(d: dict[str, Any]) -> None:
        d.update(id="1", blocked="no")
        del d["uuid"]

    with pytest.raises(_converter.StructureError) as info:
        _converter.structure(_charger_with(break_three), Charger)
    assert str(info.value).split("; ") == [
        "required key missing @ $.data.uuid",
        "expected an integer, got a string ('1') @ $.data.id",
        "expected a boolean or null, got a string ('no') @ $.data.blocked",
    ]


def test_a_secret_field_is_not_quoted() -> None:
    with pytest.raises(_converter.StructureError) as info:
        _converter.structure(_charger_with(lambda d: d.update(pincode=918273)), Charger)
    assert str(info.value) == "expected a string or null, got an integer @ $.data.pincode"


def test_unknown_keys_are_named_by_path_when_strict() -> None:
    data = _charger_with(lambda d: d["connectors"][0].update(brand_new=1))
    assert _converter.structure(data, Charger).connectors[0].id == 1
    with pytest.raises(_converter.StructureError) as info:
        _converter.structure_strict(data, Charger)
    assert str(info.value) == "unknown key (not a field of Connector) @ $.data.connectors[0].brand_new"


@pytest.mark.parametrize(
    ("cls", "expected"),
    [(Charger, "a JSON object (Charger)"), (tuple[Connector, ...], "a JSON array (tuple[Connector, ...])")],
)
def test_null_or_empty_body_is_a_clear_validation_error(cls: Any, expected: str) -> None:
    """JSON null and an empty (204) body both decode to None: never a TypeError from deep inside."""
    with pytest.raises(ResponseValidationError) as info:
        _converter.structure_response(None, cls, method="GET", path="/chargers/x")
    assert str(info.value).endswith(f"expected {expected}, got null/empty body @ $")
    assert info.value.body is None


@pytest.mark.parametrize("body", [[], "text", 3, True, {"data": None}, {"data": []}])
def test_other_non_objects_are_validation_errors(body: Any) -> None:
    with pytest.raises(ResponseValidationError, match="does not fit Charger"):
        _converter.structure_response(body, Charger, method="GET", path="/chargers/x")


def test_a_model_whose_init_does_more_is_built_by_its_init() -> None:
    """Plain models are built slot by slot; validators and post-init hooks still run where a model has them."""

    @attrs.frozen
    class Positive:
        x: int = attrs.field(validator=attrs.validators.gt(0))

    @attrs.frozen
    class Doubled:
        x: int
        double: int = attrs.field(init=False)

        def __attrs_post_init__(self) -> None:
            object.__setattr__(self, "double", 2 * self.x)

    assert _converter.structure({"x": 1}, Positive) == Positive(x=1)
    with pytest.raises(_converter.StructureError, match=r"Positive refused the values: .*'x' must be > 0.* @ \$$"):
        _converter.structure({"x": 0}, Positive)
    assert _converter.structure({"x": 4}, Doubled).double == 8
    charger = _converter.structure(load_fixture("chargers.get.volttime.json"), Charger)
    assert attrs.evolve(charger) == charger and hash(attrs.evolve(charger)) == hash(charger)
