"""``judging serve`` and ``judging tokens``: the live server's command-line side."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import socket
import sqlite3
import sys
from pathlib import Path

from judging.contest_file import contest_digest_text, load_contest
from judging.rules.model import Contest
from judging.store import Store
from judging.text import pad, width


def default_db(contest_path: str) -> Path:
    """One database per contest, next to the contest file."""
    path = Path(contest_path)
    return path.with_suffix(".db")


def issue_tokens(contest_path: str, db: str | None, judges: list[str], control: bool) -> list[tuple[str, str, str, str]]:
    """Issue fresh tokens; returns rows (holder, name, panel, token). Revokes older ones."""
    contest = load_contest(contest_path)
    store = Store(db or default_db(contest_path))
    wanted = judges or [j.id for j in contest.judges]
    rows = []
    grants = []
    for jid in wanted:
        judge = contest.judge(jid)
        if judge is None:
            raise SystemExit(f"unknown judge {jid!r}")
        token = secrets.token_urlsafe(18)
        grants.append((f"judge:{jid}", "judge", token))
        rows.append((jid, judge.name, judge.panel, token))
    if control or not judges:
        token = secrets.token_urlsafe(18)
        grants.append(("control", "control", token))
        rows.append(("control", "控制台" if contest.language == "zh" else "control console", "", token))
    store.issue_tokens(grants)
    store.close()
    return rows


def format_tokens(rows: list[tuple[str, str, str, str]]) -> str:
    heads = ("judge", "name", "panel", "token")
    widths = [max(width(h), *(width(r[i]) for r in rows)) for i, h in enumerate(heads)]
    lines = ["  ".join(pad(h, widths[i]) for i, h in enumerate(heads)).rstrip()]
    lines += ["  ".join(pad(c, widths[i]) for i, c in enumerate(r)).rstrip() for r in rows]
    return "\n".join(lines)


async def serve_forever(args, loaded: tuple[Contest, str], sock: socket.socket | None) -> None:
    """Serve the contest as ``loaded`` (contest, digest text) until Ctrl+C or SIGTERM; on
    ``sock`` when given (the watchdog's), else on --host and --port."""
    from judging.server import JudgingServer, tls_context

    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            # Ctrl+C may come twice: from the terminal and passed on by the watchdog.
            loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
        except (NotImplementedError, RuntimeError):
            pass  # Windows: Ctrl+C arrives as KeyboardInterrupt instead
    contest, digest = loaded
    db_path = Path(args.db) if args.db else default_db(args.contest)
    store = Store(db_path)
    server = JudgingServer(contest, store, digest)
    store.set_meta("contest_path", str(Path(args.contest).resolve()))  # for `judging export` and `judging verify`
    tls = tls_context(args.tls_cert, args.tls_key) if args.tls_cert and args.tls_key else None
    bound = await server.start(args.host, args.port, tls, sock)
    scheme = "wss" if tls else "ws"
    print(f"{contest.name}: serving on {scheme}://{args.host}:{bound}  (database {db_path}, epoch {server.epoch})", flush=True)
    try:
        await stop
    finally:
        await server.close()
        store.close()
        print("server stopped; every acknowledged mark is in", db_path, flush=True)


def run_server(args) -> int:
    # Imported before the watchdog forks: a restarted server process has its code at hand.
    from judging.server import BACKLOG

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    # websockets logs each connection's opening and closing: two thousand lines on the
    # operator's screen when a hall reconnects after a restart. Its warnings still show.
    logging.getLogger("websockets").setLevel(logging.WARNING)
    if bool(args.tls_cert) != bool(args.tls_key):
        print("error: --tls-cert and --tls-key go together", flush=True)
        return 2
    loaded = (load_contest(args.contest), contest_digest_text(args.contest))
    if not (sys.platform.startswith("linux") and hasattr(os, "fork")):
        return _serve(args, None, loaded)
    from judging import watchdog

    try:
        sock = watchdog.listen(args.host, args.port, BACKLOG)
    except OSError as e:
        print(f"error: cannot listen on {args.host}:{args.port}: {e.strerror}")
        return 2
    return watchdog.supervise(lambda s: _serve(args, s, loaded), sock)


def _serve(args, sock: socket.socket | None, loaded: tuple[Contest, str]) -> int:
    from judging.server import StartupError

    try:
        asyncio.run(serve_forever(args, loaded, sock))
    except StartupError as e:
        print(f"error: {e}")
        return 2
    except sqlite3.DatabaseError as e:
        db = args.db or default_db(args.contest)
        print(f"error: cannot use {db} as the contest's database: {e}. Give --db the file `judging serve` wrote, or a new one.")
        return 2
    except OSError as e:
        print(f"error: cannot listen on {args.host}:{args.port}: {e.strerror}")
        return 2
    return 0
