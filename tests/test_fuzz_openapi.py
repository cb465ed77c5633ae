"""Hostile input: thousands of generated requests, not one 5xx, every error in one shape.

Two generators, both driven by Hypothesis:

- schemathesis reads the app's own OpenAPI schema (`/openapi.json`) and makes requests
  for every documented operation: valid ones (positive) and ones that break the schema
  on purpose (negative: wrong types, missing fields, oversized strings, odd JSON).
- `hostile_requests` below makes what a schema does not describe: any method, any path,
  duplicated and oversized headers, non-ASCII bytes, forged session cookies and JWTs,
  deeply nested JSON, bodies that do not match their content type.

Every answer must be below 500; every 4xx must be JSON with exactly `error` and
`message`; and afterwards the same app must still log a user in normally. The quick run
sends a few hundred requests; the `slow` test (CI) sends at least 10,000 and counts them.
"""

from __future__ import annotations

import base64
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_helpers import FAST_HASHER, is_error_shape
from schemathesis import GenerationMode

from authdemo import Secret, Settings, create_app, in_process_client
from authdemo.users import DEMO_PASSWORDS, UserDirectory

ALICE = {"username": "alice", "password": DEMO_PASSWORDS["alice"][1]}
SETTINGS = Settings(jwt_secret=Secret("fuzz-jwt-secret-0123456789abcdef-0123456789"),
                    session_secrets=(Secret("fuzz-session-secret-0123456789abcdef-01234"),))
FUZZ = settings(deadline=None, database=None, derandomize=False, print_blob=True,
                suppress_health_check=list(HealthCheck))


@dataclass
class Tally:
    """What the fuzzers sent and got back."""

    sent: int = 0
    statuses: Counter = field(default_factory=Counter)

    def check(self, response: Any, method: str, what: str) -> None:
        self.sent += 1
        status = response.status_code
        self.statuses[status] += 1
        assert status < 500, f"{what}: {status} {response.text[:300]}"
        if status >= 400 and method.upper() != "HEAD":  # HEAD answers carry no body
            assert is_error_shape(response), f"{what}: {status} {response.text[:300]!r}"


def fresh_app():
    return create_app(SETTINGS, users=UserDirectory.demo(FAST_HASHER))


def assert_still_answers_a_normal_login(send) -> None:
    """`send(method, path, **kwargs)` on the fuzzed app: both flows work end to end."""
    login = send("POST", "/jwt/login", json=ALICE)
    assert login.status_code == 200, login.text
    me = send("GET", "/jwt/me", headers={"authorization": f"Bearer {login.json()['access_token']}"})
    assert me.status_code == 200 and me.json()["username"] == "alice"
    session = send("POST", "/session/login", json=ALICE)
    assert session.status_code == 200, session.text
    cookie = session.headers["set-cookie"].split(";", 1)[0]
    me = send("GET", "/session/me", headers={"cookie": cookie})
    assert me.status_code == 200 and me.json()["username"] == "alice"


# --- schemathesis, from the app's own schema ------------------------------------------------
def schema_fuzz(app, tally: Tally, mode: GenerationMode, examples: int) -> None:
    """`examples` cases from the schema, each sent twice: as generated, and again with a
    live login's credentials added, so the generated input also reaches the code behind
    authentication."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = len([op for op in schema.get_all_operations() if op.ok()])
    assert operations >= 8, "the schema lost its operations"
    send = schema_client_send(app)
    tokens = send("POST", "/jwt/login", json=ALICE).json()
    session = send("POST", "/session/login", json=ALICE)
    logged_in = {"authorization": f"Bearer {tokens['access_token']}",
                 "cookie": session.headers["set-cookie"].split(";", 1)[0],
                 "x-csrf-token": session.json()["csrf_token"]}

    @settings(FUZZ, max_examples=examples)
    @given(case=schema.as_strategy(generation_mode=mode))
    def one(case) -> None:
        for extra in (None, logged_in):
            response = case.call(headers=extra)
            tally.check(response, case.method,
                        f"{mode.value} {case.method} {case.formatted_path} +{extra}")

    one()


def schema_client_send(app):
    """Plain requests through schemathesis's ASGI client: the event loop the app ran on."""
    from schemathesis.python import asgi

    def send(method: str, path: str, **kwargs: Any):
        with asgi.get_client(app) as client:
            return client.request(method, path, **kwargs)

    return send


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=["positive", "negative"])
def test_schemathesis_finds_no_5xx_and_every_error_has_the_json_shape(mode) -> None:
    app, tally = fresh_app(), Tally()
    schema_fuzz(app, tally, mode, examples=75)
    assert tally.sent >= 150
    assert_still_answers_a_normal_login(schema_client_send(app))


# --- hostile requests beyond the schema -----------------------------------------------------
ROUTES = [("POST", "/jwt/login"), ("GET", "/jwt/me"), ("POST", "/jwt/refresh"),
          ("POST", "/jwt/logout"), ("POST", "/session/login"), ("GET", "/session/me"),
          ("POST", "/session/logout")]
