"""The signed cookie value, `s:<id>.<mac>`, against express-session's own vectors (XS-02..XS-06).

Pure functions first (golden vectors, the unsign negatives, rotation), then the same
rules seen through the middleware: an unsigned or forged cookie starts a fresh
session without the store ever being asked.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from session_helpers import (COOKIE_NAME, KEYBOARD_CAT, cookie_value, harness_config,
                             session_app, sid_of, store_reads)

from authdemo.sessions.signing import decode_cookie_value, encode_cookie_value, sign, unsign
from authdemo.settings import Secret

TOBI = Secret("tobiiscool")


# --- XS-02: golden vectors --------------------------------------------------------------
@pytest.mark.parametrize(("session_id", "cookie"), [
    ("apple", "s%3Aapple.D8Y%2BpkTAmeR0PobOhY4G97PRW%2Bj7bUnP%2F5m6%2FOn1MCU"),
    ("%", "s%3A%25.kzQ6x52kKVdF35Qh62AWk4ZekS28K5XYCXKa%2FOTZ01g"),
    ("/foo", "s%3A%2Ffoo.paEKBtAHbV5s1IB8B2zPnzAgYmmnRPIqObW4VRYj%2FMQ"),
])
def test_cookie_value_matches_express_session_byte_for_byte(session_id, cookie):
    """XS-02, express-session test/session.js:1037-1062 (secret `keyboard cat`)."""
    assert encode_cookie_value(session_id, KEYBOARD_CAT) == cookie
    assert decode_cookie_value(cookie, (KEYBOARD_CAT,)) == session_id


def test_sign_matches_node_cookie_signature():
    """XS-02, tj/node-cookie-signature test/index.js:8-14."""
    assert sign("hello", TOBI) == "hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI"


def test_genid_output_reaches_the_cookie_url_encoded():
    """XS-02/XS-09: genid's id is URL-encoded into the Set-Cookie value."""
    app = session_app(genid=lambda: "/foo")
    try:
        response = app.get("/")
        assert cookie_value(response) == "s%3A%2Ffoo.paEKBtAHbV5s1IB8B2zPnzAgYmmnRPIqObW4VRYj%2FMQ"
    finally:
        app.close()


# --- XS-03: unsign ----------------------------------------------------------------------
SIGNED_HELLO = sign("hello", TOBI)


def test_unsign_returns_the_value_for_its_own_signature():
    assert unsign(SIGNED_HELLO, (TOBI,)) == "hello"


@pytest.mark.parametrize("tampered", [
    "fake unsigned data",
    "garbage" + SIGNED_HELLO,
    "garbage." + SIGNED_HELLO,
    SIGNED_HELLO + ".garbage",
    SIGNED_HELLO + "garbage",
    "",
    ".",
    "hello.",
])
def test_unsign_rejects_tampered_values(tampered):
    """XS-03, cookie-signature test/index.js:31-40 (plus empty and mac-less values)."""
    assert unsign(tampered, (TOBI,)) is None


def test_unsign_splits_at_the_last_dot_so_ids_may_contain_dots():
    assert unsign(sign("a.b.c", TOBI), (TOBI,)) == "a.b.c"


def test_unsign_rejects_a_signature_made_with_another_secret():
    assert unsign(sign("hello", Secret("tobiisnotcool")), (TOBI,)) is None


# --- XS-04 / XS-06: what decode_cookie_value accepts -------------------------------------
def test_a_cookie_without_the_s_prefix_is_not_trusted():
    """XS-04: a raw (even correctly signed) value without `s:` is ignored."""
    assert decode_cookie_value(quote(sign("apple", KEYBOARD_CAT), safe=""), (KEYBOARD_CAT,)) is None
    assert decode_cookie_value("apple", (KEYBOARD_CAT,)) is None


def test_the_cookie_value_is_percent_decoded_before_checking():
    """XS-10: both the encoded and the literal form carry the same signed id."""
    literal = "s:apple.D8Y+pkTAmeR0PobOhY4G97PRW+j7bUnP/5m6/On1MCU"
    assert decode_cookie_value(literal, (KEYBOARD_CAT,)) == "apple"


ROTATED_OUT = Secret("the old secret, still verifying for a while")
CURRENT = Secret("the new secret that signs every new cookie")


