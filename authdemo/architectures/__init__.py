"""The seed's "which to choose?" advice, each recommendation as a small working system.

    spa_api.py     SPA + REST API: a static page and a JSON API on another origin,
                   Bearer tokens, CORS, short access tokens with refresh rotation
    ssr_app.py     server-rendered pages: login form, server-side session, CSRF token
                   in every form, 303 after login, logout
    oauth_like.py  OAuth2-style tokens between services: an authorization server that
                   signs with EdDSA and publishes a JWKS; resource servers that verify
                   with public keys only, one audience each; key rotation
    bff.py         the hybrid: a session cookie between browser and backend-for-frontend,
                   short-lived JWTs between the BFF and the services behind it
    decision.py    `recommend(Requirements(...))`: a choice, and the reasons, each
                   linked to the notebook cell that demonstrated it

Notebook 04 (`notebooks/04_which_to_choose.ipynb`) runs them all; the tests in
`tests/test_architectures.py` check the key property of each.
"""

from authdemo.architectures.decision import Reason, Recommendation, Requirements, recommend

__all__ = ["Reason", "Recommendation", "Requirements", "recommend"]
