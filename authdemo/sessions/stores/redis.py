"""`RedisStore`: sessions in Redis, shared by every app instance that uses the same server.

A port of connect-redis: keys `sess:<id>`, the record as JSON, and a TTL taken
from the cookie's expiry, so Redis itself deletes a session when it expires.
`touch` is one `EXPIRE`, and `read_and_touch` folds it into the read (`GETEX`), so a
request on a live session costs one round trip. Works with redis-py's asyncio client and with fakeredis.

Every Redis error becomes `StoreUnavailable`, which the app answers with 503:
when we cannot check a session, we do not let the request through.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable
from typing import Callable, TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError

from authdemo.sessions.cookie import Cookie, CookieOptions
from authdemo.sessions.stores.base import Record, Store, StoreUnavailable

T = TypeVar("T")


async def guarded(call: Awaitable[T]) -> T:
    """Await a Redis call; any failure, including a timeout, is `StoreUnavailable`."""
    try:
        return await call
    except (RedisError, OSError, TimeoutError) as exc:
        raise StoreUnavailable(f"redis: {type(exc).__name__}") from exc


class RedisStore(Store):
    def __init__(self, redis: Redis, *, prefix: str = "sess:",
                 clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self.prefix = prefix
        self._clock = clock

    def key(self, sid: str) -> str:
        return self.prefix + sid

    def _ttl(self, record: Record) -> int:
        cookie = Cookie.from_json(record.get("cookie", {}), CookieOptions(), self._clock())
        return cookie.ttl_seconds(self._clock())

    touches_on_read = True

    async def get(self, sid: str) -> Record | None:
        return self._parse(await guarded(self.redis.get(self.key(sid))))

    async def read_and_touch(self, sid: str, ttl_seconds: int) -> Record | None:
        """`GETEX key EX ttl`: read the session and renew its TTL in one command."""
        return self._parse(await guarded(self.redis.getex(self.key(sid), ex=ttl_seconds)))

    @staticmethod
    def _parse(raw: bytes | None) -> Record | None:
        if raw is None:
            return None
        try:
            record = json.loads(raw)
        except ValueError:
            return None  # unreadable: treated as absent, the user gets a new session
        return record if isinstance(record, dict) else None

    async def set(self, sid: str, record: Record, *, only_if_exists: bool = False) -> bool:
        ttl = self._ttl(record)
        if ttl <= 0:  # already expired: never write it (connect-redis does the same)
            await self.destroy(sid)
            return False
        value = json.dumps(record, separators=(",", ":"))
        written = await guarded(self.redis.set(self.key(sid), value, ex=ttl, xx=only_if_exists))
        return bool(written)

    async def touch(self, sid: str, record: Record) -> None:
        """One `EXPIRE`, as connect-redis does. The stored `cookie.expires` goes stale, which
        is fine: Redis's TTL is what ends an idle session, and the next save rewrites it."""
        ttl = self._ttl(record)
        if ttl <= 0:
            await self.destroy(sid)
        else:
            await guarded(self.redis.expire(self.key(sid), ttl))

    async def destroy(self, sid: str) -> None:
        await guarded(self.redis.delete(self.key(sid)))

    async def ids(self) -> list[str]:
        async def scan() -> list[bytes | str]:
            return [key async for key in self.redis.scan_iter(match=self.prefix + "*", count=100)]

        keys = await guarded(scan())
        names = (k.decode() if isinstance(k, bytes) else k for k in keys)
        return sorted(name[len(self.prefix):] for name in names)
