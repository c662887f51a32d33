"""The tabulator: marks in, standings out, recomputing only what a change touches.

A change to one card invalidates that contestant's round result and the standings of
their category; everything else stays cached. ``tabulate`` is the full recompute: a fresh
tabulator fed every mark, which the tests hold equal to any sequence of updates.

Rules decided here (worked examples in tests/test_rules_examples.py):
- Several rounds combined by weight: every contestant takes part in every round; the total
  is the sum of each round's final score times its weight, then the final-total
  adjustments, rounded once at the contest precision. A contestant missing any round is
  incomplete and unranked.
- Adjustments: one naming a round changes that round's score, so it is weighted with the
  round (-2 on a round of weight 0.5 costs 1 point of total); one naming no round changes
  the final total in full. In a one-round contest the two are the same.
- Advancement: the top ``advance`` of a round's ranking (tie-breaks applied) go on. A tie
  that the tie-breaks leave at the cut is not split: everyone sharing the last advancing
  rank goes on, so more than ``advance`` may. Contestants eliminated earlier rank below
  everyone who reached a later round, whatever their score; ``carry_over`` makes a round's
  standing the sum of the rounds so far instead of that round alone. A contestant admitted
  to a round stands on the round before until they have a complete result in it, so the
  standings stay meaningful while a round is being scored.
- Contestants without a complete total are unranked and listed after the ranked.
"""

from __future__ import annotations

from decimal import Decimal
from typing import AbstractSet, Iterable, Mapping

from judging.rules.awards import unit_standings
from judging.rules.errors import MarkError
from judging.rules.load import load_round
from judging.rules.model import Adjustment, Contest, Contestant, ManualAward, Round
from judging.rules.ranking import rank, tie_break_value
from judging.rules.results import CategoryStandings, RoundResult, Standing, UnitResult
from judging.rules.scoring import judged_round, points_round, with_adjustments
from judging.rules.standings import compute_standings
from judging.rules.validate import check_card, check_cell, check_points, check_target

ZERO = Decimal(0)


