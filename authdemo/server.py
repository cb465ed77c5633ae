"""Run apps inside this process: an httpx client with no sockets, or a real uvicorn server.

Every app here runs on one background event loop, in one thread. That matters: an
async Redis client belongs to the loop it first ran on, and apps that share a Redis
(or a fakeredis server) must therefore share a loop. From a notebook or a test it
all looks synchronous:

    client = in_process_client(app)            # httpx.Client, no network at all
    client.post("/jwt/login", json={...})

    browser = balanced_client([app_a, app_b])  # one cookie jar, two servers, round-robin

    with serve(app) as server:                 # real HTTP on 127.0.0.1:<free port>
        httpx.get(server.url + "/jwt/me")       # or curl it from a terminal

    run(store.ids())                            # await a coroutine from sync code
"""

from __future__ import annotations

import asyncio
import time
import contextlib
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import uvicorn
from starlette.types import ASGIApp

T = TypeVar("T")

_LOOP_THREAD = "authdemo-loop"
_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def background_loop() -> asyncio.AbstractEventLoop:
    """The process-wide loop every in-process app runs on (started on first use)."""
    global _loop
    with _loop_lock:
        if _loop is None or _loop.is_closed():
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name=_LOOP_THREAD, daemon=True).start()
        return _loop


def run(coroutine: Coroutine[Any, Any, T], timeout_seconds: float = 30) -> T:
    """Run a coroutine on the background loop and wait for its result."""
    loop = background_loop()
    if threading.current_thread().name == _LOOP_THREAD:
        coroutine.close()
        raise RuntimeError("run() and in-process clients are for synchronous code; inside an "
                           "async route or coroutine, await the call directly instead")
    return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout_seconds)


class _InProcessTransport(httpx.BaseTransport):
    """Hands each request to the ASGI app on the background loop."""

    def __init__(self, app: ASGIApp, client: tuple[str, int]) -> None:
        self._asgi = httpx.ASGITransport(app=app, client=client)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()

        async def call() -> tuple[httpx.Response, bytes]:
            forwarded = httpx.Request(request.method, request.url, headers=request.headers,
                                      content=body, extensions=request.extensions)
            response = await self._asgi.handle_async_request(forwarded)
            return response, await response.aread()

        response, content = run(call())
        return httpx.Response(response.status_code, headers=response.headers, content=content,
                              extensions=response.extensions, request=request)


def in_process_client(app: ASGIApp, base_url: str = "http://testserver",
                      client_address: tuple[str, int] = ("127.0.0.1", 50000),
                      **kwargs: Any) -> httpx.Client:
    """An `httpx.Client` wired straight to `app`: cookies, headers, JSON, no sockets."""
    return httpx.Client(transport=_InProcessTransport(app, client_address), base_url=base_url,
                        **kwargs)


class RoundRobin(httpx.BaseTransport):
    """A load balancer in front of in-process apps: request i goes to app i mod n.

    Give it to one `httpx.Client`: the client keeps one cookie jar, like a browser that
    never knows which server answered. `served_by` records who did.
    """

    def __init__(self, apps: dict[str, ASGIApp]) -> None:
        self._backends = [(name, _InProcessTransport(app, ("127.0.0.1", 50000)))
                          for name, app in apps.items()]
        self.served_by: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        name, transport = self._backends[len(self.served_by) % len(self._backends)]
        self.served_by.append(name)
        return transport.handle_request(request)


def balanced_client(apps: list[ASGIApp], base_url: str = "http://testserver") -> httpx.Client:
    """One browser in front of several app instances (named A, B, C, ...), round-robin."""
    names = [chr(ord("A") + i) for i in range(len(apps))]
    return httpx.Client(transport=RoundRobin(dict(zip(names, apps))), base_url=base_url)


@dataclass
class RunningServer:
    url: str
    port: int
    server: uvicorn.Server


@contextlib.contextmanager
def serve(app: ASGIApp, host: str = "127.0.0.1", port: int = 0,
          log_level: str = "warning") -> Iterator[RunningServer]:
    """A real uvicorn server for `app` on a free loopback port, stopped on exit."""
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan="off",
                            access_log=False)
    server = uvicorn.Server(config)
    done = asyncio.run_coroutine_threadsafe(_serve(server), background_loop())
    try:
        _wait_until(lambda: server.started or done.done(), timeout_seconds=10)
        if not server.started:
            done.result()  # re-raises why it failed (port in use, ...)
            raise RuntimeError("uvicorn did not start")
        bound = server.servers[0].sockets[0].getsockname()[1]
        yield RunningServer(f"http://{host}:{bound}", bound, server)
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            done.result(timeout=10)


async def _serve(server: uvicorn.Server) -> None:
    """uvicorn calls sys.exit() when it cannot start (port in use, ...). A SystemExit would
    escape the shared background loop and stop it for every app; make it an OSError."""
    try:
        await server.serve()
    except SystemExit as exc:
        raise OSError(f"uvicorn could not start (exit code {exc.code})") from None


def _wait_until(condition: Any, timeout_seconds: float) -> None:
    deadline = time.monotonic() + timeout_seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
