"""The architectures of notebook 04, one key property each, and the decision helper.

Grouped by architecture; every test is named after the situation it checks.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from urllib.parse import unquote

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from authdemo import Secret, Settings, in_process_client, serve
from authdemo.architectures import bff, spa_api, ssr_app
from authdemo.architectures.decision import (EVIDENCE, SEED_SCENARIOS, Requirements,
                                             recommend)
from authdemo.architectures.oauth_like import (AUTH_SERVER_URL, JWKS_PATH, AccessTokenVerifier,
                                               Client, JwksKeySource, SigningKey, TokenIssuer,
                                               create_authorization_server, create_jwks_app,
                                               create_resource_server, demo_signing_key,
                                               holds_only_public_keys)
from authdemo.sessions.signing import decode_cookie_value
from authdemo.teaching import SeededIds
from authdemo.users import DEMO_PASSWORDS
from tests.conftest import JWT_SECRET, SESSION_SECRET

ROOT = Path(__file__).resolve().parents[1]
ALICE = {"username": "alice", "password": DEMO_PASSWORDS["alice"][1]}
ORDERS, BILLING = "http://orders.internal", "http://billing.internal"
JOB_SECRET = "reports-job-secret-0123456789abcdef-0123"


@pytest.fixture
def settings(clock) -> Settings:
    return Settings(jwt_secret=JWT_SECRET, session_secrets=(SESSION_SECRET,),
                    session_store="memory", access_token_ttl_seconds=300, clock=clock,
                    new_id=SeededIds(1))


def preflight(client: httpx.Client, origin: str) -> httpx.Response:
    return client.options("/jwt/me", headers={
        "Origin": origin, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})


# --- SPA + REST API ------------------------------------------------------------------------------
@pytest.fixture
def api_client(settings, users):
    return in_process_client(spa_api.create_api_app(settings, users=users),
                             base_url=spa_api.API_ORIGIN)


def test_preflight_from_an_origin_not_allowed_gets_no_allow_origin(api_client):
    response = preflight(api_client, "https://evil.example")
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


def test_preflight_from_the_spa_origin_is_allowed(api_client):
    response = preflight(api_client, spa_api.SPA_ORIGIN)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == spa_api.SPA_ORIGIN
    assert "access-control-allow-credentials" not in response.headers
    assert "authorization" in response.headers["access-control-allow-headers"]


def test_an_api_without_cors_breaks_its_own_spa(settings, users):
    client = in_process_client(spa_api.create_api_app(settings, users=users,
                                                      allowed_origins=None))
    response = preflight(client, spa_api.SPA_ORIGIN)
    assert response.status_code == 405
    assert "access-control-allow-origin" not in response.headers


def test_the_wildcard_with_credentials_misconfiguration_echoes_any_origin(settings, users):
    """Why the notebook says "exact origins only": Starlette then reflects every origin."""
    from fastapi.middleware.cors import CORSMiddleware

    app = spa_api.create_api_app(settings, users=users, allowed_origins=None)
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True,
                       allow_methods=["GET"], allow_headers=["authorization"])
    response = preflight(in_process_client(app), "https://evil.example")
    assert response.headers["access-control-allow-origin"] == "https://evil.example"
    assert response.headers["access-control-allow-credentials"] == "true"


def test_a_simple_request_from_another_origin_is_answered_but_not_shared(api_client):
    tokens = api_client.post("/jwt/login", json=ALICE).json()
    response = api_client.get("/jwt/me", headers={
        "Origin": "https://evil.example", "Authorization": f"Bearer {tokens['access_token']}"})
    assert response.status_code == 200  # CORS is enforced by the browser, not the server
    assert "access-control-allow-origin" not in response.headers


def test_expired_access_token_is_refreshed_once_and_reuse_revokes_the_login(api_client, clock):
    tokens = api_client.post("/jwt/login", json=ALICE).json()
    clock.advance(300 + 6)  # past exp and the 5 s leeway
    me = api_client.get("/jwt/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 401 and me.json()["message"] == "token expired"
    first = api_client.post("/jwt/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert first.status_code == 200
    assert first.json()["refresh_token"] != tokens["refresh_token"]
    replay = api_client.post("/jwt/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert replay.status_code == 401
    after = api_client.post("/jwt/refresh", json={"refresh_token": first.json()["refresh_token"]})
    assert after.status_code == 401  # the whole family was revoked


def test_spa_page_keeps_tokens_in_memory_and_may_only_talk_to_its_api():
    response = in_process_client(spa_api.create_spa_app()).get("/")
    assert spa_api.API_ORIGIN in response.text
    assert "localStorage" not in response.text and "document.cookie" not in response.text
    assert f"connect-src {spa_api.API_ORIGIN}" in response.headers["content-security-policy"]


# --- server-rendered app -------------------------------------------------------------------------
@pytest.fixture
def ssr(settings, users):
    return ssr_app.create_ssr_app(settings, users=users)


@pytest.fixture
def browser(ssr):
    return in_process_client(ssr, follow_redirects=True)


def csrf_in(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "expected a csrf_token field in the form"
    return match.group(1)


def log_in(browser: httpx.Client) -> httpx.Response:
    form = browser.get("/login").text
    return browser.post("/login", data={**ALICE, "csrf_token": csrf_in(form)})


def test_anonymous_home_redirects_to_the_login_form(browser):
    response = browser.get("/")
    assert [r.status_code for r in response.history] == [303]
    assert response.url.path == "/login" and 'name="csrf_token"' in response.text


def test_login_redirects_with_303_and_the_cookie_carries_the_session(browser, settings):
    response = log_in(browser)
    assert [(r.request.method, r.status_code) for r in response.history] == [("POST", 303)]
    assert response.request.method == "GET" and response.url.path == "/"
    assert "Hello, alice" in response.text
    set_cookie = response.history[0].headers["set-cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    sid = decode_cookie_value(unquote(browser.cookies["authdemo.sid"]), settings.session_secrets)
    assert sid is not None


def test_login_regenerates_the_session_id(browser):
    browser.get("/login")
    before = browser.cookies["authdemo.sid"]
    log_in(browser)
    assert browser.cookies["authdemo.sid"] != before


@pytest.mark.parametrize("path", ["/login", "/logout"])
def test_a_form_post_without_the_csrf_token_is_refused(browser, path):
    log_in(browser) if path == "/logout" else browser.get("/login")
    response = browser.post(path, data=ALICE)
    assert response.status_code == 403 and response.json()["error"] == "csrf_failed"


def test_a_form_post_with_another_sessions_token_is_refused(ssr, browser):
    log_in(browser)
    attacker = in_process_client(ssr, follow_redirects=True)
    stolen_from_own_page = csrf_in(attacker.get("/login").text)
    response = browser.post("/logout", data={"csrf_token": stolen_from_own_page})
    assert response.status_code == 403


def test_wrong_password_shows_the_form_again_with_401(browser):
    form = browser.get("/login").text
    response = browser.post("/login", data={"username": "alice", "password": "nope",
                                            "csrf_token": csrf_in(form)})
    assert response.status_code == 401 and "Wrong username or password" in response.text


def test_logout_destroys_the_session_and_expires_the_cookie(ssr, browser, settings):
    home = log_in(browser)
    sid = decode_cookie_value(unquote(browser.cookies["authdemo.sid"]), settings.session_secrets)
    response = browser.post("/logout", data={"csrf_token": csrf_in(home.text)})
    assert [r.status_code for r in response.history] == [303] and response.url.path == "/login"
    assert "Expires=Thu, 01 Jan 1970" in response.history[0].headers["set-cookie"]
    from authdemo import run
    assert run(ssr.state.store.get(sid)) is None


# --- OAuth2-style tokens between services ------------------------------------------------------
@pytest.fixture
def issuer(clock):
    return TokenIssuer(AUTH_SERVER_URL, demo_signing_key("as-2026-01"), clock=clock,
                       new_id=SeededIds(2))


@pytest.fixture
def auth_server(issuer):
    job = Client("reports-job", Secret(JOB_SECRET), frozenset({ORDERS}), "orders:read")
    return create_authorization_server(issuer, {"reports-job": job})


@pytest.fixture
def auth_http(auth_server):
    return in_process_client(auth_server, base_url=AUTH_SERVER_URL)


def resource_server(name, audience, http, clock, path="/data"):
    keys = JwksKeySource(AUTH_SERVER_URL + JWKS_PATH, http, clock=clock)
    verifier = AccessTokenVerifier(keys, issuer=AUTH_SERVER_URL, audience=audience)
    return create_resource_server(name, verifier, path=path)


@pytest.fixture
def orders(auth_http, clock):
    return resource_server("orders", ORDERS, auth_http, clock)


def get_token(http, resource=ORDERS, secret=JOB_SECRET) -> httpx.Response:
    return http.post("/token", data={"grant_type": "client_credentials",
                                     "client_id": "reports-job", "client_secret": secret,
                                     "resource": resource})


def call(app, token: str) -> httpx.Response:
    return in_process_client(app).get("/data", headers={"Authorization": f"Bearer {token}"})


def test_the_resource_server_holds_only_public_keys(orders, auth_http):
    assert call(orders, get_token(auth_http).json()["access_token"]).status_code == 200
    assert holds_only_public_keys(orders.state.verifier)
    jwks = auth_http.get(JWKS_PATH).json()
    assert jwks["keys"] and all("d" not in key for key in jwks["keys"])
    assert not any(isinstance(value, (Ed25519PrivateKey, SigningKey, TokenIssuer))
                   for value in vars(orders.state.verifier.keys).values())


def test_jwks_is_fetched_once_and_cached(orders, auth_http):
    token = get_token(auth_http).json()["access_token"]
    for _ in range(3):
        assert call(orders, token).status_code == 200
    assert orders.state.verifier.keys.fetches == 1


def test_the_token_endpoint_refuses_bad_clients_and_foreign_audiences(auth_http):
    assert get_token(auth_http, secret="wrong").json()["error"] == "invalid_client"
    assert get_token(auth_http, resource=BILLING).json()["error"] == "invalid_target"


def test_rotation_keeps_old_tokens_valid_until_they_expire(issuer, orders, auth_http, clock):
    old = get_token(auth_http).json()["access_token"]
    assert call(orders, old).status_code == 200
    issuer.rotate(demo_signing_key("as-2026-07"))
    clock.advance(60)
    new = get_token(auth_http).json()["access_token"]
    assert jwt.get_unverified_header(old)["kid"] == "as-2026-01"
    assert jwt.get_unverified_header(new)["kid"] == "as-2026-07"
    assert call(orders, new).status_code == 200  # unknown kid: the service refetched
    assert call(orders, old).status_code == 200  # old key still published
    assert orders.state.verifier.keys.cached_kids == ["as-2026-01", "as-2026-07"]
    clock.advance(300)
    expired = call(orders, old)
    assert expired.status_code == 401 and expired.json()["message"] == "token expired"


def test_a_retired_key_is_refused_after_the_cache_refreshes(issuer, orders, auth_http, clock):
    old_key_token = issuer.issue("reports-job", ORDERS, ttl_seconds=3600).token
    assert call(orders, old_key_token).status_code == 200
    issuer.rotate(demo_signing_key("as-2026-07"))
    issuer.retire("as-2026-01")
    clock.advance(301)  # past the cache's max age
    response = call(orders, old_key_token)
    assert response.status_code == 401 and response.json()["message"] == "unknown signing key"


def test_the_signing_key_cannot_be_retired(issuer):
    with pytest.raises(ValueError):
        issuer.retire(issuer.active_kid)


def test_a_token_for_service_a_is_refused_by_service_b(auth_http, orders, clock):
    billing = resource_server("billing", BILLING, auth_http, clock)
    token = get_token(auth_http).json()["access_token"]
    assert call(orders, token).status_code == 200
    refused = call(billing, token)
    assert refused.status_code == 401 and refused.json()["message"] == "wrong audience"
    assert "invalid_token" in refused.headers["www-authenticate"]


def _forge(header: dict, claims: dict, key: Ed25519PrivateKey) -> str:
    return jwt.encode(claims, key, algorithm="EdDSA", headers=header)


@pytest.mark.parametrize("injected", ["jwk", "jku"])
def test_a_token_cannot_choose_the_key_that_verifies_it(orders, auth_http, issuer, injected):
    attacker = Ed25519PrivateKey.generate()
    public = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(attacker.public_key()))
    header = {"typ": "at+jwt", "kid": "as-2026-01",
              **({"jwk": public} if injected == "jwk" else {"jku": "http://evil.example/jwks"})}
    claims = {**issuer.issue("carol", ORDERS).claims, "sub": "mallory"}
    response = call(orders, _forge(header, claims, attacker))
    assert response.status_code == 401 and response.json()["message"] == "bad signature"


def test_alg_none_and_a_missing_kid_are_refused(orders, issuer):
    claims = issuer.issue("x", ORDERS).claims
    b64 = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
    none_token = f"{b64({'alg': 'none', 'typ': 'at+jwt', 'kid': 'as-2026-01'})}.{b64(claims)}."
    assert call(orders, none_token).status_code == 401
    no_kid = jwt.encode(claims, demo_signing_key("as-2026-01").private_key, algorithm="EdDSA",
                        headers={"typ": "at+jwt"})
    assert call(orders, no_kid).json()["message"] == "no kid in header"


def test_made_up_kids_cannot_flood_the_issuer(orders, issuer, auth_http):
    token = get_token(auth_http).json()["access_token"]
    call(orders, token)
    attacker = Ed25519PrivateKey.generate()
    for n in range(5):
        call(orders, _forge({"typ": "at+jwt", "kid": f"made-up-{n}"},
                            issuer.issue("x", ORDERS).claims, attacker))
    assert orders.state.verifier.keys.fetches == 1  # refetch at most every 10 s


def test_keys_unavailable_is_a_503_not_a_500(clock, issuer):
    down = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(502)))
    service = resource_server("orders", ORDERS, down, clock)
    response = call(service, issuer.issue("x", ORDERS).token)
    assert response.status_code == 503 and response.json()["error"] == "keys_unavailable"


def test_the_resource_server_fetches_keys_over_real_http(auth_server, issuer, clock):
    with serve(auth_server) as server:
        keys = JwksKeySource(server.url + JWKS_PATH, httpx.Client(), clock=clock)
        verifier = AccessTokenVerifier(keys, issuer=AUTH_SERVER_URL, audience=ORDERS)
        service = create_resource_server("orders", verifier)
        assert call(service, issuer.issue("reports-job", ORDERS).token).status_code == 200
    assert keys.fetches == 1


# --- the hybrid: BFF ---------------------------------------------------------------------------
@pytest.fixture
def bff_app(settings, users, clock):
    internal = TokenIssuer(bff.BFF_ISSUER, demo_signing_key("bff-2026-01"), clock=clock,
                           new_id=SeededIds(3))
    keys = JwksKeySource(bff.BFF_ISSUER + JWKS_PATH,
                         in_process_client(create_jwks_app(internal)), clock=clock)
    verifier = AccessTokenVerifier(keys, issuer=bff.BFF_ISSUER, audience=bff.ORDERS_AUDIENCE)
    orders_service = create_resource_server("orders", verifier, path="/orders")
    return bff.create_bff(settings, issuer=internal, users=users,
                          orders=in_process_client(orders_service, base_url=bff.ORDERS_URL))


def test_the_browser_side_of_the_bff_holds_only_an_opaque_cookie(bff_app, settings):
    browser = in_process_client(bff_app)
    responses = [browser.post("/bff/login", json=ALICE), browser.get("/bff/orders")]
    assert responses[1].json() == {"service": "orders", "caller": "alice",
                                   "scope": "orders:read"}
    seen = "".join(r.text + json.dumps(dict(r.headers)) for r in responses)
    assert "eyJ" not in seen  # no JWT (base64url of '{"') ever reached the browser
    assert list(browser.cookies) == ["authdemo.sid"]
    value = unquote(browser.cookies["authdemo.sid"])
    assert value.count(".") == 1 and decode_cookie_value(value, settings.session_secrets)
    assert bff_app.state.outgoing and bff_app.state.outgoing[0].startswith("Bearer eyJ")


def test_the_internal_token_lives_60_seconds_and_names_one_service(bff_app):
    browser = in_process_client(bff_app)
    browser.post("/bff/login", json=ALICE)
    browser.get("/bff/orders")
    claims = jwt.decode(bff_app.state.outgoing[-1].split()[1], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == bff.INTERNAL_TOKEN_TTL_SECONDS
    assert claims["aud"] == bff.ORDERS_AUDIENCE and claims["sub"] == "alice"


def test_bff_logout_needs_csrf_and_ends_access_at_once(bff_app):
    browser = in_process_client(bff_app)
    csrf = browser.post("/bff/login", json=ALICE).json()["csrf_token"]
    assert browser.post("/bff/logout").status_code == 403
    assert browser.post("/bff/logout", headers={"x-csrf-token": csrf}).status_code == 200
    assert browser.get("/bff/orders").status_code == 401


# --- the decision helper -------------------------------------------------------------------------
@pytest.mark.parametrize("scenario, choice", [
    ("SPA + REST API", "jwt"),
    ("SSR web app, single server", "session"),
    ("OAuth2-like token auth", "oauth"),
])
def test_the_seeds_three_scenarios_get_the_seeds_answer(scenario, choice):
    assert recommend(SEED_SCENARIOS[scenario]).choice == choice


def test_instant_revocation_with_many_servers_means_sessions_on_a_shared_store():
    advice = recommend(Requirements(clients={"ssr"}, servers=12, instant_revocation=True))
    assert advice.choice == "session"
    texts = " ".join(r.text for r in advice.reasons)
    assert "12 servers must share one session store" in texts
    assert "same round trip" in texts


def test_instant_revocation_for_a_cross_domain_spa_means_a_bff():
    advice = recommend(Requirements(clients={"spa"}, cross_domain=True, servers=4,
                                    instant_revocation=True))
    assert advice.choice == "hybrid"


def test_a_mobile_app_plus_a_web_app_gets_the_hybrid():
    advice = recommend(Requirements(clients={"mobile", "spa"}, servers=3))
    assert advice.choice == "hybrid"
    assert any("native apps get Bearer tokens" in r.text for r in advice.reasons)


def test_a_mobile_app_alone_with_one_api_gets_plain_jwt():
    assert recommend(Requirements(clients={"mobile"})).choice == "jwt"


def test_jwt_with_instant_revocation_admits_the_shared_lookup():
    advice = recommend(Requirements(clients={"mobile", "cli"}, instant_revocation=True))
    assert advice.choice == "jwt"
    assert any("denylist" in r.text for r in advice.reasons)


def test_a_team_without_a_shared_store_is_warned():
    advice = recommend(Requirements(clients={"ssr"}, servers=3, team_can_run_shared_store=False))
    assert any("cannot run a shared store" in r.text for r in advice.reasons)


@pytest.mark.parametrize("bad", [dict(clients=set()), dict(clients={"fax"}),
                                 dict(clients={"ssr"}, servers=0)])
def test_impossible_requirements_are_refused(bad):
    with pytest.raises(ValueError):
        Requirements(**bad)


def test_every_reason_links_to_evidence_that_exists():
    notebook = (ROOT / "notebooks" / "04_which_to_choose.ipynb").read_text(encoding="utf-8")
    for name, (link, _section) in EVIDENCE.items():
        target, _, anchor = link.partition("#")
        if target == "04_which_to_choose.ipynb":
            assert f'<a id=\\"{anchor}\\"></a>' in notebook, f"no anchor {anchor} in notebook 04"
        else:
            assert target in notebook, f"notebook 04 never links to {target}"
    for requirements in [*SEED_SCENARIOS.values(),
                         Requirements(clients={"mobile", "spa", "service"}, servers=9,
                                      instant_revocation=True, cross_domain=True)]:
        assert all((r.evidence, r.section) in EVIDENCE.values()
                   for r in recommend(requirements).reasons)
