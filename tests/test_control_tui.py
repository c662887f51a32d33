"""The host's console (``judging control``), driven by the Pilot against a real server on
127.0.0.1 port 0 (tests/server_fixtures.py), with judges scoring through the headless client;
the console's model on its own; and snapshots of the main and quiz screens in both languages.

Every wait is bounded (``until``), so a broken test fails instead of hanging.
"""

from __future__ import annotations

import asyncio
import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from server_fixtures import CONTROL, WAIT, Live, live, make_live, score, single_round  # noqa: F401

from judging.client import Client
from judging.console import model
from judging.console.app import ControlApp, Connecting
from judging.console.correction import CorrectionForm, PreviewScreen
from judging.console.dialogs import Confirm, FormDialog
from judging.console.main import MainScreen
from judging.console.quiz import QuestionPicker, QuizPanel
from judging.console.screens import CeremonyScreen, ReviewScreen
from judging.console.widgets import NoticeLine, OrderTable, ScoringNow, StandingsView
from judging.contest_file import load_contest
from judging.report import standings_data
from judging.scoresheet import tabulate_files
from rich.console import Console
from rich.text import Text
from textual.content import Content
from textual.widgets import Input, Select, Static

ROOT = Path(__file__).resolve().parent.parent
QUIZ = ROOT / "fixtures" / "quiz" / "contest.toml"
SIZE = (120, 36)
ALL_IN = {"E1": "80", "E2": "90", "E3": "70", "P1": "60", "P2": "65", "P3": "95"}


async def until(pilot, predicate, timeout: float = WAIT) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await pilot.pause(0.02)


def console(live: Live, lang: str | None = None) -> ControlApp:
    return ControlApp(Client(live.url, CONTROL, backoff=(0.02, 0.2)), lang=lang)


async def ready(pilot) -> MainScreen:
    app = pilot.app
    await until(pilot, lambda: app.main is not None and app.connected and isinstance(app.screen, MainScreen))
    await pilot.pause()
    return app.main


def text(widget) -> str:
    """What a widget shows, as plain text (Rich renderables included)."""
    content = widget.content if isinstance(widget, Static) else widget.render()
    if isinstance(content, (str, Content)):
        return str(content)
    if isinstance(content, Text):
        return content.plain
    out = Console(width=max(40, widget.size.width or 100), file=io.StringIO(), color_system=None, record=True)
    out.print(content)
    return out.export_text()


def notice(app: ControlApp) -> str:
    return app.notice[0]


async def done(pilot, what: str) -> None:
    """Wait for the status line to say an action was carried out."""
    await until(pilot, lambda: what in notice(pilot.app) and not pilot.app.notice[1] and "…" not in notice(pilot.app))


async def judges(live: Live, ids) -> dict[str, Client]:
    return {j: await live.judge(j) for j in ids}


# -- the order of play -------------------------------------------------------------------------


async def test_open_lock_reveal(live):
    viewer = await live.viewer()
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        main = await ready(pilot)
        table = main.query_one(OrderTable)
        assert table.selected() == "C1"  # the next contestant up
        assert app.lang == "en"
        await pilot.press("o")
        await until(pilot, lambda: app.client.state["status"]["C1"]["status"] == "open")
        await done(pilot, "open Ann (C1)")
        await score(live, await judges(live, ALL_IN), "heat", "C1", ALL_IN)
        await until(pilot, lambda: "every judge has submitted" in text(main.query_one(ScoringNow)))
        assert table.get_row("C1")[5] == "6/6"

        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, Confirm))
        assert "Lock Ann (C1)?" in text(app.screen.query_one("#question"))
        await pilot.press("enter")  # nobody missing: Yes has the focus
        await until(pilot, lambda: app.client.state["status"]["C1"]["status"] == "locked")

        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, Confirm))
        assert "Reveal Ann (C1)" in text(app.screen.query_one("#question"))
        assert "rank 1" in text(app.screen.query_one("#detail"))
        await pilot.press("enter")
        await viewer.wait_for(lambda: [s["contestant"] for s in viewer.state["standings:arts"]] == ["C1"], WAIT)
        await until(pilot, lambda: table.selected() == "C2")  # on to the next contestant up
        assert "revealed" in str(table.get_row("C1")[4])
        assert [e["kind"] for e in live.events() if e["actor"] == "control"] == ["open", "lock", "reveal"]


