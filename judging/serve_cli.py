"""``judging serve`` and ``judging tokens``: the live server's command-line side."""

from __future__ import annotations

import asyncio
import faulthandler
import logging
import os
import secrets
import signal
import socket
import sqlite3
import time
from pathlib import Path

from judging import eventloop
from judging.contest_file import contest_digest_text, load_contest
from judging.rules.model import Contest
from judging.store import InUse, Store, hold
from judging.text import pad, width

FOLLOW_EVERY = 0.2  # seconds between two looks at the log by the watchdog's standby
UNCOVERED = 20_000  # events a standby replays at most beyond a checkpoint as it starts (~0.5 s)


def default_db(contest_path: str) -> Path:
    """One database per contest, next to the contest file."""
    path = Path(contest_path)
    return path.with_suffix(".db")


def new_token() -> str:
    """A fresh token (144 random bits). Never one that starts with "-": typed after --token,
    the command line would take it for an option."""
    while (token := secrets.token_urlsafe(18)).startswith("-"):
        pass
    return token


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
        token = new_token()
        grants.append((f"judge:{jid}", "judge", token))
        rows.append((jid, judge.name, judge.panel, token))
    if control or not judges:
        token = new_token()
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


async def serve_forever(args, loaded: tuple[Contest, str], sock: socket.socket | None, serving=None, follower=None, relay=None) -> None:
    """Serve the contest as ``loaded`` (contest, digest text) until Ctrl+C or SIGTERM; on
    ``sock`` when given (the watchdog's), else on --host and --port. ``serving()`` is called
    once it serves; ``follower`` (a standby's) holds the state and the store already, and
    ``relay`` is the link to the watchdog's relay (judging/relay_link.py)."""
    from judging.server import JudgingServer, Limits, tls_context

    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            # Ctrl+C may come twice: from the terminal and passed on by the watchdog.
            loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
        except (NotImplementedError, RuntimeError):
            pass  # Windows: Ctrl+C arrives as KeyboardInterrupt instead
    contest, digest = loaded
    db_path = _db(args)
    store = follower.store if follower is not None else Store(db_path)
    server = JudgingServer(contest, store, digest, Limits(relay=args.relay), follower=follower, relay=relay)
    server.on_failure = _end_now
    store.set_meta("contest_path", str(Path(args.contest).resolve()))  # for `judging export` and `judging verify`
    tls = tls_context(args.tls_cert, args.tls_key) if args.tls_cert and args.tls_key else None
    bound = await server.start(args.host, args.port, tls, sock)
    scheme = "wss" if tls else "ws"
    print(f"{contest.name}: serving on {scheme}://{args.host}:{bound}  (database {db_path}, epoch {server.epoch})", flush=True)
    if serving is not None:
        serving()
    try:
        await stop
    finally:
        await server.close()
        store.close()
        print("server stopped; every acknowledged mark is in", db_path, flush=True)


def _end_now() -> None:
    """The server's sequencer has stopped on a bug: this process could only accept
    connections and never answer. It ends at once, as if killed: the watchdog's standby, if
    there is one, serves in its place from the log (every acknowledged mark is in it)."""
    print("error: the server stopped answering (a bug; its log says where); this server process ends", flush=True)
    for handler in logging.getLogger().handlers:
        handler.flush()
    if hasattr(signal, "SIGKILL"):
        os.kill(os.getpid(), signal.SIGKILL)  # a signal: the watchdog restarts what is killed
    os._exit(70)


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
    from judging.relay_link import AVAILABLE as RELAY_AVAILABLE, start_shared, stop_shared

    # The relay cannot write to a TLS session, whose keys stay in the server (judging/server.py).
    args.relay = args.relay and RELAY_AVAILABLE and not args.tls_cert
    loop = args.loop or ("uvloop" if args.relay and eventloop.available("uvloop") else "asyncio")
    if not eventloop.available(loop):
        print(f"error: --loop {loop} needs the {loop} package, which is not installed here (pip install {loop})", flush=True)
        return 2
    eventloop.choose(loop)
    loaded = (load_contest(args.contest), contest_digest_text(args.contest))
    try:
        hold(_db(args))  # until this process and its server processes are gone
    except InUse as e:
        print(f"error: {_db(args)} is being served by another `judging serve` (process {e}); stop that one first, or give --db another file", flush=True)
        return 2
    except OSError as e:
        where = f" ({e.filename})" if e.filename else ""
        print(f"error: cannot use {_db(args)} as the contest's database: {e.strerror}{where}", flush=True)
        return 2
    from judging import watchdog

    if not watchdog.available():
        return _serve(args, None, loaded)

    try:
        sock = watchdog.listen(args.host, args.port, BACKLOG)
    except OSError as e:
        print(f"error: cannot listen on {args.host}:{args.port}: {e.strerror}")
        return 2
    shared = None
    if args.relay:
        # The watchdog's relay: the scoreboards it holds stay connected when a server dies.
        shared = start_shared()
    address = shared[1] if shared is not None else None
    try:
        return watchdog.supervise(lambda s, serving: _serve(args, s, loaded, serving, relay=_link(address)), sock, lambda s, told, serving: _standby(args, s, loaded, told, serving, address))
    finally:
        if shared is not None:
            stop_shared(shared[0])


def _link(address: bytes | None):
    from judging.relay_link import RelayLink

    return RelayLink(address) if address is not None else None


def _db(args) -> Path:
    return Path(args.db) if args.db else default_db(args.contest)


def _standby(args, sock: socket.socket, loaded: tuple[Contest, str], told, serving, relay: bytes | None) -> int:
    """The watchdog's standby: the state recovered and kept up with the log (every
    ``FOLLOW_EVERY`` s) until ``told`` it is to serve, then served from there (joining the
    watchdog's relay at ``relay``, if there is one)."""
    from judging.recovery import Follower, covered
    from judging.resume import SIZE, RecentChanges
    from judging.server import contest_hash

    contest, digest = loaded
    try:
        store, digest_hash = Store(_db(args)), contest_hash(digest)
        # On a long log no checkpoint covers yet (a first start), wait for the server's first
        # rather than replay it all beside it; until then a new process would take over.
        while store.last_seq() - covered(store, digest_hash) > UNCOVERED:
            time.sleep(1.0)
        follower = Follower(contest, store, digest_hash, RecentChanges(SIZE))
        while not told(FOLLOW_EVERY):
            follower.follow()
    except Exception as e:  # the server in service is unaffected; the watchdog starts no other
        print(f"warning: the standby server process stopped: {e}", flush=True)
        return 2
    return _serve(args, sock, loaded, serving, follower, _link(relay))


def _serve(args, sock: socket.socket | None, loaded: tuple[Contest, str], serving=None, follower=None, relay=None) -> int:
    from judging.server import StartupError

    if hasattr(signal, "SIGUSR1"):
        # `kill -USR1 PID` prints where each of the server's threads is, to its stderr: for a
        # server that stops answering without dying.
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    try:
        eventloop.run(serve_forever(args, loaded, sock, serving, follower, relay))
    except StartupError as e:
        print(f"error: {e}")
        return 2
    except sqlite3.DatabaseError as e:
        print(f"error: cannot use {_db(args)} as the contest's database: {e}. Give --db the file `judging serve` wrote, or a new one.")
        return 2
    except OSError as e:
        print(f"error: cannot listen on {args.host}:{args.port}: {e.strerror}")
        return 2
    return 0
