"""The blog post's code, ported literally: each flaw, shown the way it really behaves.

These tests pass *because* the seed port is vulnerable. If one of them fails, the port
no longer shows what the blog post's code does, and the notebooks that attack it lie.
"""

from __future__ import annotations

import jwt
import pytest

from authdemo import Secret, create_vulnerable_seed_app, in_process_client, run
from authdemo.redis_client import connect_redis
from authdemo.sessions import MemoryStore, RedisStore
from authdemo.sessions.signing import decode_cookie_value, encode_cookie_value
from authdemo.vulnerable_seed import SEED_SECRET

from session_helpers import set_cookie_named, value_of_set_cookie

COOKIE = "connect.sid"
TOKEN_REQUIRED = {"message": "토큰이 필요합니다."}  # "a token is required"
TOKEN_INVALID = {"message": "토큰이 유효하지 않습니다."}  # "the token is invalid"
LOGIN_REQUIRED = {"message": "로그인이 필요합니다."}  # "login required"
LOGIN_OK = {"message": "로그인 성공"}  # "login succeeded"

pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


@pytest.fixture(params=["MemoryStore", "RedisStore-on-fakeredis"])
def store(request):
    """The seed's default MemoryStore, and connect-redis on a fake Redis."""
    if request.param == "MemoryStore":
        return MemoryStore()
    return RedisStore(connect_redis(None))


@pytest.fixture
def seed(store):
    return create_vulnerable_seed_app(store=store)


@pytest.fixture
def client(seed):
    with in_process_client(seed) as c:
        yield c


# --- helpers that read like the situation -------------------------------------------------------
def seed_token(client, username: str = "alice") -> str:
    response = client.post("/jwt/login", json={"username": username})
    assert response.status_code == 200
    return response.json()["token"]


def protected_with(client, authorization: str | None):
    headers = {} if authorization is None else {"Authorization": authorization}
    return client.get("/jwt/protected", headers=headers)


def as_visitor(client, cookie: str | None = None) -> dict[str, str]:
    """Headers of a browser holding `cookie` (or none); httpx's own jar is emptied first."""
    client.cookies.clear()
    return {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}


def stored_sessions(store) -> int:
    return run(store.length())


# --- section 1: the JWT snippet -----------------------------------------------------------------
class TestSeedJwt:
    @pytest.fixture
    def client(self):
        """The seed exactly as `create_vulnerable_seed_app()` builds it (MemoryStore)."""
        with in_process_client(create_vulnerable_seed_app()) as c:
            yield c

    def test_the_raw_token_without_bearer_is_accepted(self, client):
        response = protected_with(client, seed_token(client, "alice"))
        assert response.status_code == 200
        assert response.json() == {"user": "alice"}

    def test_the_standard_bearer_scheme_is_refused_because_the_seed_does_not_strip_it(
            self, client):
        response = protected_with(client, "Bearer " + seed_token(client))
        assert response.status_code == 401
        assert response.json() == TOKEN_INVALID

    @pytest.mark.parametrize("authorization", [None, ""])
    def test_no_token_is_403_not_401(self, client, authorization):
        response = protected_with(client, authorization)
        assert response.status_code == 403
        assert response.json() == TOKEN_REQUIRED
        assert "www-authenticate" not in response.headers

    def test_garbage_is_401_with_the_korean_message(self, client):
        response = protected_with(client, "garbage")
        assert (response.status_code, response.json()) == (401, TOKEN_INVALID)

    def test_login_needs_no_password_so_anyone_can_be_anyone(self, client):
        token = seed_token(client, "carol")  # no password was sent
        assert jwt.decode(token, SEED_SECRET, algorithms=["HS256"])["username"] == "carol"
        assert protected_with(client, token).json() == {"user": "carol"}

    def test_login_with_an_empty_body_still_issues_a_working_token(self, client):
        response = client.post("/jwt/login", json={})
        assert response.status_code == 200
        assert protected_with(client, response.json()["token"]).json() == {"user": None}

    def test_the_token_carries_only_username_iat_and_a_one_hour_exp(self, client):
        claims = jwt.decode(seed_token(client), SEED_SECRET, algorithms=["HS256"])
        assert set(claims) == {"username", "iat", "exp"}
        assert claims["exp"] - claims["iat"] == 3600

    def test_a_token_forged_with_your_secret_key_is_accepted(self, client):
        assert SEED_SECRET == "your_secret_key"
        forged = jwt.encode({"username": "ceo"}, "your_secret_key", algorithm="HS256")
        response = protected_with(client, forged)  # no exp, no iat: still good, forever
        assert (response.status_code, response.json()) == (200, {"user": "ceo"})

    def test_the_token_chooses_its_own_hmac_algorithm(self, client):
        forged = jwt.encode({"username": "ceo"}, "your_secret_key", algorithm="HS512")
        assert protected_with(client, forged).json() == {"user": "ceo"}

    def test_a_token_signed_with_another_key_is_refused(self, client):
        response = protected_with(client, jwt.encode({"username": "ceo"}, "x" * 40,
                                                     algorithm="HS256"))
        assert (response.status_code, response.json()) == (401, TOKEN_INVALID)

    def test_an_expired_seed_token_is_refused(self, client, clock):
        token = seed_token(client)
        clock.advance(3601)
        assert protected_with(client, token).json() == TOKEN_INVALID

    def test_the_jwt_still_works_after_logout(self, client):
        token = seed_token(client, "alice")
        client.post("/session/login", json={"username": "alice"})
        assert client.post("/session/logout").json() == {"ok": True}
        assert protected_with(client, token).json() == {"user": "alice"}
        assert client.post("/jwt/logout", headers={"Authorization": token}).status_code == 404


