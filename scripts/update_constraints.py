#!/usr/bin/env python3
"""Write requirements/constraints.txt from the packages installed in .venv.

    .venv/bin/python scripts/update_constraints.py

Pins every installed distribution (except authdemo itself) at its installed version:
these are the versions the notebooks' stored outputs were made with. Many of them no
longer support Python 3.10, and pinning only the rest mixes releases that were never
meant to meet (an old schemathesis with a new jsonschema_rs, say). So the pins apply
from the Python they were made with upwards, and older Pythons resolve a consistent set
of their own.
"""

from __future__ import annotations

import sys
from importlib.metadata import distributions
from pathlib import Path


OUT = Path(__file__).resolve().parents[1] / "requirements" / "constraints.txt"


def main() -> None:
    made_with = f"{sys.version_info.major}.{sys.version_info.minor}"
    lines = {}
    for dist in distributions():
        name = dist.metadata["Name"]
        if name.lower() in ("authdemo", "pip", "setuptools", "wheel"):
            continue
        lines[name.lower()] = f'{name}=={dist.version}; python_version >= "{made_with}"'
    header = ("# The exact versions the notebooks' stored outputs were made with.\n"
              "# Written by scripts/update_constraints.py from .venv. They apply from Python\n"
              f"# {made_with} up; older Pythons resolve their own consistent set.\n")
    OUT.write_text(header + "\n".join(lines[k] for k in sorted(lines)) + "\n")
    print(f"wrote {len(lines)} pins to {OUT}")


if __name__ == "__main__":
    main()
