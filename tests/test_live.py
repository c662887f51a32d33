"""LiveState, the pure state machine, and the role views over it (no sockets here)."""

from __future__ import annotations

import pytest
from server_fixtures import CONTEST, single_round

from judging.contest_file import load_contest
from judging.live import FlowError, LiveState
from judging.rules.errors import MarkError
from judging.views import control_snapshot, judge_snapshot, merge_for, patch_for, viewer_snapshot


class Log:
    """Checks and applies events the way the server does, numbering them."""

    def __init__(self, contest=None):
        self.state = LiveState(contest or load_contest(CONTEST))
        self.events: list[dict] = []

    def __call__(self, kind: str, actor: str = "control", **data):
        self.state.check(kind, actor, data)
        event = {"seq": len(self.events) + 1, "at": f"t{len(self.events) + 1}", "actor": actor, "kind": kind, "data": data}
        self.events.append(event)
        return self.state.apply(event)

    def mark(self, jid: str, cid: str, total: str, rid: str = "heat", sid: str = ""):
        return self("mark", f"judge:{jid}", round=rid, contestant=cid, judge=jid, scores={"total": total}, submission=sid)


HEAT = {"E1": "80", "E2": "90", "E3": "70", "P1": "60", "P2": "65", "P3": "95"}


def test_flow_waiting_open_closed_locked():
    log = Log()
    with pytest.raises(FlowError) as e:
        log.mark("E1", "C1", "80")
    assert e.value.code == "not_open"
    log("open", contestants=["C1"])
    log.mark("E1", "C1", "80")
    log("close", contestants=["C1"])
    with pytest.raises(FlowError) as e:
        log.mark("E2", "C1", "80")  # a new mark needs "open"
    assert e.value.code == "not_open"
    log.mark("E1", "C1", "81")  # a revision is fine while closed
    assert log.state.cards[("heat", "C1")]["E1"]["revision"] == 2
    log("lock", contestants=["C1"])
    with pytest.raises(FlowError) as e:
        log.mark("E1", "C1", "82")
    assert e.value.code == "locked"
    with pytest.raises(FlowError) as e:
        log("open", contestants=["C1"])
    assert e.value.code == "bad_status"
    with pytest.raises(FlowError) as e:
        log("open", contestants=["C9"])
    assert e.value.code == "unknown_contestant"
    with pytest.raises(FlowError) as e:
        log("close", contestants=[])
    assert e.value.code == "bad_request"


def test_recused_and_shadow_judges():
    log = Log()
    log("open", contestants=["C2"])
    with pytest.raises(MarkError) as e:
        log.mark("E3", "C2", "70")
    assert e.value.code == "recused"
    assert log.state.expected_judges("heat", "C2") == ["E1", "E2", "P1", "P2", "P3"]
    log.mark("T1", "C2", "10")  # shadow: recorded, never counted
    for jid in ("E1", "E2", "P1", "P2", "P3"):
        log.mark(jid, "C2", HEAT[jid])
    assert log.state.all_submitted("heat", "C2")
    result = log.state.tab.round_result("heat", "C2")
    assert result.complete
    expert = next(p for p in result.panels if p.panel == "expert")
    assert expert.score == 85  # mean of E1, E2 (too few to trim; E3 recused, T1 a shadow)


def test_reveal_needs_a_complete_result_and_publishes_only_that_contestant(tmp_path):
    log = Log(load_contest(single_round(tmp_path)))
    log("open", contestants=["C1", "C2"])
    for jid, v in HEAT.items():
        log.mark(jid, "C1", v)
    log.mark("E1", "C2", "50")
    with pytest.raises(FlowError) as e:
        log("reveal", contestants=["C2"])
    assert e.value.code == "not_complete"
    assert viewer_snapshot(log.state)["standings:arts"] == []
    changed = log("reveal", contestants=["C1"])
    assert "standings:arts" in changed and "reveal" in changed
    view = viewer_snapshot(log.state)
    assert [s["contestant"] for s in view["standings:arts"]] == ["C1"]
    assert view["reveal"]["contestant"] == "C1"
    # Trimmed panels of three keep the middle mark: 0.7 * 80 + 0.3 * 65.
    assert view["reveal"]["score"] == "75.50"
    marks = {m["judge"]: (m["mark"], m["dropped"]) for p in view["reveal"]["panels"] for m in p["marks"]}
    assert marks["E1"] == ("80", False) and marks["E2"] == ("90", True) and marks["P3"] == ("95", True)
    # Nothing about C2's mark reached the public side.
    assert "50" not in repr(view).replace("75.50", "")


