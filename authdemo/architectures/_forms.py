"""Reading an HTML form body: the text fields, parsed by Starlette with python-multipart."""

from __future__ import annotations

from starlette.requests import Request


async def read_form(request: Request) -> dict[str, str]:
    """The text fields of a submitted form. Files are refused and the field count is
    capped, so a hostile body cannot make the server buffer uploads."""
    form = await request.form(max_files=0, max_fields=50)
    return {name: value for name, value in form.items() if isinstance(value, str)}
