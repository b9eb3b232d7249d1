"""Wire JSON -> models: one rule set, one generated reader per class; and request models -> JSON.

How a value is read
    Every type a model field can have maps to one rule (``_Rule``, built by
    ``_Reader._rule_for``): a function that takes the decoded JSON value and returns the
    typed value or raises. The rules are strict about JSON types:

    * ``str`` is a JSON string, ``bool`` is ``true``/``false``, ``int`` is an integer
      (not ``true``, not ``12.9``, and not ``12.0`` either: an integer field that arrives
      as a float means the API changed what it sends, and it is reported, not rounded);
      ``float`` is any JSON number (``16`` -> ``16.0``), never a string or a boolean.
    * ``datetime``: an ISO 8601 string -> aware ``datetime`` (naive text is taken as UTC);
      ``datetime.time``: ``"HH:MM[:SS]"``.
    * ``E | str`` (an "open enum"): a string; known values become the member, unknown
      ones stay plain strings. ``E | str | bool``: an open enum an older API sent as a
      boolean, which is kept as is (``Site.smart_charging``).
    * ``T | None``: null or ``T``; ``tuple[T, ...]``: a JSON array; ``dict[str, V]`` and
      ``Mapping[str, V]``: a JSON object; ``Any``: any JSON value as decoded.
    * An attrs class: a JSON object, read by a function generated once per class (below).
    * Numbers as strings only where API.md documents the trap, through the ``Annotated``
      markers of ``models/_wire.py`` (to a type checker they are the plain type):
      ``Number`` (``total_kwh``: ``7`` or ``"7.00"``) -> float, else an error;
      ``Reading`` (meter and power values) -> float, other text (``"-"``) -> None;
      ``JsonPayload``: an object/array or JSON text of one; ``MaybeTimestamp``: ``"-"`` -> None;
      ``ReadingText`` (``Meter.power_error``, read from the key of ``power``): the text sent
      instead of a number, else None.
    * A type no JSON value can be (``Exception`` in the fleet reports) rejects every value.

How an object is read
    ``_Reader._class_rule`` generates (``exec``, once per class) a function that reads each
    field's key once and applies the field's rule: the common case of a rule (a ``str``
    that is a ``str``, a known enum value) is written inline, anything else calls the
    rule's function, so the inline line is a shortcut of the same rule, not a second one.
    Absent keys take the attribute's default; a required key that is absent is an error.
    Each field sits in its own ``try`` (free in Python 3.11 when nothing is raised). On a
    failure the field's rule function is run again on the value to word the misfit, the
    other fields are still read, and one ``StructureError`` names every misfit with its
    path from the top of the body as received, in wire keys (``expected an integer, got a
    number (12.9) @ $.data.connectors[0].id``; ``$.data`` when the answer was enveloped).
    JSON null or an empty (204) body where an object was expected says so ("got
    null/empty body"). There is no second, "detailed" pass: the generated function is the
    only path. Plain frozen models are built by setting their slots (the figure is beside
    the code); a model with validators, converters or init hooks is built by its ``__init__``.

    Why not cattrs' generated functions: the stock converter measured 1.20-1.25x raw
    aiohttp on the bulk benchmark (PERFORMANCE.md) and its detailed validation is a second,
    slower pass; the rules here are few, and written once.

Production and tests
    ``structure`` (production) tolerates keys the model does not know: the API adds
    fields over time. ``structure_strict`` is the same reader with one more generated line
    that reports unknown keys; the tests run every recorded fixture through it so API
    drift shows up. Both build their functions from the same rules.

Secrets
    A model field left out of the repr (``attrs.field(repr=False)``) is a secret: a misfit
    names its kind, never its value, and ``structure_response`` attaches the answer to its
    error only through ``scrub_secrets`` (every secret value, and its text wherever the body
    repeats it, becomes ``***``). A new secret needs nothing here: mark the field ``repr=False``.

Adding a model with a wire quirk: touch one place
    * A value the wire spells loosely: give the field a marker type from ``models/_wire.py``
      (``total_kwh: Number``); a new kind of looseness is a new marker there plus its
      function in ``_MARKER_RULES`` below.
    * A key that is not the attribute name (``L1`` for ``l1``), a reading kept as sent
      (``raw_value``) or an array wrapped as ``{"data": [...]}``: one ``_FIELD_RULES``
      entry for the class. ``wire_names(cls)`` lists the resulting keys.
    * An answer passed through from the charger in OCPP camelCase: add its class to
      ``_OCPP_ANSWERS``; it and every class inside it are read with camelCased keys
      (``connector_id`` <- ``connectorId``), so a ``ChargingSchedule`` is camelCase inside
      a ``CompositeSchedule`` and snake_case anywhere else.

``unstructure_request`` turns request models (``ChargingProfile``) into JSON bodies with a
small cattrs converter (requests are rare and tiny; only reading answers is hot).
"""

from __future__ import annotations

import collections.abc
import enum
import linecache
import math
import re
import types
import typing
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, time
from typing import Any, Final, TypeVar

import attrs
import cattrs
import orjson