async def test_close_key_ends_scoring(live):
    viewer = await live.viewer()
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        main = await ready(pilot)
        await pilot.press("o")
        await until(pilot, lambda: app.client.state["status"]["C1"]["status"] == "open")
        await score(live, await judges(live, ["E1", "E2"]), "heat", "C1", {"E1": "80", "E2": "90"})
        await pilot.press("c")  # in a judged round the key closes; in a quiz it marks an answer correct
        await viewer.wait_for(lambda: viewer.state["status"]["C1"]["status"] == "closed", WAIT)
        await done(pilot, "close Ann (C1)")
        assert [e["data"]["contestants"] for e in live.events("close")] == [["C1"]]
        assert not live.events("points")
        assert "closed" in str(main.query_one(OrderTable).get_row("C1")[4])


async def test_waiting_judges_by_name_then_lock_anyway(live):
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        main = await ready(pilot)
        await pilot.press("o")
        await until(pilot, lambda: "C1" in (app.client.state.get("progress") or {}))
        await score(live, await judges(live, ["E1", "E2"]), "heat", "C1", {"E1": "80", "E2": "90"})
        scoring = main.query_one(ScoringNow)
        await until(pilot, lambda: "2/6" in text(scoring))
        assert "waiting for (4): Emo (E3), Pia (P1), Pat (P2), Pim (P3)" in text(scoring).replace("\n", " ")

        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, Confirm))
        question = text(app.screen.query_one("#question"))
        assert "4 judge(s) have not submitted for Ann (C1): Emo (E3), Pia (P1), Pat (P2), Pim (P3)" in question
        await pilot.press("enter")  # the focus is on Wait
        await until(pilot, lambda: not isinstance(app.screen, Confirm))
        await pilot.pause(0.2)
        assert app.client.state["status"]["C1"]["status"] == "open"
        assert not live.events("lock")

        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.click("#yes")  # Lock anyway
        await until(pilot, lambda: app.client.state["status"]["C1"]["status"] == "locked")

        # No public judge at all: the result is incomplete, so revealing it is refused, in one calm line.
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.press("enter")
        await until(pilot, lambda: app.notice[1])
        assert "no complete result yet: Ann (C1) has no complete result" in notice(app)
        assert main.query_one(NoticeLine).has_class("error")


async def test_order_of_play_is_edited_then_sent(live):
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        main = await ready(pilot)
        table = main.query_one(OrderTable)
        await pilot.press("shift+down", "shift+down")
        assert main.draft == ["C2", "C3", "C1", "C4"]
        assert table.selected() == "C1"
        assert "not sent" in text(main.query_one("#order-title"))
        assert app.client.state["order"] == ["C1", "C2", "C3", "C4"]  # nothing sent yet
        await pilot.press("escape")
        assert main.draft is None
        await pilot.press("J", "ctrl+s")
        await until(pilot, lambda: app.client.state["order"] == ["C2", "C1", "C3", "C4"])
        await until(pilot, lambda: main.draft is None)
        assert live.events("order")[-1]["data"]["contestants"] == ["C2", "C1", "C3", "C4"]


