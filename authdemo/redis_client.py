"""One function to get a Redis client: a real server when a URL is given, else fakeredis.

fakeredis keeps its data in a `FakeServer` object. Apps built with the same client
(or clients on the same `FakeServer`) share their data, the way separate processes
share a real Redis: that is how the notebooks run "several servers" in one process.
"""

from __future__ import annotations

from fakeredis import FakeAsyncRedis, FakeServer
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError


def connect_redis(url: str | None = None, *, timeout_seconds: float = 0.5,
                  fake_server: FakeServer | None = None) -> Redis:
    if url:
        # After Redis restarts, every pooled connection is dead; one immediate retry on a
        # fresh connection lets the next request succeed instead of answering 503 once per
        # stale connection. Timeouts are not retried: a slow Redis stays bounded by one.
        return Redis.from_url(url, socket_timeout=timeout_seconds,
                              socket_connect_timeout=timeout_seconds, max_connections=64,
                              retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)))
    return FakeAsyncRedis(server=fake_server or FakeServer())
