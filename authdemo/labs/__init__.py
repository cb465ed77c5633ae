"""Notebook 05's security labs: attacks, the deliberately broken code they break, the fixes.

    forging.py           the attacker's toolbox: tamper, hand-made HS*/none tokens, RS256, JWKs
    cracking.py          offline guessing of HMAC keys from one token or one session cookie
    naive_verifiers.py   VULNERABLE ON PURPOSE: six JWT verifiers with classic bugs
    naive_apps.py        VULNERABLE ON PURPOSE: the seed's advice without its details
    pinned_verifiers.py  the same jobs done right: RS256 pinned, `kid` from an allowlist
    cookies.py           what Secure, HttpOnly, SameSite and __Host- each stop
    world.py             a pretend disk and a pretend internet (the labs touch neither)
    demo_keys.py         DEMO-ONLY RSA keys, published here, protecting nothing
    checklist.py         every attack against both sides, as checked rows

Nothing here is imported by the app. The seed's literal port is `authdemo.vulnerable_seed`.
"""

from authdemo.labs.checklist import ATTACKS, Row, markdown_table, run_checklist

__all__ = ["ATTACKS", "Row", "markdown_table", "run_checklist"]
