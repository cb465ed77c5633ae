"""One function to get a Redis client: a real server when a URL is given, else fakeredis.

fakeredis keeps its data in a `FakeServer` object. Apps built with the same client
(or clients on the same `FakeServer`) share their data, the way separate processes
share a real Redis: that is how the notebooks run "several servers" in one process.
"""

from __future__ import annotations

from fakeredis import FakeAsyncRedis, FakeServer
from redis.asyncio import Redis


def connect_redis(url: str | None = None, *, timeout_seconds: float = 0.5,
                  fake_server: FakeServer | None = None) -> Redis:
    if url:
        return Redis.from_url(url, socket_timeout=timeout_seconds,
                              socket_connect_timeout=timeout_seconds, max_connections=64)
    return FakeAsyncRedis(server=fake_server or FakeServer())