from ._http import unwrap
from .exceptions import ResponseValidationError
from .models import (
    CompositeSchedule,
    GraphCurrentPoint,
    GraphVoltagePoint,
    LatestMeterValue,
    Meter,
    MeterValue,
    PowerManagement,
    PowerUsage,
    SampledValue,
    TeamCharger,
)
from .models._wire import Wire

__all__ = [
    "StructureError",
    "WireValueError",
    "scrub_secrets",
    "structure",
    "structure_response",
    "structure_strict",
    "unstructure_request",
    "wire_names",
]

T = TypeVar("T")


class StructureError(Exception):
    """Raised by ``structure`` with a readable explanation (field paths) of why the data does not fit."""


class WireValueError(ValueError):
    """A wire value one of the rules rejects with its own wording; the message is quoted verbatim."""


class _Misfit(Exception):
    """Misfits found inside a value: ``(path below the value, message)`` pairs."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__(errors)
        self.errors = errors


# --- Describing values in messages ------------------------------------------------------------------


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(value: Any, *, secret: bool = False) -> str:
    """``a string ('abc')``, ``an integer (12)``, ``null``... (``secret``: the kind without the value)."""
    if value is None:
        return "null"
    cls = value.__class__
    if cls is bool:
        return "a boolean" if secret else f"a boolean ({'true' if value else 'false'})"
    kind = {int: "an integer", float: "a number", str: "a string", dict: "an object", list: "an array"}.get(cls)
    if kind is None:
        return f"a {cls.__name__}"
    if secret or cls is dict or cls is list:
        return kind
    if cls is int and value.bit_length() > 128:  # repr() refuses integers past 4,300 digits
        return f"an integer of {value.bit_length()} bits"
    return f"{kind} ({_short(repr(value))})"


def _path_key(key: Any) -> str:
    return f".{key}" if isinstance(key, str) and key.isidentifier() else f"[{key!r}]"


def _explain(exc: BaseException, value: Any, rule: _Rule, *, secret: bool = False) -> list[tuple[str, str]]:
    """The misfits ``exc`` stands for, with paths below ``value`` (``secret``: never quote the value)."""
    if isinstance(exc, _Misfit):
        return exc.errors
    if isinstance(exc, WireValueError) and not secret:
        return [("", str(exc))]
    return [("", f"expected {rule.expect}, got {_describe(value, secret=secret)}")]


class _Field(typing.NamedTuple):
    """What the generated code hands to ``_field_failed`` about one field."""

    key: str
    rule: _Rule
    secret: bool


def _field_failed(
    errors: list[tuple[str, str]] | None, exc: BaseException, obj: dict[str, Any], field: _Field
) -> list[tuple[str, str]]:
    """Record the misfit of one field of ``obj`` (called by the generated functions, on failure only).

    The explanation comes from the field's rule function itself, run again on the value:
    the inline lines of a generated function are only its shortcut.
    """
    errors = [] if errors is None else errors
    where = _path_key(field.key)
    if field.key not in obj:
        errors.append((where, "required key missing"))
        return errors
    value = obj[field.key]
    try:
        field.rule.read(value)
    except Exception as rule_exc:
        exc = rule_exc
    errors.extend((where + path, message) for path, message in _explain(exc, value, field.rule, secret=field.secret))
    return errors


def _unknown_keys(
    errors: list[tuple[str, str]] | None, obj: dict[str, Any], known: frozenset[str], name: str
) -> list[tuple[str, str]]:
    """Record the keys of ``obj`` its model does not know (strict reading only)."""
    errors = [] if errors is None else errors
    errors.extend((_path_key(key), f"unknown key (not a field of {name})") for key in obj if key not in known)
    return errors


# --- Rules --------------------------------------------------------------------------------------------


@attrs.frozen
class _Rule:
    """How one type is read from JSON.

    ``read`` is the rule: it returns the typed value or raises. ``inline`` (optional) is
    the rule's common case as source lines over ``{v}`` for the generated class functions;
    ``{f}`` is ``read`` and ``{f}_<name>`` the entries of ``consts``. ``expect`` words
    what fits, for messages.
    """

    expect: str
    read: Callable[[Any], Any]
    inline: tuple[str, ...] = ()
    consts: dict[str, Any] = attrs.field(factory=dict)


def _read_str(value: Any) -> str:
    if value.__class__ is str:
        return value
    raise TypeError


def _read_int(value: Any) -> int:
    if value.__class__ is int:
        return value
    raise TypeError


def _read_float(value: Any) -> float:
    cls = value.__class__
    if cls is float:
        return value  # type: ignore[no-any-return]
    if cls is int:
        return float(value)
    raise TypeError


def _read_bool(value: Any) -> bool:
    if value.__class__ is bool:
        return value
    raise TypeError


def _read_datetime(value: Any) -> datetime:
    if value.__class__ is not str:
        raise TypeError
    dt = datetime.fromisoformat(value)
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _read_time(value: Any) -> time:
    if value.__class__ is not str:
        raise TypeError
    return time.fromisoformat(value)


def _read_any(value: Any) -> Any:
    return value


def _exact(expect: str, read: Callable[[Any], Any], cls: type) -> _Rule:
    """A rule whose common case is a value of exactly ``cls``, kept as is."""
    return _Rule(expect, read, (f"if {{v}}.__class__ is not {cls.__name__}: {{v}} = {{f}}({{v}})",))


_SCALAR_RULES: Final[dict[Any, _Rule]] = {
    str: _exact("a string", _read_str, str),
    int: _exact("an integer", _read_int, int),
    float: _Rule(
        "a number",
        _read_float,
        ("if {v}.__class__ is not float: {v} = {f}_float({v}) if {v}.__class__ is int else {f}({v})",),
        {"float": float},
    ),
    bool: _exact("a boolean", _read_bool, bool),
    datetime: _Rule(
        "an ISO 8601 timestamp",
        _read_datetime,
        (
            "{v} = {f}_parse({v}) if {v}.__class__ is str else {f}({v})",
            "if {v}.tzinfo is None: {v} = {v}.replace(tzinfo={f}_UTC)",
        ),
        {"parse": datetime.fromisoformat, "UTC": UTC},
    ),
    time: _Rule("a time of day (HH:MM[:SS])", _read_time),
    typing.Any: _Rule("any JSON value", _read_any, ("pass",)),
}


def _parse_number_text(text: str) -> float | None:
    """``"7.00"`` -> 7.0, ``" 12.5 "`` -> 12.5; None when the text is not a finite number."""
    if "_" in text:  # float() reads "1_000"; the wire never means that
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _read_number(value: Any) -> float:
    """``Number``: a JSON number or a numeric string -> float; anything else is an error."""
    cls = value.__class__
    if cls is float:
        return value  # type: ignore[no-any-return]
    if cls is int:
        return float(value)
    if cls is str:
        number = _parse_number_text(value)
        if number is not None:
            return number
    raise WireValueError(f"expected a number or a numeric string, got {_short(repr(value))}")


def _read_reading(value: Any) -> float | None:
    """``Reading``: a number or numeric string -> float; ``"-"`` or any other text -> None."""
    cls = value.__class__
    if cls is str:
        return _parse_number_text(value)
    if cls is float or cls is int:
        return float(value)
    if value is None:
        return None
    raise WireValueError(f"expected a reading (a number or a string), got {_describe(value)}")


def _read_raw_text(value: Any) -> str | None:
    """The wire text of a reading, kept beside the parsed number (``raw_value``); None for null or no value."""
    cls = value.__class__
    if cls is str:
        return value  # type: ignore[no-any-return]
    if cls is int or cls is float:
        return str(value)
    if value is None:
        return None
    raise WireValueError(f"expected the reading as a string, a number or null, got {_describe(value)}")


def _read_json_payload(value: Any) -> Any:
    """``JsonPayload``: an object or array as is; JSON text of one decoded; other text is an error."""
    cls = value.__class__
    if value is None or cls is dict or cls is list:
        return value
    if cls is str:
        try:
            decoded = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise WireValueError(
                f"expected a JSON object or array, got a string that is not JSON: {_short(repr(value))}"
            ) from None
        if decoded is None or type(decoded) is dict or type(decoded) is list:
            return decoded
        raise WireValueError(f"expected a JSON object or array, got JSON text holding a {type(decoded).__name__}")
    raise WireValueError(f"expected a JSON object, array or JSON text, got {cls.__name__}")


def _read_timestamp_or_dash(value: Any) -> datetime | None:
    """``MaybeTimestamp``: a timestamp; None for null and for the placeholder ``"-"``."""
    if value is None or (value.__class__ is str and value.strip() in ("-", "")):
        return None
    return _read_datetime(value)


def _read_reading_text(value: Any) -> str | None:
    """``ReadingText``: the text a reading carries instead of a number; None for a number, null, "-" or blank."""
    cls = value.__class__
    if cls is str:
        text = value.strip()
        return None if text in ("", "-") or _parse_number_text(text) is not None else text
    if cls is float or cls is int or value is None:
        return None
    raise WireValueError(f"expected a reading (a number or a string), got {_describe(value)}")


_MARKER_RULES: Final[dict[Wire, _Rule]] = {
    Wire.NUMBER: _Rule("a number or a numeric string", _read_number),
    Wire.READING: _Rule("a reading (a number or a string)", _read_reading),
    Wire.JSON: _Rule("a JSON object, array or JSON text", _read_json_payload),
    Wire.TIMESTAMP_OR_DASH: _Rule('an ISO 8601 timestamp or "-"', _read_timestamp_or_dash),
    Wire.READING_TEXT: _Rule("a reading (a number or a string)", _read_reading_text),
}

_RAW_TEXT_RULE: Final = _Rule("a string or a number", _read_raw_text)


def _optional(inner: _Rule) -> _Rule:
    """``T | None``: null, or what ``inner`` reads."""
    read = inner.read

    def read_optional(value: Any) -> Any:
        return None if value is None else read(value)

    lines = inner.inline or ("{v} = {f}({v})",)
    inline = ("if {v} is not None:", *(f"    {line}" for line in lines))
    expect = f"null or {inner.expect}" if "," in inner.expect else f"{inner.expect} or null"
    return _Rule(expect, read_optional, inline, inner.consts)


def _open_enum(enum_cls: type[enum.Enum], *, keep_bool: bool, nullable: bool) -> _Rule:
    """``E | str`` (``| bool``, ``| None``): a known value is the member, an unknown string stays a string."""
    members: dict[Any, Any] = dict(enum_cls._value2member_map_)

    def read_open_enum(value: Any) -> Any:
        if value.__class__ is str:
            return members.get(value, value)
        if (value is None and nullable) or (value.__class__ is bool and keep_bool):
            return value
        raise TypeError

    expect = "a string or a boolean" if keep_bool else "a string"
    return _Rule(
        f"{expect} or null" if nullable else expect,
        read_open_enum,
        (
            "{v} = {f}_members.get({v}, {v}) if {v}.__class__ is str else {f}({v})"
            if not nullable  # null is the common other value: no call for it
            else "{v} = {f}_members.get({v}, {v}) if {v}.__class__ is str else None if {v} is None else {f}({v})",
        ),
        {"members": members},
    )


def _items(item: _Rule) -> _Rule:
    """``tuple[T, ...]``: a JSON array; a failure names each failing index (the array is read again)."""
    read_item = item.read

    def read_items(value: Any) -> tuple[Any, ...]:
        if value.__class__ is not list:
            raise TypeError
        try:
            return tuple(map(read_item, value))
        except Exception:  # explained below, item by item, with the same rule
            pass
        errors: list[tuple[str, str]] = []
        for index, element in enumerate(value):
            try:
                read_item(element)
            except Exception as exc:
                errors.extend((f"[{index}]{path}", message) for path, message in _explain(exc, element, item))
        raise _Misfit(errors)

    return _Rule(
        f"a JSON array, each item {item.expect}",
        read_items,
        ("{v} = tuple(map({f}_item, {v})) if {v}.__class__ is list else {f}({v})",),
        {"item": read_item},
    )


def _mapping(value_rule: _Rule) -> _Rule:
    """``dict[str, V]`` / ``Mapping[str, V]``: a JSON object, each value read by ``value_rule``."""
    read_value = value_rule.read

    def read_mapping(value: Any) -> dict[str, Any]:
        if value.__class__ is not dict:
            raise TypeError
        errors: list[tuple[str, str]] = []
        result = {}
        for key, element in value.items():
            try:
                result[key] = read_value(element)
            except Exception as exc:
                errors.extend((_path_key(key) + path, msg) for path, msg in _explain(exc, element, value_rule))
        if errors:
            raise _Misfit(errors)
        return result

    return _Rule(f"a JSON object, each value {value_rule.expect}", read_mapping)


def _enveloped(inner: _Rule) -> _Rule:
    """An array the wire may wrap as ``{"data": [...]}``."""
    read = inner.read

    def read_enveloped(value: Any) -> Any:
        if value.__class__ is dict and "data" in value:
            try:
                return read(value["data"])
            except _Misfit as exc:
                raise _Misfit([(".data" + path, message) for path, message in exc.errors]) from None
        return read(value)

    return _Rule(f"{inner.expect} (or {{'data': ...}} around it)", read_enveloped)


def _unreadable(tp: Any) -> _Rule:
    """A type no JSON value can be (e.g. ``Exception`` in fleet reports): every value is a misfit."""

    def read_unreadable(value: Any) -> Any:
        raise TypeError

    return _Rule(f"a {_type_name(tp)}, which cannot be read from JSON", read_unreadable)


# --- Where the wire is not simply ``attribute: value`` -----------------------------------------------


class _FieldRule(typing.NamedTuple):
    """How one attribute sits on the wire when it is not simply ``attribute: value``."""

    wire: str | None = None  # the wire key, when it differs from the attribute name
    raw_text: bool = False  # keep the wire text of the reading (``raw_value`` beside ``value``)
    enveloped: bool = False  # an array the wire wraps as ``{"data": [...]}``


_RAW_READING: Final = _FieldRule(wire="value", raw_text=True)
_UPPERCASE_PHASES: Final = {"l1": _FieldRule(wire="L1"), "l2": _FieldRule(wire="L2"), "l3": _FieldRule(wire="L3")}

#: Per-class wire rules; every other attribute is read from the key of its own name.
_FIELD_RULES: Final[dict[type, dict[str, _FieldRule]]] = {
    MeterValue: {"raw_value": _RAW_READING},
    SampledValue: {"raw_value": _RAW_READING},
    PowerUsage: {**_UPPERCASE_PHASES, "kw": _FieldRule(wire="kW")},
    GraphCurrentPoint: _UPPERCASE_PHASES,
    GraphVoltagePoint: _UPPERCASE_PHASES,
    TeamCharger: {"connectors": _FieldRule(enveloped=True)},
    Meter: {"power_error": _FieldRule(wire="power")},
}

#: Answers the API passes through from the charger in OCPP camelCase: these classes, and
#: every class inside them, are read with camelCased keys (``connector_id`` <- ``connectorId``).
#: ``PowerManagement`` is not OCPP, but its answer is camelCase all the way down too.
_OCPP_ANSWERS: Final = (LatestMeterValue, CompositeSchedule, PowerManagement)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def wire_names(cls: type[Any], *, ocpp: bool = False) -> dict[str, str]:
    """Attribute name -> wire key for ``cls`` (``ocpp``: as read inside an OCPP camelCase answer)."""
    rules = _FIELD_RULES.get(cls, {})
    names = {}
    for field in attrs.fields(cls):
        rule = rules.get(field.name)
        if rule is not None and rule.wire is not None:
            names[field.name] = rule.wire
        else:
            names[field.name] = _camel(field.name) if ocpp else field.name
    return names


# --- The reader: rules for types, generated functions for classes ------------------------------------

_MISSING: Final = object()
_UNION_ORIGINS: Final = (typing.Union, types.UnionType)


def _admits_none(tp: Any) -> bool:
    """Whether JSON null is a value of ``tp`` (``T | None``, ``Reading``, ``Any``...)."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _admits_none(typing.get_args(tp)[0])
    return tp is typing.Any or (origin in _UNION_ORIGINS and type(None) in typing.get_args(tp))


