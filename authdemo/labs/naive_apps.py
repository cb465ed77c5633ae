"""VULNERABLE ON PURPOSE: the seed's advice followed to the letter and no further.

The seed says "store the JWT in an HttpOnly cookie" and mentions refresh and logout,
but not the details that make them safe. `create_naive_advice_app()` is that app,
for the notebook 05 labs that need code the seed never showed:

- the JWT rides in an HttpOnly cookie, with no SameSite and no CSRF token, so a
  foreign page's form post is authenticated (`POST /jwt/logout`);
- `POST /jwt/refresh` swaps any valid refresh token for a new access token, any
  number of times: no rotation, so a stolen refresh token is never noticed;
- `/plain/...` keeps the username itself in an *unsigned* cookie, which the client
  can edit.

`counter_ids()` is a predictable session id generator (`sess-0001`, `sess-0002`...),
for the session-guessing lab. Never use any of this.
"""

from __future__ import annotations

import itertools
import time
from typing import Any, Callable

import jwt
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from authdemo.errors import install_error_handlers

NAIVE_SECRET = "naive-advice-app demo key, 32+ bytes; demo only"
"""Long enough: these labs are about what the app does with a good key, not the key."""


def counter_ids(prefix: str = "sess-") -> Callable[[], str]:
    """VULNERABLE: ids anyone can predict from their own (`sess-0001`, `sess-0002`...)."""
    counter = itertools.count(1)
    return lambda: f"{prefix}{next(counter):04d}"


def create_naive_advice_app(clock: Callable[[], float] = time.time) -> FastAPI:
    app = FastAPI(title="VULNERABLE naive-advice app (do not deploy)")
    install_error_handlers(app)

    def issue(username: str, use: str, ttl: int) -> str:
        now = int(clock())
        return jwt.encode({"username": username, "use": use, "iat": now, "exp": now + ttl},
                          NAIVE_SECRET, algorithm="HS256")

    def verified(token: str | None, use: str = "access") -> dict[str, Any] | None:
        try:
            claims = jwt.decode(token or "", NAIVE_SECRET, algorithms=["HS256"])
        except jwt.PyJWTError:
            return None
        return claims if claims.get("use") == use else None

    def token_of(request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        return header.removeprefix("Bearer ").strip() or request.cookies.get("token")

    @app.post("/jwt/login")
    async def login(request: Request) -> JSONResponse:
        username = str((await request.json()).get("username"))
        response = JSONResponse({"token": issue(username, "access", 3600),
                                 "refresh_token": issue(username, "refresh", 7 * 86400)})
        response.set_cookie("token", issue(username, "access", 3600), httponly=True,
                            samesite=None)  # the seed's tip: HttpOnly. Nothing else.
        return response

    @app.get("/jwt/protected")
    async def protected(request: Request) -> JSONResponse:
        claims = verified(token_of(request))
        if claims is None:
            return JSONResponse({"message": "invalid token"}, 401)
        return JSONResponse({"user": claims["username"]})

    @app.post("/jwt/refresh")
    async def refresh(request: Request) -> JSONResponse:
        claims = verified((await request.json()).get("refresh_token"), use="refresh")
        if claims is None:
            return JSONResponse({"message": "invalid refresh token"}, 401)
        return JSONResponse({"token": issue(claims["username"], "access", 3600)})

    @app.post("/jwt/logout")
    async def logout(request: Request) -> JSONResponse:
        if verified(token_of(request)) is None:
            return JSONResponse({"message": "invalid token"}, 401)
        response = JSONResponse({"ok": True})
        response.delete_cookie("token")
        return response

    @app.post("/plain/login")
    async def plain_login(request: Request) -> JSONResponse:
        response = JSONResponse({"message": "logged in"})
        response.set_cookie("user", str((await request.json()).get("username")), httponly=True)
        return response

    @app.get("/plain/me")
    async def plain_me(request: Request) -> JSONResponse:
        user = request.cookies.get("user")
        if not user:
            return JSONResponse({"message": "log in first"}, 401)
        return JSONResponse({"user": user})

    return app


__all__ = ["NAIVE_SECRET", "counter_ids", "create_naive_advice_app"]
