#!/usr/bin/env python3
"""Write requirements/constraints.txt from the packages installed in .venv.

    .venv/bin/python scripts/update_constraints.py

Pins every installed distribution (except authdemo itself) at its installed version:
these are the versions the notebooks' stored outputs were made with. A pinned release
that does not support Python 3.10 gets a marker, so Python 3.10 resolves its own newest
compatible release of that package instead of failing.
"""

from __future__ import annotations

from importlib.metadata import distributions
from pathlib import Path

from packaging.specifiers import SpecifierSet

OUT = Path(__file__).resolve().parents[1] / "requirements" / "constraints.txt"
OLDEST_PYTHON = "3.10"


def main() -> None:
    lines = {}
    for dist in distributions():
        name = dist.metadata["Name"]
        if name.lower() in ("authdemo", "pip", "setuptools", "wheel"):
            continue
        pin = f"{name}=={dist.version}"
        requires = dist.metadata.get("Requires-Python")
        if requires and OLDEST_PYTHON not in SpecifierSet(requires):
            pin += f'; python_version > "{OLDEST_PYTHON}"'
        lines[name.lower()] = pin
    header = ("# The exact versions the notebooks' stored outputs were made with.\n"
              "# Written by scripts/update_constraints.py from .venv; releases that need a newer\n"
              f"# Python than {OLDEST_PYTHON} carry a marker, so {OLDEST_PYTHON} resolves its own.\n")
    OUT.write_text(header + "\n".join(lines[k] for k in sorted(lines)) + "\n")
    print(f"wrote {len(lines)} pins to {OUT}")


if __name__ == "__main__":
    main()
