"""Helpers shared by every route module: JSON answers, Laravel's error bodies, request input (JSON, forms and
multipart uploads) and validation, and the look-ups of the path's charger, site and team."""

from __future__ import annotations

import email.message
import email.parser
import email.policy
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import orjson
from aiohttp import web

from ._faults import json_error_body

if TYPE_CHECKING:
    from ._state import State

__all__ = [
    "CHARGER_FIELDS",
    "CHARGER_NOT_FOUND",
    "FORBIDDEN",
    "MAX_IDENTITY",
    "MAX_UPLOAD_BYTES",
    "AddRoute",
    "Handler",
    "RouteGroup",
    "Validator",
    "forbidden",
    "json_response",
    "message_response",
    "no_content",
    "not_found_model",
    "ok",
    "parse_date",
    "read_input",
    "read_upload",
    "spatie_error",
    "validation_error",
]

_JSON = "application/json"
_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_UUID = re.compile(r"[\da-fA-F]{8}-[\da-fA-F]{4}-[\da-fA-F]{4}-[\da-fA-F]{4}-[\da-fA-F]{12}")  # Laravel's ``uuid``

FORBIDDEN = json_error_body(403)  # {"message": "This action is unauthorized."}
CHARGER_NOT_FOUND = json_error_body(404, "No query results for model [App\\Models\\Charger].")
MAX_IDENTITY = 45  # the longest charger identity the API takes (POST /chargers, the team import)
MAX_UPLOAD_BYTES = 1024 * 1024  # Laravel's ``max:1024`` (kilobytes)
_UPLOAD_EXTENSIONS = (".csv", ".txt")
#: The keys of the charger document as the older docs show it (inside ``data``): the answer of ``POST /chargers``,
#: ``POST /sites/{s}/chargers`` and (with ``connectors``) ``PATCH /sites/{s}/chargers/{c}/move``.
CHARGER_FIELDS = (
    "uuid",
    "id",
    "identity",
    "reference",
    "connection_status",
    "status",
    "error",
    "error_info",
    "vendor_id",
    "vendor_error_code",
    "firmware_version",
    "server",
    "last_connection_at",
    "last_disconnection_at",
    "last_heartbeat_at",
    "setup_pending",
    "setup_completed",
    "blocked",
    "max_current",
    "created_at",
    "updated_at",
    "licenses",
    "permissions",
)

#: A route handler: the request (path parameters in ``request.match_info``) to the answer.
Handler = Callable[[web.Request], Awaitable[web.Response]]
#: Adds a route to the emulator's aiohttp router: method, path under ``/api/v3`` (``{name}`` matches one path
#: segment) and handler; a GET route answers HEAD too.
AddRoute = Callable[[str, str, Handler], None]


def json_response(status: int, body: bytes) -> web.Response:
    """An ``application/json`` answer with an already serialized body."""
    return web.Response(status=status, body=body, content_type=_JSON)


def ok(document: Any, status: int = 200) -> web.Response:
    """Serialize ``document`` and answer it (200 by default)."""
    return json_response(status, orjson.dumps(document))


def message_response(status: int, message: str) -> web.Response:
    """Laravel's error body, ``{"message": ...}``."""
    return json_response(status, json_error_body(status, message))


def forbidden() -> web.Response:
    """403: a valid token whose user lacks the permission (a charger of another owner)."""
    return json_response(403, FORBIDDEN)


def not_found_model(model: str) -> web.Response:
    """Laravel's route-model-binding 404, e.g. ``No query results for model [App\\Models\\Site].``"""
    return message_response(404, f"No query results for model [App\\Models\\{model}].")


def no_content() -> web.Response:
    """204 with no body."""
    return web.Response(status=204)


def validation_error(errors: Mapping[str, list[str]]) -> web.Response:
    """Laravel's 422: the first message (plus "(and N more errors)") and every message per field."""
    messages = [message for field in errors.values() for message in field]
    message = messages[0]
    if more := len(messages) - 1:
        message += f" (and {more} more {'error' if more == 1 else 'errors'})"
    return ok({"message": message, "errors": errors}, 422)


