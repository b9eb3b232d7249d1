"""The base of every resource namespace: a transport and the typed decode of its answers."""

from __future__ import annotations

from typing import Any, TypeVar

from .._converter import structure_response
from .._types import Params, Requester

__all__ = ["Resource"]

T = TypeVar("T")


class Resource:
    """A thin namespace over the transport (``client.chargers``, ``client.user``, ...)."""

    def __init__(self, transport: Requester) -> None:
        self._transport = transport

    async def _get(self, path: str, cls: type[T], *, params: Params | None = None) -> T:
        data = await self._transport.request("GET", path, params=params)
        return structure_response(data, cls, method="GET", path=path)

    async def _send(self, method: str, path: str, cls: type[T], *, json: Any = None, action: bool = False) -> T:
        data = await self._transport.request(method, path, json=json, action=action)
        return structure_response(data, cls, method=method, path=path)
