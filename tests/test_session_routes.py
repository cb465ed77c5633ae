"""The hardened session flow over HTTP: /session/login, /session/me, /session/logout.

The requests here carry the session cookie by hand (`Cookie:` header) rather than through
httpx's cookie jar: the jar drops expired cookies itself, and a timeout test must prove that
the *server* refuses them.
"""

from __future__ import annotations

import socket
from urllib.parse import unquote

import pytest

from authdemo import Secret, create_app, in_process_client, run
from authdemo.redis_client import connect_redis
from authdemo.sessions import MemoryStore, Store, StoreUnavailable
from authdemo.sessions.signing import decode_cookie_value, encode_cookie_value
from authdemo.users import DEMO_PASSWORDS

from session_helpers import set_cookie_named, value_of_set_cookie

COOKIE = "authdemo.sid"
ALICE = {"username": "alice", "password": DEMO_PASSWORDS["alice"][1]}
BOB = {"username": "bob", "password": DEMO_PASSWORDS["bob"][1]}
STORE_DOWN = {"error": "store_unavailable",
              "message": "A backing store is unavailable; try again shortly."}


@pytest.fixture
def store(app):
    return app.state.services.session_store


# --- helpers that read like the situation ------------------------------------------------------


def sid_in(value: str, settings) -> str | None:
    return decode_cookie_value(value, settings.session_secrets)


def with_cookie(value: str, **headers: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE}={value}", **headers}


def log_in(client, who: dict = ALICE, cookie: str | None = None):
    client.cookies.clear()
    response = client.post("/session/login", json=who,
                           headers=with_cookie(cookie) if cookie else {})
    assert response.status_code == 200, response.text
    return response


def me(client, cookie: str):
    client.cookies.clear()
    return client.get("/session/me", headers=with_cookie(cookie))


def log_out(client, cookie: str, csrf: str | None):
    client.cookies.clear()
    headers = with_cookie(cookie, **({"X-CSRF-Token": csrf} if csrf is not None else {}))
    return client.post("/session/logout", headers=headers)


def stored_ids(store: Store) -> list[str]:
    return sorted(run(store.ids()))


