"""The session cookie: its attributes, its expiry, and how it is written and read.

Mirrors express-session's `Cookie` (session/cookie.js): `max_age` sets `Expires`
(express never emits `Max-Age`), `original_max_age` never changes, and the whole
thing round-trips through the store as express's JSON (`originalMaxAge`,
`expires`, `httpOnly`, ...), so a record written by Node can be read here.

One addition, for the hardened flow: `created_at`. With an absolute timeout the
cookie can never expire later than `created_at + absolute_timeout`, however active
the user is. express-session has no such limit (OWASP asks for one).
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import formatdate
from typing import Literal

SameSite = Literal["lax", "strict", "none"]


def to_iso(epoch_seconds: float) -> str:
    """JavaScript's `Date.prototype.toISOString()`: millisecond precision, `Z`."""
    moment = datetime.fromtimestamp(epoch_seconds, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds")[:-6] + "Z"  # "+00:00" -> "Z"


def parse_iso(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def http_date(epoch_seconds: float) -> str:
    """`Date.prototype.toUTCString()`, the format of `Expires` (whole seconds)."""
    return _http_date(int(epoch_seconds))


@functools.lru_cache(maxsize=64)
def _http_date(whole_seconds: int) -> str:
    """A rolling cookie's `Expires` changes once a second, not once a request."""
    return formatdate(whole_seconds, usegmt=True)


@dataclass
class CookieOptions:
    """The `cookie: {...}` option of express-session, in Python spelling.

    Defaults are express-session's (the naive profile): no Secure, no SameSite and
    no expiry. The hardened app overrides them from `Settings`.
    """

    path: str = "/"
    http_only: bool = True
    secure: bool | Literal["auto"] = False
    same_site: SameSite | None = None
    domain: str | None = None
    max_age_seconds: float | None = None
    """None: a browser-session cookie, gone when the browser closes."""

    def __post_init__(self) -> None:
        if self.max_age_seconds is not None and (
            isinstance(self.max_age_seconds, bool)
            or not isinstance(self.max_age_seconds, (int, float))
        ):
            raise TypeError("max_age_seconds must be a number of seconds or None")
        if self.same_site not in (None, "lax", "strict", "none"):
            raise ValueError("same_site must be None, 'lax', 'strict' or 'none'")


@dataclass
class Cookie:
    """One session's cookie; lives inside the session record as `record["cookie"]`."""

    options: CookieOptions
    created_at: float
    expires: float | None = None
    absolute_timeout_seconds: float | None = None

    @classmethod
    def fresh(cls, options: CookieOptions, now: float, absolute_timeout_seconds: float | None
              ) -> Cookie:
        cookie = cls(options, created_at=now, absolute_timeout_seconds=absolute_timeout_seconds)
        cookie.touch(now)
        return cookie

    @property
    def original_max_age_seconds(self) -> float | None:
        return self.options.max_age_seconds

    def touch(self, now: float) -> None:
        """Restart the idle timer: `expires = now + max_age`, capped by the absolute timeout."""
        if self.options.max_age_seconds is None:
            self.expires = None
        else:
            self.expires = now + self.options.max_age_seconds
        deadline = self.absolute_deadline
        if deadline is not None:
            self.expires = deadline if self.expires is None else min(self.expires, deadline)

    @property
    def absolute_deadline(self) -> float | None:
        if self.absolute_timeout_seconds is None:
            return None
        return self.created_at + self.absolute_timeout_seconds

    def past_absolute_deadline(self, now: float) -> bool:
        """The hardened cap. (Idle expiry is the store's job: Redis TTLs, MemoryStore's
        lazy check. The middleware enforces only this.)"""
        deadline = self.absolute_deadline
        return deadline is not None and now >= deadline

    def ttl_seconds(self, now: float, default_seconds: int = 86_400) -> int:
        """How long a store should keep the record: connect-redis's `getTTL`."""
        if self.expires is None:
            return default_seconds
        remaining = self.expires - now
        return int(remaining) + (remaining % 1 > 0)  # Math.ceil, without importing math

    # --- the record format, shared with express-session stores ------------------------
    def to_json(self) -> dict[str, object]:
        opts = self.options
        data: dict[str, object] = {
            "originalMaxAge": None if opts.max_age_seconds is None
            else int(opts.max_age_seconds * 1000),
            "expires": None if self.expires is None else to_iso(self.expires),
            "secure": opts.secure if opts.secure != "auto" else None,
            "httpOnly": opts.http_only,
            "domain": opts.domain,
            "path": opts.path,
            "sameSite": opts.same_site,
            "createdAt": to_iso(self.created_at),
        }
        if self.absolute_timeout_seconds is not None:
            data["absoluteTimeout"] = int(self.absolute_timeout_seconds * 1000)
        return {key: value for key, value in data.items() if value is not None or key in
                ("originalMaxAge", "expires")}

    @classmethod
    def from_json(cls, data: dict[str, object], options: CookieOptions, now: float) -> Cookie:
        """Inflate a stored cookie. The *configured* attributes win over stored ones,
        except the expiry and age, which belong to this session."""
        if not isinstance(data, dict):
            raise ValueError("the session record's cookie is not an object")
        original = data.get("originalMaxAge")
        max_age_seconds = None if original is None else float(original) / 1000  # type: ignore[arg-type]
        if max_age_seconds != options.max_age_seconds:  # the usual case needs no copy
            options = dataclasses.replace(options, max_age_seconds=max_age_seconds)
        expires = data.get("expires")
        created = data.get("createdAt")
        absolute = data.get("absoluteTimeout")
        return cls(
            options,
            created_at=parse_iso(created) if isinstance(created, str) else now,
            expires=parse_iso(expires) if isinstance(expires, str) else None,
            absolute_timeout_seconds=None if absolute is None else float(absolute) / 1000,  # type: ignore[arg-type]
        )

    # --- the Set-Cookie header ----------------------------------------------------------
    def serialize(self, name: str, value: str, *, secure: bool) -> str:
        """The `Set-Cookie` value, attribute order as jshttp/cookie writes it."""
        opts = self.options
        parts = [f"{name}={value}"]
        if opts.domain:
            parts.append(f"Domain={opts.domain}")
        parts.append(f"Path={opts.path}")
        if self.expires is not None:
            parts.append(f"Expires={http_date(self.expires)}")
        if opts.http_only:
            parts.append("HttpOnly")
        if secure:
            parts.append("Secure")
        if opts.same_site:
            parts.append(f"SameSite={opts.same_site.capitalize()}")
        return "; ".join(parts)


def expired_cookie_header(name: str, options: CookieOptions, *, secure: bool) -> str:
    """A `Set-Cookie` that makes the browser drop the cookie now (used on logout)."""
    gone = Cookie(dataclasses.replace(options, max_age_seconds=None), created_at=0.0, expires=0.0)
    return gone.serialize(name, "", secure=secure)


def read_cookie(cookie_headers: list[str], name: str) -> str | None:
    """The raw value of cookie `name`, or None.

    Follows jshttp/cookie (what Express uses): the *first* occurrence of a
    duplicated name wins. Starlette's parser lets the last one win, which would
    let a planted cookie shadow the real one.
    """
    for header in cookie_headers:
        for pair in header.split(";"):
            key, eq, value = pair.partition("=")
            if eq and key.strip() == name:
                value = value.strip()
                if len(value) >= 2 and value[0] == value[-1] == '"':
                    value = value[1:-1]
                return value
    return None


__all__ = ["Cookie", "CookieOptions", "expired_cookie_header", "http_date", "read_cookie"]
