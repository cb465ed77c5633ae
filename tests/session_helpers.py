"""Helpers for the session tests, named the way express-session's own tests read.

The harness mirrors express-session's test server (test/session.js:2668-2680): the
secret `keyboard cat`, a cookie of `maxAge: 60000` (60 s here), and express's own
(deprecated) defaults `resave: true`, `saveUninitialized: true`, `destroy()` leaving the
cookie behind. A test that needs another option passes it to `session_app(...)`.

    app = session_app(rolling=True)
    first = app.get("/hits")
    second = app.get("/hits", cookie=session_cookie(first))
    assert second.json()["hits"] == 2
    assert set_cookie_header(second) is not None
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from authdemo.server import in_process_client
from authdemo.sessions import (CookieOptions, MemoryStore, Session, SessionConfig,
                               SessionMiddleware, Store)
from authdemo.sessions.signing import decode_cookie_value
from authdemo.sessions.stores.base import Record, StoreUnavailable
from authdemo.settings import Secret

KEYBOARD_CAT = Secret("keyboard cat")
COOKIE_NAME = "connect.sid"
HARNESS_COOKIE = CookieOptions(max_age_seconds=60)
"""express-session's test harness: `cookie: {maxAge: 60 * 1000}`."""


# --- stores that tell the test what the middleware did ---------------------------------
class SpyStore(MemoryStore):
    """A MemoryStore that writes down every call: `("get", sid)`, `("set", sid)`, ..."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[tuple[str, str]] = []

    async def get(self, sid: str) -> Record | None:
        self.calls.append(("get", sid))
        return await super().get(sid)

    async def set(self, sid: str, record: Record, *, only_if_exists: bool = False) -> bool:
        self.calls.append(("set", sid))
        return await super().set(sid, record, only_if_exists=only_if_exists)

    async def touch(self, sid: str, record: Record) -> None:
        self.calls.append(("touch", sid))
        await super().touch(sid, record)

    async def read_and_touch(self, sid: str, ttl_seconds: int) -> Record | None:
        self.calls.append(("read_and_touch", sid))
        return await super().read_and_touch(sid, ttl_seconds)

    async def destroy(self, sid: str) -> None:
        self.calls.append(("destroy", sid))
        await super().destroy(sid)

    def forget_calls(self) -> None:
        self.calls.clear()


class BrokenStore(MemoryStore):
    """A MemoryStore whose chosen methods fail as a Redis outage would."""

    def __init__(self, *, failing: set[str]) -> None:
        super().__init__()
        self.failing = failing

    def _maybe_fail(self, method: str) -> None:
        if method in self.failing:
            raise StoreUnavailable(f"{method}: connection refused")

    async def get(self, sid: str) -> Record | None:
        self._maybe_fail("get")
        return await super().get(sid)

    async def set(self, sid: str, record: Record, *, only_if_exists: bool = False) -> bool:
        self._maybe_fail("set")
        return await super().set(sid, record, only_if_exists=only_if_exists)

    async def touch(self, sid: str, record: Record) -> None:
        self._maybe_fail("touch")
        await super().touch(sid, record)


def calls_to(spy: SpyStore, method: str) -> list[str]:
    """The session ids `method` was called with, in order."""
    return [sid for name, sid in spy.calls if name == method]


def store_writes(spy: SpyStore) -> int:
    return len(calls_to(spy, "set"))


def store_touches(spy: SpyStore) -> int:
    return len(calls_to(spy, "touch"))


def store_reads(spy: SpyStore) -> int:
    return len(calls_to(spy, "get"))


# --- the app -------------------------------------------------------------------------
def session_of(request: Request) -> Session:
    return request.scope["session"]  # type: ignore[no-any-return]


def snapshot(session: Session) -> dict[str, Any]:
    return {"sid": session.id, "data": dict(session)}


async def root(request: Request) -> JSONResponse:
    """Does not look at the session at all (express: `res.end('hello')`)."""
    return JSONResponse({"ok": True})


async def hits(request: Request) -> JSONResponse:
    session = session_of(request)
    session["hits"] = session.get("hits", 0) + 1
    return JSONResponse({"hits": session["hits"]})


async def read(request: Request) -> JSONResponse:
    return JSONResponse(snapshot(session_of(request)))


async def update(request: Request) -> JSONResponse:
    """Merge the JSON body into the session."""
    session = session_of(request)
    session.update(json.loads(await request.body()))
    return JSONResponse(snapshot(session))


async def regenerate(request: Request) -> JSONResponse:
    session = session_of(request)
    await session.regenerate()
    return JSONResponse(snapshot(session))


async def destroy(request: Request) -> JSONResponse:
    await session_of(request).destroy()
    return JSONResponse({"destroyed": True})


async def save(request: Request) -> JSONResponse:
    session = session_of(request)
    session["saved"] = True
    await session.save()
    return JSONResponse(snapshot(session))


async def reload(request: Request) -> JSONResponse:
    """Scribble on the session, then reload it: the scribble must be gone."""
    session = session_of(request)
    session["scribble"] = "not saved"
    await session.reload()
    return JSONResponse(snapshot(session))


async def has_session(request: Request) -> JSONResponse:
    """Whether the middleware put a session on this request at all (XS-20)."""
    return JSONResponse({"has_session": "session" in request.scope})


ROUTES = [
    Route("/", root),
    Route("/hits", hits),
    Route("/read", read),
    Route("/update", update, methods=["POST"]),
    Route("/regenerate", regenerate, methods=["POST"]),
    Route("/destroy", destroy, methods=["POST"]),
    Route("/save", save, methods=["POST"]),
    Route("/reload", reload, methods=["POST"]),
    Route("/admin/read", read),
    Route("/administrator", has_session),
    Route("/outside", has_session),
]


def harness_config(store: Store | None = None, **options: Any) -> SessionConfig:
    """express-session's test harness options, with `options` on top."""
    defaults: dict[str, Any] = {
        "store": store if store is not None else SpyStore(),
        "secrets": (KEYBOARD_CAT,),
        "name": COOKIE_NAME,
        "cookie": HARNESS_COOKIE,
        "resave": True,
        "save_uninitialized": True,
        "expire_cookie_on_destroy": False,
    }
    defaults.update(options)
    return SessionConfig(**defaults)