class Tabulator:
    def __init__(
        self,
        contest: Contest,
        adjustments: Iterable[Adjustment] | None = None,
        manual_awards: Iterable[ManualAward] | None = None,
    ):
        self.contest = contest
        self._cards: dict[tuple[str, str], dict[str, dict[str, Decimal]]] = {}
        self._points: dict[tuple[str, str], dict[str, tuple[str, Decimal]]] = {}
        self._adjustments: dict[str, list[Adjustment]] = {}
        self._manual: dict[str, ManualAward] = {}
        self._index = {r.id: i for i, r in enumerate(contest.rounds)}
        self._need_criteria = bool(contest.single_awards) or any(
            k.startswith("criterion:") for k in contest.tie_break
        )
        self._results: dict[tuple[str, str], RoundResult] = {}
        self._round_ranks: dict[tuple[str, str], list[tuple[int, Contestant]]] = {}
        self._standings: dict[str, CategoryStandings] = {}
        # Per contestant, what standings need from their own results alone: (contestant,
        # reached, total, rounds, final adjustments) and the rank key. Kept across updates
        # to others; not used with advancement, where who reached a round depends on others.
        self._rows: dict[str, tuple] = {}
        self._rank_keys: dict[str, tuple] = {}
        for adj in contest.adjustments if adjustments is None else adjustments:
            self.add_adjustment(adj)
        for award in contest.manual_awards if manual_awards is None else manual_awards:
            self.set_manual_award(award)

    # -- changes ---------------------------------------------------------------------------

    def check_card(self, rid: str, cid: str, jid: str, scores: Mapping[str, object]) -> dict[str, Decimal]:
        """Validate a judge's whole card for a contestant; returns it as Decimals."""
        contest = self.contest
        rnd, contestant = contest.round(rid), contest.contestant(cid)
        # A judge who may mark this contestant passes every target check; anything else
        # goes through them all, for the error that names what is wrong.
        if rnd is None or contestant is None or rnd.kind != "judged" or jid not in contest.scorers(rnd, contestant)[1]:
            rnd, contestant = check_target(contest, rid, cid, jid)
        self._check_participant(rnd, contestant)
        return check_card(contest, rnd, contestant, jid, scores)

    def set_card(self, rid: str, cid: str, jid: str, scores: Mapping[str, object]) -> None:
        card = self.check_card(rid, cid, jid, scores)
        self._cards.setdefault((rid, cid), {})[jid] = card
        self._touch(rid, cid)

    def set_score(self, rid: str, cid: str, jid: str, criterion: str, value: object) -> None:
        """Set one cell of a card (paper ballots arrive cell by cell)."""
        rnd, contestant = check_target(self.contest, rid, cid, jid)
        self._check_participant(rnd, contestant)
        crit, mark = check_cell(self.contest, rnd, criterion, value)
        cards = self._cards.setdefault((rid, cid), {})
        # A new dict, never an edit: results already handed out hold the old card.
        cards[jid] = {**cards.get(jid, {}), crit: mark}
        self._touch(rid, cid)

    def remove_card(self, rid: str, cid: str, jid: str) -> None:
        cards = self._cards.get((rid, cid), {})
        if cards.pop(jid, None) is not None:
            self._touch(rid, cid)

    def set_points(self, rid: str, cid: str, key: str, question: str, points: object) -> None:
        """Record the points a host awarded for one question (``key`` names it, e.g. "buzzer#7")."""
        rnd, contestant = check_target(self.contest, rid, cid, None)
        self._check_participant(rnd, contestant)
        value = check_points(rnd, question, points)
        self._points.setdefault((rid, cid), {})[key] = (question, value)
        self._touch(rid, cid)

    def remove_points(self, rid: str, cid: str, key: str) -> None:
        if self._points.get((rid, cid), {}).pop(key, None) is not None:
            self._touch(rid, cid)

    def add_adjustment(self, adj: Adjustment) -> None:
        if self.contest.contestant(adj.contestant) is None:
            raise MarkError("unknown_contestant", f"unknown contestant {adj.contestant!r}")
        if adj.round and self.contest.round(adj.round) is None:
            raise MarkError("unknown_round", f"unknown round {adj.round!r}")
        if not adj.reason.strip():
            raise MarkError("reason_required", "an adjustment needs a written reason")
        if not adj.round and len(self.contest.rounds) == 1:
            adj = Adjustment(adj.contestant, adj.points, adj.reason, self.contest.rounds[0].id)
        self._adjustments.setdefault(adj.contestant, []).append(adj)
        self._touch(adj.round or self.contest.rounds[-1].id, adj.contestant)

    def set_manual_award(self, award: ManualAward) -> None:
        contestant = self.contest.contestant(award.contestant)
        if contestant is None:
            raise MarkError("unknown_contestant", f"unknown contestant {award.contestant!r}")
        if not award.reason.strip():
            raise MarkError("reason_required", "a manual award needs a written reason")
        self._manual[award.contestant] = award
        self._standings.pop(contestant.category, None)

    def _check_participant(self, rnd: Round, contestant: Contestant) -> None:
        if self.contest.combine != "advancement" or self._index[rnd.id] == 0:
            return  # everyone takes part (see participants)
        if contestant.id not in self.participants(rnd.id, contestant.category):
            raise MarkError("not_advanced", f"{contestant.name} ({contestant.id}) did not advance to round {rnd.name}")

    def _touch(self, rid: str, cid: str) -> None:
        contestant = self.contest.contestant(cid)
        self._results.pop((rid, cid), None)
        self._rows.pop(cid, None)
        self._rank_keys.pop(cid, None)
        self._standings.pop(contestant.category, None)  # type: ignore[union-attr]
        if self._round_ranks:
            for later in self.contest.rounds[self._index[rid] :]:
                self._round_ranks.pop((contestant.category, later.id), None)  # type: ignore[union-attr]

    # -- results ---------------------------------------------------------------------------

    def cards(self, rid: str, cid: str) -> dict[str, dict[str, Decimal]]:
        return self._cards.get((rid, cid), {})

    def round_result(self, rid: str, cid: str) -> RoundResult:
        key = (rid, cid)
        cached = self._results.get(key)
        if cached is not None:
            return cached
        contest = self.contest
        rnd = contest.round(rid)
        contestant = contest.contestant(cid)
        if rnd is None or contestant is None:
            raise MarkError("unknown", f"unknown round {rid!r} or contestant {cid!r}")
        if rnd.kind == "points":
            result = points_round(contest, rnd, contestant, self._points.get(key, {}))
        else:
            result = judged_round(contest, rnd, contestant, contest.plan(rnd, contestant), self._cards.get(key, {}), self._need_criteria)
        adjs = self._adjustments.get(cid)
        if adjs:
            result = with_adjustments(result, tuple(a for a in adjs if a.round == rid), contest.precision, contest.rounding)
        self._results[key] = result
        return result

    def participants(self, rid: str, category: str) -> AbstractSet[str]:
        """Who takes part in a round: everyone in the first, the advancers after that."""
        i = self._index[rid]
        if i == 0 or self.contest.combine != "advancement":
            return self.contest.ids_in_category(category)
        previous = self.contest.rounds[i - 1]
        return {c.id for r, c in self.round_ranking(previous.id, category) if r <= (previous.advance or 0)}

    def stage_score(self, rid: str, cid: str) -> Decimal | None:
        """A contestant's standing after a round: that round, or with carry_over the sum so far."""
        if not self.contest.carry_over or self.contest.combine != "advancement":
            return self.round_result(rid, cid).final
        total = ZERO
        for rnd in self.contest.rounds[: self._index[rid] + 1]:
            final = self.round_result(rnd.id, cid).final
            if final is None:
                return None
            total += final
        return total

    def round_ranking(self, rid: str, category: str) -> list[tuple[int, Contestant]]:
        """Ranked participants of one round with a complete result (advancement)."""
        key = (category, rid)
        cached = self._round_ranks.get(key)
        if cached is not None:
            return cached
        people = [c for c in self.contest.in_category(category) if c.id in self.participants(rid, category)]
        scored = [(c, self.stage_score(rid, c.id)) for c in people]
        upto = self.contest.rounds[: self._index[rid] + 1]
        rounds_of = {c.id: {r.id: self.round_result(r.id, c.id) for r in upto} for c in people}
        best = self._judge_best(category, upto)
        ranked = rank(
            [pair for pair in scored if pair[1] is not None],
            lambda pair: (pair[1],) + tuple(tie_break_value(k, rounds_of[pair[0].id], best) for k in self.contest.tie_break),
        )
        out = [(r, pair[0]) for r, pair in ranked]
        self._round_ranks[key] = out
        return out

    def _judge_best(self, category: str, rounds) -> dict[tuple[str, str], Decimal] | None:
        if "highest_marks" not in self.contest.tie_break:
            return None
        best: dict[tuple[str, str], Decimal] = {}
        for c in self.contest.in_category(category):
            for rnd in rounds:
                if rnd.kind != "judged":
                    continue
                for panel in self.round_result(rnd.id, c.id).panels:
                    for line in panel.judges:
                        if line.counted and line.total is not None:
                            k = (rnd.id, line.judge)
                            if k not in best or line.total > best[k]:
                                best[k] = line.total
        return best

    def standings(self, category: str) -> CategoryStandings:
        cached = self._standings.get(category)
        if cached is None:
            cached = compute_standings(self, category)
            self._standings[category] = cached
        return cached

    def all_standings(self) -> list[CategoryStandings]:
        return [self.standings(c.id) for c in self.contest.categories]

    def unit_results(self) -> list[UnitResult]:
        return unit_standings(self.contest, [s for cat in self.all_standings() for s in cat.standings])

    def standing(self, cid: str) -> Standing:
        contestant = self.contest.contestant(cid)
        for s in self.standings(contestant.category).standings:  # type: ignore[union-attr]
            if s.contestant.id == cid:
                return s
        raise KeyError(cid)

def tabulate(
    contest: Contest,
    cards: Iterable[tuple[str, str, str, Mapping[str, object]]] = (),
    points: Iterable[tuple[str, str, str, str, object]] = (),
    adjustments: Iterable[Adjustment] | None = None,
) -> Tabulator:
    """Full recompute: a fresh tabulator fed every card (round, contestant, judge, scores)
    and every points award (round, contestant, key, question, points)."""
    tab = Tabulator(contest, adjustments)
    if len(contest.rounds) == 1 and contest.rounds[0].kind == "judged" and points == ():
        # One judged round: every card of it goes in, in the order given; nothing to sort.
        load_round(tab, contest.rounds[0].id, cards, others=True)
        return tab
    by_round: dict[str, list] = {}
    for card in cards:
        by_round.setdefault(card[0], []).append(card)
    for pts in points:
        by_round.setdefault(pts[0], []).append(pts)
    # Round by round, so that who advanced is known before the next round's marks arrive.
    for rnd in contest.rounds:
        if rnd.kind == "points":
            for item in by_round.get(rnd.id, ()):
                tab.set_points(*item)
        else:
            load_round(tab, rnd.id, by_round.get(rnd.id, ()))
    return tab
