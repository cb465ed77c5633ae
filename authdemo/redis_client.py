"""One function to get a Redis client: a real server when a URL is given, else fakeredis.

fakeredis keeps its data in a `FakeServer` object. Apps built with the same client
(or clients on the same `FakeServer`) share their data, the way separate processes
share a real Redis: that is how the notebooks run "several servers" in one process.

For a real server, `connect_redis` returns a `MultiplexedRedis`: redis-py's client with
one thing changed, how a command travels. Plain redis-py borrows a pooled connection per
command and pays for the pool, a retry wrapper, observability hooks, and one socket write
and one wakeup per command: about 130 µs of CPU per GETEX with 32 concurrent requests.
node-redis, which the Express server we compare against uses, *auto-pipelines* instead:
every command issued in the same event-loop iteration goes out in one write on one
shared connection, and the replies (Redis answers in order) are handed back in order.
Doing the same here costs about 16 µs per GETEX. redis-py has no auto-pipelining, so this
is the one place the project writes protocol plumbing by hand; the command methods,
their argument building and their response callbacks are still redis-py's own.
"""

from __future__ import annotations

import asyncio
import inspect
from collections import deque

import hiredis
from fakeredis import FakeAsyncRedis, FakeServer
from redis._defaults import DEFAULT_SOCKET_CONNECT_TIMEOUT, DEFAULT_SOCKET_TIMEOUT
from redis._parsers.base import BaseParser
from redis.asyncio import Redis
from redis.asyncio.connection import Connection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.client import EMPTY_RESPONSE, NEVER_DECODE
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import InvalidResponse, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.utils import check_protocol_version

_NOT_ENOUGH_DATA = object()  # hiredis' "wait for more bytes" (its default, False, is a reply)
_PUSH = getattr(hiredis, "PushNotification", None)  # RESP3 out-of-band messages (hiredis 3.2+)


