"""Standings as JSON-ready data, an aligned text table, and Excel-friendly CSV."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from judging.rules.decimals import fmt
from judging.rules.engine import Tabulator
from judging.rules.results import RoundResult, Standing
from judging.text import pad, width, word


def standings_data(tab: Tabulator) -> dict[str, Any]:
    """The shape ``judging tabulate --format json`` prints; every score a string at the
    contest's precision, except each standing's "breakdown" (see ``_round_breakdown``)."""
    contest = tab.contest
    p = contest.precision
    categories = []
    for cat in tab.all_standings():
        names = {s.contestant.id: s.contestant.name for s in cat.standings}
        categories.append(
            {
                "id": cat.category,
                "name": cat.name,
                "standings": [_standing(s, p) for s in cat.standings],
                "single_awards": [
                    {
                        "award": a.name,
                        "criterion": a.criterion,
                        "round": a.round,
                        "score": fmt(a.score, p),
                        "winners": [{"contestant": w, "name": names[w]} for w in a.winners],
                    }
                    for a in cat.single_awards
                ],
                "manual_awards": [
                    {"contestant": s.contestant.id, "name": s.contestant.name, "award": s.award, "reason": s.award_reason}
                    for s in cat.standings
                    if s.award_reason
                ],
                "cut_lines": [{"award": name, "places": places} for name, places in cat.cuts],
            }
        )
    units = [
        {"rank": u.rank, "unit": u.unit, "score": fmt(u.score, p), "counted": list(u.counted)} for u in tab.unit_results()
    ]
    return {
        "contest": contest.name,
        "precision": p,
        "rounding": contest.rounding,
        "categories": categories,
        "units": {"name": contest.units.name, "standings": units} if contest.units else None,
    }


def standing_row(s: Standing, p: int) -> dict[str, Any]:
    """One contestant's line of the standings: what every output and view shows."""
    c = s.contestant
    return {
        "rank": s.rank,
        "contestant": c.id,
        "name": c.name,
        "unit": c.unit,
        "members": list(c.members),
        "total": fmt(s.total, p) if s.total is not None else None,
        "award": s.award,
        "award_kind": "manual" if s.award_reason else "tier" if s.award else "",
        "single_awards": list(s.single_awards),
    }


def _standing(s: Standing, p: int) -> dict[str, Any]:
    return {
        **standing_row(s, p),
        "reached": s.reached,
        "rounds": {rid: fmt(r.final, p) if r.final is not None else None for rid, r in s.rounds.items()},
        "adjustments": [
            {"round": a.round, "points": f"{a.points:f}", "reason": a.reason}
            for r in s.rounds.values()
            for a in r.adjustments
        ]
        + [{"round": "", "points": f"{a.points:f}", "reason": a.reason} for a in s.adjustments],
        "status": "ranked" if s.rank is not None else "incomplete",
        "breakdown": {rid: _round_breakdown(r) for rid, r in s.rounds.items()},
    }


def _exact(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def _round_breakdown(r: RoundResult) -> dict[str, Any]:
    """How a round score was built, panel by panel and (per-criterion aggregation) criterion
    by criterion. Values are as the engine holds them: rounded where the round rounds (see
    "rounding"), exact otherwise, so every published number can be re-derived."""
    return {
        "score": _exact(r.score),
        "rounding": r.rounding,
        "panels": {
            panel.panel: {
                "rule": panel.rule,
                "weight": _exact(panel.weight),
                "score": _exact(panel.score),
                "weighted": _exact(panel.weighted),
                "criteria": {
                    line.criterion: {
                        "score": _exact(line.score),
                        "factor": _exact(line.factor),
                        "product": _exact(line.product),
                    }
                    for line in panel.criteria
                },
            }
            for panel in r.panels
        },
    }


def standings_table(tab: Tabulator) -> str:
    contest = tab.contest
    lang = contest.language
    data = standings_data(tab)
    out = [contest.name, ""]
    heads = [word(k, lang) for k in ("rank", "id", "name", "unit", "total", "award")]
    for cat in data["categories"]:
        rows = [
            [
                str(s["rank"]) if s["rank"] is not None else "-",
                s["contestant"],
                s["name"] + (f"（{'、'.join(s['members'])}）" if s["members"] else ""),
                s["unit"],
                s["total"] if s["total"] is not None else word("incomplete", lang),
                "、".join(filter(None, [s["award"], *s["single_awards"]])),
            ]
            for s in cat["standings"]
        ]
        out.append(f"== {cat['name']} ==")
        out.extend(_aligned(heads, rows, right={0, 4}))
        for a in cat["single_awards"]:
            winners = "、".join(w["name"] for w in a["winners"]) or "-"
            out.append(f"{word('single', lang)} {a['award']}: {winners} ({a['score']})")
        out.append("")
    if data["units"]:
        out.append(f"== {data['units']['name']} ==")
        rows = [[str(u["rank"]), u["unit"], u["score"]] for u in data["units"]["standings"]]
        out.extend(_aligned([word("rank", lang), word("unit", lang), word("total", lang)], rows, right={0, 2}))
        out.append("")
    return "\n".join(out)


def _aligned(heads: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max([width(h)] + [width(r[i]) for r in rows]) for i, h in enumerate(heads)]
    def line(cells: list[str]) -> str:
        return "  ".join(pad(c, widths[i], i in right) for i, c in enumerate(cells)).rstrip()
    return [line(heads), line(["-" * w for w in widths])] + [line(r) for r in rows]


def standings_csv(tab: Tabulator) -> str:
    """UTF-8 with a BOM (added by the writer of the file or stream) so Excel opens it."""
    lang = tab.contest.language
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([word(k, lang) for k in ("category", "rank", "id", "name", "unit", "members", "total", "award")] + [word("single", lang)])
    for cat in standings_data(tab)["categories"]:
        for s in cat["standings"]:
            w.writerow(
                [cat["name"], s["rank"] if s["rank"] is not None else "", s["contestant"], s["name"], s["unit"],
                 "、".join(s["members"]), s["total"] or "", s["award"], "、".join(s["single_awards"])]
            )
    return "\ufeff" + buf.getvalue()
