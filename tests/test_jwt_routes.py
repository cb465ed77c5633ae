"""The hardened JWT flow over HTTP: /jwt/login, /jwt/me, /jwt/refresh, /jwt/logout."""

from __future__ import annotations

import base64
import json

import jwt
import pytest

from authdemo import run
from authdemo.users import DEMO_PASSWORDS

ALICE = {"username": "alice", "password": DEMO_PASSWORDS["alice"][1]}
REALM_ONLY = 'Bearer realm="authdemo"'


# --- helpers that read like the situation ------------------------------------------------------
def log_in(client, **extra) -> dict:
    response = client.post("/jwt/login", json={**ALICE, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def me(client, token: str):
    return client.get("/jwt/me", headers=bearer(token))


def refresh(client, refresh_token: str):
    return client.post("/jwt/refresh", json={"refresh_token": refresh_token})


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def challenge(description: str) -> str:
    return (f'Bearer realm="authdemo", error="invalid_token", '
            f'error_description="{description}"')


def assert_invalid_token(response, description: str) -> None:
    """RFC 6750's answer: 401, our JSON shape, and the challenge naming what was wrong."""
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token", "message": description}
    assert response.headers["www-authenticate"] == challenge(description)


def set_cookies(response) -> dict[str, str]:
    """Set-Cookie headers by cookie name."""
    return {header.split("=", 1)[0]: header for header in response.headers.get_list("set-cookie")}


# --- login ------------------------------------------------------------------------------------
class TestLogin:
    def test_login_answers_with_an_access_token_a_refresh_token_and_the_lifetime(self, client):
        response = client.post("/jwt/login", json=ALICE)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
        assert (body["token_type"], body["expires_in"]) == ("bearer", 900)
        assert claims_of(body["access_token"])["token_use"] == "access"
        assert claims_of(body["refresh_token"])["token_use"] == "refresh"
        assert claims_of(body["access_token"])["sub"] == "alice"

    def test_login_in_body_mode_sets_no_token_cookies(self, client):
        response = client.post("/jwt/login", json=ALICE)
        assert "authdemo_access" not in set_cookies(response)
        assert "authdemo_refresh" not in set_cookies(response)

    def test_a_wrong_password_and_an_unknown_user_get_the_identical_401(self, client):
        wrong_password = client.post("/jwt/login", json={"username": "alice", "password": "nope"})
        unknown_user = client.post("/jwt/login", json={"username": "mallory", "password": "nope"})
        for response in (wrong_password, unknown_user):
            assert response.status_code == 401
            assert response.json() == {"error": "invalid_credentials",
                                       "message": "wrong username or password"}
        assert wrong_password.content == unknown_user.content
        assert wrong_password.headers.get("www-authenticate") == unknown_user.headers.get(
            "www-authenticate")

    def test_another_users_password_does_not_log_you_in(self, client):
        response = client.post("/jwt/login", json={"username": "alice",
                                                   "password": DEMO_PASSWORDS["bob"][1]})
        assert response.status_code == 401


# --- presenting the access token ----------------------------------------------------------------
class TestPresentingTheToken:
    def test_me_with_a_bearer_token_returns_the_user(self, client):
        tokens = log_in(client)
        response = me(client, tokens["access_token"])
        assert response.status_code == 200
        assert response.json() == {"username": "alice", "role": "user",
                                   "expires_at": claims_of(tokens["access_token"])["exp"]}

    def test_the_scheme_name_is_case_insensitive(self, client):
        token = log_in(client)["access_token"]
        response = client.get("/jwt/me", headers={"Authorization": f"bearer {token}"})
        assert response.status_code == 200
        assert response.json()["username"] == "alice"

    def test_no_authorization_header_is_a_missing_token(self, client):
        response = client.get("/jwt/me")
        assert response.status_code == 401
        assert response.json() == {"error": "missing_token", "message": "no access token was sent"}
        assert response.headers["www-authenticate"] == REALM_ONLY

    def test_the_raw_token_without_bearer_is_refused(self, client):
        token = log_in(client)["access_token"]
        response = client.get("/jwt/me", headers={"Authorization": token})
        assert_invalid_token(response, "use: Authorization: Bearer <token>")

    @pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Bearer    ", "Basic YWxpY2U6eA==",
                                        "Token abc"])
    def test_an_empty_or_other_scheme_is_refused(self, client, header):
        response = client.get("/jwt/me", headers={"Authorization": header})
        assert_invalid_token(response, "use: Authorization: Bearer <token>")

    def test_a_tampered_token_is_a_bad_signature(self, client):
        header, payload, signature = log_in(client)["access_token"].split(".")
        claims = {**claims_of(f"{header}.{payload}.{signature}"), "role": "admin", "sub": "carol"}
        forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        assert_invalid_token(me(client, f"{header}.{forged_payload}.{signature}"), "bad signature")

    def test_garbage_is_a_malformed_token(self, client):
        assert_invalid_token(me(client, "not-a-jwt"), "malformed token")

    def test_an_expired_token_is_refused(self, client, clock):
        token = log_in(client)["access_token"]
        clock.advance(900 + 60)
        assert_invalid_token(me(client, token), "token expired")

    def test_a_token_is_still_good_a_second_before_it_expires(self, client, clock):
        token = log_in(client)["access_token"]
        clock.advance(899)
        assert me(client, token).status_code == 200

    def test_a_refresh_token_cannot_be_used_as_an_access_token(self, client):
        refresh_token = log_in(client)["refresh_token"]
        assert_invalid_token(me(client, refresh_token), "not an access token")


