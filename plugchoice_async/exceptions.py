"""Every error the SDK raises, in one tree.

::

    PlugchoiceError
    ├── ConfigurationError (also a ValueError)   the client cannot be built as asked (no token, http://...)
    ├── InvalidRequestError (also a ValueError)  bad input caught before anything is sent
    ├── ClientClosedError (also a RuntimeError)  the client was used after aclose()
    ├── RateLimiterUnavailableError              the shared rate limiter's Redis cannot be reached
    ├── BulkCommandTimeoutError                  a bulk command run did not complete in time (.run: its last state)
    ├── APIConnectionError                       the request did not get an HTTP answer (.request_sent)
    │   └── APITimeoutError                      ... because a timeout expired
    ├── APIStatusError                           the server answered with a 4xx/5xx status (.request_id)
    │   ├── BadRequestError              400
    │   ├── AuthenticationError          401
    │   ├── PermissionDeniedError        403
    │   ├── NotFoundError                404
    │   ├── ConflictError                409
    │   ├── UnprocessableEntityError     422  (.errors: field -> messages)
    │   ├── RateLimitError               429  (.retry_after: seconds)
    │   └── InternalServerError          5xx
    │       └── ChargerTimeoutError      504 from a charger action: outcome unknown
    └── ResponseValidationError                  the answer is not JSON, or its shape does not fit
        └── SessionStartUnreadableError          ... of a public charging session that exists (.session_token)

Every exception carries what a caller needs to act on it (method, path, the full URL,
status, the server's message and request id, field errors, retry_after) and never the API
token: a URL is stored and shown with its credentials and secret query parameters redacted
(``_http.redact_url``, applied by whoever builds the error from a request).

Every exception survives ``pickle`` (and ``copy``) with its message and attributes, so it
can cross a task queue or a process pool: the keyword-only constructors are not re-run,
the state is restored as it was. ``headers`` arrive as a plain ``dict``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BulkCommandTimeoutError",
    "ChargerTimeoutError",
    "ClientClosedError",
    "ConfigurationError",
    "ConflictError",
    "InternalServerError",
    "InvalidRequestError",
    "NotFoundError",
    "PermissionDeniedError",
    "PlugchoiceError",
    "RateLimitError",
    "RateLimiterUnavailableError",
    "ResponseValidationError",
    "SessionStartUnreadableError",
    "UnprocessableEntityError",
]


def _restore(cls: type[BaseException], args: tuple[Any, ...]) -> BaseException:
    """Unpickle an SDK exception: create it with its ``args`` (its message) but without ``__init__``.

    The attributes follow as the pickled state (``BaseException.__setstate__``).
    """
    return cls.__new__(cls, *args)


def _with_request_id(text: str, request_id: str | None) -> str:
    return f"{text} (request id {request_id})" if request_id else text


class PlugchoiceError(Exception):
    """Base class of every error raised by plugchoice_async."""

    def __reduce__(self) -> tuple[Any, ...]:
        # The default (``cls(*args)`` then the state) would call the keyword-only constructors
        # with the message as their only positional argument.
        return (_restore, (type(self), self.args), self._pickle_state())

    def _pickle_state(self) -> dict[str, Any]:
        """The attributes to restore after unpickling (a subclass replaces what cannot be pickled)."""
        return dict(self.__dict__)


class ConfigurationError(PlugchoiceError, ValueError):
    """The client was configured wrongly (missing token, plain http to a remote host, ...)."""


class InvalidRequestError(PlugchoiceError, ValueError):
    """An argument is invalid; the request was not sent."""


class ClientClosedError(PlugchoiceError, RuntimeError):
    """The client (or the session it was given) is closed; nothing was sent."""


class RateLimiterUnavailableError(PlugchoiceError):
    """The shared rate limiter's Redis cannot be reached; the message names its URL without the password.

    Nothing was sent. Raised only by a ``RedisRateLimiter(..., fallback=False)``.
    """


class BulkCommandTimeoutError(PlugchoiceError):
    """``chargers.wait_bulk_command`` gave up: the run was not completed within its ``timeout``.

    ``run`` is the last ``BulkCommandRun`` seen (its counts and per-charger results so far) and
    ``timeout`` the seconds waited. The run goes on on the server: wait again with ``run``, or
    read it later with ``chargers.bulk_command_run``. Never send the command again blindly:
    chargers still ``pending`` may yet receive it.
    """

    def __init__(self, message: str, *, run: Any, timeout: float) -> None:
        super().__init__(message)
        self.run = run
        self.timeout = timeout


class APIConnectionError(PlugchoiceError):
    """No HTTP answer was received (connection refused, reset, DNS failure, ...).

    ``request_sent`` is False only when the request provably never left the
    client (for example the connection was refused), which is what makes a
    retry of a non-idempotent request safe. ``url`` is the full request URL
    (secrets redacted) and ``request_id`` the server's, both None when unknown.
    ``action`` marks a live charger command: when it may have been sent, the
    message warns that the charger may have executed it all the same.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        request_sent: bool = True,
        url: str | None = None,
        request_id: str | None = None,
        action: bool = False,
    ) -> None:
        self.method = method
        self.path = path
        self.url = url
        self.request_sent = request_sent
        self.request_id = request_id
        self.action = action
        text = f"{method} {url or path}: {message}"
        if action and request_sent:
            text += "; the command may still have been executed; check the charger's state before sending it again"
        super().__init__(_with_request_id(text, request_id))


