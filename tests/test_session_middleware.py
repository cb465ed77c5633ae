"""SessionMiddleware against express-session's behaviour, one situation per test.

The apps come from `session_helpers.session_app`: express-session's test harness
(secret `keyboard cat`, `maxAge` 60 s, `resave`/`saveUninitialized` true) with the
options each test names. Time is frozen with `TeachingClock` wherever an Expires
date or an expiry is asserted.

Where authdemo differs from express on purpose (an unreadable record is discarded,
destroy() expires the cookie, a late save cannot resurrect a destroyed session, an
absolute timeout, a store failure is a 503), the test name says so.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest
from session_helpers import (COOKIE_NAME, KEYBOARD_CAT, ROUTES, BrokenStore, build_app,
                             calls_to, cookie_attributes, cookie_value, harness_config,
                             has_session, session_app, session_cookie, session_of,
                             set_cookie_header, sid_of, snapshot, store_touches, store_writes,
                             stored_record)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from authdemo.redis_client import connect_redis
from authdemo.server import background_loop, in_process_client, run
from authdemo.sessions import CookieOptions, MemoryStore, RedisStore, Session
from authdemo.sessions.cookie import http_date
from authdemo.sessions.signing import encode_cookie_value, sign

STORE_DOWN = {"error": "store_unavailable",
              "message": "The session store is unavailable; try again shortly."}


@pytest.fixture
def apps():
    """Every app a test opens through `open_app(...)` is closed afterwards."""
    opened = []

    def open_app(*args: Any, **kwargs: Any):
        app = session_app(*args, **kwargs)
        opened.append(app)
        return app

    yield open_app
    for app in opened:
        app.close()


def expires_in(header: str | None) -> str | None:
    """The Expires attribute of a Set-Cookie header, or None."""
    assert header is not None
    for attribute in cookie_attributes(header):
        if attribute.startswith("Expires="):
            return attribute[len("Expires="):]
    return None


# --- XS-10: reading the Cookie header ----------------------------------------------------
def test_first_of_two_session_cookies_wins(apps):
    """XS-10: jshttp/cookie keeps the first duplicate; Starlette's parser would keep the last."""
    app = apps()
    first = app.get("/hits")
    second = app.get("/hits", cookie=f"{session_cookie(first)}; {COOKIE_NAME}=junk")
    assert second.json() == {"hits": 2}


def test_a_planted_second_cookie_cannot_shadow_the_first(apps):
    """XS-10: a cookie planted after the real one (e.g. from a sibling subdomain) loses."""
    app = apps()
    victim = app.get("/hits")
    planted = app.get("/hits")
    second = app.get("/read", cookie=f"{session_cookie(victim)}; {session_cookie(planted)}")
    assert second.json()["sid"] == sid_of(victim)


def test_junk_first_then_a_valid_cookie_starts_a_new_session(apps):
    """XS-10: first-wins also means a junk first value is the one read."""
    app = apps()
    first = app.get("/hits")
    second = app.get("/hits", cookie=f"{COOKIE_NAME}=junk; {session_cookie(first)}")
    assert second.json() == {"hits": 1}


@pytest.mark.parametrize("spelling", ["encoded", "literal", "quoted"])
def test_the_cookie_value_is_percent_decoded_and_unquoted(apps, spelling):
    """XS-10: `s%3A...`, `s:...` and `"s%3A..."` all carry the same signed id."""
    app = apps()
    first = app.get("/hits")
    sid = sid_of(first)
    value = {
        "encoded": encode_cookie_value(sid, KEYBOARD_CAT),
        "literal": "s:" + sign(sid, KEYBOARD_CAT),
        "quoted": '"' + encode_cookie_value(sid, KEYBOARD_CAT) + '"',
    }[spelling]
    assert app.get("/hits", cookie=f"{COOKIE_NAME}={value}").json() == {"hits": 2}


def test_a_cookie_longer_than_a_browser_allows_is_ignored(apps):
    app = apps()
    app.store.forget_calls()
    response = app.get("/read", cookie=f"{COOKIE_NAME}=s%3A{'a' * 5000}")
    assert response.status_code == 200
    assert response.json()["data"] == {}
    assert calls_to(app.store, "get") == []


