"""MultiplexedRedis: redis-py's API, auto-pipelined on one connection per event loop.

The failure modes (a Redis that never answers, hangs up, refuses, or answers an error)
run against a tiny asyncio server written here, so they need no real Redis. The tests
marked `redis` compare MultiplexedRedis with a plain redis-py client on the real server
named by AUTHDEMO_REDIS_URL (skipped without it). Every scenario runs in its own
`asyncio.run`, that is on its own event loop.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import threading
import time
import uuid
from importlib.util import find_spec
from urllib.parse import urlsplit

import hiredis
import pytest
import redis.asyncio
from redis.client import EMPTY_RESPONSE, NEVER_DECODE
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ReadOnlyError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from authdemo.redis_client import MultiplexedRedis, connect_redis

REDIS_URL = os.environ.get("AUTHDEMO_REDIS_URL")
TIMEOUT = 0.2
LOOPS = ["asyncio", pytest.param("uvloop", marks=pytest.mark.skipif(
    find_spec("uvloop") is None, reason="uvloop is not installed (Python < 3.11)"))]
"""uvicorn runs the app on uvloop when it is installed: the ordering and failure tests run
on both loops."""


def run_on(loop: str, scenario):
    if loop == "uvloop":
        import uvloop
        return uvloop.run(scenario)
    return asyncio.run(scenario)


# --- a tiny Redis impostor ------------------------------------------------------------------
class FakeRedis:
    """An asyncio TCP server speaking just enough RESP. `behaviours[n]` decides what the
    n-th connection does (the last one repeats): "echo" answers each command with its last
    argument (after `delay` seconds), "silent" answers the handshake and then nothing,
    "mute" answers nothing at all, "hangup" closes after the first read, and any other
    string is sent back as an error reply."""

    def __init__(self, *behaviours: str, delay: float = 0.0) -> None:
        self.behaviours, self.delay = behaviours, delay
        self.commands: list[list[bytes]] = []  # every command received, in order
        self.connections = 0
        self.closed = asyncio.Event()  # set when a client closes its connection
        self.handlers: set[asyncio.Task] = set()
        self.writers: set[asyncio.StreamWriter] = set()

    async def __aenter__(self) -> FakeRedis:
        self.server = await asyncio.start_server(self.serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        return self

    async def __aexit__(self, *exc) -> None:
        self.server.close()
        for writer in self.writers:  # a client left open must not outlive the test
            writer.close()
        await asyncio.gather(*self.handlers, return_exceptions=True)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.handlers.add(asyncio.current_task())
        self.writers.add(writer)
        behaviour = self.behaviours[min(self.connections, len(self.behaviours) - 1)]
        self.connections += 1
        parser = hiredis.Reader()
        try:
            while data := await reader.read(65536):
                if behaviour == "hangup":
                    break
                parser.feed(data)
                replies = []
                while (command := parser.gets()) is not False:
                    self.commands.append(command)
                    if behaviour == "mute":
                        continue
                    if command[0].upper() in (b"HELLO", b"CLIENT", b"AUTH", b"SELECT"):
                        replies.append(b"+OK\r\n")  # the handshakes, for any client
                    elif behaviour == "silent":
                        continue
                    elif behaviour == "echo":
                        replies.append(hiredis.pack_command((command[-1],))[4:])  # "$n\r\n..."
                    else:
                        replies.append(f"-{behaviour}\r\n".encode())
                if self.delay:
                    await asyncio.sleep(self.delay)
                await self.send_in_pieces(writer, b"".join(replies))
            else:
                self.closed.set()
        finally:
            writer.close()

    @staticmethod
    async def send_in_pieces(writer: asyncio.StreamWriter, data: bytes) -> None:
        """Replies cut at random places, so the client must reassemble them."""
        while data:
            cut = random.randint(1, 64)
            writer.write(data[:cut])
            data = data[cut:]
            await writer.drain()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CountingTransport:
    """Wraps a transport to count the socket writes the client makes."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport, self.writes = transport, 0

    def write(self, data: bytes) -> None:
        self.writes += 1
        self.transport.write(data)

    def __getattr__(self, name: str):
        return getattr(self.transport, name)


def count_writes(client: MultiplexedRedis) -> CountingTransport:
    """Count the writes on this loop's connection (the client must have connected)."""
    connection = client._opening[asyncio.get_running_loop()].result()
    connection.transport = CountingTransport(connection.transport)
    return connection.transport


