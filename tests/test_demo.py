"""``judging demo``: the whole speech final simulated at high speed equals the offline
tabulation of the marks it logged; Ctrl+C stops everything cleanly and says where the
database is; a stopped demo resumes on the same database; the board comes up with the demo."""

from __future__ import annotations

import asyncio
import csv
import os
import signal
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from textual.widgets import ContentSwitcher, Static

from judging.cli import main
from judging.contest_file import load_contest
from judging.demo import Background, Options, run_demo
from judging.demo_board import DemoBoard
from judging.demo_sim import Marks
from judging.live import LiveState
from judging.scoresheet import tabulate_files
from judging.store import Store
from judging.views import standings_section

ROOT = Path(__file__).resolve().parent.parent
SPEECH = ROOT / "fixtures" / "speech" / "contest.toml"
LIVE = ROOT / "fixtures" / "live" / "contest.toml"
MIXED = ROOT / "fixtures" / "quiz-mixed" / "contest.toml"
FAST = 1000.0  # every pause a thousandth of its length: the judges and the server set the pace
WAIT = 45.0  # the whole final, on a busy machine


def offline(contest_path: Path, db: Path, tmp: Path) -> dict[str, list[dict]]:
    """Tabulate the logged marks and adjustments the way paper ballots would be: written out as
    the scores and adjustments files of ``judging tabulate`` and read back."""
    contest = load_contest(contest_path)
    store = Store(db)
    cards: dict[tuple[str, str, str], dict[str, str]] = {}
    adjustments, awards = [], {}
    for e in store.events():
        d = e["data"]
        if e["kind"] in ("mark", "correction"):
            cards[(d["round"], d["contestant"], d["judge"])] = d["scores"]  # the last card counts
        elif e["kind"] == "adjustment":
            adjustments.append(d)
        elif e["kind"] == "points":
            awards[e["seq"]] = d
        elif e["kind"] == "undo":
            del awards[d["award"]]
    store.close()
    several = len(contest.rounds) > 1
    scores, adjusted = tmp / "scores.csv", tmp / "adjustments.csv"
    with scores.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["contestant", "judge", "criterion", "score"] + (["round"] if several else []))
        for (rid, cid, jid), card in cards.items():
            for crit, value in card.items():
                w.writerow([cid, jid, crit, value] + ([rid] if several else []))
        for a in awards.values():  # a quiz award is the row contestant,,TYPE#NUMBER,points
            w.writerow([a["contestant"], "", f"{a['type']}#{a['number']}", a["points"]] + ([a["round"]] if several else []))
    with adjusted.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["contestant", "points", "reason", "round"])
        for a in adjustments:
            w.writerow([a["contestant"], a["points"], a["reason"], a.get("round", "")])
    tab, report = tabulate_files(contest, scores, adjusted)
    assert report.errors == []
    return {c.id: standings_section(tab, c.id, only_ranked=True) for c in contest.categories}


def events(db: Path, kind: str) -> list[dict]:
    store = Store(db)
    try:
        return [e for e in store.events() if e["kind"] == kind]
    finally:
        store.close()


