"""Properties of reading answers, over every public model and (nearly) any JSON.

1. Any JSON value, into any model: the result is a model whose every value has its annotated
   type (checked recursively), or ``ResponseValidationError``; never another exception.
2. A document built from a model's own field types (wire keys, wire spellings) is read, by the
   production and the strict reader alike, and unknown keys are tolerated / reported.
3. The same document with one value anywhere inside replaced by any JSON value: property 1,
   and where the value was a plain scalar field (``str``, ``int``, ``float``, ``bool``, open
   enums, optional or not) the document is read exactly when the JSON type fits: never coerced.

Bounded: about 1,100 examples in all, a few seconds.
"""

from __future__ import annotations

import collections.abc
import enum
import types
import typing
from datetime import UTC, datetime, time, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import plugchoice_async
from plugchoice_async import _converter
from plugchoice_async.exceptions import ResponseValidationError
from plugchoice_async.models._wire import Wire

#: Every model the package exports (attrs classes of ``plugchoice_async.models``; the transport's
#: ``Request`` and the like are not answers).
MODELS: list[type[Any]] = [
    obj
    for name in plugchoice_async.__all__
    if isinstance(obj := getattr(plugchoice_async, name), type)
    and attrs.has(obj)
    and obj.__module__.startswith("plugchoice_async.models.")
]

#: Models no JSON document can fill (a required field no JSON value can be).
UNREADABLE = {plugchoice_async.ChargerFailure}
READABLE = [m for m in MODELS if m not in UNREADABLE]

BOUNDED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

UNIONS = (typing.Union, types.UnionType)
EXTRA_KEY = "zz_not_a_field"

# --- Any JSON value ---------------------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)

# --- Well-formed documents from the models' own types -----------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False)
numbers = finite | st.integers(min_value=-(2**53), max_value=2**53)
timestamps = st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=2))]) | st.none()).map(
    lambda dt: dt.isoformat().replace("+00:00", "Z")
)

MARKER_DOCS: dict[Wire, st.SearchStrategy[Any]] = {
    Wire.NUMBER: numbers | finite.map(str) | st.integers(0, 99999).map(lambda n: f" {n / 100:.2f} "),
    Wire.READING: st.none() | numbers | finite.map(str) | st.sampled_from(["-", " - ", "", "AB12FF"]),
    Wire.JSON: st.none()
    | st.dictionaries(st.text(max_size=5), json_scalars, max_size=3)
    | st.lists(json_scalars, max_size=3)
    | st.just('{"connectorId": 1, "idTag": "ABC"}'),
    Wire.TIMESTAMP_OR_DASH: st.none() | st.just("-") | timestamps,
    Wire.READING_TEXT: st.none() | numbers | finite.map(str) | st.sampled_from(["-", " ", "Meter unreachable."]),
}

SCALAR_DOCS: dict[Any, st.SearchStrategy[Any]] = {
    str: st.text(max_size=12),
    int: st.integers(),
    float: numbers,
    bool: st.booleans(),
    type(None): st.none(),
    datetime: timestamps,
    time: st.times().map(time.isoformat),
    Any: json_values,
}

_docs: dict[tuple[Any, bool], st.SearchStrategy[Any] | None] = {}


def well_formed(tp: Any, *, ocpp: bool = False) -> st.SearchStrategy[Any] | None:
    """Documents of type ``tp`` as the wire spells them; None when no JSON value is one."""
    key = (tp, ocpp)
    if key not in _docs:
        _docs[key] = _well_formed(tp, ocpp=ocpp)
    return _docs[key]


def _well_formed(tp: Any, *, ocpp: bool) -> st.SearchStrategy[Any] | None:
    if tp in SCALAR_DOCS:
        return SCALAR_DOCS[tp]
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        markers = [m for m in tp.__metadata__ if isinstance(m, Wire)]
        return MARKER_DOCS[markers[0]] if markers else well_formed(args[0], ocpp=ocpp)
    if origin in UNIONS:
        parts = [p for p in (well_formed(a, ocpp=ocpp) for a in args) if p is not None]
        return st.one_of(parts) if parts else None
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.sampled_from([member.value for member in tp])
    if origin is tuple:
        item = well_formed(args[0], ocpp=ocpp)
        return st.just([]) if item is None else st.lists(item, max_size=3)
    if origin in (dict, collections.abc.Mapping):
        value = well_formed(args[1], ocpp=ocpp)
        return st.just({}) if value is None else st.dictionaries(st.text(max_size=5), value, max_size=3)
    if isinstance(tp, type) and attrs.has(tp):
        return _object(tp, ocpp=ocpp or tp in _converter._OCPP_ANSWERS)
    return None  # e.g. Exception: no JSON value is one


