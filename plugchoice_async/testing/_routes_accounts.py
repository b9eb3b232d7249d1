"""Routes of the account around the fleet: creating teams, importing chargers into a team, Chargee meters.

* ``POST /teams``: a new team of the user (``type`` defaults to ``Other``), answered in ``data`` as the older docs
  show it (``is_personal_team`` and ``type``, no ``slug``), status 201; ``GET /teams`` lists it from then on.
* ``POST /teams/{t}/chargers/import``: a ``multipart/form-data`` upload, field ``file``, a ``.csv`` or ``.txt`` of at
  most 1024 KB (422 otherwise, with Laravel's messages). One identity per row, in the first column; a first row
  reading ``identity`` is a header. Blank rows are ignored. An identity that already exists (any owner's, or an
  earlier row's) is skipped: counted in ``skipped`` and listed in ``errors``; one longer than 45 characters is
  listed in ``errors``. Every other row becomes a ``never_seen`` charger in the team.
* ``GET /meters/chargee/{chargee}``: every emulator has the Chargee meters ``CHG-0001`` .. ``CHG-0003`` (serial
  numbers ``E0000001`` .. ``E0000003``, either may be used, case-blind); the last cannot be read: its ``power``
  is the server's error message instead of a number. Any other id answers 404.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from aiohttp import web

from ._web import MAX_IDENTITY, AddRoute, RouteGroup, Validator, not_found_model, ok, read_input, read_upload

__all__ = ["AccountRoutes"]

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_TAKEN = "The identity has already been taken."


class AccountRoutes(RouteGroup):
    """``POST /teams``, ``POST /teams/{t}/chargers/import`` and ``GET /meters/chargee/{chargee}``."""

    def register(self, add: AddRoute) -> None:
        add("POST", "/teams", self.create_team)
        add("POST", "/teams/{team}/chargers/import", self.import_chargers)
        add("GET", "/meters/chargee/{chargee}", self.chargee_meter)

    async def create_team(self, request: web.Request) -> web.Response:
        check = Validator(await read_input(request))
        name = check.string("name", required=True, max=255)
        email = check.string("email", required=True, max=255)
        if email is not None and _EMAIL.fullmatch(email) is None:
            check.fail("email", "The email field must be a valid email address.")
        kind = check.string("type", nullable=True, max=255)
        if check.failed or name is None or email is None:
            return check.response()
        return ok({"data": self.state.create_team(name, email, kind)}, 201)

    async def import_chargers(self, request: web.Request) -> web.Response:
        team = self.team(request.match_info["team"].lower())
        if isinstance(team, web.Response):
            return team
        upload = await read_upload(request, "file")
        if isinstance(upload, web.Response):
            return upload
        text = upload.decode("utf-8-sig", "replace")
        state = self.state
        created = skipped = 0
        errors: list[dict[str, Any]] = []
        seen: set[str] = set()
        for row, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
            identity = cells[0].strip() if cells else ""
            if not identity or (row == 1 and identity.casefold() == "identity"):
                continue
            if len(identity) > MAX_IDENTITY:
                message = f"The identity must not be greater than {MAX_IDENTITY} characters."
                errors.append({"row": row, "identity": identity, "error": message})
            elif identity.casefold() in seen or state.identity_taken(identity):
                skipped += 1
                errors.append({"row": row, "identity": identity, "error": _TAKEN})
            else:
                state.create_charger(identity, {team["uuid"]}, None)
                created += 1
            seen.add(identity.casefold())
        return ok({"message": "Import completed", "created": created, "skipped": skipped, "errors": errors})

    async def chargee_meter(self, request: web.Request) -> web.Response:
        meter = self.state.chargee_meter(request.match_info["chargee"])
        if meter is None:
            return not_found_model("Meter")
        return ok({"data": meter})
