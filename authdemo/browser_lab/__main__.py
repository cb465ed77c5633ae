"""`python -m authdemo.browser_lab`: serve the lab's three sites and print where to click.

Open the printed URLs in any browser on this machine. Stop with Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import threading

from authdemo.browser_lab.pages import (MODES, create_evil_site, create_lab_app,
                                        create_seed_lab_app)
from authdemo.server import serve
from authdemo.users import DEMO_PASSWORDS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m authdemo.browser_lab",
                                     description="serve the browser lab's pages on loopback")
    parser.add_argument("--port", type=int, default=0,
                        help="the lab pages and hardened app (default: a free port)")
    parser.add_argument("--seed-port", type=int, default=0,
                        help="the vulnerable seed port (default: a free port)")
    parser.add_argument("--evil-port", type=int, default=0,
                        help="the evil site, visited as localhost (default: a free port)")
    args = parser.parse_args(argv)

    with contextlib.ExitStack() as stack:
        lab = stack.enter_context(serve(create_lab_app(), port=args.port)).url
        seed = stack.enter_context(serve(create_seed_lab_app(), port=args.seed_port)).url
        targets = {"seed_session": f"{seed}/session/logout",
                   "hardened_session": f"{lab}/session/logout",
                   "hardened_jwt_cookie": f"{lab}/jwt/logout"}
        evil_port = stack.enter_context(serve(create_evil_site(targets),
                                              port=args.evil_port)).port
        evil = f"http://localhost:{evil_port}"

        print("authdemo browser lab (loopback only; the pages are vulnerable on purpose)")
        print(f"  demo login: alice / {DEMO_PASSWORDS['alice'][1]}")
        print("\nXSS: log in on a page, click 'Open this page with the attacker's comment',")
        print("then compare what the attacker received.")
        for mode in MODES.values():
            print(f"  {mode.title:34} {lab}/lab/{mode.name}")
        print(f"  {'what the attacker received':34} {lab}/attacker/loot")
        print("\nCSRF: log in on the victim's site, open the evil site's link, then reload the")
        print("victim's page: still logged in?")
        print(f"  {'seed port: log in here':34} {seed}/lab/")
        print(f"  {'hardened: log in here':34} {lab}/lab/httponly-session  (or httponly-jwt)")
        for name in targets:
            print(f"  {'evil site: ' + name:34} {evil}/csrf/{name}")
        print("\nCtrl-C to stop.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