def spatie_error(kind: str, requested: str, allowed: list[str]) -> web.Response:
    """The 400 of spatie/laravel-query-builder for a sort or filter the endpoint does not allow."""
    if kind == "sort":
        text = f"Requested sort(s) `{requested}` is not allowed. Allowed sort(s) are `{', '.join(allowed)}`."
    else:
        text = f"Requested filter(s) `{requested}` are not allowed. Allowed filter(s) are `{', '.join(allowed)}`."
    return message_response(400, text)


async def read_input(request: web.BaseRequest) -> dict[str, Any]:
    """The request's input as Laravel sees it: a JSON object, or form fields; anything else is empty input."""
    body = await request.read()
    if not body:
        return {}
    if request.content_type == "application/x-www-form-urlencoded":
        return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


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


def parse_date(value: str) -> datetime | None:
    """A date in any of the forms Laravel's ``date`` rule takes here (ISO 8601, with or without time); UTC."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def attribute(field: str) -> str:
    """How Laravel names a field in its messages: underscores become spaces (``id_token`` -> ``id token``)."""
    return field.replace("_", " ")


def _shown(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


_MISSING = object()


class Validator:
    """Laravel-style validation of request input, one rule method per field.

    Each method checks one field (dotted paths reach into nested objects and lists), records Laravel's
    message for the first rule it breaks, and returns the accepted value (coerced: ``"16"`` to 16 for an
    integer, as PHP does) or None when it is absent or invalid. Absent and null (and ``""``, which Laravel
    turns into null) count as missing; a required field then fails, an optional one is skipped, and a
    present null fails unless ``nullable``.
    """

    __slots__ = ("data", "errors")

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.errors: dict[str, list[str]] = {}

    @property
    def failed(self) -> bool:
        """Whether any rule failed."""
        return bool(self.errors)

    def response(self) -> web.Response:
        """The 422 answer for the failures recorded so far."""
        return validation_error(self.errors)

    def fail(self, field: str, message: str) -> None:
        """Record a failure (a field keeps only its first message, as with ``bail``)."""
        self.errors.setdefault(field, [message])

    def has(self, field: str) -> bool:
        """Whether the input has the field (even null)."""
        return self._lookup(field) is not _MISSING

    def filled(self, field: str) -> bool:
        """Whether the input has the field with a value (not null, not empty)."""
        return self._lookup(field) not in (_MISSING, None, "", [], {})

    def _lookup(self, field: str) -> Any:
        value: Any = self.data
        for part in field.split("."):
            if isinstance(value, Mapping):
                value = value.get(part, _MISSING)
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                return _MISSING
            if value is _MISSING:
                return _MISSING
        return value

    def _value(self, field: str, required: bool, nullable: bool, type_message: str) -> Any:
        """The field's value to check, or _MISSING when there is nothing (more) to check."""
        value = self._lookup(field)
        if value is _MISSING or value is None or value == "" or value == [] or value == {}:
            if required:
                self.fail(field, f"The {attribute(field)} field is required.")
            elif value is not _MISSING and not nullable and value is None:
                self.fail(field, type_message.format(attribute(field)))
            return _MISSING
        return value

    def _range(self, field: str, number: float, minimum: float | None, maximum: float | None) -> bool:
        name = attribute(field)
        if minimum is not None and maximum is not None and not minimum <= number <= maximum:
            self.fail(field, f"The {name} field must be between {_shown(minimum)} and {_shown(maximum)}.")
        elif minimum is not None and number < minimum:
            self.fail(field, f"The {name} field must be at least {_shown(minimum)}.")
        elif maximum is not None and number > maximum:
            self.fail(field, f"The {name} field must not be greater than {_shown(maximum)}.")
        else:
            return True
        return False

    def string(
        self,
        field: str,
        *,
        required: bool = False,
        nullable: bool = False,
        max: int | None = None,
        size: int | None = None,
    ) -> str | None:
        """``string|max:N`` (or ``size:N``)."""
        value = self._value(field, required, nullable, "The {} field must be a string.")
        if value is _MISSING:
            return None
        name = attribute(field)
        if not isinstance(value, str):
            self.fail(field, f"The {name} field must be a string.")
        elif max is not None and len(value) > max:
            self.fail(field, f"The {name} field must not be greater than {max} characters.")
        elif size is not None and len(value) != size:
            self.fail(field, f"The {name} field must be {size} characters.")
        else:
            return value
        return None

    def integer(
        self,
        field: str,
        *,
        required: bool = False,
        nullable: bool = False,
        min: int | None = None,
        max: int | None = None,
        gt: int | None = None,
    ) -> int | None:
        """``integer`` with ``min``/``max`` (``between`` when both) or ``gt``."""
        value = self._value(field, required, nullable, "The {} field must be an integer.")
        if value is _MISSING:
            return None
        number: int | None = None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int):
            number = value
        elif (isinstance(value, float) and value.is_integer()) or (
            isinstance(value, str) and _INTEGER.fullmatch(value.strip())
        ):
            number = int(value)
        if number is None:
            self.fail(field, f"The {attribute(field)} field must be an integer.")
            return None
        if gt is not None and number <= gt:
            self.fail(field, f"The {attribute(field)} field must be greater than {gt}.")
            return None
        return number if self._range(field, number, min, max) else None

    def number(
        self,
        field: str,
        *,
        required: bool = False,
        nullable: bool = False,
        min: float | None = None,
        max: float | None = None,
    ) -> int | float | None:
        """``numeric|min:N|max:N``; integral values come back as int."""
        value = self._value(field, required, nullable, "The {} field must be a number.")
        if value is _MISSING:
            return None
        number: int | float | None = None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int | float):
            number = value
        elif isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
            number = float(value)
        if number is None:
            self.fail(field, f"The {attribute(field)} field must be a number.")
            return None
        if isinstance(number, float) and number.is_integer():
            number = int(number)
        return number if self._range(field, number, min, max) else None

    def boolean(self, field: str, *, required: bool = False, nullable: bool = False) -> bool | None:
        """``boolean``: true, false, 1, 0, "1" or "0"."""
        value = self._value(field, required, nullable, "The {} field must be true or false.")
        if value is _MISSING:
            return None
        if value in (True, 1, "1") and not isinstance(value, float):
            return True
        if value in (0, "0") and not isinstance(value, float):
            return False
        self.fail(field, f"The {attribute(field)} field must be true or false.")
        return None

    def one_of(
        self, field: str, choices: tuple[str, ...], *, required: bool = False, nullable: bool = False
    ) -> str | None:
        """``in:a,b,c``."""
        value = self._value(field, required, nullable, "The selected {} is invalid.")
        if value is _MISSING:
            return None
        if value not in choices:
            self.fail(field, f"The selected {attribute(field)} is invalid.")
            return None
        return str(value)

    def uuid(self, field: str, *, required: bool = False, nullable: bool = False) -> str | None:
        """``uuid`` (any version, either case, as Laravel's ``Str::isUuid``)."""
        value = self._value(field, required, nullable, "The {} field must be a valid UUID.")
        if value is _MISSING:
            return None
        if not isinstance(value, str) or not _UUID.fullmatch(value):
            self.fail(field, f"The {attribute(field)} field must be a valid UUID.")
            return None
        return value

    def date_format(
        self, field: str, *, required: bool = False, fmt: str = "%Y-%m-%d %H:%M:%S", shown: str = "Y-m-d H:i:s"
    ) -> datetime | None:
        """``date_format:Y-m-d H:i:s`` (UTC)."""
        template = f"The {{}} field must match the format {shown}."
        value = self._value(field, required, False, template)
        if value is _MISSING:
            return None
        try:
            return datetime.strptime(str(value), fmt).replace(tzinfo=UTC)
        except ValueError:
            self.fail(field, template.format(attribute(field)))
            return None

    def date(self, field: str, *, required: bool = False, nullable: bool = False) -> datetime | None:
        """``date``: anything ISO 8601-like."""
        value = self._value(field, required, nullable, "The {} field must be a valid date.")
        if value is _MISSING:
            return None
        parsed = parse_date(value) if isinstance(value, str) else None
        if parsed is None:
            self.fail(field, f"The {attribute(field)} field must be a valid date.")
        return parsed

    def mapping(self, field: str, *, required: bool = False, nullable: bool = False) -> dict[str, Any] | None:
        """``array`` holding an object."""
        value = self._value(field, required, nullable, "The {} field must be an array.")
        if value is _MISSING:
            return None
        if not isinstance(value, dict):
            self.fail(field, f"The {attribute(field)} field must be an array.")
            return None
        return value

    def items(self, field: str, *, required: bool = False, min: int = 0) -> list[Any] | None:
        """``array|min:N`` holding a list."""
        value = self._value(field, required, False, "The {} field must be an array.")
        if value is _MISSING:
            return None
        if not isinstance(value, list):
            self.fail(field, f"The {attribute(field)} field must be an array.")
            return None
        if len(value) < min:
            self.fail(field, f"The {attribute(field)} field must have at least {min} items.")
            return None
        return value


