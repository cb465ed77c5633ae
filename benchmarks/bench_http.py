#!/usr/bin/env python3
"""HTTP throughput and latency of the hardened app on real uvicorn servers, side by side with
the seed's Express server in the same run (issue 4). Prints figures; it is not a timed test.

    .venv/bin/python benchmarks/bench_http.py              # ~2 min
    .venv/bin/python benchmarks/bench_http.py --quick      # ~35 s
    .venv/bin/python benchmarks/bench_http.py --redis-url redis://127.0.0.1:6379/0

What runs (all on 127.0.0.1, every server and redis-server pinned to CPU 0 with taskset,
wrk pinned to CPU 1, as in shared/seed-express/README.md):

- authdemo, `python -m authdemo serve` (uvicorn with uvloop and httptools), twice: with
  AUTHDEMO_SESSION_STORE=memory and with the Redis store; both use the real Redis for the
  JWT denylist and refresh families (AUTHDEMO_REDIS_URL);
- a bare FastAPI app on the same uvicorn stack (this script's `--serve-bare` mode): the
  framework's ceiling, and with --bare-primitives the same primitives without authdemo;
- the seed's Express server (shared/seed-express, copied and `npm install`ed once into
  benchmarks/.seed-express-cache/), MemoryStore and `STORE=redis`, when node and npm exist;
- a redis-server on a free port, started here unless --redis-url / AUTHDEMO_REDIS_URL is given.

Each endpoint is loaded with `wrk -t1 -c32 -d5s --latency` (quick: -d1s) after a warm-up,
in 3 rounds whose order alternates (forward, backward, forward), authdemo next to its Express
peer. The table gives the median req/s over rounds with the min-max, the median of the
per-round authdemo/Express ratios, wrk's p50/p99 latency, and the server's (and Redis's) CPU
time per request from /proc. Goal (issue 4): every hardened endpoint >= Express.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse, urlunparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

from fastapi import Request  # noqa: E402  (module level: the bare routes' annotations need it)

SEED_EXPRESS = C.ROOT.parent / "shared" / "seed-express"
EXPRESS_CACHE = C.BENCH_DIR / ".seed-express-cache"
SERVER_CPU, WRK_CPU = 0, 1


# --- the bare FastAPI baseline, run by this same script in a child process ----------------------
def serve_bare(port: int) -> None:
    import json
    from urllib.parse import unquote

    import jwt
    import uvicorn
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    from authdemo.app import NO_TELEMETRY
    from authdemo.redis_client import connect_redis

    app = FastAPI(telemetry=NO_TELEMETRY)  # the same framework settings as authdemo's app
    redis = connect_redis(os.environ.get(C.REDIS_URL_ENV) or None)
    key = C.JWT_SECRET.encode()

    @app.get("/hello")
    async def hello() -> dict:
        return {"hello": "world"}

    @app.get("/jwt/me")
    async def jwt_me(request: Request):  # jwt.decode + one MGET of two keys, nothing else
        claims = jwt.decode(request.headers["authorization"][7:], key, algorithms=["HS256"],
                            audience="authdemo-api")
        await redis.mget("denylist:" + claims["jti"], "refresh:revoked:" + claims["fam"])
        return {"username": claims["sub"]}

    @app.get("/session/me")
    async def session_me(request: Request):  # one GET of authdemo's record, no signature check
        sid = unquote(request.cookies.get("authdemo.sid", ""))[2:].rpartition(".")[0]
        raw = await redis.get("sess:" + sid)
        if raw is None:
            return JSONResponse({"error": "login_required"}, status_code=401)
        return json.loads(raw)["user"]

    uvicorn.run(app, host="127.0.0.1", port=port, loop="uvloop", http="httptools",
                log_level="warning", access_log=False, lifespan="off")


# --- wrk -----------------------------------------------------------------------------------------
@dataclass
class WrkResult:
    rps: float
    requests: int
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    server_cpu_us: float  # per request
    redis_cpu_us: float   # per request (NaN when no local redis-server pid)


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _latency_ms(text: str, pct: str) -> float:
    m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    return float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")


def run_wrk(url: str, headers: dict[str, str], seconds: float, connections: int,
            server_pid: int, redis_pid: int | None) -> WrkResult:
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    cpu0 = C.cpu_seconds(server_pid)
    rcpu0 = C.cpu_seconds(redis_pid) if redis_pid else 0.0
    done = subprocess.run(C.pinned(WRK_CPU, argv + [url]), capture_output=True, text=True,
                          timeout=seconds + 30)
    cpu = C.cpu_seconds(server_pid) - cpu0
    rcpu = (C.cpu_seconds(redis_pid) - rcpu0) if redis_pid else float("nan")
    out = done.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    if done.returncode != 0 or rps is None or total is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {out[-400:]} {done.stderr[-400:]}")
    n = int(total.group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return WrkResult(
        rps=float(rps.group(1)), requests=n, p50_ms=_latency_ms(out, "50"),
        p99_ms=_latency_ms(out, "99"), non_2xx=int(non2xx.group(1)) if non2xx else 0,
        socket_errors=sum(map(int, errs.groups())) if errs else 0,
        server_cpu_us=cpu / n * 1e6 if n else float("nan"),
        redis_cpu_us=rcpu / n * 1e6 if n else float("nan"))


# --- servers --------------------------------------------------------------------------------------
@dataclass
class Target:
    key: str            # row key: authdemo and Express targets of one row share it
    side: str           # "authdemo", "express" or "bare"
    label: str
    url: str
    headers: dict[str, str]
    server: C.Child
    uses_redis: bool
    results: list[WrkResult] = field(default_factory=list)


def _http(method: str, url: str, **kwargs):
    import httpx

    return C.bounded(lambda: httpx.request(method, url, timeout=5, **kwargs), f"{method} {url}", 15)


def _cookie_header(response, name: str) -> str:
    for header in response.headers.get_list("set-cookie"):
        pair = header.split(";", 1)[0]
        if pair.startswith(name + "="):
            return pair
    raise RuntimeError(f"no {name} cookie in {response.status_code} {response.text[:200]}")


def authdemo_server(name: str, store: str, redis_url: str | None, log_dir: Path,
                    checkout: Path = C.ROOT) -> tuple[C.Child, int]:
    """`python -m authdemo serve` run from `checkout` (`-m` imports the package found there)."""
    port = C.free_port()
    env = {**os.environ, "AUTHDEMO_JWT_SECRET": C.JWT_SECRET,
           "AUTHDEMO_SESSION_SECRETS": C.SESSION_SECRET, "AUTHDEMO_SESSION_STORE": store,
           "PYTHONUNBUFFERED": "1"}
    env.pop(C.REDIS_URL_ENV, None)
    if redis_url:
        env[C.REDIS_URL_ENV] = redis_url
    child = C.Child(name, C.pinned(SERVER_CPU, [sys.executable, "-m", "authdemo", "serve",
                                                "--port", str(port)]), env=env, cwd=checkout,
                    log_dir=log_dir)
    return child, port


def prepare_express(log_dir: Path) -> tuple[Path | None, str]:
    """The seed's Express server copied into the cache dir, dependencies installed once."""
    if not (shutil.which("node") and shutil.which("npm")):
        return None, "skipped: node and npm not found"
    if not (SEED_EXPRESS / "server.js").exists():
        return None, f"skipped: {SEED_EXPRESS} not found"
    EXPRESS_CACHE.mkdir(exist_ok=True)
    package = (SEED_EXPRESS / "package.json").read_bytes()
    stamp = EXPRESS_CACHE / ".installed-package.json"
    shutil.copy2(SEED_EXPRESS / "server.js", EXPRESS_CACHE / "server.js")
    if not (stamp.exists() and stamp.read_bytes() == package
            and (EXPRESS_CACHE / "node_modules").is_dir()):
        (EXPRESS_CACHE / "package.json").write_bytes(package)
        C.log("npm install for the seed's Express server (first run only)...")
        try:
            done = subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=EXPRESS_CACHE,
                                  capture_output=True, text=True, timeout=300)
        except subprocess.TimeoutExpired:
            return None, "skipped: npm install timed out"
        if done.returncode != 0:
            return None, f"skipped: npm install failed: {done.stderr[-300:]}"
        stamp.write_bytes(package)
    return EXPRESS_CACHE, "seed-express " + subprocess.run(
        ["node", "--version"], capture_output=True, text=True, timeout=10).stdout.strip()


