"""OAuth2-style tokens between services: one issuer signs, many services verify.

The seed's third piece of advice: "if you need OAuth2-like token authentication, use
JWT". What makes that work is *asymmetric* signing. Three roles:

- `TokenIssuer` holds the private keys (Ed25519, `alg: EdDSA`). Every token names the
  key that signed it in its header (`kid`). It publishes the public halves as a JWKS
  document (RFC 7517) and can rotate: a new key signs, the old one stays published
  until every token it signed has expired, then is retired.
- `create_authorization_server` puts an issuer behind HTTP: the JWKS, a metadata
  document (RFC 8414) and a `/token` endpoint for the client-credentials grant,
  with one audience per service (`resource`, RFC 8707).
- `create_resource_server` is a service that *only verifies*. Its `JwksKeySource`
  fetches the JWKS from the one URL it was configured with, caches it, and picks
  the key by `kid` from that set. A `jku`, `jwk`, `x5u` or `x5c` header in a token
  is never looked at: a token cannot choose the key that verifies it.

How this maps to OAuth 2.0 / OpenID Connect: the issuer is the authorization
server, the services are resource servers, tokens follow the JWT access-token
profile (RFC 9068: `typ: at+jwt`, `iss`, `aud`, `sub`, `client_id`, `scope`).
Missing on purpose: the authorization-code flow with PKCE, consent, refresh tokens,
ID tokens, dynamic client registration. Use a real authorization server for those.
"""

from __future__ import annotations

import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import (Ed25519PrivateKey,
                                                               Ed25519PublicKey)
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from jwt.algorithms import OKPAlgorithm

from authdemo.architectures._forms import read_form
from authdemo.errors import AuthError, bearer_challenge, install_error_handlers
from authdemo.settings import Secret, default_id
from authdemo.tokens.codec import MAX_TOKEN_CHARS, InvalidToken, IssuedToken
from authdemo.tokens.codec import reason_for

ALGORITHM = "EdDSA"
"""Pinned on both sides: the verifier never takes the algorithm from the token or the JWK."""

ACCESS_TOKEN_TYPE = "at+jwt"
"""RFC 9068 §2.1: marks an access token, so an ID token or another JWT cannot pass for one."""

REQUIRED_CLAIMS = ["iss", "sub", "aud", "iat", "exp", "jti"]

# DEMO ONLY. Fixed Ed25519 keys so that notebook outputs are identical on every run
# (Ed25519 signatures are deterministic). Anyone can read them here: never use them
# for anything real. A real issuer generates its keys and keeps them in a KMS/HSM.
DEMO_PRIVATE_KEYS_PEM: dict[str, str] = {
    "as-2026-01": "-----BEGIN PRIVATE KEY-----\n"
                  "MC4CAQAwBQYDK2VwBCIEIPb3aVYBUc08GKw38yHVIS1ZWgFTJFjHyOlDO9LkDmw0\n"
                  "-----END PRIVATE KEY-----\n",
    "as-2026-07": "-----BEGIN PRIVATE KEY-----\n"
                  "MC4CAQAwBQYDK2VwBCIEIJq7EVLKvlu7JIM4a9LsG/BC89RB7auR1VBrGCMkJR2r\n"
                  "-----END PRIVATE KEY-----\n",
    "bff-2026-01": "-----BEGIN PRIVATE KEY-----\n"
                   "MC4CAQAwBQYDK2VwBCIEIPhlXajLUu4yuZgAFUgDdYGOAhlyXPZ/lDOD/h1CRaRl\n"
                   "-----END PRIVATE KEY-----\n",
}

AUTH_SERVER_URL = "http://auth.localhost"
JWKS_PATH = "/.well-known/jwks.json"


@dataclass(frozen=True)
class SigningKey:
    """A private key and the name (`kid`) tokens will carry. Lives only in the issuer."""

    kid: str
    private_key: Ed25519PrivateKey = field(repr=False)

    def public_jwk(self) -> dict[str, Any]:
        """The public half as a JWK: `kty`, `crv`, `x`, never the private `d`."""
        jwk = json.loads(OKPAlgorithm.to_jwk(self.private_key.public_key()))
        return {**jwk, "kid": self.kid, "use": "sig", "alg": ALGORITHM}


