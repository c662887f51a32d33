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
from itertools import repeat
from operator import add

from judging.rules.aggregate import aggregate
from judging.rules.decimals import round_to
from judging.rules.model import Contest, Contestant, Judge, Panel, Round
from judging.rules.results import (
    CriterionLine,
    Deferred,
    JudgeLine,
    PointsLine,
    RoundResult,
    judge_line,
    panel_result,
    round_result,
)

ZERO = Decimal(0)

Cards = dict[str, dict[str, Decimal]]  # judge -> criterion -> mark


def judged_round(
    contest: Contest,
    rnd: Round,
    contestant: Contestant,
    panels: tuple[tuple, ...],
    cards: Cards,
    with_criteria: bool,
) -> RoundResult:
    """Score a judged round. ``panels`` is ``contest.plan(rnd, contestant)``: each panel,
    its weight and its judges for this contestant (recusals already removed)."""
    prec, mode, at = contest.precision, contest.rounding, rnd.round_at

    def r(value: Decimal, place: str) -> Decimal:
        return round_to(value, prec, mode) if place in at else value

    results = []
    raw: Decimal | None = ZERO
    criterion_scores: dict[str, Decimal] = {}
    for panel, weight, judges, ids, shadows in panels:
        crit_lines: tuple[CriterionLine, ...] = ()
        if rnd.aggregate == "per-criterion":
            lines, counted = _cards(rnd, panel, judges, cards, r)
            score, lines, crit_lines, note = _per_criterion(rnd, panel, lines, r)
            judge_lines: tuple[JudgeLine, ...] | Deferred = tuple(lines)
            kept = [line.scores for line in lines if line.counted]
            marks = [[card[c.id] for card in kept] for c in rnd.criteria] if with_criteria else []
            missing = tuple(j.id for j in judges if not j.shadow and j.id not in counted)
        else:
            score, note, judge_lines, missing, marks = _judge_totals(rnd, panel, judges, ids, shadows, cards, r, with_criteria)
        if score is not None:
            score = r(score, "panel")
        weighted = None if score is None else r(score * weight, "product") if weight != 1 else score
        if with_criteria:
            _add_criterion_scores(criterion_scores, rnd, panel, weight, marks)
        results.append(panel_result(panel.id, panel.rule, weight, judge_lines, score, weighted, crit_lines, note, missing))
        raw = None if raw is None or weighted is None else raw + weighted
    score = round_to(raw, prec, mode) if raw is not None else None
    return round_result(
        rnd.id, contestant.id, "judged", score, score, raw, tuple(results), criterion_scores=criterion_scores, rounding=_describe(contest, rnd)
    )


def _cards(rnd: Round, panel: Panel, judges: list[Judge], cards: Cards, r) -> tuple[list[JudgeLine], set[str]]:
    lines = []
    counted = set()
    crits = rnd.criteria
    n = len(crits)
    plain = rnd._plain  # type: ignore[attr-defined]
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


def _judge_totals(
    rnd: Round, panel: Panel, judges: tuple[Judge, ...], ids: tuple[str, ...], shadows: bool, cards: Cards, r, with_criteria: bool
):
    """Judge-total aggregation: each judge's total, then the panel's rule over the counted
    totals. Returns the panel score (unrounded), its note, the judge lines (deferred: built
    when first read), the judges missing and, ``with_criteria``, each criterion's counted
    marks (one list per criterion, judge order)."""
    held = list(map(cards.get, ids))
    got: tuple[Judge, ...] | list[Judge] = judges
    if None in held:  # judges without a card have no line
        got = [j for j, card in zip(judges, held) if card is not None]
        held = [card for card in held if card is not None]
    crits = rnd.criteria
    n = len(crits)
    complete = min(map(len, held), default=n) == n
    columns = None
    if complete and rnd._plain:  # type: ignore[attr-defined]
        # Criterion by criterion: each one's marks, then each judge's total summed from 0
        # in criterion order, as sum(card values, 0) would.
        columns = [list(map(get, held)) for get in rnd._getters]  # type: ignore[attr-defined]
        acc = repeat(ZERO)
        for column in columns:
            acc = map(add, acc, column)
        totals: list[Decimal | None] = list(acc)
    else:
        totals = [
            sum((r(card[c.id] * c.factor, "product") if c.factor != 1 else card[c.id] for c in crits), ZERO)
            if len(card) == n
            else None
            for card in held
        ]
    if complete and not shadows:  # every card there counts
        ok = None
        counted = totals
        missing = () if len(got) == len(judges) else tuple(j.id for j in judges if j.id not in cards)
    else:
        ok = [total is not None and not j.shadow for j, total in zip(got, totals)]
        counted = [t for t, o in zip(totals, ok) if o]
        counting = {j.id for j, o in zip(got, ok) if o}
        missing = tuple(j.id for j in judges if not j.shadow and j.id not in counting)
        if with_criteria:
            kept = [card for card, o in zip(held, ok) if o]
            columns = [[card[c.id] for card in kept] for c in crits]
        else:
            columns = []
    if columns is None:
        columns = [list(map(get, held)) for get in rnd._getters] if with_criteria else []  # type: ignore[attr-defined]
    score, dropped, note = aggregate(counted, panel)  # type: ignore[arg-type]
    if dropped and ok is not None:
        where = [i for i, o in enumerate(ok) if o]  # counted position -> line position
        dropped = {where[i] for i in dropped}
    lines = Deferred(_judge_lines, (panel.id, got, held, totals, ok, dropped))
    return score, note, lines, missing, columns


def _judge_lines(pid: str, judges, cards: list, totals: list, counted: list | None, dropped: set[int]) -> tuple[JudgeLine, ...]:
    """One line per card, judge order; ``counted`` None: every one counts."""
    return tuple(
        judge_line(j.id, pid, card, total, ok, i in dropped, j.shadow)
        for i, (j, card, total, ok) in enumerate(zip(judges, cards, totals, repeat(True) if counted is None else counted))
    )


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


def _add_criterion_scores(out: dict[str, Decimal], rnd: Round, panel: Panel, weight: Decimal, marks: list) -> None:
    """Each criterion aggregated with the panel's rule and weighted like the panel: what
    single-item awards and criterion tie-breaks compare. ``marks``: each criterion's counted
    marks, in judge order."""
    for c, values in zip(rnd.criteria, marks):
        score, _, _ = aggregate(values, panel)
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


_DESCRIBED: dict[tuple[str, int, frozenset[str]], str] = {}  # the same few texts for every result


def _describe(contest: Contest, rnd: Round) -> str:
    at = rnd.round_at
    key = (contest.rounding, contest.precision, at if type(at) is frozenset else frozenset(at))
    text = _DESCRIBED.get(key)
    if text is None:
        places = [p for p in ("criterion", "product", "panel") if p in rnd.round_at] + ["end"]
        text = _DESCRIBED[key] = f"{contest.rounding} to {contest.precision} decimals at {', '.join(places)}"
    return text
