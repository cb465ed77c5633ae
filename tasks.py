#!/usr/bin/env python3
"""The project's commands. Needs nothing but Python 3.10+; installs the rest itself.

    python3 tasks.py lab                 # set up (first time only), open the suite in JupyterLab
    python3 tasks.py test                # set up (first time only), run every test and notebook
    python3 tasks.py test -m redis       # extra pytest arguments are passed through
    python3 tasks.py refresh-notebooks   # re-run every notebook and store its outputs
    python3 tasks.py bench               # the benchmarks (figures, side by side)
    python3 tasks.py serve               # python -m authdemo serve, inside the environment

Set-up creates `.venv/` and installs the package with the exact versions in
`requirements/constraints.txt` (the ones the notebooks' stored outputs were made with).
A second run skips it unless pyproject.toml or the constraints changed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
CONSTRAINTS = ROOT / "requirements" / "constraints.txt"
STAMP = VENV / ".authdemo-installed"


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for path in (ROOT / "pyproject.toml", CONSTRAINTS):
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


def ensure_environment() -> None:
    if sys.version_info < (3, 10):
        sys.exit(f"authdemo needs Python 3.10 or newer; this is {sys.version.split()[0]}")
    if STAMP.exists() and STAMP.read_text() == _fingerprint() and PYTHON.exists():
        return
    print("Setting up .venv (first run only; a few minutes)...", flush=True)
    if not PYTHON.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [str(PYTHON), "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "--quiet", "--upgrade", "pip"], check=True)
    install = [*pip, "install", "--quiet", "-e", f"{ROOT}[notebooks,test]"]
    if CONSTRAINTS.exists():
        install += ["-c", str(CONSTRAINTS)]
    subprocess.run(install, check=True, cwd=ROOT)
    STAMP.write_text(_fingerprint())
    print("Set-up done.", flush=True)


def in_venv(*args: str, **kwargs) -> int:
    return subprocess.call([str(PYTHON), *args], cwd=ROOT, **kwargs)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    command, rest = argv[0], argv[1:]
    ensure_environment()
    if command == "lab":
        return in_venv("-m", "jupyter", "lab", "notebooks/00_start_here.ipynb", *rest)
    if command == "test":
        return in_venv("-m", "pytest", "--nbval", "--nbval-current-env",
                       "--nbval-sanitize-with", "notebooks/sanitize.cfg", *rest)
    if command == "refresh-notebooks":
        return in_venv("scripts/refresh_notebooks.py", *rest)
    if command == "bench":
        return in_venv("benchmarks/run_all.py", *rest)
    if command == "serve":
        return in_venv("-m", "authdemo", "serve", *rest)
    print(f"unknown command {command!r}\n{__doc__}")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
