"""Laravel pagination: one object that is awaitable (first page) and async-iterable (every item).

::

    page = await client.chargers.list()          # Page[Charger]: items + metadata
    async for charger in client.chargers.list():  # every charger, pages fetched as needed
        ...
    async for page in client.chargers.list().iter_pages():
        ...

Both iterations are async generators: to stop early and release them at once (rather than
when the garbage collector gets to them), close them with ``contextlib.aclosing``::

    async with contextlib.aclosing(aiter(client.chargers.list())) as chargers:
        async for charger in chargers:
            if charger.identity == wanted:
                break  # no further page is fetched

Understands the three shapes in API.md: length-aware (``links`` + ``meta`` with
``total``), simple (``links.last`` null, no ``total``) and top-level
(``next_page_url`` beside ``data``). The walk follows the next link and stops on
a missing link or an empty page.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Callable, Generator, Iterator, Mapping
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qs, urlsplit

import attrs

from ._converter import structure_response
from ._http import next_page_url
from ._types import Params, Requester
from .exceptions import ResponseValidationError

__all__ = ["AsyncPager", "Page"]

T = TypeVar("T")


def _int_or_none(value: Any) -> int | None:
    return value if type(value) is int else None


@attrs.frozen(kw_only=True)
class Page(Generic[T]):
    """One page of a list answer: its items and what the paginator said about it.

    ``total`` and ``last_page`` are None for the simple paginators that do not count.
    """

    items: tuple[T, ...]
    current_page: int | None = None
    per_page: int | None = None
    total: int | None = None
    last_page: int | None = None
    next_url: str | None = None

    @property
    def has_next(self) -> bool:
        """Whether another page follows."""
        return self.next_url is not None

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)


def parse_page(body: Any, item_type: type[T], *, method: str, path: str) -> Page[T]:
    """Structure one paginator answer (any of the three shapes) into a ``Page``."""
    if not isinstance(body, Mapping) or not isinstance(body.get("data"), list):
        raise ResponseValidationError(
            "expected a paginated answer with a 'data' list", method=method, path=path, status=200, body=body
        )
    meta = body.get("meta")
    info: Mapping[str, Any] = meta if isinstance(meta, Mapping) else body
    items = structure_response(body["data"], tuple[item_type, ...], method=method, path=path)  # type: ignore[valid-type]
    return Page(
        items=items,
        current_page=_int_or_none(info.get("current_page")),
        per_page=_int_or_none(info.get("per_page")),
        total=_int_or_none(info.get("total")),
        last_page=_int_or_none(info.get("last_page")),
        next_url=next_page_url(body),
    )


class AsyncPager(Generic[T]):
    """A list request: ``await`` it for the first page, ``async for`` it for every item."""

    def __init__(
        self,
        transport: Requester,
        path: str,
        item_type: type[T],
        *,
        params: Params | None = None,
        parse: Callable[..., Page[T]] = parse_page,
    ) -> None:
        self._transport = transport
        self._path = path
        self._item_type = item_type
        self._params = dict(params or {})
        self._parse = parse

    async def _fetch(self, path: str, params: Params | None) -> Page[T]:
        body = await self._transport.request("GET", path, params=params)
        return self._parse(body, self._item_type, method="GET", path=path)

    async def first_page(self) -> Page[T]:
        """Fetch the first page."""
        return await self._fetch(self._path, self._params)

    async def follow(self, next_url: str) -> Page[T]:
        """Fetch the page a next link points to, re-sending the filters the link dropped."""
        return await self._fetch(next_url, self._missing_params(next_url))

    async def page(self, number: int) -> Page[T]:
        """Fetch page ``number`` (1-based) directly, with this list's filters; past the end it is empty."""
        return await self._fetch(self._path, {**self._params, "page": number})

    def __await__(self) -> Generator[Any, None, Page[T]]:
        return self.first_page().__await__()

    def _missing_params(self, next_url: str) -> dict[str, str | int | float] | None:
        """Our filters that a next link dropped (Laravel keeps only ``page`` unless told otherwise)."""
        present = parse_qs(urlsplit(next_url).query, keep_blank_values=True)
        missing = {k: v for k, v in self._params.items() if k not in present}
        return missing or None

    async def iter_pages(self) -> AsyncGenerator[Page[T], None]:
        """Every page in order, fetched one at a time as you iterate (``aclose()`` it to stop early)."""
        page = await self.first_page()
        seen: set[str] = set()
        while True:
            yield page
            if not page.items or page.next_url is None or page.next_url in seen:
                return
            seen.add(page.next_url)
            page = await self.follow(page.next_url)

    async def __aiter__(self) -> AsyncGenerator[T, None]:
        """Every item of every page, pages fetched as needed (``aclose()`` the iterator to stop early)."""
        async with contextlib.aclosing(self.iter_pages()) as pages:  # closing this closes the page walk too
            async for page in pages:
                for item in page.items:
                    yield item
