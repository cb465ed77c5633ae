"""Many users, several real servers, one Redis: nobody sees anyone else, logout is final.

The servers are real uvicorn processes sharing a private redis-server (see
reliability_helpers.py); the users are httpx.AsyncClients walking at random through
login, reads, refresh and logout, on a random server each time. Every answer is
checked against what the user knows, and the store is checked at the end.

The resurrection race, the one express-session users meet: a slow request loads a
session, a logout destroys it meanwhile, and the slow request's late save writes it
back. authdemo's middleware saves a *loaded* session only if it still exists
(`only_if_exists`, a Redis `SET ... XX`); the tests below show the race on real
servers, then step by step in-process, with a store that ignores the guard as control.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from fastapi import Request
from reliability_helpers import (NEEDS_REDIS_SERVER, FAST_HASHER, AppServers, RedisServer,
                                 Workload, app_servers, shared_redis, redis_server,
                                 session_cookie_from, two_servers)

from authdemo import Secret, Settings, create_app
from authdemo.app.session_routes import User as LoggedInUser
from authdemo.sessions import MemoryStore, Store
from authdemo.users import DEMO_PASSWORDS, UserDirectory

__all__ = ["shared_redis", "redis_server", "two_servers"]  # fixtures, imported for pytest

ALICE = {"username": "alice", "password": DEMO_PASSWORDS["alice"][1]}


def assert_consistent(workload: Workload, redis_server: RedisServer) -> None:
    ledger = workload.ledger
    assert ledger.inconsistencies == [], "\n".join(ledger.inconsistencies[:20])
    assert ledger.server_errors == 0 and ledger.transport_errors == 0, ledger.by_class
    live = workload.live_session_cookies()
    assert ledger.sessions_created - ledger.sessions_destroyed == live
    assert len(redis_server.session_ids()) == live, "a session leaked or was lost in Redis"


# --- random interleavings on real servers ---------------------------------------------------
@NEEDS_REDIS_SERVER
def test_16_users_on_two_servers_never_see_each_other_and_logout_is_final(
        two_servers: AppServers, redis_server: RedisServer) -> None:
    workload = Workload(two_servers.urls, users=16, seed=7)
    ledger = asyncio.run(workload.run(steps_per_user=25, duration_seconds=60))

    assert ledger.requests >= 16 * 20  # some steps find nothing to do (no login yet)
    assert ledger.sessions_created >= 16 and ledger.sessions_destroyed >= 8
    assert ledger.jwt_logouts >= 8 and ledger.refreshes >= 8
    assert_consistent(workload, redis_server)
    assert "Traceback" not in two_servers.log_text()


@NEEDS_REDIS_SERVER
@pytest.mark.slow
def test_48_users_on_three_servers_for_thousands_of_requests(
        redis_server: RedisServer, tmp_path) -> None:
    with app_servers(redis_server.url, 3, tmp_path) as servers:
        workload = Workload(servers.urls, users=48, seed=20261127)
        ledger = asyncio.run(workload.run(steps_per_user=100, duration_seconds=150))
        logs = servers.log_text()

    assert ledger.requests >= 3_000, ledger.requests
    assert_consistent(workload, redis_server)
    assert "Traceback" not in logs


# --- the resurrection race, on real servers -------------------------------------------------
@NEEDS_REDIS_SERVER
def test_a_slow_request_on_another_server_does_not_resurrect_a_logged_out_session(
        two_servers: AppServers, redis_server: RedisServer) -> None:
    first, second = two_servers.urls

    async def race() -> tuple[httpx.Response, float, str]:
        async with httpx.AsyncClient(timeout=10) as http:
            login = await http.post(first + "/session/login", json=ALICE)
            cookie, csrf = session_cookie_from(login), login.json()["csrf_token"]
            http.cookies.clear()
            slow = asyncio.create_task(http.post(
                second + "/session/slow-note", params={"delay_seconds": 3},
                headers={"cookie": cookie}))
            await asyncio.sleep(1.0)  # time for the slow request to load the session
            logout = await http.post(first + "/session/logout",
                                     headers={"cookie": cookie, "x-csrf-token": csrf})
            assert logout.status_code == 200
            logged_out_at = time.time()
            assert not slow.done(), "the slow request finished before the logout"
            return await slow, logged_out_at, cookie

    slow, logged_out_at, cookie = asyncio.run(race())

    assert slow.status_code == 200, "the slow request did not get going before the logout"
    assert slow.json()["loaded_at"] < logged_out_at  # the race really happened
    assert session_cookie_from(slow) is None  # nothing was saved, so no cookie either
    assert redis_server.session_ids() == set()
    for url in two_servers.urls:
        assert httpx.get(url + "/session/me", headers={"cookie": cookie}).status_code == 401


# --- the same race, step by step, in-process -------------------------------------------------
class IgnoresOnlyIfExists(MemoryStore):
    """A store with express-session's plain `set`: it writes whether or not the id still
    exists. The control: with it, the race must show."""

    async def set(self, sid: str, record: dict[str, Any], *, only_if_exists: bool = False
                  ) -> bool:
        return await super().set(sid, record)


def gated_app(store: Store | None):
    """The hardened app, plus a route that changes the session only when the test says so."""
    settings = Settings(jwt_secret=Secret("race-jwt-secret-0123456789abcdef-0123456"),
                        session_secrets=(Secret("race-session-secret-0123456789abcdef-01"),))
    app = create_app(settings, users=UserDirectory.demo(FAST_HASHER), session_store=store)
    app.state.loaded, app.state.go = asyncio.Event(), asyncio.Event()

    @app.post("/session/gated-note")
    async def gated_note(request: Request, user: LoggedInUser) -> dict[str, str]:
        app.state.loaded.set()  # the session is loaded; now wait for the logout to finish
        await app.state.go.wait()
        request.session["note"] = "written after the logout"
        return {"username": user["username"]}

    return app


def run_race(store_factory) -> tuple[int, int, list[str]]:
    """Login; start the gated request; log out; release it. Returns its status, then what
    `/session/me` answers afterwards, then the ids left in the store."""

    async def race() -> tuple[int, int, list[str]]:
        store = store_factory()
        app = gated_app(store)
        store = app.state.services.session_store
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            login = await http.post("/session/login", json=ALICE)
            headers = {"cookie": session_cookie_from(login)}
            http.cookies.clear()
            slow = asyncio.create_task(http.post("/session/gated-note", headers=headers))
            await asyncio.wait_for(app.state.loaded.wait(), 5)
            logout = await http.post("/session/logout", headers={
                **headers, "x-csrf-token": login.json()["csrf_token"]})
            assert logout.status_code == 200
            app.state.go.set()
            late = await asyncio.wait_for(slow, 5)
            http.cookies.clear()
            me = await http.get("/session/me", headers=headers)
            return late.status_code, me.status_code, await store.ids()

    return asyncio.run(race())


@pytest.mark.parametrize("store_factory", [
    pytest.param(lambda: None, id="RedisStore-on-fakeredis"),
    pytest.param(MemoryStore, id="MemoryStore"),
])
def test_a_late_save_after_logout_does_not_resurrect_the_session(store_factory) -> None:
    late, me, left_in_store = run_race(store_factory)
    assert late == 200  # it was logged in when it started: fine
    assert me == 401
    assert left_in_store == []


def test_control_a_store_that_ignores_the_guard_does_resurrect_it() -> None:
    late, me, left_in_store = run_race(IgnoresOnlyIfExists)
    assert late == 200
    assert me == 200  # the logged-out session is back: the bug the guard prevents
    assert len(left_in_store) == 1
