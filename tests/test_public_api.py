"""The public surface: names exported, the exception tree, docstrings."""

from __future__ import annotations

import inspect

import plugchoice_async
from plugchoice_async import exceptions, models

EXPECTED = {
    "DEFAULT_BASE_URL",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AiohttpTransport",
    "AsyncPager",
    "AuthenticationError",
    "BadRequestError",
    "BulkCommandCharger",
    "BulkCommandResult",
    "BulkCommandRun",
    "BulkCommandTimeoutError",
    "BulkResultStatus",
    "BulkRunStatus",
    "ChargePointErrorCode",
    "ChargePointStatus",
    "Charger",
    "ChargerFailure",
    "FleetCharger",
    "FleetConnector",
    "FleetSnapshot",
    "FleetUpdate",
    "SnapshotUpdate",
    "StatusChange",
    "ChargerLicenses",
    "ChargerModel",
    "ChargerPermissions",
    "ChargerTimeoutError",
    "ClientClosedError",
    "ClientStats",
    "ConfigurationError",
    "ConflictError",
    "ConnectionStatus",
    "Connector",
    "ConnectorFormat",
    "InternalServerError",
    "InvalidRequestError",
    "NotFoundError",
    "OAuthClientCredentials",
    "OAuthRefreshToken",
    "Page",
    "PauseTooLong",
    "LocalRateLimiter",
    "RedisRateLimiter",
    "RateLimiterUnavailableError",
    "PermissionDeniedError",
    "PlugchoiceClient",
    "PublicChargingClient",
    "PlugchoiceError",
    "PowerType",
    "RateLimit",
    "EndpointLimit",
    "DEFAULT_ENDPOINT_LIMITS",
    "RateLimitError",
    "RateLimiter",
    "Request",
    "RequestEvent",
    "Response",
    "ResponseValidationError",
    "SessionStartUnreadableError",
    "RetryBudget",
    "RetryPolicy",
    "Ticket",
    "Timeout",
    "Transport",
    "UnprocessableEntityError",
    "User",
    "__version__",
}


def test_all_is_exactly_the_public_names() -> None:
    # the SDK's own names, plus every model (all of models.__all__ is re-exported)
    assert set(plugchoice_async.__all__) == EXPECTED | set(models.__all__)
    # isort-style, as ruff's RUF022 keeps it: constants first, then classes and functions
    assert plugchoice_async.__all__ == sorted(plugchoice_async.__all__, key=lambda n: (not n.isupper(), n))
    public = {n for n in dir(plugchoice_async) if not n.startswith("_")} - {
        "auth",
        "cli",  # a subpackage (the command line), there once imported
        "client",
        "exceptions",
        "models",
        "resources",
        "testing",
    }
    assert public <= EXPECTED | set(models.__all__)


def test_every_exception_derives_from_plugchoice_error() -> None:
    classes = [
        obj for _, obj in inspect.getmembers(exceptions, inspect.isclass) if obj.__module__ == exceptions.__name__
    ]
    assert len(classes) == len(exceptions.__all__)
    for cls in classes:
        assert issubclass(cls, exceptions.PlugchoiceError), cls
        assert cls.__name__ in (exceptions.__doc__ or ""), f"{cls.__name__} missing from the drawn tree"


def test_tree_shape() -> None:
    assert issubclass(exceptions.APITimeoutError, exceptions.APIConnectionError)
    assert issubclass(exceptions.ChargerTimeoutError, exceptions.InternalServerError)
    assert issubclass(exceptions.InvalidRequestError, ValueError)
    assert issubclass(exceptions.ConfigurationError, ValueError)
    for name in (
        "BadRequestError",
        "AuthenticationError",
        "PermissionDeniedError",
        "NotFoundError",
        "ConflictError",
        "UnprocessableEntityError",
        "RateLimitError",
        "InternalServerError",
    ):
        assert issubclass(getattr(exceptions, name), exceptions.APIStatusError)


def test_public_callables_have_docstrings() -> None:
    for name in plugchoice_async.__all__:
        obj = getattr(plugchoice_async, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert obj.__doc__, f"{name} has no docstring"
            for attr, member in vars(obj).items() if inspect.isclass(obj) else ():
                if attr.startswith("_") or not callable(member):
                    continue
                assert getattr(member, "__doc__", None), f"{name}.{attr} has no docstring"


def test_py_typed_shipped() -> None:
    from pathlib import Path

    assert (Path(plugchoice_async.__file__).parent / "py.typed").exists()
