"""``judging demo``: a whole contest day on one machine, to see everything work.

A real server on a fresh database, simulated judges scoring from their own connections, a
host driving the order of play from the control console, and the live scoreboard in the
terminal. The simulation runs in a thread with its own event loop, so the board's loop only
draws; the board follows the server over a websocket like any scoreboard in a hall.
``--headless`` prints progress lines instead of opening the board (the tests use it).

The database is kept: afterwards ``judging export`` or ``judging verify`` can read it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from typing import Any

from judging.contest_file import contest_digest_text, load_contest
from judging.rules.model import Adjustment, Contest
from judging.serve_cli import new_token

Say = Callable[[str], None]

SPEECH = Path(__file__).resolve().parent.parent / "fixtures" / "speech" / "contest.toml"


class DemoError(Exception):
    """The demo cannot run with these options (the message says why)."""


@dataclass
class Options:
    contest: Path = SPEECH
    db: Path | None = None  # None: a new file in a fresh temporary directory
    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port
    speed: float = 1.0
    seed: int = 1
    adjustments: Path | None = None  # None: adjustments.csv beside the contest file, if any


@dataclass
class Result:
    db: Path
    url: str = ""
    finished: bool = False
    revealed: int = 0  # judged results revealed
    awards: int = 0  # quiz awards made
    standings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # category -> public rows

    def progress(self) -> str:
        done = [f"{self.revealed} result(s) revealed"] if self.revealed or not self.awards else []
        return ", ".join(done + ([f"{self.awards} quiz award(s)"] if self.awards else []))


def default_db(contest_path: Path) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="judging-demo-"))
    return folder / f"{contest_path.parent.name or 'contest'}.db"


def load_adjustments(contest: Contest, options: Options) -> list[Adjustment]:
    """Deductions the score secretary will enter live (the fixtures' overtime penalties)."""
    from judging.scoresheet import SheetReport, read_adjustments

    path = options.adjustments or options.contest.parent / "adjustments.csv"
    if options.adjustments is None and not path.is_file():
        return []
    report = SheetReport()
    rows = read_adjustments(contest, path, report)
    if report.errors:
        raise DemoError("; ".join(report.errors))
    return rows


async def run_demo(options: Options, say: Say, ready: Callable[[Result], None] | None = None, linger: bool = False) -> Result:
    """Serve the contest and play it to the end; with ``linger``, keep serving afterwards
    (the board stays live) until cancelled. Everything started here is stopped here."""
    from judging.client import Client
    from judging.demo_sim import Host, Judge, Marks, Pace, standings_lines
    from judging.server import JudgingServer
    from judging.store import Store

    contest = load_contest(options.contest)
    adjustments = load_adjustments(contest, options)
    db = options.db or default_db(options.contest)
    result = Result(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    store = Store(db)
    try:
        # Replays an existing log first: a database of another contest is refused untouched.
        server = JudgingServer(contest, store, contest_digest_text(options.contest))
    except BaseException:
        store.close()
        raise
    store.set_meta("contest_path", str(options.contest.resolve()))  # as `judging serve` does: for export and verify
    judges = [j.id for j in contest.judges if not j.shadow]
    tokens = {jid: new_token() for jid in judges}
    control_token = new_token()
    store.issue_tokens([(f"judge:{j}", "judge", t) for j, t in tokens.items()] + [("control", "control", control_token)])
    clients: list[Client] = []
    tasks: list[asyncio.Task] = []
    pace = Pace(options.speed)
    try:
        port = await server.start(options.host, options.port)
        result.url = f"ws://{options.host}:{port}"
        say(f"{contest.name}: serving on {result.url} (database {db})")
        control = Client(result.url, control_token, backoff=(0.05, 1.0))
        people = {jid: Client(result.url, tokens[jid], backoff=(0.05, 1.0)) for jid in judges}
        clients = [control, *people.values()]
        await asyncio.gather(*(c.start(timeout=15) for c in clients))
        say(f"{len(people)} judges and the control console connected" if people else "the control console connected")
        if ready is not None:
            ready(result)
        marks = Marks(contest, options.seed)
        tasks = [asyncio.create_task(Judge(jid, cl, marks, pace, options.seed).run()) for jid, cl in people.items()]
        host = Host(control, contest, pace, say, adjustments, marks)
        try:
            await host.run()
        finally:
            result.revealed, result.awards = host.revealed, host.awards
            result.finished = host.finished
            result.standings = {c.id: list(control.state.get(f"standings:{c.id}") or []) for c in contest.categories}
        if result.finished:
            say("final standings:")
            for line in standings_lines(result.standings, {c.id: c.name for c in contest.categories}):
                say(line)
            say("the contest is over")
        if linger:
            await asyncio.Event().wait()  # until cancelled: the board stays live
        return result
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
        await server.close()
        store.close()


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--contest", type=Path, default=SPEECH, help="contest file (default: the bundled speech-contest final)")
    p.add_argument("--speed", type=float, default=1.0, help="2 runs twice as fast (default 1: about 4 minutes for the speech final)")
    p.add_argument("--seed", type=int, default=1, help="seed for the simulated marks and timing (default 1)")
    p.add_argument("--db", type=Path, help="database file (default: a new one in a temporary directory); an existing one is resumed")
    p.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port to serve on (default: any free port)")
    p.add_argument("--adjustments", type=Path, help="CSV of deductions to enter live (default: adjustments.csv beside the contest file)")
    p.add_argument("--headless", action="store_true", help="print progress lines instead of opening the scoreboard")
    p.add_argument("--lang", choices=("zh", "en"), help="the scoreboard's language (default: the contest's)")


def options_from(args: argparse.Namespace) -> Options:
    if not args.speed > 0:
        raise DemoError("--speed must be more than 0")
    return Options(args.contest, args.db, args.host, args.port, args.speed, args.seed, args.adjustments)


def run(args: argparse.Namespace) -> int:
    try:
        options = options_from(args)
        contest = load_contest(options.contest)
        load_adjustments(contest, options)
    except DemoError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if options.db is None:
        options.db = default_db(options.contest)
    if args.headless:
        code = run_headless(options)
    else:
        from judging.demo_board import run_board_demo

        code = run_board_demo(options, args.lang)
    if code != 2 and options.db.exists():
        print(f"demo database: {options.db}")
        print(f"  results:  judging export --db {options.db} --format html --out results.html")
        print(f"  re-check: judging verify --db {options.db}")
    return code


def printer() -> Say:
    start = time.monotonic()

    def say(line: str) -> None:
        print(f"{time.monotonic() - start:7.1f}s  {line}", flush=True)

    return say


def run_headless(options: Options) -> int:
    try:
        result = asyncio.run(run_demo(options, printer()))
    except KeyboardInterrupt:
        print("\ninterrupted: the server, the judges and the console are stopped", flush=True)
        return 130
    except DemoError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"error: cannot serve on {options.host}:{options.port}: {e.strerror or e}", file=sys.stderr)
        return 2
    except Exception as e:  # the server refused an action, a client timed out: say so, no traceback
        from judging.server import StartupError

        if isinstance(e, StartupError):  # e.g. --db holds another contest
            print(f"error: {e}", file=sys.stderr)
            return 2
        print(f"error: the demo stopped: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0 if result.finished else 1


class Background:
    """The demo in a thread with its own event loop; the caller's thread stays free for the board."""

    def __init__(self, options: Options):
        self.options = options
        self.line = ""
        self.lines: list[str] = []
        self.result: Result | None = None
        self.error: BaseException | None = None
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._thread = threading.Thread(target=self._main, name="judging-demo", daemon=True)

    def say(self, line: str) -> None:
        self.lines.append(line)
        self.line = line  # read by the board's timer: one str assignment, safe across threads

    def start(self, timeout: float = 30.0) -> Result:
        self._thread.start()
        if not self._ready.wait(timeout):
            self.stop()
            raise DemoError(f"the demo did not start within {timeout:.0f}s")
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result

    def stop(self, timeout: float = 15.0) -> None:
        if self._loop is not None and self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _main(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()

        def ready(result: Result) -> None:
            self.result = result
            self._ready.set()

        try:
            await run_demo(self.options, self.say, ready, linger=True)
        except asyncio.CancelledError:
            pass
        except Exception as e:  # shown in the board's status line and printed on exit
            self.error = e
            self.say(f"the demo stopped: {e}")
            logging.getLogger("judging.demo").debug("demo failed", exc_info=True)
        finally:
            self._ready.set()
