"""Drive Debian's Chromium through the lab with Playwright, and report what happened.

    if browser_available():
        results = run_browser_lab()

`run_browser_lab()` starts three real servers on free loopback ports, launches
/usr/bin/chromium headless, plays victim and attacker, stops everything and returns
a small dict of plain values, the same on every run:

    {
      "localStorage":     XSS result   (JWT kept in localStorage, sent as Bearer)
      "httponly_cookie":  XSS result   (JWT delivered as HttpOnly cookies)
      "httponly_session": XSS result   (server-side session, id in an HttpOnly cookie)
      "csrf_form":        CSRF result
    }

An XSS result: the victim logs in on /lab/{mode}, then opens the page with the
attacker's `?comment=`, which runs /attacker/steal.js in the page's origin.

    "credential_in_browser":    True   the login worked; the browser holds the credential
    "httponly":                 bool   the credential is an HttpOnly cookie
                                       (False for localStorage, True for both cookie modes)
    "stolen":                   bool   the credential's value reached /attacker/collect
                                       (True for localStorage only)
    "script_saw_cookies":       list   cookie names document.cookie showed the script, at the
                                       page and in a same-origin frame at /jwt/me: ["lab_theme"]
                                       in every mode (it reads cookies, never HttpOnly ones)
    "script_could_call_api":    bool   the script's own request to the /me route answered 200
                                       (True in every mode: HttpOnly stops theft, not use)
    "script_read_csrf_token":   bool   the script read the CSRF token the page keeps in
                                       sessionStorage (True in both cookie modes; False for
                                       localStorage, which needs none): a CSRF token stops
                                       other sites, never a script running in your own page
    "replayed_outside_browser": bool   the attacker used what was stolen from their own client,
                                       with no browser, and got 200 from /me
                                       (True for localStorage only)

The CSRF result: the victim is logged in to a site on http://127.0.0.1:<port>, then
visits the evil site on http://localhost:<port> (another *site*, not only another
origin), whose form posts itself to the victim's logout route.

    "seed":      "logged out"   the seed port's /session/logout (no SameSite, no CSRF token)
    "hardened":  "blocked"      both hardened logouts below were refused; the victim stays in
    "attempts":  {name: {"cookie_sent": bool, "status": int, "sec_fetch_site": str,
                         "outcome": "logged out" | "blocked"}} for
        "seed_session"          cookie_sent True,  status 200, outcome "logged out"
        "hardened_session"      cookie_sent False (SameSite=Lax), status 401 (so: no session)
        "hardened_jwt_cookie"   cookie_sent False (SameSite=Strict), status 401 (no token)
    and sec_fetch_site "cross-site" in all three: the browser says where the form came from.

One caveat the seed row depends on: Chromium treats a cookie with no SameSite as Lax,
except during its first two minutes, when top-level cross-site POSTs still carry it
("Lax-allowing-unsafe"). The lab logs in and attacks within seconds, as a real CSRF
right after login would; Firefox and Safari send such a cookie at any age.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import importlib.util
import json
import os
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from authdemo.browser_lab.pages import (MODES, XSS_PAYLOAD, Loot, RequestLog,
                                        create_evil_site, create_lab_app,
                                        create_seed_lab_app)
from authdemo.server import serve
from authdemo.settings import Settings
from authdemo.users import UserDirectory

CHROMIUM = "/usr/bin/chromium"
"""Debian's Chromium (`apt-get install chromium`). Playwright never downloads a browser here."""