# --- XS-11 .. XS-14: lifecycle ---------------------------------------------------------------
def test_a_request_without_a_cookie_gets_a_new_stored_session(apps):
    """XS-11: saveUninitialized true: Set-Cookie and one store write."""
    app = apps()
    response = app.get("/read")
    sid = response.json()["sid"]
    assert sid_of(response) == sid
    assert len(sid) == 32
    assert calls_to(app.store, "set") == [sid]
    assert stored_record(app.store, sid)["cookie"]["originalMaxAge"] == 60000


def test_session_data_persists_between_requests(apps):
    """XS-12: hits 1 then 2."""
    app = apps()
    first = app.get("/hits")
    assert first.json() == {"hits": 1}
    assert app.get("/hits", cookie=session_cookie(first)).json() == {"hits": 2}


def test_a_cleared_store_gives_a_new_session_with_a_new_id(apps):
    """XS-13."""
    app = apps()
    first = app.get("/hits")
    run(app.store.clear())
    second = app.get("/hits", cookie=session_cookie(first))
    assert second.json() == {"hits": 1}
    assert sid_of(second) != sid_of(first)


def test_an_expired_record_is_a_miss_and_is_deleted(apps, clock):
    """XS-14: the cookie's Expires passed: new sid, the old entry is gone from the store."""
    app = apps(MemoryStore())
    first = app.get("/hits")
    old_sid = sid_of(first)
    clock.advance(60)
    second = app.get("/hits", cookie=session_cookie(first))
    assert second.json() == {"hits": 1}
    assert sid_of(second) != old_sid
    assert stored_record(app.store, old_sid) is None


def test_a_record_expiring_in_one_second_still_loads(apps, clock):
    app = apps(MemoryStore())
    first = app.get("/hits")
    clock.advance(59)
    assert app.get("/hits", cookie=session_cookie(first)).json() == {"hits": 2}


@pytest.mark.parametrize("record", [
    {"hits": 5},                                               # no cookie at all (T:566-589)
    {"cookie": None, "hits": 5},
    {"cookie": "oops", "hits": 5},
    {"cookie": {"originalMaxAge": "sixty", "expires": None}, "hits": 5},
    {"cookie": {"originalMaxAge": 60000, "expires": "next tuesday"}, "hits": 5},
    {"cookie": {"originalMaxAge": 60000, "expires": None, "createdAt": "yesterday"}, "hits": 5},
    ["not", "an", "object"],
], ids=["no-cookie", "null-cookie", "string-cookie", "bad-max-age", "bad-expires",
        "bad-created-at", "list"])
def test_an_unreadable_record_is_discarded_for_a_new_session_never_a_500(apps, record):
    """XS-16, hardened choice: express answers 500 (inflate error); we start over."""
    app = apps()
    first = app.get("/hits")
    old_sid = sid_of(first)
    app.store.sessions[old_sid] = json.dumps(record)
    second = app.get("/hits", cookie=session_cookie(first))
    assert second.status_code == 200
    assert second.json() == {"hits": 1}
    assert sid_of(second) != old_sid
    assert stored_record(app.store, old_sid) is None


@pytest.mark.parametrize("record", [
    {"hits": 5},
    {"cookie": "oops", "hits": 5},
    {"cookie": {"originalMaxAge": 60000, "expires": "next tuesday"}, "hits": 5},
], ids=["no-cookie", "string-cookie", "bad-expires"])
def test_an_unreadable_redis_record_is_discarded_too(apps, record):
    """XS-16 with RedisStore: e.g. a record another program wrote under `sess:`."""
    app = apps(RedisStore(connect_redis(None)))
    first = app.get("/hits")
    old_sid = sid_of(first)
    run(app.store.redis.set(f"sess:{old_sid}", json.dumps(record)))
    second = app.get("/hits", cookie=session_cookie(first))
    assert second.status_code == 200
    assert second.json() == {"hits": 1}
    assert run(app.store.redis.exists(f"sess:{old_sid}")) == 0


class SlowWritingStore(MemoryStore):
    """Takes 0.1 s to write, and notes in `events` when the write is done."""

    def __init__(self, events: list[str]) -> None:
        super().__init__()
        self.events = events

    async def set(self, sid: str, record: dict[str, Any], *, only_if_exists: bool = False
                  ) -> bool:
        await asyncio.sleep(0.1)
        written = await super().set(sid, record, only_if_exists=only_if_exists)
        self.events.append("store write done")
        return written


