"""What a request costs in Redis commands: the performance properties the benchmarks rely on.

Every request on a live session ends in a touch (express-session's rule). RedisStore folds
that touch into the read (`GETEX`), so a request that does not change the session is one
command, one round trip; connect-redis needs two (GET, then EXPIRE). The hardened app's
MemoryStore does the same in memory: one parse and one write per request, not two of each.
"""

from __future__ import annotations

import dataclasses

import pytest

from session_helpers import SpyStore

from authdemo import create_app, in_process_client, run
from authdemo.redis_client import connect_redis
from authdemo.sessions import MemoryStore
from authdemo.sessions.cookie import to_iso

ALICE = {"username": "alice", "password": "alice-wonderland-2026"}


@pytest.fixture
def commands(monkeypatch):
    """A fakeredis client that records the name of every command sent to it."""
    redis = connect_redis(None)
    sent: list[str] = []
    original = redis.execute_command

    async def recording(*args, **kwargs):
        sent.append(str(args[0]).upper())
        return await original(*args, **kwargs)

    monkeypatch.setattr(redis, "execute_command", recording)
    return redis, sent


def test_an_unchanged_request_on_a_redis_session_is_one_getex(settings, users, commands):
    redis, sent = commands
    client = in_process_client(create_app(settings, redis=redis, users=users))
    client.post("/session/login", json=ALICE)
    sent.clear()

    assert client.get("/session/me").status_code == 200
    assert sent == ["GETEX"]


def test_the_getex_renews_the_ttl_to_the_idle_timeout(settings, users, commands):
    redis, sent = commands
    client = in_process_client(create_app(settings, redis=redis, users=users))
    client.post("/session/login", json=ALICE)
    (key,) = run(redis.keys("sess:*"))
    run(redis.expire(key, 5))  # as if the session had almost timed out

    client.get("/session/me")
    idle = settings.session_idle_timeout_seconds
    assert run(redis.ttl(key)) in (idle - 1, idle)  # TTL counts down in whole seconds


def test_a_request_that_changes_the_session_reads_then_writes(settings, users, commands):
    redis, sent = commands
    client = in_process_client(create_app(settings, redis=redis, users=users))
    csrf = client.post("/session/login", json=ALICE).json()["csrf_token"]
    sent.clear()

    client.post("/session/logout", headers={"x-csrf-token": csrf})
    assert sent == ["GETEX", "DEL"]


def test_an_anonymous_request_sends_nothing_to_redis(settings, users, commands):
    redis, sent = commands
    client = in_process_client(create_app(settings, redis=redis, users=users))

    assert client.get("/session/me").status_code == 401
    assert sent == []


def test_a_jwt_check_asks_both_revocation_questions_in_one_mget(settings, users, commands):
    redis, sent = commands
    client = in_process_client(create_app(settings, redis=redis, users=users))
    token = client.post("/jwt/login", json=ALICE).json()["access_token"]
    sent.clear()

    assert client.get("/jwt/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert sent == ["MGET"]


def test_the_hardened_app_memory_store_renews_while_reading(settings, users):
    settings = dataclasses.replace(settings, session_store="memory")
    store = create_app(settings, users=users).state.services.session_store
    assert isinstance(store, MemoryStore) and store.touches_on_read


def test_an_unchanged_request_on_a_memory_session_is_one_read_and_touch(settings, users, clock):
    spy = SpyStore(touch_on_read=True)
    client = in_process_client(create_app(settings, session_store=spy, users=users))
    client.post("/session/login", json=ALICE)
    (sid,) = run(spy.ids())
    spy.forget_calls()
    clock.advance(600)

    assert client.get("/session/me").status_code == 200
    assert spy.calls == [("read_and_touch", sid)]  # no get, no touch, no set
    idle = settings.session_idle_timeout_seconds
    stored = run(spy.get(sid))["cookie"]["expires"]
    assert stored == to_iso(clock() + idle)