CHROMIUM_FLAGS = [
    "--no-sandbox",  # root in a container has no user namespaces for the sandbox
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # No calls home: on a machine with a closed network they fail, many at a time.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Passed to Chromium. `--headless` comes from `headless=True`, and Playwright gives every
launch a new, empty --user-data-dir of its own (it refuses one in `args`)."""

STEP_TIMEOUT_MS = 10_000
"""The longest any single page load, click or wait may take."""

RESULT_KEYS = ("localStorage", "httponly_cookie", "httponly_session", "csrf_form")

_JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*")


def unavailable_reason() -> str:
    """Why the browser lab cannot run here, or "" when it can."""
    missing = []
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("no playwright package (pip install playwright; never `playwright "
                       "install`)")
    return "; ".join(missing)


def browser_available() -> bool:
    """True when Debian's Chromium and the playwright package are both installed."""
    return not unavailable_reason()


@dataclass(frozen=True)
class _Sites:
    hardened: str  # http://127.0.0.1:<port>: the lab app (hardened routes + pages)
    seed: str  # http://127.0.0.1:<port>: the vulnerable seed port
    evil: str  # http://localhost:<port>: another site


def run_browser_lab(settings: Settings | None = None, *, users: UserDirectory | None = None,
                    timeout_seconds: float = 90) -> dict[str, Any]:
    """Run every browser attack once and return the results described in the module docstring.

    Raises RuntimeError when `browser_available()` is False. Servers are stopped and the
    browser is closed on every exit path; each browser step is bounded by STEP_TIMEOUT_MS.
    """
    reason = unavailable_reason()
    if reason:
        raise RuntimeError(f"the browser lab cannot run here: {reason}")
    lab_app = create_lab_app(settings, users=users)
    hardened_log, seed_log = RequestLog(lab_app), RequestLog(create_seed_lab_app())
    with contextlib.ExitStack() as stack:
        hardened = stack.enter_context(serve(hardened_log)).url
        seed = stack.enter_context(serve(seed_log)).url
        targets = {"seed_session": f"{seed}/session/logout",
                   "hardened_session": f"{hardened}/session/logout",
                   "hardened_jwt_cookie": f"{hardened}/jwt/logout"}
        # Served on 127.0.0.1, visited as localhost: the browser sees another site.
        evil_port = stack.enter_context(serve(create_evil_site(targets))).port
        sites = _Sites(hardened, seed, f"http://localhost:{evil_port}")
        # Playwright's sync API refuses to run on a thread with a running event loop (a
        # notebook's), so the browser always gets a thread of its own.
        pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="browser-lab")
        try:
            future = pool.submit(_drive_browser, sites, lab_app.state.lab_loot,
                                 {"hardened": hardened_log, "seed": seed_log})
            return future.result(timeout=timeout_seconds)
        finally:
            pool.shutdown(wait=False)


def _drive_browser(sites: _Sites, loot: Loot, logs: dict[str, RequestLog]) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_FLAGS, timeout=30_000)
        try:
            results: dict[str, Any] = {
                "localStorage": _xss_attack(browser, sites, loot, "localstorage"),
                "httponly_cookie": _xss_attack(browser, sites, loot, "httponly-jwt"),
                "httponly_session": _xss_attack(browser, sites, loot, "httponly-session"),
            }
            attempts = {
                "seed_session": _csrf_attack(browser, sites, logs["seed"], "seed_session"),
                "hardened_session": _csrf_attack(browser, sites, logs["hardened"],
                                                 "hardened_session"),
                "hardened_jwt_cookie": _csrf_attack(browser, sites, logs["hardened"],
                                                    "hardened_jwt_cookie"),
            }
            hardened_blocked = all(attempts[name]["outcome"] == "blocked"
                                   for name in ("hardened_session", "hardened_jwt_cookie"))
            results["csrf_form"] = {"seed": attempts["seed_session"]["outcome"],
                                    "hardened": "blocked" if hardened_blocked else "logged out",
                                    "attempts": attempts}
            return results
        finally:
            browser.close()


@contextlib.contextmanager
def _new_page(browser: Any) -> Any:
    """A fresh browser context (empty cookie jar and storage) with bounded waits."""
    context = browser.new_context()
    try:
        context.set_default_timeout(STEP_TIMEOUT_MS)
        context.set_default_navigation_timeout(STEP_TIMEOUT_MS)
        yield context, context.new_page()
    finally:
        context.close()


def _log_in_on_lab_page(page: Any, url: str) -> None:
    page.goto(url)
    page.click("#login button[type=submit]")
    page.wait_for_selector("body[data-logged-in=true]")