def demo_signing_key(kid: str) -> SigningKey:
    """One of the fixed DEMO keys above, by kid."""
    key = load_pem_private_key(DEMO_PRIVATE_KEYS_PEM[kid].encode(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return SigningKey(kid, key)


class TokenIssuer:
    """Signs access tokens; publishes the public keys; rotates without downtime."""

    def __init__(self, issuer: str, key: SigningKey, *, ttl_seconds: int = 5 * 60,
                 clock: Callable[[], float] = time.time,
                 new_id: Callable[[], str] = default_id) -> None:
        self.issuer, self.ttl_seconds, self.clock, self.new_id = issuer, ttl_seconds, clock, new_id
        self._published: list[SigningKey] = [key]
        self._active = key

    @property
    def active_kid(self) -> str:
        return self._active.kid

    @property
    def published_kids(self) -> list[str]:
        return [key.kid for key in self._published]

    def jwks(self) -> dict[str, Any]:
        """The JWKS document: every published public key, newest first."""
        return {"keys": [key.public_jwk() for key in reversed(self._published)]}

    def rotate(self, key: SigningKey) -> None:
        """Sign with `key` from now on. The old key stays published, so tokens it signed
        keep verifying until they expire; `retire` it after the longest token lifetime."""
        self._published.append(key)
        self._active = key

    def retire(self, kid: str) -> None:
        """Stop publishing `kid`. Tokens it signed are refused once services refetch."""
        if kid == self._active.kid:
            raise ValueError("cannot retire the key that is signing")
        self._published = [key for key in self._published if key.kid != kid]

    def issue(self, subject: str, audience: str, *, scope: str = "",
              ttl_seconds: int | None = None, **extra: Any) -> IssuedToken:
        now = int(self.clock())
        claims = {"iss": self.issuer, "sub": subject, "aud": audience, "iat": now,
                  "exp": now + (ttl_seconds or self.ttl_seconds), "jti": self.new_id(),
                  **({"scope": scope} if scope else {}), **extra}
        headers = {"kid": self._active.kid, "typ": ACCESS_TOKEN_TYPE}
        token = jwt.encode(claims, self._active.private_key, algorithm=ALGORITHM,
                           headers=headers)
        return IssuedToken(token, claims)


def create_jwks_app(issuer: TokenIssuer, title: str = "JWKS") -> FastAPI:
    """Just the public keys, over HTTP: what every verifying service fetches."""
    app = FastAPI(title=title)

    @app.get(JWKS_PATH)
    async def jwks() -> JSONResponse:
        return JSONResponse(issuer.jwks(), headers={"Cache-Control": "public, max-age=300"})

    return app


# --- the authorization server ---------------------------------------------------------------
@dataclass(frozen=True)
class Client:
    """A registered machine client (client-credentials grant) and the services it may call."""

    client_id: str
    secret: Secret
    audiences: frozenset[str]
    scope: str = ""


def oauth_error(status: int, error: str, description: str) -> JSONResponse:
    """RFC 6749 §5.2: the token endpoint's own error shape."""
    return JSONResponse({"error": error, "error_description": description}, status_code=status,
                        headers={"Cache-Control": "no-store"})


def create_authorization_server(issuer: TokenIssuer, clients: dict[str, Client]) -> FastAPI:
    app = create_jwks_app(issuer, title="authorization server (OAuth2-style, demo)")
    app.state.issuer = issuer

    @app.get("/.well-known/oauth-authorization-server")
    async def metadata() -> dict[str, Any]:
        """RFC 8414: where a service finds the keys, and what this server can do."""
        return {"issuer": issuer.issuer, "jwks_uri": issuer.issuer + JWKS_PATH,
                "token_endpoint": issuer.issuer + "/token",
                "grant_types_supported": ["client_credentials"],
                "token_endpoint_auth_methods_supported": ["client_secret_post"],
                "access_token_signing_alg_values_supported": [ALGORITHM]}

    @app.post("/token")
    async def token(request: Request) -> JSONResponse:
        form = await read_form(request)
        if form.get("grant_type") != "client_credentials":
            return oauth_error(400, "unsupported_grant_type", "only client_credentials")
        client = clients.get(form.get("client_id", ""))
        sent = form.get("client_secret", "").encode()
        if client is None or not hmac.compare_digest(sent, client.secret.reveal()):
            return oauth_error(401, "invalid_client", "unknown client or wrong secret")
        audience = form.get("resource", "")
        if audience not in client.audiences:
            return oauth_error(400, "invalid_target", "this client may not call that service")
        issued = issuer.issue(client.client_id, audience, scope=client.scope,
                              client_id=client.client_id)
        return JSONResponse({"access_token": issued.token, "token_type": "Bearer",
                             "expires_in": issued.claims["exp"] - issued.claims["iat"],
                             "scope": client.scope}, headers={"Cache-Control": "no-store"})

    return app


# --- the resource server: public keys only ---------------------------------------------------
class KeysUnavailable(Exception):
    """Raised when the JWKS cannot be fetched and no cached copy holds the key."""


class JwksKeySource:
    """Public keys from one configured JWKS URL, cached; the key is chosen by `kid`.

    The cache is refreshed after `max_age_seconds`, or early when a token names a
    kid we do not have (a rotation happened), but not more often than every
    `min_refetch_seconds`, so a flood of made-up kids cannot flood the issuer.
    """

    def __init__(self, jwks_url: str, http: httpx.Client, *,
                 clock: Callable[[], float] = time.time, max_age_seconds: float = 300,
                 min_refetch_seconds: float = 10) -> None:
        self.jwks_url, self.http, self.clock = jwks_url, http, clock
        self.max_age_seconds, self.min_refetch_seconds = max_age_seconds, min_refetch_seconds
        self.fetches = 0
        self._keys: jwt.PyJWKSet | None = None
        self._fetched_at = float("-inf")

    def _fetch(self) -> None:
        try:
            response = self.http.get(self.jwks_url, timeout=2.0)
            response.raise_for_status()
            self._keys = jwt.PyJWKSet.from_dict(response.json())
        except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
            raise KeysUnavailable(f"cannot load {self.jwks_url}: {type(exc).__name__}") from None
        self._fetched_at = self.clock()
        self.fetches += 1

    def _find(self, kid: str) -> jwt.PyJWK | None:
        if self._keys is None:
            return None
        return next((key for key in self._keys.keys if key.key_id == kid), None)

    def key_for(self, kid: str) -> jwt.PyJWK:
        age = self.clock() - self._fetched_at
        if self._keys is None or age >= self.max_age_seconds:
            self._fetch()
        key = self._find(kid)
        if key is None and self.clock() - self._fetched_at >= self.min_refetch_seconds:
            self._fetch()  # maybe the issuer rotated since our last fetch
            key = self._find(kid)
        if key is None:
            raise InvalidToken("unknown signing key")
        return key

    @property
    def cached_kids(self) -> list[str]:
        return [] if self._keys is None else sorted(str(k.key_id) for k in self._keys.keys)

    def cached_keys(self) -> list[Any]:
        """The key objects this service holds: public keys, and nothing else."""
        return [] if self._keys is None else [k.key for k in self._keys.keys]


class AccessTokenVerifier:
    """Verifies one service's access tokens: our issuer, our audience, our pinned algorithm."""

    def __init__(self, keys: JwksKeySource, *, issuer: str, audience: str,
                 leeway_seconds: int = 5) -> None:
        self.keys, self.issuer, self.audience, self.leeway = keys, issuer, audience, leeway_seconds

    def verify(self, token: str) -> dict[str, Any]:
        if not token or len(token) > MAX_TOKEN_CHARS:
            raise InvalidToken("malformed token")
        try:
            header = jwt.get_unverified_header(token)  # read only to learn the kid
        except jwt.PyJWTError:
            raise InvalidToken("malformed token") from None
        if header.get("typ") != ACCESS_TOKEN_TYPE:
            raise InvalidToken("not an access token")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise InvalidToken("no kid in header")
        # jku / jwk / x5u / x5c are deliberately ignored: the key comes from OUR jwks_url.
        key = self.keys.key_for(kid)
        try:
            return jwt.decode(token, key.key, algorithms=[ALGORITHM], audience=self.audience,
                              issuer=self.issuer, leeway=self.leeway,
                              options={"require": REQUIRED_CLAIMS})
        except Exception as exc:  # any failure at all is a refusal, never a 500
            raise InvalidToken(reason_for(exc)) from None


def create_resource_server(name: str, verifier: AccessTokenVerifier,
                           path: str = "/data") -> FastAPI:
    """A service that accepts Bearer tokens for its own audience. It holds no private key."""
    app = FastAPI(title=f"{name} (resource server)")
    app.state.verifier = verifier

    def claims(request: Request) -> dict[str, Any]:
        # A plain `def`: FastAPI runs it in a worker thread, so the blocking JWKS fetch
        # never stalls the event loop (which also serves the in-process issuer).
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise AuthError(401, "missing_token", "send Authorization: Bearer <token>",
                            {"WWW-Authenticate": 'Bearer realm="' + name + '"'})
        try:
            return verifier.verify(token.strip())
        except InvalidToken as exc:
            raise AuthError(401, "invalid_token", exc.reason,
                            bearer_challenge("invalid_token", exc.reason)) from None
        except KeysUnavailable:
            raise AuthError(503, "keys_unavailable", "the issuer's keys cannot be fetched; "
                            "try again shortly") from None

    @app.get(path)
    def data(token_claims: dict[str, Any] = Depends(claims)) -> dict[str, Any]:
        return {"service": name, "caller": token_claims["sub"],
                "scope": token_claims.get("scope", "")}

    install_error_handlers(app)
    return app


def holds_only_public_keys(verifier: AccessTokenVerifier) -> bool:
    """The resource server's key material, checked: every key is an Ed25519 *public* key."""
    keys = verifier.keys.cached_keys()
    return bool(keys) and all(isinstance(key, Ed25519PublicKey) for key in keys)
