"""`recommend(Requirements(...))`: the seed's "which to choose?", as a function with reasons.

The seed gives three rules: SPA + REST API → JWT; server-rendered app or single
server → express-session; OAuth2-like needs → JWT. Real projects mix them, so this
asks about the requirements that actually decide it and answers with one of four
architectures, each built in `authdemo.architectures`:

    session   server-side session, cookie, CSRF token          ssr_app.py
    jwt       Bearer access token + refresh rotation, CORS     spa_api.py
    oauth     asymmetric tokens, JWKS, one audience each       oauth_like.py
    hybrid    session cookie to a BFF, short JWTs behind it    bff.py

Every `Reason` names a gain or a cost and links (relative to `notebooks/`) to the
cell that demonstrated it, so the advice can be checked rather than believed.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Literal

ClientType = Literal["spa", "ssr", "mobile", "cli", "service", "third_party"]
CLIENT_TYPES: tuple[str, ...] = ("spa", "ssr", "mobile", "cli", "service", "third_party")
"""spa: a browser app calling a JSON API; ssr: server-rendered HTML pages; mobile and cli:
native programs; service: your own back-end services; third_party: other people's apps."""

Choice = Literal["session", "jwt", "oauth", "hybrid"]

NB04, NB03, NB05 = "04_which_to_choose.ipynb", "03_comparison.ipynb", "05_security_labs.ipynb"
EVIDENCE: dict[str, tuple[str, str]] = {
    "spa-cors": (f"{NB04}#spa-cors", "04 §1 CORS"),
    "spa-refresh": (f"{NB04}#spa-refresh", "04 §1 refresh rotation"),
    "ssr-flow": (f"{NB04}#ssr-flow", "04 §2 SSR flow"),
    "ssr-csrf": (f"{NB04}#ssr-csrf", "04 §2 CSRF"),
    "oauth-public-keys": (f"{NB04}#oauth-public-keys", "04 §3 public keys only"),
    "oauth-rotation": (f"{NB04}#oauth-rotation", "04 §3 key rotation"),
    "oauth-audience": (f"{NB04}#oauth-audience", "04 §3 audience"),
    "bff-cookie": (f"{NB04}#bff-cookie", "04 §4 BFF cookie"),
    "bff-logout": (f"{NB04}#bff-logout", "04 §4 BFF logout"),
    "scalability": (NB03, "03 §3 Scalability, measured"),
    "logout": (NB03, "03 §4 Logout, measured"),
    "browser-lab": (NB05, "05 browser lab"),
}
"""Where each claim is shown running: (link relative to notebooks/, a label). Notebook 04's
anchors are tested to exist."""

MODULES: dict[str, str] = {
    "session": "authdemo.architectures.ssr_app",
    "jwt": "authdemo.architectures.spa_api",
    "oauth": "authdemo.architectures.oauth_like",
    "hybrid": "authdemo.architectures.bff",
}

SUMMARIES: dict[str, str] = {
    "session": "server-side sessions: an opaque cookie, the state on the server",
    "jwt": "Bearer JWTs: short access tokens, refresh rotation, CORS",
    "oauth": "OAuth2-style JWTs: one issuer signs, every service verifies with public keys",
    "hybrid": "a session cookie to a backend-for-frontend (BFF), short-lived JWTs behind it",
}


@dataclass(frozen=True)
class Requirements:
    """What decides it. Every field has the default of a small, simple project."""

    clients: frozenset[str]
    """Who calls you: any of CLIENT_TYPES."""
    servers: int = 1
    """How many server processes answer the same users."""
    instant_revocation: bool = False
    """Must logout (or a ban) stop the very next request?"""
    cross_domain: bool = False
    """Is the browser page served from another origin than the API?"""
    offline_verification: bool = False
    """Must services check a credential without calling the issuer or a shared store?"""
    team_can_run_shared_store: bool = True
    """Can the team operate Redis (or another shared store) in production?"""

    def __post_init__(self) -> None:
        clients = frozenset(self.clients)
        unknown = sorted(clients - set(CLIENT_TYPES))
        if unknown or not clients:
            raise ValueError(f"clients must be a non-empty set of {CLIENT_TYPES}; got {unknown}")
        if not isinstance(self.servers, int) or self.servers < 1:
            raise ValueError("servers must be a whole number, at least 1")
        object.__setattr__(self, "clients", clients)


@dataclass(frozen=True)
class Reason:
    kind: Literal["gain", "cost"]
    text: str
    evidence: str
    """A link relative to notebooks/: the cell or notebook that shows it."""
    section: str
    """Where that is, in words: "04 §1 CORS"."""

    def markdown(self) -> str:
        sign = "+" if self.kind == "gain" else "−"
        return f"{sign} {self.text} ([{self.section}]({self.evidence}))"


@dataclass(frozen=True)
class Recommendation:
    choice: Choice
    summary: str
    module: str
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    def explain(self, width: int = 88) -> str:
        """The choice, then one wrapped line per reason: `+` a gain, `-` a cost."""
        lines = [f"{self.choice}: {self.summary}", f"  built in {self.module}"]
        for r in self.reasons:
            sign = "+" if r.kind == "gain" else "-"
            label = r.section.replace(" ", "\u00a0")  # keep "[04 §1 CORS]" on one line
            wrapped = textwrap.wrap(f"{r.text} [{label}]", width, initial_indent=f"  {sign} ",
                                    subsequent_indent="    ")
            lines += [line.replace("\u00a0", " ") for line in wrapped]
        return "\n".join(lines)