PATHS = ["/", "/jwt/login", "/jwt/me", "/jwt/refresh", "/jwt/logout", "/session/login",
         "/session/me", "/session/logout", "/openapi.json", "/docs", "/jwt/me/", "//jwt/me",
         "/jwt/%2e%2e/session/me", "/session/../jwt/me", "/jwt/login?username=alice",
         "/%00", "/jwt/me?" + "a=1&" * 500, "/" + "x" * 5000, "/sess%C3%A9ion/me", "/%ff%fe"]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "PROPFIND",
           "CONNECT", "get", "X" * 40]
CONTENT_TYPES = ["application/json", "application/json; charset=utf-16", "text/plain",
                 "application/x-www-form-urlencoded", "multipart/form-data; boundary=zz",
                 "multipart/form-data", "application/xml", "application/json;;;", "*/*", "",
                 "application/vnd.api+json", "application/json; charset=\x00"]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


segments = st.one_of(st.binary(max_size=64).map(b64), st.text(max_size=40),
                     st.sampled_from(["", "e30", "eyJhbGciOiJub25lIn0", "." * 5, "%00"]))
headers_json = st.dictionaries(st.sampled_from(["alg", "typ", "kid", "jku", "crit"]),
                               st.one_of(st.sampled_from(["none", "HS256", "RS256", "hs256",
                                                          "../../etc/passwd", ""]),
                                         st.integers(), st.lists(st.text(max_size=5))))
claims_json = st.dictionaries(st.sampled_from(["sub", "exp", "iat", "nbf", "jti", "fam", "typ",
                                               "iss", "aud", "role", "csrf"]),
                              st.one_of(st.text(max_size=20), st.integers(), st.floats(),
                                        st.none(), st.lists(st.integers(), max_size=3)))
forged_jwts = st.one_of(
    st.tuples(headers_json, claims_json, segments).map(
        lambda t: f"{b64(json.dumps(t[0]).encode())}.{b64(json.dumps(t[1]).encode())}.{t[2]}"),
    st.lists(segments, min_size=1, max_size=6).map(".".join),
    st.integers(0, 20_000).map(lambda n: "a" * n),
)
cookie_values = st.one_of(
    st.text(max_size=60), st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
    st.tuples(st.text(max_size=40), segments).map(lambda t: f"s:{t[0]}.{t[1]}"),
    st.integers(0, 10_000).map(lambda n: "s%3A" + "A" * n),
    st.sampled_from(['"quoted"', "s%3A", "%", "%zz", "s:.", '"', ";;;", "=", "\\"]),
)
cookie_headers = st.lists(
    st.tuples(st.sampled_from(["authdemo.sid", "authdemo_access", "authdemo_refresh",
                               " authdemo.sid", "AUTHDEMO.SID", "x"]), cookie_values),
    max_size=5).map(lambda pairs: "; ".join(f"{k}={v}" for k, v in pairs))
header_values = st.one_of(
    st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=80),
    forged_jwts.map(lambda t: f"Bearer {t}"),
    st.sampled_from(["Bearer", "Bearer ", "bearer  x", "Basic YWxpY2U6eA==", "Bearer a b c",
                     "BEARER x.y.z", "\t", "Bearer \u00ff\u00fe"]),
    st.integers(0, 20_000).map(lambda n: "B" * n),
)
header_lists = st.lists(st.one_of(
    st.tuples(st.sampled_from(["authorization", "x-csrf-token", "accept", "origin",
                               "x-forwarded-proto", "x-forwarded-for", "content-encoding",
                               "transfer-encoding-x", "accept-charset", "x-" + "h" * 200]),
              header_values),
    st.tuples(st.just("cookie"), cookie_headers),
), max_size=5)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              st.text(max_size=300)),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(max_size=10), children, max_size=4)),
    max_leaves=12)
login_like = st.fixed_dictionaries(
    {}, optional={"username": st.one_of(st.text(max_size=100), json_values),
                  "password": st.one_of(st.text(max_size=300), json_values),
                  "delivery": st.one_of(st.sampled_from(["body", "cookie", "BODY"]), json_values),
                  "refresh_token": st.one_of(forged_jwts, json_values)})
bodies = st.one_of(
    st.none(),
    login_like.map(lambda d: json.dumps(d).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=500),
    st.integers(1, 60_000).map(lambda n: nested(n).encode()),  # deep nesting
    st.sampled_from([b"{", b'{"username": "alice", "username": "bob"}', b"\xef\xbb\xbf{}",
                     b'{"username": "\\ud800", "password": "x"}', b"null", b"[]",
                     "{\"username\": \"ålice\"}".encode("utf-16"), b"a=b&username=alice"]),
)


def mutated(value: str) -> st.SearchStrategy[str]:
    """A real credential, as is or damaged: truncated, a character changed, extended."""
    at = st.integers(0, max(0, len(value) - 1))
    return st.one_of(
        st.just(value),
        at.map(lambda i: value[:i]),
        st.tuples(at, st.characters(max_codepoint=255)).map(
            lambda t: value[:t[0]] + t[1] + value[t[0] + 1:]),
        st.text(max_size=20).map(lambda extra: value + extra),
        st.just(value.swapcase()), st.just(f"{value},{value}"),
    )


