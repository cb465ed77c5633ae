"""Small helpers for notebook 02 (session flow), so its cells stay about the idea.

    SpyStore()                     a MemoryStore that counts the calls the middleware makes
    store_records(store)           {sid: record} of any store that can list its ids
    show_store(store)              print what a store holds, as sorted JSON
    seed_routes_app(config)        the seed's session routes on any `SessionConfig`
    cookie_session_app(secret)     the same routes on Starlette's cookie-only sessions
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware as StarletteSessionMiddleware
from starlette.routing import Route

from authdemo.server import run
from authdemo.sessions import MemoryStore, SessionConfig, SessionMiddleware, Store
from authdemo.sessions.stores.base import Record


class SpyStore(MemoryStore):
    """A MemoryStore that counts `get`, `set`, `touch` and `destroy` calls in `calls`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: Counter[str] = Counter()
        self._touching = False

    async def get(self, sid: str) -> Record | None:
        self.calls["get"] += 1
        return await super().get(sid)

    async def set(self, sid: str, record: Record, *, only_if_exists: bool = False) -> bool:
        if not self._touching:  # a touch that rewrites the record is still one touch
            self.calls["set"] += 1
        return await super().set(sid, record, only_if_exists=only_if_exists)

    async def touch(self, sid: str, record: Record) -> None:
        self.calls["touch"] += 1
        self._touching = True
        try:
            await super().touch(sid, record)
        finally:
            self._touching = False

    async def destroy(self, sid: str) -> None:
        self.calls["destroy"] += 1
        await super().destroy(sid)


def store_records(store: Store) -> dict[str, Record]:
    """Every live record in the store, by session id (sorted)."""
    async def collect() -> dict[str, Record]:
        records = {}
        for sid in sorted(await store.ids()):
            record = await store.get(sid)
            if record is not None:
                records[sid] = record
        return records

    return run(collect())


def show_store(store: Store) -> None:
    """Print how many sessions the store holds, then each record as sorted JSON."""
    records = store_records(store)
    print(f"{type(store).__name__} holds {len(records)} session(s)")
    for sid, record in records.items():
        print(f"  {sid} -> {json.dumps(record, sort_keys=True, ensure_ascii=False)}")


def seed_routes_app(config: SessionConfig) -> FastAPI:
    """The seed's session routes (`/hello`, `/session/login`, `/session/protected`,
    `/session/logout`) behind authdemo's `SessionMiddleware` with any options."""
    app = FastAPI()

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    @app.post("/session/login")
    async def login(request: Request) -> dict[str, str]:
        request.session["user"] = {"username": (await request.json()).get("username")}
        return {"message": "로그인 성공"}

    @app.get("/session/protected")
    async def protected(request: Request) -> Any:
        user = request.session.get("user")
        if not user:
            return JSONResponse({"message": "로그인이 필요합니다."}, 401)
        return {"user": user["username"]}

    @app.post("/session/logout")
    async def logout(request: Request) -> dict[str, bool]:
        await request.session.destroy()
        return {"ok": True}

    app.add_middleware(SessionMiddleware, config=config)
    return app


def cookie_session_app(secret_key: str) -> Starlette:
    """Login, a protected route and logout on Starlette's `SessionMiddleware`, which keeps
    the session *data* in a signed cookie on the client (no store on the server)."""
    async def login(request: Any) -> JSONResponse:
        request.session["user"] = {"username": (await request.json())["username"]}
        return JSONResponse({"message": "logged in"})

    async def protected(request: Any) -> JSONResponse:
        user = request.session.get("user")
        if not user:
            return JSONResponse({"message": "log in first"}, 401)
        return JSONResponse({"user": user["username"]})

    async def logout(request: Any) -> JSONResponse:
        request.session.clear()  # all the server can do: ask the browser to forget
        return JSONResponse({"message": "logged out"})

    return Starlette(
        routes=[Route("/login", login, methods=["POST"]), Route("/protected", protected),
                Route("/logout", logout, methods=["POST"])],
        middleware=[Middleware(StarletteSessionMiddleware, secret_key=secret_key)])


__all__ = ["SpyStore", "cookie_session_app", "seed_routes_app",
           "show_store", "store_records"]