async def test_correction_with_preview_and_reason(live):
    ctl = await live.control()
    js = await judges(live, ALL_IN)
    bob = {j: v for j, v in ALL_IN.items() if j != "E3"}  # E3 is recused from Bob
    for cid, marks in (("C1", ALL_IN), ("C2", {**bob, "E1": "70", "E2": "75"})):
        await ctl.control("open", contestants=[cid])
        await score(live, js, "heat", cid, marks)
        await ctl.control("lock", contestants=[cid])
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        main = await ready(pilot)
        assert [r.cid for r in model.standing_rows(app.client.state, "arts", True)] == ["C1", "C2"]
        main.query_one(OrderTable).select("C2")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, CorrectionForm))
        form = app.screen
        form.query_one("#m-0", Input).value = "99"
        await pilot.click("#yes")  # no judge, no reason: explained, nothing sent
        assert "Choose the judge" in text(form.query_one("#why"))
        form.query_one("#judge", Select).value = "E1"
        await until(pilot, lambda: form.query_one("#m-0", Input).has_focus)  # a judge chosen: on to the marks
        form.query_one("#reason", Input).focus()
        await pilot.press("enter")
        assert "reason" in text(form.query_one("#why")).lower()
        form.query_one("#reason", Input).value = "paper sheet says 99"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PreviewScreen))
        preview = app.screen
        rows = {r.cid: r for r in preview.rows}
        assert (rows["C2"].rank_before, rows["C2"].rank_after) == (2, 1)
        assert (rows["C1"].rank_before, rows["C1"].rank_after) == (1, 2)
        assert "paper sheet says 99" in text(preview.query_one("#detail"))
        assert not live.events("correction")  # a preview logs nothing
        await pilot.press("enter")  # Apply
        await until(pilot, lambda: [r.cid for r in model.standing_rows(app.client.state, "arts", True)] == ["C2", "C1"])
        event = live.events("correction")[0]
        assert event["data"]["judge"] == "E1" and event["data"]["scores"] == {"total": "99"}
        assert event["data"]["reason"] == "paper sheet says 99"


async def test_adjustment_and_manual_award(live):
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, FormDialog))
        await pilot.press(*"-0.5", "enter", "enter")  # no reason yet
        assert "Give a reason" in text(app.screen.query_one("#why"))
        app.screen.query_one("#f-reason", Input).value = "overtime 30s"
        await pilot.press("enter")
        await done(pilot, "-0.5 for Ann (C1)")
        adj = live.events("adjustment")[0]["data"]
        assert adj == {"contestant": "C1", "points": "-0.5", "reason": "overtime 30s", "round": "heat"}

        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, FormDialog))
        app.screen.query_one("#f-award", Input).value = "Special prize"
        await pilot.press("enter")
        app.screen.query_one("#f-reason", Input).value = "national winner"
        await pilot.press("enter")
        await done(pilot, "Special prize for Ann (C1)")
        assert live.events("manual_award")[0]["data"] == {"contestant": "C1", "award": "Special prize", "reason": "national winner"}


async def test_freeze_and_unfreeze(live):
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        main = await ready(pilot)
        await pilot.press("f")
        await until(pilot, lambda: app.client.state["frozen"] is True)
        await until(pilot, lambda: "FROZEN" in text(main.query_one("#header")))
        assert main.query_one("#header").has_class("frozen")
        await pilot.press("f")  # the same key unfreezes
        await until(pilot, lambda: app.client.state["frozen"] is False)
        assert [e["kind"] for e in live.events() if e["kind"] in ("freeze", "unfreeze")] == ["freeze", "unfreeze"]


async def test_next_round(live):
    ctl = await live.control()
    js = await judges(live, ALL_IN)
    for cid in ("C1", "C2", "C3", "C4"):
        await ctl.control("open", contestants=[cid])
        await score(live, js, "heat", cid, {j: v for j, v in ALL_IN.items() if not (j == "E3" and cid == "C2")})
        await ctl.control("lock", contestants=[cid])
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        main = await ready(pilot)
        await pilot.press("N")
        await until(pilot, lambda: isinstance(app.screen, Confirm))
        assert "Final" in text(app.screen.query_one("#question"))
        await pilot.press("enter")
        await until(pilot, lambda: app.client.state["round"] == "final")
        await until(pilot, lambda: "Round: Final" in text(main.query_one("#header")))
        assert not main.check_action("next_round", ())  # the last round: the key is gone