# --- replies go to the right caller ------------------------------------------------------------
@pytest.mark.parametrize("loop", LOOPS)
def test_500_concurrent_commands_each_get_their_own_reply(loop):
    async def scenario():
        async with FakeRedis("echo") as server:
            client = connect_redis(server.url, timeout_seconds=1)
            words = [f"word-{i}" for i in range(500)]
            replies = await asyncio.gather(*(client.echo(word) for word in words))
            await client.aclose()
        assert replies == [word.encode() for word in words]
        assert server.connections == 1  # all 500 shared one connection

    run_on(loop, scenario())


@pytest.mark.parametrize("loop", LOOPS)
def test_a_cancelled_caller_does_not_shift_the_replies_of_the_others(loop):
    async def scenario():
        async with FakeRedis("echo", delay=0.05) as server:
            client = connect_redis(server.url, timeout_seconds=1)
            assert await client.echo("connected") == b"connected"
            tasks = [asyncio.create_task(client.echo(f"w{i}")) for i in range(10)]
            await asyncio.sleep(0.01)  # all ten written, none answered yet
            assert len(server.commands) == 12  # HELLO, "connected", and the ten
            tasks[3].cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            after = await client.echo("after")  # would get a stale reply if one were skipped
            await client.aclose()
        assert isinstance(results[3], asyncio.CancelledError)
        assert server.connections == 1  # and no one needed a retry
        assert [r for i, r in enumerate(results) if i != 3] == [
            f"w{i}".encode() for i in range(10) if i != 3]
        assert after == b"after"

    run_on(loop, scenario())


def test_commands_issued_in_one_loop_iteration_go_out_in_one_write():
    async def scenario():
        async with FakeRedis("echo") as server:
            client = connect_redis(server.url, timeout_seconds=1)
            await client.ping()
            counter = count_writes(client)
            replies = await asyncio.gather(*(client.echo(str(i)) for i in range(100)))
            await client.aclose()
        assert replies == [str(i).encode() for i in range(100)]
        assert counter.writes == 1

    asyncio.run(scenario())


# --- a Redis that misbehaves -----------------------------------------------------------------
@pytest.mark.parametrize("loop", LOOPS)
def test_a_silent_redis_times_out_every_waiting_command_then_a_fresh_connection_works(loop):
    async def scenario():
        async with FakeRedis("silent", "echo") as server:
            client = connect_redis(server.url, timeout_seconds=TIMEOUT)
            started = time.monotonic()
            results = await asyncio.wait_for(asyncio.gather(  # wait_for: fail, never hang
                *(client.echo(f"w{i}") for i in range(3)), return_exceptions=True), 2)
            waited = time.monotonic() - started
            assert server.connections == 1  # a timeout is not retried
            assert await client.echo("again") == b"again"  # on a second connection
            assert server.connections == 2
            await client.aclose()
        assert [type(r) for r in results] == [RedisTimeoutError] * 3
        assert all(str(r).startswith("Timeout reading") for r in results)
        assert TIMEOUT * 0.9 <= waited < 1.0  # the timeout, not redis-py's 5 s default

    run_on(loop, scenario())


@pytest.mark.parametrize("loop", LOOPS)
def test_a_redis_that_hangs_up_is_retried_once_on_a_fresh_connection(loop):
    async def scenario():
        async with FakeRedis("hangup", "echo") as server:  # like the first call after a restart
            client = connect_redis(server.url, timeout_seconds=TIMEOUT)
            assert await client.echo("hello") == b"hello"
            assert server.connections == 2
            await client.aclose()

    run_on(loop, scenario())


def test_a_redis_that_always_hangs_up_raises_connection_error_after_one_retry():
    async def scenario():
        async with FakeRedis("hangup") as server:
            client = connect_redis(server.url, timeout_seconds=TIMEOUT)
            with pytest.raises(RedisConnectionError):
                await client.get("key")
            assert server.connections == 2  # the first try and exactly one retry
            await client.aclose()

    asyncio.run(scenario())


def test_a_refused_port_raises_connection_error_fast():
    async def scenario():
        client = connect_redis(f"redis://127.0.0.1:{closed_port()}/0", timeout_seconds=TIMEOUT)
        started = time.monotonic()
        with pytest.raises(RedisConnectionError, match="Error connecting to 127.0.0.1"):
            await client.get("key")
        await client.aclose()
        return time.monotonic() - started

    assert asyncio.run(scenario()) < TIMEOUT


