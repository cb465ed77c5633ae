#!/usr/bin/env python3
"""Per-request cost of authdemo's JWT check and session load, in process, beside the bare
primitive underneath (issue 2, item 9). Prints figures; it is not a timed test.

    .venv/bin/python benchmarks/bench_inprocess.py            # ~30 s
    .venv/bin/python benchmarks/bench_inprocess.py --quick    # ~10 s
    AUTHDEMO_REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python benchmarks/bench_inprocess.py

Method: for each row, the primitive and authdemo's code are timed in alternating rounds
(P A, then A P, ...) of many calls each, after a warm-up, on one asyncio event loop
(uvloop when installed, like uvicorn). Each round gives a per-call time; the table shows
the median and the interquartile range (IQR) across rounds, and the overhead is the median
of the per-round ratios authdemo/primitive (paired rounds cancel most of the drift that a
shared machine adds). Goal (issue 2): authdemo adds at most 20% over the primitive.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

import httpx  # noqa: E402
import jwt  # noqa: E402
from fastapi import FastAPI, Request  # noqa: E402
from fastapi.responses import JSONResponse  # noqa: E402

from authdemo.app import NO_TELEMETRY, create_app, session_config  # noqa: E402
from authdemo.app.jwt_routes import access_claims  # noqa: E402
from authdemo.redis_client import connect_redis  # noqa: E402
from authdemo.sessions import MemoryStore, RedisStore, Session, SessionMiddleware  # noqa: E402
from authdemo.sessions.signing import encode_cookie_value  # noqa: E402
from authdemo.settings import Secret, Settings  # noqa: E402
from authdemo.tokens import revocation_reason  # noqa: E402
from authdemo.users import UserDirectory  # noqa: E402
from argon2 import PasswordHasher  # noqa: E402

GOAL = 0.20


@dataclass
class Row:
    operation: str
    primitive: str
    prim_us: list[float]
    auth_us: list[float]
    ratios: list[float]
    goal: bool = True  # False: informational row, no goal applies

    @property
    def overhead(self) -> float:
        return C.median(self.ratios) - 1

    def cells(self) -> list[str]:
        p, a = self.prim_us, self.auth_us
        met = ("yes" if self.overhead <= GOAL else "NO") if self.goal else "(info)"
        return [self.operation, self.primitive,
                f"{C.fmt_num(C.median(p))} ± {C.fmt_num(C.iqr(p))}",
                f"{C.fmt_num(C.median(a))} ± {C.fmt_num(C.iqr(a))}",
                f"{self.overhead * 100:+.0f}%", met]


class Bench:
    def __init__(self, rounds: int, round_seconds: float, warmup_seconds: float,
                 clock: Callable[[], int] = time.perf_counter_ns) -> None:
        self.clock = clock
        self.rounds, self.round_seconds, self.warmup_seconds = rounds, round_seconds, warmup_seconds
        self.rows: list[Row] = []
        self.skipped: list[str] = []

    # Both sides run in the same kind of loop, so loop overhead cancels in the ratio.
    def _sync_batch(self, fn: Callable[[], Any], n: int) -> float:
        clock = self.clock
        start = clock()
        for _ in range(n):
            fn()
        return (clock() - start) / n / 1000

    async def _async_batch(self, fn: Callable[[], Awaitable[Any]], n: int) -> float:
        clock = self.clock
        start = clock()
        for _ in range(n):
            await fn()
        return (clock() - start) / n / 1000

    async def _batch(self, fn: Callable[[], Any], n: int, is_async: bool) -> float:
        return await self._async_batch(fn, n) if is_async else self._sync_batch(fn, n)

    async def compare(self, operation: str, primitive_label: str, primitive: Callable[[], Any],
                      authdemo: Callable[[], Any], *, is_async: bool, goal: bool = True) -> Row:
        # Warm-up (and calibration): run each for warmup_seconds, or at least 20 calls.
        per_call = []
        for fn in (primitive, authdemo):
            n, spent, calls = 20, 0.0, 0
            while True:
                us = await self._batch(fn, n, is_async)
                spent += us * n / 1e6
                calls += n
                if spent >= self.warmup_seconds / 2:
                    break
                n *= 2
            per_call.append(us)
        n = max(10, int(self.round_seconds / (max(per_call) / 1e6)))
        prim, auth, ratios = [], [], []
        for r in range(self.rounds):
            gc.collect()
            if r % 2 == 0:
                p = await self._batch(primitive, n, is_async)
                a = await self._batch(authdemo, n, is_async)
            else:
                a = await self._batch(authdemo, n, is_async)
                p = await self._batch(primitive, n, is_async)
            prim.append(p)
            auth.append(a)
            ratios.append(a / p)
        row = Row(operation, primitive_label, prim, auth, ratios, goal)
        self.rows.append(row)
        C.log(f"  {operation}: {C.fmt_num(C.median(prim))} µs vs {C.fmt_num(C.median(auth))} µs "
              f"({row.overhead * 100:+.0f}%)")
        return row


def cheap_users() -> UserDirectory:
    """The demo users with a deliberately cheap Argon2 (login is not what is measured here:
    the default parameters cost ~0.1 s per hash, and every app built hashes four)."""
    return UserDirectory.demo(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def settings_for(redis_url: str | None = None, store: str = "redis") -> Settings:
    return Settings(jwt_secret=Secret(C.JWT_SECRET), session_secrets=(Secret(C.SESSION_SECRET),),
                    redis_url=redis_url, session_store=store)  # type: ignore[arg-type]


def http_scope(headers: list[tuple[bytes, bytes]], path: str) -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
            "query_string": b"", "headers": headers, "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000)}


# --- 1. JWT -----------------------------------------------------------------------------------
async def bench_jwt_codec(bench: Bench) -> None:
    app = create_app(settings_for(), users=cheap_users())
    svc = app.state.services
    s = svc.settings
    token = svc.tokens.issue(C.DEMO_USER, "access", role="user", fam="fam-1").token
    key = s.jwt_secret.reveal()
    await bench.compare(
        "TokenCodec.decode", "jwt.decode(token, key, algorithms=[HS256], audience=aud)",
        lambda: jwt.decode(token, key, algorithms=["HS256"], audience=s.jwt_audience),
        lambda: svc.tokens.decode(token, "access"), is_async=False)
    await bench.compare(
        "TokenCodec.decode", "jwt.decode with the same options (+issuer, leeway, require)",
        lambda: jwt.decode(token, key, algorithms=["HS256"], audience=s.jwt_audience,
                           issuer=s.jwt_issuer, leeway=s.jwt_leeway_seconds,
                           options={"require": ["exp", "iat", "sub", "jti", "iss", "aud"]}),
        lambda: svc.tokens.decode(token, "access"), is_async=False, goal=False)


async def bench_jwt_dependency(bench: Bench, redis_url: str | None, label: str) -> None:
    """`access_claims` (header parse + TokenCodec.decode + revocation_reason, one MGET)
    vs jwt.decode + one bare MGET of two keys on the same Redis."""
    app = create_app(settings_for(redis_url), users=cheap_users())
    svc = app.state.services
    s = svc.settings
    start = getattr(svc.refresh_families, "start", None)  # older API: families must exist
    if start is not None:
        await start("bench-fam", C.DEMO_USER)
    token = svc.tokens.issue(C.DEMO_USER, "access", role="user", fam="bench-fam").token
    key = s.jwt_secret.reveal()
    redis = svc.redis
    # One MGET of two keys shaped like authdemo's (their names do not change the cost).
    deny_key, fam_key = "denylist:" + "x" * 32, "refresh:revoked:bench-fam"
    scope = http_scope([(b"authorization", f"Bearer {token}".encode())], "/jwt/me")

    async def primitive() -> None:
        jwt.decode(token, key, algorithms=["HS256"], audience=s.jwt_audience)
        await redis.mget(deny_key, fam_key)

    async def authdemo() -> None:
        await access_claims(Request(scope), svc)

    claims = await access_claims(Request(scope), svc)
    assert claims["sub"] == C.DEMO_USER and await revocation_reason(
        svc.denylist, svc.refresh_families, claims) is None
    await bench.compare(f"JWT dependency (access_claims), {label}",
                        "jwt.decode + MGET of 2 keys", primitive, authdemo, is_async=True)
    await _close(redis)


# --- 2. session load ----------------------------------------------------------------------------
async def stored_session(settings: Settings, store: Any) -> tuple[Any, str, list[tuple[bytes, bytes]]]:
    """A logged-in session in `store` (the record /session/login writes) and its cookie header."""
    config = session_config(settings, store)
    session = Session.generate(config)
    session["user"] = {"username": C.DEMO_USER, "role": "user"}
    session["csrf_token"] = "c" * 22
    await store.set(session.id, session.to_record())
    value = encode_cookie_value(session.id, settings.session_secrets[0])
    header = f"{settings.session_cookie_name}={value}"
    return config, session.id, [(b"cookie", header.encode())]


async def bench_session_load(bench: Bench, store: Any, label: str, settings: Settings) -> None:
    """store.get alone vs the middleware's load path: cookie parse, unsign, store.get,
    Session.from_record (and the expiry check), exactly as SessionMiddleware.__call__ does."""
    config, sid, headers = await stored_session(settings, store)

    async def noop_app(scope: Any, receive: Any, send: Any) -> None:  # never called
        raise AssertionError

    middleware = SessionMiddleware(noop_app, config)
    scope = http_scope(headers, "/session/me")

    async def primitive() -> None:
        await store.get(sid)

    async def authdemo() -> None:
        cookie_id = middleware._signed_id_from_request(scope)
        await middleware._load(cookie_id)

    session, loaded, _ = await middleware._load(middleware._signed_id_from_request(scope))
    assert loaded and session["user"]["username"] == C.DEMO_USER, "session did not load"
    await bench.compare(f"session load (middleware), {label}", f"{type(store).__name__}.get",
                        primitive, authdemo, is_async=True)


# --- 3. whole requests through the ASGI app ------------------------------------------------------
def bare_app(settings: Settings, redis: Any, store: Any) -> FastAPI:
    """A bare FastAPI app doing only the primitives: what any app must pay at the least."""
    bare = FastAPI(telemetry=NO_TELEMETRY)  # the same framework settings as authdemo's app
    key, aud = settings.jwt_secret.reveal(), settings.jwt_audience
    name = settings.session_cookie_name

    @bare.get("/jwt/me")
    async def jwt_me(request: Request) -> Any:
        claims = jwt.decode(request.headers["authorization"][7:], key, algorithms=["HS256"],
                            audience=aud)
        await redis.mget("denylist:" + claims["jti"], "refresh:revoked:" + claims["fam"])
        return {"username": claims["sub"], "role": claims.get("role"), "expires_at": claims["exp"]}

    @bare.get("/session/me")
    async def session_me(request: Request) -> Any:
        raw = unquote(request.cookies.get(name, ""))  # no signature check: primitive only
        record = await store.get(raw[2:].rpartition(".")[0])
        if record is None:
            return JSONResponse({"error": "login_required"}, status_code=401)
        return record["user"]

    return bare


async def bench_asgi(bench: Bench, redis_url: str | None, store_kind: str, label: str) -> None:
    settings = settings_for(redis_url, store_kind)
    app = create_app(settings, users=cheap_users())
    svc = app.state.services
    bare = bare_app(settings, svc.redis, svc.session_store)
    creds = {"username": C.DEMO_USER, "password": C.DEMO_PASSWORD}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as client, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=bare),
                              base_url="http://testserver") as bare_client:
        login = await client.post("/jwt/login", json=creds)
        login.raise_for_status()
        auth = {"authorization": f"Bearer {login.json()['access_token']}"}
        (await client.post("/session/login", json=creds)).raise_for_status()
        bare_client.cookies = client.cookies
        for path in ("/jwt/me", "/session/me"):
            for c in (client, bare_client):
                answer = await c.get(path, headers=auth if path == "/jwt/me" else None)
                assert answer.status_code == 200, (path, answer.status_code, answer.text)

        if store_kind == "redis":  # the JWT path does not depend on the session store
            await bench.compare(f"GET /jwt/me via ASGI, {label}",
                                "bare FastAPI route: jwt.decode + MGET of 2 keys",
                                lambda: bare_client.get("/jwt/me", headers=auth),
                                lambda: client.get("/jwt/me", headers=auth), is_async=True)
        await bench.compare(f"GET /session/me via ASGI, {label}",
                            f"bare FastAPI route: {type(svc.session_store).__name__}.get",
                            lambda: bare_client.get("/session/me"),
                            lambda: client.get("/session/me"), is_async=True)
    await _close(svc.redis)


async def _close(redis: Any) -> None:
    close = getattr(redis, "aclose", None) or getattr(redis, "close", None)
    if close is not None:
        await close()


# --- main ----------------------------------------------------------------------------------------
async def main_async(args: argparse.Namespace) -> Bench:
    clock = time.process_time_ns if args.clock == "cpu" else time.perf_counter_ns
    bench = Bench(args.rounds, args.round_ms / 1000, args.warmup_ms / 1000, clock)
    url = args.redis_url
    settings = settings_for()

    only = set(args.only or GROUPS)
    if "codec" in only:
        C.log("JWT decode")
        await bench_jwt_codec(bench)
    if "dependency" in only:
        C.log("JWT dependency with revocation check")
        await bench_jwt_dependency(bench, None, "fakeredis")
        if url:
            await bench_jwt_dependency(bench, url, "real Redis")
        else:
            bench.skipped.append("JWT dependency, real Redis: skipped: no AUTHDEMO_REDIS_URL")
    if "load" in only:
        await _session_loads(bench, url, settings)
    if "asgi" in only:
        await _asgi_rows(bench, url)
    return bench


GROUPS = ("codec", "dependency", "load", "asgi")


async def _session_loads(bench: Bench, url: str | None, settings: Settings) -> None:
    C.log("session load")
    await bench_session_load(bench, MemoryStore(), "MemoryStore", settings)
    fake = connect_redis(None)
    await bench_session_load(bench, RedisStore(fake), "RedisStore on fakeredis", settings)
    if url:
        real = connect_redis(url)
        await bench_session_load(bench, RedisStore(real), "RedisStore on real Redis", settings)
        await _close(real)
    else:
        bench.skipped.append("session load, RedisStore on real Redis: "
                             "skipped: no AUTHDEMO_REDIS_URL")


async def _asgi_rows(bench: Bench, url: str | None) -> None:
    C.log("whole requests through the ASGI app (httpx.ASGITransport)")
    await bench_asgi(bench, None, "redis", "fakeredis")
    await bench_asgi(bench, None, "memory", "MemoryStore")
    if url:
        await bench_asgi(bench, url, "redis", "real Redis")
    else:
        bench.skipped.append("whole requests, real Redis: skipped: no AUTHDEMO_REDIS_URL")


def run_loop(coroutine: Any) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return asyncio.run(coroutine)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds (~10 s)")
    parser.add_argument("--rounds", type=int, help="timed rounds per side (default 15; quick 5)")
    parser.add_argument("--round-ms", type=float, help="length of one round per side, ms "
                        "(default 40; quick 15)")
    parser.add_argument("--warmup-ms", type=float, help="warm-up per side, ms (default 100; quick 40)")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="wall: time.perf_counter_ns (default); cpu: time.process_time_ns, "
                        "this process's CPU time (all its threads), steadier on a busy machine "
                        "but blind to time spent waiting for a real Redis")
    parser.add_argument("--only", action="append", choices=GROUPS,
                        help="run only this group of rows (repeatable; default all)")
    parser.add_argument("--redis-url", default=os.environ.get(C.REDIS_URL_ENV) or None,
                        help=f"a real Redis for the extra rows (default: ${C.REDIS_URL_ENV})")
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (5 if args.quick else 15)
    args.round_ms = args.round_ms or (15 if args.quick else 40)
    args.warmup_ms = args.warmup_ms or (40 if args.quick else 100)

    loop_name = "uvloop" if _has("uvloop") else "asyncio"
    started = time.monotonic()
    bench = run_loop(main_async(args))
    print(f"\n## In-process cost per request: authdemo vs the bare primitive\n")
    clock_name = "CPU time" if args.clock == "cpu" else "wall clock"
    print(f"{C.machine_note()}; event loop: {loop_name}; {clock_name}; {args.rounds} alternating rounds of "
          f"~{args.round_ms:.0f} ms per side; times in µs per call, median ± IQR; overhead = "
          f"median of per-round ratios - 1; goal: overhead ≤ {GOAL:.0%}.\n")
    print(C.table(["operation", "primitive", "primitive µs", "authdemo µs", "overhead",
                   f"goal ≤{GOAL:.0%}"], [r.cells() for r in bench.rows]))
    if bench.skipped:
        print()
    for note in bench.skipped:
        print(f"- {note}")
    print(f"\n(in-process benchmark took {time.monotonic() - started:.0f} s)")
    return 0


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