# --- section 2: the express-session snippet ------------------------------------------------------
class TestSeedSession:
    def test_every_anonymous_visit_creates_a_stored_session(self, client, store):
        visits = 5
        for _ in range(visits):
            response = client.get("/hello", headers=as_visitor(client))
            assert response.json() == {"hello": "world"}
            assert set_cookie_named(response, COOKIE) is not None
        assert stored_sessions(store) == visits

    def test_an_anonymous_protected_request_is_401_and_still_stores_a_session(self, client,
                                                                              store):
        response = client.get("/session/protected", headers=as_visitor(client))
        assert (response.status_code, response.json()) == (401, LOGIN_REQUIRED)
        assert set_cookie_named(response, COOKIE) is not None
        assert stored_sessions(store) == 1

    def test_the_cookie_has_no_secure_no_samesite_and_no_expiry(self, client):
        header = set_cookie_named(client.get("/hello", headers=as_visitor(client)), COOKIE)
        assert header == f"{COOKIE}={header.split(';')[0].split('=', 1)[1]}; Path=/; HttpOnly"

    def test_even_over_https_the_cookie_is_not_secure(self, seed):
        with in_process_client(seed, base_url="https://testserver") as client:
            header = set_cookie_named(client.get("/hello"), COOKIE)
        assert header.endswith("; Path=/; HttpOnly")
        assert "Secure" not in header and "SameSite" not in header

    def test_login_needs_no_password(self, client):
        cookie = value_of_set_cookie(client.post("/session/login", json={"username": "carol"},
                                          headers=as_visitor(client)), COOKIE)
        response = client.get("/session/protected", headers=as_visitor(client, cookie))
        assert (response.status_code, response.json()) == (200, {"user": "carol"})

    def test_session_fixation_a_planted_id_is_the_same_id_after_login(self, client, store):
        planted = value_of_set_cookie(client.get("/hello", headers=as_visitor(client)), COOKIE)  # attacker
        login = client.post("/session/login", json={"username": "alice"},
                            headers=as_visitor(client, planted))  # the victim, planted cookie
        assert login.json() == LOGIN_OK
        assert set_cookie_named(login, COOKIE) is None  # same id: nothing new to set
        stolen = client.get("/session/protected", headers=as_visitor(client, planted))
        assert (stolen.status_code, stolen.json()) == (200, {"user": "alice"})
        assert stored_sessions(store) == 1

    def test_logout_sends_no_set_cookie_and_the_browser_keeps_the_dead_cookie(self, client,
                                                                              store):
        cookie = value_of_set_cookie(client.post("/session/login", json={"username": "alice"},
                                          headers=as_visitor(client)), COOKIE)
        logout = client.post("/session/logout", headers=as_visitor(client, cookie))
        assert (logout.status_code, logout.json()) == (200, {"ok": True})
        assert "set-cookie" not in logout.headers
        assert stored_sessions(store) == 0

    def test_the_old_cookie_after_logout_is_401_and_a_fresh_session(self, client, store):
        cookie = value_of_set_cookie(client.post("/session/login", json={"username": "alice"},
                                          headers=as_visitor(client)), COOKIE)
        client.post("/session/logout", headers=as_visitor(client, cookie))
        replay = client.get("/session/protected", headers=as_visitor(client, cookie))
        assert (replay.status_code, replay.json()) == (401, LOGIN_REQUIRED)
        assert value_of_set_cookie(replay, COOKIE) != cookie
        assert stored_sessions(store) == 1

    def test_logout_needs_no_csrf_token(self, client):
        cookie = value_of_set_cookie(client.post("/session/login", json={"username": "alice"},
                                          headers=as_visitor(client)), COOKIE)
        assert client.post("/session/logout", headers=as_visitor(client, cookie)).json() == {
            "ok": True}

    def test_anyone_who_knows_your_secret_key_can_sign_a_cookie_for_a_live_session(
            self, client):
        real = value_of_set_cookie(client.post("/session/login", json={"username": "alice"},
                                        headers=as_visitor(client)), COOKIE)
        sid = decode_cookie_value(real, (Secret(SEED_SECRET),))
        minted = encode_cookie_value(sid, Secret("your_secret_key"))
        response = client.get("/session/protected", headers=as_visitor(client, minted))
        assert response.json() == {"user": "alice"}

    def test_broken_json_is_a_400_json_error(self, client):
        response = client.post("/session/login", content=b"{not json",
                               headers={"content-type": "application/json"})
        assert response.status_code == 400
        assert response.json() == {"error": "invalid_json", "message": "the body is not valid JSON"}
