"""Rebuilding the live state at start: the event log replayed, from a checkpoint if one fits.

The log is the source of truth. A checkpoint is a cache of the state as it was after event
``seq``, in a file next to the database (``contest.db.checkpoint``), so that a restart replays
only the events after it instead of every one. It is used only if everything it was made
from still holds: the same checkpoint format, the same code (a digest of the package's
source), the same contest file, and the same event at ``seq`` in the log. Otherwise, or if
it cannot be read, the whole log is replayed, as if it did not exist. Deleting it is always
safe.

The state is stored without its map of submission ids (one entry per mark ever made, the
largest part by far): a resend older than the checkpoint is looked up in the log instead
(``Store.find_submission``).
"""

from __future__ import annotations

import functools
import gc
import hashlib
import logging
import os
import pickle
from collections import deque
from collections.abc import Iterable
from pathlib import Path

from judging.live import LiveState
from judging.rules.errors import MarkError
from judging.rules.model import Contest
from judging.store import Store

log = logging.getLogger("judging.recovery")

FORMAT = 2  # 2: the body holds the recent events' changed sections too
PACKAGE = Path(__file__).resolve().parent


class StartupError(Exception):
    """The server cannot start with this contest file and database."""


# The modules whose objects a checkpoint holds (the state, its tabulators, the contest model).
STATE_CODE = ("live.py", "quiz.py", "recovery.py", "rules/*.py")


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """A change to the code of what a checkpoint holds invalidates checkpoints made before."""
    h = hashlib.sha256()
    for path in sorted(p for pattern in STATE_CODE for p in PACKAGE.glob(pattern)):
        h.update(str(path.relative_to(PACKAGE)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def checkpoint_path(store: Store) -> Path:
    return store.path.with_name(store.path.name + ".checkpoint")


def replay(
    contest: Contest, store: Store, recorded_hash: str | None, new_hash: str, state: LiveState | None = None, recent: deque | None = None
) -> LiveState:
    """Rebuild the state from the log (after ``state.seq``, when a state is given). With a
    changed contest file every event is checked again, and the first one that no longer
    fits refuses the start. ``recent`` collects (seq, sections changed) of the events replayed,
    as far as it holds them: clients that held the state at one of those seqs can resume."""
    events = store.events() if state is None else store.events(after=state.seq)
    state = state or LiveState(contest)
    changed = recorded_hash is not None and recorded_hash != new_hash
    gc.disable()  # a replay makes millions of objects and frees none: no point looking for cycles
    try:
        for event in events:
            try:
                if changed:
                    state.check(event["kind"], event["actor"], event["data"])
                sections = state.apply(event)
                if recent is not None:
                    recent.append((event["seq"], sections))
            except (MarkError, KeyError, TypeError) as e:
                what = f"event #{event['seq']} ({event['kind']} by {event['actor']} at {event['at']})"
                reason = e.message if isinstance(e, MarkError) else f"missing {e}"
                raise StartupError(
                    f"the contest file differs from the one this database was recorded with, and {what} "
                    f"no longer fits it: {reason}. Start with the original contest file, or use a new --db."
                ) from None
    finally:
        gc.enable()
    return state


def _stamp(store: Store, seq: int) -> str:
    """What identifies the log up to ``seq``: that event, as stored."""
    event = store.event(seq)
    return "" if event is None else hashlib.sha256(repr(sorted(event.items())).encode()).hexdigest()


def save(path: Path, state: LiveState, contest_hash: str, stamp: str, recent: Iterable[tuple[int, set[str]]] = ()) -> None:
    """Write a checkpoint of ``state`` (atomically: a reader sees the old file or the new),
    with what the recent events changed (so that clients can resume across a restart)."""
    header = {"format": FORMAT, "code": code_digest(), "contest": contest_hash, "seq": state.seq, "stamp": stamp}
    submissions, state.submissions = state.submissions, {}
    try:
        body = pickle.dumps((state, list(recent)), protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        state.submissions = submissions
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        pickle.dump(header, f, protocol=pickle.HIGHEST_PROTOCOL)
        f.write(hashlib.sha256(body).digest())
        f.write(body)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load(path: Path, store: Store, contest_hash: str, recent: deque | None = None) -> LiveState | None:
    """The checkpointed state, or None if there is none that fits this log, code and contest
    (``recent`` receives what the events before it changed, as far as the checkpoint kept)."""
    try:
        with open(path, "rb") as f:
            header = pickle.load(f)
            check = f.read(32)
            body = f.read()
    except FileNotFoundError:
        return None
    except Exception as e:  # unreadable: replay instead
        log.warning("checkpoint %s unreadable (%s); replaying the whole log", path, e)
        return None
    if not _fits(header, store, contest_hash) or hashlib.sha256(body).digest() != check:
        return None
    gc.disable()
    try:
        state, changes = pickle.loads(body)
    except Exception as e:
        log.warning("checkpoint %s unreadable (%s); replaying the whole log", path, e)
        return None
    finally:
        gc.enable()
    if not isinstance(state, LiveState):
        return None
    if recent is not None:
        recent.extend(changes)
    return state


def _fits(header: object, store: Store, contest_hash: str) -> bool:
    """Was a checkpoint with this header made by this code, for this contest and this log?"""
    if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("code") != code_digest():
        return False
    # The event it was made after must be the one in the log (else: another log).
    return header.get("contest") == contest_hash and header.get("stamp") == _stamp(store, header.get("seq", -1))


def covered(store: Store, contest_hash: str) -> int:
    """The seq up to which the checkpoint covers this log (0 if none fits); reads its header only."""
    try:
        with open(checkpoint_path(store), "rb") as f:
            header = pickle.load(f)
    except Exception:  # none, or unreadable: covers nothing
        return 0
    return header["seq"] if _fits(header, store, contest_hash) else 0


def recover(
    contest: Contest, store: Store, recorded_hash: str | None, new_hash: str, recent: deque | None = None
) -> tuple[LiveState, int]:
    """The state after every logged event; also how many events were replayed (``recent``:
    see ``replay``)."""
    state = None
    if recorded_hash is None or recorded_hash == new_hash:
        state = load(checkpoint_path(store), store, new_hash, recent)
    start = state.seq if state is not None else 0
    state = replay(contest, store, recorded_hash, new_hash, state, recent)
    return state, state.seq - start


class Follower:
    """The state kept up with a log that another process writes: the watchdog's standby
    (judging/watchdog.py) holds one, so that taking over from a server process that died
    costs only the events logged since its last look, not a checkpoint's load."""

    def __init__(self, contest: Contest, store: Store, contest_hash: str, recent: deque):
        self.contest, self.store, self.hash, self.recent = contest, store, contest_hash, recent
        # As a server starting now would (the server running has recorded its contest hash).
        self.state, self.replayed = recover(contest, store, store.get_meta("contest_hash"), contest_hash, recent)

    def follow(self) -> None:
        """Apply what has been logged since (committed transactions only: WAL readers)."""
        before = self.state.seq
        self.state = replay(self.contest, self.store, self.hash, self.hash, self.state, self.recent)
        self.replayed += self.state.seq - before


def write_checkpoint(store: Store, state: LiveState, contest_hash: str, recent: Iterable[tuple[int, set[str]]] = ()) -> None:
    save(checkpoint_path(store), state, contest_hash, _stamp(store, state.seq), recent)


def stamp(store: Store, seq: int) -> str:
    return _stamp(store, seq)


def checkpoint_in_child(store: Store, state: LiveState, contest_hash: str, stamp: str, recent: Iterable[tuple[int, set[str]]] = ()) -> int | None:
    """Write a checkpoint from a forked copy of the process, so that serving does not pause
    while the state is pickled (``stamp``: read by the caller, as the child must not touch
    the parent's database connection). Returns the child's pid (None where there is no
    fork: the caller writes one at shutdown instead)."""
    if not hasattr(os, "fork"):
        return None
    code_digest()  # computed once, in the parent
    pid = os.fork()
    if pid == 0:  # the child: pickle, write, and leave without running any of the parent's cleanup
        code = 1
        try:
            # Let go of the parent's sockets and files at once, so that a port is free again
            # the moment the parent dies (a restart must be able to listen on it).
            os.closerange(3, os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 4096)
            save(checkpoint_path(store), state, contest_hash, stamp, recent)
            code = 0
        finally:
            os._exit(code)
    return pid


def reap(pid: int | None) -> int | None:
    """None once the checkpoint child has finished (else its pid, still running)."""
    if pid is None:
        return None
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None
    return None if done else pid
