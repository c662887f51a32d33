"""Judge analytics for the review (复核): how far each judge's marks sit from their panel,
which marks are far enough off to look at again, and which marks are missing.

Pure, like the rest of the rules: a ``Tabulator`` in, JSON-ready data out (every number a
``Decimal`` written as a string). Used by ``judging export`` and the control console.

API
---
``review(tab, threshold=Decimal("1.0")) -> dict``::

    {"threshold": "1.0",
     "rounds": [{"round", "name", "span", "threshold"}],      # judged rounds only
     "judges": [{"judge", "name", "panel", "shadow", "scored",
                 "mean_deviation", "mean_abs_deviation", "max_deviation"}],
     "flags": [{"round", "contestant", "name", "panel", "judge", "judge_name",
                "mark", "panel_score", "spread", "dropped", "message"}],
     "missing": [str]}                                         # as ``missing_marks``

- A judge's *deviation* on a contestant is the judge's total (the sum of their marks times
  the criterion factors) minus the panel's score for that contestant. ``mean_deviation`` is
  its signed mean over every contestant the judge scored (positive: a generous judge),
  ``mean_abs_deviation`` the mean of its size, ``max_deviation`` the signed deviation of
  largest size. ``None`` when the judge has no complete card. Marks that were dropped
  (trimmed) count: a judge whose marks keep being dropped is what the review looks for.
  Shadow judges are listed (their deviation is the feedback a trainee needs) but never flagged.
- The panel's score is what the panel's rule made of the marks (mean, trimmed mean, median);
  for a panel that sums its judges' marks, the plain mean of the counted marks, so that a
  judge is compared with a typical judge and not with the sum.
- A *flag* (the FIG rule): a judge's mark 1.0 or more away from the panel score, in either
  direction, on a 10-point scale. ``threshold`` is stated on that 10-point scale and scaled to
  each round's own range: a round whose card spans ``span`` points (the sum over its criteria
  of (max - min) x factor) uses ``threshold x span / 10``, so 1.0 becomes 10 points on a
  100-point rubric. Each flag names the judge; ``spread`` is the signed distance.
- Points rounds (quizzes) have no judges and are left out.

Deviations and panel scores are shown rounded to two places more than the contest's
precision (the flag itself compares the exact values).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from judging.rules.decimals import round_to
from judging.rules.engine import Tabulator
from judging.rules.model import Contest, Round
from judging.rules.results import PanelResult

ZERO = Decimal(0)
TEN = Decimal(10)
AVERAGING = ("mean", "trimmed", "median")


def round_span(rnd: Round) -> Decimal:
    """How many points a whole card of this round can span (max minus min, with factors)."""
    return sum(((c.max - c.min) * c.factor for c in rnd.criteria), ZERO)


def round_threshold(rnd: Round, threshold: Decimal) -> Decimal:
    """The review threshold in this round's own points (``threshold`` is on a 10-point scale)."""
    span = round_span(rnd)
    return threshold * span / TEN if span > 0 else threshold


def panel_reference(panel: PanelResult) -> Decimal | None:
    """The score a judge of this panel is compared with (see the module docstring)."""
    if panel.rule in AVERAGING:
        return panel.score
    totals = [line.total for line in panel.judges if line.counted and line.total is not None]
    return sum(totals, ZERO) / len(totals) if totals else None


def missing_marks(tab: Tabulator) -> list[str]:
    """Judges expected to score who have no complete card, per contestant and round."""
    out = []
    contest = tab.contest
    for rnd in contest.rounds:
        if rnd.kind != "judged":
            continue
        for c in contest.contestants:
            if c.id not in tab.participants(rnd.id, c.category):
                continue
            result = tab.round_result(rnd.id, c.id)
            for panel in result.panels:
                for jid in panel.missing:
                    out.append(f"{c.id} {c.name}: no complete card from judge {jid} in round {rnd.id}")
    return out


def review(tab: Tabulator, threshold: Decimal = Decimal("1.0")) -> dict[str, Any]:
    """Judge deviations, review flags and missing marks (see the module docstring)."""
    contest = tab.contest
    places = contest.precision + 2
    deviations: dict[str, list[Decimal]] = {j.id: [] for j in contest.judges}
    flags: list[dict[str, Any]] = []
    rounds = []
    for rnd in contest.rounds:
        if rnd.kind != "judged":
            continue
        limit = round_threshold(rnd, threshold)
        rounds.append(
            {"round": rnd.id, "name": rnd.name, "span": f"{round_span(rnd):f}", "threshold": _s(limit)}
        )
        for c in contest.contestants:
            if c.id not in tab.participants(rnd.id, c.category):
                continue
            for panel in tab.round_result(rnd.id, c.id).panels:
                reference = panel_reference(panel)
                if reference is None:
                    continue
                for line in panel.judges:
                    if line.total is None:
                        continue  # an incomplete card is a missing mark, not a deviation
                    spread = line.total - reference
                    deviations[line.judge].append(spread)
                    if not line.shadow and abs(spread) >= limit:
                        shown = (round_to(reference, places, contest.rounding), round_to(spread, places, contest.rounding))
                        flags.append(_flag(contest, rnd, c.id, panel, line.judge, line.total, *shown, line.dropped, limit))
    judges = []
    for j in contest.judges:
        devs = deviations[j.id]
        judges.append(
            {
                "judge": j.id,
                "name": j.name,
                "panel": j.panel,
                "shadow": j.shadow,
                "scored": len(devs),
                "mean_deviation": _mean(devs, places, contest.rounding),
                "mean_abs_deviation": _mean([abs(d) for d in devs], places, contest.rounding),
                "max_deviation": _s(round_to(max(devs, key=abs), places, contest.rounding)) if devs else None,
            }
        )
    return {
        "threshold": _s(threshold),
        "rounds": rounds,
        "judges": judges,
        "flags": flags,
        "missing": missing_marks(tab),
    }


def _mean(values: list[Decimal], places: int, mode: str) -> str | None:
    if not values:
        return None
    return _s(round_to(sum(values, ZERO) / len(values), places, mode))


def _s(value: Decimal) -> str:
    return f"{value:f}"


def _flag(
    contest: Contest,
    rnd: Round,
    cid: str,
    panel: PanelResult,
    jid: str,
    mark: Decimal,
    reference: Decimal,
    spread: Decimal,
    dropped: bool,
    limit: Decimal,
) -> dict[str, Any]:
    c, j = contest.contestant(cid), contest.judge(jid)
    name, judge_name = c.name, j.name  # type: ignore[union-attr]
    size = _s(abs(spread))
    if contest.language == "zh":
        way = "高" if spread > 0 else "低"
        message = (
            f"{rnd.name}：评委 {jid} {judge_name} 给 {cid} {name} 的 {_s(mark)} 分比小组得分 {_s(reference)} "
            f"{way} {size} 分（复核线 {_s(limit)} 分）" + ("，已去掉" if dropped else "")
        )
    else:
        way = "above" if spread > 0 else "below"
        message = (
            f"{rnd.name}: judge {jid} {judge_name} gave {cid} {name} {_s(mark)}, {size} {way} the panel "
            f"score {_s(reference)} (review at {_s(limit)})" + (", dropped" if dropped else "")
        )
    return {
        "round": rnd.id,
        "contestant": cid,
        "name": name,
        "panel": panel.panel,
        "judge": jid,
        "judge_name": judge_name,
        "mark": _s(mark),
        "panel_score": _s(reference),
        "spread": _s(spread),
        "dropped": dropped,
        "message": message,
    }
