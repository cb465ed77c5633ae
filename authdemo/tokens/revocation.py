"""What it takes to end a JWT before its `exp`: state on the server, in Redis.

The seed's "extra considerations" say logout needs a denylist in Redis. Two pieces:

- `Denylist`: the ids (`jti`) of access tokens revoked at logout, each kept only
  until the token would have expired anyway, so the list cannot grow without bound.
- `RefreshFamilies`: refresh-token rotation with reuse detection. Every login starts
  a *family*; each refresh token can be spent once and is replaced by the next. If a
  spent token comes back, someone holds a copy: the whole family is revoked, the
  thief's tokens and the user's alike (OAuth 2.0 Security BCP, §4.14).

Both make a request consult Redis, which is exactly the statefulness JWT was chosen
to avoid: notebook 03 measures that price. Redis errors fail closed (503).
"""

from __future__ import annotations

from typing import Any, Callable

from redis.asyncio import Redis

from authdemo.sessions.stores.redis import guarded


class Denylist:
    def __init__(self, redis: Redis, clock: Callable[[], float], prefix: str = "denylist:") -> None:
        self.redis, self.clock, self.prefix = redis, clock, prefix

    async def revoke(self, claims: dict[str, Any]) -> None:
        """Refuse this token from now on; forget it once it has expired by itself."""
        remaining = int(claims["exp"] - self.clock()) + 1
        if remaining > 0:
            await guarded(self.redis.set(self.prefix + claims["jti"], "1", ex=remaining))

    async def is_revoked(self, jti: str) -> bool:
        return bool(await guarded(self.redis.exists(self.prefix + jti)))


class RefreshFamilies:
    """Keys: `refresh:family:<fam>` (alive while the login is) and `refresh:token:<jti>`
    (present until that refresh token is spent)."""

    def __init__(self, redis: Redis, ttl_seconds: int, prefix: str = "refresh:") -> None:
        self.redis, self.ttl, self.prefix = redis, ttl_seconds, prefix

    def family_key(self, fam: str) -> str:
        return f"{self.prefix}family:{fam}"

    def _token(self, jti: str) -> str:
        return f"{self.prefix}token:{jti}"

    async def start(self, fam: str, subject: str) -> None:
        await guarded(self.redis.set(self.family_key(fam), subject, ex=self.ttl))

    async def register(self, fam: str, jti: str) -> None:
        await guarded(self.redis.set(self._token(jti), fam, ex=self.ttl))

    async def is_alive(self, fam: str) -> bool:
        return bool(await guarded(self.redis.exists(self.family_key(fam))))

    async def spend(self, fam: str, jti: str) -> bool:
        """Use up refresh token `jti`. False means reuse (or a dead family): revoke it all.

        GETDEL is atomic, so two requests racing with the same token cannot both win.
        """
        if not await self.is_alive(fam):
            return False
        owner = await guarded(self.redis.getdel(self._token(jti)))
        if owner is None:
            await self.revoke(fam)
            return False
        return True

    async def revoke(self, fam: str) -> None:
        await guarded(self.redis.delete(self.family_key(fam)))


async def revocation_reason(denylist: Denylist, families: RefreshFamilies,
                            claims: dict[str, Any]) -> str | None:
    """Why a verified access token is no longer good, or None. Both questions go to Redis
    in one pipelined round trip: that round trip is the whole price of revocation."""

    async def ask() -> list[int]:
        async with denylist.redis.pipeline(transaction=False) as pipe:
            pipe.exists(denylist.prefix + claims["jti"])
            pipe.exists(families.family_key(str(claims.get("fam", ""))))
            return await pipe.execute()

    revoked, family_alive = await guarded(ask())
    if revoked:
        return "token revoked"
    if not family_alive:
        return "login revoked"
    return None