def test_the_store_write_is_done_before_the_response_starts(apps):
    """XS-17: even with a slow store, the status line waits for the write, so the next
    request always sees the new data."""
    events: list[str] = []
    app = build_app(harness_config(SlowWritingStore(events)))

    async def note_response_start(scope, receive, send):
        async def send_and_note(message):
            if message["type"] == "http.response.start":
                events.append("response started")
            await send(message)
        await app(scope, receive, send_and_note)

    with in_process_client(note_response_start) as client:
        response = client.get("/hits")
        assert events == ["store write done", "response started"]
        client.cookies.clear()
        second = client.get("/hits", headers={"cookie": session_cookie(response)})
        assert second.json() == {"hits": 2}


# --- XS-20: the cookie path ------------------------------------------------------------------
def test_a_request_outside_the_cookie_path_gets_no_session_and_no_cookie(apps):
    """XS-20."""
    app = apps(cookie=CookieOptions(path="/admin", max_age_seconds=60))
    response = app.get("/outside")
    assert response.json() == {"has_session": False}
    assert set_cookie_header(response) is None
    assert app.store.calls == []


def test_a_request_inside_the_cookie_path_gets_a_cookie_for_that_path(apps):
    app = apps(cookie=CookieOptions(path="/admin"))
    response = app.get("/admin/read")
    assert cookie_attributes(set_cookie_header(response)) == ["Path=/admin", "HttpOnly"]


def test_the_path_check_is_a_plain_prefix_as_in_express(apps):
    """XS-20: express uses `indexOf(path) === 0`, so `/administrator` is inside `/admin`."""
    app = apps(cookie=CookieOptions(path="/admin"))
    assert app.get("/administrator").json() == {"has_session": True}


def test_the_path_check_uses_the_full_url_when_the_app_is_mounted():
    """XS-20: mounted at /app with cookie path /app/private, as express's originalUrl check."""
    config = harness_config(cookie=CookieOptions(path="/app/private"))
    inner = build_app(config, [Route("/private/read", has_session),
                               Route("/public", has_session)])
    outer = Starlette(routes=[Mount("/app", app=inner)])
    with in_process_client(outer) as client:
        inside = client.get("/app/private/read")
        assert inside.json() == {"has_session": True}
        assert cookie_attributes(set_cookie_header(inside)) == ["Path=/app/private", "HttpOnly"]
        outside = client.get("/app/public")
        assert outside.json() == {"has_session": False}
        assert set_cookie_header(outside) is None


# --- XS-21: what counts as modified -------------------------------------------------------------
def test_an_unchanged_session_is_not_rewritten_but_a_changed_one_is(apps):
    """XS-21 with resave false: only a change of the data triggers a write."""
    app = apps(resave=False)
    first = app.post("/update", json={"user": "ada"})
    app.store.forget_calls()
    app.post("/update", cookie=session_cookie(first), json={"user": "ada"})
    assert store_writes(app.store) == 0
    app.post("/update", cookie=session_cookie(first), json={"user": "grace"})
    assert store_writes(app.store) == 1


def test_a_nested_key_named_cookie_counts_as_a_change(apps):
    """XS-21: only the *top-level* cookie is excluded from the hash."""
    app = apps(resave=False)
    first = app.post("/update", json={"prefs": {"cookie": "chocolate"}})
    app.store.forget_calls()
    app.post("/update", cookie=session_cookie(first), json={"prefs": {"cookie": "oatmeal"}})
    assert store_writes(app.store) == 1
    assert stored_record(app.store, sid_of(first))["prefs"] == {"cookie": "oatmeal"}


def test_the_sliding_expiry_alone_is_not_a_change(apps, clock):
    """XS-21: the cookie moves on every request (touch) but is not part of the hash."""
    app = apps(resave=False, rolling=True)
    first = app.get("/hits")
    app.store.forget_calls()
    clock.advance(10)
    second = app.get("/read", cookie=session_cookie(first))
    assert expires_in(set_cookie_header(second)) == "Thu, 01 Jan 2026 09:01:10 GMT"
    assert store_writes(app.store) == 0
    assert store_touches(app.store) == 1