def build_app(config: SessionConfig, routes: list[Route] | None = None) -> Starlette:
    app = Starlette(routes=routes if routes is not None else ROUTES)
    app.add_middleware(SessionMiddleware, config=config)
    return app


@dataclass
class SessionApp:
    """One app plus a client that only sends the cookies a test hands it."""

    config: SessionConfig
    client: httpx.Client
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def store(self) -> Any:
        return self.config.store

    def request(self, method: str, path: str, cookie: str | None = None,
                **kwargs: Any) -> httpx.Response:
        self.client.cookies.clear()  # no cookie jar magic: each test says what it sends
        headers = dict(kwargs.pop("headers", {}))
        if cookie is not None:
            headers["cookie"] = cookie
        return self.client.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, cookie: str | None = None, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, cookie, **kwargs)

    def post(self, path: str, cookie: str | None = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, cookie, **kwargs)

    def close(self) -> None:
        self.client.close()


def session_app(store: Store | None = None, *, base_url: str = "http://testserver",
                routes: list[Route] | None = None, **options: Any) -> SessionApp:
    config = harness_config(store, **options)
    return SessionApp(config, in_process_client(build_app(config, routes), base_url=base_url))


# --- reading responses -----------------------------------------------------------------
def set_cookie_headers(response: httpx.Response) -> list[str]:
    return response.headers.get_list("set-cookie")


def set_cookie_header(response: httpx.Response) -> str | None:
    """The one Set-Cookie header of the response, or None; more than one is a failure."""
    headers = set_cookie_headers(response)
    assert len(headers) <= 1, f"expected at most one Set-Cookie, got {headers}"
    return headers[0] if headers else None


def set_cookie_named(response: httpx.Response, name: str) -> str | None:
    """The Set-Cookie header for cookie `name` among several (JWT cookie mode sets three)."""
    for header in set_cookie_headers(response):
        if header.startswith(name + "="):
            return header
    return None


def value_of_set_cookie(response: httpx.Response, name: str) -> str:
    """The value the response sets for cookie `name`; it must set one."""
    header = set_cookie_named(response, name)
    assert header is not None, f"expected a {name} Set-Cookie"
    return header.split(";", 1)[0].split("=", 1)[1]


def session_cookie(response: httpx.Response, name: str = COOKIE_NAME) -> str:
    """`name=value` from the response's Set-Cookie, ready to send back (express: `cookie(res)`)."""
    header = set_cookie_header(response)
    assert header is not None, "expected a Set-Cookie header"
    pair = header.split(";", 1)[0]
    assert pair.startswith(name + "="), header
    return pair


def cookie_value(response: httpx.Response, name: str = COOKIE_NAME) -> str:
    return session_cookie(response, name).split("=", 1)[1]


def cookie_attributes(header: str) -> list[str]:
    """Everything after `name=value`, in order."""
    return [part.strip() for part in header.split(";")[1:]]


def sid_of(response: httpx.Response, secrets: tuple[Secret, ...] = (KEYBOARD_CAT,),
           name: str = COOKIE_NAME) -> str:
    """The session id the response's cookie carries, verified."""
    sid = decode_cookie_value(cookie_value(response, name), secrets)
    assert sid is not None, "the cookie did not verify"
    return sid


def stored_record(store: MemoryStore, sid: str) -> dict[str, Any] | None:
    """What a MemoryStore holds for `sid`, read without going through `get`."""
    raw = store.sessions.get(sid)
    return None if raw is None else json.loads(raw)
