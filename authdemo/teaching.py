"""Determinism for teaching: a clock a notebook can move, and ids it can predict.

Neither is ever a default. A notebook opts in, so that its stored outputs (token
bytes, session ids, Expires dates) are identical on every run, and so it can show
expiry by jumping an hour ahead instead of sleeping for one.

`TeachingClock` uses time-machine, a well-kept time-travel library, because PyJWT
reads the system clock itself: moving `time.time()` for the whole process moves
PyJWT, fakeredis and our own code together, so nothing has to re-implement checks.
"""

from __future__ import annotations

import base64
import random
import time
from datetime import datetime, timezone

import time_machine

DEMO_START = datetime(2026, 1, 1, 9, 0, 0, tzinfo=timezone.utc)


class TeachingClock:
    """Freezes the process clock at `start`; `advance()` jumps it forward."""

    def __init__(self, start: datetime = DEMO_START) -> None:
        self._travel = time_machine.travel(start, tick=False)
        self._coordinates = self._travel.start()

    def advance(self, seconds: float) -> None:
        self._coordinates.shift(seconds)

    def now(self) -> float:
        return time.time()

    __call__ = now

    def stop(self) -> None:
        self._travel.stop()

    def __enter__(self) -> TeachingClock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<TeachingClock at {datetime.fromtimestamp(time.time(), timezone.utc):%Y-%m-%d %H:%M:%S} UTC>"


class SeededIds:
    """Predictable ids of the same shape as real ones (32 base64url chars). Not secret!"""

    def __init__(self, seed: int = 0, prefix: str = "") -> None:
        self._random = random.Random(seed)
        self._prefix = prefix

    def __call__(self) -> str:
        raw = base64.urlsafe_b64encode(self._random.randbytes(24)).decode().rstrip("=")
        return (self._prefix + raw)[:32]
