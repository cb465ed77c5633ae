"""`SessionMiddleware`: express-session, as an ASGI middleware.

On the way in: read the signed id from the cookie, load the record from the store,
and put a `Session` at `request.session` (a new, empty one if there is no valid
cookie or no record). On the way out, just before the status line is sent: decide,
exactly as express-session does, whether to save the session, touch it, and send a
`Set-Cookie`. Saving before the response starts means the next request always sees
the new data (XS-17), and a store failure can still become a clean 503.

The decisions are express-session's own functions (index.js), with their names:
`should_save`, `should_touch`, `should_set_cookie`, `is_modified`, `is_saved`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from authdemo.errors import error_response
from authdemo.sessions.cookie import CookieOptions, expired_cookie_header, read_cookie
from authdemo.sessions.session import Session
from authdemo.sessions.signing import decode_cookie_value, encode_cookie_value
from authdemo.sessions.stores.base import Store, StoreUnavailable
from authdemo.settings import Secret, default_id

MAX_COOKIE_CHARS = 4096
"""Browsers cap a cookie at 4096 bytes; anything longer is not ours and is ignored."""


@dataclass(frozen=True)
class SessionConfig:
    """express-session's options. Defaults are the *safe* choices, not express's deprecated
    ones (`resave` and `save_uninitialized` default to true there); the literal seed port
    sets them explicitly."""

    store: Store
    secrets: tuple[Secret, ...]
    name: str = "connect.sid"
    cookie: CookieOptions = field(default_factory=CookieOptions)
    resave: bool = False
    save_uninitialized: bool = False
    rolling: bool = False
    genid: Callable[[], str] = default_id
    absolute_timeout_seconds: float | None = None
    """Hardened addition: a session dies this long after it was created, active or not."""
    expire_cookie_on_destroy: bool = True
    """Hardened addition: `destroy()` also tells the browser to drop the cookie (XS-42)."""
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        if not self.secrets:
            raise TypeError("secret option required for sessions")  # express's own message
        if not callable(self.genid):
            raise TypeError("genid option must be a function")
        if not isinstance(self.store, Store):
            raise TypeError("store must implement authdemo.sessions.Store")


class SessionMiddleware:
    def __init__(self, app: ASGIApp, config: SessionConfig) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        root_path, path = scope.get("root_path", ""), scope.get("path", "")
        if not path.startswith(root_path):  # servers that leave the mount point out of `path`
            path = root_path + path
        if scope["type"] != "http" or not path.startswith(self.config.cookie.path):
            await self.app(scope, receive, send)  # outside the cookie's path: no session (XS-20)
            return

        cookie_id = self._signed_id_from_request(scope)
        try:
            session, loaded, touched = await self._load(cookie_id)
        except StoreUnavailable:
            await error_response(503, "store_unavailable", "The session store is unavailable; "
                                 "try again shortly.")(scope, receive, send)
            return
        scope["session"] = session
        original_id, original_data = session.id, session.data_snapshot()
        if loaded and not self.config.resave:
            session.saved = (original_id, original_data)

        store_failed = False

        async def send_with_session(message: Message) -> None:
            nonlocal store_failed
            if store_failed:
                return  # we already answered 503; drop the app's own response
            if message["type"] == "http.response.start":
                try:
                    set_cookie = await self._commit(scope, session, cookie_id, loaded, touched,
                                                    original_id, original_data)
                except StoreUnavailable:
                    store_failed = True
                    await error_response(503, "store_unavailable", "The session store is "
                                         "unavailable; try again shortly.")(scope, receive, send)
                    return
                if set_cookie:
                    MutableHeaders(scope=message).append("set-cookie", set_cookie)
            await send(message)

        await self.app(scope, receive, send_with_session)

    def _signed_id_from_request(self, scope: Scope) -> str | None:
        cookie_headers = [value.decode("latin-1") for name, value in scope["headers"]
                          if name == b"cookie"]  # ASGI header names arrive lower-cased
        raw = read_cookie(cookie_headers, self.config.name)
        if raw is None or len(raw) > MAX_COOKIE_CHARS:
            return None
        return decode_cookie_value(raw, self.config.secrets)

    async def _load(self, cookie_id: str | None) -> tuple[Session, bool, bool]:
        """The session for this request, whether it came from the store, and whether the
        store already renewed its lifetime while reading it."""
        store, touched = self.config.store, False
        if cookie_id is not None:
            if store.touches_on_read and not self.config.resave:
                touched = True  # the touch that ends every request, done now (one round trip)
                record = await store.read_and_touch(cookie_id, self._renewed_ttl_seconds())
            else:
                record = await store.get(cookie_id)
            if record is not None:
                try:
                    session = Session.from_record(self.config, cookie_id, record)
                except (KeyError, TypeError, ValueError):
                    session = None  # an unreadable record is discarded, never a 500 (XS-16)
                if session is not None and not session.cookie.past_absolute_deadline(
                        self.config.clock()):
                    return session, True, touched
                await store.destroy(cookie_id)
        return Session.generate(self.config), False, False

    def _renewed_ttl_seconds(self) -> int:
        """What a touch would set: the idle timeout (the absolute cap is checked on load)."""
        max_age = self.config.cookie.max_age_seconds
        return 86_400 if max_age is None else max(1, math.ceil(max_age))

    async def _commit(self, scope: Scope, session: Session, cookie_id: str | None, loaded: bool,
                      touched: bool, original_id: str, original_data: str) -> str | None:
        """Save or touch the session as express-session would; return the Set-Cookie, if any."""
        config = self.config
        secure = self._cookie_secure(scope)

        if session.destroyed:
            if config.expire_cookie_on_destroy and cookie_id is not None and secure is not None:
                return expired_cookie_header(config.name, config.cookie, secure=secure)
            return None

        session.touch()
        current_data = session.data_snapshot()

        def is_modified() -> bool:
            return original_id != session.id or original_data != current_data

        def is_saved() -> bool:
            return session.saved == (session.id, current_data)

        def should_save() -> bool:
            if not config.save_uninitialized and session.saved is None and cookie_id != session.id:
                return is_modified()  # an untouched new session is not stored
            return not is_saved()

        def should_touch() -> bool:
            return cookie_id == session.id and not should_save()

        def should_set_cookie() -> bool:
            if cookie_id != session.id:
                return config.save_uninitialized or is_modified()
            return config.rolling or (session.cookie.expires is not None and is_modified())

        if should_save():
            # A loaded session is only rewritten if it still exists: a logout that finished
            # while this request ran must not be undone by our late save.
            still_there = session.id == cookie_id and loaded
            written = await config.store.set(session.id, session.to_record(),
                                             only_if_exists=still_there)
            if not written:
                return None
            session.saved = (session.id, current_data)
        elif should_touch() and not touched:
            await config.store.touch(session.id, session.to_record())

        if secure is None or not should_set_cookie():
            return None
        value = encode_cookie_value(session.id, config.secrets[0])
        return session.cookie.serialize(config.name, value, secure=secure)

    def _cookie_secure(self, scope: Scope) -> bool | None:
        """Whether to mark the cookie Secure; None: do not send it at all (XS-36)."""
        https = scope.get("scheme") == "https"
        wanted = self.config.cookie.secure
        if wanted == "auto":
            return https
        if wanted and not https:
            return None  # a Secure cookie over plain HTTP would be thrown away: express sends none
        return bool(wanted)
