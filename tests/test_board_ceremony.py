"""The scoreboard's prize ceremony, unit standings, team members and single-item awards: the
Pilot against a real server stepping the ceremony from the control client, the layout rules
without a terminal, and snapshots (zh and en, CJK names) of what the hall sees."""

from __future__ import annotations

import shutil
from pathlib import Path

from board_states import segments_of, team, team_reveal, teaching, text_of, until
from rich.color import Color
from server_fixtures import WAIT, make_live  # noqa: F401
from textual.widgets import ContentSwitcher

from judging.board.ceremony import Ceremony
from judging.board.draw import big
from judging.board.model import MANUAL_COLOUR, TIER_COLOURS, build_rows, paginate
from judging.board.standings import UNITS, Standings
from judging.scoreboard import ScoreboardApp

QUIZ = Path(__file__).resolve().parent.parent / "fixtures" / "quiz"
SIZE = (120, 36)


def view(app: ScoreboardApp) -> str:
    return app.query_one("#view", ContentSwitcher).current or ""


# -- against a real server --------------------------------------------------------------------


async def test_the_ceremony_steps_from_the_control_client(make_live, tmp_path):
    """The quiz final (teams with members, no judges) with one manual award: title card, each
    stage lowest first, earlier stages kept small, then back to the standings."""
    for name in ("contest.toml", "roster.csv"):
        shutil.copy(QUIZ / name, tmp_path / name)
    contest = tmp_path / "contest.toml"
    contest.write_text(contest.read_text(encoding="utf-8") + '\n[[awards.manual]]\ncontestant = "Q8"\naward = "特等奖"\n'
                       'reason = "经组委会决定授予特等奖"\n', encoding="utf-8")
    live = await make_live(contest)
    ctl = await live.control()
    # Q5 40; Q2, Q7 30; Q3, Q4, Q6 20; Q1 10; Q8 (特等奖) 30.
    for qtype, number, answers in (("required", 1, [("Q5", "correct"), ("Q2", "correct"), ("Q7", "correct"), ("Q8", "correct")]),
                                   ("buzzer", 2, [("Q5", "correct"), ("Q1", "wrong")])):
        await ctl.control("question", type=qtype, number=number)
        for cid, outcome in answers:
            await ctl.control("points", contestant=cid, outcome=outcome)

    app = ScoreboardApp(live.url, page_seconds=600, highlight_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.connection == "live" and bool(app.board_state), WAIT)
        assert view(app) == "body"
        ceremony = app.query_one(Ceremony)

        await ctl.control("ceremony", step=0)
        await until(pilot, lambda: view(app) == "ceremony" and ceremony.size.width > 100, WAIT)  # shown and laid out
        shown = text_of(ceremony)
        assert "颁 奖 典 礼" in shown and "2025年北京市社区安全生产知识竞赛决赛" in shown
        assert "代表队" not in shown  # nobody revealed on the title card

        await ctl.control("ceremony", step=1)
        await until(pilot, lambda: "优 秀 奖" in text_of(ceremony), WAIT)
        shown = text_of(ceremony)
        assert "朝阳区望京街道代表队" in shown and "赵新、张蕊颖、赵敏铭" in shown  # the team and its members
        assert big("10")[1] in shown  # its total in big digits
        assert "●○○○○  1/5" in shown

        await ctl.control("ceremony", step=3)
        await until(pilot, lambda: "二 等 奖" in text_of(ceremony), WAIT)
        shown = text_of(ceremony)
        assert "海淀区中关村街道代表队" in shown and "通州区永顺镇代表队" in shown
        # Earlier stages, one compact line each.
        assert any(line.startswith("优秀奖") and "朝阳区望京街道代表队" in line for line in shown.splitlines())
        assert any(line.startswith("三等奖") and "东城区东华门街道代表队" in line for line in shown.splitlines())

        await ctl.control("ceremony", step=5)
        await until(pilot, lambda: "特 等 奖" in text_of(ceremony), WAIT)
        assert "昌平区回龙观街道代表队" in text_of(ceremony)
        # A manual award's stage is drawn in the manual colour, not in a tier's.
        band = [seg for seg in segments_of(ceremony) if "特 等 奖" in seg.text]
        assert band and all(seg.style.bgcolor == Color.parse(MANUAL_COLOUR) for seg in band)
        assert not any(seg.style.bgcolor == Color.parse(TIER_COLOURS[0]) for seg in segments_of(ceremony) if seg.style)

        await ctl.control("ceremony", step=None)
        await until(pilot, lambda: view(app) == "body", WAIT)
        assert app.query_one("#stage", ContentSwitcher).current == "quiz"
        await until(pilot, lambda: "丰台区方庄街道代表队" in text_of(app.query_one(Standings)), WAIT)  # laid out again