async def test_ceremony_stepping(make_live, tmp_path):
    live = await make_live(single_round(tmp_path))
    ctl, viewer = await live.control(), await live.viewer()
    js = await judges(live, ALL_IN)
    for cid in ("C1", "C2", "C3", "C4"):
        await ctl.control("open", contestants=[cid])
        await score(live, js, "heat", cid, {j: v for j, v in ALL_IN.items() if not (j == "E3" and cid == "C2")})
        await ctl.control("lock", contestants=[cid])
        await ctl.control("reveal", contestants=[cid])
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("g")
        await until(pilot, lambda: isinstance(app.screen, CeremonyScreen))
        shown = app.screen.query_one("#ceremony")
        assert "has not started" in text(shown)
        await pilot.press("right")
        await viewer.wait_for(lambda: (viewer.state.get("ceremony") or {}).get("step") == 0, WAIT)
        await until(pilot, lambda: "title card" in text(shown))
        await pilot.press("right")
        await viewer.wait_for(lambda: (viewer.state.get("ceremony") or {}).get("step") == 1, WAIT)
        await until(pilot, lambda: "1. Gold" in text(shown))
        steps = viewer.state["ceremony"]["steps"]
        for _ in range(steps - 1):
            await pilot.press("right")
        await viewer.wait_for(lambda: viewer.state["ceremony"]["step"] == steps, WAIT)
        await until(pilot, lambda: app.client.state["ceremony"]["step"] == steps)
        await pilot.press("right")  # past the last stage: said, not sent
        await until(pilot, lambda: notice(app) == "this is the last step")
        await pilot.press("left")
        await viewer.wait_for(lambda: viewer.state["ceremony"]["step"] == steps - 1, WAIT)
        await pilot.press("e")
        await viewer.wait_for(lambda: viewer.state.get("ceremony") is None, WAIT)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert [e["data"]["step"] for e in live.events("ceremony")] == [0, 1, *range(2, steps + 1), steps - 1, None]


async def test_review_screen(live):
    ctl = await live.control()
    await ctl.control("open", contestants=["C1"])
    await score(live, await judges(live, ALL_IN), "heat", "C1", ALL_IN)
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        before = app.client.snapshots
        await pilot.press("v")
        await until(pilot, lambda: isinstance(app.screen, ReviewScreen))
        screen = app.screen
        await until(pilot, lambda: not screen.fetching)
        assert app.client.snapshots > before  # asked the server for a fresh one
        shown = text(screen.query_one("#review"))
        assert "Eva (E1)" in shown and "Experts" in shown
        e1 = next(j for j in app.client.state["review"]["judges"] if j["judge"] == "E1")
        assert model.deviation(e1["mean_deviation"]) in shown
        assert "for contestants not on stage yet" in shown  # C2-C4 miss every mark, as they should
        await pilot.press("r")
        await until(pilot, lambda: app.client.snapshots > before + 1 and not screen.fetching)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))


async def test_refused_token(live):
    app = ControlApp(Client(live.url, "not-the-control-token", backoff=(0.02, 0.2)))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.refused)
        assert isinstance(app.screen, Connecting)
        assert "control token refused" in text(app.screen.query_one("#waiting"))


# -- the quiz ----------------------------------------------------------------------------------


def team_index(app: ControlApp, cid: str) -> str:
    """The digit that selects a team: its place in the order of play."""
    teams = [t["contestant"] for t in app.client.state["quiz"]["teams"]]
    return str(teams.index(cid) + 1)


