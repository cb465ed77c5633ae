"""The contract every session store keeps, as express-session's `Store` defines it.

A record is a JSON-able dict: `{"cookie": {...}, **session_data}`, the same shape
express-session writes, so Node and Python can share one Redis.

Required: `get`, `set`, `destroy`. Recommended: `touch` (with `resave=False` the
middleware calls it instead of rewriting an unchanged session). Optional:
`read_and_touch` (both in one round trip), and for inspection in the notebooks
`ids`, `length`, `clear`.

One addition to express's contract: `set(..., only_if_exists=True)`. The middleware
uses it when saving a session it *loaded*, so a slow request that finishes after a
logout cannot write the destroyed session back (the "resurrection" race that
express-session users meet).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

Record = dict[str, Any]


class StoreUnavailable(Exception):
    """Raised when the store cannot be reached or answers too slowly; the app fails closed (503)."""


class Store(ABC):
    """Where server-side sessions live. All methods are coroutines."""

    @abstractmethod
    async def get(self, sid: str) -> Record | None:
        """The record for `sid`, or None if it is missing, expired or unreadable."""

    @abstractmethod
    async def set(self, sid: str, record: Record, *, only_if_exists: bool = False) -> bool:
        """Write the record with a lifetime taken from its cookie. False if nothing was written."""

    @abstractmethod
    async def destroy(self, sid: str) -> None:
        """Forget the session: the next `get` returns None."""

    touches_on_read: bool = False
    """True if the middleware should call `read_and_touch`: it really extends the lifetime
    while reading, so no separate `touch` is needed at the end of the request."""

    async def read_and_touch(self, sid: str, ttl_seconds: int) -> Record | None:
        """Optional: `get`, and extend the lifetime to `ttl_seconds` in the same round trip.

        Every request on a live session ends in a touch (express-session's rule), so a
        store that can do both at once halves the round trips. Default: just `get`.
        """
        return await self.get(sid)

    async def touch(self, sid: str, record: Record) -> None:
        """Extend the lifetime of an unchanged session. Default: rewrite it if it still exists."""
        await self.set(sid, record, only_if_exists=True)

    async def ids(self) -> list[str]:
        raise NotImplementedError(f"{type(self).__name__} cannot list its sessions")

    async def length(self) -> int:
        return len(await self.ids())

    async def clear(self) -> None:
        for sid in await self.ids():
            await self.destroy(sid)