# -- layout, without a server -------------------------------------------------------------------


def _many_winners(n: int) -> dict:
    state = team("zh", step=2)
    rows = [{**state["standings:team"][0], "rank": i + 1, "contestant": f"X{i:02d}", "name": f"北京第{i + 1}高校代表队",
             "members": ["张三", "李四", "王五"], "total": f"{90 - i * 0.1:.2f}"} for i in range(n)]
    state["ceremony"]["stages"][-1]["categories"][0]["winners"] = rows
    return state


async def test_a_stage_with_many_winners_pages_and_every_page_fits():
    app = ScoreboardApp(state=_many_winners(38), page_seconds=600)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        ceremony = app.query_one(Ceremony)
        above, pages, below = ceremony.layout()
        assert len(pages) > 1
        assert all(len(above) + len(p) + len(below) + 1 <= ceremony.size.height for p in pages)
        seen = "".join(line.plain for p in pages for line in p)
        assert all(f"北京第{i + 1}高校代表队" in seen for i in range(38))
        assert "第 1/" in text_of(ceremony)
        await pilot.press("n")  # the operator turns the page
        assert f"第 2/{len(pages)} 页" in text_of(ceremony)


async def test_a_long_stage_pages_by_itself():
    app = ScoreboardApp(state=_many_winners(38), page_seconds=0.3)
    async with app.run_test(size=SIZE) as pilot:
        ceremony = app.query_one(Ceremony)
        await until(pilot, lambda: ceremony.size.height > 0 and "第 1/" in text_of(ceremony))
        await until(pilot, lambda: "第 2/" in text_of(ceremony))  # no key pressed
        assert "北京第1高校代表队" not in text_of(ceremony)


def test_manual_awards_are_told_by_award_kind():
    state = team("zh")
    rows = state["standings:team"]
    rows[0] = {**rows[0], "award": "组委会大奖"}  # no 特等 in the name: only award_kind says manual
    built = build_rows(rows, {}, set())
    assert built[0].colour == MANUAL_COLOUR and built[1].colour == TIER_COLOURS[0]
    assert not built[1].cut_above  # a manual award draws no cut line under it


def test_members_and_badges_take_a_second_line_and_pages_count_it():
    rows = build_rows(team("zh")["standings:team"], {}, set())
    assert rows[0].members == ("何佳嘉", "罗萍", "武军佳") and rows[0].lines == 2
    assert rows[3].single_awards == ("最佳现场答辩奖",)
    for page in paginate(rows, 7):
        assert sum(r.lines for r in page) + sum(1 for i, r in enumerate(page) if r.cut_above and i) <= 7


async def test_the_standings_page_on_to_the_unit_standings():
    app = ScoreboardApp(state=team("en"), page_seconds=600)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        standings = app.query_one(Standings)
        pages = standings.pages()
        assert [p.cid for p in pages] == ["team", UNITS]
        shown = text_of(standings)
        assert "肖超、郑晓志、赵怡刚" in shown and "★最佳现场答辩奖" in shown
        standings.next_page()
        shown = text_of(standings)
        assert "单位团体成绩" in shown and "Counted" in shown
        first = next(line for line in shown.splitlines() if "北京中医药大学" in line)
        assert first.split()[:3] == ["1", "北京中医药大学", "180.00"]


# -- snapshots (fixed states, no server) --------------------------------------------------------


def test_snapshot_ceremony_top_prize_zh(snap_compare):
    """The top tier of two categories, single-item award badges, five earlier stages below."""
    assert snap_compare(ScoreboardApp(state=teaching("zh", step=6), page_seconds=600), terminal_size=SIZE)


def test_snapshot_ceremony_teams_en(snap_compare):
    """Teams with their members, English words around Chinese names."""
    assert snap_compare(ScoreboardApp(state=team("en", step=3), page_seconds=600), terminal_size=SIZE)


def test_snapshot_ceremony_title_card_zh(snap_compare):
    assert snap_compare(ScoreboardApp(state=teaching("zh", step=0), page_seconds=600), terminal_size=SIZE)


def test_snapshot_reveal_card_with_members_and_single_award_zh(snap_compare):
    app = ScoreboardApp(state=team("zh"), page_seconds=600, highlight_seconds=600)

    async def run_before(pilot):
        pilot.app.apply_state(team_reveal("zh"))
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_unit_standings_en(snap_compare):
    app = ScoreboardApp(state=team("en"), page_seconds=600)

    async def run_before(pilot):
        pilot.app.query_one(Standings).next_page()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def test_ctrl_c_quits_the_board():
    app = ScoreboardApp(state=team("en"), page_seconds=600)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.return_code == 0  # set by exit(), before the test harness closes the app