class _Reader:
    """Builds (once) and caches the rule of every type; ``strict`` readers also report unknown keys."""

    def __init__(self, *, strict: bool) -> None:
        self.strict = strict
        self._rules: dict[tuple[Any, bool], _Rule] = {}

    def read_fn(self, tp: Any) -> Callable[[Any], Any]:
        return self.rule(tp).read

    def rule(self, tp: Any, *, ocpp: bool = False) -> _Rule:
        ocpp = ocpp or tp in _OCPP_ANSWERS
        cached = self._rules.get((tp, ocpp))
        if cached is None:
            cached = self._rules[(tp, ocpp)] = self._rule_for(tp, ocpp=ocpp)
        return cached

    def _rule_for(self, tp: Any, *, ocpp: bool) -> _Rule:
        scalar = _SCALAR_RULES.get(tp)
        if scalar is not None:
            return scalar
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin is typing.Annotated:
            markers = [m for m in tp.__metadata__ if isinstance(m, Wire)]
            return _MARKER_RULES[markers[0]] if markers else self.rule(args[0], ocpp=ocpp)
        if origin in _UNION_ORIGINS:
            return self._union_rule(tp, args, ocpp=ocpp)
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            return _items(self.rule(args[0], ocpp=ocpp))
        if origin in (dict, collections.abc.Mapping) and args and args[0] is str:
            return _mapping(self.rule(args[1], ocpp=ocpp))
        if isinstance(tp, type) and attrs.has(tp):
            return self._class_rule(tp, ocpp=ocpp)
        return _unreadable(tp)

    def _union_rule(self, tp: Any, args: tuple[Any, ...], *, ocpp: bool) -> _Rule:
        nullable = type(None) in args
        rest = [a for a in args if a is not type(None)]
        enums = [a for a in rest if isinstance(a, type) and issubclass(a, enum.Enum)]
        if len(enums) == 1 and str in rest and set(rest) <= {enums[0], str, bool}:
            return _open_enum(enums[0], keep_bool=bool in rest, nullable=nullable)
        if nullable and len(rest) == 1:
            return _optional(self.rule(rest[0], ocpp=ocpp))
        return _unreadable(tp)

    def _class_rule(self, cls: type[Any], *, ocpp: bool) -> _Rule:
        """Generate the function that reads ``cls`` from a JSON object (see the module docstring)."""
        hints = typing.get_type_hints(cls, include_extras=True)
        names = wire_names(cls, ocpp=ocpp)
        field_rules = _FIELD_RULES.get(cls, {})
        env: dict[str, Any] = {
            "__cl": cls,
            "_MISSING": _MISSING,
            "_failed": _field_failed,
            "_unknown": _unknown_keys,
            "_Misfit": _Misfit,
        }
        body: list[str] = []
        kwargs: list[str] = []
        for i, field in enumerate(f for f in attrs.fields(cls) if f.init):
            var, key, fn = f"v{i}", names[field.name], f"f{i}"
            wire_rule = field_rules.get(field.name, _FieldRule())
            if wire_rule.raw_text:
                rule = _RAW_TEXT_RULE
            elif wire_rule.enveloped:
                rule = _enveloped(self.rule(hints[field.name], ocpp=ocpp))
            else:
                rule = self.rule(hints[field.name], ocpp=ocpp)
            env[fn] = rule.read
            env.update({f"{fn}_{name}": value for name, value in rule.consts.items()})
            # a secret, or a value that may hold one: a misfit names its kind, never quotes it
            env[f"i{i}"] = _Field(key, rule, secret=not field.repr or holds_secrets(hints[field.name]))
            convert = [line.format(v=var, f=fn) for line in rule.inline or ("{v} = {f}({v})",)]
            default = field.default
            if default is attrs.NOTHING:
                read = [f"{var} = o[{key!r}]", *convert]
            elif default is None and _admits_none(hints[field.name]):  # absent reads as null: same value
                read = [f"{var} = g({key!r})", *convert]
            else:
                env[f"d{i}"] = default
                fallback = f"d{i}.factory()" if isinstance(default, attrs.Factory) else f"d{i}"  # type: ignore[arg-type]
                read = [f"{var} = g({key!r}, _MISSING)", f"if {var} is _MISSING:", f"    {var} = {fallback}", "else:"]
                read += [f"    {c}" for c in convert]
            body += ["    try:", *(f"        {line}" for line in read), "    except Exception as x:"]
            body.append(f"        e = _failed(e, x, o, i{i})")
            kwargs.append(f"{field.alias}={var}")
        if self.strict:
            env["_known"] = frozenset(names.values())
            body.append(f"    if not _known.issuperset(o): e = _unknown(e, o, _known, {cls.__name__!r})")
        name = f"read_{cls.__name__}{'_ocpp' if ocpp else ''}{'_strict' if self.strict else ''}"
        lines = [
            f"def {name}(o):",
            "    if o.__class__ is not dict: raise TypeError",
            "    g = o.get",
            "    e = None",
            *body,
            "    if e is not None: raise _Misfit(e)",
        ]
        if _built_by_slots(cls):
            # The values are checked above: build the frozen instance by setting its slots, as its
            # __init__ would, without the call and the object.__setattr__ wrapper (a GC-tracked
            # allocation) it makes per instance. Measured with benchmarks/bench_instructions.py
            # (callgrind, 1,000 GET /chargers/{uuid}): 745k -> 696k instructions a request, -6.6%.
            env["_new"] = object.__new__
            env.update({f"s{j}": getattr(cls, f.name).__set__ for j, f in enumerate(attrs.fields(cls))})
            lines += ["    r = _new(__cl)", *(f"    s{j}(r, v{j})" for j in range(len(kwargs))), "    return r"]
        else:  # its __init__ does more (validators, converters, hooks): it builds the instance
            lines += ["    try:", f"        return __cl({', '.join(kwargs)})", "    except Exception as x:"]
            lines.append(f"        raise _Misfit([('', f'{cls.__name__} refused the values: {{x}}')]) from x")
        source = "\n".join(lines) + "\n"
        filename = f"<plugchoice_async reader {cls.__module__}.{cls.__qualname__}{' ocpp' if ocpp else ''}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
        exec(compile(source, filename, "exec"), env)  # our own generated source, see above
        return _Rule(f"a JSON object ({cls.__name__})", env[name])