async def test_the_whole_final_at_high_speed_equals_offline_tabulation(tmp_path):
    db = tmp_path / "demo.db"
    lines: list[str] = []
    async with asyncio.timeout(WAIT):
        result = await run_demo(Options(SPEECH, db, speed=FAST, seed=7), lines.append)
    assert result.finished and result.revealed == 22
    assert len(events(db, "mark")) == 22 * 32  # every non-shadow judge scored every speaker once
    assert len(events(db, "reveal")) == 22
    assert sorted((a["data"]["contestant"], a["data"]["points"]) for a in events(db, "adjustment")) == [("S04", "-0.50"), ("S19", "-1.00")]

    standings = result.standings["final"]
    assert len(standings) == 22 and [r["rank"] for r in standings][:3] == [1, 2, 3]
    assert {r["contestant"] for r in standings if r["award"] == "特等奖"} == {"S07", "S15"}
    assert result.standings == offline(SPEECH, db, tmp_path)

    # The live state machine applied to the log again (as a restart does) gives the same results.
    contest, store = load_contest(SPEECH), Store(db)
    state = LiveState(contest)
    for event in store.events():
        state.apply(event)
    store.close()
    assert standings_section(state.public, "final", only_ranked=True) == standings
    assert standings_section(state.tab, "final", only_ranked=True) == standings

    assert lines[0].startswith("2025年北京市职工宣讲比赛决赛: serving on ws://127.0.0.1:")
    assert any("S04 刘平晓: -0.50 (超时30秒，扣0.5分)" in line for line in lines)
    # The prize ceremony: the title card, then each stage from the lowest prize to 特等奖.
    assert [e["data"]["step"] for e in events(db, "ceremony")] == [0, 1, 2, 3, 4]
    stages = [line for line in lines if line.startswith("ceremony ")]
    assert [s.split(": ")[1] for s in stages] == ["三等奖", "二等奖", "一等奖", "特等奖"]
    special = {contest.contestant(c).name for c in ("S07", "S15")}
    assert set(stages[-1].split(": ")[2].split(", ")) == special


async def test_a_stopped_demo_resumes_on_its_database_and_finishes_the_same(tmp_path):
    # The small live contest: two rounds with advancement, a recusal and a shadow judge.
    db = tmp_path / "live.db"
    lines: list[str] = []
    task = asyncio.create_task(run_demo(Options(LIVE, db, speed=50.0), lines.append))
    async with asyncio.timeout(WAIT):
        while not any("C2 Bob:" in line and "rank" in line for line in lines):
            await asyncio.sleep(0.01)
    url = next(line for line in lines if "serving on" in line).split("serving on ")[1].split(" ")[0]
    task.cancel()
    async with asyncio.timeout(10):
        with pytest.raises(asyncio.CancelledError):
            await task
    with pytest.raises(OSError):  # the server's port is closed
        host, port = url.removeprefix("ws://").split(":")
        _, writer = await asyncio.open_connection(host, int(port))
        writer.close()
    first = len(events(db, "reveal"))
    assert first >= 2

    lines.clear()
    async with asyncio.timeout(WAIT):
        result = await run_demo(Options(LIVE, db, speed=FAST), lines.append)
    assert result.finished
    reveals = [(e["data"]["contestants"][0]) for e in events(db, "reveal")]
    assert len(reveals) == len(set(reveals)) + 2  # heat: 4 contestants; final: the 2 who advanced, once each
    assert len(events(db, "next_round")) == 1
    assert not any("C1 Ann: scoring open" in line for line in lines)  # scored in the first run
    assert result.standings == offline(LIVE, db, tmp_path)
    marks = events(db, "mark")
    assert not any(m["data"]["judge"] == "T1" for m in marks)  # shadow judges are not simulated
    assert not any(m["data"]["judge"] == "E3" and m["data"]["contestant"] == "C2" for m in marks)  # recused


async def test_ctrl_c_stops_the_headless_demo_cleanly_and_names_the_database(tmp_path):
    db = tmp_path / "demo.db"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "judging", "demo", "--headless", "--speed", "20", "--db", str(db),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    seen: list[str] = []
    try:
        async with asyncio.timeout(WAIT):
            while not any("rank" in line for line in seen):  # one result revealed, the next on its way
                line = (await proc.stdout.readline()).decode()
                assert line, "the demo ended before revealing anything"
                seen.append(line)
        proc.send_signal(signal.SIGINT)
        async with asyncio.timeout(20):
            out, err = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    text, errors = out.decode(), err.decode()
    assert proc.returncode == 130
    assert "Traceback" not in errors and "Traceback" not in text
    assert "interrupted" in text
    assert f"demo database: {db}" in text
    assert len(events(db, "reveal")) >= 1 and len(events(db, "mark")) >= 32


