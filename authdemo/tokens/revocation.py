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

Know the asymmetry: a session store that loses its data logs everyone out (fails
closed), but a denylist that loses its data lets logged-out tokens back in until their
`exp` (fails open, at most the access-token lifetime). Run the denylist's Redis with
persistence (AOF) in production; tests/test_faults.py pins this behaviour.
"""

from __future__ import annotations

from typing import Any, Callable

from redis.asyncio import Redis

from authdemo.sessions.stores.redis import guarded


class Denylist:
    def __init__(self, redis: Redis, clock: Callable[[], float], prefix: str = "denylist:") -> None:
        self.redis, self.clock, self.prefix = redis, clock, prefix

    def key(self, jti: str) -> str:
        return self.prefix + jti

    async def revoke(self, claims: dict[str, Any]) -> None:
        """Refuse this token from now on; forget it once it has expired by itself."""
        remaining = int(claims["exp"] - self.clock()) + 1
        if remaining > 0:
            await guarded(self.redis.set(self.key(claims["jti"]), "1", ex=remaining))

    async def is_revoked(self, jti: str) -> bool:
        return bool(await guarded(self.redis.exists(self.key(jti))))


class RefreshFamilies:
    """Keys: `refresh:token:<jti>` (present until that refresh token is spent) and
    `refresh:revoked:<fam>` (present once the login is revoked).

    Like the denylist, revocation is recorded as a *presence*: a server that has
    never heard of a login (another instance with its own Redis) still accepts its
    access tokens, as a stateless verifier should; it just cannot see revocations.
    Spending a refresh token, on the other hand, needs the shared store.
    """

    def __init__(self, redis: Redis, ttl_seconds: int, prefix: str = "refresh:") -> None:
        self.redis, self.ttl, self.prefix = redis, ttl_seconds, prefix

    def revoked_key(self, fam: str) -> str:
        return f"{self.prefix}revoked:{fam}"

    def _token(self, jti: str) -> str:
        return f"{self.prefix}token:{jti}"

    async def register(self, fam: str, jti: str) -> None:
        await guarded(self.redis.set(self._token(jti), fam, ex=self.ttl))

    async def is_revoked(self, fam: str) -> bool:
        return bool(await guarded(self.redis.exists(self.revoked_key(fam))))

    async def spend(self, fam: str, jti: str) -> bool:
        """Use up refresh token `jti`. False means reuse (or a revoked login): revoke it all.

        GETDEL is atomic, so two requests racing with the same token cannot both win.
        """
        if await self.is_revoked(fam):
            return False
        owner = await guarded(self.redis.getdel(self._token(jti)))  # bytes, or None if spent
        if owner is None or owner.decode() != fam:
            await self.revoke(fam)
            return False
        return True

    async def revoke(self, fam: str) -> None:
        """Every token of this login stops working: refresh tokens and access tokens alike."""
        await guarded(self.redis.set(self.revoked_key(fam), "1", ex=self.ttl))


async def revocation_reason(denylist: Denylist, families: RefreshFamilies,
                            claims: dict[str, Any]) -> str | None:
    """Why a verified access token is no longer good, or None. Both questions go to Redis
    as one `MGET` (one command, one round trip): that round trip is the whole price of
    revocation."""
    token_revoked, login_revoked = await guarded(denylist.redis.mget(
        denylist.key(claims["jti"]), families.revoked_key(str(claims.get("fam", "")))))
    if token_revoked is not None:
        return "token revoked"
    if login_revoked is not None:
        return "login revoked"
    return None
