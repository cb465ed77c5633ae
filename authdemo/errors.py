"""Every error the app returns, in one shape and one place.

    {"error": "<machine-readable code>", "message": "<one sentence for a human>"}

Routes raise `AuthError`; `install_error_handlers` turns it, bad JSON, and a store
that is down into that shape with the right status. Nothing an attacker sends can
reach the client as a 500 traceback, and no error echoes the input back (a
password sent in the wrong field must not come back in a validation message).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from authdemo.sessions.stores.base import StoreUnavailable

log = logging.getLogger("authdemo")


class AuthError(Exception):
    """Raised by a route or dependency to answer with a JSON error."""

    def __init__(self, status: int, error: str, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message
        self.headers = headers or {}


def bearer_challenge(error: str, description: str, realm: str = "authdemo") -> dict[str, str]:
    """RFC 6750 §3: tell the client which scheme to use and what was wrong."""
    return {"WWW-Authenticate": f'Bearer realm="{realm}", error="{error}", '
                                f'error_description="{description}"'}


def error_response(status: int, error: str, message: str,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "message": message}, status_code=status,
                        headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AuthError)
    async def on_auth_error(request: Request, exc: AuthError) -> JSONResponse:
        return error_response(exc.status, exc.error, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def on_bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(err.get("type") == "json_invalid" for err in errors):
            return error_response(422, "invalid_request", "The request body is not valid JSON.")
        fields = sorted({".".join(str(p) for p in err.get("loc", ())[1:]) or "body"
                         for err in errors})
        return error_response(422, "invalid_request",
                              "The request body is not JSON of the expected shape; "
                              f"check: {', '.join(fields)}.")

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed"}
        return error_response(exc.status_code, codes.get(exc.status_code, "http_error"),
                              str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(StoreUnavailable)
    async def on_store_down(request: Request, exc: StoreUnavailable) -> JSONResponse:
        log.warning("store unavailable: %s", exc)
        return error_response(503, "store_unavailable",
                              "A backing store is unavailable; try again shortly.")
