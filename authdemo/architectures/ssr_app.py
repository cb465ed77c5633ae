"""A server-rendered web app: HTML pages, a login form, a server-side session (seed: "SSR
web app → express-session").

    GET  /          the home page; not logged in → 303 to /login
    GET  /login     the login form, with a CSRF token in a hidden field
    POST /login     check the CSRF token and the password, regenerate the session,
                    then 303 See Other to / (Post/Redirect/Get: a reload does not re-post)
    POST /logout    check the CSRF token, destroy the session, 303 to /login

The browser holds one cookie, `authdemo.sid=s:<id>.<signature>`; everything else is
in the store. The cookie is sent with every request to this site, also with a form
that *another* site submits: that is CSRF, and the defence is a token that only our
own pages know, put in every form and checked on every POST. The login form gets
one too (login CSRF: being logged in as the attacker), so an anonymous visitor gets a
small session before logging in.
"""

from __future__ import annotations

import hmac
from html import escape
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from authdemo.app import session_config
from authdemo.architectures._forms import read_form
from authdemo.errors import AuthError, install_error_handlers
from authdemo.sessions import MemoryStore, Session, SessionMiddleware, Store
from authdemo.settings import Settings
from authdemo.users import UserDirectory

CSRF_FIELD = "csrf_token"


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}"
                        f"</title></head><body><h1>{title}</h1>{body}</body></html>",
                        status_code=status)


def see_other(path: str) -> RedirectResponse:
    """303: after a POST, the browser follows with a GET."""
    return RedirectResponse(path, status_code=303)


def create_ssr_app(settings: Settings, *, store: Store | None = None,
                   users: UserDirectory | None = None) -> FastAPI:
    store = store if store is not None else MemoryStore(settings.clock)
    users = users or UserDirectory.demo()
    app = FastAPI(title="SSR web app")
    app.state.store = store

    def session_of(request: Request) -> Session:
        return request.session  # type: ignore[return-value]

    def csrf_token(session: Session) -> str:
        if CSRF_FIELD not in session:
            session[CSRF_FIELD] = settings.new_id()
        return str(session[CSRF_FIELD])

    def hidden_csrf(session: Session) -> str:
        return f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(csrf_token(session))}">'

    def require_csrf(session: Session, form: dict[str, str]) -> None:
        expected = str(session.get(CSRF_FIELD, ""))
        sent = form.get(CSRF_FIELD, "")
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            raise AuthError(403, "csrf_failed", "missing or wrong csrf_token form field")

    def login_form(session: Session, message: str = "") -> str:
        note = f"<p role=\"alert\">{escape(message)}</p>" if message else ""
        return (f'{note}<form method="post" action="/login">{hidden_csrf(session)}'
                '<input name="username" autocomplete="username">'
                '<input name="password" type="password" autocomplete="current-password">'
                "<button>Log in</button></form>")

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> Any:
        session = session_of(request)
        user = session.get("user")
        if not isinstance(user, dict):
            return see_other("/login")
        return page(f"Hello, {escape(user['username'])}",
                    f'<form method="post" action="/logout">{hidden_csrf(session)}'
                    "<button>Log out</button></form>")

    @app.get("/login", response_class=HTMLResponse)
    async def login_page(request: Request) -> HTMLResponse:
        return page("Log in", login_form(session_of(request)))

    @app.post("/login")
    async def login(request: Request) -> Any:
        session, form = session_of(request), await read_form(request)
        require_csrf(session, form)
        user = await run_in_threadpool(users.authenticate, form.get("username", ""),
                                       form.get("password", ""))
        if user is None:
            return page("Log in", login_form(session, "Wrong username or password."), 401)
        await session.regenerate()  # new id at login: a planted id becomes worthless
        session["user"] = {"username": user.username, "role": user.role}
        csrf_token(session)  # a fresh token for the new session
        return see_other("/")

    @app.post("/logout")
    async def logout(request: Request) -> Any:
        session, form = session_of(request), await read_form(request)
        require_csrf(session, form)
        await session.destroy()  # gone from the store; the cookie is expired too
        return see_other("/login")

    app.add_middleware(SessionMiddleware, config=session_config(settings, store))
    install_error_handlers(app)
    return app
