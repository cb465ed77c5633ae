"""`Session`: the dict a route sees as `request.session`, plus express-session's methods.

Routes read and write it like a dict. The methods are coroutines because they talk
to the store:

    await request.session.regenerate()  # new id, empty data, old id destroyed (login)
    await request.session.destroy()     # gone from the store (logout)
    await request.session.save()        # write now instead of at the end of the request
    await request.session.reload()      # re-read from the store
    request.session.touch()             # restart the idle timer

Unlike express, `regenerate()` changes this object in place instead of swapping
`req.session` for a new one: a route that holds `session` keeps a valid handle.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from authdemo.sessions.cookie import Cookie

if TYPE_CHECKING:
    from authdemo.sessions.middleware import SessionConfig


class Session(dict[str, Any]):
    """Session data (the dict) plus its id, cookie and store."""

    def __init__(self, config: SessionConfig, sid: str, cookie: Cookie,
                 data: dict[str, Any] | None = None) -> None:
        super().__init__(data or {})
        self._config = config
        self.id = sid
        self.cookie = cookie
        self.destroyed = False
        self.saved: tuple[str, str] | None = None
        """(id, data snapshot) as last written to the store, or as loaded from it."""

    @classmethod
    def generate(cls, config: SessionConfig) -> Session:
        """A brand-new, empty session with a fresh id (express: `store.generate`)."""
        now = config.clock()
        cookie = Cookie.fresh(config.cookie, now, config.absolute_timeout_seconds)
        return cls(config, config.genid(), cookie)

    @classmethod
    def from_record(cls, config: SessionConfig, sid: str, record: dict[str, Any]) -> Session:
        """A session loaded from the store (express: `store.createSession`)."""
        data = {key: value for key, value in record.items() if key != "cookie"}
        cookie = Cookie.from_json(record["cookie"], config.cookie, config.clock())
        return cls(config, sid, cookie, data)

    def to_record(self) -> dict[str, Any]:
        """The stored form. `cookie` is reserved: a data key of that name cannot replace it."""
        return {**self, "cookie": self.cookie.to_json()}

    def data_snapshot(self) -> str:
        """What "modified" means: the data as JSON text, the top-level cookie excluded (XS-21).

        express-session compares a SHA-1 of `JSON.stringify(session)`; comparing the text
        itself is the same test without the hash (the text lives only for one request).
        A value JSON cannot store fails here with the TypeError the save would raise."""
        return json.dumps(self)

    # --- express-session's methods ------------------------------------------------------
    async def regenerate(self) -> None:
        """Destroy this session in the store and continue with a new id and no data.

        Call it at login: an id that an attacker planted before login (session
        fixation) is then worth nothing. Copy what you need to keep *after* it.
        """
        await self._config.store.destroy(self.id)
        fresh = Session.generate(self._config)
        self.clear()
        self.id, self.cookie, self.destroyed, self.saved = fresh.id, fresh.cookie, False, None

    async def destroy(self) -> None:
        """Delete the session from the store; the middleware then expires the cookie."""
        await self._config.store.destroy(self.id)
        self.clear()
        self.destroyed = True

    async def save(self) -> None:
        """Write the session now; the middleware will not write it again unless it changes."""
        await self._config.store.set(self.id, self.to_record())
        self.saved = (self.id, self.data_snapshot())

    async def reload(self) -> None:
        """Replace the data with what the store holds; KeyError if it is gone."""
        record = await self._config.store.get(self.id)
        if record is None:
            raise KeyError("the session is no longer in the store")
        loaded = Session.from_record(self._config, self.id, record)
        self.clear()
        self.update(loaded)
        self.cookie = loaded.cookie

    def touch(self) -> None:
        """Restart the idle timer (the middleware does this on every response)."""
        self.cookie.touch(self._config.clock())

    def __repr__(self) -> str:
        return f"<Session {dict(self)!r}>"  # never the id: it is a bearer credential
