"""Real processes for the reliability tests: a private Redis and several uvicorn servers.

    with private_redis(tmp_path) as redis_server:             # redis-server on a free port
        with app_servers(redis_server.url, count=2, logs=tmp_path) as servers:
            httpx.get(servers.urls[0] + "/")                   # real HTTP, real processes
            redis_server.stop()                                # a Redis outage...
            redis_server.start()                               # ...and its end, same port

Both are context managers that always kill what they started, and every wait is
bounded. The pytest fixtures at the bottom wrap them; test modules import the ones
they use. `Workload` is the traffic both `test_concurrency.py` and
`benchmarks/soak.py` drive: virtual users who log in, read, refresh and log out at
random, and write down every answer that contradicts what they know (an
*inconsistency*: another user's name, a request authenticated after its logout
finished, a live session that vanished, a 5xx).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from argon2 import PasswordHasher
from fastapi import Depends, Request

TESTS_DIR = Path(__file__).resolve().parent
ROOT = TESTS_DIR.parent
REDIS_SERVER = shutil.which("redis-server")
NEEDS_REDIS_SERVER = pytest.mark.skipif(
    REDIS_SERVER is None, reason="needs the redis-server binary on PATH (.ci/run installs it)")

JWT_SECRET = "reliability-jwt-secret-0123456789abcdef-0123"
SESSION_SECRET = "reliability-session-secret-0123456789abcdef"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
"""The same cheap Argon2 as tests/conftest.py, so load tests measure auth, not hashing."""

LOAD_USERS = {f"user{i:02d}": f"user{i:02d}-load-password" for i in range(48)}
"""Extra accounts, one per virtual user, so an answer for the wrong user is always visible."""

SESSION_COOKIE = "authdemo.sid"


# --- small tools ----------------------------------------------------------------------------
def free_port() -> int:
    """A loopback port nobody listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition: Callable[[], bool], timeout_seconds: float,
               interval_seconds: float = 0.05) -> bool:
    """Poll `condition` until it holds or the time is up; returns whether it held."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval_seconds)
    return condition()


def _stop_process(process: subprocess.Popen, grace_seconds: float = 5) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(grace_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


# --- a private redis-server ------------------------------------------------------------------
class RedisServer:
    """One redis-server process on a fixed loopback port, which survives stop/start.

    Nothing is saved on its own (`--save ''`); `stop(save=True)` writes a snapshot that the
    next `start()` loads, like a clean restart. `kill()` is a crash: the data is lost.
    `DEBUG SLEEP` is enabled for local clients, to make Redis slow on demand.
    """

    def __init__(self, directory: Path, port: int | None = None) -> None:
        if REDIS_SERVER is None:
            raise RuntimeError("redis-server is not installed")
        self.directory = directory
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self, timeout_seconds: float = 5) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=timeout_seconds,
                           socket_connect_timeout=timeout_seconds)

    def ping(self) -> bool:
        try:
            with self.client(timeout_seconds=0.5) as c:
                return bool(c.ping())
        except redis.RedisError:
            return False

    def start(self, timeout_seconds: float = 10) -> None:
        assert self.process is None or self.process.poll() is not None, "already running"
        log = open(self.directory / "redis.log", "ab")
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory), "--dbfilename", "dump.rdb",
             "--enable-debug-command", "local", "--protected-mode", "yes"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        if not wait_until(self.ping, timeout_seconds):
            self.kill()
            raise RuntimeError(f"redis-server did not answer on port {self.port}; see "
                               f"{self.directory / 'redis.log'}")

    def stop(self, *, save: bool = False) -> None:
        """A clean shutdown; with `save`, the data comes back on the next `start()`."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(redis.RedisError):
            with self.client() as c:
                c.shutdown(save=save, nosave=not save)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """A crash: SIGKILL, nothing saved."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)

    def session_ids(self) -> set[str]:
        with self.client() as c:
            return {key.decode()[len("sess:"):] for key in c.scan_iter(match="sess:*", count=500)}


@contextlib.contextmanager
def private_redis(directory: Path) -> Iterator[RedisServer]:
    server = RedisServer(directory)
    server.start()
    try:
        yield server
    finally:
        server.kill()


# --- real app servers -----------------------------------------------------------------------
def fast_hardened_app():
    """uvicorn factory (`reliability_helpers:fast_hardened_app`): the hardened app exactly as
    `python -m authdemo serve` builds it (`Settings.from_env()`), with cheap password hashing,
    one account per virtual user, and one test-only route, `POST /session/slow-note`, that
    changes the session after a delay (the slow request of the resurrection race)."""
    from authdemo import Settings, create_app
    from authdemo.app.session_routes import logged_in_user
    from authdemo.users import DEMO_PASSWORDS, User, UserDirectory

    passwords = {name: ("user", password) for name, password in LOAD_USERS.items()}
    passwords.update(DEMO_PASSWORDS)
    users = UserDirectory({name: User(name, role, FAST_HASHER.hash(password))
                           for name, (role, password) in passwords.items()}, FAST_HASHER)
    app = create_app(Settings.from_env(), users=users)

    @app.post("/session/slow-note", include_in_schema=False)
    async def slow_note(request: Request, delay_seconds: float = 1.0,
                        user: dict[str, Any] = Depends(logged_in_user),  # noqa: B008
                        ) -> dict[str, Any]:
        loaded_at = time.time()  # the session was loaded and checked before this line
        await asyncio.sleep(min(delay_seconds, 5.0))
        request.session["note"] = f"written late by {user['username']}"
        return {"username": user["username"], "loaded_at": loaded_at}

    return app


def server_environment(redis_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHDEMO_")}
    env.update(AUTHDEMO_JWT_SECRET=JWT_SECRET, AUTHDEMO_SESSION_SECRETS=SESSION_SECRET,
               PYTHONUNBUFFERED="1")
    if redis_url:
        env["AUTHDEMO_REDIS_URL"] = redis_url
    return env


@dataclass
class AppServers:
    urls: list[str]
    processes: list[subprocess.Popen]
    logs: list[Path]

    def log_text(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}"
                         for p in self.logs if p.exists())


@contextlib.contextmanager
def app_servers(redis_url: str, count: int, logs: Path, *, cli: bool = False,
                ready_timeout_seconds: float = 60) -> Iterator[AppServers]:
    """`count` uvicorn processes on free loopback ports, all on one Redis, killed on exit.

    `cli=True` runs the shipped entry point, `python -m authdemo serve` (real Argon2
    costs); otherwise `uvicorn reliability_helpers:fast_hardened_app --factory`.
    """
    started = AppServers([], [], [])
    try:
        for index in range(count):
            port = free_port()
            if cli:
                command = [sys.executable, "-m", "authdemo", "serve", "--port", str(port)]
            else:
                command = [sys.executable, "-m", "uvicorn", "--app-dir", str(TESTS_DIR),
                           "reliability_helpers:fast_hardened_app", "--factory",
                           "--host", "127.0.0.1", "--port", str(port), "--lifespan", "off",
                           "--log-level", "warning", "--no-access-log"]
            log_path = logs / f"server-{index}-{port}.log"
            with open(log_path, "wb") as log:
                started.processes.append(subprocess.Popen(
                    command, cwd=ROOT, env=server_environment(redis_url), stdout=log,
                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
            started.urls.append(f"http://127.0.0.1:{port}")
            started.logs.append(log_path)
        for url, process in zip(started.urls, started.processes):
            if not wait_until(lambda: process.poll() is not None or _answers(url),
                              ready_timeout_seconds, 0.1) or process.poll() is not None:
                raise RuntimeError(f"app server {url} did not start:\n{started.log_text()}")
        yield started
    finally:
        for process in started.processes:
            _stop_process(process)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url + "/", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


# --- pytest fixtures (import the ones a module uses) ----------------------------------------
# Starting processes costs seconds, so one Redis and one pair of servers serve a whole module
# (imported fixtures are per module); `redis_server` restarts it if needed and empties it.
@pytest.fixture(scope="module")
def shared_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    if REDIS_SERVER is None:
        pytest.skip("needs the redis-server binary on PATH (.ci/run installs it)")
    with private_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def redis_server(shared_redis: RedisServer) -> RedisServer:
    if not shared_redis.ping():  # a test that stopped it and failed before restarting it
        shared_redis.start()
    with shared_redis.client() as c:
        c.flushall()
    return shared_redis


@pytest.fixture(scope="module")
def two_servers(shared_redis: RedisServer,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServers]:
    with app_servers(shared_redis.url, 2, tmp_path_factory.mktemp("servers")) as servers:
        yield servers


# --- the workload ---------------------------------------------------------------------------
def is_error_shape(response: Any) -> bool:
    """Every error the app sends: JSON with exactly the keys `error` and `message`.

    `response` is an httpx or a schemathesis response (whose headers map to lists)."""
    try:
        body = response.json()
    except ValueError:
        return False
    content_type = response.headers.get("content-type") or ""
    if isinstance(content_type, list):
        content_type = content_type[0] if content_type else ""
    return (content_type.startswith("application/json")
            and isinstance(body, dict) and set(body) == {"error", "message"})


def session_cookie_from(response: httpx.Response) -> str | None:
    """The `authdemo.sid=<value>` pair a response sets, or None."""
    for header in response.headers.get_list("set-cookie"):
        pair = header.split(";", 1)[0]
        if pair.startswith(SESSION_COOKIE + "="):
            return pair
    return None


@dataclass
class Ledger:
    """What a workload saw. `inconsistencies` must stay empty."""

    requests: int = 0
    by_class: Counter = field(default_factory=Counter)
    """"2xx", "4xx 401 invalid_token", "5xx 503 store_unavailable", "transport ReadTimeout"..."""
    latencies_seconds: list[float] = field(default_factory=list)
    sessions_created: int = 0
    sessions_destroyed: int = 0
    jwt_logins: int = 0
    jwt_logouts: int = 0
    refreshes: int = 0
    abandoned: int = 0
    """Credentials whose fate a 503 left unknown (e.g. a logout cut short); never probed."""
    inconsistencies: list[str] = field(default_factory=list)
    outage: bool = False
    """While True, a 503 `store_unavailable` is the right answer (failing closed), not a bug."""

    @property
    def server_errors(self) -> int:
        return sum(n for key, n in self.by_class.items() if key.startswith("5xx"))

    @property
    def transport_errors(self) -> int:
        return sum(n for key, n in self.by_class.items() if key.startswith("transport"))

    def percentile_ms(self, fraction: float) -> float:
        if not self.latencies_seconds:
            return 0.0
        ordered = sorted(self.latencies_seconds)
        return 1000 * ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def wrong(self, what: str) -> None:
        if len(self.inconsistencies) < 1000:
            self.inconsistencies.append(what)


class VirtualUser:
    """One account's browser and API client at once: a session cookie and a JWT login.

    It remembers every credential it has ended (`dead_*`): after the logout answered, each
    of those must be refused, on every server, forever.
    """

    def __init__(self, username: str, password: str, urls: list[str], ledger: Ledger,
                 rng: random.Random, timeout_seconds: float = 10) -> None:
        self.username, self.password, self.urls = username, password, urls
        self.ledger, self.rng = ledger, rng
        # uvicorn closes a keep-alive connection idle for 5 s; dropping ours sooner avoids
        # sending a request on a connection the server is closing at that very moment
        self.http = httpx.AsyncClient(timeout=timeout_seconds,
                                      limits=httpx.Limits(keepalive_expiry=2.0))
        self.cookie: str | None = None
        self.csrf: str | None = None
        self.access_tokens: list[str] = []  # every access token of the live JWT login
        self.refresh_token: str | None = None
        self.spent_refresh: list[str] = []  # spent tokens of the *live* login (reuse = revoke)
        self.dead_cookies: list[str] = []
        self.dead_access: list[str] = []
        self.dead_refresh: list[str] = []

    async def aclose(self) -> None:
        await self.http.aclose()

    # --- one request, checked for shape ---
    async def call(self, method: str, path: str, *, url: str | None = None,
                   **kwargs: Any) -> httpx.Response | None:
        url = url or self.rng.choice(self.urls)
        self.http.cookies.clear()  # cookies travel only where this user puts them
        started = time.perf_counter()
        try:
            response = await self.http.request(method, url + path, **kwargs)
        except httpx.TransportError as exc:
            self.ledger.requests += 1
            self.ledger.by_class[f"transport {type(exc).__name__}"] += 1
            return None
        self.ledger.latencies_seconds.append(time.perf_counter() - started)
        self.ledger.requests += 1
        status = response.status_code
        if status < 400:
            self.ledger.by_class[f"{status // 100}xx"] += 1
            return response
        if not is_error_shape(response):
            self.ledger.wrong(f"{method} {path}: {status} without the JSON error shape: "
                              f"{response.text[:200]!r}")
            self.ledger.by_class[f"{status // 100}xx {status} (bad shape)"] += 1
            return response
        error = response.json()["error"]
        self.ledger.by_class[f"{status // 100}xx {status} {error}"] += 1
        if status >= 500 and not self.failed_closed(response):
            self.ledger.wrong(f"{method} {path}: {status} {response.text[:200]}")
        return response

    def failed_closed(self, response: httpx.Response) -> bool:
        """A 503 `store_unavailable` while Redis is known to be down: the right answer."""
        return (self.ledger.outage and response.status_code == 503
                and response.json().get("error") == "store_unavailable")

    def _cut_short(self, response: httpx.Response | None) -> bool:
        """Whether a state-changing call failed in a way that leaves its effect unknown."""
        return response is None or response.status_code >= 500

    def _session_headers(self, cookie: str | None = None, csrf: bool = False) -> dict[str, str]:
        headers = {"cookie": cookie or self.cookie or ""}
        if csrf and self.csrf:
            headers["x-csrf-token"] = self.csrf
        return headers

    def _expect_me(self, response: httpx.Response | None, what: str, *,
                   may_be_refused: bool = False) -> bool:
        """A `me` answer for a credential this user believes is live. True if it was refused."""
        if response is None:
            return False
        if response.status_code == 200:
            name = response.json().get("username")
            if name != self.username:
                self.ledger.wrong(f"{what} of {self.username} answered for {name}")
            return False
        if response.status_code == 401 and not may_be_refused:
            self.ledger.wrong(f"{what} of {self.username} was lost: 401 "
                              f"{response.json().get('message')}")
        return response.status_code == 401

    def _expect_refused(self, response: httpx.Response | None, what: str) -> None:
        if response is None or response.status_code == 401 or self.failed_closed(response):
            return
        if response.status_code < 500:  # (a 5xx was written down already)
            self.ledger.wrong(f"{what} of {self.username} after its logout: "
                              f"{response.status_code} {response.text[:120]}")

    # --- the session flow ---
    async def session_login(self) -> None:
        body = {"username": self.username, "password": self.password}
        response = await self.call("POST", "/session/login", json=body,
                                   headers=self._session_headers())
        if self._cut_short(response):
            self._abandon_session()  # regenerate may or may not have destroyed the old one
            return
        if response.status_code != 200:
            self.ledger.wrong(f"session login of {self.username}: {response.status_code}")
            return
        if response.json().get("username") != self.username:
            self.ledger.wrong(f"session login of {self.username} answered for another user")
        if self.cookie:  # login regenerates: the old id is destroyed in the store
            self.dead_cookies.append(self.cookie)
            self.ledger.sessions_destroyed += 1
        self.cookie, self.csrf = session_cookie_from(response), response.json()["csrf_token"]
        if self.cookie is None:
            self.ledger.wrong(f"session login of {self.username} set no cookie")
        else:
            self.ledger.sessions_created += 1

    async def session_me(self) -> None:
        if self.cookie:
            self._expect_me(await self.call("GET", "/session/me",
                                            headers=self._session_headers()), "session")

    async def session_logout(self, *, with_concurrent_reads: int = 0) -> None:
        """Log out; optionally with reads of the same session racing it on every server."""
        if not self.cookie:
            return
        logout = self.call("POST", "/session/logout", headers=self._session_headers(csrf=True))
        reads = [self.call("GET", "/session/me", url=self.urls[i % len(self.urls)],
                           headers=self._session_headers())
                 for i in range(with_concurrent_reads)]
        answers = await asyncio.gather(logout, *reads)
        for read in answers[1:]:  # racing reads may see the session or not, never someone else
            self._expect_me(read, "session", may_be_refused=True)
        if self._cut_short(answers[0]):
            self._abandon_session()
            return
        if answers[0].status_code != 200:
            self.ledger.wrong(f"session logout of {self.username}: {answers[0].status_code}")
            return
        self.dead_cookies.append(self.cookie)
        self.ledger.sessions_destroyed += 1
        self.cookie = self.csrf = None
        await self.probe_dead_session(self.dead_cookies[-1])

    def _abandon_session(self) -> None:
        if self.cookie:
            self.ledger.abandoned += 1
        self.cookie = self.csrf = None

    async def probe_dead_session(self, cookie: str | None = None) -> None:
        if cookie or self.dead_cookies:
            cookie = cookie or self.rng.choice(self.dead_cookies)
            self._expect_refused(await self.call("GET", "/session/me",
                                                 headers={"cookie": cookie}), "session")

    # --- the JWT flow ---
    async def jwt_login(self) -> None:
        if self.access_tokens:
            return await self.jwt_me()  # one JWT login at a time per virtual user
        body = {"username": self.username, "password": self.password}
        response = await self.call("POST", "/jwt/login", json=body)
        if self._cut_short(response):
            return
        if response.status_code != 200:
            self.ledger.wrong(f"jwt login of {self.username}: {response.status_code}")
            return
        tokens = response.json()
        self.access_tokens, self.refresh_token = [tokens["access_token"]], tokens["refresh_token"]
        self.ledger.jwt_logins += 1

    def _forget_jwt_login(self) -> None:
        self.access_tokens, self.refresh_token, self.spent_refresh = [], None, []

    async def jwt_me(self) -> None:
        if self.access_tokens:
            token = self.rng.choice(self.access_tokens)
            self._expect_me(await self.call("GET", "/jwt/me",
                                            headers={"authorization": f"Bearer {token}"}), "jwt")

    async def jwt_refresh(self) -> None:
        if not self.refresh_token:
            return
        response = await self.call("POST", "/jwt/refresh",
                                   json={"refresh_token": self.refresh_token})
        if self._cut_short(response):
            self._abandon_jwt()  # the token may have been spent: using it again would revoke
            return
        if response.status_code != 200:
            self.ledger.wrong(f"refresh of {self.username}: {response.status_code}")
            return
        self.spent_refresh.append(self.refresh_token)
        tokens = response.json()
        self.access_tokens.append(tokens["access_token"])
        self.refresh_token = tokens["refresh_token"]
        self.ledger.refreshes += 1

    async def jwt_logout(self) -> None:
        if not self.access_tokens:
            return
        token = self.rng.choice(self.access_tokens)
        response = await self.call("POST", "/jwt/logout",
                                   headers={"authorization": f"Bearer {token}"})
        if self._cut_short(response):
            self._abandon_jwt()  # maybe denylisted, maybe not
            return
        if response.status_code != 200:
            self.ledger.wrong(f"jwt logout of {self.username}: {response.status_code}")
            return
        self._bury_jwt_login()
        self.ledger.jwt_logouts += 1
        await self.probe_dead_jwt()

    def _abandon_jwt(self) -> None:
        if self.access_tokens:
            self.ledger.abandoned += 1
        self._forget_jwt_login()

    def _bury_jwt_login(self) -> None:
        self.dead_access += self.access_tokens
        self.dead_refresh += [t for t in [self.refresh_token, *self.spent_refresh] if t]
        self._forget_jwt_login()

    async def probe_dead_jwt(self) -> None:
        if self.dead_access:
            token = self.rng.choice(self.dead_access)
            self._expect_refused(await self.call("GET", "/jwt/me", headers={
                "authorization": f"Bearer {token}"}), "access token")
        if self.dead_refresh:
            token = self.rng.choice(self.dead_refresh)
            self._expect_refused(await self.call("POST", "/jwt/refresh", json={
                "refresh_token": token}), "refresh token")

    async def jwt_double_refresh(self) -> None:
        """The same refresh token sent twice at once to two servers: exactly one may win, and
        the reuse ends the whole login, winner's new tokens included."""
        if not self.refresh_token:
            return
        body = {"refresh_token": self.refresh_token}
        answers = await asyncio.gather(*(self.call("POST", "/jwt/refresh", url=url, json=body)
                                         for url in (self.urls * 2)[:2]))
        if any(self._cut_short(a) for a in answers):
            self._abandon_jwt()
            return
        statuses = sorted(a.status_code for a in answers)
        if statuses != [200, 401]:
            self.ledger.wrong(f"double refresh of {self.username}: {statuses}, want [200, 401]")
        winners = [a for a in answers if a.status_code == 200]
        self.access_tokens += [w.json()["access_token"] for w in winners]
        self.spent_refresh += [self.refresh_token] + [w.json()["refresh_token"] for w in winners]
        self.refresh_token = None
        self._bury_jwt_login()
        self.ledger.jwt_logouts += 1
        await self.probe_dead_jwt()

    # --- a random walk ---
    async def step(self) -> None:
        actions: list[tuple[Callable[[], Any], int]] = [
            (self.session_login, 3 if not self.cookie else 1),
            (self.session_me, 6),
            (self.session_logout, 2),
            (lambda: self.session_logout(with_concurrent_reads=3), 1),
            (self.probe_dead_session, 2),
            (self.jwt_login, 3 if not self.access_tokens else 1),
            (self.jwt_me, 6),
            (self.jwt_refresh, 3),
            (self.jwt_logout, 2),
            (self.jwt_double_refresh, 1),
            (self.probe_dead_jwt, 2),
        ]
        action = self.rng.choices([a for a, _ in actions], [w for _, w in actions])[0]
        await action()

    async def final_check(self) -> None:
        """At the end every live credential still answers for this user (nothing was lost)."""
        for url in self.urls:
            if self.cookie:
                self._expect_me(await self.call("GET", "/session/me", url=url,
                                                headers=self._session_headers()), "session")
            for token in self.access_tokens:
                self._expect_me(await self.call("GET", "/jwt/me", url=url, headers={
                    "authorization": f"Bearer {token}"}), "jwt")
        for cookie in self.dead_cookies[-3:]:
            await self.probe_dead_session(cookie)


