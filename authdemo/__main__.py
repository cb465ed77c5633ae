"""`python -m authdemo serve`: run the hardened app (or the vulnerable seed port) for real."""

from __future__ import annotations

import argparse
import sys

import uvicorn

from authdemo.users import DEMO_PASSWORDS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m authdemo",
                                     description="authdemo: JWT vs server-side sessions")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run an app on a real HTTP port")
    serve.add_argument("--app", choices=["hardened", "vulnerable-seed"], default="hardened",
                       help="which app (default: hardened; the seed port is insecure on purpose)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1,
                       help="uvicorn worker processes (share state only through a real Redis)")
    args = parser.parse_args(argv)

    base = f"http://{args.host}:{args.port}"
    if args.app == "hardened":
        print("authdemo hardened app. Demo users (username / password):")
        for name, (role, password) in DEMO_PASSWORDS.items():
            print(f"  {name:6} {password:24} role={role}")
        print("Try:")
        print(f"  curl -s {base}/jwt/login -H 'content-type: application/json' "
              "-d '{\"username\":\"alice\",\"password\":\"alice-wonderland-2026\"}'")
        print(f"  curl -s {base}/jwt/me -H 'Authorization: Bearer <access_token>'")
        print(f"  curl -s -c jar.txt {base}/session/login -H 'content-type: application/json' "
              "-d '{\"username\":\"alice\",\"password\":\"alice-wonderland-2026\"}'")
        print(f"  curl -s -b jar.txt {base}/session/me")
        target = "authdemo.cli_apps:hardened"
    else:
        print("VULNERABLE seed port: for attacking in a lab, never for real use.")
        print(f"  curl -s {base}/jwt/login -H 'content-type: application/json' "
              "-d '{\"username\":\"anyone\"}'")
        print(f"  curl -s {base}/jwt/protected -H 'Authorization: <token>'")
        target = "authdemo.cli_apps:vulnerable_seed"
    sys.stdout.flush()
    uvicorn.run(target, factory=True, host=args.host, port=args.port, workers=args.workers,
                log_level="info", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
