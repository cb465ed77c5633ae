"""`MemoryStore`: sessions in this process's memory, like express-session's MemoryStore.

Records are kept as JSON strings, not live dicts, so it behaves like a remote store
(a route cannot change a stored session by holding on to a reference) and its memory
cost per session can be measured fairly against Redis. Expiry is lazy: an expired
record is deleted when someone asks for it, or when `ids()` walks the table.

`MemoryStore(touch_on_read=True)` (the hardened app's choice) renews a session's expiry
while reading it, as `RedisStore` does with GETEX, instead of in a separate `touch` at
the end of the request: one parse and one write per request instead of two of each.
Left at False it follows express's MemoryStore protocol exactly (get ... touch).

Per process means per app instance: two servers with two MemoryStores do not see
each other's sessions. That is the scalability problem notebook 02 shows.
"""

from __future__ import annotations

import json
import time
from typing import Callable

from authdemo.sessions.cookie import parse_iso, to_iso
from authdemo.sessions.stores.base import Record, Store


class MemoryStore(Store):
    def __init__(self, clock: Callable[[], float] = time.time, *,
                 touch_on_read: bool = False) -> None:
        self.sessions: dict[str, str] = {}
        self._clock = clock
        self.touches_on_read = touch_on_read

    def _live(self, sid: str) -> Record | None:
        raw = self.sessions.get(sid)
        if raw is None:
            return None
        record = json.loads(raw)
        if not isinstance(record, dict) or self._expired(record):
            del self.sessions[sid]
            return None
        return record

    def _write(self, sid: str, record: Record) -> None:
        self.sessions[sid] = json.dumps(record, separators=(",", ":"))

    def _expired(self, record: Record) -> bool:
        """Lazy expiry (XS-14). An unreadable expiry counts as expired, never an exception."""
        cookie = record.get("cookie")
        expires = cookie.get("expires") if isinstance(cookie, dict) else None
        try:
            return expires is not None and parse_iso(expires) <= self._clock()
        except (AttributeError, TypeError, ValueError):
            return True

    async def get(self, sid: str) -> Record | None:
        return self._live(sid)

    async def read_and_touch(self, sid: str, ttl_seconds: int) -> Record | None:
        """Read the record and move its stored expiry to now + `ttl_seconds`, in one step.

        Like Redis's GETEX, the renewal ignores the absolute timeout: the middleware checks
        that deadline on every load. A browser-session cookie (no expiry) keeps none."""
        record = self._live(sid)
        cookie = record.get("cookie") if record is not None else None
        if isinstance(cookie, dict) and cookie.get("expires") is not None:
            cookie["expires"] = to_iso(self._clock() + ttl_seconds)
            self._write(sid, record)
        return record

    async def set(self, sid: str, record: Record, *, only_if_exists: bool = False) -> bool:
        if only_if_exists and self._live(sid) is None:
            return False
        if self._expired(record):  # already expired: never written, as in connect-redis (CR-03)
            self.sessions.pop(sid, None)
            return False
        self._write(sid, record)
        return True

    async def touch(self, sid: str, record: Record) -> None:
        """Update only the stored cookie, as express's MemoryStore does (XS-49): rewriting the
        whole record would undo a change another request saved in the meantime."""
        current = self._live(sid)
        if current is not None:
            current["cookie"] = record["cookie"]
            self._write(sid, current)

    async def destroy(self, sid: str) -> None:
        self.sessions.pop(sid, None)

    async def ids(self) -> list[str]:
        return [sid for sid in list(self.sessions) if self._live(sid) is not None]

    async def clear(self) -> None:
        self.sessions.clear()
