"""Redis goes away, comes back, or slows down: authdemo fails closed and recovers by itself.

The decision, for both flows: when the check that needs Redis cannot be made, the
request is refused with `503 {"error": "store_unavailable", ...}`. Never a 500, and
never a pass-through 200.

- Sessions: without the store there is no session to read, so nothing is authenticated.
- JWTs: a token's signature can be verified without Redis, but whether it was *revoked*
  (logout, refresh-token reuse) cannot. Answering 200 would let a logged-out token back
  in for as long as Redis is down, so the JWT flow fails closed too, and `/jwt/me` costs
  a Redis round trip: the price of revocation (authdemo/tokens/revocation.py).

What an outage cannot take away, a crash that *loses the data* can: revocations are
recorded as presences in Redis, so a Redis restarted empty forgets them (see the crash
test); sessions, recorded the other way round, fail closed.

The servers are real uvicorn processes on a private redis-server (reliability_helpers.py),
which the tests stop, kill, restart on the same port, and put to sleep (`DEBUG SLEEP`).
No server is restarted: redis-py reconnects on the next request.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from reliability_helpers import (NEEDS_REDIS_SERVER, AppServers, RedisServer, Workload,
                                 app_servers, is_error_shape, shared_redis, redis_server,
                                 session_cookie_from, two_servers, wait_until)

from authdemo.users import DEMO_PASSWORDS

__all__ = ["shared_redis", "redis_server", "two_servers"]  # fixtures, imported for pytest

pytestmark = NEEDS_REDIS_SERVER

ALICE = {"username": "alice", "password": DEMO_PASSWORDS["alice"][1]}
TIMEOUT_SECONDS = 0.5  # Settings.redis_timeout_seconds, the default the servers run with
FAIL_FAST_SECONDS = 2.0
"""How long a refused request may take while Redis is down or asleep: the 0.5 s client
timeout, plus room for a CPU shared with other jobs. Typically 0.5-0.7 s on an idle
machine; the sleeping Redis below stays asleep for twice this bound, so a 503 in time
can only come from the timeout."""


class Credentials:
    """Alice, logged in both ways, plus a session and a token she has logged out."""

    def __init__(self, urls: list[str]) -> None:
        first, second = urls[0], urls[-1]
        old = httpx.post(first + "/session/login", json=ALICE)
        self.dead_cookie = session_cookie_from(old)
        assert httpx.post(second + "/session/logout", headers={
            "cookie": self.dead_cookie, "x-csrf-token": old.json()["csrf_token"]}
        ).status_code == 200
        login = httpx.post(second + "/session/login", json=ALICE)
        self.cookie, self.csrf = session_cookie_from(login), login.json()["csrf_token"]

        dead = httpx.post(first + "/jwt/login", json=ALICE).json()["access_token"]
        self.dead_access = dead
        assert httpx.post(second + "/jwt/logout", headers=bearer(dead)).status_code == 200
        tokens = httpx.post(first + "/jwt/login", json=ALICE).json()
        self.access, self.refresh = tokens["access_token"], tokens["refresh_token"]

    def requests_needing_redis(self) -> list[tuple[str, str, dict]]:
        """(method, path, httpx kwargs): each one must consult Redis to be answered."""
        return [
            ("GET", "/session/me", {"headers": {"cookie": self.cookie}}),
            ("GET", "/session/me", {"headers": {"cookie": self.dead_cookie}}),
            ("POST", "/session/logout", {"headers": {"cookie": self.cookie,
                                                     "x-csrf-token": self.csrf}}),
            ("POST", "/session/login", {"json": ALICE}),
            ("GET", "/jwt/me", {"headers": bearer(self.access)}),
            ("GET", "/jwt/me", {"headers": bearer(self.dead_access)}),  # revoked: still no 200
            ("POST", "/jwt/refresh", {"json": {"refresh_token": self.refresh}}),
            ("POST", "/jwt/logout", {"headers": bearer(self.access)}),
            ("POST", "/jwt/login", {"json": ALICE}),
        ]


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def assert_store_unavailable(response: httpx.Response, elapsed_seconds: float) -> None:
    what = f"{response.request.method} {response.request.url.path}"
    assert response.status_code == 503, f"{what}: {response.status_code} {response.text}"
    assert is_error_shape(response), f"{what}: {response.text}"
    assert response.json()["error"] == "store_unavailable"
    assert elapsed_seconds < FAIL_FAST_SECONDS, f"{what} took {elapsed_seconds:.2f} s"


def timed(method: str, url: str, **kwargs) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = httpx.request(method, url, timeout=10, **kwargs)
    return response, time.monotonic() - started


def burst(urls: list[str], headers: dict[str, str], per_server: int = 24) -> list[int]:
    """Statuses of `per_server` concurrent `/jwt/me` on each server: many pooled connections."""

    async def send() -> list[int]:
        async with httpx.AsyncClient(timeout=10) as http:
            answers = await asyncio.gather(*(http.get(url + "/jwt/me", headers=headers)
                                             for url in urls for _ in range(per_server)))
            return [a.status_code for a in answers]

    return asyncio.run(send())


def first_success(url: str, cookie: str, timeout_seconds: float = 10) -> list[int]:
    """Statuses of `/session/me` until it answers 200 again (bounded)."""
    seen: list[int] = []

    def answered() -> bool:
        seen.append(httpx.get(url + "/session/me", headers={"cookie": cookie},
                              timeout=5).status_code)
        return seen[-1] == 200

    assert wait_until(answered, timeout_seconds, 0.1), f"no recovery: {seen[-10:]}"
    return seen


@pytest.fixture
def alice(two_servers: AppServers, redis_server: RedisServer) -> Iterator[Credentials]:
    yield Credentials(two_servers.urls)
    if not redis_server.ping():
        redis_server.start()


# --- Redis down -------------------------------------------------------------------------------
def test_while_redis_is_down_every_check_fails_closed_with_a_503(
        two_servers: AppServers, redis_server: RedisServer, alice: Credentials) -> None:
    redis_server.stop(save=True)
    for url in two_servers.urls:
        for method, path, kwargs in alice.requests_needing_redis():
            assert_store_unavailable(*timed(method, url + path, **kwargs))
        # what needs no Redis still works: the index, and refusing a request with no token
        assert httpx.get(url + "/").status_code == 200
        assert httpx.get(url + "/jwt/me").status_code == 401
        assert httpx.get(url + "/session/me").status_code == 401


def test_when_redis_returns_the_same_servers_recover_without_a_restart(
        two_servers: AppServers, redis_server: RedisServer, alice: Credentials) -> None:
    pids = [p.pid for p in two_servers.processes]
    assert set(burst(two_servers.urls, bearer(alice.access))) == {200}  # fill the pools
    redis_server.stop(save=True)  # a clean restart: the snapshot comes back
    for url in two_servers.urls:
        assert httpx.get(url + "/session/me", headers={"cookie": alice.cookie}).status_code == 503
    redis_server.start()

    for url in two_servers.urls:
        statuses = first_success(url, alice.cookie)
        assert set(statuses) <= {503, 200}, statuses
        assert statuses.count(503) <= 1, "more than one failure after Redis was back"
        assert httpx.get(url + "/session/me", headers={"cookie": alice.cookie}
                         ).json()["username"] == "alice"
        assert httpx.get(url + "/jwt/me", headers=bearer(alice.access)).status_code == 200
        # what was revoked before the outage is still revoked
        assert httpx.get(url + "/jwt/me", headers=bearer(alice.dead_access)).status_code == 401
        assert httpx.get(url + "/session/me", headers={"cookie": alice.dead_cookie}
                         ).status_code == 401
        assert httpx.post(url + "/jwt/login", json=ALICE).status_code == 200
    # every connection pooled before the outage is dead; none of them may cost a 503
    assert set(burst(two_servers.urls, bearer(alice.access))) == {200}
    assert [p.pid for p in two_servers.processes] == pids
    assert all(p.poll() is None for p in two_servers.processes)


@pytest.mark.slow
def test_after_a_redis_crash_sessions_are_gone_and_so_is_the_denylist(
        two_servers: AppServers, redis_server: RedisServer, alice: Credentials) -> None:
    """SIGKILL, no snapshot: what a Redis without persistence loses, written down.

    Sessions fail closed (no record, no session). JWT revocation is recorded as a
    *presence* (denylist entry, `refresh:revoked:<fam>`), so a token logged out before
    the crash is accepted again until it expires (at most the access-token lifetime,
    15 min): the reason to run the denylist's Redis with persistence (AOF). Refresh
    tokens, which must be *found* to be spent, stop working, and trying one ends the login.
    """
    redis_server.kill()
    redis_server.start()

    for url in two_servers.urls:
        assert first_status_after_restart(url, alice.access) == 200  # stateless: still valid
        for cookie in (alice.cookie, alice.dead_cookie):
            assert httpx.get(url + "/session/me", headers={"cookie": cookie}).status_code == 401
        # KNOWN LIMITATION (see the docstring): the denylist entry was lost with the crash
        assert httpx.get(url + "/jwt/me", headers=bearer(alice.dead_access)).status_code == 200
    refresh = httpx.post(two_servers.urls[0] + "/jwt/refresh",
                         json={"refresh_token": alice.refresh})
    assert refresh.status_code == 401  # its record is gone: treated as reuse...
    for url in two_servers.urls:  # ...so the whole login ends, on every server
        response = httpx.get(url + "/jwt/me", headers=bearer(alice.access))
        assert response.status_code == 401 and response.json()["message"] == "login revoked"
        assert httpx.post(url + "/session/login", json=ALICE).status_code == 200


def first_status_after_restart(url: str, token: str) -> int:
    statuses: list[int] = []

    def settled() -> bool:
        statuses.append(httpx.get(url + "/jwt/me", headers=bearer(token)).status_code)
        return statuses[-1] != 503

    assert wait_until(settled, 10, 0.1), statuses
    assert statuses.count(503) <= 1, statuses
    return statuses[-1]


# --- Redis slow -------------------------------------------------------------------------------
def test_a_slow_redis_is_cut_off_by_the_client_timeout(
        two_servers: AppServers, redis_server: RedisServer, alice: Credentials) -> None:
    asleep = threading.Thread(target=lambda: redis_server.client(timeout_seconds=10)
                              .execute_command("DEBUG", "SLEEP", str(2 * FAIL_FAST_SECONDS)))
    asleep.start()
    try:
        time.sleep(0.2)  # Redis is now blocked for ~3.8 s more
        checks = [("GET", "/session/me", {"headers": {"cookie": alice.cookie}}),
                  ("GET", "/jwt/me", {"headers": bearer(alice.access)})]
        results: list[tuple[httpx.Response, float]] = []
        threads = [threading.Thread(target=lambda m=m, p=p, k=k, u=u: results.append(
            timed(m, u + p, **k))) for u in two_servers.urls for m, p, k in checks]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    finally:
        asleep.join(10)

    assert len(results) == 4
    for response, elapsed in results:
        assert_store_unavailable(response, elapsed)
        assert elapsed >= TIMEOUT_SECONDS * 0.9  # it did wait for Redis, for the timeout
    for url in two_servers.urls:  # awake again: the same connections pools serve normally
        assert first_success(url, alice.cookie).count(503) <= 1
        assert httpx.get(url + "/jwt/me", headers=bearer(alice.access)).status_code == 200


@pytest.mark.slow
def test_a_redis_that_stalls_again_and_again_under_load_never_mixes_up_answers(
        two_servers: AppServers, redis_server: RedisServer) -> None:
    """Stalls shorter and longer than the timeout, while 12 users keep going. A timed-out
    command must not leave its late reply on a pooled connection for the next request to
    read (that would answer one user's request with another user's session)."""
    workload = Workload(two_servers.urls, users=12, seed=5)
    workload.ledger.outage = True  # 503s allowed throughout; everything else is strict

    async def stalls() -> None:
        with redis_server.client(timeout_seconds=10) as c:
            for seconds in (0.3, 0.8, 0.45, 1.0, 0.2, 0.7):
                await asyncio.sleep(0.4)
                await asyncio.to_thread(c.execute_command, "DEBUG", "SLEEP", str(seconds))

    async def run() -> None:
        await asyncio.gather(workload.run(duration_seconds=6, steps_per_user=400), stalls())

    asyncio.run(run())
    ledger = workload.ledger
    assert ledger.inconsistencies == [], "\n".join(ledger.inconsistencies[:20])
    assert ledger.transport_errors == 0, ledger.by_class
    assert ledger.by_class["5xx 503 store_unavailable"] > 0  # the stalls were felt...
    assert ledger.by_class["2xx"] > 100  # ...and the rest of the time, work went on
    assert "Traceback" not in two_servers.log_text()


# --- an outage in the middle of a run -----------------------------------------------------------
@pytest.mark.slow
def test_redis_stopped_and_restarted_under_load_answers_only_200s_401s_and_503s(
        two_servers: AppServers, redis_server: RedisServer) -> None:
    workload = Workload(two_servers.urls, users=12, seed=99)
    ledger = workload.ledger
    timeline: dict[str, float] = {}

    async def outage() -> None:
        await asyncio.sleep(1.5)
        ledger.outage = True
        timeline["stop"] = time.monotonic()
        await asyncio.to_thread(redis_server.stop, save=True)
        await asyncio.sleep(1.5)
        await asyncio.to_thread(redis_server.start)
        timeline["start"] = time.monotonic()
        await asyncio.sleep(1.0)  # requests already waiting on the dead server may still fail
        ledger.outage = False

    async def run() -> None:
        await asyncio.gather(workload.run(duration_seconds=7, steps_per_user=400), outage())

    asyncio.run(run())

    assert ledger.inconsistencies == [], "\n".join(ledger.inconsistencies[:20])
    assert ledger.transport_errors == 0, ledger.by_class
    fives = {k: n for k, n in ledger.by_class.items() if k.startswith("5xx")}
    assert set(fives) == {"5xx 503 store_unavailable"}, ledger.by_class  # it was noticed...
    assert ledger.by_class["2xx"] > 100
    assert ledger.sessions_created > ledger.abandoned  # ...and work went on afterwards
    assert "Traceback" not in two_servers.log_text()


@pytest.mark.slow
def test_the_shipped_entry_point_fails_closed_and_recovers_too(
        redis_server: RedisServer, tmp_path) -> None:
    """`python -m authdemo serve` itself (real Argon2 costs), not the test factory."""
    with app_servers(redis_server.url, 1, tmp_path, cli=True) as servers:
        alice = Credentials(servers.urls)
        redis_server.stop(save=True)
        for method, path, kwargs in alice.requests_needing_redis():
            response, elapsed = timed(method, servers.urls[0] + path, **kwargs)
            if path.endswith("/login"):  # password hashing comes first, at full cost
                elapsed = 0
            assert_store_unavailable(response, elapsed)
        redis_server.start()
        first_success(servers.urls[0], alice.cookie)
        assert httpx.get(servers.urls[0] + "/jwt/me",
                         headers=bearer(alice.access)).status_code == 200
        assert "Traceback" not in servers.log_text()
