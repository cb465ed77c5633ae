"""The hardened session flow: `/session/login`, `/session/me`, `/session/logout`.

Seed → here: the password is checked, the session id is *regenerated* at login (an
id planted before login becomes worthless: no session fixation), logout destroys
the session in the store *and* expires the cookie, and logout, being a
state-changing request authenticated by a cookie, must carry the CSRF token that
login returned.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool

from authdemo.app.dependencies import LoginRequest, Services, services
from authdemo.errors import AuthError
from authdemo.sessions import Session

router = APIRouter(prefix="/session", tags=["session"])

CSRF_HEADER = "x-csrf-token"


def session_of(request: Request) -> Session:
    return request.session  # type: ignore[return-value]  # put there by SessionMiddleware


async def logged_in_user(request: Request) -> dict[str, Any]:
    """The seed's `isAuthenticated`: the session must hold a user."""
    user = session_of(request).get("user")
    if not isinstance(user, dict):
        raise AuthError(401, "login_required", "log in first")
    return user


async def require_csrf(request: Request) -> None:
    expected = str(session_of(request).get("csrf_token", ""))
    sent = request.headers.get(CSRF_HEADER, "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise AuthError(403, "csrf_failed", f"missing or wrong {CSRF_HEADER} header")


User = Annotated[dict[str, Any], Depends(logged_in_user)]


@router.post("/login")
async def login(body: LoginRequest, request: Request,
                svc: Annotated[Services, Depends(services)]) -> dict[str, str]:
    user = await run_in_threadpool(svc.users.authenticate, body.username, body.password)
    if user is None:
        raise AuthError(401, "invalid_credentials", "wrong username or password")
    session = session_of(request)
    await session.regenerate()  # a new id for the new privilege level
    session["user"] = {"username": user.username, "role": user.role}
    session["csrf_token"] = svc.settings.new_id()  # random, like an id
    return {"message": "logged in", "username": user.username,
            "csrf_token": session["csrf_token"]}


@router.get("/me")
async def me(user: User) -> dict[str, Any]:
    return user


@router.post("/logout")
async def logout(user: User, request: Request,
                 _: Annotated[None, Depends(require_csrf)]) -> dict[str, str]:
    """Logged in first (401), then the CSRF token (403): who you are before what you sent."""
    await session_of(request).destroy()
    return {"message": f"logged out {user['username']}: the session is gone from the store"}
