"""Small, honest timing helpers for the notebooks.

    timing = time_per_call(lambda: codec.decode(token, "access"), label="jwt decode")
    print(timing)        # jwt decode: 31.2 µs per call (IQR 30.8-32.0, 15 rounds)
    timing.median_us     # what the notebook asserts ratios on

Every measurement warms up first, then times several *rounds* of many calls each and
reports the median per-call time and the spread (interquartile range) across rounds.
It is bounded by `budget_seconds`, so a slow or busy machine makes it less precise,
never slower. `time.perf_counter` is used throughout: the notebooks' `TeachingClock`
freezes `time.time`, not `perf_counter`.

`time_per_call_async` does the same for a coroutine function, timing it *inside* the
background event loop (`authdemo.server.run`), so the thread hop is not measured.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from authdemo.server import run

T = TypeVar("T")

__all__ = ["Timing", "progress", "time_per_call", "time_per_call_async"]


@dataclass(frozen=True)
class Timing:
    """Per-call times (µs) of each timed round; the median is the figure to quote."""

    label: str
    rounds_us: tuple[float, ...]
    calls_per_round: int

    @property
    def median_us(self) -> float:
        return statistics.median(self.rounds_us)

    @property
    def q1_us(self) -> float:
        return _quantiles(self.rounds_us)[0]

    @property
    def q3_us(self) -> float:
        return _quantiles(self.rounds_us)[2]

    def __str__(self) -> str:
        return (f"{self.label}: {_fmt(self.median_us)} µs per call "
                f"(IQR {_fmt(self.q1_us)}-{_fmt(self.q3_us)}, {len(self.rounds_us)} rounds "
                f"of {self.calls_per_round:,})")


def _quantiles(values: Sequence[float]) -> list[float]:
    if len(values) < 2:
        return [values[0]] * 3
    return statistics.quantiles(values, n=4, method="inclusive")


def _fmt(us: float) -> str:
    return f"{us:.3f}" if us < 1 else f"{us:.1f}" if us < 100 else f"{us:,.0f}"


def _calls_per_round(one_call_seconds: float, round_seconds: float) -> int:
    return max(1, int(round_seconds / max(one_call_seconds, 1e-9)))


def time_per_call(fn: Callable[[], Any], *, label: str = "", budget_seconds: float = 0.4,
                  rounds: int = 15) -> Timing:
    """Time `fn()`: warm up (10% of the budget), then up to `rounds` rounds, within budget."""

    def time_batch(calls: int) -> float:
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        return time.perf_counter() - t0

    return _measure(time_batch, label, budget_seconds, rounds)


def time_per_call_async(make_call: Callable[[], Awaitable[Any]], *, label: str = "",
                        budget_seconds: float = 0.4, rounds: int = 15) -> Timing:
    """`time_per_call` for a coroutine function. Each batch is timed *inside* the background
    event loop, so the hop from this thread to the loop is not measured."""

    async def batch(calls: int) -> float:
        t0 = time.perf_counter()
        for _ in range(calls):
            await make_call()
        return time.perf_counter() - t0

    return _measure(lambda calls: run(batch(calls)), label, budget_seconds, rounds)


def _measure(time_batch: Callable[[int], float], label: str, budget_seconds: float,
             rounds: int) -> Timing:
    """Warm up one call at a time (which also calibrates), then time rounds of many calls."""
    start = time.perf_counter()
    warm_until = start + budget_seconds * 0.1
    calls, spent = 0, 0.0
    while not calls or time.perf_counter() < warm_until:
        spent += time_batch(1)
        calls += 1
    number = _calls_per_round(spent / calls, budget_seconds * 0.9 / rounds)
    deadline = start + budget_seconds
    results: list[float] = []
    while len(results) < rounds and (not results or time.perf_counter() < deadline):
        results.append(time_batch(number) / number * 1e6)
    return Timing(label, tuple(results), number)


def progress(items: Iterable[T], *, total: int | None = None, desc: str = "") -> Iterable[T]:
    """A text progress bar (tqdm) on stderr; plain iteration if tqdm is missing."""
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a notebook dependency
        return items
    return tqdm(items, total=total, desc=desc, ncols=80, mininterval=0.5)
