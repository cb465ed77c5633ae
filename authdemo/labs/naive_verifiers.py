"""VULNERABLE ON PURPOSE: JWT verifiers written the way real bugs were written.

Never use any of these. Each one is the attack surface of one lab in notebook 05,
and each mirrors a published class of bug (RFC 8725 §2, PortSwigger's JWT labs).
The seed's own verifier (`authdemo.vulnerable_seed`) is *not* one of them: it uses
PyJWT with a fixed list of HMAC algorithms, so these attacks fail on it. What fails
there is its key, which the cracking lab finds.

    decode_without_verify(token)            reads the payload, checks nothing
    verify_trusting_header(token, secret)   uses the header's `alg`; `none` in any case passes
    verify_rs256_confused(token, pem)       takes `alg` from the token, so an RS256 public key
                                            becomes an HMAC secret (algorithm confusion)
    verify_with_kid_file(token)             `kid` is a file name under the key directory
    verify_with_header_jwk(token)           trusts the public key the token carries
    verify_with_jku(token, internet)        downloads the key set the token points to

They all return the claims or raise `InvalidToken`, like `TokenCodec.decode`.
"""

from __future__ import annotations

import hmac
from typing import Any

import jwt
from jwt.algorithms import RSAAlgorithm

from authdemo.labs.forging import HMAC_HASHES, decode_json, hmac_signature
from authdemo.labs.world import KEY_DIR, FakeInternet, read_pretend_file
from authdemo.tokens import InvalidToken
from authdemo.tokens.codec import reason_for


def _split(token: str) -> tuple[dict[str, Any], dict[str, Any], str, str]:
    try:
        header_b64, payload_b64, signature_b64 = token.split(".")
        header, claims = decode_json(header_b64), decode_json(payload_b64)
    except ValueError:  # wrong number of parts, bad base64, bad UTF-8, bad JSON
        raise InvalidToken("malformed token") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise InvalidToken("malformed token")
    return header, claims, f"{header_b64}.{payload_b64}", signature_b64


def _check_hmac(alg: str, signing_input: str, signature_b64: str, key: bytes) -> None:
    if alg.upper() not in HMAC_HASHES:
        raise InvalidToken("algorithm not allowed")
    expected = hmac_signature(alg, signing_input, key)
    if not hmac.compare_digest(expected.encode(), signature_b64.encode()):
        raise InvalidToken("bad signature")


def decode_without_verify(token: str) -> dict[str, Any]:
    """VULNERABLE: `jwt.decode(token, options={"verify_signature": False})` used for auth.
    (jsonwebtoken's `jwt.decode()` instead of `jwt.verify()` is the same mistake.)"""
    return _split(token)[1]


def verify_trusting_header(token: str, secret: bytes) -> dict[str, Any]:
    """VULNERABLE: the algorithm comes from the token. `none`, `None`, `NONE`... mean
    "no signature", because the comparison ignores case and nothing pins the list."""
    header, claims, signing_input, signature = _split(token)
    alg = str(header.get("alg", ""))
    if alg.lower() == "none":
        return claims  # "the token says it is unsigned, so there is nothing to check"
    _check_hmac(alg, signing_input, signature, secret)
    return claims


def verify_rs256_confused(token: str, public_pem: bytes) -> dict[str, Any]:
    """VULNERABLE: meant for RS256 tokens, but it lets the token choose the algorithm and
    hands the same key to whichever it picks. With `alg: HS256` the public key, which
    anyone can download, becomes the HMAC secret.

    Written by hand with `hmac` on purpose: PyJWT refuses to use a PEM public key as
    an HMAC secret (`InvalidKeyError`), so the library would have stopped this bug.
    """
    header, claims, signing_input, signature = _split(token)
    alg = str(header.get("alg", ""))
    if alg == "RS256":
        try:
            return jwt.decode(token, public_pem, algorithms=["RS256"],
                              options={"verify_aud": False})
        except jwt.PyJWTError as exc:
            raise InvalidToken(reason_for(exc)) from None
    _check_hmac(alg, signing_input, signature, public_pem)  # the public key as a secret!
    return claims


def verify_with_kid_file(token: str) -> dict[str, Any]:
    """VULNERABLE: `kid` is joined to the key directory without checking it, so
    `../../../dev/null` makes the key the (empty, well-known) content of /dev/null.
    Reads `authdemo.labs.world.PRETEND_FILES`, never the real disk."""
    header, claims, signing_input, signature = _split(token)
    try:
        key = read_pretend_file(f"{KEY_DIR}/{header.get('kid', '')}")
    except FileNotFoundError:
        raise InvalidToken("unknown key id") from None
    _check_hmac(str(header.get("alg", "")), signing_input, signature, key)
    return claims


def _rs256_with_jwk(token: str, jwk: Any) -> dict[str, Any]:
    try:
        key = RSAAlgorithm.from_jwk(jwk)
        return jwt.decode(token, key, algorithms=["RS256"], options={"verify_aud": False})
    except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
        raise InvalidToken(reason_for(exc)) from None


def verify_with_header_jwk(token: str) -> dict[str, Any]:
    """VULNERABLE: verifies the signature with the public key embedded in the token's own
    `jwk` header. Whoever signs the token also chooses the key that checks it."""
    header = _split(token)[0]
    if "jwk" not in header:
        raise InvalidToken("no key")
    return _rs256_with_jwk(token, header["jwk"])


def verify_with_jku(token: str, internet: FakeInternet) -> dict[str, Any]:
    """VULNERABLE: downloads the key set from the URL in the `jku` header (any URL: an
    attacker's server, or an internal one, which makes it SSRF too) and trusts it."""
    header = _split(token)[0]
    try:
        keys = internet.get_json(str(header.get("jku", "")))["keys"]
    except (LookupError, TypeError):
        raise InvalidToken("key set not found") from None
    match = [k for k in keys if isinstance(k, dict) and k.get("kid") == header.get("kid")]
    if not match:
        raise InvalidToken("unknown key id")
    return _rs256_with_jwk(token, match[0])


__all__ = ["decode_without_verify", "verify_rs256_confused",
           "verify_trusting_header", "verify_with_header_jwk", "verify_with_jku",
           "verify_with_kid_file"]