class RouteGroup:
    """Handlers of one area of the API over the shared :class:`State`; :meth:`register` adds their routes."""

    def __init__(self, state: State) -> None:
        self.state = state

    def register(self, add: AddRoute) -> None:
        """Add every route of the area with ``add``."""
        raise NotImplementedError

    def page_size(self, request: web.BaseRequest) -> int:
        """The listing's page size: ``per_page`` from the query, or 25 when the server ignores it."""
        return self.state.page_size(request.query)

    def charger(self, uuid: str) -> dict[str, Any] | web.Response:
        """The user's charger, or the answer for one that is not: 403 (another owner's) or 404."""
        charger = self.state.chargers.get(uuid)
        if charger is not None:
            return charger
        if uuid in self.state.world.foreign_chargers:
            return forbidden()
        return json_response(404, CHARGER_NOT_FOUND)

    def site(self, uuid: str) -> dict[str, Any] | web.Response:
        """The user's site, or 403 (another owner's) / 404."""
        site = self.state.world.sites.get(uuid)
        if site is not None:
            return site
        if uuid == self.state.world.foreign_site["uuid"]:
            return forbidden()
        return not_found_model("Site")

    def team(self, uuid: str) -> dict[str, Any] | web.Response:
        """The user's team, or 403 (another owner's) / 404."""
        team = self.state.world.teams.get(uuid)
        if team is not None:
            return team
        if uuid == self.state.world.foreign_team["uuid"]:
            return forbidden()
        return not_found_model("Team")

    def paired_charger(self, check: Validator, identity: str, pincode: float, *, on_site: bool = False) -> str | None:
        """The uuid of the charger ``identity`` when ``pincode`` is its pincode (and, with ``on_site``, it is on a
        site); otherwise None, with Laravel's failure recorded on ``check`` (an unknown identity, a wrong pincode)."""
        state = self.state
        uuid = next((uuid for uuid, c in state.chargers.items() if c["identity"] == identity), None)
        if uuid is None or (on_site and state.site_of(uuid) is None):
            check.fail("identity", "The selected identity is invalid.")
            return None
        if pincode != int(state.pincodes[uuid]):
            check.fail("pincode", "The pincode is incorrect.")
            return None
        return uuid

    def connector(self, uuid: str, number: str) -> tuple[dict[str, Any], dict[str, Any]] | web.Response:
        """The charger and its connector ``number``, or the 403/404 answer."""
        charger = self.charger(uuid)
        if isinstance(charger, web.Response):
            return charger
        connector = self.state.connector(charger, int(number)) if number.isdigit() else None
        if connector is None:
            return not_found_model("ChargerConnector")
        return charger, connector
