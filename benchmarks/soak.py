#!/usr/bin/env python3
"""Soak: many users on several real servers sharing one Redis, for a bounded time.

    .venv/bin/python benchmarks/soak.py                       # 20 s, 2 servers, 16 users
    .venv/bin/python benchmarks/soak.py --duration 60 --servers 3 --clients 32

Starts its own redis-server (on a free loopback port, in a temporary directory) and
`--servers` uvicorn processes running the hardened app (the test factory from
tests/reliability_helpers.py: cheap Argon2, one account per user). Then `--clients`
virtual users log in, read, refresh and log out at random on random servers (the same
walk as tests/test_concurrency.py) until the time is up, and it prints:

    requests sent, errors by class, p50/p99 latency,
    sessions created and destroyed, inconsistencies found (must be 0)

An *inconsistency* is an answer that contradicts what the user knows: another user's
name, a credential accepted after its logout completed, a live session that vanished,
a session left behind in Redis, an error not in the JSON shape. Exit status 1 if there
is any inconsistency or any 5xx, 0 otherwise. Everything runs on 127.0.0.1 and is
stopped at the end, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from reliability_helpers import (LOAD_USERS, REDIS_SERVER, Workload,  # noqa: E402
                                 app_servers, private_redis)

MAX_DURATION_SECONDS = 600
MAX_SERVERS = 8


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20,
                        help=f"seconds of traffic (default 20, at most {MAX_DURATION_SECONDS})")
    parser.add_argument("--servers", type=int, default=2,
                        help=f"uvicorn processes (default 2, at most {MAX_SERVERS})")
    parser.add_argument("--clients", type=int, default=16,
                        help=f"concurrent virtual users (default 16, at most {len(LOAD_USERS)})")
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the walk")
    args = parser.parse_args(argv)
    if not 0 < args.duration <= MAX_DURATION_SECONDS:
        parser.error(f"--duration must be in (0, {MAX_DURATION_SECONDS}]")
    if not 1 <= args.servers <= MAX_SERVERS:
        parser.error(f"--servers must be in [1, {MAX_SERVERS}]")
    if not 1 <= args.clients <= len(LOAD_USERS):
        parser.error(f"--clients must be in [1, {len(LOAD_USERS)}]")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if REDIS_SERVER is None:
        print("soak: needs redis-server on PATH (apt-get install redis-server)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="authdemo-soak-") as scratch:
        with private_redis(Path(scratch)) as redis_server, \
                app_servers(redis_server.url, args.servers, Path(scratch)) as servers:
            workload = Workload(servers.urls, users=args.clients, seed=args.seed)
            started = time.monotonic()
            ledger = asyncio.run(workload.run(duration_seconds=args.duration))
            elapsed = time.monotonic() - started
            live = workload.live_session_cookies()
            in_redis = len(redis_server.session_ids())
            if in_redis != live:
                ledger.wrong(f"Redis holds {in_redis} sessions; the users hold {live}")
            if ledger.sessions_created - ledger.sessions_destroyed != live:
                ledger.wrong("sessions created - destroyed != sessions alive")
            server_log = servers.log_text()
            if "Traceback" in server_log:
                ledger.wrong("a server logged a traceback")

    print(f"soak: {args.servers} servers, {args.clients} clients, {elapsed:.1f} s "
          f"(seed {args.seed}), one private redis-server, all on 127.0.0.1")
    print(f"requests sent           {ledger.requests} ({ledger.requests / elapsed:.0f}/s)")
    print("answers by class (every 4xx here was the expected answer: a logged-out credential "
          "refused; any other would be an inconsistency)")
    for name, count in sorted(ledger.by_class.items()):
        print(f"  {name:34} {count}")
    print(f"errors: 5xx             {ledger.server_errors}")
    print(f"errors: transport       {ledger.transport_errors}")
    print(f"latency p50 / p99       {ledger.percentile_ms(0.50):.1f} ms / "
          f"{ledger.percentile_ms(0.99):.1f} ms")
    print(f"sessions created        {ledger.sessions_created}")
    print(f"sessions destroyed      {ledger.sessions_destroyed}")
    print(f"sessions alive          {live} (in Redis: {in_redis})")
    print(f"jwt logins / refreshes  {ledger.jwt_logins} / {ledger.refreshes}")
    print(f"jwt logins ended        {ledger.jwt_logouts} (logout, or refresh-token reuse)")
    print(f"inconsistencies found   {len(ledger.inconsistencies)}")
    for line in ledger.inconsistencies[:20]:
        print(f"  - {line}")
    bad = ledger.inconsistencies or ledger.server_errors or ledger.transport_errors
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
