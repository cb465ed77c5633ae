"""A pretend file system and a pretend internet, so the `kid` and `jku` labs touch neither.

`PRETEND_FILES` is what a server's disk might hold: its signing key, and files whose
content anyone can know (`/dev/null` is empty; a public `robots.txt`). `FakeInternet`
answers GETs from a dict and records every URL it was asked for, so a notebook can show
that a verifier fetched a URL named by a token, or that it fetched nothing.
"""

from __future__ import annotations

import json
import posixpath
from typing import Any

KEY_DIR = "/srv/app/keys"

PRETEND_FILES: dict[str, bytes] = {
    f"{KEY_DIR}/2026-01": b"kid-lab demo key: 32+ random-looking bytes, demo only",
    "/srv/app/public/robots.txt": b"User-agent: *\nDisallow:\n",
    "/dev/null": b"",
}


def read_pretend_file(path: str) -> bytes:
    """The bytes at `path` (normalised like a real OS would: `a/../b` is `b`)."""
    normal = posixpath.normpath(path)
    if normal not in PRETEND_FILES:
        raise FileNotFoundError(normal)
    return PRETEND_FILES[normal]


class FakeInternet:
    """GET a URL from a dict of pages; `fetched` lists every URL asked for, in order."""

    def __init__(self, pages: dict[str, Any] | None = None) -> None:
        self.pages = dict(pages or {})
        self.fetched: list[str] = []

    def host(self, url: str, document: Any) -> None:
        """Publish `document` (JSON) at `url`, as anyone can do on their own server."""
        self.pages[url] = document

    def get_json(self, url: str) -> Any:
        self.fetched.append(url)
        if url not in self.pages:
            raise LookupError(f"404 {url}")
        return json.loads(json.dumps(self.pages[url]))  # a copy, as if it came over the wire


__all__ = ["FakeInternet", "KEY_DIR", "PRETEND_FILES", "read_pretend_file"]