class _Multiplexer(asyncio.Protocol):
    """One TCP connection shared by every command of one event loop.

    Redis answers in the order it was asked, so `pending` (one future per command, in
    the order written) is all the bookkeeping the replies need."""

    def __init__(self, loop: asyncio.AbstractEventLoop, reader: hiredis.Reader,
                 timeout: float | None) -> None:
        self.loop, self.reader, self.timeout = loop, reader, timeout
        self.transport: asyncio.Transport | None = None
        self.pending: deque = deque()  # (future, decode, deadline) per command sent
        self.batch: list[bytes] = []   # commands issued this iteration, not yet written
        self.broken: Exception | None = None  # set once: this connection takes no more
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def send(self, packed: bytes, decode: bool = True) -> asyncio.Future:
        if not self.batch:  # first command of this iteration: write them all at its end
            self.loop.call_soon(self.flush)
        self.batch.append(packed)
        future = self.loop.create_future()
        deadline = self.loop.time() + (self.timeout or float("inf"))
        self.pending.append((future, decode, deadline))
        return future

    def flush(self) -> None:
        if self.batch and self.broken is None:
            self.transport.write(b"".join(self.batch))  # one syscall for the whole batch
            if self.timeout and self.timer is None:
                self.timer = self.loop.call_later(self.timeout, self.watch)
        self.batch.clear()

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        while self.pending:
            future, decode, _ = self.pending[0]
            reply = self.reader.gets(decode)
            if reply is _NOT_ENOUGH_DATA:
                return
            if type(reply) is _PUSH:  # news the server volunteers: not anyone's reply
                continue
            self.pending.popleft()
            if future.done():  # its caller was cancelled: drop the reply, keep the order
                continue
            if isinstance(reply, (ResponseError, RedisConnectionError)):
                future.set_exception(reply)  # an error reply, mapped like redis-py does
            else:
                future.set_result(reply)

    def watch(self) -> None:
        """One timer per connection, not one per command: is the oldest command late?"""
        self.timer = None
        if self.pending and self.broken is None:
            left = self.pending[0][2] - self.loop.time()
            if left > 0:
                self.timer = self.loop.call_later(left, self.watch)
            else:  # Redis is stuck or the network is: nothing behind it will come either
                self.close(RedisTimeoutError(f"Timeout reading from redis after "
                                             f"{self.timeout} s"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.close(RedisConnectionError(f"Connection to redis lost: {exc or 'closed'}"))

    def close(self, error: Exception) -> None:
        """Give up on this connection: every command still waiting fails with `error`."""
        self.broken = self.broken or error
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()
        if self.timer is not None:
            self.timer.cancel()
        self.batch.clear()
        while self.pending:
            future = self.pending.popleft()[0]
            if not future.done():
                future.set_exception(type(error)(*error.args))


class MultiplexedRedis(Redis):
    """redis-py's client, each command auto-pipelined on one connection per event loop.

    Pipelines and pub/sub still use redis-py's pool, and so does every command of a client
    set up in a way this does not handle: unix socket, TLS, a credential provider, an
    encoding other than UTF-8, `single_connection_client`."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        kw = self.connection_pool.connection_kwargs
        self._multiplexed = (self.connection_pool.connection_class is Connection
                             and not self.single_connection_client
                             and not kw.get("credential_provider")
                             and kw.get("encoding", "utf-8") == "utf-8")
        # A connection belongs to the loop that opened it (its callbacks run there).
        self._opening: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}

    async def execute_command(self, *args, **options):
        if not self._multiplexed:
            return await super().execute_command(*args, **options)
        words, name = args, args[0]
        if (" " if isinstance(name, str) else b" ") in name:  # "CONFIG GET": two words on
            words = (*name.split(), *args[1:])                # the wire, as redis-py sends it
        try:
            packed = hiredis.pack_command(words)
        except TypeError:  # bool, None, bytearray...: redis-py's encoder accepts or explains
            encoder = self.connection_pool.get_encoder()
            packed = hiredis.pack_command(tuple(bytes(encoder.encode(a)) for a in words))
        for attempt in (1, 2):
            try:
                connection = await self._connection()
                response = await connection.send(packed, NEVER_DECODE not in options)
                break
            except ResponseError:
                if EMPTY_RESPONSE in options:
                    return options[EMPTY_RESPONSE]
                raise
            except RedisConnectionError:
                if attempt == 2:  # after a Redis restart every old connection is dead:
                    raise         # one retry on a fresh one (never for a timeout)
        # From here on, exactly redis-py's Redis.parse_response.
        options.pop(NEVER_DECODE, None)
        options.pop(EMPTY_RESPONSE, None)
        options.pop("keys", None)
        command_name = args[0]
        if command_name in self.response_callbacks:
            response = self.response_callbacks[command_name](response, **options)
            if inspect.isawaitable(response):
                response = await response
        return response

    async def _connection(self) -> _Multiplexer:
        loop = asyncio.get_running_loop()
        opening = self._opening.get(loop)
        if opening is None or (opening.done() and (
                opening.cancelled() or opening.exception() or opening.result().broken)):
            for other in list(self._opening):  # list(): other threads' loops add theirs
                if other.is_closed():  # its loop is gone: drop the entry, GC frees the socket
                    self._opening.pop(other, None)
            opening = self._opening[loop] = loop.create_task(self._open(loop))
        # shield: a caller cancelled while connecting must not cancel the others' connect
        return opening.result() if opening.done() else await asyncio.shield(opening)

    async def _open(self, loop: asyncio.AbstractEventLoop) -> _Multiplexer:
        kw = self.connection_pool.connection_kwargs
        host, port = kw.get("host", "localhost"), kw.get("port", 6379)
        timeout = kw.get("socket_timeout", DEFAULT_SOCKET_TIMEOUT)
        connect_timeout = kw.get("socket_connect_timeout", DEFAULT_SOCKET_CONNECT_TIMEOUT)
        try:  # wait_for is fine here: it runs once per connection, not once per command
            return await asyncio.wait_for(self._handshake(loop, kw, host, port, timeout),
                                          connect_timeout or timeout)
        except asyncio.TimeoutError:
            raise RedisTimeoutError(f"Timeout connecting to {host}:{port}") from None
        except OSError as error:
            raise RedisConnectionError(f"Error connecting to {host}:{port}. {error}") from None

    async def _handshake(self, loop, kw, host, port, timeout) -> _Multiplexer:
        decoding = ({"encoding": kw.get("encoding", "utf-8"),
                     "errors": kw.get("encoding_errors", "strict")}
                    if kw.get("decode_responses") else {})
        reader = hiredis.Reader(protocolError=InvalidResponse, notEnoughData=_NOT_ENOUGH_DATA,
                                replyError=BaseParser.parse_error, **decoding)
        _, connection = await loop.create_connection(
            lambda: _Multiplexer(loop, reader, timeout), host, port)
        # What redis-py says first on a connection, in the same protocol (RESP3 unless the
        # URL says protocol=2), so its response callbacks get the replies they expect.
        user, password = kw.get("username"), kw.get("password")
        setup = []
        if check_protocol_version(kw.get("protocol"), 3):
            setup.append(("HELLO", 3, *(("AUTH", user or "default", password) if password
                                        else ())))
        elif password:
            setup.append(("AUTH", *([user] if user else []), password))
        if int(kw.get("db") or 0):
            setup.append(("SELECT", int(kw["db"])))
        try:
            for command in setup:
                await connection.send(hiredis.pack_command(command))
        except BaseException:  # a wrong password, a timeout...: this connection is done
            connection.close(RedisConnectionError("connection setup failed"))
            raise
        return connection

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        opening, self._opening = self._opening, {}
        current = asyncio.get_running_loop()
        for loop, task in list(opening.items()):
            if loop is current:
                _close_when_open(task)
            elif not loop.is_closed():  # another thread's loop: only it may touch its socket
                try:
                    loop.call_soon_threadsafe(_close_when_open, task)
                except RuntimeError:  # it closed in the meantime
                    pass
        await super().aclose(close_connection_pool)


def _close_when_open(task: asyncio.Task) -> None:
    """Close the connection `task` opens (or opened): on the connection's own loop."""
    def close(done: asyncio.Task) -> None:
        if not done.cancelled() and done.exception() is None:
            done.result().close(RedisConnectionError("the client was closed"))
    if task.done():
        close(task)
    else:
        task.add_done_callback(close)


def connect_redis(url: str | None = None, *, timeout_seconds: float = 0.5,
                  fake_server: FakeServer | None = None) -> Redis:
    if url:
        # After Redis restarts, every pooled connection is dead; one immediate retry on a
        # fresh connection lets the next request succeed instead of answering 503 once per
        # stale connection. Timeouts are not retried: a slow Redis stays bounded by one.
        # (MultiplexedRedis applies the same rule to its own connections; the Retry below
        # is for what still uses the pool: pipelines.)
        return MultiplexedRedis.from_url(
            url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds,
            max_connections=64,
            retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)))
    return FakeAsyncRedis(server=fake_server or FakeServer())
