"""Turn the ISU program-component marks (components.csv) into contest files.

ISU factors differ per discipline and program, and ice dance named one component
differently across seasons, so one contest cannot hold every performance. Performances
sharing one criteria/factor set form a group; each group becomes a directory with
``contest.toml`` (the published rule: one panel of nine judges, trimmed mean dropping one
high and one low, rounded half-up to 2 decimals at criterion, product and end),
``roster.csv`` (one category per event) and ``scores.csv`` (one row per judge mark; a
blank mark is simply absent).

    python tests/golden/isu/convert.py OUT_DIR [--event "COMPETITION|PROGRAM"] [--round-at criterion,product,end]

Used by tests/test_isu_golden.py and, with --event, to write fixtures/isu/.
"""

from __future__ import annotations

import argparse
import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "components.csv"
JUDGES = tuple(f"J{i}" for i in range(1, 10))
ISU_ROUND_AT = ("criterion", "product", "end")

# Published component name -> criterion id, in the order the ISU protocols list them.
COMPONENT_IDS = {
    "Skating Skills": "SS",
    "Transitions": "TR",
    "Performance": "PE",
    "Composition": "CO",
    "Interpretation of the Music": "IN",
    "Interpretation of the Music/Timing": "IN",
    "Interpretation of the Music / Timing": "IN",
}
ORDER = ("SS", "TR", "PE", "CO", "IN")


@dataclass
class Performance:
    id: str
    competition: str
    program: str
    skater: str
    components: dict[str, str] = field(default_factory=dict)  # criterion id -> published name
    factors: dict[str, str] = field(default_factory=dict)  # criterion id -> factor
    marks: dict[str, dict[str, str]] = field(default_factory=dict)  # criterion id -> judge -> mark
    component_score: dict[str, str] = field(default_factory=dict)  # criterion id -> published score
    pcs: str = ""

    @property
    def event(self) -> tuple[str, str]:
        return (self.competition, self.program)

    @property
    def criteria_key(self) -> tuple[tuple[str, str, str], ...]:
        return tuple((cid, self.components[cid], self.factors[cid]) for cid in ORDER)


@dataclass
class Group:
    """Performances sharing one criteria/factor set: one contest."""

    name: str
    criteria: tuple[tuple[str, str, str], ...]  # (id, published name, factor)
    performances: list[Performance]
    directory: Path | None = None


def read_performances(path: Path = DATA) -> list[Performance]:
    perfs: dict[str, Performance] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            p = perfs.get(row["performance_id"])
            if p is None:
                p = perfs[row["performance_id"]] = Performance(
                    row["performance_id"], row["competition"], row["program"], row["skater"], pcs=row["official_pcs"]
                )
            cid = COMPONENT_IDS[row["component"]]
            p.components[cid] = row["component"]
            p.factors[cid] = row["factor"]
            p.marks[cid] = {j: row[j] for j in JUDGES if row[j].strip()}
            p.component_score[cid] = row["official_component_score"]
    return list(perfs.values())


def group_performances(perfs: list[Performance]) -> list[Group]:
    groups: dict[tuple, list[Performance]] = {}
    for p in perfs:
        groups.setdefault(p.criteria_key, []).append(p)
    out = []
    for i, (key, members) in enumerate(sorted(groups.items(), key=lambda kv: kv[0]), start=1):
        factor = key[0][2]
        out.append(Group(f"g{i}-factor-{factor}", key, members))
    return out


def _s(text: str) -> str:
    """A TOML basic string (JSON string syntax is valid TOML)."""
    return json.dumps(text, ensure_ascii=False)


def contest_toml(name: str, criteria, round_at=ISU_ROUND_AT, events: list[tuple[str, str]] = ()) -> str:
    lines = [
        "# ISU program components: the published rule as a contest definition.",
        "# Component score = trimmed mean of the judges' marks (drop 1 highest, 1 lowest), rounded",
        "# half-up to 2 decimals; times the factor, rounded again; the program component score (PCS)",
        "# is the sum of those rounded products.",
        "[contest]",
        f"name = {_s(name)}",
        'language = "en"',
        "precision = 2",
        'rounding = "half-up"',
        'roster = "roster.csv"',
        "",
    ]
    for i, (comp, prog) in enumerate(events, start=1):
        lines += ["[[categories]]", f'id = "e{i:02d}"', f"name = {_s(f'{comp} - {prog}')}", ""]
    lines += ["[[panels]]", 'id = "judges"', 'name = "Judges"', "weight = 1", 'rule = "trimmed"', "trim = 1", ""]
    for j in JUDGES:
        lines += ["[[judges]]", f'id = "{j}"', f'name = "Judge {j[1:]}"', 'panel = "judges"', ""]
    lines += [
        "[[rounds]]",
        'id = "pcs"',
        'name = "Program components"',
        'aggregate = "per-criterion"',
        "round_at = [" + ", ".join(_s(p) for p in round_at) + "]",
        "",
    ]
    for cid, cname, factor in criteria:
        lines += [
            "[[rounds.criteria]]",
            f'id = "{cid}"',
            f"name = {_s(cname)}",
            "min = 0",
            "max = 10",
            "step = 0.25",
            f"factor = {factor}",
            "",
        ]
    return "\n".join(lines)


def write_group(group: Group, out: Path, round_at=ISU_ROUND_AT) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    events: list[tuple[str, str]] = []
    for p in group.performances:
        if p.event not in events:
            events.append(p.event)
    category = {e: f"e{i:02d}" for i, e in enumerate(events, start=1)}
    title = "ISU program components" if len(events) > 1 else f"{events[0][0]} - {events[0][1]}"
    (out / "contest.toml").write_text(contest_toml(title, group.criteria, round_at, events), encoding="utf-8")
    with (out / "roster.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "category", "order"])
        for order, p in enumerate(group.performances, start=1):
            w.writerow([p.id, p.skater, category[p.event], order])
    with (out / "scores.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["contestant", "judge", "criterion", "score"])
        for p in group.performances:
            for j in JUDGES:
                for cid in ORDER:
                    if j in p.marks[cid]:
                        w.writerow([p.id, j, cid, p.marks[cid][j]])
    group.directory = out
    return out


def write_all(out: Path, round_at=ISU_ROUND_AT, path: Path = DATA) -> list[Group]:
    groups = group_performances(read_performances(path))
    for g in groups:
        write_group(g, out / g.name, round_at)
    return groups


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--event", help='"COMPETITION|PROGRAM": write only this event, straight into OUT')
    ap.add_argument("--round-at", default=",".join(ISU_ROUND_AT))
    args = ap.parse_args(argv)
    round_at = tuple(args.round_at.split(","))
    if args.event:
        comp, _, prog = args.event.partition("|")
        perfs = [p for p in read_performances() if p.event == (comp, prog)]
        if not perfs:
            ap.error(f"no performances for {args.event!r}")
        (group,) = group_performances(perfs)
        write_group(group, args.out, round_at)
        print(f"{args.out}: {len(perfs)} performances")
        return 0
    for g in write_all(args.out, round_at):
        print(f"{g.directory}: {len(g.performances)} performances")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
