"""Benchmark ``judging export`` and ``judging verify`` on a contest database as a live day
leaves it.

The database is built by appending, through ``judging.store.Store``, the events a server
would have logged for a fixture's scores file: per contestant open, one mark per judge's
card, lock and reveal; per points-round row a question and an award; the adjustments file as
adjustments. Every event is checked by ``LiveState`` first, as the server checks it.

    python bench/bench_export.py fixtures/teaching/contest.toml fixtures/teaching/scores.csv \
        [--adjustments fixtures/teaching/adjustments.csv] [--formats xlsx,csv,json,html] [--keep DIR]
    python bench/bench_export.py --scale 12000   # the rules benchmark's 300 contestants x 40 judges

Run by hand; not a test.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from judging.contest_file import contest_digest_text, load_contest  # noqa: E402
from judging.live import LiveState  # noqa: E402
from judging.server import contest_hash  # noqa: E402
from judging.rules.decimals import parse_decimal  # noqa: E402
from judging.store import Store, now  # noqa: E402


def build_db(contest_path: Path, scores: Path, db: Path, adjustments: Path | None = None) -> int:
    """Write the events of a live day that ends with ``scores``; returns how many."""
    contest = load_contest(contest_path)
    store = Store(db)
    store.set_meta("contest_hash", contest_hash(contest_digest_text(contest_path)))
    store.set_meta("contest_path", str(contest_path.resolve()))
    state = LiveState(contest)
    pending: list[dict] = []

    def log(actor: str, kind: str, data: dict) -> None:
        data = state.prepare(kind, actor, data)
        event = {"seq": state.seq + 1, "at": now(), "actor": actor, "kind": kind, "data": data}
        state.apply(event)  # the seq the store will give it: the database is new
        pending.append(event)

    with scores.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    cards: dict[tuple[str, str, str], dict[str, str]] = defaultdict(dict)
    awards: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    single = contest.rounds[0].id if len(contest.rounds) == 1 else None
    for row in rows:
        rid = row.get("round") or single
        rnd = contest.round(rid)
        if rnd.kind == "points":
            awards[rid].append((row["contestant"], row["criterion"], row["score"]))
        else:
            crit = row["criterion"] or rnd.criteria[0].id
            cards[(rid, row["contestant"], row["judge"])][crit] = row["score"]
    log("server", "server_started", {"epoch": "bench"})
    actor = "auto" if contest.auto_reveal else "control"
    for i, rnd in enumerate(contest.rounds):
        if i:
            log("control", "next_round", {})
        if rnd.kind == "points":
            numbers: dict[str, int] = {}
            for cid, key, points in awards[rnd.id]:
                qid, _, label = key.partition("#")
                qtype = rnd.question(qid)
                value = parse_decimal(points)
                # Live questions are numbered; a scores file may label them ("Q5-1").
                number = numbers.setdefault(key, int(label) if label.isdigit() else len(numbers) + 1000)
                data = {"type": qid, "number": number, "contestant": cid}
                if qtype.stakes:
                    data["outcome"] = "none" if value == 0 else "wrong" if value < 0 else "correct"
                    data["stake"] = f"{abs(value):f}"
                else:
                    data["outcome"] = next(o for o in ("correct", "wrong", "none") if getattr(qtype, o) == value)
                log("control", "points", data)
            continue
        for c in contest.contestants:
            if c.id not in state.tab.participants(rnd.id, c.category):
                continue
            log("control", "open", {"contestants": [c.id]})
            for (rid, cid, jid), scores in cards.items():
                if rid == rnd.id and cid == c.id:
                    log(f"judge:{jid}", "mark", {"round": rid, "contestant": cid, "judge": jid, "scores": scores})
            log("control", "lock", {"contestants": [c.id]})
            if state.tab.round_result(rnd.id, c.id).complete:
                log(actor, "reveal", {"contestants": [c.id]})
    if adjustments is not None:
        with adjustments.open(encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                log("control", "adjustment", {k: v for k, v in row.items() if v})
    for start in range(0, len(pending), 2000):
        store.append(pending[start : start + 2000])
    store.close()
    return len(pending)


def scaled_fixture(cards: int, out: Path) -> tuple[Path, Path]:
    """The teaching contest with one 40-judge panel scoring every category (no recusals),
    ``cards`` / 40 contestants, and a seeded scores file of ``cards`` cards."""
    text = (ROOT / "fixtures" / "teaching" / "contest.toml").read_text(encoding="utf-8")
    head = text.split("[[judges]]", 1)[0].replace("recuse_same_unit = true", "recuse_same_unit = false")
    head = head.split("[[recusals]]", 1)[0] + "[live]\nauto_reveal = true\n"
    judges = 40
    body = "".join(f'\n[[judges]]\nid = "J{j:02d}"\nname = "评委{j}"\npanel = "experts"\n' for j in range(1, judges + 1))
    contest = out / "contest.toml"
    contest.write_text(head + body, encoding="utf-8")
    cats = ["humanities", "science", "engineering", "medicine"]
    people = cards // judges
    with (out / "roster.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "category", "unit"])
        for i in range(people):
            w.writerow([f"T{i:03d}", f"教师{i}", cats[i % 4], f"大学{i % 30}"])
    rng = random.Random(7)
    scores = out / "scores.csv"
    with scores.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["contestant", "judge", "criterion", "score"])
        for i in range(people):
            for j in range(1, judges + 1):
                for crit, top in (("design", 20), ("classroom", 75), ("reflection", 5)):
                    value = min(top, max(0, round(rng.gauss(top * 0.8, top * 0.06) * 2) / 2))
                    w.writerow([f"T{i:03d}", f"J{j:02d}", crit, f"{value:.1f}"])
    return contest, scores


def main() -> int:
    from judging.export.cli import export
    from judging.export.verify import verify

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("contest", nargs="?", type=Path, default=ROOT / "fixtures" / "teaching" / "contest.toml")
    ap.add_argument("scores", nargs="?", type=Path, default=ROOT / "fixtures" / "teaching" / "scores.csv")
    ap.add_argument("--adjustments", type=Path)
    ap.add_argument("--scale", type=int, help="instead: a synthetic teaching contest with this many cards")
    ap.add_argument("--formats", default="xlsx,csv,json,html")
    ap.add_argument("--keep", type=Path, help="write the database and exports here")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-export-"))
    work.mkdir(parents=True, exist_ok=True)
    contest, scores = (args.contest, args.scores) if not args.scale else scaled_fixture(args.scale, work)
    db = work / "contest.db"
    for stale in work.glob("contest.db*"):
        stale.unlink()
    t = time.perf_counter()
    n = build_db(contest, scores, db, args.adjustments)
    print(f"built {db}: {n:,} events in {time.perf_counter() - t:.2f} s")
    for fmt in args.formats.split(","):
        t = time.perf_counter()
        written = export(db, fmt, str(work / f"results.{fmt}"), quiet=True)
        size = sum(p.stat().st_size for p in written)
        print(f"export {fmt:5}: {time.perf_counter() - t:6.2f} s  {size / 1e6:6.2f} MB  {', '.join(p.name for p in written)}")
    t = time.perf_counter()
    verdict = verify(db)
    print(f"verify      : {time.perf_counter() - t:6.2f} s  exit {verdict.code}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
