"""Configuration errors surface at the call that made them, as ConfigurationError, never repeating a secret."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from plugchoice_async import (
    ConfigurationError,
    OAuthClientCredentials,
    PlugchoiceClient,
    RetryBudget,
    RetryPolicy,
    Timeout,
)
from plugchoice_async.testing import FakeTransport
from tests.conftest import TOKEN

BASE = "https://api.test/api/v3"


def client(**kwargs: Any) -> PlugchoiceClient:
    kwargs.setdefault("base_url", BASE)
    return PlugchoiceClient(TOKEN, **kwargs)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: client(retry_budget="x"), "retry_budget must be a RetryBudget or None"),
        (lambda: client(max_concurrency="8"), "max_concurrency must be a whole number >= 1"),
        (lambda: client(max_concurrency=True), "max_concurrency must be a whole number >= 1"),
        (lambda: client(max_concurrency=0), "max_concurrency must be >= 1"),
        (lambda: client(max_retries="3"), "max_retries must be a whole number >= 0"),
        (lambda: client(max_retries=-1), "max_retries must be >= 0"),
        (lambda: client(max_retries=1.5), "max_retries must be a whole number >= 0"),
        (lambda: client(retry=3), "retry must be a RetryPolicy"),
        (lambda: client(retry=RetryPolicy(), max_retries=2), "either retry=RetryPolicy"),
        (lambda: client(timeout=-1), "timeout must be a finite number of seconds > 0"),
        (lambda: client(timeout="30"), "timeout must be a finite number of seconds > 0"),
        (lambda: client(timeout=float("nan")), "timeout must be a finite number of seconds > 0"),
        (lambda: client(hooks=[42]), "every hook must be callable"),
        (lambda: client(sleep=None), "sleep must be callable"),
        (lambda: client(user_agent="me\r\nX-Evil: 1"), "user_agent must be printable ASCII"),
        (lambda: client(transport=object()), "transport must have an async handle_async_request"),
        (lambda: client(transport=FakeTransport(), trace_configs=[object()]), "configure the default transport"),
        (lambda: client(transport=FakeTransport(), session=object()), "configure the default transport"),
        (lambda: client(base_url=42), "base_url must be a string URL"),
        (lambda: PlugchoiceClient(auth="secret", base_url=BASE), "auth must be OAuthClientCredentials"),  # type: ignore[arg-type]
        (lambda: client(session="not a session"), "session must be an aiohttp.ClientSession"),
        (lambda: RetryPolicy(max_retries=-1), "RetryPolicy.max_retries must be a whole number >= 0"),
        (lambda: RetryPolicy(backoff_base="1"), "RetryPolicy.backoff_base must be a finite number"),  # type: ignore[arg-type]
        (lambda: RetryBudget(capacity=-5), "RetryBudget.capacity must be a whole number >= 0"),
        (lambda: Timeout(total=0), "Timeout.total must be None or a finite number > 0"),
        (lambda: Timeout(read=float("inf")), "Timeout.read must be None or a finite number > 0"),
    ],
)
def test_bad_configuration_is_refused_at_once(make: Callable[[], object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(").replace("+", r"\+")):
        make()


@pytest.mark.parametrize("token", ["abc\r\nX-Injected: 1", "abc\ndef", "tab\there", "caf\u00e9-token", "nul\x00"])
def test_a_token_that_cannot_travel_in_a_header_is_refused_without_showing_it(token: str) -> None:
    with pytest.raises(ConfigurationError, match="cannot be sent in an Authorization header") as info:
        PlugchoiceClient(token, base_url=BASE)
    assert token not in str(info.value)
    assert token.strip()[:3] not in str(info.value).replace("ASCII", "")


def test_a_token_read_with_its_newline_is_accepted() -> None:
    fake = FakeTransport()
    assert PlugchoiceClient(f"{TOKEN}\n", base_url=BASE, transport=fake).base_url == BASE


def test_a_token_given_as_auth_is_not_shown() -> None:
    with pytest.raises(ConfigurationError, match="got a str") as info:
        PlugchoiceClient(auth=TOKEN, base_url=BASE)  # type: ignore[arg-type]
    assert TOKEN not in str(info.value)


def test_a_token_of_the_wrong_type_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="token must be a string, got bytes"):
        PlugchoiceClient(b"abc", base_url=BASE)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        "https://admin:hunter2@api.test/api/v3",
        "ftp://admin:hunter2@api.test/api/v3",
        "http://admin:hunter2@10.0.0.5/api/v3",
    ],
)
def test_credentials_in_base_url_are_never_repeated(url: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        PlugchoiceClient(TOKEN, base_url=url)
    assert "hunter2" not in str(info.value)
    assert "admin" not in str(info.value)


def test_credentials_in_token_url_are_never_repeated() -> None:
    auth = OAuthClientCredentials("cid", "secret", token_url="https://admin:hunter2@api.test/oauth/token")
    with pytest.raises(ConfigurationError, match="token_url must not carry credentials") as info:
        PlugchoiceClient(auth=auth, base_url=BASE)
    assert "hunter2" not in str(info.value)
    assert "***@api.test" in str(info.value)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timeout": -1}, "timeout must be a finite number of seconds > 0"),
        ({"timeout": "fast"}, "timeout must be a finite number of seconds > 0"),
        ({"max_retries": "x"}, "max_retries must be a whole number >= 0"),
        ({"max_retries": -2}, "max_retries must be >= 0"),
        ({"retry": RetryPolicy(), "max_retries": 1}, "either retry=RetryPolicy"),
        ({"sleep": 5}, "sleep must be callable"),
    ],
)
def test_with_options_refuses_bad_values_at_the_call(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        client(transport=FakeTransport()).with_options(**options)


def test_with_options_max_retries_keeps_the_rest_of_the_policy() -> None:
    policy = RetryPolicy(max_retries=5, backoff_base=0.1, backoff_cap=1.0, max_retry_after=5.0)
    copy = client(transport=FakeTransport(), retry=policy).with_options(max_retries=1)
    assert copy.retry_policy == RetryPolicy(max_retries=1, backoff_base=0.1, backoff_cap=1.0, max_retry_after=5.0)


def test_retry_policy_is_accepted_and_max_retries_is_its_shorthand() -> None:
    policy = RetryPolicy(max_retries=7, backoff_base=0.2)
    assert client(retry=policy).retry_policy is policy
    assert client(max_retries=1).retry_policy.max_retries == 1
    assert client().retry_policy.max_retries == 3
