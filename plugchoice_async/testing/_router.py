"""A small route table: path templates such as ``/chargers/{uuid}`` mapped to handlers per method."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

__all__ = ["Handler", "Resolution", "Router"]

#: A route handler: the request and the path parameters, to the answer.
Handler = Callable[[web.BaseRequest, dict[str, str]], Awaitable[web.Response]]

_PARAM = re.compile(r"\{(\w+)\}")


def _compile(template: str) -> re.Pattern[str]:
    parts: list[str] = []
    end = 0
    for match in _PARAM.finditer(template):
        parts += (re.escape(template[end : match.start()]), f"(?P<{match[1]}>[^/]+)")
        end = match.end()
    parts.append(re.escape(template[end:]))
    return re.compile("".join(parts))


@dataclass(frozen=True, slots=True)
class Resolution:
    """What the table says about a request: a handler and its parameters, or why there is none."""

    handler: Handler | None
    params: dict[str, str]
    allowed: tuple[str, ...] = ()  # methods the path does accept, when the method is wrong (405)


@dataclass(slots=True)
class _Route:
    template: str
    pattern: re.Pattern[str]
    handlers: dict[str, Handler]


class Router:
    """Routes matched in the order they were added; HEAD falls back to the GET handler."""

    __slots__ = ("_routes",)

    def __init__(self) -> None:
        self._routes: list[_Route] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        """Serve ``method`` on ``template`` (``{name}`` matches one path segment) with ``handler``."""
        for route in self._routes:
            if route.template == template:
                route.handlers[method.upper()] = handler
                return
        self._routes.append(_Route(template, _compile(template), {method.upper(): handler}))

    def resolve(self, method: str, path: str) -> Resolution:
        """Find the handler for ``method`` on ``path``."""
        for route in self._routes:
            match = route.pattern.fullmatch(path)
            if match is None:
                continue
            handlers = route.handlers
            handler = handlers.get(method) or (handlers.get("GET") if method == "HEAD" else None)
            if handler is not None:
                return Resolution(handler, match.groupdict())
            allowed = tuple(handlers) + (("HEAD",) if "GET" in handlers else ())
            return Resolution(None, {}, allowed)
        return Resolution(None, {})
