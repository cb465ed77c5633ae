#!/usr/bin/env python3
"""CPU instructions per request, counted by valgrind: a noise-free yardstick for code changes.

    .venv/bin/python benchmarks/bench_instructions.py              # ~2-3 min on 2 cores
    .venv/bin/python benchmarks/bench_instructions.py --only session-memory,bare-depends
    AUTHDEMO_REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python benchmarks/bench_instructions.py

Timings on a shared 2-core machine move 10-20 % between runs, so a 5 % change is invisible
in `bench_http.py`. Instructions are not time (cache misses and system calls are not in
them), but on this stack over HTTP they track CPU time per request closely, and the same
code gives the same count, run after run. So: decide on a change here, confirm it there.

Method: each target runs in its own Python process under `valgrind --tool=callgrind`. The
process builds the app, logs in, warms up, then sends `--requests` requests straight into
the ASGI app (8 concurrent callers, no HTTP, no sockets except Redis). Callgrind counts only
inside that measured call (`--toggle-collect`), so start-up and login are left out. The
baselines are bare FastAPI apps on the same framework settings, one of them with the same
idioms as authdemo's routes (an `APIRouter` with a prefix, a `Depends` taking the `Request`,
a `-> dict` response model), so the table separates the framework's cost from ours.
Needs valgrind (Debian: `apt-get install valgrind`); without it the script says so.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

# At module level: with `from __future__ import annotations` FastAPI looks the routes'
# annotations (`Request`, ...) up in this module's globals.
from fastapi import APIRouter, Depends, FastAPI, Request  # noqa: E402

from bench_inprocess import cheap_users, http_scope, settings_for  # noqa: E402

TARGETS = {
    "bare-hello": "bare FastAPI: GET /hello, no dependency",
    "bare-depends": "bare FastAPI: APIRouter + Depends(Request) + -> dict",
    "jwt": "authdemo GET /jwt/me (denylist MGET)",
    "session-memory": "authdemo GET /session/me, MemoryStore",
    "session-redis": "authdemo GET /session/me, RedisStore",
}
MEASURED_FUNCTION = "functools_reduce"
"""The C function callgrind collects inside: the measured requests run in a `functools.reduce`
call, which nothing else in the process makes."""


# --- the child: one target, run under valgrind ----------------------------------------------
def bare_app(with_idioms: bool) -> tuple[FastAPI, str]:
    from authdemo.app import NO_TELEMETRY

    app = FastAPI(telemetry=NO_TELEMETRY)
    if not with_idioms:
        @app.get("/hello")
        async def hello() -> dict[str, str]:
            return {"hello": "world"}
        return app, "/hello"

    async def current_user(request: Request) -> dict[str, str]:
        return {"username": "alice", "host": request.headers.get("host", "")}

    router = APIRouter(prefix="/bare")

    @router.get("/me")
    async def me(user: dict[str, str] = Depends(current_user)) -> dict[str, str]:
        return user

    app.include_router(router)
    return app, "/bare/me"


async def authdemo_app(target: str, redis_url: str | None) -> tuple[Any, str, list]:
    """The hardened app, logged into: (app, path, request headers)."""
    import httpx

    from authdemo.app import create_app

    store = "memory" if target == "session-memory" else "redis"
    app = create_app(settings_for(redis_url, store), users=cheap_users())
    credentials = {"username": C.DEMO_USER, "password": C.DEMO_PASSWORD}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://bench") as client:
        if target == "jwt":
            login = await client.post("/jwt/login", json=credentials)
            token = login.json()["access_token"]
            return app, "/jwt/me", [(b"authorization", f"Bearer {token}".encode())]
        login = await client.post("/session/login", json=credentials)
        cookie = login.headers["set-cookie"].split(";")[0]
        return app, "/session/me", [(b"cookie", cookie.encode())]


def child(target: str, requests: int, redis_url: str | None) -> None:
    import logging
    logging.disable(logging.WARNING)  # "no secret given" and the like: not what we count
    loop = asyncio.new_event_loop()
    if target.startswith("bare"):
        (app, path), headers = bare_app(target == "bare-depends"), []
    else:
        app, path, headers = loop.run_until_complete(authdemo_app(target, redis_url))
    scope = http_scope([(b"host", b"127.0.0.1:8000"), *headers], path)
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def caller(n: int) -> None:
        for _ in range(n):
            await app(dict(scope), receive, send)

    async def concurrently(n: int) -> None:
        await asyncio.gather(*(caller(n // 8) for _ in range(8)))

    loop.run_until_complete(concurrently(80))  # warm-up: caches, first-call set-up
    functools.reduce(lambda _a, _b: loop.run_until_complete(concurrently(requests)), [0, 1])
    if set(statuses) != {200}:
        sys.exit(f"{target}: expected only 200 answers, got {sorted(set(statuses))}")


# --- the parent: run every target under valgrind, print the table ---------------------------
def count(target: str, requests: int, redis_url: str | None) -> int | str:
    argv = ["valgrind", "--tool=callgrind", "--collect-atstart=no",
            f"--toggle-collect={MEASURED_FUNCTION}", "--callgrind-out-file=/dev/null",
            sys.executable, __file__, "--child", target, "--requests", str(requests)]
    if redis_url:
        argv += ["--redis-url", redis_url]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=900, cwd=C.ROOT)
    collected = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or collected is None:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"failed: {last}"
    return int(collected.group(1)) // requests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="measured requests (default 400)")
    parser.add_argument("--only", help="comma-separated targets: " + ", ".join(TARGETS))
    parser.add_argument("--redis-url", default=os.environ.get(C.REDIS_URL_ENV) or None,
                        help=f"real Redis for the authdemo targets (default ${C.REDIS_URL_ENV}; "
                        "else in-process fakeredis)")
    parser.add_argument("--child", choices=TARGETS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.requests, args.redis_url)
        return 0
    if shutil.which("valgrind") is None:
        print("bench_instructions: valgrind not found (Debian: apt-get install valgrind); "
              "nothing measured")
        return 1
    targets = args.only.split(",") if args.only else list(TARGETS)
    unknown = [t for t in targets if t not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s): {', '.join(unknown)}")
    C.log(f"{len(targets)} targets under valgrind, two at a time (~75 s each)...")
    with ThreadPoolExecutor(max_workers=max(1, min(2, os.cpu_count() or 1))) as pool:
        counts = dict(zip(targets, pool.map(
            lambda t: count(t, args.requests, args.redis_url), targets)))
    base = counts.get("bare-depends")
    rows = []
    for target in targets:
        n = counts[target]
        if isinstance(n, str):
            rows.append([TARGETS[target], n, "-"])
            continue
        relative = f"{n / base:.2f}×" if isinstance(base, int) else "-"
        rows.append([TARGETS[target], f"{n / 1000:,.0f} k", relative])
    store = (f"Redis: {args.redis_url}" if args.redis_url
             else "Redis: in-process fakeredis (set AUTHDEMO_REDIS_URL for a real one)")
    print(f"\n## Instructions per request (callgrind, {args.requests} requests each, "
          f"direct ASGI, 8 concurrent callers)\n\n{C.machine_note()}; {store}\n")
    print(C.table(["target", "instructions / request", "vs bare FastAPI with the same idioms"],
                  rows))
    return 0 if all(isinstance(n, int) for n in counts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
