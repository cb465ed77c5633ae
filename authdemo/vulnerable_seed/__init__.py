"""VULNERABLE ON PURPOSE: the blog post's Express code, ported line by line.

Never the default, never for real use. The notebooks attack it to show each flaw:

1. the token is read from the raw `Authorization` header, without the `Bearer` scheme;
2. the secret is the hard-coded, guessable `"your_secret_key"` (for both flows);
3. login takes a username and no password: anyone can be anyone;
4. the session id is not regenerated at login (session fixation);
5. `saveUninitialized: true`: every anonymous visit creates and stores a session;
6. `cookie: {secure: false}` and no SameSite; logout leaves the cookie in the browser;
7. a JWT cannot be revoked: "logout" does nothing to it.

    from authdemo.vulnerable_seed import create_vulnerable_seed_app
"""

from authdemo.vulnerable_seed.app import SEED_SECRET, create_vulnerable_seed_app

__all__ = ["SEED_SECRET", "create_vulnerable_seed_app"]
