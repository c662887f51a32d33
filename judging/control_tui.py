"""``judging control ws://HOST:PORT --token TOKEN``: the host's and score secretary's console.

Finds the control token (``--token``, else the ``JUDGING_CONTROL_TOKEN`` environment
variable, else a prompt) and runs the Textual app in ``judging/console``. Nothing is kept on
disk: every action is sent at once and the server's log is the record.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("url", help="the server, e.g. ws://192.168.1.10:8765")
    p.add_argument("--token", help="the control token (default: $JUDGING_CONTROL_TOKEN, else asked)")
    p.add_argument("--lang", choices=("zh", "en"), help="interface language (default: the contest's)")


def find_token(given: str | None) -> str:
    token = given or os.environ.get("JUDGING_CONTROL_TOKEN", "")
    if not token and sys.stdin.isatty():
        token = getpass.getpass("Control token / 控制口令: ")
    return token.strip()


def run(args: argparse.Namespace) -> int:
    if not args.url.startswith(("ws://", "wss://")):
        print("error: the address starts with ws:// or wss://, e.g. ws://192.168.1.10:8765", file=sys.stderr)
        return 2
    token = find_token(args.token)
    if not token:
        print("error: no token: pass --token, set JUDGING_CONTROL_TOKEN, or run in a terminal to be asked", file=sys.stderr)
        return 2

    from judging.client import Client
    from judging.console.app import ControlApp

    app = ControlApp(Client(args.url, token), lang=args.lang)
    app.run()
    if app.refused:
        print("error: the server refused this control token (unknown or revoked); run `judging tokens` again", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="judging control", description="The host's console.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
