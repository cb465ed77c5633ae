#!/usr/bin/env python3
"""Re-run notebooks top to bottom in a fresh kernel and store their outputs, normalised.

    python3 tasks.py refresh-notebooks                       # every notebook
    python3 tasks.py refresh-notebooks notebooks/01_jwt_flow.ipynb

Normalising keeps what a reader needs (outputs, execution counts) and drops what only
makes diffs noisy (timings, kernel versions, widget state), so a refreshed notebook
changes only where its outputs did. The test command then compares them strictly.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert.preprocessors import CoalesceStreamsPreprocessor

ROOT = Path(__file__).resolve().parents[1]
NOISY_CELL_METADATA = ("execution", "collapsed", "scrolled", "ExecuteTime")


def normalise(nb: nbformat.NotebookNode) -> None:
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    nb, _ = CoalesceStreamsPreprocessor().preprocess(nb, {})  # one stream per cell, not per flush
    for cell in nb.cells:
        for key in NOISY_CELL_METADATA:
            cell.metadata.pop(key, None)
        cell.pop("id", None)
    nb.nbformat, nb.nbformat_minor = 4, 4


def refresh(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    normalise(nb)
    nbformat.write(nb, path)
    print(f"refreshed {path}")


def main(argv: list[str]) -> int:
    paths = [Path(p).resolve() for p in argv] or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    for path in paths:
        refresh(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
