"""The fixed counterparts of `naive_verifiers`: what RFC 8725 §3.1 and §3.10 ask for.

The hardened app (`authdemo.app`) only ever uses HS256 with one key from `Settings`,
so it has no `kid`, no RS256 and no key sets. These verifiers show the same rules for
the cases it does not have, each in PyJWT, each a few lines:

    RS256Verifier(public_pem)        RS256 only, one configured key; a token's `alg`,
                                     `jwk` and `jku` choose nothing
    KeyRing({"2026-01": key})        `kid` picks from an allowlist of configured keys;
                                     it is never a path, a URL or a query

Both return the claims or raise `InvalidToken`, and neither fetches or reads anything
a token names.
"""

from __future__ import annotations

from typing import Any

import jwt

from authdemo.tokens import InvalidToken
from authdemo.tokens.codec import reason_for

REQUIRED = ["exp", "iat", "sub", "iss", "aud"]


class RS256Verifier:
    """Verify RS256 tokens from one issuer, for one audience, with one configured key."""

    def __init__(self, public_pem: bytes, *, issuer: str = "rs256-service",
                 audience: str = "authdemo-api") -> None:
        self.public_pem, self.issuer, self.audience = public_pem, issuer, audience

    def decode(self, token: str) -> dict[str, Any]:
        try:
            return jwt.decode(token, self.public_pem, algorithms=["RS256"],  # pinned
                              issuer=self.issuer, audience=self.audience,
                              options={"require": REQUIRED})
        except Exception as exc:
            raise InvalidToken(reason_for(exc)) from None


class KeyRing:
    """HS256 keys by id: rotation without letting the token name a file."""

    def __init__(self, keys: dict[str, bytes], *, issuer: str = "authdemo",
                 audience: str = "authdemo-api") -> None:
        self.keys, self.issuer, self.audience = dict(keys), issuer, audience

    def decode(self, token: str) -> dict[str, Any]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")  # only a dictionary key
        except jwt.PyJWTError:
            raise InvalidToken("malformed token") from None
        if not isinstance(kid, str) or kid not in self.keys:
            raise InvalidToken("unknown key id")
        try:
            return jwt.decode(token, self.keys[kid], algorithms=["HS256"], issuer=self.issuer,
                              audience=self.audience, options={"require": REQUIRED})
        except Exception as exc:
            raise InvalidToken(reason_for(exc)) from None


__all__ = ["KeyRing", "RS256Verifier"]