def test_views_by_role():
    log = Log()
    log("open", contestants=["C1"])
    log.mark("E1", "C1", "80.25")
    log.mark("E2", "C1", "90.75")
    viewer, e1, e2, ctl = viewer_snapshot(log.state), judge_snapshot(log.state, "E1"), judge_snapshot(log.state, "E2"), control_snapshot(log.state)
    assert "80.25" not in repr(viewer) and "90.75" not in repr(viewer)
    assert viewer["progress"]["C1"] == {"submitted": ["E1", "E2"], "expected": 6}
    assert e1["mine"] == {"heat/C1": {"scores": {"total": "80.25"}, "at": "t2", "revision": 1}}
    assert "90.75" not in repr(e1) and "80.25" not in repr(e2)
    assert ctl["progress"]["C1"]["waiting"] == ["E3", "P1", "P2", "P3"]
    assert "T1" not in [j["id"] for j in viewer["contest"]["judges"]]
    # Updates follow the same rule.
    changed = log.mark("E3", "C1", "70.50")
    assert "70.50" not in repr(patch_for("viewer", log.state, changed))
    assert patch_for("judge", log.state, changed, "E1") == {} == merge_for("judge", log.state, changed, "E1")
    assert merge_for("judge", log.state, changed, "E3") == {"mine": {"heat/C1": judge_snapshot(log.state, "E3")["mine"]["heat/C1"]}}
    assert "70.50" in repr(merge_for("judge", log.state, changed, "E3"))
    assert "70.50" not in repr(patch_for("control", log.state, changed))  # incomplete: no total yet
    assert "private:arts" in patch_for("control", log.state, changed)
    # A recused judge's view leaves out whom they may not score.
    assert "C2" not in judge_snapshot(log.state, "E3")["order"]
    assert "C2" in judge_snapshot(log.state, "E1")["order"]


def _complete(log, cid, marks=HEAT, rid="heat"):
    for jid, v in marks.items():
        if not log.state.contest.is_recused(jid, cid):
            log.mark(jid, cid, v, rid)


def test_freeze_holds_the_public_view_even_for_a_new_viewer(tmp_path):
    log = Log(load_contest(single_round(tmp_path)))
    log("open", contestants=["C1", "C2"])
    _complete(log, "C1")
    log("reveal", contestants=["C1"])
    before = viewer_snapshot(log.state)
    log("freeze")
    with pytest.raises(FlowError):
        log("freeze")
    _complete(log, "C2", {j: "99" for j in HEAT})
    changed = log("reveal", contestants=["C2"])
    patch = patch_for("viewer", log.state, changed)
    assert "standings:arts" not in patch
    assert "99.00" not in repr(patch)
    # A viewer connecting (or resyncing) while frozen gets the standings as they were frozen.
    during = viewer_snapshot(log.state)
    assert during["standings:arts"] == before["standings:arts"]
    assert "99" not in repr(during)
    assert during["reveal"] is None and during["frozen"] is True
    # The host still sees the card they revealed.
    assert control_snapshot(log.state)["reveal"]["contestant"] == "C2"
    assert control_snapshot(log.state)["reveal"]["score"] == "99.00"
    changed = log("unfreeze")
    patch = patch_for("viewer", log.state, changed)
    assert [s["contestant"] for s in patch["standings:arts"]] == ["C2", "C1"]
    assert patch["reveal"]["contestant"] == "C2" and patch["reveal"]["score"] == "99.00"
    assert viewer_snapshot(log.state)["standings:arts"] == patch["standings:arts"]


