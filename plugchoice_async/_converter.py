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
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError

from ._http import unwrap
from .exceptions import ResponseValidationError

__all__ = ["StructureError", "make_converter", "structure", "structure_strict"]

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


def make_converter(*, forbid_extra_keys: bool = False, detailed_validation: bool = False) -> cattrs.Converter:
    """Build a converter with the SDK's rules."""
    conv = cattrs.Converter(forbid_extra_keys=forbid_extra_keys, detailed_validation=detailed_validation)
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_structure_hook_factory(lambda t: _open_enum_parts(t) is not None, _open_enum_hook)
    return conv


fast: Final = make_converter()
detailed: Final = make_converter(detailed_validation=True)
strict: Final = make_converter(forbid_extra_keys=True, detailed_validation=True)


class StructureError(Exception):
    """Raised by ``structure`` with a readable explanation (field paths) of why the data does not fit."""


def _explain(exc: BaseException) -> str:
    if isinstance(exc, ClassValidationError | ForbiddenExtraKeysError):
        messages = cattrs.transform_error(exc, path="$")
        return "; ".join(messages)
    return f"{type(exc).__name__}: {exc}"


def structure(data: Any, cls: type[T]) -> T:
    """Structure ``data`` (or its ``{"data": ...}`` envelope) into ``cls``; fast path first.

    On failure, re-runs with detailed validation and raises ``StructureError``
    whose message names every failing field path.
    """
    inner = unwrap(data)
    try:
        return fast.structure(inner, cls)
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


def structure_response(data: Any, cls: type[T], *, method: str, path: str) -> T:
    """``structure`` for an API answer: a misfit raises ``ResponseValidationError`` naming the request."""
    try:
        return structure(data, cls)
    except StructureError as exc:
        raise ResponseValidationError(
            f"the answer does not fit {cls.__name__}: {exc}", method=method, path=path, status=200, body=data
        ) from exc
