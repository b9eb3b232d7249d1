"""Validation of ids that go into URL paths: nothing unvalidated reaches a path."""

from __future__ import annotations

import re
import uuid
from typing import Final
from urllib.parse import quote

from ..exceptions import InvalidRequestError

__all__ = ["path_segment", "uuid_segment"]

_UUID: Final = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def uuid_segment(value: str | uuid.UUID, what: str = "charger") -> str:
    """Return ``value`` as a lowercase UUID path segment, or raise ``InvalidRequestError``."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str) or _UUID.fullmatch(value) is None:
        raise InvalidRequestError(
            f"{what} id must be a UUID such as '3f2b6c1e-0000-4000-8000-000000000000', got {value!r}"
        )
    return value.lower()


def path_segment(value: str | int, name: str = "id") -> str:
    """Percent-encode one path segment (``/``, ``..``, ``?`` and ``#`` cannot escape it).

    ``name`` is the argument's, for the message of ``InvalidRequestError``.
    """
    text = str(value)
    if text in {"", ".", ".."}:
        raise InvalidRequestError(f"{name} must be a usable path segment (not empty, '.' or '..'), got {text!r}")
    return quote(text, safe="")