def test_adjustment_to_a_revealed_contestant_during_freeze_waits_for_unfreeze(tmp_path):
    log = Log(load_contest(single_round(tmp_path)))
    log("open", contestants=["C1"])
    _complete(log, "C1")
    log("reveal", contestants=["C1"])
    log("freeze")
    log("adjustment", contestant="C1", points="-2", reason="overtime", round="heat")
    assert viewer_snapshot(log.state)["standings:arts"][0]["total"] == "75.50"
    assert control_snapshot(log.state)["private:arts"][0]["total"] == "73.50"
    log("unfreeze")
    assert viewer_snapshot(log.state)["standings:arts"][0]["total"] == "73.50"


def test_a_correction_to_a_revealed_contestant_reaches_the_audience_as_an_adjustment_does(tmp_path):
    log = Log(load_contest(single_round(tmp_path)))
    log("open", contestants=["C1"])
    _complete(log, "C1")
    log("reveal", contestants=["C1"])
    follower = viewer_snapshot(log.state)  # a scoreboard, kept up to date by updates
    console = control_snapshot(log.state)
    assert follower["standings:arts"][0]["total"] == "75.50"
    changed = log("correction", round="heat", contestant="C1", judge="E1", scores={"total": "85"}, reason="misread card")
    assert {"standings:arts", "reveal"} <= changed
    follower.update(patch_for("viewer", log.state, changed))
    console.update(patch_for("control", log.state, changed))
    fresh = control_snapshot(log.state)
    assert follower == viewer_snapshot(log.state)
    assert {k: v for k, v in console.items() if k != "review"} == {k: v for k, v in fresh.items() if k != "review"}  # review: snapshots only
    assert follower["standings:arts"][0]["total"] == "79.00" == str(log.state.tab.round_result("heat", "C1").final)
    assert {m["judge"]: m["mark"] for p in follower["reveal"]["panels"] for m in p["marks"]}["E1"] == "85"
    # During a freeze the hall keeps what it saw, its 亮分 card too; at the unfreeze it catches up.
    log("freeze")
    changed = log("correction", round="heat", contestant="C1", judge="E1", scores={"total": "80"}, reason="it was right")
    assert "reveal" not in patch_for("viewer", log.state, changed) and "standings:arts" not in patch_for("viewer", log.state, changed)
    assert viewer_snapshot(log.state)["standings:arts"][0]["total"] == "79.00"
    changed = log("unfreeze")
    follower.update(patch_for("viewer", log.state, changed))
    assert follower == viewer_snapshot(log.state) and follower["standings:arts"][0]["total"] == "75.50"
    assert {m["judge"]: m["mark"] for p in follower["reveal"]["panels"] for m in p["marks"]}["E1"] == "80"


def test_corrections_need_a_reason_and_bump_the_revision():
    log = Log()
    log("open", contestants=["C1"])
    _complete(log, "C1")
    log("lock", contestants=["C1"])
    data = dict(round="heat", contestant="C1", judge="E1", scores={"total": "85"})
    for reason in (None, "", "   "):
        with pytest.raises(FlowError) as e:
            log("correction", **data, **({} if reason is None else {"reason": reason}))
        assert e.value.code == "reason_required"
    with pytest.raises(MarkError) as e:
        log("correction", **{**data, "scores": {"total": "185"}}, reason="typo")
    assert e.value.code == "out_of_range"
    log("correction", **data, reason="typo on the paper card")
    assert log.state.cards[("heat", "C1")]["E1"]["revision"] == 2
    assert str(log.state.tab.round_result("heat", "C1").final) == "79.00"  # experts 85 (80/85/90 -> 85)


