"""The cattrs converters: wire JSON -> models.

Three converters share one set of rules:

* ``fast`` (production): tolerates extra keys, no detailed validation; cattrs
  generates one structuring function per class, once.
* ``detailed``: the same rules with detailed validation. It only runs after the
  fast path failed, to explain the failure with field paths.
* ``strict``: detailed and forbids extra keys. Tests run every recorded fixture
  through it so API drift shows up.

Rules: timestamps become timezone-aware ``datetime`` (naive ones are UTC);
``SomeEnum | str`` (an "open enum") keeps unknown values as plain strings;
tuples come from JSON arrays.

API rules (``_install_api_rules``, on all three converters):

* Value kinds are ``Annotated`` markers declared in ``models/_wire.py`` (to a type
  checker they are the plain type). ``Number``: number or numeric string -> float, else
  an error (``total_kwh`` is ``7`` on some endpoints, ``"7.00"`` on others).
  ``Reading``: number or numeric string -> float, any other text (``"-"``, ``" - "``,
  signed data) -> None: a missing reading never fails a poll. ``JsonPayload``: an
  object/array, or JSON text of one, decoded (OCPP log ``params``/``result``); other text
  is an error. ``MaybeTimestamp``: ``"-"`` -> None. Violations raise ``WireValueError``,
  whose message ``StructureError`` keeps next to the field path.
* ``E | str | bool`` is an open enum an older API sent as a boolean: a boolean is kept
  as is (``Site.smart_charging``). ``datetime.time`` comes from ``"HH:MM[:SS]"``.
* Where the wire key is not the attribute name, ``_FIELD_RULES`` says so per class
  (cattrs ``override(rename=...)``): uppercase ``L1``/``L2``/``L3``/``kW``; ``raw_value``
  read from the same ``value`` key as the parsed ``value``; an array wrapped as
  ``{"data": [...]}``. ``wire_names(cls)`` lists the mapping.
* OCPP answers passed through in camelCase (``LatestMeterValue``, ``CompositeSchedule``)
  are read by a twin converter that camelCases every key of every class inside them.
  So a ``ChargingSchedule`` is camelCase inside a ``CompositeSchedule`` answer and
  snake_case anywhere else (and in request bodies).

``unstructure_request`` turns request models (``ChargingProfile``) into JSON bodies.
"""

from __future__ import annotations

import enum
import math
import re
import types
import typing
from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any, Final, TypeVar

import attrs
import cattrs
import orjson
from cattrs.errors import BaseValidationError, ForbiddenExtraKeysError
from cattrs.gen import make_dict_structure_fn, override
from cattrs.v import format_exception

from ._fast_structure import can_generate, make_fast_structure_fn
from ._http import unwrap
from .exceptions import ResponseValidationError
from .models import (
    CompositeSchedule,
    GraphCurrentPoint,
    GraphVoltagePoint,
    LatestMeterValue,
    MeterValue,
    PowerUsage,
    SampledValue,
    TeamCharger,
)
from .models._wire import Wire

__all__ = [
    "StructureError",
    "WireValueError",
    "make_converter",
    "structure",
    "structure_strict",
    "unstructure_request",
    "wire_names",
]

T = TypeVar("T")


def _structure_datetime(value: Any, _: type) -> datetime:
    if type(value) is not str:
        raise TypeError(f"expected an ISO 8601 timestamp string, got {type(value).__name__}")
    dt = datetime.fromisoformat(value)
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _open_enum_parts(tp: Any) -> tuple[type[enum.Enum], bool] | None:
    """For ``E | str`` or ``E | str | None`` return (E, nullable); otherwise None."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    args = typing.get_args(tp)
    enums = [a for a in args if isinstance(a, type) and issubclass(a, enum.Enum)]
    rest = {a for a in args if a not in enums}
    if len(enums) != 1 or not rest or not rest <= {str, type(None)} or str not in rest:
        return None
    return enums[0], type(None) in rest


def _open_enum_hook(tp: Any) -> Callable[[Any, Any], Any]:
    parts = _open_enum_parts(tp)
    assert parts is not None
    enum_cls, nullable = parts
    members: dict[Any, Any] = dict(enum_cls._value2member_map_)

    def structure_open_enum(value: Any, _: Any) -> Any:
        if type(value) is str:
            return members.get(value, value)
        if value is None and nullable:
            return None
        raise TypeError(f"expected a string for {enum_cls.__name__}, got {type(value).__name__}")

    return structure_open_enum


def _optional_scalar_parts(tp: Any) -> type | None:
    """For ``T | None`` with T a JSON scalar or datetime, return T; otherwise None."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    args = typing.get_args(tp)
    if len(args) != 2 or type(None) not in args:
        return None
    inner = args[0] if args[1] is type(None) else args[1]
    return inner if inner in (str, int, float, bool, datetime) else None