def _built_by_slots(cls: type[Any]) -> bool:
    """Whether setting its slots is all the ``__init__`` of ``cls`` does (no validators, converters or hooks)."""
    if any(hasattr(cls, hook) for hook in ("__attrs_pre_init__", "__attrs_post_init__", "__attrs_init__")):
        return False
    return all(
        field.init
        and field.validator is None
        and field.converter is None
        and isinstance(getattr(cls, field.name, None), types.MemberDescriptorType)
        for field in attrs.fields(cls)
    )


_production: Final = _Reader(strict=False)
_strict: Final = _Reader(strict=True)
_production_fns: dict[Any, Callable[[Any], Any]] = {}  # the hot path: one dict lookup per answer
_MAX_SHOWN: Final = 20  # misfits quoted in one message


def _root_name(tp: Any) -> str:
    if isinstance(tp, type) and attrs.has(tp):
        return f"a JSON object ({tp.__name__})"
    return f"a JSON array ({_type_name(tp)})" if typing.get_origin(tp) is tuple else _type_name(tp)


def _structure_error(exc: Exception, data: Any, inner: Any, rule: _Rule, tp: Any) -> StructureError:
    """One message naming every misfit with its path from the top of ``data``."""
    root = "$.data" if inner is not data else "$"
    if inner is None:
        errors = [("", f"expected {_root_name(tp)}, got null/empty body")]
    elif isinstance(exc, _Misfit | WireValueError):
        errors = _explain(exc, inner, rule)
    else:
        errors = [("", f"expected {_root_name(tp)}, got {_describe(inner, secret=holds_secrets(tp))}")]
    shown = [f"{message} @ {root}{path}" for path, message in errors[:_MAX_SHOWN]]
    if len(errors) > _MAX_SHOWN:
        shown.append(f"... and {len(errors) - _MAX_SHOWN} more")
    return StructureError("; ".join(shown))