def test_a_handshake_that_never_answers_is_bounded_by_the_connect_timeout():
    async def scenario():
        async with FakeRedis("mute") as server:  # HELLO/AUTH goes unanswered
            client = MultiplexedRedis.from_url(f"redis://:secret@127.0.0.1:{server.port}/0",
                                               socket_timeout=5, socket_connect_timeout=TIMEOUT)
            started = time.monotonic()
            with pytest.raises(RedisTimeoutError, match="Timeout connecting"):
                await asyncio.wait_for(client.get("key"), 2)
            waited = time.monotonic() - started
            await client.aclose()
        assert server.commands == [[b"HELLO", b"3", b"AUTH", b"default", b"secret"]]
        return waited

    assert TIMEOUT * 0.9 <= asyncio.run(scenario()) < 1.0


@pytest.mark.parametrize("error, exception", [
    ("WRONGTYPE Operation against a key holding the wrong kind of value", ResponseError),
    ("NOSCRIPT No matching script. Please use EVAL.", NoScriptError),
    ("READONLY You can't write against a read only replica.", ReadOnlyError),
])
def test_an_error_reply_raises_what_redis_py_raises(error, exception):
    async def scenario():
        async with FakeRedis(error) as server:
            raised = []
            for client in (connect_redis(server.url, timeout_seconds=1),
                           redis.asyncio.Redis.from_url(server.url, socket_timeout=1)):
                with pytest.raises(ResponseError) as info:
                    await client.get("key")
                raised.append((type(info.value), str(info.value)))
                empty = await client.execute_command("GET", "key", **{EMPTY_RESPONSE: "empty"})
                assert empty == "empty"  # the option a few commands use to swallow an error
                await client.aclose()
        return raised

    ours, theirs = asyncio.run(scenario())
    assert ours == theirs
    assert ours[0] is exception


# --- connection set-up, decoding, loops, closing -----------------------------------------------
@pytest.mark.parametrize("credentials, query, handshake", [
    ("ada:pw@", "", [[b"HELLO", b"3", b"AUTH", b"ada", b"pw"]]),     # redis-py 8 speaks RESP3
    (":pw@", "", [[b"HELLO", b"3", b"AUTH", b"default", b"pw"]]),
    ("ada:pw@", "?protocol=2", [[b"AUTH", b"ada", b"pw"]]),
    (":pw@", "?protocol=2", [[b"AUTH", b"pw"]]),
    ("", "?protocol=2", []),
])
def test_the_handshake_and_database_are_sent_first_on_every_connection(credentials, query,
                                                                      handshake):
    async def scenario():
        async with FakeRedis("echo") as server:
            url = f"redis://{credentials}127.0.0.1:{server.port}/2{query}"
            client = MultiplexedRedis.from_url(url)
            assert await client.echo("x") == b"x"
            await client.aclose()
        return server.commands

    assert asyncio.run(scenario()) == handshake + [[b"SELECT", b"2"], [b"ECHO", b"x"]]


def test_a_command_name_of_two_words_goes_out_as_two_words():
    async def scenario():
        async with FakeRedis("echo") as server:
            client = connect_redis(server.url)
            reply = await client.memory_usage("key")  # execute_command("MEMORY USAGE", ...)
            await client.aclose()
        return server.commands, reply

    commands, reply = asyncio.run(scenario())
    assert commands[-1] == [b"MEMORY", b"USAGE", b"key"]
    assert reply == b"key"  # the impostor echoes the last word


def test_decode_responses_decodes_unless_the_command_says_never():
    async def scenario():
        async with FakeRedis("echo") as server:
            client = MultiplexedRedis.from_url(server.url, decode_responses=True)
            decoded = await client.echo("café")
            raw = await client.execute_command("ECHO", "café", **{NEVER_DECODE: []})
            await client.aclose()
        return decoded, raw

    assert asyncio.run(scenario()) == ("café", "café".encode())


def test_each_event_loop_gets_its_own_connection_and_closed_loops_are_dropped():
    async def one_command(client, word):
        reply = await client.echo(word)
        # Close this loop's socket before asyncio.run closes the loop (else it lingers until
        # garbage collection, with a ResourceWarning), but leave its entry behind.
        client._opening[asyncio.get_running_loop()].result().close(
            RedisConnectionError("closed by the test"))
        return reply

    async def scenario():
        async with FakeRedis("echo") as server:
            client = connect_redis(server.url, timeout_seconds=1)
            # Two other threads, two other loops, while this loop holds a connection too.
            assert await client.echo("main") == b"main"
            results: dict[str, bytes] = {}

            def in_a_thread(word):
                results[word] = asyncio.run(one_command(client, word))

            threads = [threading.Thread(target=in_a_thread, args=(w,)) for w in ("t1", "t2")]
            for thread in threads:
                thread.start()
            await asyncio.to_thread(lambda: [thread.join(5) for thread in threads])
            assert results == {"t1": b"t1", "t2": b"t2"}
            assert server.connections == 3
            assert await client.echo("main again") == b"main again"  # its own one still works
            # The threads' loops are closed; a new connection prunes their entries.
            client._opening[asyncio.get_running_loop()].result().close(
                RedisConnectionError("dropped for the test"))
            assert await client.echo("reconnected") == b"reconnected"
            assert list(client._opening) == [asyncio.get_running_loop()]
            await client.aclose()

    asyncio.run(scenario())


