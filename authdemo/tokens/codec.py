"""Issue and verify JWTs: the seed's section 1, done the way RFC 8725 asks.

This is the *stateless* part: a token is checked with nothing but the key. The
rules a reviewer looks for are all here, each in one line:

- the algorithm is pinned by the server (`algorithms=[...]`), never read from the token;
- `exp`, `iat`, `sub`, `jti`, `iss` and `aud` are required, issuer and audience checked;
- the leeway for clock skew is small and explicit;
- access and refresh tokens carry `token_use`, so neither can stand in for the other;
- any failure at all is an `InvalidToken` with a short reason, never an unhandled error.

Encoding and signature checks are PyJWT's job; we never parse or verify by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import jwt

from authdemo.settings import Settings

TokenUse = Literal["access", "refresh"]

MAX_TOKEN_CHARS = 8192
"""Far above any token we issue (~400 chars); a bigger one is garbage or an attack."""

REQUIRED_CLAIMS = ["exp", "iat", "sub", "jti", "iss", "aud"]


class InvalidToken(Exception):
    """Raised for every token we refuse; `reason` is a short, stable code for the client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# PyJWT's exception tree, mapped to reasons a learner can read in a 401.
_REASONS: list[tuple[type[Exception], str]] = [
    (jwt.ExpiredSignatureError, "token expired"),
    (jwt.ImmatureSignatureError, "token not yet valid"),
    (jwt.InvalidAudienceError, "wrong audience"),
    (jwt.InvalidIssuerError, "wrong issuer"),
    (jwt.MissingRequiredClaimError, "missing required claim"),
    (jwt.InvalidAlgorithmError, "algorithm not allowed"),
    (jwt.InvalidSignatureError, "bad signature"),
    (jwt.DecodeError, "malformed token"),
]


@dataclass(frozen=True)
class IssuedToken:
    token: str
    claims: dict[str, Any]


class TokenCodec:
    """Signs and verifies this app's tokens with the settings' key and rules."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def issue(self, subject: str, token_use: TokenUse, **extra: Any) -> IssuedToken:
        s = self.settings
        now = int(s.clock())
        ttl = s.access_token_ttl_seconds if token_use == "access" else s.refresh_token_ttl_seconds
        claims = {
            "iss": s.jwt_issuer,
            "aud": s.jwt_audience,
            "sub": subject,
            "iat": now,
            "exp": now + ttl,
            "jti": s.new_id(),
            "token_use": token_use,
            **extra,
        }
        token = jwt.encode(claims, s.jwt_secret.reveal(), algorithm=s.jwt_algorithm)
        return IssuedToken(token, claims)

    def decode(self, token: str, token_use: TokenUse) -> dict[str, Any]:
        """The verified claims, or `InvalidToken`."""
        if not token or len(token) > MAX_TOKEN_CHARS:
            raise InvalidToken("malformed token")
        s = self.settings
        try:
            claims = jwt.decode(
                token,
                s.jwt_secret.reveal(),
                algorithms=[s.jwt_algorithm],  # pinned: the token's own "alg" is not trusted
                audience=s.jwt_audience,
                issuer=s.jwt_issuer,
                leeway=s.jwt_leeway_seconds,
                options={"require": REQUIRED_CLAIMS},
            )
        except Exception as exc:  # anything at all (bad base64, odd JSON, ...) is a refusal
            raise InvalidToken(reason_for(exc)) from None
        if claims.get("token_use") != token_use:
            raise InvalidToken(f"not an {token_use} token" if token_use == "access"
                               else f"not a {token_use} token")
        if not isinstance(claims.get("sub"), str) or not isinstance(claims.get("jti"), str):
            raise InvalidToken("malformed token")
        return claims


def reason_for(exc: Exception) -> str:
    """A PyJWT exception as the short reason our 401s carry (for other verifiers too)."""
    for kind, reason in _REASONS:
        if isinstance(exc, kind):
            return reason
    return "malformed token"
