"""``judging judge ws://HOST:PORT``: the judge's console on a laptop.

Finds the token (``--token``, else the ``JUDGING_TOKEN`` environment variable, else a
prompt), picks where the outbox lives (the user's data directory by default, one file per
server and token so two judges sharing a laptop never mix), and runs the Textual app. Only
pathlib and platformdirs touch the file system, so it runs the same on Windows, macOS and
Linux.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import os
import sys
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("url", help="the server, e.g. ws://192.168.1.10:8765")
    p.add_argument("--token", help="your judge token (default: $JUDGING_TOKEN, else asked)")
    p.add_argument("--lang", choices=("zh", "en"), help="interface language (default: the contest's)")
    p.add_argument("--outbox", help="file for marks not yet delivered (default: in your data directory)")


def data_dir() -> Path:
    try:
        from platformdirs import user_data_path

        return user_data_path("judging", appauthor=False)
    except ImportError:  # platformdirs comes with textual, but a home directory always works
        return Path.home() / ".judging"


def default_outbox(url: str, token: str) -> Path:
    """One outbox per server and token: ``<data dir>/outbox/<hash>.json``."""
    digest = hashlib.sha256(f"{url}\n{token}".encode()).hexdigest()[:16]
    return data_dir() / "outbox" / f"{digest}.json"


def find_token(given: str | None) -> str:
    token = given or os.environ.get("JUDGING_TOKEN", "")
    if not token and sys.stdin.isatty():
        token = getpass.getpass("Judge token / 评委口令: ")
    return token.strip()


def run(args: argparse.Namespace) -> int:
    if not args.url.startswith(("ws://", "wss://")):
        print("error: the address starts with ws:// or wss://, e.g. ws://192.168.1.10:8765", file=sys.stderr)
        return 2
    token = find_token(args.token)
    if not token:
        print("error: no token: pass --token, set JUDGING_TOKEN, or run in a terminal to be asked", file=sys.stderr)
        return 2
    outbox = Path(args.outbox) if args.outbox else default_outbox(args.url, token)
    outbox.parent.mkdir(parents=True, exist_ok=True)

    from judging.client import Client
    from judging.tui.app import JudgeApp

    client = Client(args.url, token, outbox=outbox)
    app = JudgeApp(client, lang=args.lang, cache=outbox.with_name(outbox.stem + ".view.json"))
    app.run()
    left = len(client.outbox.items)
    if left:
        print(f"{left} card(s) not yet delivered are kept in {outbox}; they are sent the next time you connect.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="judging judge", description="The judge's console.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
