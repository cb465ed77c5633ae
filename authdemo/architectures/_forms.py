"""Reading an HTML form body without extra dependencies.

FastAPI's `Form(...)` needs python-multipart, which authdemo does not install; a
URL-encoded form is one `parse_qs` away, so the architecture apps read it here.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.requests import Request

MAX_FORM_BYTES = 16 * 1024
"""Login and logout forms are a few hundred bytes; anything bigger is refused unread."""


async def read_form(request: Request) -> dict[str, str]:
    """The first value of each field of an `application/x-www-form-urlencoded` body."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}
