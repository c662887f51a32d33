"""Judge analytics for the review (复核): deviations, the FIG flag and missing marks, on
contests small enough to check by hand."""

from __future__ import annotations

import json
from decimal import Decimal as D

from judging.rules.analytics import missing_marks, review, round_threshold
from judging.rules.build import build_contest
from judging.rules.engine import tabulate
from judging.scoresheet import missing_marks as sheet_missing_marks


def make(**sections):
    """One category, one mean panel of j1..j3 plus a shadow s1, one round scored 0..10."""
    data = {
        "contest": {"name": "example", "precision": 2, "rounding": "half-up", "language": "en"},
        "categories": [{"id": "c", "name": "C"}],
        "panels": [{"id": "p", "weight": 1, "rule": "mean"}],
        "judges": [{"id": j, "panel": "p"} for j in ("j1", "j2", "j3")] + [{"id": "s1", "panel": "p", "shadow": True}],
        "rounds": [{"id": "r", "max": 10, "step": "0.1"}],
        "contestants": [{"id": i, "name": f"Name {i}", "category": "c"} for i in ("A", "B")],
    }
    data.update(sections)
    return build_contest(data)


def cards(table: dict[str, dict[str, str]], rid: str = "r") -> list:
    return [(rid, cid, jid, {"total": v}) for cid, row in table.items() for jid, v in row.items()]


def by_judge(result: dict) -> dict[str, dict]:
    return {j["judge"]: j for j in result["judges"]}


def test_deviation_from_the_panel_mean_worked_by_hand():
    # A: j1 8.0, j2 9.0, j3 7.0 -> panel 8.00; deviations j1 0, j2 +1.0, j3 -1.0
    # B: j1 6.0, j2 6.6, j3 6.0 -> panel 6.20; deviations j1 -0.2, j2 +0.4, j3 -0.2
    # j2: mean (1.0 + 0.4) / 2 = 0.7, mean size 0.7, largest +1.0
    # j3: mean (-1.0 - 0.2) / 2 = -0.6, mean size 0.6, largest -1.0
    tab = tabulate(make(), cards({"A": {"j1": "8.0", "j2": "9.0", "j3": "7.0"}, "B": {"j1": "6.0", "j2": "6.6", "j3": "6.0"}}))
    judges = by_judge(review(tab))
    assert judges["j2"] == {
        "judge": "j2", "name": "j2", "panel": "p", "shadow": False, "scored": 2,
        "mean_deviation": "0.7000", "mean_abs_deviation": "0.7000", "max_deviation": "1.0000",
    }
    assert (judges["j3"]["mean_deviation"], judges["j3"]["mean_abs_deviation"], judges["j3"]["max_deviation"]) == ("-0.6000", "0.6000", "-1.0000")
    assert (judges["j1"]["mean_deviation"], judges["j1"]["mean_abs_deviation"]) == ("-0.1000", "0.1000")
    assert judges["s1"]["scored"] == 0 and judges["s1"]["mean_deviation"] is None


def test_a_spread_of_exactly_the_threshold_is_flagged_and_names_the_judge():
    # A: panel 8.00; j2 at +1.0 and j3 at -1.0 reach the threshold 1.0; j1 (0) does not.
    tab = tabulate(make(), cards({"A": {"j1": "8.0", "j2": "9.0", "j3": "7.0"}}))
    result = review(tab)
    flagged = {(f["contestant"], f["judge"], f["spread"]) for f in result["flags"]}
    assert flagged == {("A", "j2", "1.0000"), ("A", "j3", "-1.0000")}
    j3 = next(f for f in result["flags"] if f["judge"] == "j3")
    assert j3["mark"] == "7.0" and j3["panel_score"] == "8.0000" and "below" in j3["message"]
    # A higher threshold flags nothing.
    assert review(tab, D("1.1"))["flags"] == []


def test_the_threshold_scales_with_a_100_point_round():
    contest = make(rounds=[{"id": "r", "max": 100, "step": "0.5"}])
    assert round_threshold(contest.rounds[0], D("1.0")) == D("10")
    # Panel 80: j2 at +9.5 is not flagged on a 100-point scale, j3 at -10 is.
    tab = tabulate(contest, cards({"A": {"j1": "80.5", "j2": "89.5", "j3": "70"}}))
    result = review(tab)
    assert [(f["judge"], f["spread"]) for f in result["flags"]] == [("j3", "-10.0000")]
    assert result["rounds"] == [{"round": "r", "name": "r", "span": "100", "threshold": "10.0"}]


def test_shadow_judges_are_listed_but_never_flagged():
    tab = tabulate(make(), cards({"A": {"j1": "8.0", "j2": "8.0", "j3": "8.0", "s1": "2.0"}}))
    result = review(tab)
    assert result["flags"] == []
    assert by_judge(result)["s1"]["max_deviation"] == "-6.0000" and by_judge(result)["s1"]["shadow"] is True


def test_dropped_marks_count_and_are_flagged_as_dropped():
    # Trimmed panel: 5.0, 8.0, 8.2 -> drop 5.0 and 8.2 -> panel 8.00; j1 at -3.0 is flagged.
    contest = make(panels=[{"id": "p", "weight": 1, "rule": "trimmed", "trim": 1}])
    tab = tabulate(contest, cards({"A": {"j1": "5.0", "j2": "8.0", "j3": "8.2"}}))
    (flag,) = review(tab)["flags"]
    assert (flag["judge"], flag["dropped"], flag["panel_score"]) == ("j1", True, "8.0000")


def test_a_summing_panel_is_compared_with_its_mean_mark():
    # Sum panel: 6 + 7 + 8 = 21, but a judge is compared with the mean mark 7.
    contest = make(panels=[{"id": "p", "weight": 1, "rule": "sum"}])
    tab = tabulate(contest, cards({"A": {"j1": "6", "j2": "7", "j3": "8"}}))
    judges = by_judge(review(tab))
    assert [judges[j]["max_deviation"] for j in ("j1", "j2", "j3")] == ["-1.0000", "0.0000", "1.0000"]


def test_missing_marks_are_the_score_sheet_ones_and_everything_is_json_ready():
    tab = tabulate(make(), cards({"A": {"j1": "8.0", "j2": "9.0"}, "B": {"j1": "6.0", "j2": "6.6", "j3": "6.0"}}))
    result = review(tab)
    assert result["missing"] == ["A Name A: no complete card from judge j3 in round r"]
    assert sheet_missing_marks is missing_marks
    assert json.loads(json.dumps(result)) == result  # strings, numbers, booleans and None only


def test_points_rounds_are_left_out():
    contest = build_contest(
        {
            "contest": {"name": "quiz", "precision": 0, "rounding": "half-up"},
            "categories": [{"id": "c", "name": "C"}],
            "rounds": [{"id": "q", "kind": "points", "questions": {"buzzer": {"name": "Buzzer", "correct": 10, "wrong": -10}}}],
            "contestants": [{"id": "T1", "name": "Team 1", "category": "c"}],
        }
    )
    tab = tabulate(contest, points=[("q", "T1", "buzzer#1", "buzzer", "10")])
    assert review(tab) == {"threshold": "1.0", "rounds": [], "judges": [], "flags": [], "missing": []}