def should_be_login_required(response) -> None:
    assert response.status_code == 401
    assert response.json() == {"error": "login_required", "message": "log in first"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- login --------------------------------------------------------------------------------------
class TestLogin:
    def test_login_answers_with_the_user_and_a_csrf_token(self, client):
        body = log_in(client).json()
        assert set(body) == {"message", "username", "csrf_token"}
        assert (body["message"], body["username"]) == ("logged in", "alice")
        assert len(body["csrf_token"]) >= 16

    def test_a_wrong_password_and_an_unknown_user_get_the_identical_401(self, client, store):
        wrong = client.post("/session/login", json={"username": "alice", "password": "nope"})
        unknown = client.post("/session/login", json={"username": "mallory", "password": "nope"})
        for response in (wrong, unknown):
            assert response.status_code == 401
            assert response.json() == {"error": "invalid_credentials",
                                       "message": "wrong username or password"}
            assert set_cookie_named(response, COOKIE) is None
        assert stored_ids(store) == []

    def test_login_stores_exactly_one_session_under_the_cookie_id(self, client, store, settings):
        value = value_of_set_cookie(log_in(client), COOKIE)
        assert stored_ids(store) == [sid_in(value, settings)]

    def test_the_session_cookie_is_httponly_lax_path_root_with_an_expiry(self, client):
        header = set_cookie_named(log_in(client), COOKIE)
        attributes = header.split("; ")[1:]
        assert attributes[0] == "Path=/"
        assert attributes[1].startswith("Expires=") and attributes[1].endswith(" GMT")
        assert attributes[2:] == ["HttpOnly", "SameSite=Lax"]  # no Secure over plain http

    def test_over_https_the_session_cookie_is_secure(self, app):
        with in_process_client(app, base_url="https://testserver") as client:
            header = set_cookie_named(client.post("/session/login", json=ALICE), COOKIE)
        assert header.split("; ")[-3:] == ["HttpOnly", "Secure", "SameSite=Lax"]

    def test_the_cookie_value_is_express_sessions_signed_format(self, client, settings):
        value = value_of_set_cookie(log_in(client), COOKIE)
        assert unquote(value).startswith("s:")
        assert sid_in(value, settings) is not None


class TestSessionFixation:
    def test_an_id_planted_before_login_is_not_the_id_after_login(self, client, store, settings):
        planted = encode_cookie_value("planted-by-the-attacker", settings.session_secrets[0])
        after = value_of_set_cookie(log_in(client, cookie=planted), COOKIE)
        assert sid_in(after, settings) != "planted-by-the-attacker"
        assert "planted-by-the-attacker" not in stored_ids(store)
        should_be_login_required(me(client, planted))

    def test_an_attackers_own_live_session_planted_on_the_victim_is_destroyed_at_login(
            self, client, store, settings):
        attackers = value_of_set_cookie(log_in(client, BOB), COOKIE)
        victims = value_of_set_cookie(log_in(client, ALICE, cookie=attackers), COOKIE)
        assert sid_in(victims, settings) != sid_in(attackers, settings)
        should_be_login_required(me(client, attackers))
        assert me(client, victims).json() == {"username": "alice", "role": "user"}
        assert stored_ids(store) == [sid_in(victims, settings)]


# --- who am I -------------------------------------------------------------------------------------
class TestMe:
    def test_me_returns_the_logged_in_user(self, client):
        value = value_of_set_cookie(log_in(client), COOKIE)
        response = me(client, value)
        assert response.status_code == 200
        assert response.json() == {"username": "alice", "role": "user"}

    def test_me_renews_the_cookie_on_every_response(self, client):
        value = value_of_set_cookie(log_in(client), COOKIE)
        assert value_of_set_cookie(me(client, value), COOKIE) == value  # rolling: same id, fresh Expires

    def test_anonymous_me_is_401_without_a_cookie_or_a_store_entry(self, client, store):
        response = client.get("/session/me")
        should_be_login_required(response)
        assert "set-cookie" not in response.headers
        assert stored_ids(store) == []

    def test_a_cookie_with_a_bad_signature_is_treated_as_no_session(self, client):
        value = value_of_set_cookie(log_in(client), COOKIE)
        forged = value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB")
        response = me(client, forged)
        should_be_login_required(response)
        assert "set-cookie" not in response.headers

    def test_a_live_id_signed_with_another_secret_is_treated_as_no_session(self, client,
                                                                           settings):
        live_sid = sid_in(value_of_set_cookie(log_in(client), COOKIE), settings)
        foreign = encode_cookie_value(live_sid, Secret("another-secret-0123456789abcdef-0123"))
        should_be_login_required(me(client, foreign))


# --- logout ---------------------------------------------------------------------------------------
class TestLogout:
    def test_logout_without_the_csrf_header_is_forbidden_and_keeps_the_session(self, client,
                                                                               store):
        value = value_of_set_cookie(log_in(client), COOKIE)
        response = log_out(client, value, csrf=None)
        assert response.status_code == 403
        assert response.json() == {"error": "csrf_failed",
                                   "message": "missing or wrong x-csrf-token header"}
        assert me(client, value).status_code == 200
        assert len(stored_ids(store)) == 1

    def test_logout_with_a_wrong_csrf_header_is_forbidden(self, client):
        value = value_of_set_cookie(log_in(client), COOKIE)
        assert log_out(client, value, csrf="guessed").status_code == 403

    def test_logout_deletes_the_store_entry_and_expires_the_cookie(self, client, store):
        login = log_in(client)
        value, csrf = value_of_set_cookie(login, COOKIE), login.json()["csrf_token"]
        response = log_out(client, value, csrf)
        assert response.status_code == 200
        assert response.json() == {
            "message": "logged out alice: the session is gone from the store"}
        assert stored_ids(store) == []
        assert set_cookie_named(response, COOKIE) == (
            f"{COOKIE}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax")

    def test_the_old_cookie_replayed_after_logout_is_refused(self, client, store):
        login = log_in(client)
        value = value_of_set_cookie(login, COOKIE)
        log_out(client, value, login.json()["csrf_token"])
        replay = me(client, value)
        should_be_login_required(replay)
        assert "set-cookie" not in replay.headers
        assert stored_ids(store) == []

    def test_anonymous_logout_asks_for_a_login_before_checking_csrf(self, client):
        response = client.post("/session/logout", headers={"X-CSRF-Token": "x"})
        assert response.status_code == 401
        assert response.json()["error"] == "login_required"


# --- timeouts -------------------------------------------------------------------------------------
@pytest.fixture
def short_lived_app(settings, users, clock):
    """Idle timeout 10 minutes, absolute timeout 30 minutes, on the frozen clock."""
    return create_app(settings.replace(session_idle_timeout_seconds=600,
                                       session_absolute_timeout_seconds=1800, clock=clock),
                      users=users)


@pytest.fixture
def short_lived_client(short_lived_app):
    with in_process_client(short_lived_app) as client:
        yield client


class TestTimeouts:
    def test_a_session_is_alive_just_before_its_idle_timeout(self, short_lived_client, clock):
        value = value_of_set_cookie(log_in(short_lived_client), COOKIE)
        clock.advance(599)
        assert me(short_lived_client, value).status_code == 200

    def test_a_session_idle_past_its_timeout_is_gone(self, short_lived_client, clock):
        value = value_of_set_cookie(log_in(short_lived_client), COOKIE)
        clock.advance(601)
        should_be_login_required(me(short_lived_client, value))

    def test_activity_renews_the_idle_timeout(self, short_lived_client, clock):
        value = value_of_set_cookie(log_in(short_lived_client), COOKIE)
        for _ in range(3):  # 3 x 500 s = 25 minutes, more than the 10-minute idle timeout
            clock.advance(500)
            assert me(short_lived_client, value).status_code == 200

    def test_the_absolute_timeout_ends_even_an_active_session(self, short_lived_client, clock):
        value = value_of_set_cookie(log_in(short_lived_client), COOKIE)
        for _ in range(3):
            clock.advance(500)
            assert me(short_lived_client, value).status_code == 200
        clock.advance(250)  # t = 1750 s: idle only 250 s, still inside both limits
        assert me(short_lived_client, value).status_code == 200
        clock.advance(60)  # t = 1810 s: idle only 60 s, but past the 30-minute cap
        should_be_login_required(me(short_lived_client, value))

    def test_the_cookie_expiry_never_goes_past_the_absolute_deadline(self, short_lived_client,
                                                                     clock):
        value = value_of_set_cookie(log_in(short_lived_client), COOKIE)  # at 09:00:00, the clock's start
        for _ in range(3):
            clock.advance(500)
            response = me(short_lived_client, value)
        assert "; Expires=Thu, 01 Jan 2026 09:30:00 GMT;" in set_cookie_named(response, COOKIE)


# --- a store that is down fails closed ------------------------------------------------------------
class StoreThatIsDown(Store):
    """Every call fails the way an unreachable store does."""

    async def get(self, sid):
        raise StoreUnavailable("down")

    async def set(self, sid, record, *, only_if_exists=False):
        raise StoreUnavailable("down")

    async def destroy(self, sid):
        raise StoreUnavailable("down")


@pytest.fixture
def down_redis():
    """A real redis-py client pointed at a loopback port where nothing listens."""
    return connect_redis(f"redis://127.0.0.1:{free_port()}/0", timeout_seconds=0.5)


class TestStoreDown:
    def test_session_login_with_the_store_down_is_a_503(self, settings, users):
        app = create_app(settings, users=users, session_store=StoreThatIsDown())
        with in_process_client(app) as client:
            response = client.post("/session/login", json=ALICE)
        assert response.status_code == 503
        assert response.json() == STORE_DOWN

    def test_a_session_cookie_that_cannot_be_checked_is_a_503(self, settings, users):
        app = create_app(settings, users=users, session_store=StoreThatIsDown())
        cookie = encode_cookie_value("some-session-id", settings.session_secrets[0])
        with in_process_client(app) as client:
            response = client.get("/session/me", headers=with_cookie(cookie))
        assert response.status_code == 503
        assert response.json() == {"error": "store_unavailable",
                                   "message": "The session store is unavailable; "
                                              "try again shortly."}

    def test_a_redis_store_on_a_closed_port_is_a_503(self, settings, users, down_redis):
        app = create_app(settings, users=users, redis=down_redis)
        with in_process_client(app) as client:
            response = client.post("/session/login", json=ALICE)
        assert response.status_code == 503
        assert response.json() == STORE_DOWN

    def test_the_jwt_denylist_with_redis_down_fails_closed(self, settings, users, client,
                                                           down_redis):
        good = client.post("/jwt/login", json=ALICE).json()["access_token"]  # a healthy twin
        app = create_app(settings, users=users, redis=down_redis, session_store=MemoryStore())
        with in_process_client(app) as down_client:
            response = down_client.get("/jwt/me", headers={"Authorization": f"Bearer {good}"})
            login = down_client.post("/jwt/login", json=ALICE)
        assert response.status_code == 503
        assert response.json() == STORE_DOWN
        assert login.status_code == 503
        assert login.json() == STORE_DOWN
