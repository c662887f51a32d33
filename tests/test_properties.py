"""Properties of the rules engine over small generated contests and marks.

- standings are a permutation of the field, ranks are competition ranks;
- the order in which marks arrive never changes the result;
- raising one mark never lowers that contestant's total;
- any sequence of incremental updates gives what a full recompute (``tabulate``) gives.

Contests are built from plain dicts with ``build_contest``, as a parsed contest file would be.
Results are compared both as result objects and as the JSON the command line prints.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from judging.report import standings_data
from judging.rules.build import build_contest
from judging.rules.engine import Tabulator, tabulate

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

RULES = ("mean", "trimmed", "median", "sum")
WEIGHTS = {1: ["1"], 2: ["0.7", "0.3"], 3: ["0.5", "0.3", "0.2"]}
STEPS = ("1", "0.5", "0.25")
MAX = 10


@st.composite
def contest_data(draw) -> dict:
    n_categories = draw(st.integers(1, 2))
    categories = [{"id": f"k{i}", "name": f"Category {i}"} for i in range(n_categories)]
    n_panels = draw(st.integers(1, 3))
    panels, judges = [], []
    for i, weight in enumerate(WEIGHTS[n_panels]):
        rule = draw(st.sampled_from(RULES))
        panel = {"id": f"p{i}", "weight": Decimal(weight), "rule": rule}
        if rule == "trimmed":
            panel["too_few"] = draw(st.sampled_from(["mean", "incomplete"]))
        panels.append(panel)
        for j in range(draw(st.integers(1, 5))):
            judges.append({"id": f"p{i}j{j}", "panel": f"p{i}", "unit": draw(st.sampled_from(["", "U1", "U2"]))})
    if draw(st.booleans()):
        judges.append({"id": "shadow", "panel": "p0", "shadow": True})
    n_rounds = draw(st.integers(1, 2))
    rounds = []
    for r in range(n_rounds):
        aggregate = draw(st.sampled_from(["judge-total", "per-criterion"]))
        places = ["criterion", "product", "panel", "end"] if aggregate == "per-criterion" else ["product", "panel", "end"]
        round_at = draw(st.lists(st.sampled_from(places), unique=True, max_size=3))
        criteria = [
            {
                "id": f"r{r}c{c}",
                "min": 0,
                "max": MAX,
                "step": Decimal(draw(st.sampled_from(STEPS))),
                "factor": Decimal(draw(st.sampled_from(["1", "2", "0.8", "1.6"]))),
            }
            for c in range(draw(st.integers(1, 3)))
        ]
        rounds.append(
            {
                "id": f"r{r}",
                "aggregate": aggregate,
                "round_at": round_at,
                "criteria": criteria,
                "weight": Decimal("1") if n_rounds == 1 else Decimal("0.5"),
            }
        )
    n = draw(st.integers(1, 7))
    contestants = [
        {
            "id": f"c{i}",
            "name": f"Contestant {i}",
            "category": draw(st.sampled_from([c["id"] for c in categories])),
            "unit": draw(st.sampled_from(["", "U1", "U2", "U3"])),
            "order": draw(st.integers(1, 9)),
        }
        for i in range(n)
    ]
    crit_ids = [c["id"] for r in rounds for c in r["criteria"]]
    tie_break = draw(
        st.lists(
            st.sampled_from(["raw_mean", "highest_marks", "panel:p0", f"criterion:{crit_ids[0]}", f"round:r0"]),
            unique=True,
            max_size=2,
        )
    )
    data = {
        "contest": {
            "name": "generated",
            "precision": draw(st.integers(0, 3)),
            "rounding": draw(st.sampled_from(["half-up", "half-even", "down", "up"])),
            "recuse_same_unit": draw(st.booleans()),
        },
        "categories": categories,
        "panels": panels,
        "judges": judges,
        "rounds": rounds,
        "contestants": contestants,
        "ranking": {"tie_break": tie_break},
        "awards": {
            "tiers": [{"name": "first", "count": 1}, {"name": "second", "share": Decimal("0.5")}],
            "tie_at_cut": draw(st.sampled_from(["include", "exclude"])),
            "single": [{"name": "best", "criterion": crit_ids[-1]}] if draw(st.booleans()) else [],
        },
    }
    if draw(st.booleans()):
        data["adjustments"] = [{"contestant": "c0", "points": Decimal("-0.5"), "reason": "overtime"}]
    if draw(st.booleans()):
        data["awards"]["units"] = {"method": draw(st.sampled_from(["sum", "mean"])), "best": 2}
    return data


def _values(criterion) -> list[Decimal]:
    step = criterion.step
    return [criterion.min + step * k for k in range(int((criterion.max - criterion.min) / step) + 1)]


@st.composite
def contest_and_cards(draw, narrow: bool = False):
    """A contest and a list of complete cards (round, contestant, judge, {criterion: mark}).
    ``narrow``: also a recusal and a judge of one category only, so that some judges may
    not mark some contestants whatever their units."""
    data = draw(contest_data())
    if narrow:
        data["recusals"] = [{"judge": data["judges"][0]["id"], "contestant": "c0"}]
        data["judges"].append({"id": "narrow", "panel": "p0", "categories": ["k0"]})
    contest = build_contest(data)
    cards = []
    for rnd in contest.rounds:
        for c in contest.contestants:
            for judge in contest.judges_for(rnd, c):
                if draw(st.integers(0, 9)) < 8:  # most judges have marked
                    card = {crit.id: str(draw(st.sampled_from(_values(crit)))) for crit in rnd.criteria}
                    cards.append((rnd.id, c.id, judge.id, card))
    return contest, cards


def snapshot(tab: Tabulator):
    """Everything a user sees: result objects and the printed JSON."""
    return tab.all_standings(), tab.unit_results(), standings_data(tab)


def totals(tab: Tabulator) -> dict[str, Decimal | None]:
    return {s.contestant.id: s.total for cat in tab.all_standings() for s in cat.standings}


@SETTINGS
@given(contest_and_cards())
def test_standings_are_a_permutation_of_the_field(case):
    contest, cards = case
    tab = tabulate(contest, cards)
    for cat in tab.all_standings():
        ids = [s.contestant.id for s in cat.standings]
        assert sorted(ids) == sorted(c.id for c in contest.in_category(cat.category))
        ranked = [s for s in cat.standings if s.rank is not None]
        unranked = [s for s in cat.standings if s.rank is None]
        assert cat.standings[: len(ranked)] == tuple(ranked)  # incomplete results come last
        assert all(s.total is None for s in unranked) and all(s.total is not None for s in ranked)
        for position, s in enumerate(ranked, start=1):
            same = [t for t in ranked if t.rank == s.rank]
            # competition ranks: a shared rank is the position of the first of the group
            assert s.rank == 1 + sum(1 for t in ranked if t.rank < s.rank)
            assert s.rank <= position < s.rank + len(same)
        assert [s.total for s in ranked] == sorted((s.total for s in ranked), reverse=True)


@SETTINGS
@given(contest_and_cards(), st.randoms(use_true_random=False))
def test_arrival_order_never_changes_the_result(case, rng):
    contest, cards = case
    shuffled = list(cards)
    rng.shuffle(shuffled)
    assert snapshot(tabulate(contest, shuffled)) == snapshot(tabulate(contest, cards))


@SETTINGS
@given(contest_and_cards(), st.data())
def test_raising_one_mark_never_lowers_that_total(case, data):
    contest, cards = case
    raisable = [
        (i, crit)
        for i, (rid, _, _, card) in enumerate(cards)
        for crit in contest.round(rid).criteria
        if Decimal(card[crit.id]) < crit.max
    ]
    if not raisable:
        return
    base = totals(tabulate(contest, cards))
    # A few raises per contest, each from the original marks; larger raises first.
    for i, crit in data.draw(st.lists(st.sampled_from(raisable), min_size=1, max_size=4, unique=True)):
        rid, cid, jid, card = cards[i]
        above = sorted((v for v in _values(crit) if v > Decimal(card[crit.id])), reverse=True)
        higher = data.draw(st.sampled_from(above))
        raised = list(cards)
        raised[i] = (rid, cid, jid, {**card, crit.id: str(higher)})
        after = totals(tabulate(contest, raised))[cid]
        assert (base[cid] is None) == (after is None)
        if after is not None:
            assert after >= base[cid], (cid, jid, crit.id, card[crit.id], str(higher))


@st.composite
def update_sequences(draw):
    contest, cards = draw(contest_and_cards())
    slots = sorted({(rid, cid, jid) for rid, cid, jid, _ in cards})
    ops = []
    for _ in range(draw(st.integers(0, 40))):
        kind = draw(st.sampled_from(["set", "set", "cell", "remove", "query"]))
        if kind == "query" or not slots:
            ops.append(("query", draw(st.sampled_from([c.id for c in contest.categories]))))
            continue
        rid, cid, jid = draw(st.sampled_from(slots))
        rnd = contest.round(rid)
        if kind == "set":
            card = {c.id: str(draw(st.sampled_from(_values(c)))) for c in rnd.criteria}
            ops.append(("set", rid, cid, jid, card))
        elif kind == "cell":
            crit = draw(st.sampled_from(rnd.criteria))
            ops.append(("cell", rid, cid, jid, crit.id, str(draw(st.sampled_from(_values(crit))))))
        else:
            ops.append(("remove", rid, cid, jid))
    return contest, cards, ops


@SETTINGS
@given(update_sequences())
def test_incremental_updates_equal_a_full_recompute(case):
    contest, cards, ops = case
    tab = tabulate(contest, cards)
    tab.all_standings()  # fill the caches the updates must invalidate
    state = {(rid, cid, jid): dict(card) for rid, cid, jid, card in cards}
    for op in ops:
        if op[0] == "query":
            tab.standings(op[1])
            tab.unit_results()
        elif op[0] == "set":
            _, rid, cid, jid, card = op
            tab.set_card(rid, cid, jid, card)
            state[(rid, cid, jid)] = dict(card)
        elif op[0] == "cell":
            _, rid, cid, jid, crit, value = op
            if (rid, cid, jid) not in state:
                continue  # a lone cell would leave an incomplete card tabulate() cannot take
            tab.set_score(rid, cid, jid, crit, value)
            state[(rid, cid, jid)][crit] = value
        else:
            _, rid, cid, jid = op
            tab.remove_card(rid, cid, jid)
            state.pop((rid, cid, jid), None)
    fresh = tabulate(contest, [(rid, cid, jid, card) for (rid, cid, jid), card in state.items()])
    assert snapshot(tab) == snapshot(fresh)


@SETTINGS
@given(contest_and_cards(), st.randoms(use_true_random=False))
def test_ties_share_a_rank_and_keep_the_roster_order(case, rng):
    """Contestants whose marks are identical copies tie: same total and rank, listed in
    roster order, whatever order the marks arrived in."""
    contest, cards = case
    twin_of = {}
    for cat in contest.categories:
        people = contest.in_category(cat.id)
        if len(people) >= 2:
            twin_of[people[1].id] = people[0].id
    if not twin_of:
        return
    by_slot = {(rid, cid, jid): card for rid, cid, jid, card in cards}
    copied = [card for card in cards if card[1] not in twin_of]
    for twin, first in twin_of.items():
        for rnd in contest.rounds:
            for judge in contest.judges_for(rnd, contest.contestant(first)):
                card = by_slot.get((rnd.id, first, judge.id))
                if card is not None and not contest.is_recused(judge.id, twin):
                    copied.append((rnd.id, twin, judge.id, card))
    rng.shuffle(copied)
    tab = tabulate(contest, copied)
    for twin, first in twin_of.items():
        a, b = tab.standing(first), tab.standing(twin)
        same_panel = all(contest.is_recused(j.id, twin) == contest.is_recused(j.id, first) for j in contest.judges)
        if not same_panel or contest.adjustments or a.total is None:
            continue
        assert (a.total, a.rank) == (b.total, b.rank)
        order = [s.contestant.id for s in tab.standings(contest.contestant(first).category).standings]
        assert order.index(first) < order.index(twin)


# -- guards on the engine's fast paths ---------------------------------------------------------

CRITERION = build_contest(
    {
        "contest": {"name": "one criterion"},
        "categories": [{"id": "k"}],
        "panels": [{"id": "p"}],
        "judges": [{"id": "j", "panel": "p"}],
        "rounds": [{"id": "r", "criteria": [{"id": "a", "min": 0, "max": 10, "step": Decimal("0.5")}]}],
        "contestants": [{"id": "c", "name": "C", "category": "k"}],
    }
).rounds[0].criteria[0]


def _outcome(value):
    from judging.rules.errors import MarkError
    from judging.rules.validate import check_value

    try:
        mark = check_value(CRITERION, value)
        return ("ok", mark, str(mark))
    except MarkError as e:
        return ("error", e.code)


@SETTINGS
@given(
    st.lists(
        st.one_of(
            st.sampled_from(["7.5", " 7.5", "7.50", "10", "10.5", "-0", "abc", "", "7.25", "NaN", "1e1"]),
            st.decimals(min_value=-1, max_value=11, places=2).map(str),
            st.floats(allow_nan=False, allow_infinity=False),
            st.booleans(),
            st.integers(-2, 12),
        ),
        max_size=12,
    )
)
def test_a_mark_checked_again_is_checked_the_same_way(values):
    """Marks remembered by their text (the validation cache) come back exactly as a first
    check gives them, and a float or a bool is refused even when an equal text was accepted."""
    for value in values + values:
        first = _outcome(value)
        assert _outcome(value) == first
        if isinstance(value, (float, bool)):
            assert first[0] == "error"
        elif isinstance(value, str) and first[0] == "ok":
            assert first[1] == Decimal(value.strip())


FAULTS = ("unknown_judge", "other_judge", "outsider", "unknown_contestant", "bad_text", "float", "decimal", "int", "spaced",
          "missing", "extra", "unhashable", "mapping")


def _fault(draw, contest, card_tuple):
    """A card as a careless sheet or client might send it: some still valid, most not."""
    from types import MappingProxyType

    rid, cid, jid, card = card_tuple
    kind = draw(st.sampled_from(FAULTS + ("outsider", "outsider", "bad_text")))  # the refusals most worth seeing
    key = draw(st.sampled_from(sorted(card)))
    card = dict(card)
    if kind == "unknown_judge":
        jid = "nobody"
    elif kind == "other_judge":
        jid = draw(st.sampled_from([j.id for j in contest.judges]))
    elif kind == "outsider":  # a judge who may not mark this contestant (recused), if any
        allowed = {j.id for j in contest.judges_for(contest.round(rid), contest.contestant(cid))}
        jid = draw(st.sampled_from([j.id for j in contest.judges if j.id not in allowed] or ["nobody"]))
    elif kind == "unknown_contestant":
        cid = "nobody"
    elif kind == "bad_text":
        card[key] = draw(st.sampled_from(["0.13", "11", "-1", "abc", "", "NaN"]))
    elif kind == "float":
        card[key] = float(card[key])
    elif kind == "decimal":
        card[key] = Decimal(card[key])
    elif kind == "int":
        card[key] = int(Decimal(card[key]))  # off step when the mark had a fraction
    elif kind == "spaced":
        card[key] = f" {card[key]} "
    elif kind == "missing":
        del card[key]
    elif kind == "extra":
        card["zz"] = "1"
    elif kind == "unhashable":
        card[key] = [card[key]]
    else:
        return rid, cid, jid, MappingProxyType(card)
    return rid, cid, jid, card


@st.composite
def cards_with_faults(draw):
    contest, cards = draw(contest_and_cards(narrow=True))
    cards = list(cards)
    if cards:
        for i in draw(st.lists(st.integers(0, len(cards) - 1), max_size=4, unique=True)):
            cards[i] = _fault(draw, contest, cards[i])
    return contest, cards


def _load(contest, cards, bulk: bool):
    """Cards fed round by round as ``tabulate`` does, in bulk or one ``set_card`` at a time;
    the first error (code and sentence) and everything the tabulator shows after it."""
    from judging.rules.errors import MarkError
    from judging.rules.load import load_round

    tab = Tabulator(contest)
    error = None
    try:
        for rnd in contest.rounds:
            mine = [card for card in cards if card[0] == rnd.id]
            if bulk:
                load_round(tab, rnd.id, mine)
            else:
                for card in mine:
                    tab.set_card(*card)
    except MarkError as e:
        error = (e.code, e.message)
    return error, snapshot(tab)


@SETTINGS
@given(contest_and_cards(narrow=True))
def test_who_may_mark_whom_is_worked_out_once_and_right(case):
    """The contest keeps who may mark each contestant (shared by a category when nobody is
    recused from them); it is exactly whom ``check_target`` lets through."""
    from judging.rules.errors import MarkError
    from judging.rules.validate import check_target

    contest, _ = case
    for _ in range(2):  # worked out, then kept
        for rnd in contest.rounds:
            for c in contest.contestants:
                judges, ids = contest.scorers(rnd, c)
                assert list(judges) == contest.judges_for(rnd, c) and ids == {j.id for j in judges}
                for j in contest.judges:
                    try:
                        check_target(contest, rnd.id, c.id, j.id)
                        allowed = True
                    except MarkError:
                        allowed = False
                    assert (j.id in ids) == allowed, (rnd.id, c.id, j.id)
                plan = contest.plan(rnd, c)
                assert [p[0].id for p in plan] == list(rnd.panels)
                for panel, weight, pj, pids, shadows in plan:
                    assert pj == tuple(j for j in judges if j.panel == panel.id) and pids == tuple(j.id for j in pj)
                    assert weight == contest.panel_weight(rnd, panel.id) and shadows == any(j.shadow for j in pj)


@SETTINGS
@given(cards_with_faults())
def test_bulk_load_equals_card_by_card(case):
    """``tabulate`` checks a round's cards in bulk; it must take, refuse and report exactly
    what ``set_card`` one card at a time does, with marks never seen before (first load) and
    with marks already checked (second)."""
    contest, cards = case
    cold = _load(contest, cards, bulk=True)
    assert _load(contest, cards, bulk=False) == cold
    assert _load(contest, cards, bulk=True) == cold
    if cold[0] is None:
        assert snapshot(tabulate(contest, cards)) == cold[1]
        # Cards naming a round the contest does not have are passed over, wherever they are.
        stray = [("nowhere", cid, jid, card) for _, cid, jid, card in cards[:2]]
        assert snapshot(tabulate(contest, stray + cards + stray)) == cold[1]


@SETTINGS
@given(update_sequences())
def test_judge_lines_read_late_are_the_cards_scored(case):
    """A panel's judge lines are built when first read; whenever that is, they are the
    cards the panel was scored on, worked out as the rules say, one card at a time."""
    from judging.rules.aggregate import aggregate
    from judging.rules.decimals import round_to

    contest, cards, ops = case
    tab = tabulate(contest, cards)
    handed_out = []
    for op in ops:  # results taken before a change, read after it
        if op[0] in ("set", "cell", "remove"):
            handed_out.append((op[1], op[2], dict(tab.cards(op[1], op[2])), tab.round_result(op[1], op[2])))
        try:
            {"set": tab.set_card, "cell": tab.set_score, "remove": tab.remove_card}.get(op[0], lambda *a: None)(*op[1:])
        except Exception:
            pass  # e.g. a lone cell for a judge with no card yet: fine, nothing changes
    fresh = [(r.id, c.id, dict(tab.cards(r.id, c.id)), tab.round_result(r.id, c.id)) for r in contest.rounds for c in contest.contestants]
    for rid, cid, held, result in handed_out + fresh:
        rnd, contestant = contest.round(rid), contest.contestant(cid)
        if rnd.aggregate != "judge-total":
            continue
        for panel in result.panels:
            rule = contest.panel(panel.panel)
            judges = [j for j in contest.judges_for(rnd, contestant) if j.panel == panel.panel and j.id in held]
            assert [line.judge for line in panel.judges] == [j.id for j in judges]
            totals = []
            for j, line in zip(judges, panel.judges):
                card = held[j.id]
                total = None
                if len(card) == len(rnd.criteria):
                    total = Decimal(0)
                    for c in rnd.criteria:
                        product = card[c.id] * c.factor if c.factor != 1 else card[c.id]
                        if c.factor != 1 and "product" in rnd.round_at:
                            product = round_to(product, contest.precision, contest.rounding)
                        total += product
                assert line.scores == card and (line.total, line.shadow) == (total, j.shadow)
                assert line.counted == (total is not None and not j.shadow)
                totals.append(total)
            counted = [i for i, line in enumerate(panel.judges) if line.counted]
            _, dropped, _ = aggregate([totals[i] for i in counted], rule)
            assert {i for i, line in enumerate(panel.judges) if line.dropped} == {counted[k] for k in dropped}
            assert panel.missing == tuple(
                j.id for j in contest.judges_for(rnd, contestant)
                if j.panel == panel.panel and not j.shadow and j.id not in {panel.judges[i].judge for i in counted}
            )


def test_fast_builders_make_the_same_frozen_objects():
    import dataclasses

    from judging.rules.results import JudgeLine, Standing, judge_line, standing

    card = {"a": Decimal("7.5")}
    fast = judge_line("j", "p", card, Decimal("7.5"), True, True, False, frozenset({"a"}))
    assert fast == JudgeLine("j", "p", card, Decimal("7.5"), True, True, False, frozenset({"a"}))
    assert judge_line("j", "p", card, None, False) == JudgeLine("j", "p", card, None, False)
    contestant = build_contest(contest_and_cards_example()).contestants[0]
    args = (contestant, 1, Decimal("9.5"), {}, "r0", (), "first", "", ("best",))
    assert standing(*args) == Standing(*args)
    assert standing(*args[:5]) == Standing(*args[:5])
    from judging.rules.results import PanelResult, RoundResult, panel_result, round_result

    d = Decimal("8.25")
    panel = (("p", "trimmed", Decimal("0.5"), (fast,), d, d / 2, (), "note", ("k",)), ("p", "mean", Decimal(1), (), None, None))
    for fields in panel:
        assert panel_result(*fields) == PanelResult(*fields)
        assert repr(panel_result(*fields)) == repr(PanelResult(*fields))
    result = ("r", "c", "judged", d, d, d, (panel_result(*panel[0]),), (), (), {"a": d}, "half-up to 2 decimals at end")
    assert round_result(*result) == RoundResult(*result)
    assert round_result(*result[:6]) == RoundResult(*result[:6])
    for obj, name in ((fast, "total"), (standing(*args), "rank"), (panel_result(*panel[0]), "judges"), (round_result(*result), "final")):
        try:
            setattr(obj, name, None)
        except dataclasses.FrozenInstanceError:
            pass
        else:
            raise AssertionError(f"{type(obj).__name__} built fast is not frozen")


def contest_and_cards_example() -> dict:
    return {
        "contest": {"name": "example", "precision": 2},
        "categories": [{"id": "k0"}],
        "panels": [{"id": "p0", "weight": Decimal("1"), "rule": "trimmed"}],
        "judges": [{"id": f"j{i}", "panel": "p0"} for i in range(3)],
        "rounds": [{"id": "r0", "criteria": [{"id": "a", "max": 10, "step": Decimal("0.25")}]}],
        "contestants": [{"id": "c0", "name": "A", "category": "k0"}],
    }
