"""Live quiz rounds, the prize ceremony, unit standings and the correction preview, through a
real server. A quiz run live tabulates exactly as its equivalent scores file does offline."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path

import pytest
from server_fixtures import CONTROL, WAIT, all_judges, make_live, score  # noqa: F401
from test_faults import ServeProcess, prepared_db

from judging import protocol as p
from judging.cli import main
from judging.client import Client, ServerError
from judging.console.app import ControlApp
from judging.contest_file import load_contest
from judging.report import standings_data
from judging.scoresheet import tabulate_files
from judging.store import Store

ROOT = Path(__file__).resolve().parent.parent
QUIZ = ROOT / "fixtures" / "quiz" / "contest.toml"
HEAT = {"E1": "80", "E2": "90", "E3": "70", "P1": "60", "P2": "65", "P3": "95"}


async def awards(ctl, plan):
    """Run (question type, number, [(team, outcome, stake)]) steps from the console."""
    for qtype, number, answers in plan:
        await ctl.control("question", type=qtype, number=number)
        for team, outcome, stake in answers:
            extra = {"stake": stake} if stake else {}
            await ctl.control("points", contestant=team, outcome=outcome, **extra)


PLAN = [
    ("required", 1, [("Q1", "correct", None), ("Q2", "wrong", None)]),
    ("buzzer", 2, [("Q3", "wrong", None), ("Q4", "correct", None)]),
    ("risk", 3, [("Q5", "wrong", "30"), ("Q6", "correct", "20")]),
]


def offline(tmp_path: Path, rows: list[tuple[str, str, str]]) -> dict:
    scores = tmp_path / "scores.csv"
    with scores.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["contestant", "judge", "criterion", "score"])
        for team, key, points in rows:
            w.writerow([team, "", key, points])
    tab, report = tabulate_files(load_contest(QUIZ), scores, None)
    assert report.errors == []
    return standings_data(tab)


async def test_a_quiz_run_live_equals_its_scores_file(make_live, tmp_path):
    live = await make_live(QUIZ)
    ctl, viewer = await live.control(), await live.viewer()
    assert viewer.state["quiz"]["question"] is None
    assert {t["total"] for t in viewer.state["quiz"]["teams"]} == {"20"}  # everyone starts at 20
    await awards(ctl, PLAN)
    await viewer.wait_for(lambda: viewer.state["quiz"]["last"]["contestant"] == "Q6", WAIT)
    quiz = viewer.state["quiz"]
    totals = {t["contestant"]: t["total"] for t in quiz["teams"]}
    assert totals["Q1"] == "30" and totals["Q2"] == "20" and totals["Q3"] == "10"
    assert totals["Q5"] == "-10"  # a risk of 30 lost from the start of 20: below zero
    assert totals["Q6"] == "40"
    assert quiz["question"] == {"type": "risk", "number": 3, "name": "风险题"}
    assert quiz["last"]["points"] == "20" and quiz["last"]["type_name"] == "风险题" and not quiz["last"]["undone"]

    # Undo is its own event: the award stays in the log.
    done = await ctl.control("undo")
    await viewer.wait_for(lambda: viewer.state["quiz"]["last"]["undone"], WAIT)
    assert {t["contestant"]: t["total"] for t in viewer.state["quiz"]["teams"]}["Q6"] == "20"
    undo = [e for e in live.events() if e["kind"] == "undo"]
    assert len(undo) == 1 and undo[0]["seq"] == done.seq
    assert undo[0]["data"]["award"] == [e for e in live.events("points")][-1]["seq"]
    assert len(live.events("points")) == 6

    # The same question again is a fresh award once undone; twice is refused.
    await ctl.control("points", contestant="Q6", outcome="wrong", stake="10")
    with pytest.raises(ServerError) as refused:
        await ctl.control("points", contestant="Q6", outcome="correct", stake="10")
    assert refused.value.code == "already_awarded"

    await viewer.wait_for(lambda: viewer.state["quiz"]["last"]["points"] == "-10", WAIT)
    live_standings = viewer.state["standings:final"]
    rows = [(e["data"]["contestant"], f"{e['data']['type']}#{e['data']['number']}", e["data"]["points"]) for e in live.events("points")]
    undone = {e["data"]["award"] for e in live.events("undo")}
    rows = [r for e, r in zip(live.events("points"), rows) if e["seq"] not in undone]
    expected = offline(tmp_path, rows)["categories"][0]["standings"]
    # Neither side has the fixture's adjustments.csv (Q3 -10): the offline run is given no
    # adjustments file, and the live contest takes adjustments only from its log.
    assert [(r["contestant"], r["rank"], r["total"], r["award"]) for r in live_standings] == [
        (r["contestant"], r["rank"], r["total"], r["award"]) for r in expected
    ]


async def test_quiz_survives_a_restart_halfway(make_live):
    live = await make_live(QUIZ)
    ctl = await live.control()
    await awards(ctl, PLAN[:2])
    before = (await live.viewer()).state
    await live.restart()
    after = await live.viewer()
    assert after.state["quiz"] == before["quiz"]
    assert after.state["standings:final"] == before["standings:final"]
    ctl2 = await live.control()
    await ctl2.control("points", contestant="Q7", outcome="correct")  # still on buzzer 2
    await after.wait_for(lambda: after.state["quiz"]["last"]["contestant"] == "Q7", WAIT)
    assert after.state["quiz"]["last"]["number"] == 2


@pytest.mark.parametrize(
    "data, code",
    [
        ({"contestant": "Q1", "outcome": "correct"}, "no_question"),
        ({"contestant": "Q1", "outcome": "maybe", "type": "buzzer", "number": 1}, "bad_request"),
        ({"contestant": "Q1", "outcome": "correct", "type": "risk", "number": 1}, "stake_required"),
        ({"contestant": "Q1", "outcome": "correct", "type": "risk", "number": 1, "stake": "25"}, "points_not_allowed"),
        ({"contestant": "Q1", "outcome": "correct", "type": "essay", "number": 1}, "unknown_question"),
        ({"contestant": "Q1", "outcome": "correct", "type": "buzzer", "number": 0}, "bad_request"),
        ({"contestant": "Q99", "outcome": "correct", "type": "buzzer", "number": 1}, "unknown_contestant"),
    ],
)
async def test_bad_awards_are_refused_and_change_nothing(make_live, data, code):
    live = await make_live(QUIZ)
    ctl = await live.control()
    before = len(live.events())
    with pytest.raises(ServerError) as refused:
        await ctl.control("points", **data)
    assert refused.value.code == code and refused.value.message
    with pytest.raises(ServerError) as nothing:
        await ctl.control("undo")
    assert nothing.value.code == "nothing_to_undo"
    assert len(live.events()) == before


async def test_quiz_actions_outside_a_points_round_are_refused(make_live):
    live = await make_live()
    ctl = await live.control()
    assert ctl.state["quiz"] is None
    for action, data in (("question", {"type": "buzzer", "number": 1}), ("points", {"contestant": "C1", "outcome": "correct"}), ("undo", {})):
        with pytest.raises(ServerError) as refused:
            await ctl.control(action, **data)
        assert refused.value.code == "not_points_round"


async def test_ceremony_steps_from_the_lowest_prize_up(make_live):
    live = await make_live(QUIZ)
    ctl, viewer = await live.control(), await live.viewer()
    await awards(ctl, PLAN)
    await ctl.control("manual_award", contestant="Q8", award="特等奖", reason="组委会决定")
    await ctl.control("ceremony", step=0)
    await viewer.wait_for(lambda: viewer.state["ceremony"] is not None, WAIT)
    steps = viewer.state["ceremony"]["steps"]
    assert viewer.state["ceremony"]["stages"] == []
    for step in range(1, steps + 1):
        await ctl.control("ceremony", step=step)
    await viewer.wait_for(lambda: viewer.state["ceremony"]["step"] == steps, WAIT)
    stages = viewer.state["ceremony"]["stages"]
    titles = [s["title"] for s in stages]
    assert titles == ["优秀奖", "三等奖", "二等奖", "一等奖", "特等奖"]
    assert [w["contestant"] for w in stages[3]["categories"][0]["winners"]] == ["Q6"]
    assert stages[-1]["kind"] == "manual" and stages[-1]["categories"][0]["winners"][0]["contestant"] == "Q8"
    with pytest.raises(ServerError) as refused:
        await ctl.control("ceremony", step=steps + 1)
    assert refused.value.code == "bad_request"
    await ctl.control("ceremony", step=None)
    await viewer.wait_for(lambda: viewer.state["ceremony"] is None, WAIT)


async def test_correction_preview_changes_nothing(make_live, tmp_path):
    live = await make_live()
    ctl, viewer = await live.control(), await live.viewer()
    judges = await all_judges(live)
    await ctl.control("open", contestants=["C1", "C2"])
    await score(live, judges, "heat", "C1", dict(HEAT))
    await score(live, judges, "heat", "C2", {j: "50" for j in HEAT if j != "E3"})  # E3 is recused from C2
    await ctl.control("lock", contestants=["C1", "C2"])
    before_events = len(live.events())
    before_private = ctl.state["private:arts"]
    preview = await ctl.preview(round="heat", contestant="C2", judge="E1", scores={"total": "100"}, reason="paper card")
    assert isinstance(preview, p.Preview) and preview.category == "arts"
    assert preview.before == before_private
    assert preview.after != preview.before
    assert len(live.events()) == before_events
    snap = await live.control()
    assert snap.state["private:arts"] == before_private  # the trial mark was taken back
    with pytest.raises(ServerError) as refused:
        await ctl.preview(round="heat", contestant="C2", judge="E1", scores={"total": "100"})
    assert refused.value.code == "reason_required"


async def test_unit_standings_follow_the_public_results(make_live, tmp_path):
    path = tmp_path / "quiz.toml"
    path.write_text(QUIZ.read_text(encoding="utf-8") + '\n[awards.units]\nname = "街道排名"\n', encoding="utf-8")
    (tmp_path / "roster.csv").write_text((QUIZ.parent / "roster.csv").read_text(encoding="utf-8"), encoding="utf-8")
    live = await make_live(path)
    ctl, viewer = await live.control(), await live.viewer()
    assert viewer.state["units"]["name"] == "街道排名"
    assert {u["score"] for u in viewer.state["units"]["standings"]} == {"20"}
    await awards(ctl, PLAN[:1])
    await viewer.wait_for(lambda: viewer.state["units"]["standings"][0]["score"] == "30", WAIT)
    top = viewer.state["units"]["standings"][0]
    assert top["rank"] == 1 and top["counted"] == ["Q1"]


async def test_control_snapshots_carry_the_review(make_live):
    live = await make_live()
    ctl = await live.control()
    judges = await all_judges(live)
    await ctl.control("open", contestants=["C1"])
    await score(live, judges, "heat", "C1", {**HEAT, "P3": "99"})
    await ctl.request_snapshot()
    await ctl.wait_for(lambda: any(j["scored"] for j in ctl.state["review"]["judges"]), WAIT)
    flagged = {f["judge"] for f in ctl.state["review"]["flags"]}
    assert "P3" in flagged  # 99 against a panel score near 65
    viewer = await live.viewer()
    assert "review" not in viewer.state


async def test_a_judged_round_then_a_quiz_equals_the_offline_tabulation(make_live):
    """fixtures/quiz-mixed: a presentation marked by judges (40%) and a live quiz (60%), run
    live from its scores file's rows; the live standings equal `judging tabulate`'s."""
    folder = ROOT / "fixtures" / "quiz-mixed"
    rows = list(csv.DictReader((folder / "scores.csv").open(encoding="utf-8")))
    live = await make_live(folder / "contest.toml")
    tokens = {j: f"tok-{j}-mixed-0123456789" for j in ("J1", "J2", "J3")}
    live.store.issue_tokens([(f"judge:{j}", "judge", t) for j, t in tokens.items()])
    ctl, viewer = await live.control(), await live.viewer()
    judges = {j: await live.client(t) for j, t in tokens.items()}
    teams = [f"T{i}" for i in range(1, 7)]
    await ctl.control("open", contestants=teams)
    sids = [(r["judge"], await judges[r["judge"]].submit("show", r["contestant"], {"total": r["score"]})) for r in rows if r["round"] == "show"]
    for jid, sid in sids:
        await judges[jid].wait_ack(sid, WAIT)
    await ctl.control("lock", contestants=teams)
    await ctl.control("reveal", contestants=teams)
    await ctl.control("next_round")
    await viewer.wait_for(lambda: viewer.state["quiz"] is not None, WAIT)
    assert {t["total"] for t in viewer.state["quiz"]["teams"]} == {"100.0"}
    for i, r in enumerate(r for r in rows if r["round"] == "quiz"):
        qtype, number = r["criterion"].split("#")
        if i == 5:
            await live.restart()  # halfway through the quiz
            ctl, viewer = await live.control(), await live.viewer()
        await ctl.control("question", type=qtype, number=int(number))
        points = r["score"]  # every question here is worth +10 when right; risk: the stake
        data = {"outcome": "correct" if int(points) > 0 else "wrong"}
        if qtype == "risk":
            data["stake"] = points.lstrip("-")
        await ctl.control("points", contestant=r["contestant"], **data)
    await viewer.wait_for(lambda: viewer.state["quiz"]["last"]["number"] == 9 and viewer.state["quiz"]["last"]["contestant"] == "T6", WAIT)
    tab, report = tabulate_files(load_contest(folder / "contest.toml"), folder / "scores.csv", None)
    assert report.errors == []
    expected = standings_data(tab)["categories"][0]["standings"]
    got = viewer.state["standings:final"]
    assert [(r["contestant"], r["rank"], r["total"], r["award"]) for r in got] == [
        (r["contestant"], r["rank"], r["total"], r["award"]) for r in expected
    ]
    assert got[0]["contestant"] == "T4" and got[0]["total"] == "112.2"


async def test_a_manual_award_in_the_contest_file_is_public_from_the_start_of_a_quiz(make_live, tmp_path):
    path = tmp_path / "quiz.toml"
    extra = '\n[[awards.manual]]\ncontestant = "Q8"\naward = "特等奖"\nreason = "组委会决定"\n'
    path.write_text(QUIZ.read_text(encoding="utf-8") + extra, encoding="utf-8")
    (tmp_path / "roster.csv").write_text((QUIZ.parent / "roster.csv").read_text(encoding="utf-8"), encoding="utf-8")
    live = await make_live(path)
    viewer = await live.viewer()
    row = next(r for r in viewer.state["standings:final"] if r["contestant"] == "Q8")
    assert row["award"] == "特等奖" and row["award_kind"] == "manual"


# -- a freeze during a quiz ----------------------------------------------------------------------


def rows_of(standings: list[dict]) -> list[tuple]:
    return [(r["rank"], r["contestant"], r["total"], r["award"]) for r in standings]


async def test_an_award_replaced_during_a_freeze_reaches_the_hall_at_unfreeze(make_live):
    live = await make_live(QUIZ)
    ctl, viewer = await live.control(), await live.viewer()
    await ctl.control("question", type="buzzer", number=1)
    await ctl.control("points", contestant="Q1", outcome="correct")
    await ctl.control("freeze")
    await ctl.control("undo")
    # The same question again, other points: the hall's copy must be replaced, not kept.
    await ctl.control("points", contestant="Q1", outcome="wrong", type="buzzer", number=1)
    done = await ctl.control("unfreeze")
    await viewer.wait_for(lambda: viewer.seq >= done.seq, WAIT)
    await ctl.wait_for(lambda: ctl.seq >= done.seq, WAIT)
    assert {t["contestant"]: t["total"] for t in viewer.state["quiz"]["teams"]}["Q1"] == "10"
    assert rows_of(viewer.state["standings:final"]) == rows_of(ctl.state["private:final"])
    assert rows_of(viewer.state["standings:final"])[-1] == (8, "Q1", "10", "优秀奖")
    assert viewer.state["quiz"]["last"]["outcome"] == "wrong" and not viewer.state["quiz"]["last"]["undone"]

    # Replayed from the log, the hall's view is the same.
    before = viewer.state
    await live.restart()
    again = await live.viewer()
    assert again.state["quiz"] == before["quiz"]
    assert again.state["standings:final"] == before["standings:final"]


async def test_while_frozen_the_hall_keeps_the_last_change_of_its_totals(make_live):
    live = await make_live(QUIZ)
    ctl, viewer = await live.control(), await live.viewer()
    await ctl.control("question", type="buzzer", number=1)
    shown = await ctl.control("points", contestant="Q1", outcome="correct")
    await ctl.control("freeze")
    await ctl.control("points", contestant="Q2", outcome="correct")
    done = await ctl.control("undo", award=shown.seq)
    await viewer.wait_for(lambda: viewer.seq >= done.seq, WAIT)
    late = await live.viewer()  # connects during the freeze
    for hall in (viewer.state["quiz"], late.state["quiz"]):
        assert (hall["last"]["seq"], hall["last"]["contestant"], hall["last"]["undone"]) == (shown.seq, "Q1", False)
        totals = {t["contestant"]: t["total"] for t in hall["teams"]}
        assert (totals["Q1"], totals["Q2"]) == ("30", "20")
    # The host sees what was done.
    await ctl.wait_for(lambda: ctl.seq >= done.seq, WAIT)
    assert (ctl.state["quiz"]["last"]["seq"], ctl.state["quiz"]["last"]["undone"]) == (shown.seq, True)

    await ctl.control("unfreeze")
    await viewer.wait_for(lambda: viewer.state["quiz"]["last"]["undone"], WAIT)
    totals = {t["contestant"]: t["total"] for t in viewer.state["quiz"]["teams"]}
    assert (totals["Q1"], totals["Q2"]) == ("20", "30")


# -- the console names the question it showed -----------------------------------------------------


class HeldUpdates:
    """Keeps a client's updates from reaching its view (as a slow network would) until released;
    the server's answers to its actions still arrive."""

    def __init__(self, client: Client):
        self.client, self.real, self.held = client, client._on_frame, []
        client._on_frame = self._hold  # type: ignore[method-assign]

    async def _hold(self, frame) -> None:
        if json.loads(frame).get("type") == "update":
            self.held.append(frame)
        else:
            await self.real(frame)

    async def release(self) -> None:
        for frame in self.held:  # in order, before any newer frame can be handled
            await self.real(frame)
        self.client._on_frame = self.real  # type: ignore[method-assign]