def _check_envelope(data: Any, inner: Any, cls: type[Any]) -> None:
    """Refuse ``{"data": <not an object>}`` for a model without a ``data`` field of its own.

    Read as is, such an answer would be an object whose only key is unknown: a model of Nones
    (every field but the identity is optional), which would hide that the answer did not fit. An
    empty array passes: it is how PHP encodes an empty object.
    """
    if inner is not data or type(data) is not dict or "data" not in data:
        return  # unwrapped (the hot path), or no envelope at all
    value = data["data"]
    if value is None or value == [] or not attrs.has(cls) or "data" in wire_names(cls).values():
        return
    raise StructureError(f"expected a JSON object in 'data', got {_describe(value, secret=True)} @ $.data")


def structure(data: Any, cls: type[T]) -> T:
    """Read ``data`` (or its ``{"data": ...}`` envelope) as ``cls``; unknown keys are ignored.

    A misfit raises ``StructureError`` naming every failing path (``$.data.connectors[0].id``).
    """
    inner = unwrap(data)
    _check_envelope(data, inner, cls)
    read = _production_fns.get(cls)
    if read is None:
        read = _production_fns[cls] = _production.read_fn(cls)
    try:
        return read(inner)  # type: ignore[no-any-return]
    except Exception as exc:  # every rule failure is explained the same way
        raise _structure_error(exc, data, inner, _production.rule(cls), cls) from exc


