"""Worked examples of every contest rule, small enough to check by hand.

Each test builds a tiny contest from plain dicts (as a parsed contest file gives them),
feeds marks to the engine and compares with the hand computation written beside it.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from judging.rules.build import build_contest
from judging.rules.engine import Tabulator, tabulate
from judging.rules.errors import ContestInvalid, MarkError
from judging.rules.model import Adjustment


# -- helpers -------------------------------------------------------------------------------


def people(*ids: str, category: str = "c", units: dict[str, str] | None = None) -> list[dict]:
    units = units or {}
    return [{"id": i, "name": f"Name {i}", "category": category, "unit": units.get(i, "")} for i in ids]


def judges(panel: str, *ids: str, **extra) -> list[dict]:
    return [{"id": i, "panel": panel, **extra} for i in ids]


def make(**sections) -> object:
    """A contest with one category ``c``, one mean panel ``p`` (judges j1..j3) and one
    round ``r`` scored as one total 0..100 in steps of 0.5, at 2 decimals, half-up;
    any section given replaces the default one."""
    data = {
        "contest": {"name": "example", "precision": 2, "rounding": "half-up"},
        "categories": [{"id": "c", "name": "C"}],
        "panels": [{"id": "p", "weight": 1, "rule": "mean"}],
        "judges": judges("p", "j1", "j2", "j3"),
        "rounds": [{"id": "r", "max": 100, "step": "0.5"}],
        "contestants": people("A", "B", "C"),
    }
    data.update(sections)
    return build_contest(data)


def cards(rid: str, table: dict[str, dict[str, object]]) -> list:
    """{contestant: {judge: total}} -> cards for a round scored as one total."""
    return [(rid, cid, jid, {"total": str(v)}) for cid, row in table.items() for jid, v in row.items()]


def ranks(tab: Tabulator, category: str = "c") -> dict[str, int | None]:
    return {s.contestant.id: s.rank for s in tab.standings(category).standings}


def totals(tab: Tabulator, category: str = "c") -> dict[str, D | None]:
    return {s.contestant.id: s.total for s in tab.standings(category).standings}


def awards(tab: Tabulator, category: str = "c") -> dict[str, str]:
    return {s.contestant.id: s.award for s in tab.standings(category).standings}


# -- panel aggregation ---------------------------------------------------------------------


def test_trimmed_mean_with_a_recusal():
    # Five judges, drop one highest and one lowest. j5 is recused from A (回避):
    # A is marked by j1..j4 only: 80, 84, 86, 90 -> drop 80 and 90 -> (84 + 86) / 2 = 85.00
    # B is marked by all five: 70, 80, 82, 84, 100 -> drop 70 and 100 -> 246 / 3 = 82.00
    contest = make(
        panels=[{"id": "p", "weight": 1, "rule": "trimmed", "trim": 1}],
        judges=judges("p", "j1", "j2", "j3", "j4", "j5"),
        contestants=people("A", "B"),
        recusals=[{"judge": "j5", "contestant": "A"}],
    )
    tab = tabulate(
        contest,
        cards("r", {"A": {"j1": 80, "j2": 84, "j3": 86, "j4": 90}, "B": {"j1": 70, "j2": 80, "j3": 82, "j4": 84, "j5": 100}}),
    )
    a = tab.round_result("r", "A").panels[0]
    assert a.score == D("85")
    assert a.missing == ()  # the recused judge is not expected to score
    assert {line.judge for line in a.judges if line.dropped} == {"j1", "j4"}
    assert totals(tab) == {"A": D("85.00"), "B": D("82.00")}
    with pytest.raises(MarkError) as e:
        tab.set_card("r", "A", "j5", {"total": "95"})
    assert e.value.code == "recused"


def test_panels_weighted_70_20_10():
    # expert mean (90 + 92) / 2 = 91, model (80 + 84) / 2 = 82, public (70 + 71 + 72) / 3 = 71
    # 0.7 * 91 + 0.2 * 82 + 0.1 * 71 = 63.7 + 16.4 + 7.1 = 87.20
    contest = make(
        panels=[
            {"id": "expert", "weight": "0.7"},
            {"id": "model", "weight": "0.2"},
            {"id": "public", "weight": "0.1"},
        ],
        judges=judges("expert", "e1", "e2") + judges("model", "m1", "m2") + judges("public", "p1", "p2", "p3"),
        contestants=people("A"),
    )
    tab = tabulate(contest, cards("r", {"A": {"e1": 90, "e2": 92, "m1": 80, "m2": 84, "p1": 70, "p2": 71, "p3": 72}}))
    result = tab.round_result("r", "A")
    assert [(p.panel, p.score, p.weighted) for p in result.panels] == [
        ("expert", D("91"), D("63.7")),
        ("model", D("82"), D("16.4")),
        ("public", D("71"), D("7.1")),
    ]
    assert totals(tab) == {"A": D("87.20")}


# Rounding placements, at 0 decimals half-up so the effect is plain. Two panels weighted
# 0.5 / 0.5, marks 0..10 in steps of 0.5.
#   X: panel a (1, 1) -> 1,   panel b (1, 1) -> 1
#   Y: panel a (1, 2) -> 1.5, panel b (2, 3) -> 2.5
# end only:  X 0.5 + 0.5 = 1.0 -> 1            Y 0.75 + 1.25 = 2.00 -> 2
# product:   X 0.5 -> 1, 0.5 -> 1: 2           Y 0.75 -> 1, 1.25 -> 1: 2
# panel:     X 1, 1: 0.5 + 0.5 = 1             Y 1.5 -> 2, 2.5 -> 3: 1 + 1.5 = 2.5 -> 3
@pytest.mark.parametrize(
    "round_at, x, y",
    [(["end"], "1", "2"), (["product"], "2", "2"), (["panel"], "1", "3"), (["panel", "product"], "2", "3")],
)
def test_rounding_placement_changes_the_result(round_at, x, y):
    contest = make(
        contest={"name": "rounding", "precision": 0, "rounding": "half-up"},
        panels=[{"id": "a", "weight": "0.5"}, {"id": "b", "weight": "0.5"}],
        judges=judges("a", "a1", "a2") + judges("b", "b1", "b2"),
        rounds=[{"id": "r", "max": 10, "step": "0.5", "round_at": round_at}],
        contestants=people("X", "Y"),
    )
    tab = tabulate(contest, cards("r", {"X": {"a1": 1, "a2": 1, "b1": 1, "b2": 1}, "Y": {"a1": 1, "a2": 2, "b1": 2, "b2": 3}}))
    assert tab.standing("X").total == D(x)
    assert tab.standing("Y").total == D(y)


# Rounding at "criterion" (per-criterion aggregation, as ISU panels do): one panel of two
# judges, criteria a and b, both marked 1 and 2.
#   a: (1 + 2) / 2 = 1.5, b: 1.5
#   end only:  1.5 + 1.5 = 3.0 -> 3
#   criterion: 1.5 -> 2, 1.5 -> 2: 4
@pytest.mark.parametrize("round_at, expected", [(["end"], "3"), (["criterion"], "4")])
def test_rounding_at_criterion(round_at, expected):
    contest = make(
        contest={"name": "rounding", "precision": 0, "rounding": "half-up"},
        judges=judges("p", "j1", "j2"),
        rounds=[
            {
                "id": "r",
                "aggregate": "per-criterion",
                "round_at": round_at,
                "criteria": [{"id": "a", "max": 10, "step": "0.5"}, {"id": "b", "max": 10, "step": "0.5"}],
            }
        ],
        contestants=people("A"),
    )
    tab = tabulate(contest, [("r", "A", "j1", {"a": "1", "b": "1"}), ("r", "A", "j2", {"a": "2", "b": "2"})])
    assert tab.standing("A").total == D(expected)
    crit = tab.round_result("r", "A").panels[0].criteria
    assert [c.score for c in crit] == ([D("1.5"), D("1.5")] if expected == "3" else [D("2"), D("2")])


# Too few marks to trim: a trimmed panel of three where j3 is recused from A leaves two
# marks (80, 90), too few to drop one from each end and keep one.
#   too_few = "mean":       (80 + 90) / 2 = 85.00, with a note
#   too_few = "incomplete": no panel score, A is not ranked
@pytest.mark.parametrize("too_few, expected", [("mean", D("85.00")), ("incomplete", None)])
def test_too_few_marks_to_trim(too_few, expected):
    contest = make(
        panels=[{"id": "p", "weight": 1, "rule": "trimmed", "trim": 1, "too_few": too_few}],
        contestants=people("A", "B"),
        recusals=[{"judge": "j3", "contestant": "A"}],
    )
    tab = tabulate(contest, cards("r", {"A": {"j1": 80, "j2": 90}, "B": {"j1": 70, "j2": 75, "j3": 80}}))
    panel = tab.round_result("r", "A").panels[0]
    assert "too few" in panel.note
    assert tab.standing("A").total == expected
    assert ranks(tab) == ({"A": 1, "B": 2} if expected else {"B": 1, "A": None})


def test_median_of_odd_and_even_panels():
    # A: 60, 95, 80 -> sorted 60, 80, 95 -> 80.00
    # B: 70, 90, 80, 100 -> sorted 70, 80, 90, 100 -> (80 + 90) / 2 = 85.00
    contest = make(
        panels=[{"id": "p", "weight": 1, "rule": "median"}],
        judges=judges("p", "j1", "j2", "j3", "j4"),
        contestants=people("A", "B"),
        recusals=[{"judge": "j4", "contestant": "A"}],
    )
    tab = tabulate(contest, cards("r", {"A": {"j1": 60, "j2": 95, "j3": 80}, "B": {"j1": 70, "j2": 90, "j3": 80, "j4": 100}}))
    assert totals(tab) == {"B": D("85.00"), "A": D("80.00")}


def test_sum_of_a_panel():
    # 7 + 8 + 9.5 = 24.50
    contest = make(panels=[{"id": "p", "weight": 1, "rule": "sum"}], contestants=people("A"))
    tab = tabulate(contest, cards("r", {"A": {"j1": 7, "j2": 8, "j3": "9.5"}}))
    assert totals(tab) == {"A": D("24.50")}


def test_shadow_judge_is_recorded_but_never_counted():
    # j1 80, j2 90 -> 85.00; the shadow t1 gives 0 and changes nothing.
    # B: the shadow has not scored and is not listed as missing.
    contest = make(
        judges=judges("p", "j1", "j2") + [{"id": "t1", "panel": "p", "shadow": True}],
        contestants=people("A", "B"),
    )
    tab = tabulate(contest, cards("r", {"A": {"j1": 80, "j2": 90, "t1": 0}, "B": {"j1": 80, "j2": 80}}))
    panel = tab.round_result("r", "A").panels[0]
    shadow = next(line for line in panel.judges if line.judge == "t1")
    assert shadow.shadow and not shadow.counted and shadow.total == D("0")
    assert panel.score == D("85")
    assert totals(tab)["A"] == D("85.00")
    assert tab.round_result("r", "B").panels[0].missing == ()


# -- ranking and tie-breaks ----------------------------------------------------------------


def test_tie_break_panel():
    # Two panels 0.5 / 0.5. A: expert 90, public 80 -> 85; B: expert 80, public 90 -> 85.
    # panel:expert: A 90 > B 80.
    contest = make(
        panels=[{"id": "expert", "weight": "0.5"}, {"id": "public", "weight": "0.5"}],
        judges=judges("expert", "e1") + judges("public", "p1"),
        contestants=people("B", "A"),
        ranking={"tie_break": ["panel:expert"]},
    )
    tab = tabulate(contest, cards("r", {"A": {"e1": 90, "p1": 80}, "B": {"e1": 80, "p1": 90}}))
    assert totals(tab) == {"A": D("85.00"), "B": D("85.00")}
    assert ranks(tab) == {"A": 1, "B": 2}


TEACHING = [
    {"id": "design", "name": "教学设计", "max": 20, "step": "0.5"},
    {"id": "class", "name": "课堂教学", "max": 80, "step": "0.5"},
]


def test_tie_break_criterion():
    # A: design 18 + class 70 = 88; B: design 16 + class 72 = 88. criterion:design: A 18 > B 16.
    contest = make(
        judges=judges("p", "j1"),
        rounds=[{"id": "r", "criteria": TEACHING}],
        contestants=people("B", "A"),
        ranking={"tie_break": ["criterion:design"]},
    )
    tab = tabulate(contest, [("r", "A", "j1", {"design": 18, "class": 70}), ("r", "B", "j1", {"design": 16, "class": 72})])
    assert totals(tab) == {"A": D("88.00"), "B": D("88.00")}
    assert ranks(tab) == {"A": 1, "B": 2}


def test_tie_break_round():
    # Rounds weighted 0.5 / 0.5. A: 80, 90 -> 85; B: 90, 80 -> 85. round:r2: A 90 > B 80.
    contest = make(
        judges=judges("p", "j1"),
        rounds=[{"id": "r1", "max": 100, "weight": "0.5"}, {"id": "r2", "max": 100, "weight": "0.5"}],
        contestants=people("B", "A"),
        ranking={"tie_break": ["round:r2"]},
    )
    tab = tabulate(contest, cards("r1", {"A": {"j1": 80}, "B": {"j1": 90}}) + cards("r2", {"A": {"j1": 90}, "B": {"j1": 80}}))
    assert totals(tab) == {"A": D("85.00"), "B": D("85.00")}
    assert ranks(tab) == {"A": 1, "B": 2}


def test_tie_break_raw_mean():
    # Trimmed panel of four. A: 70, 80, 80, 90 -> trimmed (80 + 80) / 2 = 80; raw mean 320 / 4 = 80
    #                        B: 60, 80, 80, 80 -> trimmed (80 + 80) / 2 = 80; raw mean 300 / 4 = 75
    contest = make(
        panels=[{"id": "p", "weight": 1, "rule": "trimmed", "trim": 1}],
        judges=judges("p", "j1", "j2", "j3", "j4"),
        contestants=people("B", "A"),
        ranking={"tie_break": ["raw_mean"]},
    )
    tab = tabulate(contest, cards("r", {"A": {"j1": 70, "j2": 80, "j3": 80, "j4": 90}, "B": {"j1": 60, "j2": 80, "j3": 80, "j4": 80}}))
    assert totals(tab) == {"A": D("80.00"), "B": D("80.00")}
    assert ranks(tab) == {"A": 1, "B": 2}


def test_tie_break_highest_marks():
    # A: 90, 80, 85 -> 85; B: 85, 84, 86 -> 85; C: 70, 70, 70.
    # Each judge's highest: j1 90 (A), j2 84 (B), j3 86 (B). A has 1, B has 2: B first.
    contest = make(ranking={"tie_break": ["highest_marks"]})
    tab = tabulate(contest, cards("r", {"A": {"j1": 90, "j2": 80, "j3": 85}, "B": {"j1": 85, "j2": 84, "j3": 86}, "C": {"j1": 70, "j2": 70, "j3": 70}}))
    assert totals(tab) == {"B": D("85.00"), "A": D("85.00"), "C": D("70.00")}
    assert ranks(tab) == {"B": 1, "A": 2, "C": 3}


def test_tie_that_remains_shares_the_rank():
    # A and B have the same marks, so every tie-break is equal too: both 1st, C 3rd (1, 1, 3).
    contest = make(ranking={"tie_break": ["raw_mean", "highest_marks"]})
    tab = tabulate(contest, cards("r", {"A": {"j1": 80, "j2": 90, "j3": 85}, "B": {"j1": 80, "j2": 90, "j3": 85}, "C": {"j1": 70, "j2": 70, "j3": 70}}))
    assert ranks(tab) == {"A": 1, "B": 1, "C": 3}


# -- prizes --------------------------------------------------------------------------------


# 一等奖 1 place, 二等奖 2 places: cut lines after places 1 and 3.
# A 90, B 90 tie across the first cut (places 1-2); C 85 place 3; D 80 place 4.
#   include: A, B 一等奖 (the second tier has one place left: C); D nothing.
#   exclude: A, B fall to 二等奖, C 二等奖 (place 3 is within the second cut); D nothing.
@pytest.mark.parametrize(
    "tie_at_cut, expected",
    [
        ("include", {"A": "一等奖", "B": "一等奖", "C": "二等奖", "D": ""}),
        ("exclude", {"A": "二等奖", "B": "二等奖", "C": "二等奖", "D": ""}),
    ],
)
def test_tie_at_a_prize_cut_line(tie_at_cut, expected):
    contest = make(
        judges=judges("p", "j1"),
        contestants=people("A", "B", "C", "D"),
        awards={"tie_at_cut": tie_at_cut, "tiers": [{"name": "一等奖", "count": 1}, {"name": "二等奖", "count": 2}]},
    )
    tab = tabulate(contest, cards("r", {"A": {"j1": 90}, "B": {"j1": 90}, "C": {"j1": 85}, "D": {"j1": 80}}))
    assert ranks(tab) == {"A": 1, "B": 1, "C": 3, "D": 4}
    assert awards(tab) == expected


# Six ranked contestants; 一等奖 25% and 二等奖 20% of the field.
#   exact places: 0.25 * 6 = 1.5, 0.20 * 6 = 1.2
#   floor:   1, 1 -> cuts 1, 2
#   half-up: 2, 1 -> cuts 2, 3
#   ceil:    2, 2 -> cuts 2, 4
@pytest.mark.parametrize(
    "share_rounding, cuts",
    [("floor", (1, 2)), ("half-up", (2, 3)), ("ceil", (2, 4))],
)
def test_tiers_by_share(share_rounding, cuts):
    ids = ("A", "B", "C", "D", "E", "F")
    contest = make(
        judges=judges("p", "j1"),
        contestants=people(*ids),
        awards={"share_rounding": share_rounding, "tiers": [{"name": "一等奖", "share": "0.25"}, {"name": "二等奖", "share": "0.2"}]},
    )
    tab = tabulate(contest, cards("r", {cid: {"j1": 90 - i} for i, cid in enumerate(ids)}))
    first, second = cuts
    expected = {cid: "一等奖" if i < first else "二等奖" if i < second else "" for i, cid in enumerate(ids)}
    assert awards(tab) == expected
    assert tab.standings("c").cuts == (("一等奖", first), ("二等奖", second))


def test_manual_award_takes_no_tier_place():
    # A 90 (特等奖 by the organisers), B 85, C 80, D 75; tiers 一等奖 1, 二等奖 1.
    # A keeps rank 1 but not a tier place: B 一等奖, C 二等奖, D nothing.
    contest = make(
        judges=judges("p", "j1"),
        contestants=people("A", "B", "C", "D"),
        awards={
            "tiers": [{"name": "一等奖", "count": 1}, {"name": "二等奖", "count": 1}],
            "manual": [{"contestant": "A", "award": "特等奖", "reason": "已获全国一等奖"}],
        },
    )
    tab = tabulate(contest, cards("r", {"A": {"j1": 90}, "B": {"j1": 85}, "C": {"j1": 80}, "D": {"j1": 75}}))
    assert ranks(tab) == {"A": 1, "B": 2, "C": 3, "D": 4}
    assert awards(tab) == {"A": "特等奖", "B": "一等奖", "C": "二等奖", "D": ""}
    assert tab.standing("A").award_reason == "已获全国一等奖"


def test_single_item_award_with_a_tie():
    # 最佳教学设计: best design mark. A 18, B 18, C 15 -> A and B both win with 18.00.
    contest = make(
        judges=judges("p", "j1"),
        rounds=[{"id": "r", "criteria": TEACHING}],
        awards={"single": [{"name": "最佳教学设计", "criterion": "design"}]},
    )
    tab = tabulate(
        contest,
        [
            ("r", "A", "j1", {"design": 18, "class": 60}),
            ("r", "B", "j1", {"design": 18, "class": 70}),
            ("r", "C", "j1", {"design": 15, "class": 75}),
        ],
    )
    (award,) = tab.standings("c").single_awards
    assert sorted(award.winners) == ["A", "B"]
    assert award.score == D("18.00")
    assert tab.standing("A").single_awards == ("最佳教学设计",)
    assert tab.standing("C").single_awards == ()


# Unit standings. U1: A 90, B 80, C 70; U2: D 85, E 84.
#   sum of all:     U1 240,              U2 169     -> U1 first
#   mean of all:    U1 240 / 3 = 80.00,  U2 84.50   -> U2 first
#   sum of best 2:  U1 170,              U2 169     -> U1 first
#   mean of best 2: U1 85.00,            U2 84.50   -> U1 first
@pytest.mark.parametrize(
    "method, best, expected",
    [
        ("sum", None, [("U1", "240.00"), ("U2", "169.00")]),
        ("mean", None, [("U2", "84.50"), ("U1", "80.00")]),
        ("sum", 2, [("U1", "170.00"), ("U2", "169.00")]),
        ("mean", 2, [("U1", "85.00"), ("U2", "84.50")]),
    ],
)
def test_unit_standings(method, best, expected):
    units = {"A": "U1", "B": "U1", "C": "U1", "D": "U2", "E": "U2"}
    spec = {"name": "团体", "method": method} | ({"best": best} if best else {})
    contest = make(judges=judges("p", "j1"), contestants=people(*units, units=units), awards={"units": spec})
    tab = tabulate(contest, cards("r", {"A": {"j1": 90}, "B": {"j1": 80}, "C": {"j1": 70}, "D": {"j1": 85}, "E": {"j1": 84}}))
    got = [(u.unit, u.score, u.rank) for u in tab.unit_results()]
    assert got == [(unit, D(score), i) for i, (unit, score) in enumerate(expected, start=1)]


# -- quiz: points rounds -------------------------------------------------------------------


def quiz():
    return make(
        panels=[],
        judges=[],
        rounds=[
            {
                "id": "q",
                "kind": "points",
                "questions": {
                    "required": {"correct": 10},
                    "buzzer": {"correct": 10, "wrong": -10},
                    "risk": {"stakes": [10, 20]},
                },
            }
        ],
        contestants=people("T1", "T2", "T3"),
    )


def test_quiz_totals_go_negative_with_risk_stakes():
    # T1: buzzer wrong -10, risk 20 lost -20 -> -30
    # T2: required 10, risk 20 won +20 -> 30
    # T3: nothing yet -> 0
    contest = quiz()
    tab = tabulate(
        contest,
        points=[
            ("q", "T1", "buzzer#1", "buzzer", "-10"),
            ("q", "T1", "risk#1", "risk", "-20"),
            ("q", "T2", "required#1", "required", "10"),
            ("q", "T2", "risk#2", "risk", "20"),
        ],
    )
    assert totals(tab) == {"T2": D("30.00"), "T3": D("0.00"), "T1": D("-30.00")}
    assert ranks(tab) == {"T2": 1, "T3": 2, "T1": 3}


@pytest.mark.parametrize("question, points", [("buzzer", "15"), ("buzzer", "-5"), ("risk", "15"), ("required", "-10")])
def test_quiz_points_not_allowed_are_rejected(question, points):
    tab = Tabulator(quiz())
    with pytest.raises(MarkError) as e:
        tab.set_points("q", "T1", "x#1", question, points)
    assert e.value.code == "points_not_allowed"
    assert "not allowed" in e.value.message
    assert tab.standing("T1").total == D("0.00")


# -- adjustments, several rounds, advancement ----------------------------------------------


def two_rounds(weights=("0.5", "0.5"), **extra):
    return make(
        judges=judges("p", "j1"),
        rounds=[{"id": "r1", "max": 100, "weight": weights[0]}, {"id": "r2", "max": 100, "weight": weights[1]}],
        contestants=people("A"),
        **extra,
    )


@pytest.mark.parametrize(
    "round_id, expected",
    [
        # round r1 deduction: r1 80 - 2 = 78, total 0.5 * 78 + 0.5 * 90 = 84.00 (weighted like the round)
        ("r1", D("84.00")),
        # final deduction: 0.5 * 80 + 0.5 * 90 = 85, then - 2 = 83.00 (in full)
        ("", D("83.00")),
    ],
)
def test_adjustment_on_a_round_or_on_the_final_total(round_id, expected):
    contest = two_rounds()
    adj = Adjustment("A", D("-2"), "超时扣分", round_id)
    tab = tabulate(contest, cards("r1", {"A": {"j1": 80}}) + cards("r2", {"A": {"j1": 90}}), adjustments=[adj])
    assert tab.standing("A").total == expected
    assert tab.round_result("r1", "A").final == (D("78.00") if round_id else D("80.00"))


def test_adjustment_needs_a_reason():
    tab = Tabulator(two_rounds())
    with pytest.raises(MarkError) as e:
        tab.add_adjustment(Adjustment("A", D("-1"), "  "))
    assert e.value.code == "reason_required"


def test_rounds_weighted_30_70():
    # theory 30%, practical 70%.
    # A: 0.3 * 90 + 0.7 * 80 = 27 + 56 = 83.00
    # B: 0.3 * 70 + 0.7 * 88 = 21 + 61.6 = 82.60  (B's better practical does not make up for theory)
    contest = make(
        judges=judges("p", "j1"),
        rounds=[{"id": "theory", "max": 100, "weight": "0.3"}, {"id": "practical", "max": 100, "weight": "0.7"}],
        contestants=people("A", "B"),
    )
    tab = tabulate(contest, cards("theory", {"A": {"j1": 90}, "B": {"j1": 70}}) + cards("practical", {"A": {"j1": 80}, "B": {"j1": 88}}))
    assert totals(tab) == {"A": D("83.00"), "B": D("82.60")}
    assert ranks(tab) == {"A": 1, "B": 2}


def advancement(carry_over=False, tie_break=()):
    # Preliminary: top 2 advance to the final. One trimmed panel of three judges.
    return make(
        panels=[{"id": "p", "weight": 1, "rule": "trimmed", "trim": 1}],
        rounds=[{"id": "pre", "max": 100, "step": "0.5", "advance": 2}, {"id": "fin", "max": 100, "step": "0.5"}],
        contestants=people("A", "B", "C", "D"),
        stages={"combine": "advancement", "carry_over": carry_over},
        ranking={"tie_break": list(tie_break)},
    )


def same(value):
    return {"j1": value, "j2": value, "j3": value}


# Preliminary: A 90, B 85, C 85, D 70. B and C tie at the cut (2nd place): both advance, so
# three go to the final. D is eliminated.
# Final: A 60, B 66, C 62 (finals are marked harder; D's 70 is above all of them).
#   carry_over = false: B 66, C 62, A 60 rank 1-3 on the final alone; D 4th.
#   carry_over = true:  B 85 + 66 = 151, A 90 + 60 = 150, C 85 + 62 = 147; D 4th.
PRE = {"A": same(90), "B": same(85), "C": same(85), "D": same(70)}
FIN = {"A": same(60), "B": same(66), "C": same(62)}


@pytest.mark.parametrize(
    "carry_over, expected_totals, expected_ranks",
    [
        (False, {"B": "66.00", "C": "62.00", "A": "60.00", "D": "70.00"}, {"B": 1, "C": 2, "A": 3, "D": 4}),
        (True, {"B": "151.00", "A": "150.00", "C": "147.00", "D": "70.00"}, {"B": 1, "A": 2, "C": 3, "D": 4}),
    ],
)
def test_advancement(carry_over, expected_totals, expected_ranks):
    contest = advancement(carry_over)
    tab = tabulate(contest, cards("pre", PRE) + cards("fin", FIN))
    assert tab.participants("pre", "c") == {"A", "B", "C", "D"}  # the first round: everyone
    assert not tab.participants("pre", "no such category")
    assert tab.participants("fin", "c") == {"A", "B", "C"}
    assert totals(tab) == {k: D(v) for k, v in expected_totals.items()}
    assert ranks(tab) == expected_ranks
    assert [s.contestant.id for s in tab.standings("c").standings][-1] == "D"
    assert tab.standing("D").reached == "pre" and tab.standing("A").reached == "fin"
    with pytest.raises(MarkError) as e:
        tab.set_card("fin", "D", "j1", {"total": "99"})
    assert e.value.code == "not_advanced"
    assert "did not advance" in e.value.message


def test_finalists_stand_on_the_preliminary_until_scored_in_the_final():
    # Mid-final: only A has been scored in the final (60). B and C, admitted to the final,
    # stand on their preliminary 85 until their final result is complete; D (70) below them.
    # Reaching the final outranks any preliminary score, so A (60, final) is 1st.
    tab = tabulate(advancement(), cards("pre", PRE) + cards("fin", {"A": same(60)}))
    assert ranks(tab) == {"A": 1, "B": 2, "C": 2, "D": 4}
    assert tab.standing("B").reached == "pre" and tab.standing("A").reached == "fin"
    for j in ("j1", "j2", "j3"):
        tab.set_card("fin", "B", j, {"total": "66"})
    assert ranks(tab) == {"B": 1, "A": 2, "C": 3, "D": 4}


def test_a_result_handed_out_does_not_change_under_a_later_cell():
    contest = advancement()
    tab = Tabulator(contest)
    for j in ("j1", "j2", "j3"):
        tab.set_score("pre", "A", j, "", "90")
    before = tab.round_result("pre", "A")
    tab.set_score("pre", "A", "j1", "", "50")
    assert before.panels[0].judges[0].scores == {"total": D("90")}
    assert tab.round_result("pre", "A").panels[0].judges[0].scores == {"total": D("50")}


def test_tie_at_the_advancement_cut_broken_by_a_tie_break():
    # With raw_mean as tie-break: B 80, 85, 90 -> trimmed 85, raw mean 85
    #                             C 84, 85, 85 -> trimmed 85, raw mean 84.67
    # B is 2nd, C 3rd: only A and B advance.
    tab = tabulate(
        advancement(tie_break=["raw_mean"]),
        cards("pre", {"A": same(90), "B": {"j1": 80, "j2": 85, "j3": 90}, "C": {"j1": 84, "j2": 85, "j3": 85}, "D": same(70)}),
    )
    assert [(r, c.id) for r, c in tab.round_ranking("pre", "c")] == [(1, "A"), (2, "B"), (3, "C"), (4, "D")]
    assert tab.participants("fin", "c") == {"A", "B"}


def test_incomplete_contestants_are_unranked():
    # A complete: 80.00. B has a card from j1 only with one criterion of two (incomplete
    # card, not counted) and nothing else: no score, no rank, listed after the ranked.
    contest = make(judges=judges("p", "j1"), rounds=[{"id": "r", "criteria": TEACHING}], contestants=people("B", "A"))
    tab = tabulate(contest, [("r", "A", "j1", {"design": 10, "class": 70})])
    tab.set_score("r", "B", "j1", "design", "15")
    assert [(s.contestant.id, s.rank, s.total) for s in tab.standings("c").standings] == [
        ("A", 1, D("80.00")),
        ("B", None, None),
    ]
    assert tab.round_result("r", "B").panels[0].missing == ("j1",)


# -- mark validation -----------------------------------------------------------------------


def validation_contest():
    return make(
        panels=[{"id": "expert", "weight": "0.5"}, {"id": "public", "weight": "0.5"}],
        categories=[{"id": "arts"}, {"id": "science"}],
        judges=[
            {"id": "e1", "panel": "expert"},
            {"id": "e2", "panel": "expert", "categories": ["arts"]},
            {"id": "p1", "panel": "public"},
        ],
        rounds=[
            {"id": "r", "criteria": TEACHING},
            {"id": "oral", "panels": ["expert"], "panel_weights": {"expert": 1}, "max": 10, "weight": "0"},
        ],
        contestants=people("A", category="arts") + people("S", category="science"),
        recusals=[{"judge": "e1", "contestant": "A"}],
    )


@pytest.mark.parametrize(
    "call, code, words",
    [
        (lambda t: t.set_card("r", "S", "p1", {"design": 21, "class": 70}), "out_of_range", "outside 0..20"),
        (lambda t: t.set_card("r", "S", "p1", {"design": "10.3", "class": 70}), "off_step", "not on a step of 0.5"),
        (lambda t: t.set_card("r", "S", "p1", {"design": 10, "class": 70, "voice": 5}), "unknown_criterion", "unknown criterion 'voice'"),
        (lambda t: t.set_card("r", "S", "p1", {"design": 10}), "missing_criterion", "no mark for 课堂教学"),
        (lambda t: t.set_card("r", "A", "e1", {"design": 10, "class": 70}), "recused", "is recused from"),
        (lambda t: t.set_card("r", "S", "e2", {"design": 10, "class": 70}), "wrong_category", "does not judge category science"),
        (lambda t: t.set_card("oral", "S", "p1", {"total": 5}), "not_on_panel", "is not on a panel of round"),
    ],
)
def test_mark_validation(call, code, words):
    tab = Tabulator(validation_contest())
    with pytest.raises(MarkError) as e:
        call(tab)
    assert e.value.code == code
    assert words in e.value.message
    assert len(e.value.message.split()) >= 4  # a sentence, not a bare code
    assert tab.cards("r", "S") == {} and tab.cards("oral", "S") == {}


def test_weights_that_do_not_sum_to_one_are_rejected():
    with pytest.raises(ContestInvalid) as e:
        make(panels=[{"id": "p", "weight": "0.7"}, {"id": "q", "weight": "0.2"}], judges=judges("p", "j1"))
    assert "panel weights must sum to 1, they sum to 0.9" in str(e.value)
