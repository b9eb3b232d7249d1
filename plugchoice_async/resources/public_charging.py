"""Public charging (``client.public_charging``, or ``PublicChargingClient`` without an API token).

A driver without an account charges at a charger's public code and pays by card: look the
charger up (``get_charger``), start a session (``start_session``: the answer carries the
session token and what the payment page needs to place the card hold with Stripe), ``confirm``
once the payment is confirmed, then ``stop`` (or ``cancel`` before charging starts).

No API token is sent: the session token is the credential. It travels in the path, and the
SDK redacts it wherever a path is shown (errors, logs, ``Request`` reprs, ``RequestEvent``\\ s);
it is hidden from every repr. The server limits calls per IP address (3 starts a minute, 30
reads, 10 confirm/stop/cancel): the client paces each of those budgets apart (its
``endpoint_limits``), and they spend nothing of an API token's budget. A POST is retried only
when it provably was not sent, or after a 429 (re-queued by its budget's limiter).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, TypeVar
from urllib.parse import quote

from .._converter import structure_response
from .._http import redact_path
from ..exceptions import InvalidRequestError, ResponseValidationError
from ..models import (
    PublicCharger,
    PublicChargingPayment,
    PublicChargingSession,
    PublicChargingStart,
    PublicChargingState,
)
from . import _validate as check
from ._base import Resource

__all__ = ["PublicCharging"]

T = TypeVar("T")

_SECRET_KEYS: Final = frozenset({"session_token", "client_secret"})
_REDACTED: Final = "***"
_MAX_CODE: Final = 10


def _scrubbed(body: Any) -> Any:
    """``body`` with the session token and the client secret replaced (kept on errors as ``body``)."""
    if isinstance(body, Mapping):
        return {key: _REDACTED if key in _SECRET_KEYS else _scrubbed(value) for key, value in body.items()}
    if isinstance(body, list):
        return [_scrubbed(item) for item in body]
    return body


def _code(code: object) -> str:
    """A charger's public code (at most 10 characters; the server ignores case)."""
    text = check.text("code", code, max_length=_MAX_CODE)
    if text != text.strip():
        raise InvalidRequestError(f"code must not start or end with spaces, got {code!r}")
    return text


def _session_path(token: object, action: str = "") -> str:
    """``/public-charging/sessions/{token}[/action]``; a message about the token never repeats it."""
    if not isinstance(token, str):
        raise InvalidRequestError(f"token must be the session token (a string), got a {type(token).__name__}")
    if not token.strip() or token in {".", ".."}:
        raise InvalidRequestError("token must be the session token, got an empty or unusable value")
    return f"/public-charging/sessions/{quote(token, safe='')}{action}"


class PublicCharging(Resource):
    """Public charging: a charger's public page, and a paying driver's session.

    Errors: ``NotFoundError`` (404) for an unknown or disabled code and an unknown or expired
    session; ``BadRequestError`` (400) when the charger is offline or refuses to stop (unplug to
    end the session); ``UnprocessableEntityError`` (422) for a connector the charger lacks;
    ``ConflictError`` (409) when the connector is not available, or the session can no longer be
    cancelled.
    """

    def _read(self, body: Any, cls: type[T], method: str, path: str) -> T:
        try:
            return structure_response(body, cls, method=method, path=redact_path(path))
        except ResponseValidationError as exc:
            exc.body = _scrubbed(exc.body)
            raise

    async def _session(self, method: str, token: str, action: str) -> PublicChargingSession:
        path = _session_path(token, action)
        body = await self._transport.request(method, path, anonymous=True)
        return self._read(body, PublicChargingSession, method, path)

    def _with_payment(self, body: Any, method: str, path: str) -> tuple[PublicChargingSession, Any]:
        """The session (``data``) and the raw ``payment`` of a session answer."""
        if not isinstance(body, Mapping):
            raise ResponseValidationError(
                "expected an object with 'data'", method=method, path=redact_path(path), status=200, body=None
            )
        session = self._read({"data": body.get("data")}, PublicChargingSession, method, path)
        return session, body.get("payment")

    def _payment(self, payment: Any, method: str, path: str) -> PublicChargingPayment | None:
        return None if payment is None else self._read(payment, PublicChargingPayment, method, path)

    async def get_charger(self, code: str) -> PublicCharger:
        """``GET /public-charging/chargers/{code}``: the charger, its connectors and prices.

        ``code`` is the charger's public code (at most 10 characters, any case).
        """
        path = f"/public-charging/chargers/{quote(_code(code), safe='')}"
        body = await self._transport.request("GET", path, anonymous=True)
        return self._read(body, PublicCharger, "GET", path)

    async def start_session(self, *, code: str, connector_id: int, email: str | None = None) -> PublicChargingStart:
        """``POST /public-charging/sessions``: start a session on connector ``connector_id`` (1-100).

        Places a card hold (``PublicCharger.preauth_amount``): hand ``payment`` to Stripe's
        ``confirmPayment``, then call ``confirm(session_token)``. ``email`` (at most 255
        characters) receives the receipt. Keep ``session_token`` secret: it is the session's
        only credential.
        """
        body: dict[str, Any] = {
            "code": _code(code),
            "connector_id": check.integer("connector_id", connector_id, minimum=1, maximum=100),
        }
        if email is not None:
            body["email"] = check.text("email", email, max_length=255)
        path = "/public-charging/sessions"
        answer = await self._transport.request("POST", path, json=body, anonymous=True)
        session, payment = self._with_payment(answer, "POST", path)
        token = answer.get("session_token")
        if not isinstance(token, str) or not token:
            raise ResponseValidationError(
                "the answer has no session_token (a string)", method="POST", path=path, status=200, body=None
            )
        return PublicChargingStart(session_token=token, session=session, payment=self._payment(payment, "POST", path))

    async def get_session(self, token: str) -> PublicChargingState:
        """``GET /public-charging/sessions/{token}``: the session, with ``payment`` while it is ``created``."""
        path = _session_path(token)
        answer = await self._transport.request("GET", path, anonymous=True)
        session, payment = self._with_payment(answer, "GET", path)
        return PublicChargingState(session=session, payment=self._payment(payment, "GET", path))

    async def confirm(self, token: str) -> PublicChargingSession:
        """``POST /public-charging/sessions/{token}/confirm``: the card hold is confirmed; charging starts.

        Call it right after Stripe's ``confirmPayment`` succeeded.
        """
        return await self._session("POST", token, "/confirm")

    async def stop(self, token: str) -> PublicChargingSession:
        """``POST /public-charging/sessions/{token}/stop``: end charging (``stopping``, then ``settling``).

        ``BadRequestError`` when the charger refuses or is offline: unplugging ends the session.
        """
        return await self._session("POST", token, "/stop")

    async def cancel(self, token: str) -> PublicChargingSession:
        """``POST /public-charging/sessions/{token}/cancel``: end a session that is not charging yet.

        Only while ``created``, ``authorized`` or ``starting``; the card hold is released.
        Later it raises ``ConflictError``.
        """
        return await self._session("POST", token, "/cancel")