def test_rotation_signs_with_the_first_secret_and_verifies_with_all():
    """XS-06: a list of secrets: secret[0] signs, any element verifies."""
    old_cookie = encode_cookie_value("apple", ROTATED_OUT)
    new_cookie = encode_cookie_value("apple", CURRENT)
    assert decode_cookie_value(old_cookie, (CURRENT, ROTATED_OUT)) == "apple"
    assert decode_cookie_value(new_cookie, (CURRENT, ROTATED_OUT)) == "apple"
    assert decode_cookie_value(old_cookie, (CURRENT,)) is None


def test_a_server_with_rotated_secrets_signs_new_cookies_with_the_first():
    """XS-06 through the middleware."""
    app = session_app(secrets=(CURRENT, ROTATED_OUT))
    try:
        response = app.get("/")
        assert sid_of(response, (CURRENT,)) is not None
        assert decode_cookie_value(cookie_value(response), (ROTATED_OUT,)) is None
    finally:
        app.close()


def test_a_server_that_kept_only_the_second_secret_cannot_read_cookies_signed_with_the_first():
    """XS-06: both servers share one store; the session still looks empty to the second."""
    both = session_app(secrets=(ROTATED_OUT, CURRENT))
    only_second = session_app(both.store, secrets=(CURRENT,))
    try:
        first = both.get("/hits")
        assert first.json() == {"hits": 1}
        cookie = f"{COOKIE_NAME}={cookie_value(first)}"
        assert both.get("/hits", cookie=cookie).json() == {"hits": 2}
        elsewhere = only_second.get("/read", cookie=cookie)
        assert elsewhere.json()["data"] == {}
        assert elsewhere.json()["sid"] != sid_of(first, (ROTATED_OUT,))
    finally:
        both.close()
        only_second.close()


def test_an_empty_secret_list_is_refused_at_construction():
    """XS-06/XS-07: express throws `secret option required for sessions`."""
    with pytest.raises(TypeError, match="secret option required for sessions"):
        harness_config(secrets=())


# --- XS-04 / XS-05 through the middleware --------------------------------------------------
def test_an_unsigned_cookie_is_ignored_and_a_new_session_starts():
    """XS-04: the raw sid of a live session gets a *different* sid, and no store read."""
    app = session_app()
    try:
        first = app.get("/hits")
        live_sid = sid_of(first)
        app.store.forget_calls()
        second = app.get("/read", cookie=f"{COOKIE_NAME}={live_sid}")
        assert second.json()["data"] == {}
        assert sid_of(second) != live_sid
        assert store_reads(app.store) == 0
    finally:
        app.close()


@pytest.mark.parametrize("forge", [
    lambda value: value[:-1] + ("B" if value.endswith("A") else "A"),  # a changed mac
    lambda value: value.replace("s%3A", "s%3AX", 1),                  # a changed id
    lambda value: value.split(".")[0],                                # no mac at all
], ids=["changed-mac", "changed-id", "no-mac"])
def test_a_tampered_cookie_starts_a_fresh_session_without_reading_the_store(forge):
    """XS-05: a bad signature counts as no cookie; `store.get` is not called."""
    app = session_app()
    try:
        first = app.get("/hits")
        app.store.forget_calls()
        second = app.get("/read", cookie=f"{COOKIE_NAME}={forge(cookie_value(first))}")
        assert second.status_code == 200
        assert second.json()["data"] == {}
        assert sid_of(second) != sid_of(first)
        assert store_reads(app.store) == 0
    finally:
        app.close()


# --- properties ---------------------------------------------------------------------------
@given(st.text())
def test_decoding_arbitrary_text_never_raises(raw):
    result = decode_cookie_value(raw, (KEYBOARD_CAT,))
    assert result is None or isinstance(result, str)


@given(st.text(min_size=1))
def test_any_session_id_survives_encode_then_decode(session_id):
    encoded = encode_cookie_value(session_id, KEYBOARD_CAT)
    assert encoded.isascii() and ";" not in encoded and " " not in encoded
    assert decode_cookie_value(encoded, (KEYBOARD_CAT,)) == session_id


@given(st.text(min_size=1), st.text(min_size=1, max_size=1))
def test_changing_any_single_character_of_a_cookie_breaks_it(session_id, replacement):
    encoded = encode_cookie_value(session_id, KEYBOARD_CAT)
    mac_start = encoded.rindex(".") + 1
    mac = encoded[mac_start:]
    tampered = encoded[:mac_start] + replacement + mac[1:]
    if tampered != encoded:
        assert decode_cookie_value(tampered, (KEYBOARD_CAT,)) != session_id
