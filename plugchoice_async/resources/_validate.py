"""Argument checks, run before a request is built: a bad argument never reaches the wire.

Every check takes the argument's name first, raises ``InvalidRequestError`` (a ``ValueError``)
with a message that names it and quotes the value, and returns the value as it is to be sent::

    from . import _validate as check

    body = {"connector_id": check.integer("connector_id", connector_id, minimum=0)}

The checks want a value: for an optional argument the caller skips None. The query-parameter
checks (``page_size``, ``transaction_status``, ``any_of``, ``sort``) pass None through, as those
parameters are always optional. Rules of a single endpoint (a country code, "at least one field
to update") stay beside that endpoint; ids that go into URL paths are checked by ``_ids``.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Collection, Iterable, Mapping, Sized
from datetime import date, datetime
from typing import Any, Final, Literal, TypeVar

from ..exceptions import InvalidRequestError
from ..models._enums import TransactionStatus

__all__ = [
    "MAX_LIMIT",
    "OneOrMany",
    "TransactionStatusArg",
    "any_of",
    "boolean",
    "choice",
    "email",
    "integer",
    "json_object",
    "moment",
    "non_empty",
    "number",
    "page_size",
    "pincode",
    "sort",
    "text",
    "transaction_status",
]

#: The largest ``limit`` (page size) the transaction and meter-value lists accept.
MAX_LIMIT: Final = 10_000

#: ``filter[status]`` of the transaction lists.
TransactionStatusArg = Literal["active", "finished"] | TransactionStatus

#: A filter value: one value, or several (sent comma-separated: any of them matches).
OneOrMany = str | enum.Enum | Iterable[str | enum.Enum]

_TRANSACTION_STATUSES: Final = frozenset(s.value for s in TransactionStatus)

# The integers a JSON body may carry: the API's (PHP's) are signed 64 bits, and so are the encoder's.
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
_MAX_PINCODE_DIGITS: Final = 18  # any 18 digits fit in 64 bits

S = TypeVar("S", bound=Sized)


def _in_bounds(name: str, value: float, minimum: float | None, maximum: float | None) -> None:
    """Raise unless ``minimum <= value <= maximum`` (either bound may be None: open)."""
    if (minimum is None or value >= minimum) and (maximum is None or value <= maximum):
        return
    if minimum is not None and maximum is not None:
        raise InvalidRequestError(f"{name} must be between {minimum} and {maximum}, got {value!r}")
    if minimum is not None:
        raise InvalidRequestError(f"{name} must be at least {minimum}, got {value!r}")
    raise InvalidRequestError(f"{name} must be at most {maximum}, got {value!r}")


def _wire_int(name: str, value: int) -> None:
    """Raise unless ``value`` fits the API's integers (signed 64 bits): JSON cannot carry a larger one."""
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise InvalidRequestError(f"{name} must be between {_INT64_MIN} and {_INT64_MAX} (64 bits), got {value!r}")