def _object(cls: type[Any], *, ocpp: bool) -> st.SearchStrategy[dict[str, Any]] | None:
    hints = typing.get_type_hints(cls, include_extras=True)
    rules = _converter._FIELD_RULES.get(cls, {})
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for field in attrs.fields(cls):
        wire = _converter.wire_names(cls, ocpp=ocpp)[field.name]
        rule = rules.get(field.name)
        doc = well_formed(hints[field.name], ocpp=ocpp)
        if rule is not None and rule.raw_text:  # the reading's text, read twice (value and raw_value)
            doc = numbers | st.text(max_size=8)
        elif rule is not None and rule.enveloped and doc is not None:
            doc = doc | doc.map(lambda items: {"data": items})
        if doc is None:
            if field.default is attrs.NOTHING:
                return None
            continue
        (required if field.default is attrs.NOTHING else optional)[wire] = doc
    for wire in required:  # a key two attributes read (raw_value and value) is filled once
        optional.pop(wire, None)
    return st.fixed_dictionaries(required, optional=optional)


# --- Checking a result against the annotations ------------------------------------------------------------


def check(value: Any, tp: Any, where: str = "$") -> None:
    """Assert that ``value`` has type ``tp``, recursively (open enums: known values are members)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return
    if origin is typing.Annotated:
        check(value, args[0], where)
    elif origin in UNIONS:
        enums = [a for a in args if isinstance(a, type) and issubclass(a, enum.Enum)]
        if type(value) is str and enums:
            assert value not in {m.value for m in enums[0]}, f"{where}: known value {value!r} left a str"
        assert any(_fits(value, a) for a in args), f"{where}: {value!r} is none of {tp}"
    elif origin in (tuple, list):
        assert type(value) is origin, where
        for index, item in enumerate(value):
            check(item, args[0], f"{where}[{index}]")
    elif origin in (dict, collections.abc.Mapping):
        assert type(value) is dict, where
        for key, item in value.items():
            assert type(key) is str, where
            check(item, args[1], f"{where}.{key}")
    elif isinstance(tp, type) and attrs.has(tp):
        assert type(value) is tp, f"{where}: {type(value).__name__} is not {tp.__name__}"
        hints = typing.get_type_hints(tp, include_extras=True)
        for field in attrs.fields(tp):
            check(getattr(value, field.name), hints[field.name], f"{where}.{field.name}")
    elif tp is datetime:
        assert type(value) is datetime and value.tzinfo is not None, f"{where}: {value!r}"
    elif tp is type(None):
        assert value is None, where
    elif isinstance(tp, type) and issubclass(tp, enum.Enum):
        assert isinstance(value, tp), where
    else:
        assert type(value) is tp, f"{where}: {value!r} is not {tp}"


def _fits(value: Any, tp: Any) -> bool:
    try:
        check(value, tp)
    except AssertionError:
        return False
    return True


def read(body: Any, cls: type[Any]) -> Any:
    """The answer as the resources read it: a model or ``ResponseValidationError``, nothing else."""
    error: ResponseValidationError | None = None
    try:
        model = _converter.structure_response(body, cls, method="GET", path="/x")
    except ResponseValidationError as exc:
        error = exc
    if error is not None:
        assert "does not fit" in str(error) and " @ $" in str(error)
        return None
    check(model, cls)
    return model


# --- The properties ---------------------------------------------------------------------------------------


def test_models_are_found() -> None:
    assert len(MODELS) > 60 and plugchoice_async.Charger in MODELS and plugchoice_async.FleetSnapshot in MODELS


@pytest.mark.parametrize("cls", MODELS, ids=[m.__name__ for m in MODELS])
def test_only_documented_models_have_no_json_document(cls: type[Any]) -> None:
    """A field type the reader has no rule for would make a model unreadable: it must be intended."""
    assert (well_formed(cls) is None) == (cls in UNREADABLE)


@BOUNDED
@given(cls=st.sampled_from(MODELS), value=json_values, wrapped=st.booleans())
def test_any_json_fits_or_is_a_validation_error(cls: type[Any], value: Any, wrapped: bool) -> None:
    read({"data": value} if wrapped else value, cls)


@BOUNDED
@given(data=st.data(), cls=st.sampled_from(READABLE))
def test_well_formed_documents_are_read(data: st.DataObject, cls: type[Any]) -> None:
    strategy = well_formed(cls)
    assert strategy is not None
    document = data.draw(strategy)
    # Enveloped, as the API answers: a bare document with a "data" object of its own (a bulk
    # command run's payload) would be taken for an envelope (the resource wraps such answers).
    model = read({"data": document}, cls)
    assert model is not None, document
    assert attrs.evolve(model) == model  # built as its __init__ builds it
    if "data" not in document:
        assert _converter.structure(document, cls) == model  # bare or enveloped, the same model
    assert _converter.structure_strict({"data": document}, cls) == model  # strict reads the same values
    document[EXTRA_KEY] = data.draw(json_values)
    assert _converter.structure({"data": document}, cls) == model  # unknown keys are tolerated in production
    unknown = rf"unknown key \(not a field of {cls.__name__}\) @ \$\.data\.{EXTRA_KEY}"
    with pytest.raises(_converter.StructureError, match=unknown):
        _converter.structure_strict({"data": document}, cls)


def _places(value: Any, tp: Any, path: tuple[Any, ...] = (), *, ocpp: bool = False) -> list[tuple[Any, ...]]:
    """Every place in a document: ``(path, annotated type there or None when not a plain field)``."""
    found: list[tuple[Any, ...]] = [(path, tp)]
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in UNIONS and value is not None and len(args) == 2 and type(None) in args:
        tp = next(a for a in args if a is not type(None))
        origin, args = typing.get_origin(tp), typing.get_args(tp)
    if isinstance(value, dict):
        fields: dict[str, Any] = {}
        if isinstance(tp, type) and attrs.has(tp):
            ocpp = ocpp or tp in _converter._OCPP_ANSWERS
            hints = typing.get_type_hints(tp, include_extras=True)
            rules = _converter._FIELD_RULES.get(tp, {})
            for name, wire in _converter.wire_names(tp, ocpp=ocpp).items():
                plain = name not in rules or not (rules[name].raw_text or rules[name].enveloped)
                fields[wire] = hints[name] if plain and wire not in fields else None  # value/raw_value: not plain
        for key, item in value.items():
            found += _places(item, fields.get(key), (*path, key), ocpp=ocpp)
    elif isinstance(value, list):
        item_tp = args[0] if origin is tuple else None
        for index, item in enumerate(value):
            found += _places(item, item_tp, (*path, index), ocpp=ocpp)
    return found


def _admits(value: Any, tp: Any) -> bool | None:
    """Whether the wire spelling of a plain scalar type admits a JSON value; None for other types."""
    if tp in (str, int, bool, type(None)):
        return type(value) is tp
    if tp is float:
        if type(value) is int:
            return abs(value) < 2**1023  # an integer too large for a float is rejected
        return type(value) is float
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return type(value) is str
    if typing.get_origin(tp) in UNIONS:
        answers = [_admits(value, a) for a in typing.get_args(tp)]
        return None if None in answers else any(answers)
    return None


@pytest.mark.parametrize("cls", READABLE, ids=[m.__name__ for m in READABLE])
@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_one_value_replaced_by_any_json(data: st.DataObject, cls: type[Any]) -> None:
    strategy = well_formed(cls)
    assert strategy is not None
    document = data.draw(strategy)
    places = _places(document, cls)
    plain = [place for place in places if _admits(None, place[1]) is not None]
    aim_at_plain = bool(plain) and data.draw(st.booleans())  # half the time, a plain scalar field
    path, tp = data.draw(st.sampled_from(plain if aim_at_plain else places))
    replacement = data.draw(json_values | st.sampled_from(["1", "true", "", 1, 1.5, True, 0, None, {}, []]))
    if not path:
        document = replacement
    else:
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        parent[path[-1]] = replacement
    model = read({"data": document}, cls)
    admitted = _admits(replacement, tp)
    if admitted is not None:  # a plain scalar field: read exactly when its JSON type is right, never coerced
        assert (model is not None) == admitted, f"{path}: {replacement!r} as {tp}"