def structure_strict(data: Any, cls: type[T]) -> T:
    """``structure`` that also reports keys the models do not know; for tests against recorded fixtures."""
    inner = unwrap(data)
    _check_envelope(data, inner, cls)
    try:
        return _strict.read_fn(cls)(inner)  # type: ignore[no-any-return]
    except Exception as exc:
        raise _structure_error(exc, data, inner, _strict.rule(cls), cls) from exc


def _type_name(tp: Any) -> str:
    """``Charger`` for a class, ``tuple[Transaction, ...]`` for a list of items."""
    if isinstance(tp, type) and not typing.get_args(tp):
        return tp.__name__
    return re.sub(r"\b(?:\w+\.)+(\w+)", r"\1", repr(tp))


# --- Secrets: kept out of error bodies --------------------------------------------------------------
#
# A secret is the value of a model field left out of the repr (``attrs.field(repr=False)``:
# tokens, invite tokens and links, client secrets, payment intents, ephemeral keys, pincodes).
# The reader never quotes one in a message; ``structure_response`` attaches the answer to its
# ``ResponseValidationError`` only after ``scrub_secrets``: every value of a secret field is
# replaced by ``***``, and so is that text wherever else the body repeats it (an invite link
# carrying the invite token). Where a model holding secrets expected an object or an array and
# the answer has something else, that value is replaced whole: which part is secret cannot be
# told. Nothing is scrubbed on the way to a model: a model's own repr hides its secrets.

