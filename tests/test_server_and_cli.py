"""Real HTTP: `authdemo.server.serve` in this process, and `python -m authdemo serve` as a
separate process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from authdemo import create_app, serve
from authdemo.redis_client import connect_redis
from authdemo.users import DEMO_PASSWORDS

REPO = Path(__file__).resolve().parent.parent
ALICE = {"username": "alice", "password": DEMO_PASSWORDS["alice"][1]}
SESSION_COOKIE = "authdemo.sid"
CLI_JWT_SECRET = "cli-jwt-secret-that-must-never-be-printed-0001"
CLI_SESSION_SECRET = "cli-session-secret-that-must-never-be-printed-02"


# --- helpers -------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def session_cookie_of(response: httpx.Response) -> str:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(SESSION_COOKIE + "="):
            return header.split(";", 1)[0]
    raise AssertionError("no session cookie was set")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def wait_until_answering(url: str, process: subprocess.Popen, timeout_seconds: float = 60
                         ) -> httpx.Response:
    """Poll `url` until the server answers; fail early if the process died."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}")
        try:
            return httpx.get(url, timeout=1)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"no answer from {url} within {timeout_seconds} s")


def cli_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHDEMO_")}
    env.update(AUTHDEMO_JWT_SECRET=CLI_JWT_SECRET, AUTHDEMO_SESSION_SECRETS=CLI_SESSION_SECRET,
               PYTHONUNBUFFERED="1")
    return env


