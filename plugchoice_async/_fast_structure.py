"""Generated structuring functions for the production (``fast``) converter.

cattrs' generated functions collect optional fields in a dict, test each key with ``in``
and call the class with ``**kwargs``; every field goes through a hook call. On bulk work
(thousands of chargers) that is the largest client-side cost after aiohttp itself. For plain
attrs models this module generates, once per class, a function that reads each key once
(``o.get`` for nullable fields), handles the common scalars inline (``str | None``,
``int | None``, ``bool``, ...) and calls the class with keyword arguments directly. Small
value objects made only of scalars (``ChargerLicenses``, ``ChargerModel``, ...) are frozen,
so equal ones are shared from a bounded table instead of being built again for every charger. Every
other field type still goes through the converter's own hook, so the rules stay in one place.

It is used only where it is exact: classes with plain fields (no aliases, no factories, no
per-field overrides). The ``detailed`` and ``strict`` converters keep cattrs' functions,
and a failure on the fast path is re-run there to be explained; the test-suite checks that
both paths give equal results on every fixture and on generated fleets.
"""

from __future__ import annotations

import enum
import linecache
import types
import typing
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

import attrs
import cattrs

__all__ = ["can_generate", "make_fast_structure_fn"]

_SCALARS: Final = (str, int, float, bool)
_MISSING: Final = object()
_INTERN_MAX: Final = 1024


def _optional_inner(tp: Any) -> Any:
    """``T`` for ``T | None``; None for anything else."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    args = typing.get_args(tp)
    if len(args) != 2 or type(None) not in args:
        return None
    return args[0] if args[1] is type(None) else args[1]


def _homogeneous_tuple_item(tp: Any) -> Any:
    """``X`` for ``tuple[X, ...]``; None otherwise."""
    if typing.get_origin(tp) is not tuple:
        return None
    args = typing.get_args(tp)
    return args[0] if len(args) == 2 and args[1] is Ellipsis else None


def _open_enum_members(tp: Any) -> dict[Any, Any] | None:
    """The value -> member map of ``E`` for an open enum ``E | str`` (or ``E | str | None``)."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    args = set(typing.get_args(tp))
    enums = [a for a in args if isinstance(a, type) and issubclass(a, enum.Enum)]
    if len(enums) != 1 or str not in args or not args - {enums[0]} <= {str, type(None)}:
        return None
    return dict(enums[0]._value2member_map_)


def _parse_datetime(value: Any) -> datetime:
    if value.__class__ is not str:
        raise TypeError(f"expected an ISO 8601 timestamp string, got {type(value).__name__}")
    dt = datetime.fromisoformat(value)
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _is_value_type(tp: Any) -> bool:
    """Scalars, optional scalars and open enums: fields whose structured values are hashable and immutable."""
    inner = _optional_inner(tp)
    return tp in _SCALARS or inner in _SCALARS or _open_enum_members(tp) is not None


def _datetime_lines(var: str) -> list[str]:
    """Inline timestamp parsing: ISO 8601 text -> aware datetime (naive = UTC); non-text -> _dt's error."""
    return [
        f"    {var} = _fromiso({var}) if {var}.__class__ is str else _dt({var})",
        f"    if {var}.tzinfo is None: {var} = {var}.replace(tzinfo=_UTC)",
    ]


def can_generate(cls: Any) -> bool:
    """Whether ``cls`` is an attrs class this generator reproduces exactly."""
    if not (isinstance(cls, type) and attrs.has(cls)):
        return False
    for field in attrs.fields(cls):
        if not field.init or field.alias != field.name or field.converter is not None:
            return False
        if isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            return False
    return True


