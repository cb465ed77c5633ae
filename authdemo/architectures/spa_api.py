"""SPA + REST API: a static page on one origin, a JSON API on another (seed: "SPA + REST
API → JWT").

    create_spa_app()        serves the page (HTML + a little JavaScript), nothing else
    create_api_app(...)     authdemo's hardened app (Bearer JWTs, refresh rotation),
                            wrapped in CORS that allows exactly the SPA's origin

Why CORS: the page at `SPA_ORIGIN` calls `API_ORIGIN`. A browser lets a page read a
cross-origin response only if the API says so (`Access-Control-Allow-Origin`), and
before a request with an `Authorization` header it first asks (a *preflight*
`OPTIONS`). The allow-list is the API's answer to "which pages may use me from a
browser". It is not authentication: curl ignores it; it stops *other web pages*.

Where the tokens live: the page keeps the access token in a JavaScript variable
(memory), never in localStorage, where any injected script can read it for as long
as it lives. `allow_credentials` stays False: no cookie is involved, and that is
what keeps this flow out of CSRF's reach (notebook 05's browser lab shows both).
"""

from __future__ import annotations

from typing import Any, Iterable

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse

from authdemo.app import create_app
from authdemo.settings import Settings

SPA_ORIGIN = "http://spa.localhost:5173"
API_ORIGIN = "http://api.localhost:8000"

SPA_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>authdemo SPA</title></head>
<body>
<h1>authdemo SPA</h1>
<form id="login"><input name="username" value="alice">
<input name="password" type="password"><button>Log in</button></form>
<button id="me">Who am I?</button><pre id="out"></pre>
<script>
const API = "__API__";
let accessToken = null, refreshToken = null;   // memory only: gone on reload, by design
const out = (x) => document.getElementById("out").textContent = JSON.stringify(x, null, 2);
async function call(path, init = {}) {
  return fetch(API + path, {...init, headers: {...(init.headers || {}),
    "content-type": "application/json",
    ...(accessToken ? {authorization: "Bearer " + accessToken} : {})}});
}
async function refresh() {                      // rotation: each refresh token works once
  const r = await call("/jwt/refresh", {method: "POST",
                       body: JSON.stringify({refresh_token: refreshToken})});
  const data = await r.json();
  if (r.ok) ({access_token: accessToken, refresh_token: refreshToken} = data);
  return r.ok;
}
document.getElementById("login").onsubmit = async (e) => {
  e.preventDefault();
  const form = Object.fromEntries(new FormData(e.target));
  const r = await call("/jwt/login", {method: "POST", body: JSON.stringify(form)});
  const data = await r.json();
  ({access_token: accessToken, refresh_token: refreshToken} = data);
  out(r.ok ? {logged_in: form.username} : data);
};
document.getElementById("me").onclick = async () => {
  let r = await call("/jwt/me");
  if (r.status === 401 && refreshToken && await refresh()) r = await call("/jwt/me");
  out(await r.json());
};
</script></body></html>
"""


def create_spa_app(api_origin: str = API_ORIGIN) -> FastAPI:
    """The static page. It has no auth of its own: it is just files a CDN could serve."""
    app = FastAPI(title="SPA (static page)")
    page = SPA_PAGE.replace("__API__", api_origin)
    csp = f"default-src 'self'; script-src 'unsafe-inline'; connect-src {api_origin}"

    @app.get("/", response_class=HTMLResponse)
    async def index() -> HTMLResponse:
        # connect-src: even an injected script may only talk to our API.
        return HTMLResponse(page, headers={"Content-Security-Policy": csp})

    return app


def create_api_app(settings: Settings, *, allowed_origins: Iterable[str] | None = (SPA_ORIGIN,),
                   **create_app_kwargs: Any) -> FastAPI:
    """The hardened app behind CORS. `allowed_origins=None` leaves CORS out (to see it break)."""
    app = create_app(settings, title="SPA's API", **create_app_kwargs)
    if allowed_origins is not None:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(allowed_origins),  # exact origins, never "*" with credentials
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type"],
            allow_credentials=False,  # Bearer tokens, no cookies: no credentialed requests
            max_age=600,  # seconds a browser may cache the preflight answer
        )
    return app