def test_aclose_closes_the_connection():
    async def scenario():
        async with FakeRedis("echo") as server:
            client = connect_redis(server.url, timeout_seconds=1)
            await client.ping()
            await client.aclose()
            await asyncio.wait_for(server.closed.wait(), 1)  # the server saw the EOF
            assert client._opening == {}
            assert await client.echo("reopened") == b"reopened"  # usable again, like redis-py
            await client.aclose()

    asyncio.run(scenario())


def test_a_unix_socket_url_falls_back_to_plain_redis_py():
    client = MultiplexedRedis.from_url("unix:///nonexistent/redis.sock")
    assert client._multiplexed is False

    async def scenario():
        with pytest.raises(RedisConnectionError, match="connecting to /nonexistent/redis.sock"):
            await client.get("key")
        await client.aclose()

    asyncio.run(scenario())


# --- against a real Redis ---------------------------------------------------------------------
async def operations(client, prefix: str) -> list:
    """The commands authdemo uses, and what each returned."""
    a, b, c = (prefix + name for name in "abc")
    results = [
        await client.set(a, "1", ex=60), await client.set(b, "2", ex=60, xx=True),
        await client.set(a, "one", ex=60, xx=True), await client.get(a),
        await client.getex(a, ex=120), await client.ttl(a), await client.exists(a, b),
        await client.expire(a, 30), await client.ttl(a), await client.mget(a, b),
        await client.getdel(a), await client.getdel(a), await client.set(c, "3"),
        await client.delete(a, c), await client.get(b),
    ]
    await client.set(a, "x")
    results.append(sorted([key async for key in client.scan_iter(match=prefix + "*")]))
    async with client.pipeline(transaction=False) as pipe:
        pipe.set(b, "piped", ex=60).get(b).exists(b).delete(a, b)
        results.append(await pipe.execute())
    return results


@pytest.mark.redis
def test_results_equal_those_of_a_plain_redis_py_client():
    async def scenario():
        prefix = f"test-mux:{uuid.uuid4().hex}:"
        plain = redis.asyncio.Redis.from_url(REDIS_URL)
        ours = connect_redis(REDIS_URL)
        try:
            expected = await operations(plain, prefix)
            got = await operations(ours, prefix)
        finally:
            await plain.aclose()
            await ours.aclose()
        assert isinstance(ours, MultiplexedRedis)
        assert got == expected
        assert got[3] == b"one" and got[-2] == [(prefix + "a").encode()]

    asyncio.run(scenario())


@pytest.mark.redis
def test_the_database_in_the_url_is_selected():
    async def scenario():
        key = f"test-mux:{uuid.uuid4().hex}"
        url1 = urlsplit(REDIS_URL)._replace(path="/1").geturl()
        url0 = urlsplit(REDIS_URL)._replace(path="/0").geturl()
        db1, db0 = connect_redis(url1), connect_redis(url0)
        plain1 = redis.asyncio.Redis.from_url(url1)
        try:
            await db1.set(key, "in db 1", ex=60)
            seen = await db0.get(key), await db1.get(key), await plain1.get(key)
        finally:
            await db1.delete(key)
            for client in (db1, db0, plain1):
                await client.aclose()
        assert seen == (None, b"in db 1", b"in db 1")

    asyncio.run(scenario())


@pytest.mark.redis
def test_200_concurrent_getex_take_far_fewer_writes_than_commands():
    async def scenario():
        prefix = f"test-mux:{uuid.uuid4().hex}:"
        client = connect_redis(REDIS_URL)
        try:
            for i in range(200):
                await client.set(f"{prefix}{i}", str(i), ex=60)
            counter = count_writes(client)
            values = await asyncio.gather(*(client.getex(f"{prefix}{i}", ex=60)
                                            for i in range(200)))
            writes = counter.writes
            await client.delete(*(f"{prefix}{i}" for i in range(200)))
        finally:
            await client.aclose()
        assert values == [str(i).encode() for i in range(200)]
        assert writes == 1  # node-redis style: one write per loop iteration, not per command

    asyncio.run(scenario())
