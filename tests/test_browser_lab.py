"""The browser lab: its pages without a browser, then every attack in a real Chromium.

The browser tests are skipped, with the reason, where Debian's Chromium or the playwright
package is missing. CI installs both and sets AUTHDEMO_REQUIRE_BROWSER=1, so there a
missing browser is a failure, never a silent skip.
"""

from __future__ import annotations

import json
import os

import httpx
import pytest

from authdemo import in_process_client
from authdemo.browser_lab import (MODES, RESULT_KEYS, XSS_PAYLOAD, RequestLog, browser_available,
                                  create_evil_site, create_lab_app, create_seed_lab_app,
                                  run_browser_lab, unavailable_reason)
from authdemo.browser_lab import runner
from authdemo.browser_lab.pages import MAX_LOOT_BYTES, render_page
from authdemo.users import DEMO_PASSWORDS

ALICE = {"username": "alice", "password": DEMO_PASSWORDS["alice"][1]}


@pytest.fixture
def lab(settings, users):
    app = create_lab_app(settings, users=users)
    with in_process_client(app) as client:
        yield app, client


# --- the victim's pages ---------------------------------------------------------------------
def test_index_links_every_mode(lab):
    _, client = lab
    page = client.get("/lab/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for name in MODES:
        assert f'href="/lab/{name}"' in page.text


@pytest.mark.parametrize("name", sorted(MODES))
def test_each_page_has_a_login_form_its_routes_and_the_deliberate_bug(lab, name):
    _, client = lab
    page = client.get(f"/lab/{name}")
    assert page.status_code == 200
    assert '<form id="login"' in page.text
    lab_config = json.loads(page.text.split("const LAB = ", 1)[1].split(";\n", 1)[0])
    mode = MODES[name]
    assert lab_config["login_path"] == mode.login_path
    assert lab_config["me_path"] == mode.me_path
    assert lab_config["delivery"] == mode.delivery
    assert lab_config["xss_payload"] == XSS_PAYLOAD
    assert '$("comment").innerHTML = comment' in page.text  # the XSS, on purpose


def test_page_config_cannot_close_its_script_element():
    page = render_page(MODES["localstorage"])
    config = page.split("const LAB = ", 1)[1].split(";\n", 1)[0]
    assert "<" not in config  # the payload's "<img" is written as \u003cimg


def test_unknown_page_is_a_clean_404(lab):
    _, client = lab
    assert client.get("/lab/no-such-mode").status_code == 404


def test_the_hardened_routes_are_the_real_ones(lab):
    _, client = lab
    login = client.post("/jwt/login", json={**ALICE, "delivery": "cookie"})
    assert login.status_code == 200
    set_cookie = " ".join(login.headers.get_list("set-cookie")).lower()
    assert "authdemo_access=" in set_cookie and "httponly" in set_cookie
    assert "samesite=strict" in set_cookie
    assert client.get("/jwt/me").json()["username"] == "alice"
    assert client.post("/jwt/logout").status_code == 403  # a cookie alone: CSRF refused


# --- the attacker's side --------------------------------------------------------------------
def test_steal_js_is_served_as_javascript_and_reports_to_the_collector(lab):
    _, client = lab
    script = client.get("/attacker/steal.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    for reads in ("localStorage", "sessionStorage", "document.cookie", '"/attacker/collect"'):
        assert reads in script.text


def test_collector_records_what_it_receives_and_lists_it(lab):
    app, client = lab
    assert client.get("/attacker/loot").json() == []
    assert client.post("/attacker/collect", json={"cookie": "lab_theme=light"}).status_code == 204
    assert client.post("/attacker/collect", content=b"not json").status_code == 204
    assert client.get("/attacker/loot").json() == [{"cookie": "lab_theme=light"},
                                                   {"raw": "not json"}]
    assert app.state.lab_loot.latest() == {"raw": "not json"}


def test_collector_refuses_oversized_loot(lab):
    _, client = lab
    answer = client.post("/attacker/collect", content=b"x" * (MAX_LOOT_BYTES + 1))
    assert answer.status_code == 413


def test_seed_lab_app_is_the_seed_plus_a_login_page():
    with in_process_client(create_seed_lab_app()) as client:
        page = client.get("/lab/")  # saveUninitialized: the first visit gets a session cookie
        assert page.status_code == 200
        assert "connect.sid=" in page.headers["set-cookie"]
        assert "samesite" not in page.headers["set-cookie"].lower()
        assert client.post("/session/login", json={"username": "alice"}).status_code == 200
        assert client.get("/session/protected").json() == {"user": "alice"}
        assert client.post("/session/logout").json() == {"ok": True}  # no CSRF token asked


def test_evil_site_serves_a_self_submitting_form_to_each_named_target():
    targets = {"seed_session": "http://127.0.0.1:1/session/logout?a=1&b=<2>"}
    with in_process_client(create_evil_site(targets)) as client:
        page = client.get("/csrf/seed_session")
        assert page.status_code == 200
        assert ('<form id="forged" method="POST" '
                'action="http://127.0.0.1:1/session/logout?a=1&amp;b=&lt;2&gt;">') in page.text
        assert '.submit()' in page.text
        assert client.get("/csrf/anything-else").status_code == 404
        assert "seed_session" in client.get("/").text


def test_request_log_records_cookie_names_fetch_metadata_and_status(lab):
    app, _ = lab
    log = RequestLog(app)
    with in_process_client(log) as client:
        client.get("/lab/", headers={"cookie": "lab_theme=light; authdemo.sid=abc",
                                     "sec-fetch-site": "cross-site"})
        client.post("/session/logout")
    entry = log.last("GET", "/lab/")
    assert (entry.cookies, entry.sec_fetch_site, entry.status) == (
        ["authdemo.sid", "lab_theme"], "cross-site", 200)
    assert log.last("POST", "/session/logout").status == 401  # no session: log in first
    assert log.last("GET", "/nowhere") is None


# --- availability -----------------------------------------------------------------------------
def test_browser_available_agrees_with_its_reason():
    assert browser_available() == (unavailable_reason() == "")


def test_without_chromium_the_lab_says_why_instead_of_running(monkeypatch):
    monkeypatch.setattr(runner, "CHROMIUM", "/nonexistent/chromium")
    assert not browser_available()
    assert "/nonexistent/chromium" in unavailable_reason()
    with pytest.raises(RuntimeError, match="cannot run here"):
        run_browser_lab()


# --- in a real browser --------------------------------------------------------------------------
REQUIRE_BROWSER = os.environ.get("AUTHDEMO_REQUIRE_BROWSER") == "1"
"""Set by CI: a missing browser then fails these tests (with the reason) instead of skipping."""

needs_browser = pytest.mark.skipif(not browser_available() and not REQUIRE_BROWSER,
                                   reason=f"browser lab: {unavailable_reason() or 'n/a'}")

XSS_EXPECTED = {
    "localStorage": {"credential_in_browser": True, "httponly": False, "stolen": True,
                     "script_saw_cookies": ["lab_theme"], "script_could_call_api": True,
                     "script_read_csrf_token": False, "replayed_outside_browser": True},
    "httponly_cookie": {"credential_in_browser": True, "httponly": True, "stolen": False,
                        "script_saw_cookies": ["lab_theme"], "script_could_call_api": True,
                        "script_read_csrf_token": True, "replayed_outside_browser": False},
    "httponly_session": {"credential_in_browser": True, "httponly": True, "stolen": False,
                         "script_saw_cookies": ["lab_theme"], "script_could_call_api": True,
                         "script_read_csrf_token": True, "replayed_outside_browser": False},
}
CSRF_EXPECTED = {
    "seed": "logged out",
    "hardened": "blocked",
    "attempts": {
        "seed_session": {"cookie_sent": True, "status": 200, "sec_fetch_site": "cross-site",
                         "outcome": "logged out"},
        "hardened_session": {"cookie_sent": False, "status": 401,
                             "sec_fetch_site": "cross-site", "outcome": "blocked"},
        "hardened_jwt_cookie": {"cookie_sent": False, "status": 401,
                                "sec_fetch_site": "cross-site", "outcome": "blocked"},
    },
}


@pytest.fixture(scope="module")
def started_servers():
    """The URL of every server run_browser_lab starts, to check afterwards that it stopped."""
    return []


@pytest.fixture(scope="module")
def browser_results(users, started_servers):
    """One run of every attack (about 15 s), shared by the assertions below."""
    real_serve = runner.serve

    def recording_serve(app, **kwargs):
        server = real_serve(app, **kwargs)
        return _Recorded(server, started_servers)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runner, "serve", recording_serve)
        return run_browser_lab(users=users)


class _Recorded:
    """Wraps serve()'s context manager and notes the URL it started."""

    def __init__(self, manager, urls):
        self._manager, self._urls = manager, urls

    def __enter__(self):
        server = self._manager.__enter__()
        self._urls.append(server.url)
        return server

    def __exit__(self, *exc):
        return self._manager.__exit__(*exc)


@needs_browser
def test_the_results_have_exactly_the_documented_keys(browser_results):
    assert tuple(browser_results) == RESULT_KEYS
    for key in RESULT_KEYS:
        assert f'"{key}"' in runner.__doc__


@needs_browser
@pytest.mark.parametrize("mode", sorted(XSS_EXPECTED))
def test_xss_takes_the_localstorage_token_but_only_uses_httponly_cookies(browser_results, mode):
    assert browser_results[mode] == XSS_EXPECTED[mode]


@needs_browser
def test_cross_site_form_logs_out_of_the_seed_and_is_blocked_by_the_hardened_app(
        browser_results):
    assert browser_results["csrf_form"] == CSRF_EXPECTED


@needs_browser
def test_the_results_are_plain_json(browser_results):
    assert json.loads(json.dumps(browser_results)) == browser_results


@needs_browser
def test_every_server_is_stopped_afterwards(browser_results, started_servers):
    assert len(started_servers) == 3  # hardened + pages, seed, evil site
    for url in started_servers:
        with pytest.raises(httpx.ConnectError):
            httpx.get(url, timeout=2)
