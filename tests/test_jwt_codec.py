"""TokenCodec: what a token must carry, and every way a token is refused, with its reason."""

from __future__ import annotations

import base64
import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from authdemo.tokens import InvalidToken, TokenCodec
from authdemo.tokens.codec import MAX_TOKEN_CHARS


@pytest.fixture
def codec(settings):
    return TokenCodec(settings)


# --- small helpers that read like the situation -----------------------------------------------
def signed(codec: TokenCodec, claims: dict, algorithm: str = "HS256", key: object = None) -> str:
    """A token signed with the app's own secret (unless told otherwise): only the claims
    or the algorithm are wrong."""
    key = codec.settings.jwt_secret.reveal() if key is None else key
    return jwt.encode(claims, key, algorithm=algorithm)


def refused_reason(codec: TokenCodec, token: str, token_use: str = "access") -> str:
    with pytest.raises(InvalidToken) as refusal:
        codec.decode(token, token_use)  # type: ignore[arg-type]
    return refusal.value.reason


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


# --- issue and decode -----------------------------------------------------------------------------
class TestRoundTrip:
    def test_an_issued_access_token_decodes_to_its_claims(self, codec):
        issued = codec.issue("alice", "access", role="user")
        assert codec.decode(issued.token, "access") == issued.claims

    def test_an_issued_token_carries_every_required_claim(self, codec, settings):
        claims = codec.issue("alice", "access").claims
        assert set(claims) == {"sub", "iat", "exp", "jti", "iss", "aud", "token_use"}
        assert claims["sub"] == "alice"
        assert claims["iss"] == settings.jwt_issuer == "authdemo"
        assert claims["aud"] == settings.jwt_audience == "authdemo-api"
        assert claims["token_use"] == "access"
        assert claims["exp"] - claims["iat"] == settings.access_token_ttl_seconds

    def test_a_refresh_token_lives_for_the_refresh_lifetime(self, codec, settings):
        claims = codec.issue("alice", "refresh").claims
        assert claims["token_use"] == "refresh"
        assert claims["exp"] - claims["iat"] == settings.refresh_token_ttl_seconds

    def test_every_token_gets_its_own_jti(self, codec):
        first, second = codec.issue("alice", "access"), codec.issue("alice", "access")
        assert first.claims["jti"] != second.claims["jti"]

    def test_the_header_names_the_pinned_algorithm(self, codec):
        assert jwt.get_unverified_header(codec.issue("alice", "access").token)["alg"] == "HS256"


# --- the algorithm is the server's choice ---------------------------------------------------------
class TestPinnedAlgorithm:
    def test_an_hs512_token_with_our_own_secret_is_refused(self, codec):
        claims = codec.issue("alice", "access").claims
        assert refused_reason(codec, signed(codec, claims, "HS512")) == "algorithm not allowed"

    def test_an_alg_none_token_is_refused(self, codec):
        claims = codec.issue("alice", "access").claims
        unsigned = jwt.encode(claims, None, algorithm="none")
        assert unsigned.endswith(".")  # really no signature
        assert refused_reason(codec, unsigned) == "algorithm not allowed"

    def test_a_hand_made_alg_none_token_is_refused(self, codec):
        claims = codec.issue("alice", "access").claims
        token = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."
        assert refused_reason(codec, token) == "algorithm not allowed"

    def test_an_rs256_token_is_refused(self, codec):
        claims = codec.issue("alice", "access").claims
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        assert refused_reason(codec, signed(codec, claims, "RS256", key)) == "algorithm not allowed"


# --- the claims are checked -----------------------------------------------------------------------
class TestClaims:
    def test_a_token_from_another_issuer_is_refused(self, codec):
        claims = codec.issue("alice", "access").claims
        assert refused_reason(codec, signed(codec, {**claims, "iss": "evil"})) == "wrong issuer"

    def test_a_token_for_another_audience_is_refused(self, codec):
        claims = codec.issue("alice", "access").claims
        token = signed(codec, {**claims, "aud": "other-api"})
        assert refused_reason(codec, token) == "wrong audience"

    @pytest.mark.parametrize("claim", ["exp", "iat", "sub", "jti", "iss", "aud"])
    def test_a_token_without_a_required_claim_is_refused(self, codec, claim):
        claims = codec.issue("alice", "access").claims
        del claims[claim]
        assert refused_reason(codec, signed(codec, claims)) == "missing required claim"

    def test_a_token_without_token_use_is_not_an_access_token(self, codec):
        claims = codec.issue("alice", "access").claims
        del claims["token_use"]
        assert refused_reason(codec, signed(codec, claims)) == "not an access token"

    def test_a_non_string_subject_is_refused(self, codec):
        claims = codec.issue("alice", "access").claims
        assert refused_reason(codec, signed(codec, {**claims, "sub": 42})) == "malformed token"

    def test_a_signature_by_another_key_is_refused(self, codec):
        claims = codec.issue("alice", "access").claims
        assert refused_reason(codec, signed(codec, claims, key="x" * 40)) == "bad signature"

    def test_a_tampered_payload_is_a_bad_signature(self, codec):
        header, _, signature = codec.issue("alice", "access").token.split(".")
        claims = codec.issue("alice", "access").claims
        forged = f"{header}.{b64({**claims, 'sub': 'carol', 'role': 'admin'})}.{signature}"
        assert refused_reason(codec, forged) == "bad signature"


