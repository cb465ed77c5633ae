"""VULNERABLE ON PURPOSE. A literal port of the seed's two snippets; see the package docstring.

Each Express line is quoted above the Python that does the same thing. Only the
routes the seed implies are added (`/hello`, `/jwt/protected`, `/session/protected`,
`/session/logout`), exactly as `../shared/seed-express/server.js` has them.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable

import jwt
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from redis.asyncio import Redis

from authdemo.errors import AuthError, install_error_handlers
from authdemo.sessions import (CookieOptions, MemoryStore, RedisStore, SessionConfig,
                               SessionMiddleware, Store)
from authdemo.settings import Secret, default_id

# const secretKey = "your_secret_key";
SEED_SECRET = "your_secret_key"  # 15 bytes, in every tutorial: crackable in milliseconds


def create_vulnerable_seed_app(*, store: Store | None = None, redis: Redis | None = None,
                               genid: Callable[[], str] = default_id,
                               clock: Callable[[], float] = time.time) -> FastAPI:
    """The seed's server. `store`/`redis` choose MemoryStore (default) or connect-redis."""
    app = FastAPI(title="VULNERABLE seed port (do not deploy)")
    install_error_handlers(app)  # so our fuzzing sees JSON errors, not tracebacks

    # app.use(session({ secret: "your_secret_key", resave: false,
    #                   saveUninitialized: true, cookie: { secure: false } }))
    if store is None:
        store = RedisStore(redis, clock=clock) if redis is not None else MemoryStore(clock)
    app.add_middleware(SessionMiddleware, config=SessionConfig(
        store=store,
        # Secret() refuses nothing by itself; Settings is what enforces 32 bytes, and the
        # seed never had settings.
        secrets=(Secret(SEED_SECRET),),
        name="connect.sid",
        resave=False,
        save_uninitialized=True,
        cookie=CookieOptions(secure=False),  # no SameSite, no expiry: express's defaults
        genid=genid,
        expire_cookie_on_destroy=False,  # express's destroy() leaves the cookie behind
        clock=clock,
    ))

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    # app.post("/login", (req, res) => {
    #   const { username } = req.body;
    #   const token = jwt.sign({ username }, secretKey, { expiresIn: "1h" });
    #   res.json({ token });
    # });
    @app.post("/jwt/login")
    async def jwt_login(request: Request) -> dict[str, str]:
        body = await _json_body(request)
        now = int(clock())
        token = jwt.encode({"username": body.get("username"), "iat": now, "exp": now + 3600},
                           SEED_SECRET, algorithm="HS256")
        return {"token": token}

    # const verifyToken = (req, res, next) => {
    #   const token = req.headers["authorization"];
    #   if (!token) return res.status(403).json({ message: "토큰이 필요합니다." });
    #   jwt.verify(token, secretKey, (err, decoded) => {
    #     if (err) return res.status(401).json({ message: "토큰이 유효하지 않습니다." });
    #     req.user = decoded; next(); }); };
    def verify_token(request: Request) -> dict[str, Any] | JSONResponse:
        token = request.headers.get("authorization")
        if not token:
            return JSONResponse({"message": "토큰이 필요합니다."}, 403)  # "a token is required"
        try:
            # jsonwebtoken's default for a string secret: any HMAC algorithm the token names
            return jwt.decode(token, SEED_SECRET, algorithms=["HS256", "HS384", "HS512"])
        except Exception:
            return JSONResponse({"message": "토큰이 유효하지 않습니다."}, 401)  # "invalid token"

    @app.get("/jwt/protected")
    async def jwt_protected(request: Request) -> Any:
        user = verify_token(request)
        if isinstance(user, JSONResponse):
            return user
        return {"user": user.get("username")}

    # app.post("/login", (req, res) => {
    #   req.session.user = { username: req.body.username };
    #   res.json({ message: "로그인 성공" });
    # });
    @app.post("/session/login")
    async def session_login(request: Request) -> dict[str, str]:
        body = await _json_body(request)
        request.session["user"] = {"username": body.get("username")}  # no regenerate()
        return {"message": "로그인 성공"}  # "login succeeded"

    # const isAuthenticated = (req, res, next) => {
    #   if (req.session.user) next();
    #   else res.status(401).json({ message: "로그인이 필요합니다." }); };
    @app.get("/session/protected")
    async def session_protected(request: Request) -> Any:
        user = request.session.get("user")
        if not user:
            return JSONResponse({"message": "로그인이 필요합니다."}, 401)  # "login required"
        return {"user": user.get("username") if isinstance(user, dict) else None}

    @app.post("/session/logout")
    async def session_logout(request: Request) -> dict[str, bool]:
        await request.session.destroy()  # gone from the store, but the cookie stays
        return {"ok": True}

    return app


async def _json_body(request: Request) -> dict[str, Any]:
    """express.json(): a body that is not a JSON object reads as {} (Express answers 400 for
    broken JSON; we do the same below rather than crash)."""
    raw = await request.body()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: "[[[[..." nested too deep
        raise AuthError(400, "invalid_json", "the body is not valid JSON") from None
    return body if isinstance(body, dict) else {}
