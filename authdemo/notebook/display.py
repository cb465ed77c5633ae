"""Showing HTTP exchanges and tokens in a notebook, reproducibly (stable order, no noise)."""

from __future__ import annotations

import base64
import html
import json
from typing import Any

import httpx

SHOWN_HEADERS = ("authorization", "cookie", "set-cookie", "www-authenticate", "location",
                 "content-type")


def _b64url_decode(segment: str) -> bytes:
    """base64url without padding, as JWTs use it: add the padding back, then decode."""
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def token_parts(token: str) -> dict[str, Any]:
    """Header, payload and signature of a JWT. INSPECTION ONLY: nothing is verified here."""
    header, payload, signature = token.split(".")
    return {
        "header": json.loads(_b64url_decode(header)),
        "payload": json.loads(_b64url_decode(payload)),
        "signature": _b64url_decode(signature).hex(),
    }


class _TokenView:
    """Rich display: coloured segments like jwt.io, with the decoded JSON beside them."""

    COLOURS = ("#fb015b", "#d63aff", "#00b9f1")

    def __init__(self, token: str) -> None:
        self.token = token
        self.parts = token_parts(token)

    def __repr__(self) -> str:
        header, payload, signature = self.token.split(".")
        return (f"header    {header}\n  = {json.dumps(self.parts['header'], sort_keys=True)}\n"
                f"payload   {payload}\n  = {json.dumps(self.parts['payload'], sort_keys=True)}\n"
                f"signature {signature}\n  = {len(_b64url_decode(signature))} bytes of HMAC")

    def _repr_html_(self) -> str:
        segments = self.token.split(".")
        coloured = '<span style="color:#888">.</span>'.join(
            f'<span style="color:{c}">{html.escape(s)}</span>' for c, s in zip(self.COLOURS, segments))
        decoded = "".join(
            f'<div style="color:{c}"><b>{name}</b><pre style="margin:0">'
            f"{html.escape(json.dumps(value, indent=2, sort_keys=True))}</pre></div>"
            for c, (name, value) in zip(self.COLOURS, [("HEADER", self.parts["header"]),
                                                        ("PAYLOAD", self.parts["payload"])]))
        return ('<div style="display:flex;gap:2em;font-family:monospace">'
                f'<div style="word-break:break-all;max-width:28em">{coloured}</div>'
                f"<div>{decoded}<div style=\"color:{self.COLOURS[2]}\"><b>SIGNATURE</b> "
                "HMAC-SHA256(header.payload, secret)</div></div></div>")


def show_token(token: str) -> _TokenView:
    return _TokenView(token)


def show(response: httpx.Response, *, headers: tuple[str, ...] = SHOWN_HEADERS,
         request: bool = True) -> None:
    """Print the request line, the interesting headers both ways, the status and the body."""
    req = response.request
    if request:
        print(f"> {req.method} {req.url.raw_path.decode()}")
        for name in headers:
            for value in req.headers.get_list(name):
                print(f"> {name}: {value}")
        if req.content:
            print(f"> {req.content.decode(errors='replace')}")
    print(f"< {response.status_code} {response.reason_phrase}")
    for name in headers:
        if name in ("authorization", "cookie"):
            continue
        for value in response.headers.get_list(name):
            print(f"< {name}: {value}")
    try:
        body = json.dumps(response.json(), sort_keys=True, ensure_ascii=False)
    except ValueError:
        body = response.text
    print(f"< {body}")
