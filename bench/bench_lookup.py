"""A resend older than the server's checkpoint is answered from the log (Store.find_submission),
on the server's event loop. This times that lookup on a large log, with the database's indexes
as `judging serve` makes them, and without the card index (events_judge_item), as before it:

    python bench/bench_lookup.py [--db /tmp/judging-bench-recovery/contest.db] [--found 200]

The database is copied first (the one given is left as it is). Run by hand, not a test.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import machine, summary  # noqa: E402

from judging.store import Store  # noqa: E402


def timed(store: Store, keys: list[tuple[str, str]]) -> list[float]:
    out = []
    for judge, submission in keys:
        t = time.perf_counter()
        store.find_submission(judge, submission)
        out.append((time.perf_counter() - t) * 1000)
    return out


def show(name: str, ms: list[float]) -> None:
    median, p99 = summary(ms)
    print(f"  {name:34s} median {median:9.3f} ms  p99 {p99:9.3f} ms  max {max(ms):9.3f} ms  (n={len(ms)})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="/tmp/judging-bench-recovery/contest.db", help="a contest database with a long log (bench_recovery.py makes one)")
    ap.add_argument("--found", type=int, default=200, help="lookups of submissions in the log (with the index)")
    ap.add_argument("--before", type=int, default=10, help="the same without the card index (each reads every mark)")
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    print(machine())
    work = Path(tempfile.mkdtemp(prefix="bench-lookup-"))
    try:
        db = work / "copy.db"
        src = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
        dst = sqlite3.connect(db)
        src.backup(dst)  # the log with what its WAL holds, as one file
        src.close()
        dst.close()
        t = time.perf_counter()
        store = Store(db)  # as `judging serve` opens it: builds a missing index
        print(f"opened (indexes built where missing) in {time.perf_counter() - t:.2f} s")
        events = store.last_seq()
        marks = store.conn.execute("select json_extract(data, '$.judge'), json_extract(data, '$.submission') from events where kind = 'mark'").fetchall()
        print(f"log: {events:,} events, {len(marks):,} marks")
        rng = random.Random(args.seed)
        found = rng.sample(marks, args.found)
        missing = [(j, f"not-logged-{i}") for i, (j, _) in enumerate(rng.sample(marks, args.found))]
        show("found (revision counted)", timed(store, found))
        show("not in the log", timed(store, missing))
        store.close()
        conn = sqlite3.connect(db)
        conn.execute("drop index events_judge_item")
        conn.close()
        store = Store.__new__(Store)  # the same lookups, without the card index
        store.path, store._reader = db, None
        show("found, without the card index", timed(store, found[: args.before]))
        store._reader.close()  # type: ignore[union-attr]
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
