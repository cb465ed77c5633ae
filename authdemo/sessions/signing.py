"""Signed session ids, in exactly express-session's format.

express-session puts `s:<id>.<mac>` in the cookie, where `mac` is
base64(HMAC-SHA256(secret, id)) with the `=` padding stripped (the `cookie-signature`
package). Writing the same format by hand is the lesson: it is ten lines, and it
means a cookie minted by a real Express server with the same secret is accepted
here, and the other way round.

The signature only proves the id came from us. The session data never leaves the
server; the cookie carries nothing but the id.
"""

from __future__ import annotations

import base64
import functools
import hmac
from collections.abc import Sequence
from urllib.parse import quote, unquote

from authdemo.settings import Secret

PREFIX = "s:"


def _mac(value: str, secret: Secret) -> str:
    digest = hmac.digest(secret.reveal(), value.encode(), "sha256")
    return base64.b64encode(digest).decode().rstrip("=")


def sign(value: str, secret: Secret) -> str:
    """`value.mac`: node `cookie-signature`'s `sign`."""
    return f"{value}.{_mac(value, secret)}"


def unsign(signed: str, secrets: Sequence[Secret]) -> str | None:
    """The value if any secret signed it, else None (rotation: every secret verifies)."""
    value, dot, mac = signed.rpartition(".")  # the *last* dot, as cookie-signature does
    if not dot:
        return None
    for secret in secrets:
        if hmac.compare_digest(mac.encode(), _mac(value, secret).encode()):
            return value
    return None


def encode_cookie_value(session_id: str, secret: Secret) -> str:
    """What goes in `Set-Cookie`: `s:` + signed id, URL-encoded like encodeURIComponent."""
    return _encode(session_id, secret.reveal())


@functools.lru_cache(maxsize=4096)
def _encode(session_id: str, key: bytes) -> str:
    """Signing is deterministic, and a rolling session re-sends the same cookie on every
    response: remembering recent results saves an HMAC and a slow `quote` per request."""
    return quote(PREFIX + sign(session_id, Secret(key)), safe="-_.!~*'()")


def decode_cookie_value(raw: str, secrets: Sequence[Secret]) -> str | None:
    """The session id from a raw cookie value, or None if it is unsigned or forged."""
    return _decode(raw, tuple(secrets))


@functools.lru_cache(maxsize=4096)
def _decode(raw: str, secrets: tuple[Secret, ...]) -> str | None:
    """The answer depends only on the exact cookie text and the secrets, and a browser sends
    the same cookie on every request: remembering it saves an HMAC and an `unquote`. A
    forged cookie is cached as None like any other; it never turns into a valid one."""
    value = unquote(raw)
    if not value.startswith(PREFIX):  # an unsigned id is never trusted (XS-04)
        return None
    return unsign(value[len(PREFIX):], secrets)
