"""Benchmark the rules engine on the teaching competition (青教赛) at scale.

300 contestants in four categories, 40 judges on one trimmed panel, three criteria
(teaching design 20, classroom teaching 75, reflection 5), single-item awards and prize
tiers by share. Generated in memory with a fixed seed; marks arrive as strings, as they do
from a scores file or the wire.

- full: a fresh tabulator fed every card (12,000 cards, 36,000 marks) plus every
  category's standings, on the same contest each time (what the contest keeps between
  tabulations, such as marks already checked, stays);
- full, fresh contest: the same, each time on a contest just built (the first tabulation a
  `judging tabulate` run does); building it is not timed;
- incremental: one judge's card set again for one contestant plus that category's
  standings, on a tabulator whose standings are all cached.

    python bench/bench_tabulate.py [--runs 30] [--fresh 10] [--updates 2000] [--profile full|incremental]

Run by hand; not a test. Results go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import platform
import pstats
import random
import statistics
import time
from decimal import Decimal

from judging.rules.build import build_contest
from judging.rules.engine import tabulate

CATEGORIES = [("humanities", "文科"), ("science", "理科"), ("engineering", "工科"), ("medicine", "医科")]
CRITERIA = [("design", "教学设计", 20), ("classroom", "课堂教学", 75), ("reflection", "教学反思", 5)]


def teaching_contest(contestants: int = 300, judges: int = 40):
    data = {
        "contest": {"name": "青年教师教学基本功比赛（基准）", "precision": 2, "rounding": "half-up"},
        "categories": [{"id": cid, "name": name} for cid, name in CATEGORIES],
        "panels": [{"id": "judges", "name": "评委", "weight": Decimal(1), "rule": "trimmed", "trim": 1}],
        "judges": [{"id": f"J{j:02d}", "name": f"评委{j}", "panel": "judges"} for j in range(1, judges + 1)],
        "rounds": [
            {
                "id": "final",
                "name": "决赛",
                "round_at": ["end"],
                "criteria": [
                    {"id": cid, "name": name, "min": 0, "max": top, "step": Decimal("0.1")}
                    for cid, name, top in CRITERIA
                ],
            }
        ],
        "contestants": [
            {
                "id": f"T{i:03d}",
                "name": f"教师{i}",
                "category": CATEGORIES[i % len(CATEGORIES)][0],
                "unit": f"大学{i % 30}",
                "order": i,
            }
            for i in range(1, contestants + 1)
        ],
        "ranking": {"tie_break": ["criterion:classroom"]},
        "awards": {
            "tiers": [
                {"name": "一等奖", "share": Decimal("0.15")},
                {"name": "二等奖", "share": Decimal("0.30")},
                {"name": "三等奖", "share": Decimal("0.40")},
            ],
            "single": [
                {"name": "最佳教学设计奖", "criterion": "design"},
                {"name": "最佳课堂教学奖", "criterion": "classroom"},
                {"name": "最佳教学反思奖", "criterion": "reflection"},
            ],
        },
    }
    return build_contest(data)


def random_card(rng: random.Random) -> dict[str, str]:
    return {cid: f"{rng.randint(int(top * 5), top * 10) / 10:.1f}" for cid, _, top in CRITERIA}


def all_cards(contest, rng: random.Random) -> list:
    rid = contest.rounds[0].id
    return [(rid, c.id, j.id, random_card(rng)) for c in contest.contestants for j in contest.judges]


def full(contest, cards):
    tab = tabulate(contest, cards)
    tab.all_standings()
    return tab


def stats(ms: list[float]) -> str:
    ordered = sorted(ms)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered):.3f} ms, p99 {p99:.3f} ms, min {ordered[0]:.3f} ms (n={len(ordered)})"


def machine() -> str:
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), model)
    except OSError:
        pass
    return f"nproc {os.cpu_count()}, CPU {model}, Python {platform.python_version()} ({platform.python_implementation()})"


def load() -> str:
    """The machine's load average: timings taken beside other work are slower and noisier."""
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "load average unknown"
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=30, help="full tabulations timed")
    ap.add_argument("--fresh", type=int, default=10, help="full tabulations timed, each on a contest just built")
    ap.add_argument("--updates", type=int, default=2000, help="incremental updates timed")
    ap.add_argument("--profile", choices=("full", "incremental"), help="print a cProfile of one phase instead")
    ap.add_argument("--digest", action="store_true", help="print SHA-256s of the results, to compare engine versions")
    args = ap.parse_args()

    rng = random.Random(2025)
    contest = teaching_contest()
    cards = all_cards(contest, rng)
    print(machine())
    print(load())
    print(f"{len(contest.contestants)} contestants x {len(contest.judges)} judges x {len(CRITERIA)} criteria: "
          f"{len(cards)} cards, {len(cards) * len(CRITERIA)} marks")

    if args.digest:
        import hashlib
        import json

        from judging.report import standings_data

        tab = full(contest, cards)
        rid = contest.rounds[0].id
        for c, jid, card in [(rng.choice(contest.contestants), rng.choice(contest.judges).id, random_card(rng)) for _ in range(50)]:
            tab.set_card(rid, c.id, jid, card)
            tab.standings(c.category)
        text = json.dumps(standings_data(tab), ensure_ascii=False, sort_keys=True)
        print(f"results sha256 {hashlib.sha256(text.encode()).hexdigest()}")
        # Every result object as the engine returns it, judge lines included: the JSON above
        # leaves out the per-judge breakdown.
        text = repr((tab.all_standings(), tab.unit_results()))
        print(f"objects sha256 {hashlib.sha256(text.encode()).hexdigest()}")
        return

    if args.profile == "full":
        prof = cProfile.Profile()
        prof.runcall(full, contest, cards)
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        return

    full(contest, cards)  # warm-up
    times = []
    for _ in range(args.runs):
        gc.collect()
        t0 = time.perf_counter()
        full(contest, cards)
        times.append((time.perf_counter() - t0) * 1000)
    print(f"full tabulation:    {stats(times)}")
    times = []
    for _ in range(args.fresh):
        fresh = teaching_contest()
        gc.collect()
        t0 = time.perf_counter()
        full(fresh, cards)
        times.append((time.perf_counter() - t0) * 1000)
    if times:
        print(f"full, fresh contest: {stats(times)}")

    tab = full(contest, cards)
    rid = contest.rounds[0].id
    updates = [
        (rng.choice(contest.contestants), rng.choice(contest.judges).id, random_card(rng)) for _ in range(args.updates)
    ]
    if args.profile == "incremental":
        def go():
            for c, jid, card in updates:
                tab.set_card(rid, c.id, jid, card)
                tab.standings(c.category)
        prof = cProfile.Profile()
        prof.runcall(go)
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        return
    times = []
    gc.collect()
    for c, jid, card in updates:
        t0 = time.perf_counter()
        tab.set_card(rid, c.id, jid, card)
        tab.standings(c.category)
        times.append((time.perf_counter() - t0) * 1000)
    print(f"incremental update: {stats(times)}")
    print(load())


if __name__ == "__main__":
    main()
