"""One contestant's score in one round, with its breakdown.

Rounding placements (``round.round_at``), all at the contest precision and rounding mode:
- "criterion": a panel's aggregate of one criterion (per-criterion aggregation only);
- "product": every product, a mark or aggregate times its factor and a panel score times
  its weight; a factor or weight of exactly 1 makes no product, so a judge's own mark is
  never rounded;
- "panel": each panel's score;
- "end": the round score. The round score is always rounded, listed or not.
"""

from __future__ import annotations

from decimal import Decimal

from judging.rules.aggregate import aggregate
from judging.rules.decimals import round_to
from judging.rules.model import Contest, Contestant, Judge, Panel, Round
from judging.rules.results import CriterionLine, JudgeLine, PanelResult, PointsLine, RoundResult, judge_line

ZERO = Decimal(0)

Cards = dict[str, dict[str, Decimal]]  # judge -> criterion -> mark


def judged_round(
    contest: Contest,
    rnd: Round,
    contestant: Contestant,
    panels: list[tuple[Panel, Decimal, list[Judge]]],
    cards: Cards,
    with_criteria: bool,
) -> RoundResult:
    """Score a judged round. ``panels`` gives each panel, its weight and its judges for
    this contestant (recusals already removed)."""
    prec, mode, at = contest.precision, contest.rounding, rnd.round_at

    def r(value: Decimal, place: str) -> Decimal:
        return round_to(value, prec, mode) if place in at else value

    results = []
    raw: Decimal | None = ZERO
    criterion_scores: dict[str, Decimal] = {}
    for panel, weight, judges in panels:
        lines, counted = _cards(rnd, panel, judges, cards, r)
        missing = tuple(j.id for j in judges if not j.shadow and j.id not in counted)
        crit_lines: tuple[CriterionLine, ...] = ()
        if rnd.aggregate == "per-criterion":
            score, lines, crit_lines, note = _per_criterion(rnd, panel, lines, r)
        else:
            totals = [line.total for line in lines if line.counted]
            score, dropped, note = aggregate(totals, panel)  # type: ignore[arg-type]
            if dropped:
                counted_lines = [i for i, line in enumerate(lines) if line.counted]
                gone = {counted_lines[i] for i in dropped}
                lines = [_drop(line) if i in gone else line for i, line in enumerate(lines)]
        if score is not None:
            score = r(score, "panel")
        weighted = None if score is None else r(score * weight, "product") if weight != 1 else score
        if with_criteria:
            _add_criterion_scores(criterion_scores, rnd, panel, weight, lines)
        results.append(
            PanelResult(
                panel=panel.id,
                rule=panel.rule,
                weight=weight,
                judges=tuple(lines),
                score=score,
                weighted=weighted,
                criteria=crit_lines,
                note=note,
                missing=missing,
            )
        )
        raw = None if raw is None or weighted is None else raw + weighted
    score = round_to(raw, prec, mode) if raw is not None else None
    return RoundResult(
        round=rnd.id,
        contestant=contestant.id,
        kind="judged",
        score=score,
        final=score,
        raw=raw,
        panels=tuple(results),
        criterion_scores=criterion_scores,
        rounding=_describe(contest, rnd),
    )


def _cards(rnd: Round, panel: Panel, judges: list[Judge], cards: Cards, r) -> tuple[list[JudgeLine], set[str]]:
    lines = []
    counted = set()
    crits = rnd.criteria
    n = len(crits)
    # Marks taken as they are when nothing multiplies or rounds them (a factor of exactly 1:
    # 1.0 would change how the product is written).
    plain = "product" not in rnd.round_at and all(str(c.factor) == "1" for c in crits)
    ids = [c.id for c in crits]
    pid = panel.id
    for judge in judges:
        card = cards.get(judge.id)
        if card is None:
            continue
        if len(card) != n:
            total = None
        elif plain:
            total = sum(map(card.__getitem__, ids), ZERO)
        else:
            total = sum((r(card[c.id] * c.factor, "product") if c.factor != 1 else card[c.id] for c in crits), ZERO)
        ok = total is not None and not judge.shadow
        if ok:
            counted.add(judge.id)
        lines.append(judge_line(judge.id, pid, card, total, ok, False, judge.shadow))
    return lines, counted


def _drop(line: JudgeLine) -> JudgeLine:
    return judge_line(line.judge, line.panel, line.scores, line.total, line.counted, True, line.shadow)


def _per_criterion(rnd: Round, panel: Panel, lines: list[JudgeLine], r):
    """ISU style: aggregate each criterion across the panel, then factor and sum."""
    counted = [i for i, line in enumerate(lines) if line.counted]
    drops: dict[int, set[str]] = {}
    crit_lines = []
    total: Decimal | None = ZERO
    notes = []
    for c in rnd.criteria:
        values = [lines[i].scores[c.id] for i in counted]
        score, dropped, note = aggregate(values, panel)
        if note and note not in notes:
            notes.append(note)
        for k in dropped:
            drops.setdefault(counted[k], set()).add(c.id)
        if score is None:
            crit_lines.append(CriterionLine(c.id, None, c.factor, None))
            total = None
            continue
        score = r(score, "criterion")
        product = r(score * c.factor, "product") if c.factor != 1 else score
        crit_lines.append(CriterionLine(c.id, score, c.factor, product))
        total = None if total is None else total + product
    if drops:
        lines = [
            judge_line(ln.judge, ln.panel, ln.scores, ln.total, ln.counted, False, ln.shadow, frozenset(drops[i]))
            if i in drops
            else ln
            for i, ln in enumerate(lines)
        ]
    return total, lines, tuple(crit_lines), "; ".join(notes)


def _add_criterion_scores(out: dict[str, Decimal], rnd: Round, panel: Panel, weight: Decimal, lines) -> None:
    """Each criterion aggregated with the panel's rule and weighted like the panel: what
    single-item awards and criterion tie-breaks compare."""
    counted = [line for line in lines if line.counted]
    for c in rnd.criteria:
        score, _, _ = aggregate([line.scores[c.id] for line in counted], panel)
        if score is None:
            continue
        out[c.id] = out.get(c.id, ZERO) + score * weight


def points_round(contest: Contest, rnd: Round, contestant: Contestant, entries: dict[str, tuple[str, Decimal]]) -> RoundResult:
    lines = tuple(PointsLine(key, qtype, pts) for key, (qtype, pts) in entries.items())
    raw = rnd.start + sum((line.points for line in lines), ZERO)
    score = round_to(raw, contest.precision, contest.rounding)
    return RoundResult(
        round=rnd.id, contestant=contestant.id, kind="points", score=score, final=score, raw=raw, points=lines
    )


def with_adjustments(result: RoundResult, adjustments: tuple, precision: int, mode: str) -> RoundResult:
    if not adjustments or result.score is None:
        return result
    final = round_to(result.score + sum((a.points for a in adjustments), ZERO), precision, mode)
    return RoundResult(
        round=result.round,
        contestant=result.contestant,
        kind=result.kind,
        score=result.score,
        final=final,
        raw=result.raw,
        panels=result.panels,
        points=result.points,
        adjustments=adjustments,
        criterion_scores=result.criterion_scores,
        rounding=result.rounding,
    )


def _describe(contest: Contest, rnd: Round) -> str:
    places = [p for p in ("criterion", "product", "panel") if p in rnd.round_at] + ["end"]
    return f"{contest.rounding} to {contest.precision} decimals at {', '.join(places)}"