def start_cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "authdemo", "serve", *args], cwd=REPO,
                            env=cli_environment(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def stop(process: subprocess.Popen) -> str:
    """Terminate the server and return everything it printed."""
    if process.poll() is None:
        process.terminate()
    try:
        output, _ = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate(timeout=5)
    return output


# --- serve(): a real uvicorn server inside this process -------------------------------------------
class TestServeInProcess:
    def test_serve_listens_on_loopback_on_a_free_port(self, app):
        with serve(app) as server:
            assert server.url == f"http://127.0.0.1:{server.port}"
            assert server.port > 0
            response = httpx.get(server.url + "/", timeout=5)
        assert response.status_code == 200
        assert response.json()["app"] == "authdemo (hardened)"

    def test_a_login_over_real_http_works_for_both_flows(self, app):
        with serve(app) as server:
            tokens = httpx.post(server.url + "/jwt/login", json=ALICE, timeout=5).json()
            me = httpx.get(server.url + "/jwt/me", headers=bearer(tokens["access_token"]),
                           timeout=5)
            login = httpx.post(server.url + "/session/login", json=ALICE, timeout=5)
            session_me = httpx.get(server.url + "/session/me",
                                   headers={"Cookie": session_cookie_of(login)}, timeout=5)
        assert (me.status_code, me.json()["username"]) == (200, "alice")
        assert (session_me.status_code, session_me.json()) == (200, {"username": "alice",
                                                                     "role": "user"})

    def test_the_server_is_gone_after_the_block(self, app):
        with serve(app) as server:
            url = server.url
        with pytest.raises(httpx.TransportError):
            httpx.get(url + "/", timeout=2)

    def test_asking_for_a_port_in_use_fails_loudly_and_quickly(self, app):
        outcome: list[BaseException | None] = []

        def try_the_taken_port(port: int) -> None:
            try:
                with serve(app, port=port):
                    outcome.append(None)
            except BaseException as exc:  # noqa: BLE001 - SystemExit is one possible failure
                outcome.append(exc)

        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            attempt = threading.Thread(target=try_the_taken_port,
                                       args=(taken.getsockname()[1],), daemon=True)
            attempt.start()
            attempt.join(timeout=30)  # a bounded wait: a hang here is the failure
        assert not attempt.is_alive(), "serve() hung on a port that is in use"
        assert isinstance(outcome[0], OSError) and "could not start" in str(outcome[0])
        with serve(app) as server:  # the shared background loop survived the failure
            assert httpx.get(server.url + "/", timeout=5).status_code == 200


class TestTwoServersSharingOneRedis:
    @pytest.fixture
    def servers(self, settings, users):
        shared = connect_redis(None)
        first = create_app(settings, redis=shared, users=users)
        second = create_app(settings, redis=shared, users=users)
        with serve(first) as a, serve(second) as b:
            yield a, b

    def test_they_listen_on_different_ports(self, servers):
        a, b = servers
        assert a.port != b.port

    def test_a_session_made_on_one_is_known_to_the_other(self, servers):
        a, b = servers
        cookie = session_cookie_of(httpx.post(a.url + "/session/login", json=ALICE, timeout=5))
        response = httpx.get(b.url + "/session/me", headers={"Cookie": cookie}, timeout=5)
        assert (response.status_code, response.json()) == (200, {"username": "alice",
                                                                  "role": "user"})

    def test_a_logout_on_one_ends_the_session_on_the_other(self, servers):
        a, b = servers
        login = httpx.post(a.url + "/session/login", json=ALICE, timeout=5)
        cookie = session_cookie_of(login)
        logout = httpx.post(b.url + "/session/logout", timeout=5, headers={
            "Cookie": cookie, "X-CSRF-Token": login.json()["csrf_token"]})
        assert logout.status_code == 200
        assert httpx.get(a.url + "/session/me", headers={"Cookie": cookie},
                         timeout=5).status_code == 401

    def test_a_token_revoked_on_one_is_refused_by_the_other(self, servers):
        a, b = servers
        token = httpx.post(a.url + "/jwt/login", json=ALICE, timeout=5).json()["access_token"]
        assert httpx.get(b.url + "/jwt/me", headers=bearer(token), timeout=5).status_code == 200
        assert httpx.post(b.url + "/jwt/logout", headers=bearer(token),
                          timeout=5).status_code == 200
        response = httpx.get(a.url + "/jwt/me", headers=bearer(token), timeout=5)
        assert response.status_code == 401
        assert response.json() == {"error": "invalid_token", "message": "token revoked"}

    def test_servers_with_separate_stores_do_not_share_sessions(self, settings, users):
        with serve(create_app(settings, users=users)) as a, \
                serve(create_app(settings, users=users)) as b:
            cookie = session_cookie_of(httpx.post(a.url + "/session/login", json=ALICE,
                                                  timeout=5))
            response = httpx.get(b.url + "/session/me", headers={"Cookie": cookie}, timeout=5)
        assert response.status_code == 401


# --- python -m authdemo serve --------------------------------------------------------------------
class TestCommandLine:
    def test_serve_help_exits_0_and_offers_the_vulnerable_seed(self):
        result = subprocess.run([sys.executable, "-m", "authdemo", "serve", "--help"],
                                cwd=REPO, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert "vulnerable-seed" in result.stdout
        assert "--port" in result.stdout

    def test_no_command_is_a_usage_error(self):
        result = subprocess.run([sys.executable, "-m", "authdemo"], cwd=REPO,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 2
        assert "usage: python -m authdemo" in result.stderr

    def test_serve_runs_the_hardened_app_prints_the_users_and_no_secret(self):
        port = free_port()
        process = start_cli("--port", str(port))
        try:
            base = f"http://127.0.0.1:{port}"
            assert wait_until_answering(base + "/", process).status_code == 200
            login = httpx.post(base + "/jwt/login", json=ALICE, timeout=10)
            assert login.status_code == 200
            me = httpx.get(base + "/jwt/me", headers=bearer(login.json()["access_token"]),
                           timeout=10)
            assert me.json()["username"] == "alice"
        finally:
            output = stop(process)
        assert "Demo users" in output
        for name, (role, password) in DEMO_PASSWORDS.items():
            assert name in output and password in output and f"role={role}" in output
        assert f"curl -s http://127.0.0.1:{port}/jwt/login" in output
        assert CLI_JWT_SECRET not in output
        assert CLI_SESSION_SECRET not in output
        assert "your_secret_key" not in output

    def test_serve_can_run_the_vulnerable_seed_port_on_request(self):
        port = free_port()
        process = start_cli("--app", "vulnerable-seed", "--port", str(port))
        try:
            base = f"http://127.0.0.1:{port}"
            assert wait_until_answering(base + "/hello", process).json() == {"hello": "world"}
            token = httpx.post(base + "/jwt/login", json={"username": "anyone"},
                               timeout=10).json()["token"]
            response = httpx.get(base + "/jwt/protected", headers={"Authorization": token},
                                 timeout=10)
            assert response.json() == {"user": "anyone"}
        finally:
            output = stop(process)
        assert "VULNERABLE seed port" in output
        assert CLI_JWT_SECRET not in output and CLI_SESSION_SECRET not in output
