"""Public charging (``client.public_charging``, or ``PublicChargingClient`` without an API token).

A driver without an account charges at a charger's public code and pays by card: look the
charger up (``get_charger``), start a session (``start_session``: the answer carries the
session token and what the payment page needs to place the card hold with Stripe), ``confirm``
once the payment is confirmed, then ``stop`` (or ``cancel`` before charging starts).

No API token is sent: the session token is the credential. It travels in the path, and the
SDK redacts it wherever a path is shown (errors, logs, ``Request`` reprs, ``RequestEvent``\\ s);
it is hidden from every repr, and an error's ``body`` has it (and the payment's client secret)
replaced by ``***``. ``start_session``, ``confirm``, ``stop`` and ``cancel`` reach the charger
or the card hold: they are sent as charger commands, so a 504 raises ``ChargerTimeoutError``
and a connection error after sending has ``request_sent`` True (the outcome is unknown: read
the session with ``get_session`` before sending again). The server limits calls per IP address (3 starts a minute, 30
reads, 10 confirm/stop/cancel): the client paces each of those budgets apart (its
``endpoint_limits``), and they spend nothing of an API token's budget. A POST is retried only
when it provably was not sent, or after a 429 (re-queued by its budget's limiter).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, TypeVar

from .._converter import structure_response
from .._http import redact_path
from ..exceptions import InvalidRequestError, ResponseValidationError, SessionStartUnreadableError
from ..models import (
    PublicCharger,
    PublicChargingPayment,
    PublicChargingSession,
    PublicChargingStart,
    PublicChargingState,
)
from . import _validate as check
from ._base import Resource
from ._ids import path_segment

__all__ = ["PublicCharging"]

T = TypeVar("T")

_MAX_CODE: Final = 10


def _code(code: object) -> str:
    """A charger's public code (at most 10 characters; the server ignores case), checked as a path segment."""
    text = check.text("code", code, max_length=_MAX_CODE)
    if text != text.strip():
        raise InvalidRequestError(f"code must not start or end with spaces, got {code!r}")
    path_segment(text, "code")  # refuses "." and ".."
    return text


def _session_path(token: object, action: str = "") -> str:
    """``/public-charging/sessions/{token}[/action]``; a message about the token never repeats it."""
    if not isinstance(token, str):
        raise InvalidRequestError(f"token must be the session token (a string), got a {type(token).__name__}")
    if not token.strip() or token in {".", ".."}:
        raise InvalidRequestError("token must be the session token, got an empty or unusable value")
    return f"/public-charging/sessions/{path_segment(token, 'token')}{action}"