async def test_the_console_awards_and_undoes_what_it_showed(make_live):
    live = await make_live(QUIZ)
    other = await live.control()  # a second console
    await other.control("question", type="buzzer", number=1)
    app = ControlApp(Client(live.url, CONTROL, backoff=(0.02, 0.2)))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot_until(pilot, lambda: ((app.client.state.get("quiz") or {}).get("question") or {}).get("number") == 1)
        await pilot.pause()
        teams = [t["contestant"] for t in app.client.state["quiz"]["teams"]]

        held = HeldUpdates(app.client)
        await other.control("question", type="buzzer", number=2)  # the console still shows buzzer 1
        await pilot.press(str(teams.index("Q1") + 1), "c")
        await pilot_until(pilot, lambda: live.events("points"))
        (award,) = live.events("points")
        assert (award["data"]["contestant"], award["data"]["type"], award["data"]["number"]) == ("Q1", "buzzer", 1)
        await held.release()
        await pilot_until(pilot, lambda: (app.client.state["quiz"]["last"] or {}).get("seq") == award["seq"])

        held = HeldUpdates(app.client)
        await other.control("points", contestant="Q2", outcome="correct")  # buzzer 2, unseen here
        await pilot.press("u")  # takes back Q1's award, the last one this console shows
        await pilot_until(pilot, lambda: live.events("undo"))
        assert [e["data"]["award"] for e in live.events("undo")] == [award["seq"]]
        await held.release()