# --- XS-22: saveUninitialized ------------------------------------------------------------------
def test_save_uninitialized_false_stores_and_sets_nothing_for_an_untouched_session(apps):
    """XS-22."""
    app = apps(save_uninitialized=False)
    response = app.get("/")
    assert set_cookie_header(response) is None
    assert app.store.calls == []


def test_save_uninitialized_false_stores_a_session_once_it_is_modified(apps):
    """XS-22."""
    app = apps(save_uninitialized=False)
    response = app.get("/hits")
    assert store_writes(app.store) == 1
    assert stored_record(app.store, sid_of(response))["hits"] == 1


def test_save_uninitialized_true_stores_every_new_session(apps):
    """XS-22: the seed's setting: each cookieless visit costs a store write."""
    app = apps(save_uninitialized=True)
    for _ in range(3):
        assert set_cookie_header(app.get("/")) is not None
    assert store_writes(app.store) == 3
    assert run(app.store.length()) == 3


# --- XS-23: resave ------------------------------------------------------------------------------
def test_resave_true_rewrites_an_unmodified_session_on_every_request(apps):
    """XS-23."""
    app = apps(resave=True)
    first = app.get("/hits")
    app.store.forget_calls()
    app.get("/read", cookie=session_cookie(first))
    app.get("/read", cookie=session_cookie(first))
    assert store_writes(app.store) == 2
    assert store_touches(app.store) == 0


def test_resave_false_touches_an_unmodified_session_instead_of_writing_it(apps, clock):
    """XS-23 and XS-46: the stored expiry slides, the data is not rewritten."""
    app = apps(resave=False)
    first = app.get("/hits")
    app.store.forget_calls()
    clock.advance(30)
    app.get("/read", cookie=session_cookie(first))
    assert store_writes(app.store) == 0
    assert calls_to(app.store, "touch") == [sid_of(first)]
    assert stored_record(app.store, sid_of(first))["cookie"]["expires"] == \
        "2026-01-01T09:01:30.000Z"


@pytest.mark.parametrize("kind", ["memory", "fakeredis"])
def test_an_active_but_unmodified_session_outlives_its_first_expiry(apps, clock, kind):
    """XS-23/XS-46: with resave false the store's touch must slide the *stored* expiry too,
    or the load-time expiry check ends an active session after one maxAge."""
    store = MemoryStore() if kind == "memory" else RedisStore(connect_redis(None))
    app = apps(store, resave=False)
    first = app.get("/hits")
    for _ in range(3):
        clock.advance(40)
        assert app.get("/read", cookie=session_cookie(first)).json()["data"] == {"hits": 1}


# --- XS-24 / XS-25: when Set-Cookie is sent -------------------------------------------------------
def test_rolling_resends_the_cookie_with_a_fresh_expiry_for_a_loaded_session(apps, clock):
    """XS-24."""
    app = apps(rolling=True)
    first = app.get("/hits")
    clock.advance(10)
    second = app.get("/read", cookie=session_cookie(first))
    assert expires_in(set_cookie_header(second)) == "Thu, 01 Jan 2026 09:01:10 GMT"
    assert sid_of(second) == sid_of(first)


def test_without_rolling_an_unmodified_loaded_session_gets_no_cookie(apps):
    """XS-24/XS-25."""
    app = apps(rolling=False)
    first = app.get("/hits")
    assert set_cookie_header(app.get("/read", cookie=session_cookie(first))) is None


def test_rolling_never_sets_a_cookie_for_an_uninitialized_session(apps):
    """XS-24: rolling true but saveUninitialized false."""
    app = apps(rolling=True, save_uninitialized=False)
    assert set_cookie_header(app.get("/")) is None
    assert app.store.calls == []


def test_a_modified_loaded_session_with_an_expiry_gets_the_cookie_again(apps):
    """XS-25: loaded session: `rolling || (expires != null && modified)`."""
    app = apps()
    first = app.get("/hits")
    second = app.get("/hits", cookie=session_cookie(first))
    assert sid_of(second) == sid_of(first)


def test_a_browser_session_cookie_is_sent_once_and_never_again(apps):
    """XS-25: no maxAge: Set-Cookie on creation only, not even after a modification."""
    app = apps(cookie=CookieOptions())
    first = app.get("/hits")
    assert set_cookie_header(first) == f"{COOKIE_NAME}={cookie_value(first)}; Path=/; HttpOnly"
    second = app.get("/hits", cookie=session_cookie(first))
    assert second.json() == {"hits": 2}
    assert set_cookie_header(second) is None