def real_credentials(client: httpx.Client) -> list[tuple[str, str]]:
    """Alice's live token, refresh token, session cookie and CSRF tokens, as header pairs."""
    tokens = client.post("/jwt/login", json=ALICE).json()
    cookies = client.post("/jwt/login", json={**ALICE, "delivery": "cookie"})
    session = client.post("/session/login", json=ALICE)
    client.cookies.clear()
    jar = "; ".join(h.split(";", 1)[0] for h in (*cookies.headers.get_list("set-cookie"),
                                                    *session.headers.get_list("set-cookie")))
    return [("authorization", f"Bearer {tokens['access_token']}"), ("cookie", jar),
            ("x-csrf-token", session.json()["csrf_token"]),
            ("x-csrf-token", cookies.json()["csrf_token"]),
            ("authorization", f"Bearer {tokens['refresh_token']}")]


@st.composite
def hostile_requests(draw, real: list[tuple[str, str]]) -> dict[str, Any]:
    headers = draw(header_lists)
    if real and draw(st.booleans()):  # live credentials, whole or damaged, among the junk
        picked = draw(st.lists(st.sampled_from(real), min_size=1, max_size=3))
        headers += [(name, draw(mutated(value))) for name, value in picked]
        headers = draw(st.permutations(headers))
    content_type = draw(st.sampled_from(CONTENT_TYPES + [None]))
    if content_type is not None:
        headers.append(("content-type", content_type))
    method, path = draw(st.one_of(  # mostly real routes, so the input reaches their code
        st.sampled_from(ROUTES), st.sampled_from(ROUTES), st.sampled_from(ROUTES),
        st.tuples(st.sampled_from(METHODS), st.sampled_from(PATHS))))
    return {"method": method, "path": path,
            "headers": [(k, v.encode("latin-1", "replace")) for k, v in headers],
            "content": draw(bodies)}


def hostile_fuzz(client: httpx.Client, tally: Tally, examples: int,
                 every_route: bool = False) -> None:
    """`examples` hostile requests; with `every_route`, each one's headers and body are also
    sent to every route (generating is the slow part; 8 requests per example)."""
    real = real_credentials(client)

    @settings(FUZZ, max_examples=examples)
    @given(request=hostile_requests(real))
    def one(request: dict[str, Any]) -> None:
        targets = [(request["method"], request["path"])] + (ROUTES if every_route else [])
        for method, path in targets:
            client.cookies.clear()
            response = client.request(method, path, headers=request["headers"],
                                      content=request["content"])
            tally.check(response, method, f"{method} {path} "
                        f"headers={[(k, v[:80]) for k, v in request['headers']]} "
                        f"body={(request['content'] or b'')[:80]!r}")

    one()


def test_hostile_headers_cookies_methods_and_bodies_find_no_5xx() -> None:
    tally = Tally()
    with in_process_client(fresh_app()) as client:
        hostile_fuzz(client, tally, examples=80, every_route=True)
        assert tally.sent >= 80 * (1 + len(ROUTES))
        assert_still_answers_a_normal_login(client.request)


def test_a_user_logged_in_before_the_fuzzing_is_still_herself_after_it() -> None:
    """Fuzzing next to a live login: neither flow leaks, drops or swaps her credentials."""
    tally = Tally()
    with in_process_client(fresh_app()) as client:
        token = client.post("/jwt/login", json=ALICE).json()["access_token"]
        cookie = client.post("/session/login", json=ALICE).headers["set-cookie"].split(";")[0]
        client.cookies.clear()
        hostile_fuzz(client, tally, examples=40, every_route=True)
        client.cookies.clear()
        assert client.get("/jwt/me", headers={"authorization": f"Bearer {token}"}
                          ).json()["username"] == "alice"
        assert client.get("/session/me", headers={"cookie": cookie}).json()["username"] == "alice"


# --- the full count, for CI -------------------------------------------------------------------
@pytest.mark.slow
def test_ten_thousand_generated_requests_find_no_5xx() -> None:
    started = time.monotonic()
    app = fresh_app()
    counts: dict[str, int] = {}
    for mode, examples in ((GenerationMode.POSITIVE, 1000), (GenerationMode.NEGATIVE, 1500)):
        tally = Tally()
        schema_fuzz(app, tally, mode, examples)
        counts[f"schemathesis {mode.value}"] = tally.sent
    assert_still_answers_a_normal_login(schema_client_send(app))

    tally = Tally()
    with in_process_client(fresh_app()) as client:
        hostile_fuzz(client, tally, examples=700, every_route=True)
        assert_still_answers_a_normal_login(client.request)
    counts["hostile"] = tally.sent

    total = sum(counts.values())
    print(f"\nfuzz: {total} generated requests {counts} in {time.monotonic() - started:.0f} s; "
          f"hostile statuses {dict(sorted(tally.statuses.items()))}")
    assert total >= 10_000
