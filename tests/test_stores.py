"""The Store contract (XS-48, XS-49, CR-01..CR-05), run against every store we ship.

`store` is parametrised over MemoryStore, RedisStore on fakeredis, and RedisStore on
the real Redis named by AUTHDEMO_REDIS_URL (marked `redis`, skipped without it).
Every coroutine runs on the shared background loop through `run()`: an async Redis
client belongs to the loop it first ran on.
"""

from __future__ import annotations

import json
import os
import time

import pytest
from fakeredis import FakeServer
from session_helpers import session_cookie

from authdemo.redis_client import connect_redis
from authdemo.server import in_process_client, run
from authdemo.sessions import CookieOptions, MemoryStore, RedisStore, StoreUnavailable
from authdemo.sessions.cookie import Cookie
from authdemo.vulnerable_seed import create_vulnerable_seed_app

REDIS_URL = os.environ.get("AUTHDEMO_REDIS_URL")


def record_expiring_in(seconds: float | None, **data: object) -> dict[str, object]:
    """A record as the middleware writes it, its cookie expiring `seconds` from now."""
    cookie = Cookie.fresh(CookieOptions(max_age_seconds=seconds), time.time(), None)
    return {"cookie": cookie.to_json(), **data}


def open_store(kind: str):
    if kind == "memory":
        return MemoryStore()
    client = connect_redis(REDIS_URL if kind == "redis" else None)
    store = RedisStore(client)
    if kind == "redis":
        run(store.clear())
    return store


def close_store(store) -> None:
    if isinstance(store, RedisStore):
        run(store.clear())
        run(store.redis.aclose())


@pytest.fixture(params=["memory", "fakeredis", pytest.param("redis", marks=pytest.mark.redis)])
def store(request):
    opened = open_store(request.param)
    yield opened
    close_store(opened)


@pytest.fixture(params=["fakeredis", pytest.param("redis", marks=pytest.mark.redis)])
def redis_store(request):
    opened = open_store(request.param)
    yield opened
    close_store(opened)


@pytest.fixture(params=["memory", "fakeredis"])
def frozen_store(request, clock):
    """A store whose notion of "now" is the frozen TeachingClock (no real Redis: its clock
    is its own)."""
    opened = open_store(request.param)
    yield opened
    close_store(opened)


def ttl_of(store: RedisStore, sid: str) -> int:
    return run(store.redis.ttl(store.key(sid)))


# --- get / set / destroy (XS-48) --------------------------------------------------------------
def test_a_missing_session_reads_as_none(store):
    assert run(store.get("nobody")) is None


def test_a_written_record_reads_back_equal(store):
    record = record_expiring_in(60, user={"name": "ada", "roles": ["admin"]}, hits=3)
    assert run(store.set("sid-1", record)) is True
    assert run(store.get("sid-1")) == record


def test_a_second_write_replaces_the_first(store):
    run(store.set("sid-1", record_expiring_in(60, hits=1)))
    run(store.set("sid-1", record_expiring_in(60, hits=2)))
    assert run(store.get("sid-1"))["hits"] == 2


def test_destroy_forgets_the_session_and_is_quiet_about_missing_ones(store):
    run(store.set("sid-1", record_expiring_in(60)))
    run(store.destroy("sid-1"))
    run(store.destroy("never-existed"))
    assert run(store.get("sid-1")) is None


def test_ids_length_and_clear(store):
    for sid in ("b", "a", "c"):
        run(store.set(sid, record_expiring_in(60)))
    assert sorted(run(store.ids())) == ["a", "b", "c"]
    assert run(store.length()) == 3
    run(store.clear())
    assert run(store.ids()) == []
    assert run(store.length()) == 0


def test_ids_walks_past_one_scan_page(store):
    """CR-05: SCAN with COUNT 100 must still list every session."""
    for number in range(150):
        run(store.set(f"sid-{number:03d}", record_expiring_in(60)))
    assert sorted(run(store.ids())) == [f"sid-{number:03d}" for number in range(150)]


# --- only_if_exists: the resurrection guard ---------------------------------------------------
def test_only_if_exists_does_not_create_a_missing_session(store):
    assert run(store.set("gone", record_expiring_in(60), only_if_exists=True)) is False
    assert run(store.get("gone")) is None


def test_only_if_exists_updates_a_live_session(store):
    run(store.set("sid-1", record_expiring_in(60, hits=1)))
    assert run(store.set("sid-1", record_expiring_in(60, hits=2), only_if_exists=True)) is True
    assert run(store.get("sid-1"))["hits"] == 2


def test_only_if_exists_refuses_after_destroy(store):
    run(store.set("sid-1", record_expiring_in(60, hits=1)))
    run(store.destroy("sid-1"))
    assert run(store.set("sid-1", record_expiring_in(60, hits=2), only_if_exists=True)) is False
    assert run(store.get("sid-1")) is None


# --- expiry (XS-14, CR-02, CR-03) -------------------------------------------------------------
def test_an_already_expired_record_is_never_written(store):
    """CR-03: ttl <= 0 deletes the session instead of writing it, and reports False."""
    run(store.set("sid-1", record_expiring_in(60, hits=1)))
    assert run(store.set("sid-1", record_expiring_in(-1, hits=2))) is False
    assert run(store.get("sid-1")) is None
    assert run(store.ids()) == []