def express_server(name: str, directory: Path, redis_url: str | None, log_dir: Path
                   ) -> tuple[C.Child, int]:
    port = C.free_port()
    env = {**os.environ, "PORT": str(port)}
    if redis_url:
        env.update(STORE="redis", REDIS_URL=redis_url)
    child = C.Child(name, C.pinned(SERVER_CPU, ["node", "server.js"]), env=env, cwd=directory,
                    log_dir=log_dir)
    return child, port


def redis_db(url: str, db: int) -> str:
    parts = urlparse(url)
    return urlunparse(parts._replace(path=f"/{db}"))


def loaded_modules(pid: int) -> str:
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return "unknown"
    return ", ".join(m for m in ("uvloop", "httptools") if m in maps) or "neither"


# --- the run ----------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> int:
    if shutil.which("wrk") is None:
        print("bench_http: wrk not found (Debian: apt-get install wrk); nothing measured")
        return 1
    started = time.monotonic()
    notes: list[str] = []
    children: list[C.Child] = []
    log_dir = Path(tempfile.mkdtemp(prefix="authdemo-bench-http-"))
    with contextlib.ExitStack() as stack:
        redis_url, redis_pid = args.redis_url, None
        if args.no_redis:
            redis_url = None
            notes.append("Redis: none (--no-redis)")
        elif redis_url:
            redis_pid = C.redis_pid_for(redis_url)
            notes.append(f"Redis: {redis_url}, given with --redis-url / ${C.REDIS_URL_ENV} (run_all.py "
                         "starts one, pinned to CPU 0); its CPU is counted when it runs here")
        else:
            redis_url, redis_child, note = stack.enter_context(C.redis_server(SERVER_CPU, log_dir))
            notes.append(f"Redis: {note}" + (", pinned to CPU 0" if redis_url else ""))
            redis_pid = redis_child.pid if redis_child else None
        if redis_url is None:
            notes.append("Redis rows skipped; the JWT denylist runs on in-process fakeredis")
        stack.callback(lambda: [c.stop() for c in reversed(children)])  # before redis stops

        targets: list[Target] = []
        pending: list[tuple[str, C.Child, int]] = []

        sides = [("authdemo", C.ROOT)] + ([("variant", args.variant)] if args.variant else [])
        servers: dict[str, tuple[C.Child, int, C.Child | None, int]] = {}
        for side, checkout in sides:
            mem, mem_port = authdemo_server(f"{side}-memory", "memory", redis_url, log_dir, checkout)
            children.append(mem)
            pending.append((f"{side}-memory", mem, mem_port))
            red, red_port = None, 0
            if redis_url:
                red, red_port = authdemo_server(f"{side}-redis", "redis", redis_url, log_dir,
                                                checkout)
                children.append(red)
                pending.append((f"{side}-redis", red, red_port))
            servers[side] = (mem, mem_port, red, red_port)
        a_mem, a_mem_port, a_red, a_red_port = servers["authdemo"]
        bare_port = C.free_port()
        bare_env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        bare_env.pop(C.REDIS_URL_ENV, None)
        if redis_url:
            bare_env[C.REDIS_URL_ENV] = redis_url
        bare = C.Child("bare-fastapi", C.pinned(SERVER_CPU, [
            sys.executable, str(Path(__file__).resolve()), "--serve-bare", str(bare_port)]),
            env=bare_env, cwd=C.ROOT, log_dir=log_dir)
        children.append(bare)
        pending.append(("bare-fastapi", bare, bare_port))

        express_dir = None
        if args.no_express:
            notes.append("Express: skipped (--no-express)")
        else:
            express_dir, note = prepare_express(log_dir)
            notes.append(f"Express: {note}")
        e_mem = e_red = None
        if express_dir is not None:
            e_mem, e_mem_port = express_server("express-memory", express_dir, None, log_dir)
            children.append(e_mem)
            pending.append(("express-memory", e_mem, e_mem_port))
            if redis_url:
                e_red, e_red_port = express_server("express-redis", express_dir,
                                                   redis_db(redis_url, 1), log_dir)
                children.append(e_red)
                pending.append(("express-redis", e_red, e_red_port))

        for name, child, port in pending:
            try:
                C.wait_for_port(port, 30, child.proc)
            except (RuntimeError, TimeoutError) as exc:
                raise RuntimeError(f"{name} did not start: {exc}\n{child.log_tail()}") from None

        creds = {"username": C.DEMO_USER, "password": C.DEMO_PASSWORD}
        jwt_label = "GET /jwt/me (denylist in " + ("Redis)" if redis_url else "fakeredis)")
        bearer: dict[str, str] = {}
        redis_cookie = None
        for side, (mem, mem_port, red, red_port) in servers.items():
            base = f"http://127.0.0.1:{mem_port}"
            token = _http("POST", base + "/jwt/login", json=creds).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            bearer = bearer or headers
            targets.append(Target("jwt", side, jwt_label, base + "/jwt/me", headers, mem,
                                  bool(redis_url)))
            cookie = _cookie_header(_http("POST", base + "/session/login", json=creds),
                                    "authdemo.sid")
            targets.append(Target("session-memory", side, "GET /session/me, memory store",
                                  base + "/session/me", {"Cookie": cookie}, mem, False))
            if red is not None:
                rbase = f"http://127.0.0.1:{red_port}"
                cookie = _cookie_header(_http("POST", rbase + "/session/login", json=creds),
                                        "authdemo.sid")
                redis_cookie = redis_cookie or cookie
                targets.append(Target("session-redis", side, "GET /session/me, Redis store",
                                      rbase + "/session/me", {"Cookie": cookie}, red, True))
        if e_mem is not None:
            ebase = f"http://127.0.0.1:{e_mem_port}"
            etoken = _http("POST", ebase + "/jwt/login", json={"username": C.DEMO_USER}).json()["token"]
            targets.append(Target("jwt", "express", "GET /jwt/protected", ebase + "/jwt/protected",
                                  {"Authorization": etoken}, e_mem, False))
            ecookie = _cookie_header(_http("POST", ebase + "/session/login",
                                           json={"username": C.DEMO_USER}), "connect.sid")
            targets.append(Target("session-memory", "express", "GET /session/protected, MemoryStore",
                                  ebase + "/session/protected", {"Cookie": ecookie}, e_mem, False))
        if e_red is not None:
            rbase = f"http://127.0.0.1:{e_red_port}"
            ecookie = _cookie_header(_http("POST", rbase + "/session/login",
                                           json={"username": C.DEMO_USER}), "connect.sid")
            targets.append(Target("session-redis", "express", "GET /session/protected, Redis store",
                                  rbase + "/session/protected", {"Cookie": ecookie}, e_red, True))
        bbase = f"http://127.0.0.1:{bare_port}"
        targets.append(Target("bare-hello", "bare", "bare FastAPI GET /hello", bbase + "/hello",
                              {}, bare, False))
        if args.bare_primitives and redis_url:
            targets.append(Target("bare-jwt", "bare", "bare FastAPI: jwt.decode + MGET of 2 "
                                  "keys (Redis)", bbase + "/jwt/me", bearer, bare, True))
            targets.append(Target("bare-session", "bare", "bare FastAPI: Redis GET + json.loads",
                                  bbase + "/session/me", {"Cookie": redis_cookie}, bare, True))

        for t in targets:  # every target must answer 200 before it is loaded
            answer = _http("GET", t.url, headers=t.headers)
            if answer.status_code != 200:
                raise RuntimeError(f"{t.label}: {answer.status_code} {answer.text[:200]}")

        # Warm-up: every endpoint; in --quick mode only the first endpoint of each server.
        warm, seen = [], set()
        for t in targets:
            if not (args.quick and t.server.pid in seen):
                warm.append(t)
            seen.add(t.server.pid)
        C.log(f"warm-up ({len(warm)} endpoints, {args.warmup:g} s each)")
        for t in warm:
            run_wrk(t.url, t.headers, args.warmup, args.connections, t.server.pid, None)
        python_servers = {c.name: loaded_modules(c.pid) for c in children
                          if c.name.startswith(("authdemo", "variant", "bare"))}

        rank = {"authdemo": 0, "variant": 1, "express": 2, "bare": 3}
        keys = ["jwt", "session-memory", "session-redis"]
        targets.sort(key=lambda t: (keys.index(t.key) if t.key in keys else 9, rank[t.side]))
        for r in range(args.rounds):
            order = targets if r % 2 == 0 else list(reversed(targets))
            C.log(f"round {r + 1}/{args.rounds}")
            for t in order:
                res = run_wrk(t.url, t.headers, args.duration, args.connections, t.server.pid,
                              redis_pid if t.uses_redis else None)
                t.results.append(res)
                C.log(f"  {t.side:8} {t.label:45} {res.rps:9,.0f} req/s  p99 {res.p99_ms:.1f} ms"
                      + (f"  NON-2XX {res.non_2xx}" if res.non_2xx else ""))

        report(targets, args, notes, python_servers, time.monotonic() - started)
    shutil.rmtree(log_dir, ignore_errors=True)
    return 0


