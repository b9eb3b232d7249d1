"""A success body is decoded without touching what only an error needs: the URL and the request id."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest
from yarl import URL

from plugchoice_async import PlugchoiceClient, ResponseValidationError
from plugchoice_async._http import decode_json
from plugchoice_async.testing import FakeTransport

CHARGER = "3f2b6c1e-8a4d-4c1e-9f3a-2b6c1e8a4d4c"


class _Untouchable(Mapping[str, str]):
    """Headers that fail the test if read."""

    def __getitem__(self, key: str) -> str:
        raise AssertionError(f"headers read for {key!r}")

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("headers iterated")

    def __len__(self) -> int:
        raise AssertionError("headers measured")


class _UnprintableURL:
    def __str__(self) -> str:
        raise AssertionError("URL made a string")


def test_a_decoded_body_never_reads_the_url_or_the_headers() -> None:
    decoded = decode_json(
        b'{"data": {"uuid": "u"}}',
        method="GET",
        path="/chargers/u",
        status=200,
        content_type="application/json",
        url=_UnprintableURL(),
        headers=_Untouchable(),
    )
    assert decoded == {"data": {"uuid": "u"}}
    assert decode_json(b"", method="GET", path="/x", status=204, url=_UnprintableURL(), headers=_Untouchable()) is None


def test_the_error_takes_the_url_object_and_the_request_id_from_the_headers() -> None:
    with pytest.raises(ResponseValidationError) as info:
        decode_json(
            b'{"data": ',
            method="GET",
            path="/user",
            status=200,
            content_type="application/json",
            url=URL("https://h/api/v3/user?access_token=s3cr3t"),
            headers={"x-request-id": " r-7 "},
        )
    assert info.value.url == "https://h/api/v3/user?access_token=***"
    assert info.value.request_id == "r-7"
    assert "s3cr3t" not in str(info.value)


def test_an_explicit_request_id_wins_over_the_headers() -> None:
    with pytest.raises(ResponseValidationError) as info:
        decode_json(b"nope", method="GET", path="/x", status=200, request_id="given", headers={"X-Request-Id": "hdr"})
    assert info.value.request_id == "given"


async def test_a_truncated_answer_names_the_url_and_the_request_id() -> None:
    fake = FakeTransport()
    fake.add(
        "GET",
        f"/chargers/{CHARGER}",
        body=b'{"data": {"uuid": ',
        headers={"Content-Type": "application/json", "X-Request-Id": "req-42"},
    )
    async with PlugchoiceClient("t", base_url="https://api.test/api/v3", transport=fake, rate_limit=None) as client:
        with pytest.raises(ResponseValidationError) as info:
            await client.chargers.get(CHARGER)
    assert info.value.request_id == "req-42"
    assert info.value.url == f"https://api.test/api/v3/chargers/{CHARGER}"
    assert info.value.path == f"/chargers/{CHARGER}"
    assert "not JSON" in str(info.value)