# --- logout and the denylist ----------------------------------------------------------------------
class TestLogout:
    def test_after_logout_the_same_token_is_revoked(self, client):
        token = log_in(client)["access_token"]
        response = client.post("/jwt/logout", headers=bearer(token))
        assert response.status_code == 200
        assert response.json() == {
            "message": "logged out: this token and its refresh tokens are revoked"}
        assert_invalid_token(me(client, token), "token revoked")

    def test_logout_also_ends_the_refresh_token_of_that_login(self, client):
        tokens = log_in(client)
        client.post("/jwt/logout", headers=bearer(tokens["access_token"]))
        assert_invalid_token(refresh(client, tokens["refresh_token"]),
                             "refresh token reused or revoked; the whole login is revoked")

    def test_logout_leaves_other_logins_of_the_same_user_alone(self, client):
        first, second = log_in(client), log_in(client)
        client.post("/jwt/logout", headers=bearer(first["access_token"]))
        assert me(client, second["access_token"]).status_code == 200

    def test_the_denylist_entry_lives_as_long_as_the_token_would_have(self, app, client, clock):
        token = log_in(client)["access_token"]
        clock.advance(300)
        client.post("/jwt/logout", headers=bearer(token))
        redis = app.state.services.redis
        key = "denylist:" + claims_of(token)["jti"]
        assert run(redis.get(key)) in (b"1", "1")
        remaining = claims_of(token)["exp"] - clock.now()
        assert remaining == 600
        assert abs(run(redis.ttl(key)) - remaining) <= 1

    def test_the_denylist_is_keyed_by_the_token_id_not_its_bytes(self, app, client):
        token = log_in(client)["access_token"]
        client.post("/jwt/logout", headers=bearer(token))
        keys = run(app.state.services.redis.keys("denylist:*"))
        assert [k.decode() if isinstance(k, bytes) else k for k in keys] == [
            "denylist:" + claims_of(token)["jti"]]

    def test_logout_without_a_token_is_a_missing_token(self, client):
        response = client.post("/jwt/logout")
        assert response.status_code == 401
        assert response.json()["error"] == "missing_token"


# --- refresh rotation and reuse detection --------------------------------------------------------
class TestRefresh:
    def test_refresh_gives_a_new_pair(self, client):
        first = log_in(client)
        response = refresh(client, first["refresh_token"])
        assert response.status_code == 200
        second = response.json()
        assert set(second) == {"access_token", "token_type", "expires_in", "refresh_token"}
        assert second["access_token"] != first["access_token"]
        assert second["refresh_token"] != first["refresh_token"]
        assert claims_of(second["refresh_token"])["fam"] == claims_of(first["refresh_token"])["fam"]
        assert me(client, second["access_token"]).json()["username"] == "alice"

    def test_the_new_refresh_token_can_itself_be_rotated(self, client):
        first = log_in(client)
        second = refresh(client, first["refresh_token"]).json()
        assert refresh(client, second["refresh_token"]).status_code == 200

    def test_reusing_a_spent_refresh_token_revokes_the_whole_family(self, client):
        first = log_in(client)
        second = refresh(client, first["refresh_token"]).json()

        reuse = refresh(client, first["refresh_token"])  # a thief replays the old one
        assert_invalid_token(reuse, "refresh token reused or revoked; the whole login is revoked")

        assert_invalid_token(refresh(client, second["refresh_token"]),
                             "refresh token reused or revoked; the whole login is revoked")
        assert_invalid_token(me(client, second["access_token"]), "login revoked")
        assert_invalid_token(me(client, first["access_token"]), "login revoked")

    def test_reuse_in_one_login_leaves_another_login_alone(self, client):
        victim, other = log_in(client), log_in(client)
        refresh(client, victim["refresh_token"])
        refresh(client, victim["refresh_token"])
        assert me(client, other["access_token"]).status_code == 200

    def test_an_access_token_cannot_be_used_to_refresh(self, client):
        assert_invalid_token(refresh(client, log_in(client)["access_token"]), "not a refresh token")

    def test_refresh_with_nothing_sent_is_refused(self, client):
        assert_invalid_token(client.post("/jwt/refresh"), "no refresh token was sent")

    def test_refresh_with_garbage_is_a_malformed_token(self, client):
        assert_invalid_token(refresh(client, "garbage"), "malformed token")