def _med(values: list[float]) -> float:
    values = [v for v in values if v == v]
    return C.median(values) if values else float("nan")


def _rps_cell(t: Target | None) -> str:
    if t is None:
        return "-"
    rps = [x.rps for x in t.results]
    return f"{C.fmt_num(C.median(rps))} ({C.fmt_num(min(rps))}-{C.fmt_num(max(rps))})"


def _lat_cell(t: Target | None) -> str:
    if t is None:
        return "-"
    return (f"{C.fmt_num(_med([x.p50_ms for x in t.results]))} / "
            f"{C.fmt_num(_med([x.p99_ms for x in t.results]))}")


def _cpu_cell(t: Target | None) -> str:
    if t is None:
        return "-"
    text = f"{C.fmt_num(_med([x.server_cpu_us for x in t.results]))}"
    if t.uses_redis:
        text += f" + {C.fmt_num(_med([x.redis_cpu_us for x in t.results]))} redis"
    return text


def report(targets: list[Target], args: argparse.Namespace, notes: list[str],
           python_servers: dict[str, str], elapsed: float) -> None:
    print("\n## HTTP: authdemo (hardened) vs the seed's Express server\n")
    print(f"{C.machine_note()}; wrk -t1 -c{args.connections} -d{args.duration:g}s --latency, "
          f"{args.rounds} alternating rounds, medians (min-max over rounds); servers and "
          f"redis-server on CPU {SERVER_CPU}, wrk on CPU {WRK_CPU}; ratio = median of per-round "
          f"authdemo/Express ratios; CPU = server process CPU time per request (+ redis-server's).\n")
    for side in ("authdemo", "variant"):
        if any(t.side == side for t in targets):
            if side == "variant":
                print(f"\nVariant: the authdemo package in {args.variant}, same run:\n")
            print(_side_table(targets, side))
    _bare_and_notes(targets, notes, python_servers, elapsed)