def _reason(kind: Literal["gain", "cost"], text: str, evidence: str) -> Reason:
    link, section = EVIDENCE[evidence]
    return Reason(kind, text, link, section)


def _choose(req: Requirements) -> Choice:
    browser = req.clients & {"spa", "ssr"}
    token_clients = req.clients & {"mobile", "cli", "service", "third_party"}
    if browser and (token_clients or req.offline_verification):
        return "hybrid"
    if token_clients or req.offline_verification:
        many_parties = req.clients & {"service", "third_party"}
        return "oauth" if many_parties or req.offline_verification or req.servers > 1 else "jwt"
    if "spa" in browser and req.cross_domain:
        return "hybrid" if req.instant_revocation else "jwt"
    return "session"


def _reasons(choice: Choice, req: Requirements) -> list[Reason]:
    r: list[Reason] = []
    if choice in ("session", "hybrid"):
        r.append(_reason("gain", "the browser holds only an opaque session id: no token for a "
                         "script to steal", "bff-cookie" if choice == "hybrid" else "ssr-flow"))
        r.append(_reason("gain", "logout deletes the session: the very next request is refused",
                         "bff-logout" if choice == "hybrid" else "ssr-flow"))
        r.append(_reason("cost", "cookies ride along on cross-site requests: every form or "
                         "state-changing call needs a CSRF token", "ssr-csrf"))
        if req.servers > 1:
            r.append(_reason("cost", f"{req.servers} servers must share one session store "
                             "(Redis): a lookup on every request", "scalability"))
            if not req.team_can_run_shared_store:
                r.append(_reason("cost", "your team cannot run a shared store: use a managed "
                                 "Redis, or sticky sessions (logged out when a server restarts)",
                                 "scalability"))
            if req.instant_revocation:
                r.append(_reason("gain", "instant revocation on many servers needs shared state "
                                 "either way; a JWT denylist costs the same round trip as a "
                                 "session lookup, so sessions give it for free", "logout"))
    if choice == "session" and "spa" in req.clients:
        r.append(_reason("gain", "the SPA is served from its API's own site: the cookie just "
                         "works, with no CORS and no token in page scripts", "bff-cookie"))
    if choice == "jwt":
        r.append(_reason("gain", "any server with the key verifies a token alone: nothing to "
                         "share between servers", "scalability"))
        r.append(_reason("cost", "a token lives until it expires: keep access tokens to "
                         "minutes and rotate refresh tokens (reuse revokes the login)",
                         "spa-refresh"))
        if "spa" in req.clients:
            r.append(_reason("cost", "a Bearer token is not sent automatically (no CSRF) but page "
                             "scripts can read it: keep it in memory, never localStorage",
                             "browser-lab"))
        if req.cross_domain:
            r.append(_reason("cost", "the API must allow the page's origin, and only it (CORS)",
                             "spa-cors"))
        if req.instant_revocation:
            r.append(_reason("cost", "instant logout needs a denylist lookup on every request: "
                             "shared state again", "logout"))
    if choice in ("oauth", "hybrid"):
        r.append(_reason("gain", "services verify with public keys only: none of them can "
                         "mint a token", "oauth-public-keys"))
        r.append(_reason("gain", "one audience per service: a token for one is refused by "
                         "another", "oauth-audience"))
        r.append(_reason("cost", "keys must rotate: publish the new key before it signs, "
                         "retire the old one after the longest token lifetime",
                         "oauth-rotation"))
    if choice == "oauth" and req.instant_revocation:
        r.append(_reason("cost", "instant revocation defeats offline verification: keep "
                         "tokens short, or check a denylist (a shared lookup)", "logout"))
    if choice == "hybrid" and req.clients & {"mobile", "cli"}:
        r.append(_reason("gain", "native apps get Bearer tokens from the same issuer; browsers "
                         "get a cookie: each client the credential it handles best",
                         "oauth-audience"))
    if choice == "hybrid" and req.cross_domain:
        r.append(_reason("gain", "the BFF is served from the page's own site: no CORS, and the "
                         "cookie can be SameSite", "bff-cookie"))
    return r


def recommend(requirements: Requirements) -> Recommendation:
    """The architecture that fits, with the gains and costs that decided it."""
    choice = _choose(requirements)
    return Recommendation(choice, SUMMARIES[choice], MODULES[choice],
                          tuple(_reasons(choice, requirements)))


SEED_SCENARIOS: dict[str, Requirements] = {
    "SPA + REST API": Requirements(clients=frozenset({"spa"}), cross_domain=True),
    "SSR web app, single server": Requirements(clients=frozenset({"ssr"}), servers=1),
    "OAuth2-like token auth": Requirements(clients=frozenset({"service", "third_party"}),
                                           servers=3, offline_verification=True),
}
"""The seed's three recommendations, as requirements (seed: "어떤 걸 선택해야 할까?")."""
