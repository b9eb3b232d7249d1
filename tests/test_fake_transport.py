"""``plugchoice_async.testing.FakeTransport``: queued and routed answers, exceptions, handlers, recording."""

from __future__ import annotations

import pytest
from yarl import URL

from plugchoice_async import (
    APIConnectionError,
    APITimeoutError,
    InvalidRequestError,
    NotFoundError,
    PlugchoiceClient,
    Request,
    Response,
    Timeout,
    Transport,
)
from plugchoice_async.testing import FakeTransport

BASE = "https://api.test/api/v3"


def request(method: str = "GET", path: str = "/user", query: str = "", action: bool = False) -> Request:
    url = URL(f"{BASE}{path}{'?' + query if query else ''}")
    return Request(method=method, url=url, headers={"Authorization": "Bearer t"}, path=path, action=action)


def test_it_is_a_transport() -> None:
    assert isinstance(FakeTransport(), Transport)


async def test_answers_without_method_and_path_form_a_queue() -> None:
    fake = FakeTransport()
    fake.add(status=503, json={"message": "down"})
    fake.add(json={"ok": True}, headers={"X-Request-Id": "r"})
    first = await fake.handle_async_request(request())
    second = await fake.handle_async_request(request("POST", "/other"))
    assert (first.status, first.headers["content-type"], first.body) == (503, "application/json", b'{"message":"down"}')
    assert (second.status, second.headers["x-request-id"]) == (200, "r")
    assert [r.path for r in fake.requests] == ["/user", "/other"]
    assert fake.pending == []
    with pytest.raises(AssertionError, match="no answer for GET /user"):
        await fake.handle_async_request(request())


async def test_routes_match_method_and_path_and_times_none_answers_forever() -> None:
    fake = FakeTransport()
    fake.add("GET", "/user", body=b"1", times=None)
    fake.add("GET", "/chargers?page=2", body=b"page2")
    fake.add("GET", "/chargers", body=b"any", times=2)
    assert (await fake.handle_async_request(request())).body == b"1"
    assert (await fake.handle_async_request(request())).body == b"1"
    assert (await fake.handle_async_request(request(path="/chargers", query="page=2"))).body == b"page2"
    assert (await fake.handle_async_request(request(path="/chargers", query="page=3"))).body == b"any"
    assert fake.pending == ["GET /chargers (1 left)"]
    with pytest.raises(AssertionError):
        await fake.handle_async_request(request("POST", "/user"))


async def test_exceptions_are_built_for_the_request_or_raised_as_given() -> None:
    fake = FakeTransport()
    fake.add(exception=APITimeoutError)
    fake.add(exception=APIConnectionError, request_sent=False)
    given = APIConnectionError("mine", method="GET", path="/x")
    fake.add(exception=given)
    fake.add(exception=KeyError)
    with pytest.raises(APITimeoutError) as timeout:
        await fake.handle_async_request(request("POST", "/chargers/c/actions/start", action=True))
    assert timeout.value.request_sent is True
    assert timeout.value.url == f"{BASE}/chargers/c/actions/start"
    assert "may still have been executed" in str(timeout.value)
    with pytest.raises(APIConnectionError) as refused:
        await fake.handle_async_request(request())
    assert refused.value.request_sent is False
    assert not isinstance(refused.value, APITimeoutError)
    with pytest.raises(APIConnectionError) as raised:
        await fake.handle_async_request(request())
    assert raised.value is given
    with pytest.raises(KeyError):
        await fake.handle_async_request(request())
    assert len(fake.requests) == 4


async def test_handlers_may_be_sync_or_async() -> None:
    def echo(req: Request) -> Response:
        return Response(status=201, body=req.url.raw_path.encode())

    async def later(req: Request) -> Response:
        return Response(status=204)

    fake = FakeTransport()
    fake.add(handler=echo)
    fake.add(handler=later)
    assert (await fake.handle_async_request(request())).body == b"/api/v3/user"
    assert (await fake.handle_async_request(request())).status == 204


def test_conflicting_answers_are_refused() -> None:
    fake = FakeTransport()
    with pytest.raises(InvalidRequestError):
        fake.add(status=500, exception=APITimeoutError)
    with pytest.raises(InvalidRequestError):
        fake.add(json={}, body=b"{}")
    with pytest.raises(InvalidRequestError):
        fake.add(times=0)


def test_request_and_response_values() -> None:
    req = Request(method="POST", url=URL(BASE), headers={"authorization": "Bearer secret-t"}, body=b'{"a": 1}')
    assert req.json() == {"a": 1}
    assert req.timeout == Timeout()
    assert "secret-t" not in repr(req) and "<8 bytes>" in repr(req)
    assert Response(status=204).body == b""


async def test_the_clients_request_headers_are_read_only_and_case_insensitive() -> None:
    fake = FakeTransport()
    fake.add(status=404, json={"message": "gone"})
    async with PlugchoiceClient("t", base_url=BASE, transport=fake, rate_limit=None, max_retries=0) as client:
        with pytest.raises(NotFoundError):
            await client.user.get()
    [req] = fake.requests
    assert req.headers["authorization"] == "Bearer t"
    with pytest.raises(TypeError):
        req.headers["x"] = "y"  # type: ignore[index]


async def test_a_transport_answering_with_plain_dict_headers_works() -> None:
    class Plain:
        async def handle_async_request(self, request: Request) -> Response:
            return Response(status=404, headers={"content-type": "text/html", "x-request-id": "r"}, body=b"<h1>no</h1>")

    async with PlugchoiceClient("t", base_url=BASE, transport=Plain(), rate_limit=None) as client:
        with pytest.raises(NotFoundError) as info:
            await client.user.get()
    assert info.value.request_id == "r"
    assert "non-JSON body" in info.value.message


async def test_the_documented_example_runs() -> None:
    charger = "3f2b6c1e-8a4d-4c1e-9f3a-2b6c1e8a4d4c"
    fake = FakeTransport()
    fake.add("GET", f"/chargers/{charger}", status=404, json={"message": "No query results."})
    async with PlugchoiceClient("test-token", transport=fake, rate_limit=None) as client:
        with pytest.raises(NotFoundError):
            await client.chargers.get(charger)
    [req] = fake.requests
    assert req.method == "GET" and req.path == f"/chargers/{charger}"
    assert req.headers["Authorization"] == "Bearer test-token"
