"""The prize ceremony (颁奖): the awards of the public results, as stages to reveal one by one.

Single-item awards come first, then the prize tiers from the lowest up, then the organisers'
manual awards (特等奖) last, as ceremonies build up to the top prize. A stage lists its winners
per category, best rank first; a category with no winner in a stage is left out.
"""

from __future__ import annotations

from typing import Any

from judging.report import standing_row
from judging.rules.engine import Tabulator


def ceremony_stages(tab: Tabulator) -> list[dict[str, Any]]:
    contest = tab.contest
    p = contest.precision
    cats = [(cat, [standing_row(s, p) for s in cat.standings if s.rank is not None]) for cat in tab.all_standings()]

    def stage(title: str, kind: str, wins) -> dict[str, Any] | None:
        groups = []
        for cat, rows in cats:
            winners = [r for r in rows if wins(r)]
            if winners:
                groups.append({"id": cat.category, "name": cat.name, "winners": winners})
        return {"title": title, "kind": kind, "categories": groups} if groups else None

    stages = [stage(a.name, "single", lambda r, n=a.name: n in r["single_awards"]) for a in _unique(contest.single_awards)]
    stages += [
        stage(t.name, "tier", lambda r, n=t.name: r["award_kind"] == "tier" and r["award"] == n)
        for t in reversed(contest.tiers)
    ]
    manual = list(dict.fromkeys(r["award"] for _, rows in cats for r in rows if r["award_kind"] == "manual"))
    stages += [stage(name, "manual", lambda r, n=name: r["award_kind"] == "manual" and r["award"] == n) for name in manual]
    return [s for s in stages if s is not None]


def _unique(awards):
    seen: dict[str, Any] = {}
    for a in awards:
        seen.setdefault(a.name, a)
    return list(seen.values())


def ceremony_section(tab: Tabulator, step: int | None) -> dict[str, Any] | None:
    if step is None:
        return None
    stages = ceremony_stages(tab)
    return {"step": step, "steps": len(stages), "stages": stages[:step]}