def _side_table(targets: list[Target], side: str) -> str:
    rows = []
    for key in ("jwt", "session-memory", "session-redis"):
        a = next((t for t in targets if t.key == key and t.side == side), None)
        e = next((t for t in targets if t.key == key and t.side == "express"), None)
        if a is None:
            continue
        if e is not None:
            ratios = [x.rps / y.rps for x, y in zip(a.results, e.results)]
            ratio = C.median(ratios)
            ratio_cell = f"{ratio:.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
            goal = "yes" if ratio >= 1.0 else "NO"
        else:
            ratio_cell, goal = "-", "no Express peer"
        rows.append([a.label, _rps_cell(a), e.label if e else "-", _rps_cell(e), ratio_cell, goal,
                     _lat_cell(a), _lat_cell(e), _cpu_cell(a), _cpu_cell(e)])
    return C.table([f"{side} endpoint", f"{side} req/s", "Express endpoint", "Express req/s",
                    "ratio", "goal ≥1", f"{side} p50/p99 ms", "Express p50/p99 ms",
                    f"{side} CPU µs/req", "Express CPU µs/req"], rows)


def _bare_and_notes(targets: list[Target], notes: list[str], python_servers: dict[str, str],
                    elapsed: float) -> None:
    bare = [t for t in targets if t.side == "bare"]
    if bare:
        print("\nReference, same uvicorn stack without authdemo:\n")
        print(C.table(["bare FastAPI endpoint", "req/s", "p50/p99 ms", "CPU µs/req"],
                      [[t.label, _rps_cell(t), _lat_cell(t), _cpu_cell(t)] for t in bare]))
    bad = [(t.label, sum(x.non_2xx for x in t.results), sum(x.socket_errors for x in t.results))
           for t in targets]
    print()
    for label, non2xx, errors in bad:
        if non2xx or errors:
            print(f"- WARNING {label}: {non2xx} non-2xx answers, {errors} socket errors")
    for note in notes:
        print(f"- {note}")
    print("- uvicorn servers loaded: " + "; ".join(f"{k}: {v}" for k, v in python_servers.items()))
    print(f"\n(HTTP benchmark took {elapsed:.0f} s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 s per load, ~30 s in all")
    parser.add_argument("--duration", type=int, help="whole seconds per wrk run (default 5; quick 1)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--connections", type=int, default=32, help="wrk -c (default 32)")
    parser.add_argument("--warmup", type=int, default=1,
                        help="whole seconds of warm-up per endpoint (default 1)")
    parser.add_argument("--redis-url", default=os.environ.get(C.REDIS_URL_ENV) or None,
                        help=f"use this Redis (default ${C.REDIS_URL_ENV}; else start one)")
    parser.add_argument("--no-redis", action="store_true",
                        help="no real Redis: Redis rows skipped, the denylist on fakeredis")
    parser.add_argument("--no-express", action="store_true", help="skip the seed's Express server")
    parser.add_argument("--bare-primitives", action="store_true",
                        help="also load bare FastAPI routes doing only the primitives on Redis")
    parser.add_argument("--variant", type=Path, metavar="DIR",
                        help="also run the authdemo package found in DIR (a candidate change: "
                        "DIR/authdemo/...) in the same run, as a second table")
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return 0
    args.duration = args.duration or (1 if args.quick else 5)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
