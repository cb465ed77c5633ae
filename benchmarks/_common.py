"""Shared helpers for the benchmark scripts: statistics, tables, ports, child processes,
and a throw-away redis-server.

Nothing here is part of authdemo; the scripts import it as a sibling module.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
REDIS_URL_ENV = "AUTHDEMO_REDIS_URL"

# Fixed, >= 32-byte secrets: the servers and the in-process apps must agree across processes.
JWT_SECRET = "bench-jwt-secret-0123456789abcdef0123456789"
SESSION_SECRET = "bench-session-secret-0123456789abcdef012345"
DEMO_USER, DEMO_PASSWORD = "alice", "alice-wonderland-2026"


# --- statistics -------------------------------------------------------------------------------
def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def quartiles(values: Sequence[float]) -> tuple[float, float]:
    if len(values) < 2:
        return values[0], values[0]
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], q[2]


def iqr(values: Sequence[float]) -> float:
    q1, q3 = quartiles(values)
    return q3 - q1


def fmt_num(value: float) -> str:
    """About three significant figures, thousands separated."""
    if value != value:  # NaN
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table (readable in a terminal, pasteable in a README)."""
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    out = [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


# --- machine ------------------------------------------------------------------------------------
def machine_note() -> str:
    try:
        load = os.getloadavg()
        load_text = f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    except OSError:
        load_text = "load average unknown"
    return (f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}, {os.cpu_count()} CPUs, {load_text}, "
            f"Python {sys.version.split()[0]}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout_seconds: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with code {proc.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout_seconds}s")


def pinned(cpu: int | None, argv: list[str]) -> list[str]:
    """`taskset -c <cpu> argv` when taskset exists and the CPU does (exec: same pid)."""
    if cpu is None or shutil.which("taskset") is None or cpu >= (os.cpu_count() or 1):
        return argv
    return ["taskset", "-c", str(cpu), *argv]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), 0.0 if unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


class Child:
    """A child process with its output in a log file; `stop()` is bounded and idempotent."""

    def __init__(self, name: str, argv: list[str], *, env: dict[str, str] | None = None,
                 cwd: str | Path | None = None, log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env, cwd=cwd)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self, timeout_seconds: float = 5) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout_seconds)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(timeout_seconds)
        self._log.close()


# --- a throw-away redis-server --------------------------------------------------------------------
@contextlib.contextmanager
def redis_server(cpu: int | None = None, log_dir: Path | None = None
                 ) -> Iterator[tuple[str | None, Child | None, str]]:
    """Yield (url, child, note): a fresh redis-server on a free loopback port, no persistence.

    url is None (with the reason in note) when redis-server is not installed or will not start.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        yield None, None, "redis-server not installed"
        return
    own_dir = None
    if log_dir is None:
        own_dir = tempfile.TemporaryDirectory(prefix="authdemo-bench-redis-")
        log_dir = Path(own_dir.name)
    port = free_port()
    child = Child("redis-server", pinned(cpu, [
        binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--daemonize", "no", "--protected-mode", "yes", "--dir", str(log_dir)]), log_dir=log_dir)
    try:
        try:
            wait_for_port(port, 10, child.proc)
        except (RuntimeError, TimeoutError) as exc:
            yield None, None, f"redis-server did not start ({exc}): {child.log_tail(5)}"
            return
        yield f"redis://127.0.0.1:{port}/0", child, f"redis-server started by the script on port {port}"
    finally:
        child.stop()
        if own_dir is not None:
            own_dir.cleanup()


def redis_pid_for(url: str) -> int | None:
    """The pid of a local redis-server listening on the URL's port (for its CPU figures)."""
    from urllib.parse import urlparse

    port = urlparse(url).port or 6379
    try:
        import redis  # the sync client; only for INFO

        info = redis.Redis.from_url(url, socket_timeout=1).info("server")
        if info.get("tcp_port") == port:
            return int(info["process_id"])
    except Exception:
        return None
    return None


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def bounded(callable_: Callable[[], object], what: str, timeout_seconds: float) -> object:
    """Call until it stops raising, for at most timeout_seconds."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            return callable_()
        except Exception as exc:  # noqa: BLE001
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{what}: {exc}") from exc
            time.sleep(0.1)
