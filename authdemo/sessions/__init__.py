"""Server-side sessions, as express-session does them.

    signing.py     the `s:<id>.<signature>` cookie value
    cookie.py      the cookie's attributes, expiry and Set-Cookie header
    session.py     `Session`: the dict a route sees, with regenerate/destroy/save/...
    middleware.py  `SessionMiddleware` and its options, `SessionConfig`
    stores/        the `Store` contract, `MemoryStore`, `RedisStore`
"""

from authdemo.sessions.cookie import Cookie, CookieOptions
from authdemo.sessions.middleware import SessionConfig, SessionMiddleware
from authdemo.sessions.session import Session
from authdemo.sessions.stores import MemoryStore, RedisStore, Store, StoreUnavailable

__all__ = ["Cookie", "CookieOptions", "MemoryStore", "RedisStore", "Session", "SessionConfig",
           "SessionMiddleware", "Store", "StoreUnavailable"]
