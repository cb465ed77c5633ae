"""The hardened JWT flow: `/jwt/login`, `/jwt/me`, `/jwt/refresh`, `/jwt/logout`.

Seed → here: the token travels as `Authorization: Bearer <token>` (RFC 6750), the
password is checked, the secret comes from settings, claims are validated, and
logout really ends the token (denylist). In *cookie mode* (the seed's "store the
JWT in an HttpOnly cookie") the tokens are set as HttpOnly cookies that page
scripts cannot read, and every state-changing request must echo a CSRF token.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from authdemo.app.dependencies import LoginRequest, Services, services
from authdemo.errors import AuthError, bearer_challenge
from authdemo.tokens import InvalidToken, revocation_reason

router = APIRouter(prefix="/jwt", tags=["jwt"])

ACCESS_COOKIE = "authdemo_access"
REFRESH_COOKIE = "authdemo_refresh"
CSRF_HEADER = "x-csrf-token"


class JwtLoginRequest(LoginRequest):
    delivery: Literal["body", "cookie"] = "body"
    """`body`: tokens in the JSON answer (for API clients). `cookie`: HttpOnly cookies."""


class RefreshRequest(BaseModel):
    refresh_token: str | None = Field(default=None, max_length=8192)


def invalid_token(reason: str) -> AuthError:
    """One 401 shape for every bad credential, with RFC 6750's challenge header."""
    return AuthError(401, "invalid_token", reason, bearer_challenge("invalid_token", reason))


# --- dependencies: credentials, then claims, then the user --------------------------------
def presented_access_token(request: Request) -> tuple[str, bool]:  # called, not injected
    """The access token and whether it came from a cookie (then CSRF rules apply)."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise invalid_token("use: Authorization: Bearer <token>")
        return token.strip(), False
    cookie = request.cookies.get(ACCESS_COOKIE)
    if cookie:
        return cookie, True
    raise AuthError(401, "missing_token", "no access token was sent",
                    {"WWW-Authenticate": 'Bearer realm="authdemo"'})


async def access_claims(
    request: Request, svc: Annotated[Services, Depends(services)]
) -> dict[str, Any]:
    """Verified claims of a live access token: signature and claims, then revocation."""
    token, from_cookie = presented_access_token(request)
    try:
        claims = svc.tokens.decode(token, "access")
    except InvalidToken as exc:
        raise invalid_token(exc.reason) from None
    revoked = await revocation_reason(svc.denylist, svc.refresh_families, claims)
    if revoked:
        raise invalid_token(revoked)
    if from_cookie and request.method not in ("GET", "HEAD", "OPTIONS"):
        require_csrf(request, claims)
    return claims


def require_csrf(request: Request, claims: dict[str, Any]) -> None:
    """Cookies ride along on cross-site requests; a header a foreign page cannot set proves
    the request came from our own page (which read the token from the login answer)."""
    sent = request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(sent.encode(), str(claims.get("csrf", "")).encode()):
        raise AuthError(403, "csrf_failed", f"missing or wrong {CSRF_HEADER} header")


Claims = Annotated[dict[str, Any], Depends(access_claims)]
Svc = Annotated[Services, Depends(services)]


# --- routes ---------------------------------------------------------------------------------
@router.post("/login")
async def login(body: JwtLoginRequest, request: Request, response: Response, svc: Svc
                ) -> dict[str, Any]:
    user = await run_in_threadpool(svc.users.authenticate, body.username, body.password)
    if user is None:
        raise AuthError(401, "invalid_credentials", "wrong username or password",
                        {"WWW-Authenticate": 'Bearer realm="authdemo"'})
    family = svc.settings.new_id()  # one family per login: all its refresh tokens
    csrf = svc.settings.new_id() if body.delivery == "cookie" else None
    return await _issue_pair(svc, request, response, user.username, user.role, family, csrf)


@router.get("/me")
async def me(claims: Claims) -> dict[str, Any]:
    return {"username": claims["sub"], "role": claims.get("role"), "expires_at": claims["exp"]}


@router.post("/refresh")
async def refresh(request: Request, response: Response, svc: Svc,
                  body: RefreshRequest | None = None) -> dict[str, Any]:
    from_cookie = body is None or body.refresh_token is None
    token = request.cookies.get(REFRESH_COOKIE) if from_cookie else body.refresh_token  # type: ignore[union-attr]
    if not token:
        raise invalid_token("no refresh token was sent")
    try:
        claims = svc.tokens.decode(token, "refresh")
    except InvalidToken as exc:
        raise invalid_token(exc.reason) from None
    if from_cookie:
        require_csrf(request, claims)
    if not await svc.refresh_families.spend(claims["fam"], claims["jti"]):
        raise invalid_token("refresh token reused or revoked; the whole login is revoked")
    user = svc.users.get(claims["sub"])
    if user is None:
        raise invalid_token("unknown subject")
    return await _issue_pair(svc, request, response, user.username, user.role, claims["fam"],
                             claims.get("csrf"))


@router.post("/logout")
async def logout(claims: Claims, response: Response, svc: Svc) -> dict[str, str]:
    await svc.denylist.revoke(claims)
    await svc.refresh_families.revoke(claims["fam"])
    for name, path in ((ACCESS_COOKIE, "/jwt"), (REFRESH_COOKIE, "/jwt/refresh")):
        response.delete_cookie(name, path=path)
    return {"message": "logged out: this token and its refresh tokens are revoked"}


async def _issue_pair(svc: Services, request: Request, response: Response, username: str,
                      role: str, family: str, csrf: str | None) -> dict[str, Any]:
    extra: dict[str, Any] = {"fam": family}
    if csrf:
        extra["csrf"] = csrf
    access = svc.tokens.issue(username, "access", role=role, **extra)
    refresh = svc.tokens.issue(username, "refresh", **extra)
    await svc.refresh_families.register(family, refresh.claims["jti"])
    ttl = svc.settings.access_token_ttl_seconds
    if csrf is None:
        return {"access_token": access.token, "token_type": "bearer", "expires_in": ttl,
                "refresh_token": refresh.token}
    s = svc.settings
    secure = s.cookie_secure is True or (s.cookie_secure == "auto" and request.url.scheme == "https")
    response.set_cookie(ACCESS_COOKIE, access.token, max_age=ttl, path="/jwt", httponly=True,
                        secure=secure, samesite="strict")
    response.set_cookie(REFRESH_COOKIE, refresh.token, max_age=s.refresh_token_ttl_seconds,
                        path="/jwt/refresh", httponly=True, secure=secure, samesite="strict")
    return {"token_type": "cookie", "expires_in": ttl, "csrf_token": csrf}
