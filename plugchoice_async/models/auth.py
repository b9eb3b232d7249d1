"""OAuth tokens."""

from __future__ import annotations

import attrs

__all__ = ["OAuthToken"]


@attrs.frozen(kw_only=True)
class OAuthToken:
    """The answer of ``POST https://app.plugchoice.com/oauth/token``.

    ``expires_in`` is the lifetime in seconds (about a year). It is only RECOMMENDED by RFC 6749
    (section 5.1), so it may be absent (None): the OAuth helpers then keep the token until the API
    refuses it (401) and fetch a new one then. ``refresh_token`` is absent for the
    client-credentials grant. Both tokens are left out of ``repr``.
    """

    token_type: str | None = None
    expires_in: int | None = None
    access_token: str = attrs.field(repr=False)
    refresh_token: str | None = attrs.field(default=None, repr=False)