REDACTED: Final = "***"
_MIN_QUOTED_SECRET: Final = 4  # a shorter secret is replaced where it is a whole value, not inside text
_secret_types: dict[Any, bool] = {}


def _find_secrets(tp: Any, seen: set[type]) -> bool:
    if isinstance(tp, type) and attrs.has(tp):
        if tp in seen:  # a recursive model: its fields are being looked at already
            return False
        seen.add(tp)
        hints = typing.get_type_hints(tp, include_extras=True)
        return any(not f.repr or _find_secrets(hints[f.name], seen) for f in attrs.fields(tp) if f.init)
    return any(_find_secrets(arg, seen) for arg in typing.get_args(tp) if arg is not Ellipsis)


def holds_secrets(tp: Any) -> bool:
    """Whether a value of ``tp`` can hold a secret: a ``repr=False`` field of a model, at any depth."""
    known = _secret_types.get(tp)
    if known is None:
        known = _secret_types[tp] = _find_secrets(tp, set())
    return known


def _secret_texts(value: Any, found: list[str]) -> None:
    """Collect every string inside the value of a secret field (a misfit may be an object or an array)."""
    if value.__class__ is str:
        if value:
            found.append(value)
    elif value.__class__ is dict:
        for item in value.values():
            _secret_texts(item, found)
    elif value.__class__ is list:
        for item in value:
            _secret_texts(item, found)


def _scrub_fields(value: Any, tp: Any, ocpp: bool, found: list[str]) -> Any:
    """``value`` (read as ``tp``) with the values of secret fields replaced, collected in ``found``."""
    if value is None or not holds_secrets(tp):
        return value
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        return _scrub_fields(value, args[0], ocpp, found)
    if origin in _UNION_ORIGINS:
        rest = [arg for arg in args if arg is not type(None)]
        return _scrub_fields(value, rest[0], ocpp, found) if len(rest) == 1 else REDACTED
    if isinstance(tp, type) and attrs.has(tp):
        if value.__class__ is not dict:
            return REDACTED
        ocpp = ocpp or tp in _OCPP_ANSWERS
        names, rules = wire_names(tp, ocpp=ocpp), _FIELD_RULES.get(tp, {})
        hints = typing.get_type_hints(tp, include_extras=True)
        scrubbed = dict(value)
        for field in attrs.fields(tp):
            key = names[field.name]
            if not field.init or key not in value:
                continue
            item = value[key]
            if not field.repr:
                _secret_texts(item, found)
                scrubbed[key] = REDACTED
            elif rules.get(field.name, _FieldRule()).enveloped and item.__class__ is dict and "data" in item:
                scrubbed[key] = {**item, "data": _scrub_fields(item["data"], hints[field.name], ocpp, found)}
            else:
                scrubbed[key] = _scrub_fields(item, hints[field.name], ocpp, found)
        return scrubbed
    if origin is tuple:
        return [_scrub_fields(item, args[0], ocpp, found) for item in value] if value.__class__ is list else REDACTED
    if origin in (dict, collections.abc.Mapping):
        if value.__class__ is not dict:
            return REDACTED
        return {key: _scrub_fields(item, args[1], ocpp, found) for key, item in value.items()}
    return REDACTED