async def pick_question(pilot, qtype: str, number: int) -> None:
    app = pilot.app
    await pilot.press("t")
    await until(pilot, lambda: isinstance(app.screen, QuestionPicker))
    ids = [x["id"] for x in app.client.state["quiz"]["types"]]
    picker = app.screen.query_one("#types")
    while picker.highlighted != ids.index(qtype):
        await pilot.press("down" if picker.highlighted < ids.index(qtype) else "up")
    await pilot.press("enter")  # on to the number, with the next one suggested
    field = app.screen.query_one("#number", Input)
    field.value = str(number)
    await pilot.press("enter")
    await until(pilot, lambda: (app.client.state["quiz"].get("question") or {}).get("number") == number
                and app.client.state["quiz"]["question"]["type"] == qtype)


async def award(pilot, cid: str, outcome: str, stake_presses: int = 0) -> None:
    """Select a team by its digit, choose the stake (risk), press the outcome key; wait for the server."""
    app = pilot.app
    seq = app.client.seq
    await pilot.press(team_index(app, cid))
    for _ in range(stake_presses):
        await pilot.press("s")
    await pilot.press({"correct": "c", "wrong": "w", "none": "n"}[outcome])
    await until(pilot, lambda: app.client.seq > seq and (app.client.state["quiz"]["last"] or {}).get("contestant") == cid)


def totals(app: ControlApp) -> dict[str, str]:
    return {t["contestant"]: t["total"] for t in app.client.state["quiz"]["teams"]}


def offline_standings(tmp_path: Path, awarded: list[tuple[str, str, str]]) -> list[tuple]:
    scores = tmp_path / "scores.csv"
    with scores.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["contestant", "judge", "criterion", "score"])
        for team, key, points in awarded:
            w.writerow([team, "", key, points])
    tab, report = tabulate_files(load_contest(QUIZ), scores, None)
    assert report.errors == []
    [cat] = standings_data(tab)["categories"]
    return [(s["rank"], s["contestant"], s["total"], s["award"]) for s in cat["standings"]]


async def test_a_whole_quiz_from_the_console(make_live, tmp_path):
    live = await make_live(QUIZ)
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        main = await ready(pilot)
        assert app.lang == "zh"  # the contest's language
        panel = main.query_one(QuizPanel)
        assert panel.display and not main.check_action("open", ())
        assert set(totals(app).values()) == {"20"}
        awarded: list[tuple[str, str, str]] = []

        await pilot.press("c")  # no question yet: said calmly, nothing sent
        assert "未选择题目" in notice(app) and not live.events("points")

        await pick_question(pilot, "required", 1)
        await award(pilot, "Q1", "correct")
        awarded.append(("Q1", "required#1", "10"))
        await pilot.press("right_square_bracket")  # ] the next question of the same type
        await until(pilot, lambda: app.client.state["quiz"]["question"]["number"] == 2)
        await award(pilot, "Q2", "wrong")
        awarded.append(("Q2", "required#2", "0"))

        await pick_question(pilot, "buzzer", 1)
        await award(pilot, "Q3", "wrong")
        awarded.append(("Q3", "buzzer#1", "-10"))
        await award(pilot, "Q4", "correct")
        awarded.append(("Q4", "buzzer#1", "10"))
        # A second award for the same team and question is refused; the line says why.
        seq = app.client.seq
        await pilot.press(team_index(app, "Q4"), "c")
        await until(pilot, lambda: app.notice[1])
        assert "已为该队计分" in notice(app) and app.client.seq == seq

        # A server restart halfway: the console reconnects and resyncs by itself.
        port = int(live.url.rsplit(":", 1)[1])
        await live.restart(port=port)
        await until(pilot, lambda: app.connected is False, timeout=WAIT)
        await until(pilot, lambda: app.connected and app.client.state.get("quiz"), timeout=3 * WAIT)
        assert totals(app)["Q3"] == "10" and totals(app)["Q4"] == "30"

        await pick_question(pilot, "risk", 1)
        await pilot.press(team_index(app, "Q5"), "w")  # a risk question needs the stake first
        assert "请先按 s 选择分值" in notice(app)
        await award(pilot, "Q5", "wrong", stake_presses=3)  # 10, 20, 30: a stake of 30 lost
        awarded.append(("Q5", "risk#1", "-30"))
        assert totals(app)["Q5"] == "-10"
        assert "-30" in text(panel.query_one("#q-last"))
        await award(pilot, "Q6", "correct", stake_presses=2)
        assert totals(app)["Q6"] == "40"

        await pilot.press("u")  # undo the last award (Q6's)
        await until(pilot, lambda: app.client.state["quiz"]["last"]["undone"])
        assert totals(app)["Q6"] == "20"
        assert "已撤销" in text(panel.query_one("#q-last"))
        await award(pilot, "Q6", "none")
        awarded.append(("Q6", "risk#1", "0"))

        await pick_question(pilot, "video", 2)
        await award(pilot, "Q7", "correct")
        awarded.append(("Q7", "video#2", "20"))
        await pick_question(pilot, "charades", 1)
        await award(pilot, "Q8", "correct")
        awarded.append(("Q8", "charades#1", "5"))

        shown = totals(app)
        await until(pilot, lambda: "-10" in str(panel.table.get_row("Q5")[3]))
        live_rows = [(s["rank"], s["contestant"], s["total"], s["award"]) for s in app.client.state["private:final"]]
        public_rows = [(s["rank"], s["contestant"], s["total"], s["award"]) for s in app.client.state["standings:final"]]
        assert live_rows == public_rows == offline_standings(tmp_path, awarded)
        assert {cid: total for _, cid, total, _ in live_rows} == shown


