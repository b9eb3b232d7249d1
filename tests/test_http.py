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


# -- URLs without secrets, the server's request id --------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pa55@api.example/api/v3/user", "https://***@api.example/api/v3/user"),
        ("https://tok3n@api.example:8443/x", "https://***@api.example:8443/x"),
        ("https://h/a?page=2&token=abc&per_page=5", "https://h/a?page=2&token=***&per_page=5"),
        ("https://h/a?access_token=abc#frag", "https://h/a?access_token=***#frag"),
        ("https://h/a?Secret=1&PASSWORD=2&refresh_token=3", "https://h/a?Secret=***&PASSWORD=***&refresh_token=***"),
        ("https://h/a?client_secret=s&api_key=k", "https://h/a?client_secret=***&api_key=***"),
        ("https://h/a?acc%65ss_token=abc", "https://h/a?acc%65ss_token=***"),
        ("https://u:p@h/a?token=x", "https://***@h/a?token=***"),
        ("/chargers?page=2&token=abc", "/chargers?page=2&token=***"),
        ("https://h/[", "https://h/["),
        ("http://[::1", "<unparsable URL>"),
    ],
)
def test_redact_url_hides_credentials_and_secret_parameters(url: str, shown: str) -> None:
    assert _http.redact_url(url) == shown


@pytest.mark.parametrize(
    "url",
    [
        "https://api.plugchoice.com/api/v3/chargers?page=2&per_page=100",
        "/chargers/3f2b6c1e-0000-4000-8000-000000000000",
        "https://h/a?tokens=1&my_token=2&token=&token",  # other names, empty values: nothing to hide
        "https://h/a?b=1&&a=2;c#x?token=y",  # odd but harmless: kept character for character
        "",
    ],
)
def test_redact_url_leaves_a_url_without_secrets_unchanged(url: str) -> None:
    assert _http.redact_url(url) == url


def test_status_error_carries_the_redacted_url_and_the_request_id() -> None:
    exc = _http.status_error(
        404,
        method="GET",
        path="/chargers/x",
        headers=CIMultiDict({"x-request-id": " abc123 "}),
        body=b'{"message":"Not found."}',
        url="https://user:pw@h/api/v3/chargers/x?token=s3cr3t",
    )
    assert exc.url == "https://***@h/api/v3/chargers/x?token=***"
    assert exc.request_id == "abc123"
    assert exc.path == "/chargers/x"
    assert str(exc) == "404 from GET https://***@h/api/v3/chargers/x?token=***: Not found. (request id abc123)"
    assert "s3cr3t" not in str(exc) and "pw" not in str(exc)


def test_status_error_redacts_an_absolute_path() -> None:
    # a next-page link is sent as the path: it must not carry a secret into the error either
    exc = _http.status_error(500, method="GET", path="https://h/a?page=2&token=s3cr3t", headers={}, body=b"")
    assert exc.path == "https://h/a?page=2&token=***"
    assert "s3cr3t" not in str(exc)


def test_status_error_request_id_given_wins_over_the_header() -> None:
    exc = _http.status_error(
        429,
        method="GET",
        path="/x",
        headers={"X-Request-Id": "from-header", "Retry-After": "3"},
        body=b"",
        request_id="given",
    )
    assert exc.request_id == "given"
    assert str(exc).endswith("(retry after 3 s) (request id given)")


@pytest.mark.parametrize("headers", [{}, {"X-Request-Id": ""}, {"X-Request-Id": "   "}])
def test_status_error_without_request_id(headers: dict[str, str]) -> None:
    exc = _http.status_error(500, method="GET", path="/x", headers=headers, body=b'{"message":"boom"}')
    assert exc.request_id is None
    assert str(exc) == "500 from GET /x: boom"


def test_parse_request_id() -> None:
    assert _http.parse_request_id({"x-request-id": "r-1"}) == "r-1"
    assert _http.parse_request_id(CIMultiDict({"X-REQUEST-ID": "r-2"})) == "r-2"
    assert _http.parse_request_id({"X-Correlation-Id": "r-3"}) is None


def test_decode_json_error_carries_the_redacted_url_and_request_id() -> None:
    with pytest.raises(ResponseValidationError) as info:
        _http.decode_json(
            b"<html>login</html>",
            method="GET",
            path="/user",
            status=200,
            content_type="text/html",
            url="https://h/api/v3/user?access_token=s3cr3t",
            request_id="r-9",
        )
    assert info.value.url == "https://h/api/v3/user?access_token=***"
    assert info.value.request_id == "r-9"
    assert str(info.value).startswith("GET https://h/api/v3/user?access_token=***: HTTP 200 answer is not JSON")
    assert str(info.value).endswith("(request id r-9)")
    assert "s3cr3t" not in str(info.value)


# -- no document where one was expected ------------------------------------------------------------------


def test_decode_json_null_and_empty_are_none() -> None:
    assert _http.decode_json(b"null", method="GET", path="/x", status=200) is None
    assert _http.decode_json(b"", method="DELETE", path="/x", status=204) is None


def test_unwrap_an_empty_envelope_is_none() -> None:
    assert _http.unwrap(None) is None
    assert _http.unwrap({"data": None}) is None
    # a document that merely has a ``data`` field (a bulk command run's payload) is not an envelope
    run = {"uuid": "u", "command": "Reset", "data": None}
    assert _http.unwrap(run) is run
    listing = {"data": None, "links": {"next": None}}
    assert _http.unwrap(listing) is listing


@pytest.mark.parametrize("body", [None, [], [1, 2], "text", {"data": None}, {"links": {"next": "https://h/a?page=2"}}])
def test_next_page_url_of_an_answer_that_is_no_page_is_none(body: object) -> None:
    assert _http.next_page_url(body) is None  # type: ignore[arg-type]
