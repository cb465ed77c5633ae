"""One typed settings object for the whole app.

Everything that changes how authentication behaves is a field here, with a secure
default and its unit in its name. Nothing is read from module globals: an app is
built from a `Settings`, so two apps with different settings can run side by side
(the notebooks do that all the time).

Secrets are wrapped in `Secret`, whose repr is masked, so printing a `Settings`
never leaks a key.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import secrets
import time
from dataclasses import dataclass, field
from typing import Callable, Literal

log = logging.getLogger("authdemo")

MIN_SECRET_BYTES = 32
"""RFC 7518 §3.2: an HS256 key must be at least as long as the hash output (32 bytes)."""

REDIS_URL_ENV = "AUTHDEMO_REDIS_URL"
"""The one environment variable that points authdemo at a real Redis server."""


class Secret:
    """A string that does not show itself in reprs, logs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str | bytes) -> None:
        self._value = value.encode() if isinstance(value, str) else bytes(value)

    def reveal(self) -> bytes:
        """The raw bytes; the name makes every use easy to find in a review."""
        return self._value

    def __len__(self) -> int:
        return len(self._value)

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and secrets.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash(self._value)


def random_secret() -> Secret:
    """A fresh 32-byte secret, for a process that was given none."""
    return Secret(secrets.token_urlsafe(MIN_SECRET_BYTES))


def default_id() -> str:
    """express-session's default id: 24 random bytes, base64url, 32 characters, 192 bits."""
    return secrets.token_urlsafe(24)


SameSite = Literal["lax", "strict", "none"]


@dataclass(frozen=True)
class Settings:
    """How the hardened app authenticates. Build one, pass it to `create_app`."""

    # --- keys -------------------------------------------------------------------
    jwt_secret: Secret = field(default_factory=random_secret)
    session_secrets: tuple[Secret, ...] = field(default_factory=lambda: (random_secret(),))
    """The first secret signs session cookies; all of them verify (key rotation)."""

    # --- tokens (the seed's section 1) ----------------------------------------------
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    jwt_issuer: str = "authdemo"
    jwt_audience: str = "authdemo-api"
    access_token_ttl_seconds: int = 15 * 60
    refresh_token_ttl_seconds: int = 7 * 24 * 60 * 60
    jwt_leeway_seconds: int = 5
    """Clock skew tolerated on exp/iat/nbf. Small on purpose: it extends a stolen token's life."""

    # --- sessions (the seed's section 2) --------------------------------------------
    session_cookie_name: str = "authdemo.sid"
    session_store: Literal["redis", "memory"] = "redis"
    session_idle_timeout_seconds: int = 30 * 60
    """Cookie Max-Age and store TTL; renewed on every request (express-session's `rolling`)."""
    session_absolute_timeout_seconds: int | None = 8 * 60 * 60
    """A hard cap since login that activity cannot extend; express-session has none."""

    # --- cookies (both flows) ---------------------------------------------------------
    cookie_secure: bool | Literal["auto"] = "auto"
    """`auto`: Secure whenever the request came over HTTPS (express-session's `secure: 'auto'`)."""
    cookie_same_site: SameSite = "lax"
    cookie_domain: str | None = None

    # --- shared state -----------------------------------------------------------------
    redis_url: str | None = None
    """A real Redis server (redis://...). None: an embedded fakeredis server per app."""
    redis_timeout_seconds: float = 0.5
    """A Redis call slower than this fails closed (503) instead of hanging the request."""

    # --- time and randomness, injected so notebooks are reproducible -------------------
    clock: Callable[[], float] = time.time
    new_id: Callable[[], str] = default_id
    """Every random identifier: session ids, JWT `jti`, refresh families, CSRF tokens."""

    def __post_init__(self) -> None:
        if isinstance(self.session_secrets, (Secret, str, bytes)):
            raise TypeError("session_secrets must be a tuple of Secret (the first one signs)")
        if not self.session_secrets:
            raise ValueError("session_secrets must hold at least one secret")
        for name, secret in [("jwt_secret", self.jwt_secret)] + [
            ("session_secrets", s) for s in self.session_secrets
        ]:
            if not isinstance(secret, Secret):
                raise TypeError(f"{name} must be a Secret, not {type(secret).__name__}")
            if len(secret) < MIN_SECRET_BYTES:
                raise ValueError(
                    f"{name} is {len(secret)} bytes; at least {MIN_SECRET_BYTES} are required"
                )
        for name in ("access_token_ttl_seconds", "refresh_token_ttl_seconds",
                     "session_idle_timeout_seconds"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.cookie_same_site not in ("lax", "strict", "none"):
            raise ValueError("cookie_same_site must be 'lax', 'strict' or 'none'")
        if self.cookie_same_site == "none" and self.cookie_secure is False:
            raise ValueError("SameSite=None cookies must be Secure (browsers reject them)")

    def replace(self, **changes: object) -> Settings:
        """A copy with some fields changed (settings are immutable)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Settings for a real server: secrets and the Redis URL from the environment.

        AUTHDEMO_JWT_SECRET, AUTHDEMO_SESSION_SECRETS (comma-separated, first signs),
        AUTHDEMO_REDIS_URL, AUTHDEMO_SESSION_STORE (`redis`, the default, or `memory`). A missing secret is generated per process, with a warning:
        tokens and cookies then stop working when the process restarts.
        """
        env = os.environ if environ is None else environ
        changes: dict[str, object] = {}
        if env.get("AUTHDEMO_JWT_SECRET"):
            changes["jwt_secret"] = Secret(env["AUTHDEMO_JWT_SECRET"])
        else:
            log.warning("AUTHDEMO_JWT_SECRET is not set: using a random per-process secret")
        if env.get("AUTHDEMO_SESSION_SECRETS"):
            parts = [p for p in env["AUTHDEMO_SESSION_SECRETS"].split(",") if p]
            changes["session_secrets"] = tuple(Secret(p) for p in parts)
        else:
            log.warning("AUTHDEMO_SESSION_SECRETS is not set: using a random per-process secret")
        if env.get(REDIS_URL_ENV):
            changes["redis_url"] = env[REDIS_URL_ENV]
        store = env.get("AUTHDEMO_SESSION_STORE")
        if store:
            if store not in ("redis", "memory"):
                raise ValueError("AUTHDEMO_SESSION_STORE must be 'redis' or 'memory'")
            changes["session_store"] = store
        return cls(**changes)  # type: ignore[arg-type]
