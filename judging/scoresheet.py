"""Read paper-ballot score sheets and adjustment sheets (CSV) into a tabulator.

Every bad row gets one line naming its file and row; nothing is silently dropped. The
rows of a contest with several rounds are applied round by round, so that who advanced
is known before the next round's marks are checked.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from judging.rules.decimals import parse_decimal
from judging.rules.engine import Tabulator
from judging.rules.errors import MarkError
from judging.rules.model import Adjustment, Contest
from judging.rules.analytics import missing_marks  # noqa: F401  (pure, so it lives in the rules; imported from here too)

SCORE_COLUMNS = ("contestant", "judge", "criterion", "score")
ADJUSTMENT_COLUMNS = ("contestant", "points", "reason")


@dataclass
class SheetReport:
    errors: list[str] = field(default_factory=list)
    rows: int = 0


def _rows(path: Path, required: tuple[str, ...], report: SheetReport) -> list[tuple[int, dict[str, str]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
    except OSError as e:
        report.errors.append(f"{path}: cannot read the file: {e.strerror}")
        return []
    except UnicodeDecodeError:
        report.errors.append(f"{path}: not UTF-8 text (save it as CSV UTF-8)")
        return []
    if not rows:
        report.errors.append(f"{path}:1: the file is empty; expected the columns {','.join(required)}")
        return []
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in required if c not in header]
    if missing:
        report.errors.append(f"{path}:1: missing column(s) {', '.join(missing)}; found {','.join(header)}")
        return []
    out = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            report.errors.append(f"{path}:{number}: {len(row)} cells but only {len(header)} columns")
            continue
        out.append((number, {k: (row[i].strip() if i < len(row) else "") for i, k in enumerate(header)}))
    return out


def read_adjustments(contest: Contest, path: Path, report: SheetReport) -> list[Adjustment]:
    out = []
    for number, row in _rows(path, ADJUSTMENT_COLUMNS, report):
        try:
            points = parse_decimal(row["points"])
        except ValueError as e:
            report.errors.append(f"{path}:{number}: points: {e}")
            continue
        adj = Adjustment(row["contestant"], points, row["reason"], row.get("round", ""))
        problem = None
        if contest.contestant(adj.contestant) is None:
            problem = f"unknown contestant {adj.contestant!r}"
        elif adj.round and contest.round(adj.round) is None:
            problem = f"unknown round {adj.round!r}"
        elif not adj.reason:
            problem = "an adjustment needs a written reason"
        if problem:
            report.errors.append(f"{path}:{number}: {problem}")
        else:
            out.append(adj)
    return out


def load_scores(tab: Tabulator, path: Path, report: SheetReport) -> None:
    """Apply a scores CSV (contestant,judge,criterion,score[,round]) to a tabulator."""
    contest = tab.contest
    # With several rounds every row names its round: a missing column is one error, not one per row.
    rows = _rows(path, SCORE_COLUMNS + (("round",) if len(contest.rounds) > 1 else ()), report)
    single = contest.rounds[0].id if len(contest.rounds) == 1 else None
    by_round: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for number, row in rows:
        rid = row.get("round", "") or single
        if rid is None:
            report.errors.append(f"{path}:{number}: round is required: this contest has several rounds")
        elif contest.round(rid) is None:
            report.errors.append(f"{path}:{number}: unknown round {rid!r}")
        else:
            by_round.setdefault(rid, []).append((number, row))
    seen: dict[tuple[str, str, str, str], int] = {}
    for rnd in contest.rounds:
        for number, row in by_round.get(rnd.id, ()):
            report.rows += 1
            cid, jid, crit, score = row["contestant"], row["judge"], row["criterion"], row["score"]
            if rnd.kind == "points":
                question, _, label = crit.partition("#")
                key = crit if label else f"{question}@{number}"
                ident = (rnd.id, cid, "", key)
            else:
                if not crit and len(rnd.criteria) == 1:
                    crit = rnd.criteria[0].id
                ident = (rnd.id, cid, jid, crit)
            if ident in seen:
                report.errors.append(f"{path}:{number}: duplicate of row {seen[ident]} ({_describe(ident)})")
                continue
            seen[ident] = number
            try:
                if rnd.kind == "points":
                    tab.set_points(rnd.id, cid, key, question, score)
                else:
                    tab.set_score(rnd.id, cid, jid, crit, score)
            except MarkError as e:
                report.errors.append(f"{path}:{number}: {e.message}")


def _describe(ident: tuple[str, str, str, str]) -> str:
    rid, cid, jid, crit = ident
    parts = [f"round {rid}", f"contestant {cid}"] + ([f"judge {jid}"] if jid else []) + [f"item {crit}"]
    return ", ".join(parts)


def tabulate_files(contest: Contest, scores: Path, adjustments: Path | None = None) -> tuple[Tabulator, SheetReport]:
    report = SheetReport()
    adjs = list(contest.adjustments)
    if adjustments is not None:
        adjs += read_adjustments(contest, adjustments, report)
    tab = Tabulator(contest, adjs)
    load_scores(tab, scores, report)
    return tab, report
