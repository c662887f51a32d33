"""A category's standings: each contestant's total, rank, prize tier and single-item awards.

Split from the tabulator (``judging.rules.engine``), which holds the marks and the caches
and decides when standings need working out again; the rules for totals, advancement and
unranked contestants are stated there.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from judging.rules.awards import assign_tiers, single_awards
from judging.rules.decimals import round_to
from judging.rules.model import Contestant
from judging.rules.ranking import order_key, rank_by, tie_break_value
from judging.rules.results import CategoryStandings, RoundResult, Standing, standing

if TYPE_CHECKING:
    from judging.rules.engine import Tabulator

ZERO = Decimal(0)


def compute_standings(tab: Tabulator, category: str) -> CategoryStandings:
    """A category's standings from its contestants' results: ranks, prize tiers, single-item
    awards. Rows and rank keys that depend on a contestant's own results alone are kept in
    the tabulator between calls."""
    contest = tab.contest
    people = contest.in_category(category)
    own = contest.combine != "advancement"  # rows depend on the contestant's own results
    rows = []  # (contestant, reached index, total, rounds, final adjustments)
    for c in people:
        row = tab._rows.get(c.id) if own else None
        if row is None:
            # Weighted rounds: everyone takes part in every round. Advancement: the last
            # round this contestant was admitted to.
            reached = len(contest.rounds) - 1
            if not own:
                # A later round counts once this contestant has a result in it: while a
                # round is still being scored, its participants stand on the round before.
                reached = 0
                for i, rnd in enumerate(contest.rounds):
                    if c.id in tab.participants(rnd.id, category) and (
                        i == 0 or tab.round_result(rnd.id, c.id).complete
                    ):
                        reached = i
            rounds = {r.id: tab.round_result(r.id, c.id) for r in contest.rounds[: reached + 1]}
            adjs = tab._adjustments.get(c.id)
            final_adjs = tuple(a for a in adjs if not a.round) if adjs else ()
            total = _total(tab, c, reached, rounds, final_adjs)
            row = (c, reached, total, rounds, final_adjs)
            if own:
                tab._rows[c.id] = row
        rows.append(row)
    best = tab._judge_best(category, contest.rounds)
    keep_keys = own and best is None  # highest_marks compares with the other contestants
    keys = tab._rank_keys

    def rank_key(row: tuple) -> tuple:
        key = keys.get(row[0].id) if keep_keys else None
        if key is None:
            key = order_key(
                (Decimal(row[1]), row[2]) + tuple(tie_break_value(k, row[3], best) for k in contest.tie_break)
            )
            if keep_keys:
                keys[row[0].id] = key
        return key

    ranked = rank_by([row for row in rows if row[2] is not None], rank_key)
    ranks = {row[0].id: r for r, row in ranked}
    eligible = []
    previous_rank, erank = None, 0
    for position, (r, row) in enumerate((p for p in ranked if p[1][0].id not in tab._manual), start=1):
        if r != previous_rank:
            erank, previous_rank = position, r
        eligible.append((erank, row[0].id))
    tiers, cuts = assign_tiers(eligible, contest.tiers, len(ranked), contest.share_rounding, contest.tie_at_cut)
    order = [row for _, row in ranked] + [row for row in rows if row[2] is None]
    standings = []
    for c, reached, total, rounds, final_adjs in order:
        manual = tab._manual.get(c.id)
        standings.append(
            standing(
                c,
                ranks.get(c.id),
                total,
                rounds,
                contest.rounds[reached].id,
                final_adjs,
                manual.award if manual else tiers.get(c.id, ""),
                manual.reason if manual else "",
            )
        )
    singles = single_awards(contest, standings)
    won: dict[str, list[str]] = {}
    for award in singles:
        for cid in award.winners:
            won.setdefault(cid, []).append(award.name)
    if won:
        for i, s in enumerate(standings):
            names = won.get(s.contestant.id)
            if names:
                standings[i] = _with_singles(s, tuple(names))
    name = contest.category(category).name  # type: ignore[union-attr]
    return CategoryStandings(category, name, tuple(standings), singles, cuts)

def _total(tab: Tabulator, c: Contestant, reached: int, rounds: dict[str, RoundResult], adjs) -> Decimal | None:
    contest = tab.contest
    if contest.combine == "advancement":
        base = tab.stage_score(contest.rounds[reached].id, c.id)
    elif len(contest.rounds) == 1:
        base = rounds[contest.rounds[0].id].final
    else:
        base = ZERO
        for rnd in contest.rounds:
            final = rounds[rnd.id].final
            if final is None:
                return None
            base += final * rnd.weight
    if base is None:
        return None
    return round_to(base + (sum((a.points for a in adjs), ZERO) if adjs else ZERO), contest.precision, contest.rounding)


def _with_singles(s: Standing, names: tuple[str, ...]) -> Standing:
    if not names:
        return s
    return standing(s.contestant, s.rank, s.total, s.rounds, s.reached, s.adjustments, s.award, s.award_reason, names)