class PublicCharging(Resource):
    """Public charging: a charger's public page, and a paying driver's session.

    Errors: ``NotFoundError`` (404) for an unknown or disabled code and an unknown or expired
    session; ``BadRequestError`` (400) when the charger is offline or refuses to stop (unplug to
    end the session); ``UnprocessableEntityError`` (422) for a connector the charger lacks;
    ``ConflictError`` (409) when the connector is not available, or the session can no longer be
    cancelled.
    """

    def _read(self, body: Any, cls: type[T], method: str, path: str, token: str | None) -> T:
        """``body`` as ``cls``; a misfit's error shows the path redacted and the body without its secrets.

        The converter scrubs the models' secrets (a payment's ``client_secret``) from the body it
        attaches to the error, and ``token`` (the session token) wherever the body repeats it.
        """
        secrets = (token,) if token else ()
        return structure_response(body, cls, method=method, path=redact_path(path), secrets=secrets)

    async def _command(self, token: str, action: str) -> PublicChargingSession:
        """A POST that reaches the charger or the card hold: sent as an action (outcome unknown on a 504)."""
        path = _session_path(token, action)
        body = await self._transport.request("POST", path, action=True, anonymous=True)
        return self._read(body, PublicChargingSession, "POST", path, token)

    def _with_payment(
        self, body: Mapping[str, Any], method: str, path: str, token: str
    ) -> tuple[PublicChargingSession, PublicChargingPayment | None]:
        """The session (``data``) and the payment (None when absent) of a session answer."""
        session = self._read({"data": body.get("data")}, PublicChargingSession, method, path, token)
        payment = body.get("payment")
        return session, None if payment is None else self._read(payment, PublicChargingPayment, method, path, token)

    async def get_charger(self, code: str) -> PublicCharger:
        """``GET /public-charging/chargers/{code}``: the charger, its connectors and prices.

        ``code`` is the charger's public code (at most 10 characters, any case).
        """
        path = f"/public-charging/chargers/{path_segment(_code(code), 'code')}"
        body = await self._transport.request("GET", path, anonymous=True)
        return self._read(body, PublicCharger, "GET", path, None)

    async def start_session(self, *, code: str, connector_id: int, email: str | None = None) -> PublicChargingStart:
        """``POST /public-charging/sessions``: start a session on connector ``connector_id`` (1-100).

        Places a card hold (``PublicCharger.preauth_amount``): hand ``payment`` to Stripe's
        ``confirmPayment``, then call ``confirm(session_token)``. ``email`` (an e-mail address,
        at most 255 characters) receives the receipt. Keep ``session_token`` secret: it is the
        session's only credential.

        Sent as a charger command: never retried once it may have arrived; a 504 raises
        ``ChargerTimeoutError`` and a connection error after sending has ``request_sent`` True.
        The outcome is then unknown, and without the answer the session token is lost: the card
        hold lapses unconfirmed.

        When the answer carries a session token but its ``data`` or ``payment`` cannot be read,
        the session and its card hold exist all the same: ``SessionStartUnreadableError`` (a
        ``ResponseValidationError``) is raised with the token as its ``session_token`` (in neither
        its message, its repr nor its ``body``), so the caller can still ``get_session``,
        ``confirm`` or ``cancel`` (which releases the hold). An answer without a session token
        raises a plain ``ResponseValidationError``.
        """
        body: dict[str, Any] = {
            "code": _code(code),
            "connector_id": check.integer("connector_id", connector_id, minimum=1, maximum=100),
        }
        if email is not None:
            body["email"] = check.email("email", email)
        path = "/public-charging/sessions"
        answer = await self._transport.request("POST", path, json=body, action=True, anonymous=True)
        token = answer.get("session_token") if isinstance(answer, Mapping) else None
        if not isinstance(token, str) or not token:
            raise ResponseValidationError(
                "the answer has no session_token (a string)", method="POST", path=path, status=200, body=None
            )
        try:
            session, payment = self._with_payment(answer, "POST", path, token)
        except ResponseValidationError as exc:
            # The session and its card hold exist: the caller needs the token to go on or cancel.
            message = str(exc).partition(": ")[2]  # without the "POST <path>: " the error adds again
            raise SessionStartUnreadableError(
                message, session_token=token, method="POST", path=path, status=exc.status, body=exc.body
            ) from exc
        return PublicChargingStart(session_token=token, session=session, payment=payment)

    async def get_session(self, token: str) -> PublicChargingState:
        """``GET /public-charging/sessions/{token}``: the session, with ``payment`` while it is ``created``."""
        path = _session_path(token)
        answer = await self._transport.request("GET", path, anonymous=True)
        if not isinstance(answer, Mapping):
            raise ResponseValidationError(
                "expected an object with 'data'", method="GET", path=redact_path(path), status=200, body=None
            )
        session, payment = self._with_payment(answer, "GET", path, token)
        return PublicChargingState(session=session, payment=payment)

    async def confirm(self, token: str) -> PublicChargingSession:
        """``POST /public-charging/sessions/{token}/confirm``: the card hold is confirmed; charging starts.

        Call it right after Stripe's ``confirmPayment`` succeeded. Sent as a charger command: a
        504 raises ``ChargerTimeoutError`` (the outcome is unknown: ``get_session`` tells).
        """
        return await self._command(token, "/confirm")

    async def stop(self, token: str) -> PublicChargingSession:
        """``POST /public-charging/sessions/{token}/stop``: end charging (``stopping``, then ``settling``).

        ``BadRequestError`` when the charger refuses or is offline: unplugging ends the session.
        Sent as a charger command: a 504 raises ``ChargerTimeoutError`` (the outcome is unknown:
        ``get_session`` tells).
        """
        return await self._command(token, "/stop")

    async def cancel(self, token: str) -> PublicChargingSession:
        """``POST /public-charging/sessions/{token}/cancel``: end a session that is not charging yet.

        Only while ``created``, ``authorized`` or ``starting``; the card hold is released.
        Later it raises ``ConflictError``. Sent as a charger command: a 504 raises
        ``ChargerTimeoutError`` (the outcome is unknown: ``get_session`` tells).
        """
        return await self._command(token, "/cancel")
