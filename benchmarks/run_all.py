#!/usr/bin/env python3
"""Run both benchmarks in one go and keep a copy of what they print.

    python3 tasks.py bench                  # = .venv/bin/python benchmarks/run_all.py, ≤ 3 min
    python3 tasks.py bench --quick          # ~45 s
    python3 tasks.py bench --redis-url redis://127.0.0.1:6379/0
    python3 tasks.py bench --only http --bare-primitives

One redis-server is started here (free loopback port, pinned to CPU 0) unless --redis-url or
AUTHDEMO_REDIS_URL is given, and both scripts use it, so the in-process benchmark gets its
real-Redis rows too (--no-redis: none, the real-Redis rows are skipped). Arguments this
script does not know are passed to bench_http.py (--no-express, --bare-primitives,
--duration N, --rounds N, --connections N). The output is also written to
benchmarks/results/<date>.md (git-ignored).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402


def run_script(name: str, args: list[str], env: dict[str, str], timeout_seconds: float,
               out: list[str]) -> int:
    argv = [sys.executable, str(C.BENCH_DIR / name), *args]
    C.log(f"$ {' '.join(argv[1:])}")
    try:
        done = subprocess.run(argv, env=env, cwd=C.ROOT, stdout=subprocess.PIPE, text=True,
                              timeout=timeout_seconds)  # stderr (progress) goes straight through
    except subprocess.TimeoutExpired as exc:
        text = (exc.stdout or "") if isinstance(exc.stdout, str) else ""
        out.append(text + f"\n{name}: stopped after {timeout_seconds:.0f} s\n")
        print(out[-1])
        return 124
    print(done.stdout, flush=True)
    out.append(done.stdout)
    return done.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="both scripts in quick mode")
    parser.add_argument("--only", choices=["inprocess", "http"], help="run just one of them")
    parser.add_argument("--redis-url", default=os.environ.get(C.REDIS_URL_ENV) or None)
    parser.add_argument("--no-redis", action="store_true", help="no real Redis at all")
    parser.add_argument("--no-save", action="store_true", help="do not write benchmarks/results/")
    args, http_extra = parser.parse_known_args(argv)

    started = time.monotonic()
    out = [f"# authdemo benchmarks, {C.machine_note()}\n",
           f"command: python3 tasks.py bench {' '.join(argv if argv is not None else sys.argv[1:])}\n"]
    env = {k: v for k, v in os.environ.items() if k != C.REDIS_URL_ENV}
    quick = ["--quick"] if args.quick else []
    codes = []
    with C.redis_server(cpu=0) if not (args.redis_url or args.no_redis) else _given(args) as (
            url, _child, note):
        C.log(f"Redis: {note}")
        if url:
            env[C.REDIS_URL_ENV] = url
        if args.only in (None, "inprocess"):
            codes.append(run_script("bench_inprocess.py", quick, env, 300, out))
        if args.only in (None, "http"):
            redis_args = ["--redis-url", url] if url else ["--no-redis"]
            codes.append(run_script("bench_http.py", quick + redis_args + http_extra, env, 600, out))
    total = f"\n(all benchmarks took {time.monotonic() - started:.0f} s)\n"
    print(total)
    out.append(total)
    if not args.no_save:
        results = C.BENCH_DIR / "results"
        results.mkdir(exist_ok=True)
        path = results / time.strftime("%Y%m%d-%H%M%S.md")
        path.write_text("".join(out))
        C.log(f"saved to {path.relative_to(C.ROOT)}")
    return max(codes, default=0)


class _given:
    """Stands in for `redis_server` when a URL is given or Redis is turned off."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.url = None if args.no_redis else args.redis_url

    def __enter__(self) -> tuple[str | None, None, str]:
        return self.url, None, f"given: {self.url}" if self.url else "none (--no-redis)"

    def __exit__(self, *exc: object) -> None:
        return None


if __name__ == "__main__":
    sys.exit(main())