async def pilot_until(pilot, predicate, timeout: float = WAIT) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await pilot.pause(0.02)


# -- the live log and its scores file give the same results ---------------------------------------

# The quiz the next test runs, and the same quiz written out by hand as a scores file: each
# team's standing award per question (the undone ones are gone).
RUN = [
    ("required", 1, [("Q1", "correct", None), ("Q2", "wrong", None)]),
    ("buzzer", 1, [("Q3", "correct", None), ("Q4", "wrong", None)]),
    ("risk", 1, [("Q5", "wrong", "30"), ("Q6", "correct", "20")]),
]
RUN_AFTER_UNDO = [
    ("risk", 1, [("Q6", "none", None)]),
    ("video", 1, [("Q7", "correct", None)]),
    ("charades", 1, [("Q8", "correct", None)]),
    ("buzzer", 2, [("Q4", "correct", None)]),
]
RUN_SCORES = """contestant,judge,criterion,score
Q1,,required#1,10
Q2,,required#1,0
Q3,,buzzer#1,10
Q4,,buzzer#1,-10
Q5,,risk#1,-30
Q6,,risk#1,0
Q7,,video#1,20
Q8,,charades#1,5
Q4,,buzzer#2,10
"""
RUN_TOTALS = {"Q1": "30", "Q2": "20", "Q3": "30", "Q4": "20", "Q5": "-10", "Q6": "20", "Q7": "40", "Q8": "25"}


