"""Self-checking exercises: a learner's answer gets a pass or a hint, never a traceback.

    ex = Exercise("1.1", "Which status does a tampered token get?", lambda a: a == 401,
                  hint="Tampering breaks the signature; which status means 'who are you?'")
    ex.check(None)   # → "not answered yet" + the hint
    ex.check(401)    # → "✅ correct"

The solutions cells call `ex.check(solution, solution=True)`, which *asserts*: the
test run executes them, so a solution that stops working fails CI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import httpx


def require_version(expected: str) -> None:
    """Stop with a clear message if the installed authdemo is not the one the notebook expects."""
    import authdemo

    if authdemo.__version__ != expected:
        raise RuntimeError(
            f"This notebook was written for authdemo {expected}, but {authdemo.__version__} is "
            "installed. Run `python3 tasks.py lab` from the repository to set up, then "
            "restart the kernel.")
    print(f"authdemo {authdemo.__version__} ready")


def expect_status(response: httpx.Response, status: int) -> None:
    """Assert the status, and print it with the error code so the reader sees what happened."""
    try:
        error = response.json().get("error") or response.json().get("message")
    except ValueError:
        error = None
    label = f"{response.status_code} {response.reason_phrase}" + (f" ({error})" if error else "")
    assert response.status_code == status, f"expected {status}, got {label}"
    print(label)


@dataclass
class Exercise:
    number: str
    question: str
    check_answer: Callable[[Any], bool]
    """Returns True for a right answer."""
    hint: str

    def check(self, answer: Any, *, solution: bool = False) -> None:
        """Print a verdict (returns nothing, so a cell shows only the verdict)."""
        if answer is None or answer is ...:
            print(f"Exercise {self.number}: not answered yet. Hint: {self.hint}")
            return
        try:
            ok = bool(self.check_answer(answer))
        except Exception as exc:  # a learner's odd answer is a hint, not a traceback
            ok = False
            print(f"(checking raised {type(exc).__name__})")
        if solution:
            assert ok, f"the solution to exercise {self.number} no longer passes"
        print(f"Exercise {self.number}: " + ("✅ correct" if ok else f"❌ not yet. Hint: {self.hint}"))