def make_fast_structure_fn(cls: type[Any], conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    """Generate the structuring function of ``cls`` (see the module docstring)."""
    attrs.resolve_types(cls)
    env: dict[str, Any] = {
        "__cl": cls,
        "_dt": _parse_datetime,
        "_fromiso": datetime.fromisoformat,
        "_UTC": UTC,
        "_MISSING": _MISSING,
    }
    lines = [f"def structure_{cls.__name__}(o, _=None):", "    g = o.get"]
    args: list[str] = []
    for i, field in enumerate(attrs.fields(cls)):
        name, tp, var = field.name, field.type, f"v{i}"
        key = repr(name)
        has_default = field.default is not attrs.NOTHING
        inner = _optional_inner(tp)
        members = _open_enum_members(tp)
        if members is not None and (not has_default or field.default is None):
            # open enum: known values become members, unknown strings stay, the rest -> the hook's error
            env[f"m{i}"], env[f"h{i}"], env[f"t{i}"] = members, conv.get_structure_hook(tp), tp
            fetch = f"o[{key}]" if not has_default else f"g({key})"
            lines.append(f"    {var} = {fetch}")
            otherwise = f"({var} if {var} is None else h{i}({var}, t{i}))" if has_default else f"h{i}({var}, t{i})"
            lines.append(f"    {var} = m{i}.get({var}, {var}) if {var}.__class__ is str else {otherwise}")
        elif inner is not None and has_default and field.default is None:
            lines.append(f"    {var} = g({key})")
            if inner in _SCALARS:
                env[f"t{i}"] = inner
                lines.append(f"    if {var} is not None and {var}.__class__ is not t{i}: {var} = t{i}({var})")
            elif inner is datetime:
                lines.append(f"    if {var} is not None:")
                lines += [f"    {line}" for line in _datetime_lines(var)]
            else:
                env[f"h{i}"], env[f"t{i}"] = conv.get_structure_hook(inner), inner
                lines.append(f"    if {var} is not None: {var} = h{i}({var}, t{i})")
        elif not has_default:
            if tp in _SCALARS:
                env[f"t{i}"] = tp
                lines.append(f"    {var} = o[{key}]")
                lines.append(f"    if {var}.__class__ is not t{i}: {var} = t{i}({var})")
            elif tp is datetime:
                lines.append(f"    {var} = o[{key}]")
                lines += _datetime_lines(var)
            else:
                env[f"h{i}"], env[f"t{i}"] = conv.get_structure_hook(tp), tp
                lines.append(f"    {var} = h{i}(o[{key}], t{i})")
        elif _homogeneous_tuple_item(tp) is not None and field.default == ():
            item = _homogeneous_tuple_item(tp)
            env[f"h{i}"], env[f"t{i}"] = conv.get_structure_hook(item), item
            lines.append(f"    {var} = g({key}, _MISSING)")
            lines.append(f"    {var} = () if {var} is _MISSING else tuple([h{i}(e, t{i}) for e in {var}])")
        else:
            env[f"h{i}"], env[f"t{i}"], env[f"d{i}"] = conv.get_structure_hook(tp), tp, field.default
            lines.append(f"    {var} = g({key}, _MISSING)")
            lines.append(f"    {var} = d{i} if {var} is _MISSING else h{i}({var}, t{i})")
        args.append(f"{name}={var}")
    if all(_is_value_type(f.type) for f in attrs.fields(cls)) and attrs.fields(cls):
        # A small value object (flags, a model name): equal ones are shared, like small ints.
        # Frozen, so sharing is invisible; the table is bounded.
        env["_interned"] = {}
        key = ", ".join(f"v{i}" for i in range(len(args))) + ","
        lines += [
            f"    k = ({key})",
            "    r = _interned.get(k)",
            "    if r is None:",
            f"        r = __cl({', '.join(args)})",
            f"        if len(_interned) >= {_INTERN_MAX}: _interned.clear()",
            "        _interned[k] = r",
            "    return r",
        ]
    else:
        lines.append(f"    return __cl({', '.join(args)})")
    source = "\n".join(lines) + "\n"
    filename = f"<plugchoice_async fast structure {cls.__module__}.{cls.__qualname__}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    exec(compile(source, filename, "exec"), env)
    fn: Callable[[Any, Any], Any] = env[f"structure_{cls.__name__}"]
    return fn
