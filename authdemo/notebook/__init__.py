"""Helpers the notebooks use, so their cells stay about the idea.

    require_version("0.1.0")       fail early, clearly, if the package and notebook disagree
    show(response)                 an HTTP exchange as a reader wants to see it
    token_parts(token)             a JWT's three parts, base64url-decoded by hand
    show_token(token)              the jwt.io-style coloured view
    Exercise(...)                  self-checking exercises
    expect_status(response, 401)   assert a status and print it, in one line
"""

from authdemo.notebook.display import show, show_token, token_parts
from authdemo.notebook.exercises import Exercise, expect_status, require_version

__all__ = ["Exercise", "expect_status", "require_version", "show", "show_token", "token_parts"]