# -- the model, no terminal ------------------------------------------------------------------------


def test_moving_in_the_order_of_play():
    order = ["A", "B", "C", "D"]
    assert model.move(order, "A", -1) == order  # clamped at the top
    assert model.move(order, "B", 1) == ["A", "C", "B", "D"]
    assert model.move(order, "D", 5) == order
    assert model.move(order, "X", 1) == order


def test_preview_rows_join_before_and_after():
    before = [{"contestant": "A", "name": "Ann", "rank": 1, "total": "90"}, {"contestant": "B", "name": "Bob", "rank": 2, "total": "85"}]
    after = [{"contestant": "B", "name": "Bob", "rank": 1, "total": "91"}, {"contestant": "A", "name": "Ann", "rank": 2, "total": "90"}]
    rows = model.compare(before, after)
    assert [(r.cid, r.moved, r.changed) for r in rows] == [("B", 1, True), ("A", -1, True)]


def test_points_and_stakes():
    assert model.check_points("-0.50") == "-0.50" and model.check_points("0") is None and model.check_points("x") is None
    risk = {"name": "风险题", "correct": "0", "wrong": "0", "none": "0", "stakes": ["10", "20", "30"]}
    assert model.award_points(risk, "wrong", "30") == "-30"
    assert model.award_points(risk, "correct", None) is None
    assert model.award_points(risk, "none", None) == "0"
    buzzer = {"name": "抢答题", "correct": "10", "wrong": "-10", "none": "0", "stakes": []}
    assert model.award_points(buzzer, "wrong", None) == "-10"
    assert model.type_summary(buzzer, "zh") == "抢答题  答对 +10 / 答错 -10"
    assert model.type_summary(risk, "en") == "风险题  Stake 10/20/30"


def test_missing_marks_of_contestants_not_on_stage_are_only_counted():
    state = {"round": "heat", "status": {"C1": {"status": "locked"}, "C2": {"status": "waiting"}}}
    lines = ["C1 Ann: no complete card from judge E3 in round heat", "C2 Bob: no complete card from judge E1 in round heat"]
    assert model.missing_now(state, lines) == (lines[:1], 1)


def test_the_console_never_imports_the_store_or_the_server():
    code = "import sys, judging.control_tui, judging.console.app; print(sorted(m for m in sys.modules if m in ('judging.store', 'judging.server', 'judging.live')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_refuses_a_bad_address_and_a_missing_token(monkeypatch, capsys):
    from judging.cli import main

    monkeypatch.delenv("JUDGING_CONTROL_TOKEN", raising=False)
    assert main(["control", "http://127.0.0.1:8765", "--token", "x"]) == 2
    assert "ws://" in capsys.readouterr().err
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    assert main(["control", "ws://127.0.0.1:8765"]) == 2
    assert "no token" in capsys.readouterr().err


