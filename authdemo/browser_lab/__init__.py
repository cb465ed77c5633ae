"""The browser lab: the seed's "store the JWT in an HttpOnly cookie", tested in a real browser.

    authdemo.browser_lab.pages    the victim's pages, the attacker's collector, an evil site
    authdemo.browser_lab.runner   Playwright driving Debian's Chromium through every attack

    from authdemo.browser_lab import browser_available, run_browser_lab
    if browser_available():
        results = run_browser_lab()   # keys and values: see authdemo.browser_lab.runner

`python -m authdemo.browser_lab` serves the pages so you can try them by hand.
"""

from authdemo.browser_lab.pages import (MODES, XSS_PAYLOAD, RequestLog, create_evil_site,
                                        create_lab_app, create_seed_lab_app)
from authdemo.browser_lab.runner import (RESULT_KEYS, browser_available, run_browser_lab,
                                         unavailable_reason)

__all__ = ["MODES", "RESULT_KEYS", "XSS_PAYLOAD", "RequestLog", "browser_available",
           "create_evil_site", "create_lab_app", "create_seed_lab_app", "run_browser_lab",
           "unavailable_reason"]
