"""What each cookie attribute stops, read off a `Set-Cookie` header.

Two kinds of answer, kept apart on purpose:

- `jar_sends(...)` asks a real cookie jar (Python's `http.cookiejar`, which httpx
  uses). It applies `Secure`, `Domain` and `Path` as browsers do, so it needs no
  browser.
- `browser_rules(...)` *models* what only a browser enforces: `HttpOnly` (which
  hides a cookie from page scripts), `SameSite` (whether a cross-site request carries
  it) and the `__Host-` prefix (which a browser refuses unless Secure, Path=/ and no
  Domain). `http.cookiejar` ignores all three. The browser lab
  (tests/test_browser_lab.py) checks the first two in a real Chromium.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class SetCookie:
    name: str
    value: str
    attributes: dict[str, str]
    """Lower-cased attribute names; flags (HttpOnly, Secure) map to ""."""

    @classmethod
    def parse(cls, header: str) -> SetCookie:
        pair, *attrs = [part.strip() for part in header.split(";")]
        name, _, value = pair.partition("=")
        attributes = {}
        for attr in attrs:
            key, _, val = attr.partition("=")
            attributes[key.strip().lower()] = val.strip()
        return cls(name, value, attributes)

    @property
    def same_site(self) -> str | None:
        value = self.attributes.get("samesite")
        return value.lower() if value else None


def jar_sends(set_cookie: str, set_by: str, request_url: str) -> bool:
    """Does a cookie jar that received `set_cookie` from `set_by` send it to `request_url`?"""
    jar = httpx.Cookies()
    setter = httpx.Request("GET", set_by)
    jar.extract_cookies(httpx.Response(200, headers={"set-cookie": set_cookie}, request=setter))
    request = httpx.Request("GET", request_url)
    jar.set_cookie_header(request)
    sent = request.headers.get("cookie", "")
    return any(pair.split("=")[0].strip() == SetCookie.parse(set_cookie).name
               for pair in sent.split(";") if pair)


@dataclass(frozen=True)
class BrowserRules:
    """What a current browser does with one cookie (a model; see the module docstring)."""

    script_can_read: bool
    """`document.cookie` shows it, so an injected script (XSS) can copy it."""
    sent_on_cross_site_post: bool | None
    """A form on another site posting here carries it (CSRF). None: depends on the browser
    (no SameSite: Chrome treats it as Lax, Firefox and Safari send it)."""
    host_prefix_accepted: bool | None
    """For a `__Host-` name: would the browser store it at all? None: not prefixed."""


def browser_rules(set_cookie: str, *, set_over_https: bool) -> BrowserRules:
    cookie = SetCookie.parse(set_cookie)
    attrs = cookie.attributes
    same_site = {None: None, "none": True, "lax": False, "strict": False}[cookie.same_site]
    if cookie.same_site == "none" and "secure" not in attrs:
        same_site = False  # browsers reject SameSite=None without Secure
    prefixed = None
    if cookie.name.startswith("__Host-"):
        prefixed = ("secure" in attrs and set_over_https and attrs.get("path") == "/"
                    and "domain" not in attrs)
    return BrowserRules(script_can_read="httponly" not in attrs,
                        sent_on_cross_site_post=same_site, host_prefix_accepted=prefixed)


__all__ = ["BrowserRules", "SetCookie", "browser_rules", "jar_sends"]