def _optional_scalar_hook(tp: Any) -> Callable[[Any, Any], Any]:
    """A direct hook for ``T | None``: the hot path of structuring (most fields are nullable).

    Same results as cattrs' generic Optional handling (``str(v)``, ``int(v)``, ... for
    other types), without dispatching through the union machinery for every field.
    """
    inner = _optional_scalar_parts(tp)
    if inner is datetime:

        def structure_optional_datetime(value: Any, _: Any) -> Any:
            return None if value is None else _structure_datetime(value, datetime)

        return structure_optional_datetime
    assert inner is not None
    convert: Callable[[Any], Any] = inner

    def structure_optional_scalar(value: Any, _: Any) -> Any:
        if value is None or type(value) is inner:
            return value
        return convert(value)

    return structure_optional_scalar


# --- API value rules (models/_wire.py markers, per-field wire rules, OCPP camelCase) ---------------


class WireValueError(ValueError):
    """A wire value one of the SDK's rules rejects; ``StructureError`` quotes its message verbatim."""


def _parse_number_text(text: str) -> float | None:
    """``"7.00"`` -> 7.0, ``" 12.5 "`` -> 12.5; None when the text is not a finite number."""
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _structure_number(value: Any, _: Any) -> float:
    """``Number``: a JSON number or a numeric string -> float; anything else is an error."""
    cls = type(value)
    if cls is float:
        return value  # type: ignore[no-any-return]
    if cls is int:
        return float(value)
    if cls is str:
        number = _parse_number_text(value)
        if number is not None:
            return number
    raise WireValueError(f"expected a number or a numeric string, got {value!r}")


def _structure_reading(value: Any, _: Any) -> float | None:
    """``Reading``: a number or numeric string -> float; ``"-"`` or any other text -> None."""
    cls = type(value)
    if cls is str:
        return _parse_number_text(value)
    if cls is float or cls is int:
        return float(value)
    if value is None:
        return None
    raise WireValueError(f"expected a reading (a number or a string), got {type(value).__name__}")


def _structure_raw_text(value: Any, _: Any) -> str:
    """The wire text of a reading, kept beside the parsed number (``raw_value``)."""
    cls = type(value)
    if cls is str:
        return value  # type: ignore[no-any-return]
    if cls is int or cls is float:
        return str(value)
    raise WireValueError(f"expected the reading as a string, got {type(value).__name__}")


def _structure_json_payload(value: Any, _: Any) -> Any:
    """``JsonPayload``: an object or array as is; JSON text of one decoded; other text is an error."""
    cls = type(value)
    if value is None or cls is dict or cls is list:
        return value
    if cls is str:
        try:
            decoded = orjson.loads(value)
        except orjson.JSONDecodeError:
            shown = value if len(value) <= 60 else value[:57] + "..."
            raise WireValueError(f"expected a JSON object or array, got a string that is not JSON: {shown!r}") from None
        if decoded is None or type(decoded) is dict or type(decoded) is list:
            return decoded
        raise WireValueError(f"expected a JSON object or array, got JSON text holding a {type(decoded).__name__}")
    raise WireValueError(f"expected a JSON object, array or JSON text, got {cls.__name__}")


def _structure_timestamp_or_dash(value: Any, _: Any) -> datetime | None:
    """``MaybeTimestamp``: a timestamp; None for null and for the placeholder ``"-"``."""
    if value is None or (type(value) is str and value.strip() in ("-", "")):
        return None
    return _structure_datetime(value, datetime)


def _structure_time(value: Any, _: Any) -> time:
    """A local time of day, ``"23:00"`` or ``"23:00:00"``."""
    if type(value) is not str:
        raise TypeError(f"expected a time of day string, got {type(value).__name__}")
    return time.fromisoformat(value)


def _marked(marker: Wire) -> Callable[[Any], bool]:
    def predicate(tp: Any) -> bool:
        return typing.get_origin(tp) is typing.Annotated and marker in tp.__metadata__

    return predicate


