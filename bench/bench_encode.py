"""Encoding the server's frames: the standard library's json against orjson (judging/fanout.py).

    python bench/bench_encode.py DIR

DIR holds a benchmark's contest.toml and contest.db (bench_live.py leaves them in
/tmp/bench-venue-*, bench_recovery.py in /tmp/judging-bench-recovery). The state is recovered
from the log; a reveal's update, a scoreboard's snapshot and a console's snapshot are encoded
both ways, the best of five rounds each, and checked to decode to the same value.
Run by hand; not a test. Results go in docs/benchmarks.md.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import orjson

from judging import fanout, views
from judging.contest_file import contest_digest_text, load_contest
from judging.recovery import recover
from judging.resume import RecentChanges
from judging.server import contest_hash
from judging.store import Store


def best_us(encode, obj, n: int) -> float:
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(n):
            encode(obj)
        best = min(best, (time.perf_counter() - t) / n)
    return best * 1e6


def main(work: Path) -> None:
    contest = load_contest(work / "contest.toml")
    store = Store(work / "contest.db")
    state, _ = recover(contest, store, store.get_meta("contest_hash"), contest_hash(contest_digest_text(work / "contest.toml")), RecentChanges(100))
    snapshot = views.viewer_snapshot(state)
    changed = {name for name in snapshot if name.startswith("standings:")} | {"reveal", "status", "progress"}
    frames = {
        "a reveal's update": {"type": "update", "epoch": "e", "seq": state.seq, "patch": views.patch_for("viewer", state, changed)},
        "a scoreboard's snapshot": {"type": "snapshot", "epoch": "e", "seq": state.seq, "state": snapshot},
        "a console's snapshot": {"type": "snapshot", "epoch": "e", "seq": state.seq, "state": views.control_snapshot(state)},
    }
    for name, obj in frames.items():
        plain = fanout.dumps(obj).encode()
        assert json.loads(plain) == orjson.loads(fanout.encode(obj))
        n = 2000 if len(plain) < 2000 else 50
        print(f"{name}: {len(plain)} bytes; json {best_us(lambda o: fanout.dumps(o).encode(), obj, n):.1f} us, orjson {best_us(fanout.encode, obj, n):.1f} us")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
