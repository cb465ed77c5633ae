"""authdemo's session cookies against a real express-session (the seed's Express server).

The seed server (`/work/shared/seed-express`, MemoryStore, secret `your_secret_key`) is
copied to a temporary folder, installed with npm and started on a free port. Then:

(a) the cookie Express sets verifies with authdemo's `decode_cookie_value`;
(b) its Set-Cookie attributes are exactly those of authdemo's literal port;
(c) a cookie authdemo signs for an Express session id is accepted by Express.

Needs `node` and `npm` on PATH, and `npm install` takes about ten seconds, so the
module is also marked `slow` (run it with `--run-slow`).
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from authdemo.server import in_process_client, run
from authdemo.sessions import MemoryStore
from authdemo.sessions.signing import decode_cookie_value, encode_cookie_value
from authdemo.settings import Secret
from authdemo.vulnerable_seed import SEED_SECRET, create_vulnerable_seed_app

SEED_EXPRESS = Path("/work/shared/seed-express")
SECRETS = (Secret(SEED_SECRET),)
EXPRESS_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{32}$")  # uid-safe(24), XS-08

requires_node = pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("npm") is None,
    reason="needs node and npm on PATH to run the seed's Express server",
)
pytestmark = [requires_node, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen, log: Path,
                       timeout_seconds: float = 15) -> None:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"node server.js exited with {process.returncode}:\n{log.read_text()}")
        try:
            httpx.get(url + "/hello", timeout=0.5)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail(f"node server.js did not answer within {timeout_seconds} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def express_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("seed-express") / "app"
    shutil.copytree(SEED_EXPRESS, folder, ignore=shutil.ignore_patterns("node_modules"))
    try:
        subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=folder, check=True,
                       capture_output=True, text=True, timeout=300)
    except subprocess.CalledProcessError as failure:
        pytest.fail(f"npm install failed:\n{failure.stdout}\n{failure.stderr}")
    port = free_port()
    log = folder / "server.log"
    with log.open("w") as output:
        process = subprocess.Popen(["node", "server.js"], cwd=folder, stdout=output,
                                   stderr=subprocess.STDOUT,
                                   env={"PATH": shutil.which("node").rsplit("/", 1)[0],
                                        "PORT": str(port)})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture
def express(express_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=express_url, timeout=5) as client:
        yield client


def only_set_cookie(response: httpx.Response) -> str:
    headers = response.headers.get_list("set-cookie")
    assert len(headers) == 1, headers
    return headers[0]


def value_of(set_cookie: str) -> str:
    name, _, value = set_cookie.split(";", 1)[0].partition("=")
    assert name == "connect.sid"
    return value


def with_id_hidden(set_cookie: str) -> str:
    """The Set-Cookie header with its (random) value replaced, attributes kept."""
    return re.sub(r"^connect\.sid=[^;]*", "connect.sid=<value>", set_cookie)


def send(client: httpx.Client, method: str, path: str, cookie: str | None = None,
         **kwargs: object) -> httpx.Response:
    client.cookies.clear()
    headers = {"cookie": cookie} if cookie else {}
    return client.request(method, path, headers=headers, **kwargs)


# --- (a) Express's cookie, read by authdemo --------------------------------------------------
def test_an_express_cookie_verifies_with_authdemo(express):
    value = value_of(only_set_cookie(send(express, "GET", "/hello")))
    sid = decode_cookie_value(value, SECRETS)
    assert sid is not None and EXPRESS_SESSION_ID.match(sid)
    assert encode_cookie_value(sid, Secret(SEED_SECRET)) == value  # byte for byte


def test_an_express_cookie_does_not_verify_with_another_secret(express):
    value = value_of(only_set_cookie(send(express, "GET", "/hello")))
    assert decode_cookie_value(value, (Secret("not_the_secret_key"),)) is None


# --- (b) the same Set-Cookie attributes --------------------------------------------------------
def test_express_and_the_literal_port_set_the_same_cookie_attributes(express):
    from_express = only_set_cookie(send(express, "GET", "/hello"))
    with in_process_client(create_vulnerable_seed_app()) as seed_port:
        from_port = only_set_cookie(seed_port.get("/hello"))
    assert with_id_hidden(from_express) == "connect.sid=<value>; Path=/; HttpOnly"
    assert with_id_hidden(from_port) == with_id_hidden(from_express)


# --- (c) authdemo's cookie, read by Express ----------------------------------------------------
def log_in_on_express(express: httpx.Client, username: str) -> str:
    response = send(express, "POST", "/session/login", json={"username": username})
    assert response.json() == {"message": "로그인 성공"}
    sid = decode_cookie_value(value_of(only_set_cookie(response)), SECRETS)
    assert sid is not None
    return sid


def test_express_accepts_a_cookie_signed_by_authdemo(express):
    sid = log_in_on_express(express, "ada")
    cookie = f"connect.sid={encode_cookie_value(sid, Secret(SEED_SECRET))}"
    response = send(express, "GET", "/session/protected", cookie)
    assert response.status_code == 200
    assert response.json() == {"user": "ada"}


def test_express_refuses_the_same_id_signed_with_another_secret(express):
    """The control for the test above: Express really checks the signature."""
    sid = log_in_on_express(express, "ada")
    cookie = f"connect.sid={encode_cookie_value(sid, Secret('not_the_secret_key'))}"
    response = send(express, "GET", "/session/protected", cookie)
    assert response.status_code == 401
    assert response.json() == {"message": "로그인이 필요합니다."}


def test_the_literal_port_accepts_the_cookie_express_minted(express):
    """The other direction: Express's own Set-Cookie value, sent unchanged to authdemo's
    middleware, loads the session stored under that id (as a shared store would hold it)."""
    response = send(express, "POST", "/session/login", json={"username": "ada"})
    express_value = value_of(only_set_cookie(response))
    sid = decode_cookie_value(express_value, SECRETS)
    store = MemoryStore()
    with in_process_client(create_vulnerable_seed_app(store=store)) as seed_port:
        login = seed_port.post("/session/login", json={"username": "ada"})
        port_sid = decode_cookie_value(value_of(only_set_cookie(login)), SECRETS)
        run(store.set(sid, run(store.get(port_sid))))  # the record, under Express's id
        seed_port.cookies.clear()
        response = seed_port.get("/session/protected",
                                 headers={"cookie": f"connect.sid={express_value}"})
    assert response.json() == {"user": "ada"}