# --- XSS: what an injected script can take, and what it can do ------------------------------
_CREDENTIAL_COOKIE = {"httponly-jwt": "authdemo_access", "httponly-session": "authdemo.sid"}


def _xss_attack(browser: Any, sites: _Sites, loot: Loot, mode_name: str) -> dict[str, Any]:
    mode = MODES[mode_name]
    with _new_page(browser) as (context, page):
        _log_in_on_lab_page(page, f"{sites.hardened}/lab/{mode.name}")
        if mode.name == "localstorage":
            credential = page.evaluate("localStorage.getItem('access_token')")
            httponly = False
        else:
            # every cookie of this fresh context, whatever its Path (the JWT's is /jwt)
            cookie = next(c for c in context.cookies()
                          if c["name"] == _CREDENTIAL_COOKIE[mode.name])
            credential, httponly = cookie["value"], cookie["httpOnly"]

        received_before = len(loot.entries)
        page.goto(f"{sites.hardened}/lab/{mode.name}?comment={quote(XSS_PAYLOAD)}")
        page.wait_for_function("window.attackerDone === true")
        if len(loot.entries) == received_before:
            raise RuntimeError("the attacker's script finished but /attacker/collect got nothing")
        stolen_goods = loot.latest() or {}

    stolen_text = json.dumps(stolen_goods)
    stolen = bool(credential) and credential in stolen_text
    seen = set()
    for jar in (stolen_goods.get("cookie"), stolen_goods.get("cookie_at_jwt_path")):
        seen.update(p.split("=", 1)[0].strip() for p in (jar or "").split(";") if p.strip())
    api = stolen_goods.get("api", {}).get(mode.me_path, {})
    return {
        "credential_in_browser": bool(credential),
        "httponly": bool(httponly),
        "stolen": stolen,
        "script_saw_cookies": sorted(seen),
        "script_could_call_api": api.get("status") == 200,
        "script_read_csrf_token": "csrf_token" in stolen_goods.get("sessionStorage", {}),
        "replayed_outside_browser": _replay(sites.hardened, stolen_text),
    }


def _replay(base: str, stolen_text: str) -> bool:
    """The attacker, on their own machine with no browser, tries every token they took."""
    for token in set(_JWT.findall(stolen_text)):
        answer = httpx.get(f"{base}/jwt/me", headers={"Authorization": f"Bearer {token}"},
                           timeout=5)
        if answer.status_code == 200:
            return True
    return False


# --- CSRF: a form on another site posts to the victim's logout ------------------------------
def _csrf_attack(browser: Any, sites: _Sites, log: RequestLog, target: str) -> dict[str, Any]:
    if target == "seed_session":
        base, logout, me = sites.seed, "/session/logout", "/session/protected"
    elif target == "hardened_session":
        base, logout, me = sites.hardened, "/session/logout", "/session/me"
    else:
        base, logout, me = sites.hardened, "/jwt/logout", "/jwt/me"
    with _new_page(browser) as (_, page):
        login_page = {"seed_session": "/lab/", "hardened_session": "/lab/httponly-session",
                      "hardened_jwt_cookie": "/lab/httponly-jwt"}[target]
        _log_in_on_lab_page(page, f"{base}{login_page}")

        with page.expect_response(lambda r: r.url == f"{base}{logout}"
                                  and r.request.method == "POST") as forged:
            page.goto(f"{sites.evil}/csrf/{target}")
        status = forged.value.status
        arrived = log.last("POST", logout)
        after = page.goto(f"{base}{me}")  # the victim, back on the real site
        still_logged_in = after is not None and after.status == 200

    cookie_name = "connect.sid" if target == "seed_session" else (
        "authdemo.sid" if target == "hardened_session" else "authdemo_access")
    return {
        "cookie_sent": arrived is not None and cookie_name in arrived.cookies,
        "status": status,
        "sec_fetch_site": arrived.sec_fetch_site if arrived else None,
        "outcome": "blocked" if still_logged_in else "logged out",
    }


__all__ = ["CHROMIUM", "CHROMIUM_FLAGS", "RESULT_KEYS", "browser_available",
           "run_browser_lab", "unavailable_reason"]