class APITimeoutError(APIConnectionError):
    """A connect or read timeout expired before the answer arrived."""


class APIStatusError(PlugchoiceError):
    """The server answered with an error status (4xx or 5xx).

    Attributes: ``status``, ``method``, ``path``, ``url`` (the full request URL,
    secrets redacted, or None), ``message`` (the server's ``message`` field, or a
    short description when the body has none), ``body`` (the decoded JSON body,
    or the raw text), ``headers`` and ``request_id`` (the server's
    ``X-Request-Id``, or None): quote it when asking Plugchoice about a failure.
    """

    def __init__(
        self,
        *,
        status: int,
        method: str,
        path: str,
        message: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        url: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.url = url
        self.message = message
        self.body = body
        self.headers: Mapping[str, str] = headers if headers is not None else {}
        self.request_id = request_id
        super().__init__(_with_request_id(self._describe(), request_id))

    def _describe(self) -> str:
        return f"{self.status} from {self.method} {self.url or self.path}: {self.message}"

    def _pickle_state(self) -> dict[str, Any]:
        # aiohttp's CIMultiDictProxy cannot be pickled: the copy carries the headers as a plain dict
        state = super()._pickle_state()
        state["headers"] = dict(self.headers.items())
        return state


class BadRequestError(APIStatusError):
    """400 Bad Request."""


class AuthenticationError(APIStatusError):
    """401: the token is missing, invalid or expired."""


class PermissionDeniedError(APIStatusError):
    """403: the token is valid but lacks the permission for this resource."""


class NotFoundError(APIStatusError):
    """404: the resource does not exist (or is not visible to this token)."""


class ConflictError(APIStatusError):
    """409 Conflict."""


class UnprocessableEntityError(APIStatusError):
    """422: Laravel validation failed; ``errors`` maps each field to its messages."""

    def __init__(self, *, errors: Mapping[str, list[str]] | None = None, **kwargs: Any) -> None:
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in (errors or {}).items()}
        super().__init__(**kwargs)

    def _describe(self) -> str:
        text = super()._describe()
        if self.errors:
            fields = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in self.errors.items())
            text = f"{text} ({fields})"
        return text


class RateLimitError(APIStatusError):
    """429: too many requests. ``retry_after`` is the server's delay in seconds, if it sent one."""

    def __init__(self, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(**kwargs)

    def _describe(self) -> str:
        text = super()._describe()
        if self.retry_after is not None:
            text = f"{text} (retry after {self.retry_after:g} s)"
        return text


class InternalServerError(APIStatusError):
    """A 5xx answer (Plugchoice, or a proxy in front of it)."""


class ChargerTimeoutError(InternalServerError):
    """504 from a charger action: the charger did not answer in time.

    The command may still have been executed by the charger. It is never
    retried automatically; check the charger's state before sending it again.
    """

    def _describe(self) -> str:
        return (
            f"{super()._describe()} (the charger did not confirm in time: "
            "the command may still have been executed; check its state before sending it again)"
        )


class ResponseValidationError(PlugchoiceError):
    """The answer could not be understood: not JSON, or a shape that does not fit the model.

    The message names the field path that failed (for example ``$.data.connectors[0].created_at``).
    ``url`` and ``request_id`` are as on ``APIStatusError`` (None when unknown).
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        status: int | None = None,
        body: Any = None,
        url: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.url = url
        self.status = status
        self.body = body
        self.request_id = request_id
        super().__init__(_with_request_id(f"{method} {url or path}: {message}", request_id))


class SessionStartUnreadableError(ResponseValidationError):
    """``public_charging.start_session`` was answered 201, but its ``data`` or ``payment`` could not be read.

    The session and its card hold exist: ``session_token`` (its only credential) lets the caller
    still ``confirm`` or ``cancel`` it. The token is in neither the message, the repr nor ``body``.
    """

    def __init__(self, message: str, *, session_token: str, **kwargs: Any) -> None:
        self.session_token = session_token
        super().__init__(message, **kwargs)