class Workload:
    """`users` virtual users, each on its own account, walking at random over `urls`."""

    def __init__(self, urls: list[str], users: int, seed: int) -> None:
        assert users <= len(LOAD_USERS), f"at most {len(LOAD_USERS)} virtual users"
        self.ledger = Ledger()
        rng = random.Random(seed)
        self.users = [VirtualUser(name, password, urls, self.ledger, random.Random(rng.random()))
                      for name, password in list(LOAD_USERS.items())[:users]]

    async def run(self, *, steps_per_user: int | None = None,
                  duration_seconds: float | None = None) -> Ledger:
        """Walk until each user took `steps_per_user` steps or the time is up (both bounded)."""
        assert steps_per_user or duration_seconds, "give a step count or a duration"
        deadline = time.monotonic() + (duration_seconds or 600)
        limit = steps_per_user or 1_000_000

        async def walk(user: VirtualUser) -> None:
            for _ in range(limit):
                if time.monotonic() >= deadline:
                    break
                await user.step()

        try:
            await asyncio.gather(*(walk(u) for u in self.users))
            await asyncio.gather(*(u.final_check() for u in self.users))
        finally:
            await asyncio.gather(*(u.aclose() for u in self.users))
        return self.ledger

    def live_session_cookies(self) -> int:
        return sum(1 for u in self.users if u.cookie)
