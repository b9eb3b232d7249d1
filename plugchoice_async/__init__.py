"""plugchoice_async: the asyncio SDK for the Plugchoice charger-management API v3."""

import logging as _logging

from ._pagination import AsyncPager, Page
from ._ratelimit import FixedWindowLimiter, RateLimit, RateLimiter, Ticket
from ._retry import RetryBudget, RetryPolicy
from ._stats import ClientStats, RequestEvent
from ._types import Timeout
from ._version import __version__
from .auth import OAuthClientCredentials, OAuthRefreshToken
from .client import DEFAULT_BASE_URL, PlugchoiceClient
from .exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ChargerTimeoutError,
    ConfigurationError,
    ConflictError,
    InternalServerError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    PlugchoiceError,
    RateLimitError,
    ResponseValidationError,
    UnprocessableEntityError,
)
from .models import (
    ChargePointErrorCode,
    ChargePointStatus,
    Charger,
    ChargerLicenses,
    ChargerModel,
    ChargerPermissions,
    ConnectionStatus,
    Connector,
    ConnectorFormat,
    PowerType,
    User,
)
from .models.fleet import ChargerFailure, FleetUpdate, StatusChange

# A library logs, the application decides where to: no output unless it configures logging.
_logging.getLogger("plugchoice_async").addHandler(_logging.NullHandler())

__all__ = [
    "DEFAULT_BASE_URL",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncPager",
    "AuthenticationError",
    "BadRequestError",
    "ChargePointErrorCode",
    "ChargePointStatus",
    "Charger",
    "ChargerFailure",
    "ChargerLicenses",
    "ChargerModel",
    "ChargerPermissions",
    "ChargerTimeoutError",
    "ClientStats",
    "ConfigurationError",
    "ConflictError",
    "ConnectionStatus",
    "Connector",
    "ConnectorFormat",
    "FixedWindowLimiter",
    "FleetUpdate",
    "InternalServerError",
    "InvalidRequestError",
    "NotFoundError",
    "OAuthClientCredentials",
    "OAuthRefreshToken",
    "Page",
    "PermissionDeniedError",
    "PlugchoiceClient",
    "PlugchoiceError",
    "PowerType",
    "RateLimit",
    "RateLimitError",
    "RateLimiter",
    "RequestEvent",
    "ResponseValidationError",
    "RetryBudget",
    "RetryPolicy",
    "StatusChange",
    "Ticket",
    "Timeout",
    "UnprocessableEntityError",
    "User",
    "__version__",
]