def _optional_marked_parts(tp: Any) -> Any:
    """For ``M | None`` with M one of the ``Annotated`` wire kinds, return M; otherwise None."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    args = typing.get_args(tp)
    if len(args) != 2 or type(None) not in args:
        return None
    inner = args[0] if args[1] is type(None) else args[1]
    if typing.get_origin(inner) is typing.Annotated and any(isinstance(m, Wire) for m in inner.__metadata__):
        return inner
    return None


def _optional_marked_hook(conv: cattrs.Converter, tp: Any) -> Callable[[Any, Any], Any]:
    """A direct hook for ``Number | None``: no per-value dispatch through cattrs' Optional handling."""
    inner = _optional_marked_parts(tp)
    structure_inner = conv.get_structure_hook(inner)

    def structure_optional_marked(value: Any, _: Any) -> Any:
        return None if value is None else structure_inner(value, inner)

    return structure_optional_marked


def _open_enum_or_bool_parts(tp: Any) -> Any:
    """For ``E | str | bool`` (optionally ``| None``) return ``E | str | None``; otherwise None."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    args = typing.get_args(tp)
    if bool not in args:
        return None
    as_open_enum: Any = typing.Union[(*(a for a in args if a is not bool and a is not type(None)), None)]
    return as_open_enum if _open_enum_parts(as_open_enum) is not None else None


def _open_enum_or_bool_hook(tp: Any) -> Callable[[Any, Any], Any]:
    """An open enum that older API versions sent as a boolean: the boolean is kept as is."""
    open_enum = _open_enum_hook(_open_enum_or_bool_parts(tp))
    nullable = type(None) in typing.get_args(tp)

    def structure_open_enum_or_bool(value: Any, _: Any) -> Any:
        if type(value) is bool:
            return value
        if value is None and not nullable:
            raise TypeError("expected a string or a boolean, got None")
        return open_enum(value, None)

    return structure_open_enum_or_bool


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
}

#: Answers the API passes through from the charger in OCPP camelCase: these classes, and
#: every class inside them, are read with camelCased keys (``connector_id`` <- ``connectorId``).
_OCPP_ANSWERS: Final = (LatestMeterValue, CompositeSchedule)


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


def _enveloped_hook(inner: Callable[[Any, Any], Any], tp: Any) -> Callable[[Any, Any], Any]:
    def structure_enveloped(value: Any, _: Any) -> Any:
        if type(value) is dict and "data" in value:
            value = value["data"]
        return inner(value, tp)

    return structure_enveloped


def _is_attrs_class(tp: Any) -> bool:
    return isinstance(tp, type) and attrs.has(tp)


def _gen_with_rules(cls: type[Any], conv: cattrs.Converter, *, ocpp: bool) -> Callable[[Any, Any], Any]:
    """A structuring function for ``cls`` that reads each attribute from its wire key, with its rule."""
    attrs.resolve_types(cls)
    rules = _FIELD_RULES.get(cls, {})
    names = wire_names(cls, ocpp=ocpp)
    overrides: dict[str, Any] = {}
    for field in attrs.fields(cls):
        wire = names[field.name]
        rule = rules.get(field.name, _FieldRule())
        hook: Callable[[Any, Any], Any] | None = None
        if rule.raw_text:
            hook = _structure_raw_text
        elif rule.enveloped:
            hook = _enveloped_hook(conv.get_structure_hook(field.type), field.type)
        if wire != field.name or hook is not None:
            overrides[field.name] = override(rename=wire if wire != field.name else None, struct_hook=hook)
    return make_dict_structure_fn(cls, conv, **overrides)


def _install_api_rules(conv: cattrs.Converter) -> None:
    """Register the API's value, field and OCPP rules on ``conv`` (hooks are generated once per class)."""
    conv.register_structure_hook(time, _structure_time)
    conv.register_structure_hook_factory(lambda t: _open_enum_or_bool_parts(t) is not None, _open_enum_or_bool_hook)
    conv.register_structure_hook_func(_marked(Wire.NUMBER), _structure_number)
    conv.register_structure_hook_func(_marked(Wire.READING), _structure_reading)
    conv.register_structure_hook_func(_marked(Wire.JSON), _structure_json_payload)
    conv.register_structure_hook_func(_marked(Wire.TIMESTAMP_OR_DASH), _structure_timestamp_or_dash)
    conv.register_structure_hook_factory(
        lambda t: _optional_marked_parts(t) is not None, lambda t: _optional_marked_hook(conv, t)
    )
    # The camelCase twin shares every hook registered so far; it then reads all classes camelCased.
    ocpp = conv.copy()
    ocpp.register_structure_hook_factory(_is_attrs_class, lambda t: _gen_with_rules(t, ocpp, ocpp=True))
    conv.register_structure_hook_factory(lambda t: t in _FIELD_RULES, lambda t: _gen_with_rules(t, conv, ocpp=False))
    conv.register_structure_hook_factory(lambda t: t in _OCPP_ANSWERS, lambda t: ocpp.get_structure_hook(t))