# --- cookie mode ---------------------------------------------------------------------------------
class TestCookieMode:
    def test_cookie_login_sets_httponly_strict_cookies_and_no_tokens_in_the_body(self, client):
        response = client.post("/jwt/login", json={**ALICE, "delivery": "cookie"})
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"token_type", "expires_in", "csrf_token"}
        assert (body["token_type"], body["expires_in"]) == ("cookie", 900)
        cookies = set_cookies(response)
        access, refresh_cookie = cookies["authdemo_access"], cookies["authdemo_refresh"]
        for header in (access, refresh_cookie):
            assert "; HttpOnly" in header
            assert "; SameSite=strict" in header
            assert "Secure" not in header  # plain http test server
        assert "; Path=/jwt;" in access + ";"
        assert "; Max-Age=900" in access
        assert "; Path=/jwt/refresh" in refresh_cookie
        assert "access_token" not in body and "refresh_token" not in body

    def test_cookie_login_over_https_marks_the_cookies_secure(self, app):
        from authdemo import in_process_client
        with in_process_client(app, base_url="https://testserver") as client:
            response = client.post("/jwt/login", json={**ALICE, "delivery": "cookie"})
        for name in ("authdemo_access", "authdemo_refresh"):
            assert "; Secure" in set_cookies(response)[name]

    def test_me_works_by_cookie_alone(self, client):
        log_in(client, delivery="cookie")
        response = client.get("/jwt/me")
        assert response.status_code == 200
        assert response.json()["username"] == "alice"

    def test_logout_by_cookie_without_the_csrf_header_is_forbidden(self, client):
        log_in(client, delivery="cookie")
        response = client.post("/jwt/logout")
        assert response.status_code == 403
        assert response.json() == {"error": "csrf_failed",
                                   "message": "missing or wrong x-csrf-token header"}
        assert client.get("/jwt/me").status_code == 200  # nothing was revoked

    def test_logout_by_cookie_with_a_wrong_csrf_header_is_forbidden(self, client):
        log_in(client, delivery="cookie")
        response = client.post("/jwt/logout", headers={"X-CSRF-Token": "guessed"})
        assert response.status_code == 403
        assert response.json()["error"] == "csrf_failed"

    def test_logout_by_cookie_with_the_csrf_header_revokes_and_clears_the_cookies(self, client):
        csrf = log_in(client, delivery="cookie")["csrf_token"]
        access_cookie = client.cookies.get("authdemo_access")
        response = client.post("/jwt/logout", headers={"X-CSRF-Token": csrf})
        assert response.status_code == 200
        cookies = set_cookies(response)
        assert cookies["authdemo_access"].startswith('authdemo_access=""; ')
        assert "Max-Age=0" in cookies["authdemo_access"]
        assert "Max-Age=0" in cookies["authdemo_refresh"]
        replay = client.get("/jwt/me", headers=bearer(access_cookie))
        assert_invalid_token(replay, "token revoked")

    def test_cookie_refresh_without_the_csrf_header_is_forbidden(self, client):
        log_in(client, delivery="cookie")
        response = client.post("/jwt/refresh")
        assert response.status_code == 403
        assert response.json()["error"] == "csrf_failed"

    def test_cookie_refresh_with_the_csrf_header_rotates_the_cookies(self, client):
        csrf = log_in(client, delivery="cookie")["csrf_token"]
        old_access = client.cookies.get("authdemo_access")
        response = client.post("/jwt/refresh", headers={"X-CSRF-Token": csrf})
        assert response.status_code == 200
        assert response.json() == {"token_type": "cookie", "expires_in": 900, "csrf_token": csrf}
        cookies = set_cookies(response)
        assert not cookies["authdemo_access"].startswith(f"authdemo_access={old_access};")
        assert client.get("/jwt/me").status_code == 200

    def test_a_bearer_header_wins_over_the_cookie_and_needs_no_csrf(self, client):
        body_tokens = log_in(client)
        log_in(client, delivery="cookie")
        cookie_login_token = client.cookies.get("authdemo_access")
        response = client.post("/jwt/logout", headers=bearer(body_tokens["access_token"]))
        assert response.status_code == 200
        assert_invalid_token(me(client, body_tokens["access_token"]), "token revoked")
        assert me(client, cookie_login_token).status_code == 200  # the cookie login lives on
