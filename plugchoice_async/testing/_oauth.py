"""``POST /oauth/token`` as Laravel Passport answers it: client credentials and refresh token grants.

Registered clients get a new access token (and refresh token) on every grant. Access tokens are accepted as
bearer tokens until ``token_ttl`` seconds of the emulator clock have passed, or until :meth:`OAuthServer.expire`;
a refresh token works once (Passport revokes it and the access token it came with).
"""

from __future__ import annotations

import base64
import binascii
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ._web import ok, read_input

__all__ = ["OAUTH_PATH", "OAuthServer"]

OAUTH_PATH = "/oauth/token"
_JWT_HEADER = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9"  # {"typ":"JWT","alg":"RS256"}
_MALFORMED = (
    "The request is missing a required parameter, includes an invalid parameter value, includes a parameter more "
    "than once, or is otherwise malformed."
)
_UNSUPPORTED = "The authorization grant type is not supported by the authorization server."


def _error(status: int, error: str, description: str, hint: str | None = None) -> web.Response:
    body: dict[str, Any] = {"error": error, "error_description": description}
    if hint is not None:
        body["hint"] = hint
    body["message"] = description
    return ok(body, status)


@dataclass(slots=True)
class _Issued:
    client_id: str
    expires_at: float


class OAuthServer:
    """Clients, the tokens issued to them, and the token endpoint's handler."""

    def __init__(self, seed: int, clock: Callable[[], float], token_ttl: float = 3600.0) -> None:
        self.clients: dict[str, str] = {}  # client_id -> client_secret
        self.token_ttl = token_ttl
        self.grants = 0
        self._clock = clock
        self._access: dict[str, _Issued] = {}
        self._refresh: dict[str, tuple[str, str]] = {}  # refresh token -> (client_id, its access token)
        self._rng = random.Random(f"plugchoice-oauth:{seed}")

    def issue_client(self, client_id: str, client_secret: str) -> None:
        """Register (or re-key) an OAuth client."""
        if not client_id or not client_secret:
            raise ValueError("client_id and client_secret must not be empty")
        self.clients[client_id] = client_secret

    def client_of(self, token: str, now: float) -> str | None:
        """The client an access token was issued to, while it is valid; None otherwise."""
        issued = self._access.get(token)
        if issued is None or now >= issued.expires_at:
            return None
        return issued.client_id

    def expire(self) -> None:
        """Make every access token issued so far invalid (refresh tokens keep working)."""
        for issued in self._access.values():
            issued.expires_at = float("-inf")

    def _credentials(self, request: web.BaseRequest, data: dict[str, Any]) -> tuple[str | None, str | None]:
        client_id, secret = data.get("client_id"), data.get("client_secret")
        authorization = request.headers.get("Authorization", "")
        if client_id is None and authorization[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return None, None
            client_id, _, secret = decoded.partition(":")
        return (None if client_id is None else str(client_id)), (None if secret is None else str(secret))

    async def token(self, request: web.Request) -> web.Response:
        """The token endpoint."""
        data = await read_input(request)
        grant = data.get("grant_type")
        if grant not in ("client_credentials", "refresh_token"):
            return _error(
                400, "unsupported_grant_type", _UNSUPPORTED, "Check that all required parameters have been provided"
            )
        client_id, secret = self._credentials(request, data)
        if not client_id:
            return _error(400, "invalid_request", _MALFORMED, "Check the `client_id` parameter")
        if secret is None or self.clients.get(client_id) != secret:
            return _error(401, "invalid_client", "Client authentication failed")
        if grant == "refresh_token":
            refresh_token = data.get("refresh_token")
            if not refresh_token:
                return _error(400, "invalid_request", _MALFORMED, "Check the `refresh_token` parameter")
            owner = self._refresh.get(str(refresh_token))
            if owner is None:
                return _error(400, "invalid_grant", "The refresh token is invalid.", "Token has been revoked")
            if owner[0] != client_id:
                return _error(400, "invalid_grant", "The refresh token is invalid.", "Token is not linked to client")
            del self._refresh[str(refresh_token)]
            self._access.pop(owner[1], None)
        return ok(self._grant(client_id))

    def _grant(self, client_id: str) -> dict[str, Any]:
        bits = self._rng.getrandbits
        access = f"{_JWT_HEADER}.{bits(384):096x}.{bits(256):064x}"
        refresh = f"def50200{bits(512):0128x}"
        self._access[access] = _Issued(client_id, self._clock() + self.token_ttl)
        self._refresh[refresh] = (client_id, access)
        self.grants += 1
        return {
            "token_type": "Bearer",
            "expires_in": round(self.token_ttl),
            "access_token": access,
            "refresh_token": refresh,
        }