def _without_texts(value: Any, whole: frozenset[str], inside: tuple[str, ...]) -> Any:
    """``value`` with every secret text replaced: whole strings, and (long enough ones) inside strings."""
    if value.__class__ is str:
        if value in whole:
            return REDACTED
        for secret in inside:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
    if value.__class__ is dict:
        return {key: _without_texts(item, whole, inside) for key, item in value.items()}
    if value.__class__ is list:
        return [_without_texts(item, whole, inside) for item in value]
    return value


def _scrub(data: Any, tp: Any, known: Iterable[str]) -> tuple[Any, list[str]]:
    """``scrub_secrets``, and the secret texts it found (``known`` included)."""
    found = [text for text in known if text]
    if not found and not holds_secrets(tp):
        return data, found
    is_model = isinstance(tp, type) and attrs.has(tp)
    if data.__class__ is dict and "data" in data and not (is_model and "data" in wire_names(tp)):
        # An envelope (or a misfit that looks like one): its "data" is read as ``tp``, and so
        # are the keys beside it, as the answer may be either.
        scrubbed = _scrub_fields(data, tp, False, found) if is_model else dict(data)
        scrubbed["data"] = _scrub_fields(data["data"], tp, False, found)
    else:
        scrubbed = _scrub_fields(data, tp, False, found)
    if not found:
        return scrubbed, found
    inside = tuple(sorted({text for text in found if len(text) >= _MIN_QUOTED_SECRET}, key=len, reverse=True))
    return _without_texts(scrubbed, frozenset(found), inside), found


def scrub_secrets(data: Any, tp: Any, known: Iterable[str] = ()) -> Any:
    """The answer ``data`` (read as ``tp``) with its secrets replaced by ``***``, for an error's ``body``.

    Every value of a ``repr=False`` field (lists and objects included, at any depth, in an
    enveloped answer too) is replaced, and its text wherever else the body repeats it; a value
    where a model holding secrets expected an object or an array is replaced whole. ``known``
    are secrets the caller holds (the session token of a public-charging path): their text is
    replaced too, wherever it is. ``data`` is not changed: the scrubbed body is a copy.
    """
    return _scrub(data, tp, known)[0]


def _unquoted(message: str, secrets: list[str]) -> str:
    """``message`` without the secrets a misfit of another field may quote (whole, or cut short)."""
    for secret in sorted((s for s in secrets if len(s) >= _MIN_QUOTED_SECRET), key=len, reverse=True):
        message = message.replace(_short(repr(secret)), repr(REDACTED)).replace(secret, REDACTED)
    return message


def structure_response(data: Any, cls: type[T], *, method: str, path: str, secrets: Iterable[str] = ()) -> T:
    """``structure`` for an API answer: a misfit raises ``ResponseValidationError`` naming the request.

    The error's ``body`` is the answer without its secrets (``scrub_secrets``; ``secrets``: texts
    the caller knows to be secret, scrubbed as well); where the answer repeats a secret in a
    field that does not fit, the message does not quote it either.
    """
    try:
        return structure(data, cls)
    except StructureError as exc:
        body, found = _scrub(data, cls, secrets)
        raise ResponseValidationError(
            _unquoted(f"the answer does not fit {_type_name(cls)}: {exc}", found),
            method=method,
            path=path,
            status=200,
            body=body,
        ) from exc


# --- Request bodies -------------------------------------------------------------------------------------


def _unstructure_datetime(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` (naive datetimes are taken as UTC, as on the way in)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _unstructure_enum(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _is_open_enum(tp: Any) -> bool:
    args = typing.get_args(tp)
    return typing.get_origin(tp) in _UNION_ORIGINS and any(
        isinstance(a, type) and issubclass(a, enum.Enum) for a in args
    )


# Request bodies only: fields left at their default (None) are dropped, enums become their values.
_requests: Final = cattrs.Converter(omit_if_default=True)
_requests.register_unstructure_hook(datetime, _unstructure_datetime)
_requests.register_unstructure_hook_func(_is_open_enum, _unstructure_enum)


def unstructure_request(obj: attrs.AttrsInstance) -> dict[str, Any]:
    """The JSON body (a dict) for a request model such as ``ChargingProfile``.

    Keys are the attribute names; None (default) fields are left out; enums become their
    values; datetimes become ISO 8601 UTC strings ending in ``Z``.
    """
    if not attrs.has(type(obj)):
        raise TypeError(f"expected an attrs request model, got {type(obj).__name__}")
    body: dict[str, Any] = _requests.unstructure(obj)
    return body
