"""The hardened app: both flows of the seed, done the way a security reviewer would sign off.

    app = create_app(Settings())

builds a FastAPI app with the JWT routes (`/jwt/...`) and the session routes
(`/session/...`). Every collaborator can be passed in, so apps can share a Redis
(several "servers", one state) or not (the scalability lessons).
"""

from __future__ import annotations

from fastapi import FastAPI
from redis.asyncio import Redis

from authdemo.app import jwt_routes, session_routes
from authdemo.app.dependencies import Services
from authdemo.errors import install_error_handlers
from authdemo.redis_client import connect_redis
from authdemo.sessions import (CookieOptions, MemoryStore, RedisStore, SessionConfig,
                               SessionMiddleware, Store)
from authdemo.settings import Settings
from authdemo.tokens import Denylist, RefreshFamilies, TokenCodec
from authdemo.users import UserDirectory


NO_TELEMETRY = {"tracing": False, "metrics": False, "logs": False}
"""FastAPI >= 0.165's `telemetry=` option (older versions keep unknown options in `app.extra`)."""


def session_config(settings: Settings, store: Store) -> SessionConfig:
    """express-session's options as the hardened flow sets them, all from `Settings`."""
    return SessionConfig(
        store=store,
        secrets=settings.session_secrets,
        name=settings.session_cookie_name,
        cookie=CookieOptions(
            path="/",
            http_only=True,
            secure=settings.cookie_secure,
            same_site=settings.cookie_same_site,
            domain=settings.cookie_domain,
            max_age_seconds=settings.session_idle_timeout_seconds,
        ),
        resave=False,
        save_uninitialized=False,  # no store entry, no cookie, until someone logs in
        rolling=True,  # every response renews the idle timeout
        genid=settings.new_id,
        absolute_timeout_seconds=settings.session_absolute_timeout_seconds,
        expire_cookie_on_destroy=True,
        clock=settings.clock,
    )


def create_app(settings: Settings | None = None, *, redis: Redis | None = None,
               session_store: Store | None = None, users: UserDirectory | None = None,
               title: str = "authdemo (hardened)") -> FastAPI:
    settings = settings or Settings()
    redis = redis if redis is not None else connect_redis(
        settings.redis_url, timeout_seconds=settings.redis_timeout_seconds)
    if session_store is None:
        session_store = (RedisStore(redis, clock=settings.clock)
                         if settings.session_store == "redis"
                         else MemoryStore(settings.clock, touch_on_read=True))
    svc = Services(
        settings=settings,
        users=users or UserDirectory.demo(),
        redis=redis,
        session_store=session_store,
        tokens=TokenCodec(settings),
        denylist=Denylist(redis, settings.clock),
        refresh_families=RefreshFamilies(redis, settings.refresh_token_ttl_seconds),
    )
    # FastAPI checks on every request whether OpenTelemetry was configured; this app exports
    # no telemetry, so it says so once instead (about 10-20 µs per request, benchmarks/README.md).
    app = FastAPI(title=title, description=__doc__, telemetry=NO_TELEMETRY)
    app.state.services = svc
    app.include_router(jwt_routes.router)
    app.include_router(session_routes.router)
    app.add_middleware(SessionMiddleware, config=session_config(settings, session_store))
    install_error_handlers(app)

    @app.get("/", tags=["meta"])
    async def index() -> dict[str, object]:
        paths = app.openapi()["paths"]  # the documented routes, as /docs shows them
        return {"app": title, "routes": sorted(p for p in paths if p != "/")}

    return app
