"""The authenticated user."""

from __future__ import annotations

from datetime import datetime

import attrs

__all__ = ["User"]


@attrs.frozen(kw_only=True)
class User:
    """The user the token belongs to (``GET /user``).

    ``intercom`` holds the support-widget hashes some answers include.
    """

    uuid: str
    id: int
    name: str | None = None
    email: str | None = None
    avatar: str | None = None
    intercom: dict[str, str] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