# -- snapshots: what the host sees (fixed states, no server, so they are stable) ----------------------


class StubClient(Client):
    """A client holding a fixed control view and never touching the network."""

    def __init__(self, state: dict):
        super().__init__("ws://127.0.0.1:9", "stub")
        self.state = state

    async def start(self, timeout: float = 5.0) -> None:
        self.connected.set()
        self.synced.set()
        self._changed(set(self.state))

    async def close(self) -> None:
        pass


PEOPLE = [
    ("S17", "苏伟", "北京邮政"), ("S12", "刘浩欣", "北京市第一中学"), ("S21", "欧阳林艳", "中关村科技园"),
    ("S13", "曹平", "国网北京供电"), ("S02", "唐梓", "北京市总工会"), ("S19", "薛秀", "北京市总工会"),
    ("S07", "高轩", "国网北京供电"), ("S06", "段娟", "北京市总工会"),
]
JUDGES = [("E1", "马强伟", "expert"), ("E2", "谢勇磊", "expert"), ("E3", "余桐", "expert"), ("M1", "顾娟", "model"),
          ("M2", "万兰一", "model"), ("P1", "罗涛英", "public"), ("P2", "范桐强", "public"), ("P3", "欧阳静", "public")]


def row(rank, cid, total, award=""):
    name, unit = next((n, u) for c, n, u in PEOPLE if c == cid)
    return {"rank": rank, "contestant": cid, "name": name, "unit": unit, "members": [], "total": total,
            "award": award, "award_kind": "tier" if award else "", "single_awards": []}


def speech_state() -> dict:
    order = [c for c, _, _ in PEOPLE]
    status = {c: {"status": "waiting", "revealed": False} for c in order}
    status.update({"S17": {"status": "locked", "revealed": True}, "S12": {"status": "locked", "revealed": True},
                   "S21": {"status": "locked", "revealed": False}, "S13": {"status": "open", "revealed": False}})
    private = [row(1, "S21", "93.12", "一等奖"), row(2, "S17", "91.35", "二等奖"), row(3, "S12", "88.60", "三等奖")]
    private += [row(None, c, None) for c in ("S13", "S02", "S19", "S07", "S06")]
    return {
        "contest": {
            "name": "2025年北京市职工宣讲比赛决赛", "language": "zh", "precision": 2,
            "categories": [{"id": "final", "name": "决赛"}],
            "panels": [{"id": "expert", "name": "专家评委", "weight": "0.7", "rule": "trimmed", "trim": 1},
                       {"id": "model", "name": "劳模工匠评委", "weight": "0.2", "rule": "mean", "trim": 0},
                       {"id": "public", "name": "职工大众评委", "weight": "0.1", "rule": "mean", "trim": 0}],
            "judges": [{"id": j, "name": n, "panel": p} for j, n, p in JUDGES],
            "contestants": [{"id": c, "name": n, "unit": u, "category": "final", "members": []} for c, n, u in PEOPLE],
            "rounds": [{"id": "final", "name": "决赛", "kind": "judged",
                        "criteria": [{"id": "total", "name": "总分", "min": "0", "max": "100", "step": "0.01", "factor": "1"}]}],
        },
        "round": "final", "frozen": False, "order": order, "status": status,
        "progress": {"S13": {"submitted": ["E1", "E3", "M1", "P2", "P3"], "expected": 8, "waiting": ["E2", "M2", "P1"]}},
        "private:final": private,
        "standings:final": [row(1, "S17", "91.35", "一等奖"), row(2, "S12", "88.60", "二等奖")],
        "reveal": None, "connected": {}, "quiz": None, "ceremony": None,
        "units": {"name": "团体总分", "standings": [{"rank": 1, "unit": "北京邮政", "score": "91.35", "counted": ["S17"]},
                                                    {"rank": 2, "unit": "北京市第一中学", "score": "88.60", "counted": ["S12"]}]},
    }