def integer(name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """An ``int`` within ``minimum..maximum`` (inclusive; None = open) and 64 bits. A bool or a float is refused."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequestError(f"{name} must be an integer, got {value!r}")
    _in_bounds(name, value, minimum, maximum)
    _wire_int(name, value)
    return value


def number(name: str, value: Any, *, minimum: float | None = None, maximum: float | None = None) -> float:
    """A finite ``int`` or ``float`` within ``minimum..maximum`` (inclusive; None = open), returned as given.

    A bool, a numeric string, NaN and infinities are refused.
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidRequestError(f"{name} must be a finite number, got {value!r}")
    _in_bounds(name, value, minimum, maximum)
    if isinstance(value, int):
        _wire_int(name, value)
    return value


def text(name: str, value: Any, *, max_length: int | None = None, allow_empty: bool = False) -> str:
    """A ``str`` of at most ``max_length`` characters (None = any length); not blank unless ``allow_empty``."""
    if not isinstance(value, str):
        raise InvalidRequestError(f"{name} must be a string, got {value!r}")
    if not allow_empty and not value.strip():
        raise InvalidRequestError(f"{name} must not be empty")
    if max_length is not None and len(value) > max_length:
        raise InvalidRequestError(f"{name} must be at most {max_length} characters, got {len(value)}")
    return value


def choice(name: str, value: Any, choices: Collection[str]) -> str:
    """One of ``choices``, as its text (an enum member counts as its value)."""
    wire = value.value if isinstance(value, enum.Enum) else value
    if not isinstance(wire, str) or wire not in choices:
        raise InvalidRequestError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return wire


def boolean(name: str, value: Any) -> bool:
    """``True`` or ``False`` (not 0/1, not a string)."""
    if not isinstance(value, bool):
        raise InvalidRequestError(f"{name} must be True or False, got {value!r}")
    return value


def non_empty(name: str, items: S, *, what: str = "value") -> S:
    """A collection holding at least one item (``what`` names an item in the message)."""
    if not len(items):
        raise InvalidRequestError(f"{name} must hold at least one {what}")
    return items


def moment(name: str, value: Any) -> datetime | date:
    """A ``datetime`` or a ``date`` (a date filter or bound; formatting is the caller's)."""
    if not isinstance(value, date):  # a datetime is a date too
        raise InvalidRequestError(f"{name} must be a datetime or a date, got {value!r}")
    return value


def pincode(name: str, value: Any) -> int:
    """The pincode on a charger's label: digits (an ``int`` or a string of ASCII digits), sent as the number.

    The pincode is a secret: a refusal names the argument and the kind of value, never the value.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidRequestError(f"{name} must be digits (an int or a string of digits), got a {type(value).__name__}")
    digits = str(value).strip()
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidRequestError(f"{name} must be digits (an int or a string of digits), got other characters")
    if len(digits.lstrip("0")) > _MAX_PINCODE_DIGITS:
        raise InvalidRequestError(f"{name} must be at most {_MAX_PINCODE_DIGITS} digits, got {len(digits)}")
    return int(digits)


def email(name: str, value: Any) -> str:
    """An e-mail address (``name@domain``, no spaces) of at most 255 characters."""
    address = text(name, value, max_length=255)
    local, at, domain = address.rpartition("@")
    if not (at and local and domain) or any(c.isspace() for c in address):
        raise InvalidRequestError(f"{name} must be an e-mail address (name@domain), got {value!r}")
    return address


def json_object(name: str, value: Any) -> dict[str, Any]:
    """A free-form JSON object (a mapping with string keys), copied as plain dicts and lists.

    Every value inside must be JSON as is: a string, a bool, None, a 64-bit integer, a finite
    number, a list or tuple, or such a mapping; anything else (NaN, a ``set``, a ``datetime``, an
    object) is refused with its place (``data['a'][0]``) rather than sent changed or not at all.
    """
    if not isinstance(value, Mapping):
        raise InvalidRequestError(f"{name} must be a mapping with string keys, got {value!r}")
    checked: dict[str, Any] = _json_value(name, value, 0)
    return checked


_MAX_JSON_DEPTH: Final = 64


def _json_value(where: str, value: Any, depth: int) -> Any:
    if depth > _MAX_JSON_DEPTH:
        raise InvalidRequestError(f"{where} is nested more than {_MAX_JSON_DEPTH} levels deep")
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int | float):
        return number(where, value)  # finite; an int within 64 bits
    if isinstance(value, Mapping):
        body = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidRequestError(f"{where} must be a mapping with string keys, got the key {key!r}")
            body[key] = _json_value(f"{where}[{key!r}]", item, depth + 1)
        return body
    if isinstance(value, list | tuple):
        return [_json_value(f"{where}[{index}]", item, depth + 1) for index, item in enumerate(value)]
    raise InvalidRequestError(f"{where} must be a JSON value (text, number, bool, None, list, mapping), got {value!r}")


def page_size(name: Literal["per_page", "limit"], value: Any) -> int | None:
    """A page size, or None (the server's default).

    ``per_page`` is at least 1; ``limit`` (transactions, meter values) is 1 to ``MAX_LIMIT``.
    """
    if value is None:
        return None
    return integer(name, value, minimum=1, maximum=MAX_LIMIT if name == "limit" else None)


def transaction_status(value: Any, name: str = "status") -> str | None:
    """``filter[status]`` of the transaction lists: ``"active"`` or ``"finished"``; None (both) stays None."""
    return None if value is None else choice(name, value, _TRANSACTION_STATUSES)


def any_of(name: str, value: OneOrMany | None) -> str | None:
    """A filter matching any of its values: ``"online"`` -> ``"online"``; ``["online", "offline"]`` ->
    ``"online,offline"``; None stays None. Each value must be non-blank text without a comma."""
    if value is None:
        return None
    if not isinstance(value, str | enum.Enum) and (
        isinstance(value, bytes | Mapping) or not isinstance(value, Iterable)
    ):
        raise InvalidRequestError(f"{name} must be a value or a list of values, got {value!r}")
    values = [value] if isinstance(value, str | enum.Enum) else list(value)
    texts = []
    for item in values:
        wire = item.value if isinstance(item, enum.Enum) else item
        if not isinstance(wire, str) or not wire.strip() or "," in wire:
            raise InvalidRequestError(f"{name} must be a non-empty value without commas, got {item!r}")
        texts.append(wire)
    return ",".join(non_empty(name, texts))


def sort(value: Any, allowed: Collection[str] | None = None) -> str | None:
    """A ``sort`` value: one field name, ``-`` prefixed to descend; one of ``allowed`` when given. None stays None."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.lstrip("-") or value.count("-", 0, 2) > 1:
        raise InvalidRequestError(f"sort must be a field name, optionally prefixed with '-', got {value!r}")
    if allowed is not None and value.removeprefix("-") not in allowed:
        raise InvalidRequestError(f"sort must be one of {sorted(allowed)} (prefix '-' to descend), got {value!r}")
    return value