# --- access and refresh tokens are different things -----------------------------------------------
class TestTokenUse:
    def test_a_refresh_token_is_not_accepted_as_an_access_token(self, codec):
        refresh = codec.issue("alice", "refresh").token
        assert refused_reason(codec, refresh, "access") == "not an access token"

    def test_an_access_token_is_not_accepted_as_a_refresh_token(self, codec):
        access = codec.issue("alice", "access").token
        assert refused_reason(codec, access, "refresh") == "not a refresh token"


# --- time: expiry, not-before and the leeway ------------------------------------------------------
class TestTime:
    def test_a_token_is_good_until_just_before_it_expires(self, codec, clock, settings):
        issued = codec.issue("alice", "access")
        clock.advance(settings.access_token_ttl_seconds - 1)
        assert codec.decode(issued.token, "access")["sub"] == "alice"

    def test_an_expired_token_is_refused(self, codec, clock):
        issued = codec.issue("alice", "access")
        clock.advance(3600)
        assert refused_reason(codec, issued.token) == "token expired"

    def test_leeway_accepts_a_token_one_second_inside_it(self, codec, clock, settings):
        issued = codec.issue("alice", "access")
        clock.advance(issued.claims["exp"] + settings.jwt_leeway_seconds - 1 - clock.now())
        assert codec.decode(issued.token, "access")["jti"] == issued.claims["jti"]

    def test_leeway_refuses_a_token_one_second_past_it(self, codec, clock, settings):
        issued = codec.issue("alice", "access")
        clock.advance(issued.claims["exp"] + settings.jwt_leeway_seconds + 1 - clock.now())
        assert refused_reason(codec, issued.token) == "token expired"

    def test_a_token_issued_in_the_future_is_not_yet_valid(self, codec, clock):
        issued = codec.issue("alice", "access")
        clock.advance(-60)  # our clock is behind the issuer's by more than the leeway
        assert refused_reason(codec, issued.token) == "token not yet valid"

    def test_a_token_with_nbf_in_the_future_is_not_yet_valid(self, codec, clock):
        claims = codec.issue("alice", "access").claims
        assert refused_reason(codec, signed(codec, {**claims, "nbf": int(clock.now()) + 60})) == (
            "token not yet valid")

    def test_an_nbf_inside_the_leeway_is_accepted(self, codec, clock, settings):
        claims = codec.issue("alice", "access").claims
        token = signed(codec, {**claims, "nbf": int(clock.now()) + settings.jwt_leeway_seconds - 1})
        assert codec.decode(token, "access")["sub"] == "alice"


# --- garbage --------------------------------------------------------------------------------------
class TestGarbage:
    def test_an_oversized_token_is_refused_before_parsing(self, codec):
        token = codec.issue("alice", "access").token
        padded = token + "A" * (MAX_TOKEN_CHARS + 1 - len(token))
        assert len(padded) == MAX_TOKEN_CHARS + 1
        assert refused_reason(codec, padded) == "malformed token"

    @pytest.mark.parametrize("token", [
        "", "garbage", "a.b", "a.b.c", "a.b.c.d", "....", "eyJ.eyJ.sig", "ü.ö.ä",
        f"{b64({'alg': 'HS256'})}.not-base64!.x", f"{b64({'alg': 'HS256'})}.{b64([1, 2])}.x",
        "Bearer " + "x" * 10,
    ])
    def test_a_garbage_token_is_a_malformed_token(self, codec, token):
        assert refused_reason(codec, token) == "malformed token"

    def test_an_invalid_token_is_an_exception_with_the_reason_as_its_message(self):
        error = InvalidToken("token expired")
        assert (error.reason, str(error)) == ("token expired", "token expired")
