"""Pure HTTP helpers: status -> exception, Retry-After, rate-limit headers, envelopes, next links."""

from __future__ import annotations

import email.utils

import pytest
from multidict import CIMultiDict

from plugchoice_async import _http
from plugchoice_async.exceptions import (
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
from tests.conftest import load_fixture

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (502, InternalServerError),
        (503, InternalServerError),
        (504, InternalServerError),
        (418, APIStatusError),
    ],
)
def test_status_maps_to_class(status: int, cls: type[APIStatusError]) -> None:
    exc = _http.status_error(status, method="GET", path="/x", headers={}, body=b'{"message":"boom"}')
    assert type(exc) is cls
    assert exc.status == status
    assert exc.message == "boom"
    assert str(exc).startswith(f"{status} from GET /x: boom")


def test_422_carries_field_errors() -> None:
    body = b'{"message":"The given data was invalid.","errors":{"name":["The name field is required."]}}'
    exc = _http.status_error(422, method="PUT", path="/chargers/x", headers={}, body=body)
    assert isinstance(exc, UnprocessableEntityError)
    assert exc.errors == {"name": ["The name field is required."]}
    assert "name: The name field is required." in str(exc)


def test_422_fixture_errors() -> None:
    import orjson

    body = orjson.dumps(load_fixture("errors.422.docs.json"))
    exc = _http.status_error(422, method="POST", path="/sites", headers={}, body=body)
    assert isinstance(exc, UnprocessableEntityError)
    assert set(exc.errors) == {"name", "email"}


def test_504_from_action_is_charger_timeout() -> None:
    body = b'{"message":"The charger did not respond in time."}'
    plain = _http.status_error(504, method="GET", path="/x", headers={}, body=body)
    action = _http.status_error(504, method="POST", path="/x", headers={}, body=body, action=True)
    assert type(plain) is InternalServerError
    assert isinstance(action, ChargerTimeoutError)
    assert isinstance(action, InternalServerError)
    assert "may still have been executed" in str(action)


def test_html_error_body_is_kept_as_text() -> None:
    html = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    exc = _http.status_error(502, method="GET", path="/x", headers={}, body=html, content_type="text/html")
    assert isinstance(exc, InternalServerError)
    assert "non-JSON body" in exc.message
    assert "502 Bad Gateway" in exc.message
    assert exc.body == html.decode()


def test_429_retry_after_seconds() -> None:
    exc = _http.status_error(429, method="GET", path="/x", headers={"Retry-After": "17"}, body=b"")
    assert isinstance(exc, RateLimitError)
    assert exc.retry_after == 17.0
    assert "retry after 17 s" in str(exc)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"Retry-After": "3"}, 3.0),
        ({"retry-after": "0.25"}, 0.25),
        ({"Retry-After": email.utils.formatdate(NOW + 42, usegmt=True)}, 42.0),
        ({"Retry-After": email.utils.formatdate(NOW - 42, usegmt=True)}, 0.0),
        ({"X-RateLimit-Reset": str(int(NOW + 9))}, 9.0),
        ({"retry-after-ms": "250", "Retry-After": "9"}, 0.25),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "-5"}, None),
        ({}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert _http.parse_retry_after(headers, now=NOW) == expected


def test_parse_retry_after_case_insensitive_multidict() -> None:
    assert _http.parse_retry_after(CIMultiDict({"RETRY-AFTER": "4"}), now=NOW) == 4.0


def test_rate_limit_headers() -> None:
    info = _http.parse_rate_limit_headers(
        {"X-RateLimit-Limit": "500", "X-RateLimit-Remaining": "12", "X-RateLimit-Reset": "1800000060"}
    )
    assert info == _http.RateLimitHeaders(limit=500, remaining=12, reset=1800000060.0)
    assert _http.parse_rate_limit_headers({"Content-Type": "x"}) is None
    assert _http.parse_rate_limit_headers({"x-ratelimit-limit": "abc", "x-ratelimit-remaining": "3"}) == (
        _http.RateLimitHeaders(limit=None, remaining=3, reset=None)
    )


def test_decode_json_non_json_raises_validation_error() -> None:
    with pytest.raises(ResponseValidationError) as info:
        _http.decode_json(b"<html>login</html>", method="GET", path="/user", status=200, content_type="text/html")
    assert "not JSON" in str(info.value)
    assert "GET /user" in str(info.value)
    assert _http.decode_json(b"", method="GET", path="/x", status=204) is None


def test_unwrap() -> None:
    assert _http.unwrap({"data": {"a": 1}}) == {"a": 1}
    assert _http.unwrap({"a": 1}) == {"a": 1}
    assert _http.unwrap({"data": [1, 2], "links": {}}) == {"data": [1, 2], "links": {}}


def test_next_page_url_three_shapes() -> None:
    assert _http.next_page_url({"data": [1], "links": {"next": "https://h/a?page=2"}}) == "https://h/a?page=2"
    assert _http.next_page_url({"data": [1], "links": {"next": None}}) is None
    assert _http.next_page_url({"data": [1], "next_page_url": "https://h/t?page=3"}) == "https://h/t?page=3"
    assert _http.next_page_url({"data": [], "links": {"next": "https://h/a?page=2"}}) is None


def test_redirect_is_an_error_not_followed() -> None:
    exc = _http.status_error(302, method="GET", path="/x", headers={"Location": "https://h/login"}, body=b"")
    assert type(exc) is APIStatusError
    assert exc.status == 302
    assert "redirect to https://h/login was not followed" in str(exc)