async def run_quiz(ctl: Client, plan) -> list[int]:
    """Each award with its question named; returns the acknowledged awards' event numbers."""
    acked = []
    for qtype, number, answers in plan:
        await ctl.control("question", type=qtype, number=number)
        for team, outcome, stake in answers:
            extra = {"stake": stake} if stake else {}
            acked.append((await ctl.control("points", contestant=team, outcome=outcome, type=qtype, number=number, **extra)).seq)
    return acked


async def test_export_of_the_live_log_equals_tabulate_of_its_scores_file(make_live, tmp_path, capsys):
    live = await make_live(QUIZ)
    ctl = await live.control()
    await run_quiz(ctl, RUN)
    await ctl.control("undo")  # Q6's won risk: then it answers nothing
    await run_quiz(ctl, RUN_AFTER_UNDO)
    await live.stop_server()

    out = tmp_path / "export.json"
    assert main(["export", "--db", str(live.db), "--contest", str(QUIZ), "--format", "json", "--out", str(out), "--quiet"]) == 0
    exported = json.loads(out.read_text(encoding="utf-8"))["standings"]["categories"][0]["standings"]
    scores = tmp_path / "scores.csv"
    scores.write_text(RUN_SCORES, encoding="utf-8")
    capsys.readouterr()
    assert main(["tabulate", str(QUIZ), "--scores", str(scores), "--format", "json"]) == 0
    tabulated = json.loads(capsys.readouterr().out)["categories"][0]["standings"]

    def ranked(rows: list[dict]) -> list[tuple]:
        return [(r["rank"], r["contestant"], r["total"]) for r in rows]

    assert ranked(exported) == ranked(tabulated)
    assert {r["contestant"]: r["total"] for r in exported} == RUN_TOTALS
    assert ranked(exported)[0] == (1, "Q7", "40") and ranked(exported)[-1] == (8, "Q5", "-10")


