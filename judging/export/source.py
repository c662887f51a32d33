"""Open a contest database for export or verification: the contest file it was run with
(checked against the recorded hash), every event, and the state replayed from them.

The events are read once, in one query (one consistent snapshot even while a server is
still appending), and that same list is replayed, hashed and described.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from judging.live import LiveState
from judging.rules.model import Contest
from judging.store import Store

CONTEST_PATH_KEY = "contest_path"  # meta: the contest file's absolute path, set by `judging serve`


class ExportError(Exception):
    """Bad input (database, contest file, output path): a clear message and exit 2."""


class ReplayError(ExportError):
    """The log does not replay under its own contest file: an event was altered or is
    unknown to this version. ``judging verify`` counts this as a mismatch."""


@dataclass
class Loaded:
    db: Path
    store: Store
    contest: Contest
    contest_path: Path
    contest_hash: str
    events: list[dict[str, Any]]
    state: LiveState

    def close(self) -> None:
        self.store.close()


class _Log:
    """The part of ``Store`` that ``replay`` reads: the events, here the list already read."""

    def __init__(self, events: list[dict[str, Any]]):
        self._events = events

    def events(self) -> Iterator[dict[str, Any]]:
        return iter(self._events)


# The columns `judging serve` gives its tables: a database with tables of these names but
# other columns is someone else's, and is not read as a contest log.
COLUMNS = {"events": {"seq", "at", "actor", "client", "kind", "data"}, "meta": {"key", "value"}}


def open_store(db: str | Path) -> Store:
    """Open an existing contest database for reading only; never create one (a mistyped path
    is an error) and never write to it (it may be read-only, or someone else's database)."""
    path = Path(db)
    if not path.is_file():
        raise ExportError(f"{path}: no such database file")
    try:
        store = Store.open_read_only(path)
    except sqlite3.OperationalError as e:
        raise ExportError(f"{path}: cannot open the database ({e})") from None
    except sqlite3.DatabaseError as e:
        raise ExportError(f"{path}: not a contest database ({e})") from None
    try:
        for table, wanted in COLUMNS.items():
            have = {row[1] for row in store.db.conn.execute(f"pragma table_info({table})")}
            if not have:
                raise ExportError(f"{path}: not a contest database (no {table} table): give the --db that `judging serve` wrote")
            if not wanted <= have:
                missing = sorted(wanted - have)
                raise ExportError(
                    f"{path}: not a contest database (its {table} table has no {', '.join(missing)} "
                    f"column{'s' if len(missing) > 1 else ''}): "
                    "give the --db that `judging serve` wrote"
                )
    except sqlite3.DatabaseError as e:
        store.close()
        raise ExportError(f"{path}: not a contest database ({e})") from None
    except BaseException:
        store.close()
        raise
    return store


def load(db: str | Path, contest_override: str | Path | None = None) -> Loaded:
    """Open the database, find and check its contest file, read and replay the log."""
    from judging.contest_file import contest_digest_text, load_contest
    from judging.server import StartupError, contest_hash, replay

    store = open_store(db)
    try:
        recorded = store.get_meta("contest_hash")
        if recorded is None:
            raise ExportError(f"{db}: the database records no contest hash: it was never served by `judging serve`")
        if contest_override is not None:
            path = Path(contest_override)
        else:
            where = store.get_meta(CONTEST_PATH_KEY)
            if where is None:
                raise ExportError(
                    f"{db}: the database does not say which contest file it was run with; give it with --contest"
                )
            path = Path(where)
        if not path.is_file():
            raise ExportError(f"{path}: contest file not found (give the one the contest was run with: --contest FILE)")
        contest = load_contest(path)
        actual = contest_hash(contest_digest_text(path))
        if actual != recorded:
            raise ExportError(
                f"{path} is not the contest file this database was recorded with (its hash, with the roster, is "
                f"{actual[:12]}…, the database recorded {recorded[:12]}…): the results would not be re-derived from the "
                "rules they were scored with. Give the original file with --contest."
            )
        try:
            events = list(store.events())
        except (sqlite3.DatabaseError, ValueError, TypeError) as e:  # a damaged file; an event's data not JSON
            raise ExportError(f"{db}: the event log cannot be read ({type(e).__name__}: {e})") from None
        try:
            state = replay(contest, _Log(events), recorded, actual)  # type: ignore[arg-type]
        except StartupError as e:
            # replay() words this for a server start with an edited contest file; here the
            # file is the recorded one, so it is the log that does not fit.
            detail = str(e).split(" and ", 1)[-1].split(". Start with", 1)[0]
            raise ReplayError(f"{db}: the event log does not replay under its own contest file: {detail}") from None
        except (KeyError, TypeError, AttributeError, ValueError) as e:
            raise ReplayError(f"{db}: the event log cannot be replayed ({type(e).__name__}: {e})") from None
        return Loaded(Path(db), store, contest, path.resolve(), actual, events, state)
    except BaseException:
        store.close()
        raise