def quiz_state() -> dict:
    teams = [("Q5", "丰台区方庄街道代表队", "丰台区方庄街道", "-10"), ("Q2", "海淀区中关村街道代表队", "海淀区中关村街道", "20"),
             ("Q1", "朝阳区望京街道代表队", "朝阳区望京街道", "40"), ("Q7", "通州区永顺镇代表队", "通州区永顺镇", "30")]
    types = [("required", "必答题", "10", "0", []), ("buzzer", "抢答题", "10", "-10", []), ("risk", "风险题", "0", "0", ["10", "20", "30"])]
    ranked = [("Q1", "40", "一等奖"), ("Q7", "30", "二等奖"), ("Q2", "20", "二等奖"), ("Q5", "-10", "三等奖")]
    names = {c: (n, u) for c, n, u, _ in teams}
    standings = [{"rank": i, "contestant": c, "name": names[c][0], "unit": names[c][1], "members": [], "total": t, "award": a,
                  "award_kind": "tier", "single_awards": []} for i, (c, t, a) in enumerate(ranked, 1)]
    return {
        "contest": {
            "name": "2025年北京市社区安全生产知识竞赛决赛", "language": "zh", "precision": 0,
            "categories": [{"id": "final", "name": "决赛"}], "panels": [], "judges": [],
            "contestants": [{"id": c, "name": n, "unit": u, "category": "final", "members": []} for c, n, u, _ in teams],
            "rounds": [{"id": "quiz", "name": "决赛", "kind": "points", "criteria": []}],
        },
        "round": "quiz", "frozen": False, "order": [c for c, _, _, _ in teams],
        "status": {c: {"status": "waiting", "revealed": False} for c, _, _, _ in teams},
        "progress": {}, "reveal": None, "connected": {}, "units": None, "ceremony": None,
        "quiz": {
            "round": "quiz", "name": "决赛",
            "types": [{"id": i, "name": n, "correct": c, "wrong": w, "none": "0", "stakes": s} for i, n, c, w, s in types],
            "question": {"type": "risk", "name": "风险题", "number": 2},
            "last": {"seq": 41, "contestant": "Q5", "name": "丰台区方庄街道代表队", "type": "risk", "type_name": "风险题",
                     "number": 2, "outcome": "wrong", "points": "-30", "undone": False},
            "teams": [{"contestant": c, "name": n, "unit": u, "total": t} for c, n, u, t in teams],
        },
        # Quiz awards are public at once: the hall's standings equal the private ones.
        "private:final": standings, "standings:final": standings,
    }


async def settle(pilot) -> None:
    await until(pilot, lambda: pilot.app.main is not None and pilot.app.connected and isinstance(pilot.app.screen, MainScreen))
    await pilot.pause(0.1)


def test_snapshot_main_zh(snap_compare):
    """Chinese (the contest's language): order of play, who is being scored and who is missing by name, private and unit standings."""
    assert snap_compare(ControlApp(StubClient(speech_state())), terminal_size=SIZE, run_before=settle)


def test_snapshot_main_en_public(snap_compare):
    """The same contest in English (--lang en), CJK names aligned, showing the public standings."""

    async def go(pilot):
        await settle(pilot)
        await pilot.press("p")
        await pilot.pause()

    assert snap_compare(ControlApp(StubClient(speech_state()), lang="en"), terminal_size=SIZE, run_before=go)


def test_snapshot_quiz_zh(snap_compare):
    """A risk question: teams with running totals (one below zero), a stake chosen for the third team, the last change."""

    async def go(pilot):
        await settle(pilot)
        await pilot.press("3", "s", "s")
        await pilot.pause()

    assert snap_compare(ControlApp(StubClient(quiz_state())), terminal_size=SIZE, run_before=go)
