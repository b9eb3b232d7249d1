"""Pure HTTP helpers: no sockets, no aiohttp.

Status -> exception, Retry-After and rate-limit headers, JSON decoding, the
``{"data": ...}`` envelope, the next-page link and URL redaction. Everything here is a
function of ``(status, headers, body)`` (or of a URL) so it is tested with recorded
answers alone.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import unquote_plus, urlsplit, urlunsplit

import attrs
import orjson
from multidict import CIMultiDict, CIMultiDictProxy

from .exceptions import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ChargerTimeoutError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    UnprocessableEntityError,
)

__all__ = [
    "RateLimitHeaders",
    "decode_json",
    "next_page_url",
    "parse_rate_limit_headers",
    "parse_request_id",
    "parse_retry_after",
    "redact_path",
    "redact_url",
    "status_error",
    "unwrap",
]

_STATUS_CLASSES: Final[dict[int, type[APIStatusError]]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}

_MAX_TEXT: Final = 200
#: Query parameters whose value ``redact_url`` hides (compared without case).
_SECRET_PARAMS: Final = frozenset(
    {"token", "access_token", "refresh_token", "secret", "client_secret", "password", "api_key"}
)
_REDACTED: Final = "***"
#: Paths whose next segment is a credential: public charging's session token.
_SECRET_PATH_PREFIX: Final = "/public-charging/sessions/"
_CASE_INSENSITIVE: Final = (CIMultiDict, CIMultiDictProxy)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """Look a header up case-insensitively (aiohttp's headers already are; plain dicts in tests are not)."""
    value = headers.get(name)
    if value is None and not isinstance(headers, _CASE_INSENSITIVE):
        lowered = name.lower()
        for key, val in headers.items():
            if key.lower() == lowered:
                return val
    return value


def redact_url(url: str) -> str:
    """``url`` fit to show in an error or a log: credentials and secret query values replaced by ``***``.

    ``https://user:pw@host/x?page=2&token=abc`` becomes ``https://***@host/x?page=2&token=***``:
    any user info goes, as does the value of every query parameter named ``token``, ``access_token``,
    ``refresh_token``, ``secret``, ``client_secret``, ``password`` or ``api_key`` (in any case).
    A public-charging session token in the path goes too (``/public-charging/sessions/***/stop``).
    A URL (or a path) with nothing to hide is returned unchanged, character for character.
    """
    try:
        parts = urlsplit(url)
    except ValueError:  # an unbalanced "[" in the host: show nothing rather than risk a secret
        return "<unparsable URL>"
    path = redact_path(parts.path)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{_REDACTED}@{netloc.rpartition('@')[2]}"
    query = parts.query
    if query:
        pairs = query.split("&")
        for i, pair in enumerate(pairs):
            name, sep, value = pair.partition("=")
            if sep and value and unquote_plus(name).strip().lower() in _SECRET_PARAMS:
                pairs[i] = f"{name}={_REDACTED}"
        query = "&".join(pairs)
    if netloc == parts.netloc and query == parts.query and path == parts.path:
        return url
    return urlunsplit(parts._replace(netloc=netloc, query=query, path=path))


def redact_path(path: str) -> str:
    """``path`` with the segment after ``/public-charging/sessions/`` (a session token) replaced by ``***``."""
    at = path.find(_SECRET_PATH_PREFIX)
    if at < 0:
        return path
    start = at + len(_SECRET_PATH_PREFIX)
    end = path.find("/", start)
    if start == len(path):
        return path
    return path[:start] + _REDACTED + ("" if end < 0 else path[end:])


def parse_request_id(headers: Mapping[str, str]) -> str | None:
    """The server's ``X-Request-Id`` (quote it when asking Plugchoice about a request), or None."""
    raw = _header(headers, "X-Request-Id")
    if raw is None:
        return None
    return raw.strip() or None


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Return the server's requested delay in seconds, or None if it gave none.

    Reads, in order: ``retry-after-ms`` (milliseconds), ``Retry-After`` as seconds
    or as an HTTP-date, and, as Laravel sends on a 429, ``X-RateLimit-Reset``
    (epoch seconds). ``now`` is the current epoch time (for the date forms).
    """
    raw_ms = _header(headers, "retry-after-ms")
    if raw_ms is not None:
        try:
            ms = float(raw_ms)
        except ValueError:
            pass
        else:
            if math.isfinite(ms) and ms >= 0:
                return ms / 1000.0
    raw = _header(headers, "Retry-After")
    if raw is not None:
        raw = raw.strip()
        try:
            seconds = float(raw)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(raw)
            except (TypeError, ValueError, IndexError):
                when = None
            if when is not None and when.tzinfo is not None:
                now = time.time() if now is None else now
                return max(0.0, when.timestamp() - now)
        else:
            if math.isfinite(seconds) and seconds >= 0:
                return seconds
    reset = _header(headers, "X-RateLimit-Reset")
    if reset is not None:
        try:
            at = float(reset)
        except ValueError:
            return None
        if math.isfinite(at):
            now = time.time() if now is None else now
            return max(0.0, at - now)
    return None


@attrs.frozen
class RateLimitHeaders:
    """The rate-limit state one answer reported (``X-RateLimit-*``)."""

    limit: int | None
    remaining: int | None
    reset: float | None  # epoch seconds


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    raw = _header(headers, name)
    if raw is None:
        return None
    try:
        return int(raw.strip())
    except ValueError:
        return None


def parse_rate_limit_headers(headers: Mapping[str, str]) -> RateLimitHeaders | None:
    """Parse ``X-RateLimit-Limit/-Remaining/-Reset``; None when the answer has none of them."""
    limit = _int_header(headers, "X-RateLimit-Limit")
    remaining = _int_header(headers, "X-RateLimit-Remaining")
    reset_raw = _int_header(headers, "X-RateLimit-Reset")
    if limit is None and remaining is None and reset_raw is None:
        return None
    return RateLimitHeaders(limit=limit, remaining=remaining, reset=float(reset_raw) if reset_raw is not None else None)


def _short_text(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace").strip()
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "..."


def _is_json(content_type: str | None) -> bool:
    return content_type is None or "json" in content_type


def status_error(
    status: int,
    *,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    content_type: str | None = None,
    action: bool = False,
    now: float | None = None,
    url: str | None = None,
    request_id: str | None = None,
) -> APIStatusError:
    """Build the exception for an error answer (status >= 400).

    ``action`` marks a live charger command, where a 504 means the outcome is unknown
    (``ChargerTimeoutError``). Non-JSON bodies (a proxy's HTML page) keep their text.
    ``url`` is the full request URL and ``request_id`` the server's (read from the
    answer's ``X-Request-Id`` when not given); ``url`` and ``path`` are redacted.
    """
    decoded: Any = None
    if body and _is_json(content_type):
        try:
            decoded = orjson.loads(body)
        except orjson.JSONDecodeError:
            decoded = None
    message: str
    errors: Any = None
    if isinstance(decoded, dict):
        raw_message = decoded.get("message")
        message = str(raw_message) if raw_message else f"HTTP {status}"
        errors = decoded.get("errors")
        stored_body: Any = decoded
    else:
        text = _short_text(body) if body else ""
        message = f"HTTP {status} with a non-JSON body: {text}" if text else f"HTTP {status}"
        stored_body = body.decode("utf-8", "replace") if body else None

    if 300 <= status < 400:
        location = _header(headers, "Location")
        message = f"HTTP {status} redirect to {location or '?'} was not followed (is the base URL right?)"
    common: dict[str, Any] = {
        "status": status,
        "method": method,
        "path": redact_url(path),
        "message": message,
        "body": stored_body,
        "headers": headers,
        "url": redact_url(url) if url is not None else None,
        "request_id": request_id if request_id is not None else parse_request_id(headers),
    }
    if status == 429:
        return RateLimitError(retry_after=parse_retry_after(headers, now=now), **common)
    if status == 422:
        field_errors = (
            {str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in errors.items()}
            if isinstance(errors, dict)
            else None
        )
        return UnprocessableEntityError(errors=field_errors, **common)
    if status == 504 and action:
        return ChargerTimeoutError(**common)
    cls = _STATUS_CLASSES.get(status)
    if cls is None:
        cls = InternalServerError if status >= 500 else APIStatusError
    return cls(**common)


def decode_json(
    body: bytes,
    *,
    method: str,
    path: str,
    status: int,
    content_type: str | None = None,
    url: object = None,
    request_id: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Any:
    """Decode a success body with orjson; an empty body (204) is None, as is JSON ``null``.

    A body that is not JSON (say an HTML login page behind a misconfigured proxy)
    raises ``ResponseValidationError`` with the start of its text (and ``url``,
    redacted, and the request id when given). Whoever expected a document checks
    for None: this function cannot know whether the endpoint may answer with nothing.

    ``url`` may be a string or a ``yarl.URL``, and the request id may come as the answer's
    ``headers`` (its ``X-Request-Id``) instead of ``request_id``: both are only read to word
    an error, so a decoded answer never pays for them (about 1% of a bulk request's CPU).
    """
    if not body:
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        kind = f" ({content_type})" if content_type and not _is_json(content_type) else ""
        if request_id is None and headers is not None:
            request_id = parse_request_id(headers)
        raise ResponseValidationError(
            f"HTTP {status} answer is not JSON{kind}: {_short_text(body)!r}",
            method=method,
            path=redact_url(path),
            status=status,
            body=body.decode("utf-8", "replace"),
            url=redact_url(str(url)) if url is not None else None,
            request_id=request_id,
        ) from exc


def unwrap(data: Any) -> Any:
    """Return the inner object of a ``{"data": {...}}`` envelope; anything else unchanged.

    An envelope holding nothing (``{"data": null}`` and no other key) is None, like an
    empty answer, so that the caller reports "no document" rather than missing fields.
    """
    if type(data) is dict and "data" in data:
        inner = data["data"]
        if type(inner) is dict:
            return inner
        if inner is None and len(data) == 1:
            return None
    return data


def next_page_url(body: Mapping[str, Any] | None) -> str | None:
    """The absolute URL of the next page of a Laravel paginator, or None at the end.

    Understands ``links.next`` (length-aware and simple paginators) and a top-level
    ``next_page_url`` (team endpoints); an empty ``data`` page also ends the walk, as
    does an answer that is not a paginator at all (None for an empty answer, a list).
    """
    if not isinstance(body, Mapping):
        return None
    items = body.get("data")
    if not items:
        return None
    links = body.get("links")
    if isinstance(links, Mapping):
        nxt = links.get("next")
        if isinstance(nxt, str) and nxt:
            return nxt
    nxt = body.get("next_page_url")
    if isinstance(nxt, str) and nxt:
        return nxt
    return None
