"""Durable storage in one plain SQLite file, through sqlite-utils.

- ``events``: the append-only log every state is derived from. Rows are only ever inserted.
- ``tokens``: hashes of issued credentials, insert-only; a holder's newest row is the valid one.
- ``meta``: the contest file's content hash and name.

WAL mode with synchronous=FULL: ``append`` returns only after the commit is on disk, and the
server acknowledges a mark only after ``append`` returns.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator
from urllib.parse import quote

if TYPE_CHECKING:
    import sqlite_utils

SCHEMA_VERSION = 1


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def token_hash(token: str) -> str:
    # Tokens are 128+ random bits, so a plain SHA-256 is enough (no password stretching).
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# The two lookups of find_submission, each served by an index of its own (_migrate).
FIND_SUBMISSION = (
    "select seq, at, data from events where kind in ('mark', 'correction') and kind = 'mark' "
    "and json_extract(data, '$.judge') = ? and json_extract(data, '$.submission') = ? and seq <= ? order by seq limit 1"
)
COUNT_CARDS = (
    "select count(*) from events where kind in ('mark', 'correction') and json_extract(data, '$.judge') = ? "
    "and json_extract(data, '$.contestant') = ? and json_extract(data, '$.round') = ? and seq <= ?"
)


class Store:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        # One connection, used from one writer thread at a time (the server's executor).
        self.conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._db: sqlite_utils.Database | None = None
        if self.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self.conn.execute("PRAGMA journal_mode=wal")
        self.conn.execute("PRAGMA synchronous=FULL")
        self._reader: sqlite3.Connection | None = None
        self._copy: Path | None = None
        self._migrate()

    @classmethod
    def open_read_only(cls, path: str | Path) -> Store:
        """Open an existing database for reading only: no WAL switch, no migration, nothing
        created beside it, so that it works on a read-only file, directory or medium and
        leaves a file that is not a contest database as it was. Only reads work.

        Without a ``-wal`` (or ``-journal``) file beside it the database is all in its main
        file, and is opened ``immutable``: a read-only connection to a WAL database would
        otherwise create ``-wal`` and ``-shm`` files and leave them behind. (A server that
        starts meanwhile writes to a new WAL; the main file changes only when a checkpoint
        copies a thousand pages back, or at its close.) With one (a
        server is running, or was killed), committed events may still be in the WAL, so it
        is opened ``mode=ro`` to read them; where that cannot work (a read-only directory
        without the ``-shm`` file) the database and its WAL are read from a temporary copy.
        """
        self = cls.__new__(cls)
        self.path = Path(path)
        self._db = None
        self._reader = None
        self._copy = None
        wal = self.path.with_name(self.path.name + "-wal")
        pending = wal.exists() or self.path.with_name(self.path.name + "-journal").exists()
        try:
            conn = _connect_read_only(self.path, "mode=ro" if pending else "immutable=1")
        except sqlite3.OperationalError:
            if not wal.exists():
                raise
            self._copy = Path(tempfile.mkdtemp(prefix="judging-read-"))
            try:
                shutil.copyfile(self.path, self._copy / "copy.db")
                shutil.copyfile(wal, self._copy / "copy.db-wal")
                conn = _connect_read_only(self._copy / "copy.db", "mode=ro")
            except BaseException:
                shutil.rmtree(self._copy, ignore_errors=True)
                raise
        self.conn = conn
        return self

    @property
    def db(self) -> sqlite_utils.Database:
        """The database through sqlite-utils, imported when first wanted: a restart on an
        existing database (the server's path) never needs it, and importing it is a fifth of
        a restart (docs/benchmarks.md)."""
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn)
        return self._db

    def _migrate(self) -> None:
        tables = {name for (name,) in self.conn.execute("select name from sqlite_master where type = 'table'")}
        if not {"events", "tokens", "meta"} <= tables:
            self._create(tables)
        # A resend older than the checkpoint is answered from the log (find_submission), on the
        # server's event loop: one index finds the judge's submission by id, the other counts
        # their cards for a contestant (the revision), each in a fraction of a millisecond.
        # Without the second, the count read every mark in the log: 0.9 s for a million events,
        # with every judge and screen waiting. Derived from the log, so they can be built for
        # any existing database (2.3 s for a million events, once).
        self.conn.execute(
            "create index if not exists events_judge_card on events (json_extract(data, '$.judge'), "
            "json_extract(data, '$.submission')) where kind in ('mark', 'correction')"
        )
        self.conn.execute(
            "create index if not exists events_judge_item on events (json_extract(data, '$.judge'), "
            "json_extract(data, '$.contestant'), json_extract(data, '$.round')) where kind in ('mark', 'correction')"
        )

    def _create(self, tables: set[str]) -> None:
        if "events" not in tables:
            self.db["events"].create(
                {"seq": int, "at": str, "actor": str, "client": str, "kind": str, "data": str}, pk="seq"
            )
            self.db["events"].create_index(["kind"])
        if "tokens" not in tables:
            self.db["tokens"].create({"id": int, "holder": str, "role": str, "hash": str, "issued_at": str}, pk="id")
            self.db["tokens"].create_index(["holder"])
        if "meta" not in tables:
            self.db["meta"].create({"key": str, "value": str}, pk="key")
            self.db["meta"].insert({"key": "schema", "value": str(SCHEMA_VERSION)})

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
        self.conn.close()
        if self._copy is not None:
            shutil.rmtree(self._copy, ignore_errors=True)

    # -- meta ------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("select value from meta where key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("insert into meta (key, value) values (?, ?) on conflict (key) do update set value = excluded.value", (key, value))

    # -- events ----------------------------------------------------------------------------

    def append(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Append events in one transaction; returns them with their seq. Durable on return.

        An event that names its ``seq`` is written with it (the server numbers events as it
        applies them); a seq already taken fails the whole append."""
        out = []
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for e in events:
                at = e.get("at") or now()
                cur = conn.execute(
                    "insert into events (seq, at, actor, client, kind, data) values (?, ?, ?, ?, ?, ?)",
                    (e.get("seq"), at, e["actor"], e.get("client", ""), e["kind"], json.dumps(e["data"], ensure_ascii=False, sort_keys=True)),
                )
                out.append({**e, "at": at, "seq": cur.lastrowid})
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return out

    def events(self, after: int = 0) -> Iterator[dict[str, Any]]:
        rows = self.conn.execute("select seq, at, actor, client, kind, data from events where seq > ? order by seq", (after,))
        for row in rows:
            yield {"seq": row[0], "at": row[1], "actor": row[2], "client": row[3], "kind": row[4], "data": json.loads(row[5])}

    def event(self, seq: int) -> dict[str, Any] | None:
        return next(self.events(after=seq - 1), None) if seq > 0 else None

    def last_seq(self) -> int:
        return self.conn.execute("select coalesce(max(seq), 0) from events").fetchone()[0]

    def find_submission(self, judge: str, submission: str, upto: int | None = None) -> tuple[str, dict[str, Any]] | None:
        """A judge's logged mark with this submission id: (digest, the ack it was given).
        Reads through its own connection (safe beside the writer thread; sees committed
        events only)."""
        if self._reader is None:
            self._reader = sqlite3.connect(f"file:{quote(str(self.path.resolve()))}?mode=ro", uri=True, check_same_thread=False)
        row = self._reader.execute(FIND_SUBMISSION, (judge, submission, upto if upto is not None else 2**62)).fetchone()
        if row is None:
            return None
        seq, at, data = row[0], row[1], json.loads(row[2])
        # The revision: how many cards this judge had for this contestant and round by then.
        (revision,) = self._reader.execute(COUNT_CARDS, (judge, data["contestant"], data["round"], seq)).fetchone()
        return data.get("digest", ""), {"id": submission, "seq": seq, "at": at, "revision": revision}

    def count(self) -> int:
        return self.db["events"].count

    # -- tokens ----------------------------------------------------------------------------

    def issue_tokens(self, grants: list[tuple[str, str, str]]) -> None:
        """Record (holder, role, token) grants; each replaces the holder's previous token."""
        at = now()
        with self.conn:
            self.db["tokens"].insert_all(
                [{"holder": h, "role": r, "hash": token_hash(t), "issued_at": at} for h, r, t in grants]
            )

    def valid_tokens(self) -> dict[str, tuple[str, str]]:
        """token hash -> (holder, role), newest grant per holder only."""
        rows = self.conn.execute(
            "select holder, role, hash from tokens where id in (select max(id) from tokens group by holder)"
        )
        return {h: (holder, role) for holder, role, h in rows}


class InUse(Exception):
    """Another `judging serve` holds the database."""


def hold(path: str | Path, wait: float = 3.0) -> int | None:
    """Hold the database at ``path`` for one server: a second server on the same file would
    number its events after the same seq as the first and refuse its own judges' marks. Held
    (an ``flock`` on a ``.lock`` file beside the database's real path, holding the pid; so a
    link to it is the same database) until the returned descriptor is closed
    in this process and every child that inherited it; so a watchdog's server processes hold
    it with it. Waits up to ``wait`` s for a holder that is going (killed, its children still
    dying), then raises ``InUse`` naming the holder's pid. None where there is no ``flock``."""
    try:
        import fcntl
    except ImportError:  # Windows: not held
        return None
    try:
        real = Path(path).resolve()
    except RuntimeError as e:  # a loop of symbolic links (Python 3.11 raises this, not OSError)
        raise OSError(errno.ELOOP, str(e), str(path)) from None
    lock = real.with_name(real.name + ".lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                os.close(fd)
                raise InUse(holder or "?") from None  # "?": it is writing its pid just now
            time.sleep(0.05)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _connect_read_only(path: Path, flags: str) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?{flags}", uri=True, check_same_thread=False, isolation_level=None)
    try:
        conn.execute("select count(*) from sqlite_master").fetchone()  # opening is lazy: fail here, not later
    except BaseException:
        conn.close()
        raise
    return conn