def test_memory_store_does_not_hold_an_expired_record_even_unread():
    store = MemoryStore()
    run(store.set("sid-1", record_expiring_in(-1)))
    assert store.sessions == {}


def test_redis_does_not_keep_an_expired_record_at_all(redis_store):
    """CR-03: the key itself is gone, and `set` reports that nothing was written."""
    run(redis_store.set("sid-1", record_expiring_in(60)))
    assert run(redis_store.set("sid-1", record_expiring_in(-1))) is False
    assert run(redis_store.redis.exists(redis_store.key("sid-1"))) == 0


def test_redis_ttl_follows_the_cookie_expiry(redis_store):
    """CR-02: `TTL sess:<id>` is ceil(expires - now)."""
    run(redis_store.set("sid-1", record_expiring_in(60)))
    assert ttl_of(redis_store, "sid-1") in (59, 60)


def test_redis_ttl_rounds_a_fractional_second_up(clock):
    store = open_store("fakeredis")
    try:
        run(store.set("sid-1", record_expiring_in(10.5)))
        assert ttl_of(store, "sid-1") == 11
    finally:
        close_store(store)


def test_redis_ttl_of_a_browser_session_cookie_is_one_day(redis_store):
    """CR-02: no expires: connect-redis's default ttl, 86400 s."""
    run(redis_store.set("sid-1", record_expiring_in(None)))
    assert ttl_of(redis_store, "sid-1") in (86_399, 86_400)


def test_redis_touch_extends_the_ttl_and_keeps_the_record(redis_store):
    """CR-04: touch is connect-redis's bare EXPIRE: the TTL slides, the stored record (data
    and cookie) is left exactly as the last save wrote it."""
    run(redis_store.set("sid-1", record_expiring_in(10, hits=1)))
    before = run(redis_store.get("sid-1"))
    run(redis_store.touch("sid-1", record_expiring_in(600, hits=999)))
    assert ttl_of(redis_store, "sid-1") in (599, 600)
    assert run(redis_store.get("sid-1")) == before


def test_touch_never_undoes_a_change_saved_by_another_request(store):
    """XS-49: touch updates the lifetime only; the data stays as the latest save left it."""
    run(store.set("sid-1", record_expiring_in(60, hits=1)))
    run(store.set("sid-1", record_expiring_in(60, hits=2)))  # another request saved
    run(store.touch("sid-1", record_expiring_in(60, hits=1)))  # this one had loaded hits=1
    assert run(store.get("sid-1"))["hits"] == 2


def test_touch_does_not_create_a_missing_session(store):
    run(store.touch("gone", record_expiring_in(60)))
    assert run(store.get("gone")) is None


def test_memory_touch_moves_the_stored_expiry(clock):
    store = MemoryStore()
    run(store.set("sid-1", record_expiring_in(60, hits=1)))
    clock.advance(30)
    run(store.touch("sid-1", record_expiring_in(60, hits=1)))
    assert run(store.get("sid-1"))["cookie"]["expires"] == "2026-01-01T09:01:30.000Z"


def test_memory_store_follows_express_protocol_unless_told_to_touch_on_read():
    assert MemoryStore().touches_on_read is False  # get ... touch, as express's MemoryStore
    assert MemoryStore(touch_on_read=True).touches_on_read is True


def test_memory_read_and_touch_renews_the_stored_expiry_while_reading(clock):
    """The GETEX of the MemoryStore: one read, one write, no separate touch."""
    store = MemoryStore(touch_on_read=True)
    run(store.set("sid-1", record_expiring_in(60, hits=1)))
    clock.advance(30)
    record = run(store.read_and_touch("sid-1", 60))
    assert record["hits"] == 1
    assert record["cookie"]["expires"] == "2026-01-01T09:01:30.000Z"
    assert run(store.get("sid-1"))["cookie"]["expires"] == "2026-01-01T09:01:30.000Z"
    clock.advance(59)  # 89 s after it was written: alive only because of the renewal
    assert run(store.get("sid-1")) is not None


def test_memory_read_and_touch_leaves_a_browser_session_cookie_without_expiry(clock):
    store = MemoryStore(touch_on_read=True)
    run(store.set("sid-1", record_expiring_in(None)))
    assert run(store.read_and_touch("sid-1", 60))["cookie"]["expires"] is None
    assert run(store.get("sid-1"))["cookie"]["expires"] is None


def test_memory_read_and_touch_neither_finds_nor_revives_a_dead_session(clock):
    store = MemoryStore(touch_on_read=True)
    run(store.set("sid-1", record_expiring_in(60)))
    clock.advance(61)
    assert run(store.read_and_touch("sid-1", 60)) is None
    assert run(store.read_and_touch("never", 60)) is None
    assert store.sessions == {}