async def test_a_quiz_after_a_judged_round_equals_offline_tabulation(tmp_path):
    # fixtures/quiz-mixed: a judged round, then a points round the host plays alone.
    db = tmp_path / "mixed.db"
    lines: list[str] = []
    async with asyncio.timeout(WAIT):
        result = await run_demo(Options(MIXED, db, speed=FAST), lines.append)
    assert result.finished and result.revealed == 6 and result.awards > 0
    awards, undos = events(db, "points"), events(db, "undo")
    assert len(undos) == 1 and len(awards) == result.awards + 1  # one award taken back, logged both ways
    assert any("by mistake; undone" in line for line in lines)
    assert {a["data"]["type"] for a in awards} == {"required", "buzzer", "risk"}
    assert result.standings == offline(MIXED, db, tmp_path)


def test_marks_are_repeatable_plausible_and_on_the_step():
    contest = load_contest(ROOT / "fixtures" / "teaching" / "contest.toml")
    a, b, c = Marks(contest, 1), Marks(contest, 1), Marks(contest, 2)
    rnd = contest.rounds[0]
    cid, jid = contest.contestants[0].id, contest.judges[0].id
    assert a.card(rnd.id, cid, jid) == b.card(rnd.id, cid, jid) != c.card(rnd.id, cid, jid)
    for crit in rnd.criteria:
        for cont in contest.contestants[:20]:
            value = Decimal(a.card(rnd.id, cont.id, jid)[crit.id])
            assert crit.min <= value <= crit.max
            assert (value - crit.min) % crit.step == 0
            assert value >= crit.min + (crit.max - crit.min) * Decimal("0.7")  # a final: good marks


def test_bad_options_are_named_not_traced(capsys):
    assert main(["demo", "--headless", "--speed", "0"]) == 2
    assert "--speed must be more than 0" in capsys.readouterr().err
    assert main(["demo", "--headless", "--adjustments", str(ROOT / "fixtures" / "quiz" / "scores.csv")]) == 2
    assert "scores.csv" in capsys.readouterr().err
    assert main(["demo", "--headless", "--contest", str(ROOT / "fixtures" / "nowhere.toml")]) == 2
    assert "cannot read the file" in capsys.readouterr().err


def test_a_database_of_another_contest_is_refused(tmp_path, capsys):
    db = tmp_path / "other.db"
    assert main(["demo", "--headless", "--speed", "1000", "--contest", str(LIVE), "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["demo", "--headless", "--db", str(db)]) == 2
    out, err = capsys.readouterr()
    assert "differs from the one this database was recorded with" in err and "Traceback" not in err + out
    store = Store(db)  # left as it was: still the live contest's, for export and verify
    assert store.get_meta("contest_path") == str(LIVE.resolve())
    store.close()


def test_the_readme_quick_start_runs_the_demo_then_the_ci_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = [b.split("```", 1)[0].strip() for b in section.split("```sh\n")[1:]]
    assert len(blocks) == 2
    assert blocks[0] == "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/judging demo"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert blocks[1] == ci


async def test_the_board_comes_up_with_the_demo_running(tmp_path):
    demo = Background(Options(SPEECH, tmp_path / "demo.db", speed=20.0))
    result = demo.start()
    try:
        app = DemoBoard(result.url, demo)
        async with app.run_test(size=(120, 36)) as pilot:
            # At this speed a reveal follows another within a second: the newest card in the
            # board's state may not be drawn yet when it is read, so wait for the two to agree.
            async with asyncio.timeout(WAIT):
                while True:
                    if app.query_one("#stage", ContentSwitcher).current == "reveal":
                        card, screen = app.board_state["reveal"], app.export_screenshot()
                        if card["name"] in screen:
                            break
                    await pilot.pause(0.05)
            assert "专家评委" in screen
            assert "demo" in str(app.query_one("#demo", Static).render())
            await pilot.press("ctrl+c")
            await pilot.pause(0.1)
        assert app.return_code == 0
    finally:
        demo.stop()
    assert not demo.running and demo.error is None
    assert demo.result is not None and demo.result.revealed >= 1
