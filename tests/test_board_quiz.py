"""The scoreboard in a live quiz (points round): the Pilot against a real server while the host
asks questions, awards and undoes points, the layout without a terminal, and snapshots in zh
and en with CJK team names."""

from __future__ import annotations

from pathlib import Path

from board_states import QUIZ_TEAMS, quiz, text_of, until
from rich.cells import cell_len
from server_fixtures import WAIT, make_live  # noqa: F401
from textual.widgets import ContentSwitcher

from judging.board.draw import big
from judging.board.quiz import QuizBoard
from judging.board.standings import Standings
from judging.scoreboard import ScoreboardApp

QUIZ = Path(__file__).resolve().parent.parent / "fixtures" / "quiz" / "contest.toml"
SIZE = (120, 36)


def totals(app: ScoreboardApp) -> dict[str, str]:
    return {t["contestant"]: t["total"] for t in app.query_one(QuizBoard).quiz["teams"]}


def last_change(board: QuizBoard) -> str:
    """The last-change lines as drawn, without the header's question or the teams' tiles."""
    return "\n".join(line.plain for line in board.last(board.size.width))


def cells(line: str, start: int, width: int) -> str:
    """``width`` terminal cells of ``line`` from cell ``start`` (CJK characters take two)."""
    out, at = "", 0
    for ch in line:
        if start <= at < start + width:
            out += ch
        at += cell_len(ch)
    return out


def tile(board: QuizBoard, name: str) -> list[str]:
    """A team's tile as drawn below the rule: its name, then what is under it down to the gap
    before the next row of tiles (the total in big digits is its last three lines)."""
    lines = [line.plain for line in board.render().renderables]
    below = lines[next(i for i, line in enumerate(lines) if line.startswith("───")) + 1 :]
    (row,) = [i for i, line in enumerate(below) if name in line]
    start = cell_len(below[row][: below[row].index(name)])
    out = [name]
    for line in below[row + 1 :]:
        if not line.strip():
            break
        out.append(cells(line, start, cell_len(name)).strip())
    return out


async def test_the_board_follows_a_live_quiz(make_live):
    live = await make_live(QUIZ)
    ctl = await live.control()
    app = ScoreboardApp(live.url, page_seconds=600, highlight_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.connection == "live" and bool(app.board_state), WAIT)
        assert app.query_one("#stage", ContentSwitcher).current == "quiz"
        board = app.query_one(QuizBoard)
        assert set(totals(app).values()) == {"20"}  # everyone starts at 20
        await until(pilot, lambda: "等待出题" in text_of(board) and big("20")[0] in text_of(board), WAIT)

        await ctl.control("question", type="buzzer", number=2)
        await until(pilot, lambda: "抢答题  第 2 题" in text_of(board), WAIT)

        await ctl.control("points", contestant="Q3", outcome="wrong")
        await until(pilot, lambda: totals(app)["Q3"] == "10", WAIT)
        last = last_change(board)
        assert "东城区东华门街道代表队" in last and "抢答题  第 2 题" in last and "答错" in last and "-10" in last
        assert "已撤销" not in last

        await ctl.control("undo")
        await until(pilot, lambda: totals(app)["Q3"] == "20", WAIT)
        assert "已撤销" in last_change(board) and "东城区东华门街道代表队" in last_change(board)

        # A risk question lost: the total goes below zero and shows its sign in big digits.
        await ctl.control("question", type="risk", number=3)
        await ctl.control("points", contestant="Q1", outcome="wrong", stake="30")
        await until(pilot, lambda: totals(app)["Q1"] == "-10", WAIT)
        assert tile(board, "朝阳区望京街道代表队")[-3:] == [line.strip() for line in big("-10")]
        last = last_change(board)
        assert "朝阳区望京街道代表队" in last and "风险题  第 3 题" in last and "-30" in last

        # The standings beside it update with every award.
        standings = text_of(app.query_one(Standings))
        rows = [line for line in standings.splitlines() if "代表队" in line]
        assert "朝阳区望京街道代表队" in rows[-1] and "-10" in rows[-1]


async def test_many_teams_fall_back_to_one_line_each():
    state = quiz("zh")
    teams = [{"contestant": f"T{i}", "name": f"第{i}社区代表队", "unit": "", "total": str(10 * i - 30)} for i in range(40)]
    state["quiz"]["teams"] = teams
    app = ScoreboardApp(state=state, page_seconds=600)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        lines = text_of(app.query_one(QuizBoard)).splitlines()
        assert all(any(f"第{i}社区代表队" in line for line in lines) for i in range(40))
        assert any(line.split()[:2] == ["第0社区代表队", "-30"] for line in lines)
        assert len(lines) <= app.query_one(QuizBoard).size.height


async def test_the_last_team_is_lit_until_its_award_is_undone():
    app = ScoreboardApp(state=quiz("zh"), page_seconds=600)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        board = app.query_one(QuizBoard)
        lit = [line for line in board.render().renderables if "朝阳区望京街道代表队" in line.plain and "on #ffd75f" in str(line.spans)]
        assert lit
        assert tile(board, "朝阳区望京街道代表队")[-3:] == [line.strip() for line in big("-10")]
        app.apply_state(quiz("zh", undone=True))
        await pilot.pause()
        assert not [line for line in board.render().renderables if "on #ffd75f" in str(line.spans)]
        # Drawn, not only held: the team's tile shows its total back at 0, every team has one.
        assert tile(board, "朝阳区望京街道代表队")[-3:] == [line.strip() for line in big("0")]
        assert all(len(tile(board, name)) >= 4 for _, name, _, _ in QUIZ_TEAMS)


# -- snapshots (fixed states, no server) --------------------------------------------------------


def test_snapshot_quiz_zh(snap_compare):
    """Eight teams, one below zero, the last award lit; the standings after the round beside."""
    assert snap_compare(ScoreboardApp(state=quiz("zh"), page_seconds=600), terminal_size=SIZE)


def test_snapshot_quiz_undone_en(snap_compare):
    assert snap_compare(ScoreboardApp(state=quiz("en", undone=True), page_seconds=600), terminal_size=SIZE)
