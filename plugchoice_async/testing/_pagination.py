"""Laravel's three paginator shapes, as the Plugchoice API answers them.

1. length-aware (``paginate``): ``links{first,last,prev,next}`` and ``meta{current_page,from,last_page,links,path,
   per_page,to,total}``;
2. simple (``simplePaginate`` through an API resource): ``links.last`` null, ``meta`` without totals;
3. top-level (``simplePaginate`` returned bare, the team endpoints): ``first_page_url``, ``next_page_url``, ... beside
   ``data``, plus the endpoint's ``filter_options``.

Page links are absolute, built from the request's host, and keep the request's other query parameters (``per_page``
too, even when the server ignores it). The page size is the caller's: ``per_page_param`` reads it from the query.
Rows are encoded by the caller (``encode`` gives the item's JSON bytes), so cached items are spliced in as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import islice
from typing import Any, TypeVar
from urllib.parse import urlencode

import orjson
from aiohttp import web

from ._web import json_response

__all__ = ["PER_PAGE", "length_aware_page", "page_number", "per_page_param", "simple_page", "top_level_page"]

PER_PAGE = 25
_MAX_PER_PAGE = 100
_ON_EACH_SIDE = 3  # Laravel's default link window

_T = TypeVar("_T")


def _int(query: Mapping[str, str], name: str, default: int) -> int:
    try:
        return int(query[name])
    except (KeyError, ValueError):
        return default


def page_number(query: Mapping[str, str]) -> int:
    """``page``, or 1 when it is missing, malformed or below 1 (as Laravel does)."""
    return max(_int(query, "page", 1), 1)


def per_page_param(query: Mapping[str, str], honour: bool = True) -> int:
    """``per_page`` clamped to 1..100 (25 by default); always 25 when the server does not ``honour`` it."""
    if not honour:
        return PER_PAGE
    return min(max(_int(query, "per_page", PER_PAGE), 1), _MAX_PER_PAGE)


class _Links:
    """Absolute page URLs for one request."""

    __slots__ = ("others", "path")

    def __init__(self, request: web.BaseRequest) -> None:
        self.path = f"{request.scheme}://{request.host}{request.path}"
        self.others = [(name, value) for name, value in request.query.items() if name != "page"]

    def url(self, number: int) -> str:
        return f"{self.path}?{urlencode([*self.others, ('page', number)])}"


def _data(items: list[bytes], rest: dict[str, Any]) -> bytes:
    """``{"data": [...items], **rest}`` with the items spliced in as bytes."""
    tail = orjson.dumps(rest)
    return b'{"data":[' + b",".join(items) + (b"]," + tail[1:] if rest else b"]}")


def _window(page: int, per_page: int, rows: Iterable[_T], encode: Callable[[_T], bytes]) -> tuple[list[bytes], bool]:
    """The page's encoded items, and whether a row follows them."""
    offset = (page - 1) * per_page
    window = list(islice(rows, offset, offset + per_page + 1))
    return [encode(row) for row in window[:per_page]], len(window) > per_page


def simple_page(
    request: web.BaseRequest, rows: Iterable[_T], encode: Callable[[_T], bytes], per_page: int
) -> web.Response:
    """The simple paginator over ``rows``, ``per_page`` a page."""
    page = page_number(request.query)
    size = per_page
    items, more = _window(page, size, rows, encode)
    links = _Links(request)
    offset = (page - 1) * size
    rest = {
        "links": {
            "first": links.url(1),
            "last": None,
            "prev": links.url(page - 1) if page > 1 else None,
            "next": links.url(page + 1) if more else None,
        },
        "meta": {
            "current_page": page,
            "current_page_url": links.url(page),
            "from": offset + 1 if items else None,
            "path": links.path,
            "per_page": size,
            "to": offset + len(items) if items else None,
        },
    }
    return json_response(200, _data(items, rest))


def _link_window(page: int, last: int) -> list[int | None]:
    """The page numbers Laravel's UrlWindow lists (None for a "..." gap)."""
    if last < _ON_EACH_SIDE * 2 + 8:
        return list(range(1, last + 1))
    window = _ON_EACH_SIDE + 4
    start, finish = [1, 2], [last - 1, last]
    if page <= window:
        return [*range(1, window + _ON_EACH_SIDE + 1), None, *finish]
    if page > last - window:
        return [*start, None, *range(last - (window + _ON_EACH_SIDE - 1), last + 1)]
    return [*start, None, *range(page - _ON_EACH_SIDE, page + _ON_EACH_SIDE + 1), None, *finish]


def length_aware_page(
    request: web.BaseRequest,
    rows: Sequence[_T],
    encode: Callable[[_T], bytes],
    per_page: int,
    extra: Mapping[str, Any] | None = None,
) -> web.Response:
    """The length-aware paginator over ``rows``; ``extra`` keys are added after ``meta``."""
    page = page_number(request.query)
    total = len(rows)
    last_page = max((total + per_page - 1) // per_page, 1)
    items, _ = _window(page, per_page, rows, encode)
    links = _Links(request)
    offset = (page - 1) * per_page
    prev_url = links.url(page - 1) if page > 1 else None
    next_url = links.url(page + 1) if page < last_page else None
    meta_links: list[dict[str, Any]] = [
        {"url": prev_url, "label": "&laquo; Previous", "page": page - 1 if prev_url else None, "active": False}
    ]
    for number in _link_window(page, last_page):
        if number is None:
            meta_links.append({"url": None, "label": "...", "page": None, "active": False})
        else:
            meta_links.append(
                {"url": links.url(number), "label": str(number), "page": number, "active": number == page}
            )
    meta_links.append(
        {"url": next_url, "label": "Next &raquo;", "page": page + 1 if next_url else None, "active": False}
    )
    rest: dict[str, Any] = {
        "links": {"first": links.url(1), "last": links.url(last_page), "prev": prev_url, "next": next_url},
        "meta": {
            "current_page": page,
            "from": offset + 1 if items else None,
            "last_page": last_page,
            "links": meta_links,
            "path": links.path,
            "per_page": per_page,
            "to": offset + len(items) if items else None,
            "total": total,
        },
    }
    if extra:
        rest.update(extra)
    return json_response(200, _data(items, rest))


def top_level_page(
    request: web.BaseRequest,
    rows: Iterable[_T],
    encode: Callable[[_T], bytes],
    filter_options: Mapping[str, Any],
    per_page: int,
) -> web.Response:
    """The bare simple paginator of the team endpoints, ``per_page`` a page, with their ``filter_options``."""
    page = page_number(request.query)
    size = per_page
    items, more = _window(page, size, rows, encode)
    links = _Links(request)
    offset = (page - 1) * size
    rest = {
        "first_page_url": links.url(1),
        "from": offset + 1 if items else None,
        "next_page_url": links.url(page + 1) if more else None,
        "path": links.path,
        "per_page": size,
        "prev_page_url": links.url(page - 1) if page > 1 else None,
        "to": offset + len(items) if items else None,
        "filter_options": filter_options,
    }
    return json_response(200, _data(items, rest))
