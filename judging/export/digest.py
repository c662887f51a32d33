"""The results digest, and the record of every export.

The digest is SHA-256 over the contest file's hash and then every event of the log, each as
canonical JSON ``[seq, kind, actor, data]`` on its own line (keys sorted, no spaces, UTF-8).
Changing, adding, removing or reordering any event, or running under another contest file,
changes it. Event times and client ids are not part of it: they describe the event, they do
not decide any result.

It is written ``sha256:<64 hex digits>`` in every exported document, so that it can be found
again in any of them. Each export is recorded in the database's ``exports`` table (insert
only), which ``judging verify`` compares with.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import quote

from judging.store import Store, now

PREFIX = "sha256:"
FOUND = re.compile(r"sha256:([0-9a-f]{64})")
VERSION = b"judging results digest 1\n"


def _line(event: dict[str, Any]) -> bytes:
    item = [event["seq"], event["kind"], event["actor"], event["data"]]
    return json.dumps(item, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def _start(contest_hash: str) -> Any:
    h = hashlib.sha256(VERSION)
    h.update(contest_hash.encode("ascii") + b"\n")
    return h


def results_digest(events: Iterable[dict[str, Any]], contest_hash: str) -> str:
    h = _start(contest_hash)
    for event in events:
        h.update(_line(event))
    return PREFIX + h.hexdigest()


def prefix_digests(events: Iterable[dict[str, Any]], contest_hash: str) -> dict[str, int]:
    """The digest of every leading part of the log -> the seq it ends at (0: no events), so
    that an export made before more events were logged is recognised as such."""
    h = _start(contest_hash)
    out = {PREFIX + h.hexdigest(): 0}
    for event in events:
        h.update(_line(event))
        out[PREFIX + h.copy().hexdigest()] = event["seq"]
    return out


# -- the record of exports ----------------------------------------------------------------


class NotRecorded(Exception):
    """The export was written but could not be recorded in the database (say why)."""


def read_only(db: Path) -> bool:
    """A database whose file or directory has no write permission is not written, even by a
    user the permissions do not stop (root): it was made read-only on purpose."""
    for p in (db, db.parent):
        if not p.stat().st_mode & 0o222 or not os.access(p, os.W_OK):
            return True
    return False


def record_export(db: Path, fmt: str, paths: list[Path], digest: str, events: int, last_seq: int, contest_hash: str) -> None:
    """Add a row to the database's ``exports`` table, through a connection of its own: the
    export reads the database through a read-only one. Raises NotRecorded when the database
    cannot be written."""
    if read_only(db):
        raise NotRecorded("the database is read-only")
    try:
        conn = sqlite3.connect(f"file:{quote(str(db.resolve()))}?mode=rw", uri=True, timeout=10, isolation_level=None)
        try:
            conn.execute(
                "create table if not exists exports (id integer primary key, at text, format text, path text, "
                "digest text, events integer, last_seq integer, contest_hash text)"
            )
            conn.execute(
                "insert into exports (at, format, path, digest, events, last_seq, contest_hash) values (?, ?, ?, ?, ?, ?, ?)",
                (now(), fmt, "; ".join(str(p.resolve()) for p in paths), digest, events, last_seq, contest_hash),
            )
        finally:
            conn.close()
    except sqlite3.Error as e:  # read-only medium, a server holding the write lock for 10 s
        raise NotRecorded(str(e)) from None


def exports(store: Store) -> list[dict[str, Any]]:
    """Every recorded export, oldest first."""
    if "exports" not in store.db.table_names():
        return []
    return list(store.db.query("select * from exports order by id"))


def digest_in_file(path: Path) -> str | None:
    """The results digest an exported document carries (any of the four formats)."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True)
        except Exception as e:  # openpyxl raises many types for a damaged file
            raise ValueError(f"cannot read the workbook: {e}") from None
        try:
            for sheet in book.worksheets:
                for row in sheet.iter_rows(min_row=1, max_row=3, values_only=True):
                    for value in row:
                        m = FOUND.search(str(value)) if value is not None else None
                        if m:
                            return PREFIX + m.group(1)
        finally:
            book.close()
        return None
    try:
        with path.open(encoding="utf-8-sig", errors="replace") as f:
            head = f.read(64 * 1024)  # every format puts it at the top
    except OSError as e:
        raise ValueError(f"cannot read the file: {e.strerror}") from None
    m = FOUND.search(head)
    return PREFIX + m.group(1) if m else None