# --- XS-29 .. XS-34: cookie attributes ------------------------------------------------------------
def test_default_cookie_is_path_root_httponly_and_nothing_else(apps):
    """XS-29, the naive profile: no Secure, SameSite, Domain or Expires."""
    app = apps(cookie=CookieOptions())
    response = app.get("/")
    assert set_cookie_header(response) == \
        f"{COOKIE_NAME}={cookie_value(response)}; Path=/; HttpOnly"


def test_max_age_is_sent_as_expires_only_now_plus_max_age(apps, clock):
    """XS-30: `Expires = now + maxAge`, never a Max-Age attribute."""
    app = apps()
    response = app.get("/")
    assert set_cookie_header(response) == (
        f"{COOKIE_NAME}={cookie_value(response)}; Path=/; "
        "Expires=Thu, 01 Jan 2026 09:01:00 GMT; HttpOnly")
    assert "Max-Age" not in set_cookie_header(response)
    assert expires_in(set_cookie_header(response)) == http_date(clock.now() + 60)


def test_original_max_age_survives_store_round_trips(apps, clock):
    """XS-32: originalMaxAge stays 60000 while expires slides."""
    app = apps(MemoryStore(), rolling=True)
    response = app.get("/hits")
    sid = sid_of(response)
    for stored_expiry, sent_expiry in [
        ("2026-01-01T09:01:20.000Z", "Thu, 01 Jan 2026 09:01:20 GMT"),
        ("2026-01-01T09:01:40.000Z", "Thu, 01 Jan 2026 09:01:40 GMT"),
        ("2026-01-01T09:02:00.000Z", "Thu, 01 Jan 2026 09:02:00 GMT"),
    ]:
        clock.advance(20)
        response = app.get("/hits", cookie=session_cookie(response))
        stored = stored_record(app.store, sid)["cookie"]
        assert stored["originalMaxAge"] == 60000
        assert stored["expires"] == stored_expiry
        assert expires_in(set_cookie_header(response)) == sent_expiry


@pytest.mark.parametrize(("options", "attributes"), [
    (CookieOptions(same_site="lax"), ["Path=/", "HttpOnly", "SameSite=Lax"]),
    (CookieOptions(same_site="strict"), ["Path=/", "HttpOnly", "SameSite=Strict"]),
    (CookieOptions(same_site="none"), ["Path=/", "HttpOnly", "SameSite=None"]),
    (CookieOptions(http_only=False), ["Path=/"]),
    (CookieOptions(domain="example.com"), ["Domain=example.com", "Path=/", "HttpOnly"]),
])
def test_cookie_attributes_are_serialized_like_jshttp_cookie(apps, options, attributes):
    """XS-34: attribute names and order as jshttp/cookie writes them."""
    app = apps(cookie=options)
    assert cookie_attributes(set_cookie_header(app.get("/"))) == attributes


def test_an_invalid_same_site_is_refused_when_configured():
    with pytest.raises(ValueError, match="same_site"):
        CookieOptions(same_site="sometimes")  # type: ignore[arg-type]


@pytest.mark.parametrize("max_age", ["42", True, lambda: 42])
def test_a_non_number_max_age_is_a_type_error(max_age):
    """XS-30: express throws TypeError for '42', true, or a function."""
    with pytest.raises(TypeError):
        CookieOptions(max_age_seconds=max_age)  # type: ignore[arg-type]


# --- XS-36 / XS-38: secure cookies ---------------------------------------------------------------
def test_a_secure_cookie_is_not_sent_over_plain_http(apps):
    """XS-36: no Set-Cookie at all (express still saves the session, and so do we)."""
    app = apps(cookie=CookieOptions(secure=True))
    response = app.get("/hits")
    assert response.status_code == 200
    assert set_cookie_header(response) is None
    assert store_writes(app.store) == 1


def test_a_secure_cookie_is_sent_over_https(apps):
    app = apps(cookie=CookieOptions(secure=True), base_url="https://testserver")
    response = app.get("/")
    assert cookie_attributes(set_cookie_header(response)) == ["Path=/", "HttpOnly", "Secure"]


