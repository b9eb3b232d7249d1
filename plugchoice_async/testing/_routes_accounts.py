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
import email.message
import email.parser
import email.policy
import io
import re
from typing import Any

from aiohttp import web

from ._web import (
    AddRoute,
    RouteGroup,
    Validator,
    forbidden,
    not_found_model,
    ok,
    read_input,
    validation_error,
)

__all__ = ["MAX_UPLOAD_BYTES", "AccountRoutes", "read_upload"]

MAX_UPLOAD_BYTES = 1024 * 1024  # Laravel's ``max:1024`` (kilobytes)
_UPLOAD_EXTENSIONS = (".csv", ".txt")
_MAX_IDENTITY = 45
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

    def _team(self, uuid: str) -> dict[str, Any] | web.Response:
        world = self.state.world
        team = world.teams.get(uuid.lower())
        if team is not None:
            return team
        if uuid.lower() == world.foreign_team["uuid"]:
            return forbidden()
        return not_found_model("Team")

    async def import_chargers(self, request: web.Request) -> web.Response:
        team = self._team(request.match_info["team"])
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
            if len(identity) > _MAX_IDENTITY:
                message = f"The identity must not be greater than {_MAX_IDENTITY} characters."
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


async def read_upload(request: web.Request, field: str) -> bytes | web.Response:
    """The content of the multipart file ``field``, or Laravel's 422 (missing, wrong extension, over 1024 KB).

    The emulator has read the whole body on arrival (for its request log), so the parts are parsed from it.
    """
    required = {field: [f"The {field} field is required."]}
    body = await request.read()
    if not request.content_type.startswith("multipart/"):
        return validation_error(required)
    head = f"Content-Type: {request.headers.get('Content-Type', '')}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        return validation_error(required)
    for part in message.iter_parts():
        if (
            not isinstance(part, email.message.EmailMessage)
            or part.get_param("name", header="content-disposition") != field
        ):
            continue
        filename = part.get_filename()
        content = part.get_payload(decode=True)
        if filename is None or not isinstance(content, bytes):
            continue
        problems: list[str] = []
        if not filename.lower().endswith(_UPLOAD_EXTENSIONS):
            problems.append(f"The {field} field must be a file of type: csv, txt.")
        if len(content) > MAX_UPLOAD_BYTES:
            problems.append(f"The {field} field must not be greater than {MAX_UPLOAD_BYTES // 1024} kilobytes.")
        return validation_error({field: problems}) if problems else content
    return validation_error(required)


_read_upload = read_upload  # the name the site card import used first
