"""Prize tiers, single-item awards and unit standings.

Rules decided here (worked examples in tests/test_rules_examples.py):
- A tier given by share covers ``share x field`` places, rounded by ``share_rounding``
  (floor, half-up, ceil), where the field is every ranked contestant of the category,
  manual award holders included. Unranked (incomplete) contestants are not in the field.
- Manual awards take no tier place: tier places are filled by the other contestants in
  rank order, and the holder keeps its rank and its manual award.
- Single-item awards go to the best criterion score among ranked contestants; a tie gives
  the award to everyone tied.
- Unit standings: sum or mean of each unit's best N ranked totals (all when N is not
  given); the mean is rounded at the contest precision; equal scores share a rank.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from judging.rules.decimals import round_to
from judging.rules.model import Contest, Tier
from judging.rules.ranking import rank
from judging.rules.results import SingleAwardResult, Standing, UnitResult


def tier_counts(tiers: tuple[Tier, ...], field: int, share_rounding: str) -> list[int]:
    """How many places each tier covers for a field of ``field`` ranked contestants."""
    counts = []
    for tier in tiers:
        if tier.count is not None:
            counts.append(tier.count)
            continue
        exact = tier.share * field  # type: ignore[operator]
        if share_rounding == "floor":
            counts.append(math.floor(exact))
        elif share_rounding == "ceil":
            counts.append(math.ceil(exact))
        else:
            counts.append(int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)))
    return counts


def assign_tiers(
    ranked: list[tuple[int, str]], tiers: tuple[Tier, ...], field: int, share_rounding: str, tie_at_cut: str
) -> tuple[dict[str, str], tuple[tuple[str, int], ...]]:
    """Give prize tiers to eligible contestants, given as (rank among eligible, id) best first.

    Tiers fill cumulative places: tier i covers places up to cut_i = count_1 + ... + count_i.
    A group tied across a cut all get the better tier under "include" (the next tier then has
    fewer places left) and all fall to the next tier under "exclude".
    """
    counts = tier_counts(tiers, field, share_rounding)
    cuts = []
    running = 0
    for tier, count in zip(tiers, counts):
        running += count
        cuts.append((tier.name, running))
    group_size: dict[int, int] = {}
    for r, _ in ranked:
        group_size[r] = group_size.get(r, 0) + 1
    out: dict[str, str] = {}
    for r, cid in ranked:
        last = r + group_size[r] - 1
        for name, cut in cuts:
            if (r if tie_at_cut == "include" else last) <= cut:
                out[cid] = name
                break
    return out, tuple(cuts)


def single_awards(contest: Contest, standings: list[Standing]) -> tuple[SingleAwardResult, ...]:
    """Best in one criterion among contestants with a complete result; ties all win."""
    out = []
    for award in contest.single_awards:
        best: Decimal | None = None
        winners: list[str] = []
        rid, criterion = award.round, award.criterion
        for s in standings:
            if s.rank is None:
                continue
            result = s.rounds.get(rid)
            value = None if result is None else result.criterion_scores.get(criterion)
            if value is None:
                continue
            if best is None or value > best:
                best, winners = value, [s.contestant.id]
            elif value == best:
                winners.append(s.contestant.id)
        shown = round_to(best, contest.precision, contest.rounding) if best is not None else None
        out.append(SingleAwardResult(award.name, award.criterion, award.round, tuple(winners), shown))
    return tuple(out)


def unit_standings(contest: Contest, standings: list[Standing]) -> list[UnitResult]:
    """Units ranked by the sum or mean of their best N contestants' totals, over all categories."""
    spec = contest.units
    if spec is None:
        return []
    by_unit: dict[str, list[Standing]] = {}
    for s in standings:
        if s.total is not None and s.contestant.unit:
            by_unit.setdefault(s.contestant.unit, []).append(s)
    scored = []
    for unit, members in by_unit.items():
        members.sort(key=lambda s: s.total, reverse=True)  # type: ignore[arg-type, return-value]
        best = members[: spec.best] if spec.best else members
        total = sum((s.total for s in best), Decimal(0))  # type: ignore[misc]
        if spec.method == "mean":
            total = round_to(total / len(best), contest.precision, contest.rounding)
        scored.append((unit, total, tuple(s.contestant.id for s in best)))
    ranked = rank(scored, lambda item: (item[1],))
    return [UnitResult(unit, r, total, counted) for r, (unit, total, counted) in ranked]
