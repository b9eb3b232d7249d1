"""Authentication: a static bearer token, or OAuth2 (client credentials / refresh token).

::

    PlugchoiceClient(token="...")                                        # personal access token
    PlugchoiceClient(auth=OAuthClientCredentials("client-id", "secret"))
    PlugchoiceClient(auth=OAuthRefreshToken("client-id", "secret", refresh_token="...",
                                            on_token=save_rotated_tokens))

OAuth tokens are fetched from ``/oauth/token`` on the API's host (or ``token_url``) on
first use, refreshed ``refresh_margin`` seconds before they expire (a token answered
without ``expires_in``, which RFC 6749 allows, is kept until refused), and once more when a
request is answered 401 (the token was revoked or expired early); the request is then
sent again once (a 401 is refused before anything is processed, so this never
duplicates a charger command). Concurrent requests share one refresh. Token values and
client secrets never appear in logs, reprs or exception text.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from typing import Final

from ._converter import structure_response
from ._types import TokenFetcher
from .exceptions import ConfigurationError
from .models.auth import OAuthToken

__all__ = ["OAuthClientCredentials", "OAuthRefreshToken"]

logger: Final = logging.getLogger("plugchoice_async")


class _OAuth:
    """Shared token bookkeeping: cache, expiry, one refresh at a time."""

    grant_type: str = ""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        scope: str | None = None,
        token_url: str | None = None,
        refresh_margin: float = 60.0,
        on_token: Callable[[OAuthToken], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not client_id or not client_secret:
            raise ConfigurationError("OAuth needs a client_id and a client_secret")
        if refresh_margin < 0:
            raise ConfigurationError(f"refresh_margin must be >= 0, got {refresh_margin}")
        self.client_id = client_id
        self._client_secret = client_secret
        self.scope = scope
        self.token_url = token_url
        self.refresh_margin = refresh_margin
        self._on_token = on_token
        self._clock = clock
        self._access: str | None = None
        self._refresh_at = 0.0
        self._lock: asyncio.Lock | None = None
        #: Token grants made so far.
        self.grants = 0

    def __repr__(self) -> str:
        return f"<{type(self).__name__} client_id={self.client_id!r}>"

    def _form(self) -> dict[str, str]:
        form = {"grant_type": self.grant_type, "client_id": self.client_id, "client_secret": self._client_secret}
        if self.scope:
            form["scope"] = self.scope
        return form

    def _fresh(self) -> str | None:
        if self._access is not None and self._clock() < self._refresh_at:
            return self._access
        return None

    async def authorization(self, fetch: TokenFetcher, token_url: str) -> str:
        """The ``Authorization`` header value, fetching or refreshing the token when due."""
        access = self._fresh()
        if access is not None:
            return f"Bearer {access}"
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            access = self._fresh()  # another request may have refreshed while we waited
            if access is None:
                access = await self._obtain(fetch, token_url)
            return f"Bearer {access}"

    async def refresh_after_401(self, used: str, fetch: TokenFetcher, token_url: str) -> None:
        """A request sent with ``used`` got 401: refresh, unless another request already did."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._access is not None and used != f"Bearer {self._access}":
                return
            logger.info("access token refused (401): fetching a new one")
            await self._obtain(fetch, token_url)

    async def _obtain(self, fetch: TokenFetcher, token_url: str) -> str:
        url = self.token_url or token_url
        data = await fetch(url, self._form())
        token = structure_response(data, OAuthToken, method="POST", path="/oauth/token")
        self.grants += 1
        self._store(token)
        self._access = token.access_token
        if token.expires_in is None:
            # RFC 6749 (5.1) only recommends expires_in: without it the token is used until the API
            # refuses it, and the 401 then fetches a new one (refresh_after_401).
            self._refresh_at = math.inf
            logger.info("obtained an OAuth access token (%s grant, no expiry stated)", self.grant_type)
        else:
            lifetime = max(0.0, float(token.expires_in))
            self._refresh_at = self._clock() + max(0.0, lifetime - min(self.refresh_margin, lifetime / 10))
            logger.info("obtained an OAuth access token (%s grant, expires in %d s)", self.grant_type, token.expires_in)
        if self._on_token is not None:
            self._on_token(token)
        return token.access_token

    def _store(self, token: OAuthToken) -> None:
        """Hook for grants that keep state from the answer (the rotated refresh token)."""


class OAuthClientCredentials(_OAuth):
    """OAuth2 client-credentials grant: the client authenticates as itself.

    ``token_url`` defaults to ``https://<API host>/oauth/token``. ``refresh_margin``: how
    many seconds before expiry a new token is fetched (at most a tenth of its lifetime).
    ``on_token`` is called with each new ``OAuthToken`` (to cache it, say).
    """

    grant_type = "client_credentials"


class OAuthRefreshToken(_OAuth):
    """OAuth2 refresh-token grant: trade a refresh token (from an earlier authorization) for access tokens.

    Plugchoice rotates refresh tokens: each grant returns a new one and revokes the old. The
    current one is ``refresh_token``; pass ``on_token`` to persist it, or the next process
    start will hold a revoked token.
    """

    grant_type = "refresh_token"

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        *,
        scope: str | None = None,
        token_url: str | None = None,
        refresh_margin: float = 60.0,
        on_token: Callable[[OAuthToken], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not refresh_token:
            raise ConfigurationError("OAuthRefreshToken needs a refresh_token")
        super().__init__(
            client_id,
            client_secret,
            scope=scope,
            token_url=token_url,
            refresh_margin=refresh_margin,
            on_token=on_token,
            clock=clock,
        )
        self._refresh_token = refresh_token

    @property
    def refresh_token(self) -> str:
        """The refresh token the next grant will use (rotated after every grant)."""
        return self._refresh_token

    def _form(self) -> dict[str, str]:
        form = super()._form()
        form["refresh_token"] = self._refresh_token
        return form

    def _store(self, token: OAuthToken) -> None:
        if token.refresh_token:
            self._refresh_token = token.refresh_token