def test_next_round_applies_advancement():
    log = Log()
    with pytest.raises(FlowError) as e:
        log("next_round")  # nobody has been scored: nobody could advance
    assert e.value.code == "bad_status" and log.state.round == "heat"
    log("open", contestants=["C1", "C2", "C3", "C4"])
    _complete(log, "C1")
    _complete(log, "C2", {j: "50" for j in HEAT})
    _complete(log, "C3", {j: "40" for j in HEAT})
    _complete(log, "C4", {j: "45" for j in HEAT})
    with pytest.raises(FlowError) as e:
        log("next_round")
    assert e.value.code == "bad_status"
    log("lock", contestants=["C1", "C2", "C3", "C4"])
    changed = log("next_round")
    assert {"round", "status"} <= changed and log.state.round == "final"
    with pytest.raises(FlowError) as e:
        log("open", contestants=["C2"])
    assert e.value.code == "not_advanced"
    log("open", contestants=["C1", "C4"])
    with pytest.raises(FlowError) as e:
        log.mark("E1", "C1", "80", rid="heat")  # not the current round
    assert e.value.code in ("not_open", "locked")
    log.mark("E1", "C1", "80", rid="final")
    with pytest.raises(FlowError) as e:
        log("next_round")
    assert e.value.code == "last_round"


def test_order_lists_everyone_once():
    log = Log()
    for bad in (["C1", "C2", "C3"], ["C1", "C1", "C2", "C3"], ["C1", "C2", "C3", "C9"]):
        with pytest.raises(FlowError):
            log("order", contestants=bad)
    log("order", contestants=["C4", "C3", "C2", "C1"])
    assert viewer_snapshot(log.state)["order"] == ["C4", "C3", "C2", "C1"]
    assert judge_snapshot(log.state, "E3")["order"] == ["C4", "C3", "C1"]


def test_manual_award_and_adjustment_checks():
    log = Log()
    for kind, data, code in [
        ("manual_award", {"contestant": "C9", "award": "Special", "reason": "x"}, "unknown_contestant"),
        ("manual_award", {"contestant": "C1", "award": " ", "reason": "x"}, "bad_request"),
        ("manual_award", {"contestant": "C1", "award": "Special"}, "reason_required"),
        ("adjustment", {"contestant": "C1", "points": "0", "reason": "x"}, "bad_request"),
        ("adjustment", {"contestant": "C1", "points": 1.5, "reason": "x"}, "not_a_number"),
        ("adjustment", {"contestant": "C1", "points": "NaN", "reason": "x"}, "not_a_number"),
        ("adjustment", {"contestant": "C1", "points": "-1", "reason": "x", "round": "zz"}, "unknown_round"),
        ("adjustment", {"contestant": "C1", "points": "-1"}, "reason_required"),
        ("explode", {}, "unknown_action"),
    ]:
        with pytest.raises(MarkError) as e:
            log(kind, **data)
        assert e.value.code == code, (kind, data)
    log("manual_award", contestant="C1", award="Special", reason="national winner")
    assert log.state.manual["C1"].award == "Special"
    assert "Special" not in repr(viewer_snapshot(log.state))  # not revealed yet


def test_submission_ids_belong_to_their_judge():
    log = Log()
    log("open", contestants=["C1"])
    log.mark("E1", "C1", "80", sid="same-id")
    log.mark("E2", "C1", "80", sid="same-id")
    assert ("E1", "same-id") in log.state.submissions and ("E2", "same-id") in log.state.submissions


def test_replaying_the_log_gives_the_same_views(tmp_path):
    log = Log(load_contest(single_round(tmp_path)))
    log("open", contestants=["C1", "C2"])
    _complete(log, "C1")
    log("reveal", contestants=["C1"])
    log("freeze")
    log("adjustment", contestant="C1", points="-1", reason="late")
    log.mark("E1", "C2", "77")
    again = LiveState(log.state.contest)
    for event in log.events:
        again.apply(event)
    assert control_snapshot(again) == control_snapshot(log.state)
    assert viewer_snapshot(again) == viewer_snapshot(log.state)
    assert judge_snapshot(again, "E1") == judge_snapshot(log.state, "E1")