@pytest.mark.parametrize(("base_url", "attributes"), [
    ("http://testserver", ["Path=/", "HttpOnly"]),
    ("https://testserver", ["Path=/", "HttpOnly", "Secure"]),
])
def test_secure_auto_follows_the_request_scheme(apps, base_url, attributes):
    """XS-38."""
    app = apps(cookie=CookieOptions(secure="auto"), base_url=base_url)
    assert cookie_attributes(set_cookie_header(app.get("/"))) == attributes


# --- XS-42 / XS-43 and the Session methods ---------------------------------------------------
def test_destroy_like_express_leaves_the_cookie_in_the_browser(apps):
    """XS-42, express-faithful (`expire_cookie_on_destroy=False`): no Set-Cookie."""
    app = apps(expire_cookie_on_destroy=False)
    first = app.get("/hits")
    response = app.post("/destroy", cookie=session_cookie(first))
    assert response.json() == {"destroyed": True}
    assert set_cookie_header(response) is None
    assert stored_record(app.store, sid_of(first)) is None
    stale = app.get("/read", cookie=session_cookie(first))
    assert stale.json()["data"] == {}
    assert stale.json()["sid"] != sid_of(first)


def test_destroy_hardened_also_expires_the_cookie(apps):
    """XS-42, hardened (`expire_cookie_on_destroy=True`, the default): unlike express."""
    app = apps(expire_cookie_on_destroy=True)
    first = app.get("/hits")
    response = app.post("/destroy", cookie=session_cookie(first))
    assert set_cookie_header(response) == \
        f"{COOKIE_NAME}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly"
    assert stored_record(app.store, sid_of(first)) is None


def test_destroy_of_a_brand_new_session_sets_no_cookie(apps):
    app = apps(expire_cookie_on_destroy=True)
    response = app.post("/destroy")
    assert set_cookie_header(response) is None
    assert store_writes(app.store) == 0


def test_regenerate_issues_a_new_id_and_forgets_the_old_one_and_its_data(apps):
    """XS-43: new sid, old sid no longer loads, data not copied."""
    app = apps()
    first = app.get("/hits")
    old_sid = sid_of(first)
    response = app.post("/regenerate", cookie=session_cookie(first))
    new_sid = sid_of(response)
    assert new_sid != old_sid
    assert response.json() == {"sid": new_sid, "data": {}}
    assert stored_record(app.store, old_sid) is None
    assert stored_record(app.store, new_sid) is not None
    replay = app.get("/read", cookie=session_cookie(first))
    assert replay.json()["data"] == {}
    assert replay.json()["sid"] not in (old_sid, new_sid)


def test_reload_replaces_unsaved_changes_with_the_stored_data(apps):
    """XS-44."""
    app = apps()
    first = app.get("/hits")
    response = app.post("/reload", cookie=session_cookie(first))
    assert response.json() == {"sid": sid_of(first), "data": {"hits": 1}}


def test_reload_of_a_session_that_is_gone_raises_key_error():
    """XS-44: express answers `failed to load session`; here a KeyError for the route."""
    config = harness_config(MemoryStore())
    session = Session.generate(config)
    with pytest.raises(KeyError):
        run(session.reload())


def test_save_writes_immediately_and_skips_the_end_of_request_write(apps):
    """XS-45, with saveUninitialized false as well."""
    app = apps(save_uninitialized=False)
    response = app.post("/save")
    sid = sid_of(response)
    assert calls_to(app.store, "set") == [sid]
    assert stored_record(app.store, sid)["saved"] is True


def test_touch_restarts_the_idle_timer(clock):
    """XS-46."""
    session = Session.generate(harness_config(MemoryStore()))
    assert session.cookie.expires == clock.now() + 60
    clock.advance(45)
    session.touch()
    assert session.cookie.expires == clock.now() + 60


# --- hardened: idle and absolute timeouts --------------------------------------------------------
def test_idle_timeout_with_rolling_keeps_an_active_session_and_ends_an_idle_one(apps, clock):
    app = apps(MemoryStore(), rolling=True, resave=False, save_uninitialized=False,
               cookie=CookieOptions(max_age_seconds=600))
    response = app.get("/hits")
    for expected in (2, 3, 4):
        clock.advance(500)  # each gap is shorter than the idle timeout
        response = app.get("/hits", cookie=session_cookie(response))
        assert response.json() == {"hits": expected}
    clock.advance(601)
    assert app.get("/hits", cookie=session_cookie(response)).json() == {"hits": 1}