# -- the server killed with SIGKILL halfway through a quiz ---------------------------------------


async def test_kill_9_halfway_through_a_quiz_keeps_every_acknowledged_award_once(tmp_path):
    db = prepared_db(tmp_path)
    server = ServeProcess(QUIZ, db)
    server.start()
    ctl = Client(server.url, CONTROL, backoff=(0.02, 0.1))
    try:
        await ctl.start(WAIT)
        acked = await run_quiz(ctl, RUN)
        q6_won = acked[-1]
        await ctl.control("undo")  # Q6's won risk

        # Killed with an award on its way: it was logged or not, never half.
        pending = asyncio.create_task(ctl.control("points", contestant="Q6", outcome="none", type="risk", number=1, timeout=1))
        await asyncio.sleep(0)
        server.kill9()
        try:
            acked.append((await pending).seq)
        except (ServerError, TimeoutError):
            pass  # not acknowledged: asked again below
        await ctl.wait_for(lambda: not ctl.connected.is_set(), WAIT)
        await asyncio.to_thread(server.start)
        await ctl.wait_for(lambda: ctl.synced.is_set(), WAIT)
        if len(acked) == 6:
            try:
                acked.append((await ctl.control("points", contestant="Q6", outcome="none", type="risk", number=1)).seq)
            except ServerError as e:
                assert e.code == "already_awarded"  # it was logged before the kill
        acked += await run_quiz(ctl, RUN_AFTER_UNDO[1:])

        await ctl.wait_for(lambda: ctl.state["quiz"]["last"]["contestant"] == "Q4", WAIT)
        assert {t["contestant"]: t["total"] for t in ctl.state["quiz"]["teams"]} == RUN_TOTALS
    finally:
        await ctl.close()
        server.stop()

    store = Store(db)
    try:
        events = list(store.events())
    finally:
        store.close()
    points = [e for e in events if e["kind"] == "points"]
    seqs = [e["seq"] for e in points]
    assert all(seqs.count(seq) == 1 for seq in acked)
    assert len(seqs) == len(set(seqs))
    assert [e["data"]["award"] for e in events if e["kind"] == "undo"] == [q6_won]
    assert [e["kind"] for e in events].count("server_started") == 2
    standing = [(e["data"]["contestant"], e["data"]["type"], e["data"]["number"]) for e in points if e["seq"] != q6_won]
    assert len(standing) == len(set(standing)) == 9  # one award per team and question, none twice
