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
import re
from pathlib import Path
from typing import Any, Iterable

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


def _table(store: Store) -> None:
    if "exports" not in store.db.table_names():
        store.db["exports"].create(
            {"id": int, "at": str, "format": str, "path": str, "digest": str, "events": int, "last_seq": int, "contest_hash": str},
            pk="id",
        )


def record_export(store: Store, fmt: str, paths: list[Path], digest: str, events: int, last_seq: int, contest_hash: str) -> None:
    _table(store)
    with store.db.conn:
        store.db["exports"].insert(
            {
                "at": now(),
                "format": fmt,
                "path": "; ".join(str(p.resolve()) for p in paths),
                "digest": digest,
                "events": events,
                "last_seq": last_seq,
                "contest_hash": contest_hash,
            }
        )


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
