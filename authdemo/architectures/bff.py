"""The hybrid most real systems end up with: a backend-for-frontend (BFF).

    browser ──cookie: authdemo.sid=s:<id>.<sig>──▶ BFF ──Authorization: Bearer <60 s JWT>──▶ orders

Towards the browser the BFF is a session app: login sets an opaque, HttpOnly cookie,
logout destroys the session, and no token ever reaches the page. Towards the
services behind it, the BFF is a token issuer: for each call it signs a JWT that
lives 60 seconds, names the user (`sub`) and the one service it is for (`aud`),
and the service verifies it with the BFF's public key (see `oauth_like`).

What each side gains: the browser gets instant logout and nothing worth stealing
from a script; the services get stateless, offline verification and never see a
cookie. The cost: one more hop, and a BFF that must be on the page's own site.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from authdemo.app import session_config
from authdemo.app.dependencies import LoginRequest
from authdemo.architectures.oauth_like import TokenIssuer
from authdemo.errors import AuthError, install_error_handlers
from authdemo.sessions import MemoryStore, Session, SessionMiddleware, Store
from authdemo.settings import Settings
from authdemo.users import UserDirectory

BFF_ISSUER = "http://bff.internal"
ORDERS_URL = "http://orders.internal"
ORDERS_AUDIENCE = "http://orders.internal"
INTERNAL_TOKEN_TTL_SECONDS = 60
CSRF_HEADER = "x-csrf-token"


def user_of(request: Request) -> dict[str, Any]:
    """The logged-in user from the session, or a 401."""
    user = request.session.get("user")
    if not isinstance(user, dict):
        raise AuthError(401, "login_required", "log in first")
    return user


User = Annotated[dict[str, Any], Depends(user_of)]


def create_bff(settings: Settings, *, issuer: TokenIssuer, orders: httpx.Client,
               orders_audience: str = ORDERS_AUDIENCE, store: Store | None = None,
               users: UserDirectory | None = None) -> FastAPI:
    """`orders` is an httpx client for the orders service (in-process or real)."""
    store = store if store is not None else MemoryStore(settings.clock)
    users = users or UserDirectory.demo()
    app = FastAPI(title="backend-for-frontend")
    app.state.store = store
    app.state.outgoing = []  # what the BFF sent to services, for inspection in the notebook

    @app.post("/bff/login")
    async def login(body: LoginRequest, request: Request) -> dict[str, str]:
        user = await run_in_threadpool(users.authenticate, body.username, body.password)
        if user is None:
            raise AuthError(401, "invalid_credentials", "wrong username or password")
        session: Session = request.session  # type: ignore[assignment]
        await session.regenerate()
        session["user"] = {"username": user.username, "role": user.role}
        session["csrf_token"] = settings.new_id()
        return {"username": user.username, "csrf_token": session["csrf_token"]}

    @app.get("/bff/orders")
    async def my_orders(user: User) -> JSONResponse:
        issued = issuer.issue(user["username"], orders_audience, scope="orders:read",
                              ttl_seconds=INTERNAL_TOKEN_TTL_SECONDS)
        headers = {"Authorization": f"Bearer {issued.token}"}
        app.state.outgoing.append(headers["Authorization"])
        answer = await run_in_threadpool(orders.get, "/orders", headers=headers)
        return JSONResponse(answer.json(), status_code=answer.status_code)

    @app.post("/bff/logout")
    async def logout(user: User, request: Request) -> dict[str, str]:
        expected = str(request.session.get("csrf_token", ""))
        sent = request.headers.get(CSRF_HEADER, "")
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            raise AuthError(403, "csrf_failed", f"missing or wrong {CSRF_HEADER} header")
        await request.session.destroy()  # type: ignore[attr-defined]
        return {"message": f"logged out {user['username']}"}

    app.add_middleware(SessionMiddleware, config=session_config(settings, store))
    install_error_handlers(app)
    return app