def test_a_record_expires_lazily_when_its_time_has_come(frozen_store, clock):
    """XS-14, XS-49: readable at 59 s, gone at 61 s. (At exactly 60 s they differ by a
    millisecond: express's MemoryStore drops at `expires <= now`, Redis at `now > when`.)"""
    run(frozen_store.set("sid-1", record_expiring_in(60)))
    clock.advance(59)
    assert run(frozen_store.get("sid-1")) is not None
    clock.advance(2)
    assert run(frozen_store.get("sid-1")) is None
    assert run(frozen_store.ids()) == []


def test_memory_store_deletes_an_expired_entry_when_it_is_read(clock):
    store = MemoryStore()
    run(store.set("sid-1", record_expiring_in(60)))
    clock.advance(61)
    assert run(store.get("sid-1")) is None
    assert store.sessions == {}


# --- the Redis layout (CR-01) -----------------------------------------------------------------
def test_redis_keys_are_sess_prefix_plus_id_holding_json(redis_store):
    record = record_expiring_in(60, hits=1)
    run(redis_store.set("sid-1", record))
    assert run(redis_store.redis.exists("sess:sid-1")) == 1
    raw = run(redis_store.redis.get("sess:sid-1"))
    assert json.loads(raw) == record
    assert raw.startswith(b'{"cookie":{"originalMaxAge":60000,"expires":"')


def test_redis_prefix_can_be_changed():
    store = RedisStore(connect_redis(None), prefix="myapp:")
    try:
        run(store.set("sid-1", record_expiring_in(60)))
        keys = run(store.redis.keys("*"))
        assert keys == [b"myapp:sid-1"]
        assert run(store.ids()) == ["sid-1"]
    finally:
        run(store.redis.aclose())


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2, 3]", b'"a string"'])
def test_an_unreadable_redis_value_reads_as_none(redis_store, raw):
    run(redis_store.redis.set("sess:sid-1", raw))
    assert run(redis_store.get("sid-1")) is None


# --- MemoryStore keeps JSON strings (XS-49) ----------------------------------------------------
def test_memory_store_keeps_json_strings():
    store = MemoryStore()
    run(store.set("sid-1", record_expiring_in(60, hits=1)))
    assert isinstance(store.sessions["sid-1"], str)
    assert '"hits":1' in store.sessions["sid-1"]


def test_changing_a_record_after_reading_or_writing_it_does_not_change_the_store():
    store = MemoryStore()
    written = record_expiring_in(60, user={"name": "ada"})
    run(store.set("sid-1", written))
    written["user"]["name"] = "mallory"
    read = run(store.get("sid-1"))
    read["user"]["name"] = "eve"
    assert run(store.get("sid-1"))["user"] == {"name": "ada"}


# --- sharing between app instances -------------------------------------------------------------
def log_in(client, username: str) -> str:
    response = client.post("/session/login", json={"username": username})
    assert response.json() == {"message": "로그인 성공"}
    return session_cookie(response)


def whoami(client, cookie: str):
    client.cookies.clear()
    return client.get("/session/protected", headers={"cookie": cookie})


def test_two_app_instances_on_one_redis_share_their_sessions():
    server = FakeServer()
    first = create_vulnerable_seed_app(redis=connect_redis(None, fake_server=server))
    second = create_vulnerable_seed_app(redis=connect_redis(None, fake_server=server))
    with in_process_client(first) as one, in_process_client(second) as two:
        cookie = log_in(one, "ada")
        response = whoami(two, cookie)
        assert response.status_code == 200
        assert response.json() == {"user": "ada"}


def test_two_app_instances_with_memory_stores_do_not():
    with in_process_client(create_vulnerable_seed_app()) as one, \
            in_process_client(create_vulnerable_seed_app()) as two:
        cookie = log_in(one, "ada")
        response = whoami(two, cookie)
        assert response.status_code == 401
        assert response.json() == {"message": "로그인이 필요합니다."}
        assert whoami(one, cookie).json() == {"user": "ada"}


# --- an unreachable Redis ----------------------------------------------------------------------
@pytest.fixture
def unreachable_store():
    store = RedisStore(connect_redis("redis://127.0.0.1:1/0", timeout_seconds=0.2))
    yield store
    run(store.redis.aclose())


@pytest.mark.parametrize("call", [
    lambda store: store.get("sid-1"),
    lambda store: store.set("sid-1", record_expiring_in(60)),
    lambda store: store.touch("sid-1", record_expiring_in(60)),
    lambda store: store.destroy("sid-1"),
    lambda store: store.ids(),
], ids=["get", "set", "touch", "destroy", "ids"])
def test_every_call_to_an_unreachable_redis_raises_store_unavailable(unreachable_store, call):
    with pytest.raises(StoreUnavailable, match="^redis: "):
        run(call(unreachable_store), timeout_seconds=5)


def test_the_seed_port_on_an_unreachable_redis_answers_503(unreachable_store):
    app = create_vulnerable_seed_app(store=unreachable_store)
    with in_process_client(app) as client:
        response = client.get("/hello")
    assert response.status_code == 503
    assert response.json() == {"error": "store_unavailable",
                               "message": "The session store is unavailable; try again shortly."}
    assert "set-cookie" not in response.headers