def make_converter(*, forbid_extra_keys: bool = False, detailed_validation: bool = False) -> cattrs.Converter:
    """Build a converter with the SDK's rules."""
    conv = cattrs.Converter(forbid_extra_keys=forbid_extra_keys, detailed_validation=detailed_validation)
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_structure_hook_factory(lambda t: _open_enum_parts(t) is not None, _open_enum_hook)
    conv.register_structure_hook_factory(lambda t: _optional_scalar_parts(t) is not None, _optional_scalar_hook)
    _install_api_rules(conv)
    return conv


fast: Final = make_converter()
# Production only: plain models get generated functions that read each key once (see _fast_structure).
fast.register_structure_hook_factory(
    lambda t: can_generate(t) and t not in _FIELD_RULES and t not in _OCPP_ANSWERS,
    lambda t: make_fast_structure_fn(t, fast),
)
detailed: Final = make_converter(detailed_validation=True)
strict: Final = make_converter(forbid_extra_keys=True, detailed_validation=True)


_fast_hooks: dict[Any, Callable[[Any, Any], Any]] = {}  # skips cattrs' dispatch on the hot path


class StructureError(Exception):
    """Raised by ``structure`` with a readable explanation (field paths) of why the data does not fit."""


def _format_exception(exc: BaseException, tp: Any) -> str:
    """cattrs' wording, except that the SDK's own rule violations keep their message."""
    if isinstance(exc, WireValueError):
        return str(exc)
    return format_exception(exc, tp)


def _explain(exc: BaseException) -> str:
    if isinstance(exc, BaseValidationError | ForbiddenExtraKeysError):
        messages = cattrs.transform_error(exc, path="$", format_exception=_format_exception)
        return "; ".join(messages)
    return f"{type(exc).__name__}: {exc}"


def structure(data: Any, cls: type[T]) -> T:
    """Structure ``data`` (or its ``{"data": ...}`` envelope) into ``cls``; fast path first.

    On failure, re-runs with detailed validation and raises ``StructureError``
    whose message names every failing field path.
    """
    inner = unwrap(data)
    hook = _fast_hooks.get(cls)
    if hook is None:
        hook = _fast_hooks[cls] = fast.get_structure_hook(cls)
    try:
        return hook(inner, cls)  # type: ignore[no-any-return]
    except Exception as fast_exc:  # cattrs raises many kinds; all are explained below
        try:
            detailed.structure(inner, cls)
        except Exception as exc:
            raise StructureError(_explain(exc)) from exc
        raise StructureError(_explain(fast_exc)) from fast_exc


def structure_strict(data: Any, cls: type[T]) -> T:
    """Structure with the strict converter (extra keys are an error); for tests against fixtures."""
    try:
        return strict.structure(unwrap(data), cls)
    except Exception as exc:
        raise StructureError(_explain(exc)) from exc


def _type_name(tp: Any) -> str:
    """``Charger`` for a class, ``tuple[Transaction, ...]`` for a list of items."""
    if isinstance(tp, type) and not typing.get_args(tp):
        return tp.__name__
    return re.sub(r"\b(?:\w+\.)+(\w+)", r"\1", repr(tp))


def structure_response(data: Any, cls: type[T], *, method: str, path: str) -> T:
    """``structure`` for an API answer: a misfit raises ``ResponseValidationError`` naming the request."""
    try:
        return structure(data, cls)
    except StructureError as exc:
        raise ResponseValidationError(
            f"the answer does not fit {_type_name(cls)}: {exc}", method=method, path=path, status=200, body=data
        ) from exc


def _unstructure_datetime(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` (naive datetimes are taken as UTC, as on the way in)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _unstructure_open_enum(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


# Request bodies only: fields left at their default (None) are dropped, enums become their values.
_requests: Final = cattrs.Converter(omit_if_default=True)
_requests.register_unstructure_hook(datetime, _unstructure_datetime)
_requests.register_unstructure_hook_func(lambda t: _open_enum_parts(t) is not None, _unstructure_open_enum)


def unstructure_request(obj: attrs.AttrsInstance) -> dict[str, Any]:
    """The JSON body (a dict) for a request model such as ``ChargingProfile``.

    Keys are the attribute names; None (default) fields are left out; enums become their
    values; datetimes become ISO 8601 UTC strings ending in ``Z``.
    """
    if not attrs.has(type(obj)):
        raise TypeError(f"expected an attrs request model, got {type(obj).__name__}")
    body: dict[str, Any] = _requests.unstructure(obj)
    return body
