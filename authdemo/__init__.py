"""authdemo: JWT and server-side sessions, side by side, by running code.

Where to find each idea:

    authdemo.settings         one typed Settings object (secrets, lifetimes, cookies, Redis)
    authdemo.tokens           JWTs: stateless codec, plus denylist and refresh rotation
    authdemo.sessions         express-session in Python: signing, cookie, Session, stores
    authdemo.app              the hardened FastAPI app (create_app)
    authdemo.vulnerable_seed  the blog post's code, ported literally, flaws and all
    authdemo.architectures    notebook 04's systems: SPA + API, SSR, OAuth-like, BFF, decision
    authdemo.labs             notebook 05's attacks and the naive targets they beat
    authdemo.browser_lab      notebook 05's real-browser demos (Playwright + Chromium)
    authdemo.server           in-process client, real uvicorn server, background loop
    authdemo.teaching         a movable clock and predictable ids, for notebooks
    authdemo.notebook         display and exercise helpers used by the notebooks
"""

__version__ = "0.1.0"

from authdemo.app import create_app
from authdemo.server import in_process_client, run, serve
from authdemo.settings import Secret, Settings
from authdemo.vulnerable_seed import create_vulnerable_seed_app

__all__ = ["Secret", "Settings", "__version__", "create_app", "create_vulnerable_seed_app",
           "in_process_client", "run", "serve"]
