"""``AsyncPager``: stopping a walk early with ``contextlib.aclosing``, and next links that leave the API."""

from __future__ import annotations

import collections.abc
import contextlib
import re
import typing

import pytest
from aioresponses import aioresponses

from plugchoice_async import AsyncPager, InvalidRequestError, Page, PlugchoiceError
from plugchoice_async.testing import PlugchoiceEmulator
from tests.conftest import make_client
from tests.test_resources_sites import BASE, SITE, SITE_CONNECTOR

# -- stopping early -----------------------------------------------------------------------------------


def test_iterators_are_typed_as_async_generators() -> None:
    """``contextlib.aclosing`` wants ``aclose()``: an ``AsyncIterator`` annotation fails ``mypy --strict``."""
    items = typing.get_type_hints(AsyncPager.__aiter__)["return"]
    pages = typing.get_type_hints(AsyncPager.iter_pages)["return"]
    assert typing.get_origin(items) is collections.abc.AsyncGenerator
    assert typing.get_origin(pages) is collections.abc.AsyncGenerator
    (t,) = AsyncPager.__parameters__  # type: ignore[attr-defined]
    assert typing.get_args(items) == (t, None)
    assert typing.get_args(pages) == (Page[t], None)  # type: ignore[valid-type]


def _pages_fetched(emulator: PlugchoiceEmulator) -> list[str | None]:
    """The ``page`` query of every ``GET /chargers`` the emulator answered."""
    return [
        dict(request.query).get("page") for request in emulator.requests if request.path.endswith("/api/v3/chargers")
    ]


async def test_break_inside_aclosing_fetches_no_further_page(emulator: PlugchoiceEmulator) -> None:
    async with make_client(emulator.base_url) as client:
        emulator.reset_stats()
        seen: list[str] = []
        async with contextlib.aclosing(aiter(client.chargers.list(per_page=5))) as chargers:
            async for charger in chargers:
                seen.append(charger.uuid)
                if len(seen) == 7:  # the second page, part-read
                    break
        assert seen == emulator.uuids[:7]
        assert _pages_fetched(emulator) == [None, "2"]
        with pytest.raises(StopAsyncIteration):  # closed: it yields nothing more and fetches nothing
            await anext(chargers)
        assert _pages_fetched(emulator) == [None, "2"]
        assert len(emulator.uuids) > 10  # there were more pages to fetch


async def test_break_out_of_iter_pages_inside_aclosing(emulator: PlugchoiceEmulator) -> None:
    async with make_client(emulator.base_url) as client:
        emulator.reset_stats()
        async with contextlib.aclosing(client.chargers.list(per_page=5).iter_pages()) as pages:
            async for page in pages:
                assert page.has_next and [c.uuid for c in page] == emulator.uuids[:5]
                break
        with pytest.raises(StopAsyncIteration):
            await anext(pages)
        assert _pages_fetched(emulator) == [None]


# -- next links must stay on the API's origin --------------------------------------------------------

SITE_CONNECTORS = f"{BASE}/sites/{SITE}/connectors"


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/api/v3/sites/x/connectors?page=2",  # another host
        "https://api.test.evil.example/api/v3/sites/x/connectors?page=2",  # a host that starts like ours
        "https://api.test@evil.example/api/v3/sites/x/connectors?page=2",  # ours as the userinfo of another
        "http://api.test/api/v3/sites/x/connectors?page=2",  # a downgrade to plain http
        "https://api.test:8443/api/v3/sites/x/connectors?page=2",  # another port
    ],
)
async def test_a_next_link_off_the_api_origin_is_refused(next_url: str) -> None:
    first = {
        "data": [SITE_CONNECTOR],
        "links": {"first": None, "last": None, "prev": None, "next": next_url},
        "meta": {"current_page": 1, "per_page": 1},
    }
    with aioresponses() as mocked:
        mocked.get(re.compile(re.escape(SITE_CONNECTORS) + "$"), payload=first)
        mocked.get(re.compile(".*"), payload={"data": []}, repeat=True)  # would answer, were it asked
        async with make_client(BASE) as client:
            connectors = aiter(client.sites.connectors(SITE))
            assert (await anext(connectors)).id == SITE_CONNECTOR["id"]  # the first page is read
            with pytest.raises(ValueError, match="outside") as info:  # the walk stops at the foreign link
                await anext(connectors)
    assert isinstance(info.value, PlugchoiceError) and isinstance(info.value, InvalidRequestError)
    assert [str(url) for _, url in mocked.requests] == [SITE_CONNECTORS]  # nothing else was sent, no token leaked


async def test_filters_dropped_by_a_next_link_are_sent_again() -> None:
    """Laravel's next links carry only ``page`` unless the API appends the query: keep our filters."""
    from aioresponses import aioresponses

    from plugchoice_async import PlugchoiceClient
    from tests.conftest import load_fixture

    base = "https://api.test/api/v3"
    charger = "445bd3f6-8f2c-38cb-aa04-2f4e1edb32bb"
    path = f"{base}/chargers/{charger}/transactions"
    item = load_fixture("transactions.list.volttime.json")["data"][0]
    page1 = {"data": [item], "links": {"next": f"{path}?page=2"}, "meta": {"current_page": 1}}
    page2 = {"data": [], "links": {"next": None}, "meta": {"current_page": 2}}
    with aioresponses() as mocked:
        mocked.get(f"{path}?filter%5Bstatus%5D=finished", payload=page1)
        mocked.get(f"{path}?page=2&filter%5Bstatus%5D=finished", payload=page2)
        async with PlugchoiceClient("t", base_url=base) as client:
            pages = [p async for p in client.chargers.transactions(charger, status="finished").iter_pages()]
        sent = [str(url) for (method, url) in mocked.requests]
    assert len(pages) == 2
    assert any("page=2" in u and "filter%5Bstatus%5D=finished" in u for u in sent)