def test_absolute_timeout_ends_a_session_however_active_it_is(apps, clock):
    """Hardened addition (OWASP): express-session has no absolute timeout."""
    app = apps(MemoryStore(), rolling=True, resave=False, save_uninitialized=False,
               cookie=CookieOptions(max_age_seconds=600), absolute_timeout_seconds=3600)
    started = clock.now()
    response = app.get("/hits")
    cookie = session_cookie(response)
    for minute in range(5, 60, 5):  # a request every five minutes, for 55 minutes
        clock.advance(300)
        response = app.get("/hits", cookie=cookie)
        assert response.json() == {"hits": minute // 5 + 1}
    # the last cookie may not outlive the absolute deadline, however fresh the activity
    assert expires_in(set_cookie_header(response)) == http_date(started + 3600)
    clock.advance(300)
    after = app.get("/hits", cookie=cookie)
    assert after.json() == {"hits": 1}
    assert sid_of(after) != sid_of(response)


# --- hardened: the resurrection race ------------------------------------------------------------
def test_a_slow_request_cannot_resurrect_a_session_destroyed_by_logout():
    """Express's late `store.set` writes a destroyed session back; `only_if_exists` stops it."""
    reached = threading.Event()
    release = asyncio.Event()

    async def slow_update(request: Request) -> JSONResponse:
        session = session_of(request)
        reached.set()
        await asyncio.wait_for(release.wait(), timeout=5)
        session["written_after_logout"] = True
        return JSONResponse(snapshot(session))

    config = harness_config(MemoryStore())
    app = build_app(config, ROUTES + [Route("/slow-update", slow_update)])
    with in_process_client(app) as slow_client, in_process_client(app) as logout_client:
        login = logout_client.get("/hits")
        sid = sid_of(login)
        cookie = session_cookie(login)
        logout_client.cookies.clear()
        outcome: dict[str, Any] = {}
        slow = threading.Thread(target=lambda: outcome.update(
            response=slow_client.get("/slow-update", headers={"cookie": cookie})))
        slow.start()
        try:
            assert reached.wait(timeout=5), "the slow request never reached the route"
            logout = logout_client.post("/destroy", headers={"cookie": cookie})
            assert logout.json() == {"destroyed": True}
        finally:
            background_loop().call_soon_threadsafe(release.set)
            slow.join(timeout=5)
        late = outcome["response"]
        assert late.status_code == 200
        assert set_cookie_header(late) is None
        assert stored_record(config.store, sid) is None
        logout_client.cookies.clear()
        after = logout_client.get("/read", headers={"cookie": cookie})
        assert after.json()["data"] == {}


# --- hardened: the store is down (XS-15 / XS-18 differ on purpose) --------------------------------
def test_a_store_down_when_loading_answers_503_not_500(apps):
    """XS-15: express forwards the error (500); we fail closed with a JSON 503."""
    store = BrokenStore(failing={"get"})
    app = apps(store)
    cookie = f"{COOKIE_NAME}={encode_cookie_value('some-session', KEYBOARD_CAT)}"
    response = app.get("/read", cookie=cookie)
    assert response.status_code == 503
    assert response.json() == STORE_DOWN
    assert set_cookie_header(response) is None


def test_a_store_down_when_saving_answers_503_instead_of_the_route_response(apps):
    """XS-18: express has already sent 200 when store.set fails; we save first, so 503."""
    app = apps(BrokenStore(failing={"set"}))
    response = app.get("/hits")
    assert response.status_code == 503
    assert response.json() == STORE_DOWN
    assert set_cookie_header(response) is None


def test_a_store_down_when_touching_answers_503(apps):
    """XS-18 for `store.touch` (resave false, unmodified session)."""
    store = BrokenStore(failing=set())
    app = apps(store, resave=False)
    first = app.get("/hits")
    store.failing = {"touch"}
    response = app.get("/read", cookie=session_cookie(first))
    assert response.status_code == 503
    assert response.json() == STORE_DOWN
