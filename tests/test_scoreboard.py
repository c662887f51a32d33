"""The live scoreboard (``judging board``): the Pilot against a real server, the board model,
and snapshots of what the hall sees (standings, reveal card, scoring progress, paging) in both
languages with CJK names. Snapshots draw fixed states, without a server, so they are stable."""

from __future__ import annotations

import asyncio
import copy
import io
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import server_fixtures as fixtures
from board_states import struck
from rich.console import Console
from server_fixtures import all_judges, make_live  # noqa: F401  (fixture)
from textual.widgets import ContentSwitcher, Digits, Static

from judging.board.model import MANUAL_COLOUR, TIER_COLOURS, Change, RankTracker, award_colours, build_rows, paginate
from judging.board.reveal import Marks
from judging.board.stage import ScoringProgress
from judging.board.standings import Standings
from judging.client import Client
from judging.contest_file import contest_digest_text, load_contest
from judging.scoreboard import ScoreboardApp
from judging.server import JudgingServer
from judging.store import Store

SPEECH = Path(__file__).parent.parent / "fixtures" / "speech" / "contest.toml"
SIZE = (120, 36)

# -- fixed states (snapshots) -----------------------------------------------------------------
NAMES = [
    ("S01", "付海", "首都钢铁公司"), ("S02", "唐梓", "北京市总工会"), ("S03", "史轩", "首都机场集团"),
    ("S04", "刘平晓", "北京公交集团"), ("S05", "欧阳明月", "北京地铁运营有限公司"), ("S06", "王博", "国家电网北京电力公司"),
    ("S07", "邓怡秀", "北京协和医院"), ("S08", "马强", "燕京啤酒集团"), ("S09", "谢勇磊", "北京环卫集团"),
    ("S10", "卢浩", "首钢园区"), ("S11", "张平", "北京邮政"), ("S12", "潘雨梓", "北京同仁堂"),
]
AWARDS = ["一等奖", "特等奖", "一等奖", "一等奖", "二等奖", "二等奖", "二等奖", "三等奖", "三等奖", "三等奖", "", ""]
JUDGES = [("E1", "马强伟", "expert"), ("E2", "谢勇磊", "expert"), ("E3", "余桐", "expert"), ("E4", "覃思强", "expert"),
          ("E5", "罗佳刚", "expert"), ("M1", "顾娟", "model"), ("M2", "万兰一", "model"), ("M3", "莫伟", "model"),
          ("P1", "罗涛英", "public"), ("P2", "范桐强", "public"), ("P3", "崔子子", "public"), ("P4", "汤霞丽", "public"),
          ("P5", "罗怡", "public"), ("P6", "欧阳静", "public")]


def contest(language: str) -> dict:
    return {
        "name": "2025年北京市职工宣讲比赛决赛" if language == "zh" else "Beijing Staff Speech Contest 2025, Final",
        "language": language,
        "precision": 2,
        "categories": [{"id": "final", "name": "决赛" if language == "zh" else "Final"}],
        "panels": [
            {"id": "expert", "name": "专家评委", "weight": "0.70", "rule": "trimmed", "trim": 1},
            {"id": "model", "name": "劳模工匠评委", "weight": "0.20", "rule": "trimmed", "trim": 1},
            {"id": "public", "name": "职工大众评委", "weight": "0.10", "rule": "trimmed", "trim": 1},
        ],
        "judges": [{"id": j, "name": n, "panel": p} for j, n, p in JUDGES],
        "contestants": [{"id": c, "name": n, "unit": u, "category": "final", "members": []} for c, n, u in NAMES],
        "rounds": [{"id": "final", "name": "决赛", "kind": "scores"}],
    }


def standings(order: list[str]) -> list[dict]:
    people = {c: (n, u) for c, n, u in NAMES}
    out = []
    for i, cid in enumerate(order):
        name, unit = people[cid]
        out.append({"rank": i + 1, "contestant": cid, "name": name, "unit": unit, "members": [],
                    "total": f"{95.12 - i * 0.83:.2f}", "award": AWARDS[i], "single_awards": []})
    return out


def reveal_card() -> dict:
    marks = {"expert": ["93.50", "95.20", "91.00", "94.10", "92.80"], "model": ["92.00", "93.40", "90.60"],
             "public": ["96.00", "91.20", "93.30", "94.40", "89.90", "92.70"]}
    dropped = {"expert": ("95.20", "91.00"), "model": ("93.40", "90.60"), "public": ("96.00", "89.90")}
    panels = []
    for pid, pname, weight, score in (("expert", "专家评委", "0.70", "93.47"), ("model", "劳模工匠评委", "0.20", "92.00"),
                                      ("public", "职工大众评委", "0.10", "92.90")):
        judges = [(j, n) for j, n, p in JUDGES if p == pid]
        panels.append({"panel": pid, "name": pname, "weight": weight, "score": score, "note": "",
                       "marks": [{"judge": j, "name": n, "mark": m, "dropped": m in dropped[pid]}
                                 for (j, n), m in zip(judges, marks[pid])]})
    return {"round": "final", "contestant": "S05", "name": "欧阳明月", "unit": "北京地铁运营有限公司", "panels": panels,
            "adjustments": [{"points": "-0.50", "reason": "超时30秒 (overtime)"}], "score": "92.63", "total": "92.63", "rank": 2}


def base(language: str) -> dict:
    order = [c for c, _, _ in NAMES]
    return {
        "contest": contest(language), "round": "final", "frozen": False, "order": order,
        "status": {c: {"status": "waiting", "revealed": False} for c in order},
        "progress": {}, "reveal": None, "standings:final": [],
    }


def before_reveal(language: str) -> dict:
    """Eleven contestants revealed; S05 not yet."""
    s = base(language)
    ranked = ["S01", "S07", "S02", "S03", "S04", "S06", "S08", "S09", "S10", "S11", "S12"]
    for c in ranked:
        s["status"][c] = {"status": "locked", "revealed": True}
    s["standings:final"] = standings(ranked)
    return s


def after_reveal(language: str) -> dict:
    """S05 revealed into second place: everyone below moves down one."""
    s = copy.deepcopy(before_reveal(language))
    s["status"]["S05"] = {"status": "locked", "revealed": True}
    s["standings:final"] = standings(["S01", "S05", "S07", "S02", "S03", "S04", "S06", "S08", "S09", "S10", "S11", "S12"])
    s["reveal"] = reveal_card()
    return s


def scoring(language: str) -> dict:
    """S05 on stage, 9 of 14 judges in: counts only."""
    s = before_reveal(language)
    s["status"]["S05"] = {"status": "open", "revealed": False}
    s["progress"] = {"S05": {"submitted": ["E1", "E2", "E3", "M1", "M2", "P1", "P2", "P3", "P4"], "expected": 14}}
    return s


# -- helpers ----------------------------------------------------------------------------------


def text_of(widget) -> str:
    """What a self-drawn widget shows, as plain text at its current width."""
    console = Console(width=max(20, widget.size.width), file=io.StringIO(), record=True, color_system=None)
    console.print(widget.render())
    return console.export_text()


async def until(pilot, predicate, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await pilot.pause(0.02)


async def score(judges: dict[str, Client], cid: str, marks: dict[str, str]) -> None:
    sids = [(judges[j], await judges[j].submit("final", cid, {"total": m})) for j, m in marks.items()]
    for client, sid in sids:
        await client.wait_ack(sid, timeout=5)


@pytest.fixture
async def live(tmp_path):
    """A real server on 127.0.0.1 port 0 with the speech contest, a control client and every judge."""
    contest = load_contest(SPEECH)
    store = Store(tmp_path / "live.db")
    judges = [j.id for j in contest.judges if not j.shadow]
    store.issue_tokens([(f"judge:{j}", "judge", f"tok-{j}") for j in judges] + [("control", "control", "ctl")])
    server = JudgingServer(contest, store, contest_digest_text(SPEECH))
    port = await server.start("127.0.0.1", 0)
    url = f"ws://127.0.0.1:{port}"
    ctl = Client(url, "ctl")
    clients = {j: Client(url, f"tok-{j}") for j in judges}
    await asyncio.gather(ctl.start(), *(c.start() for c in clients.values()))
    try:
        yield url, ctl, clients
    finally:
        await asyncio.gather(ctl.close(), *(c.close() for c in clients.values()))
        await server.close()
        store.close()


# -- against a real server --------------------------------------------------------------------


async def test_board_follows_a_live_contest(live):
    url, ctl, judges = live
    ids = list(judges)
    app = ScoreboardApp(url, highlight_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.connection == "live" and bool(app.board_state))
        assert app.query_one("#stage", ContentSwitcher).current == "idle"

        # S01 speaks; ten judges score. The board counts them and shows no value.
        marks = {j: f"{80 + i * 0.37:.2f}" for i, j in enumerate(ids)}
        await ctl.control("open", contestants=["S01"])
        await score(judges, "S01", {j: marks[j] for j in ids[:10]})
        await until(pilot, lambda: "10 / 32" in text_of(app.query_one(ScoringProgress)))
        assert app.query_one("#stage", ContentSwitcher).current == "progress"
        screen = app.export_screenshot()
        assert "付海" in screen
        assert not any(m in screen for m in marks.values())

        # Everyone in, locked, revealed: the reveal card and the standings.
        await score(judges, "S01", {j: marks[j] for j in ids[10:]})
        await ctl.control("lock", contestants=["S01"])
        await ctl.control("reveal", contestants=["S01"])
        await until(pilot, lambda: app.query_one("#stage", ContentSwitcher).current == "reveal")
        card = ctl.state["reveal"]
        assert app.query_one("#score", Digits).value == card["score"]
        assert app.query_one("#rank", Digits).value == "1"
        shown = text_of(app.query_one(Marks))
        assert marks[ids[0]] in shown and "专家评委" in shown and "70%" in shown
        # Struck through on the board: the highest and lowest of each of the three panels, no other.
        by_panel: dict[str, list[str]] = {}
        for judge in load_contest(SPEECH).judges:
            if judge.id in marks:
                by_panel.setdefault(judge.panel, []).append(marks[judge.id])
        dropped = {pick(ms, key=float) for ms in by_panel.values() for pick in (min, max)}
        assert len(dropped) == 6 and sorted(struck(app.query_one(Marks))) == sorted(dropped)
        standings = app.query_one(Standings)
        assert [r.contestant for r in standings.current()[2]] == ["S01"]
        assert "付海" in text_of(standings)

        # S02 scores higher and takes first place: S01 drops one, with an arrow.
        await ctl.control("open", contestants=["S02"])
        await score(judges, "S02", {j: f"{95 + i * 0.07:.2f}" for i, j in enumerate(ids)})
        await ctl.control("lock", contestants=["S02"])
        await ctl.control("reveal", contestants=["S02"])
        await until(pilot, lambda: app.query_one("#rank", Digits).value == "1" and app.board_state["reveal"]["contestant"] == "S02")
        rows = {r.contestant: r for r in standings.current()[2]}
        assert rows["S01"].rank == 2 and rows["S01"].change == Change(delta=-1)
        assert rows["S02"].change == Change(new=True) and rows["S02"].highlight
        assert "▼1" in text_of(standings)


def dead_address() -> str:
    """A local address where nothing listens (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"ws://127.0.0.1:{sock.getsockname()[1]}"


def link(app: ScoreboardApp) -> str:
    return str(app.query_one("#link", Static).content)


async def reveal(ctl: Client, judges: dict[str, Client], cid: str, marks: dict[str, str]) -> None:
    await ctl.control("open", contestants=[cid])
    await score(judges, cid, marks)
    await ctl.control("lock", contestants=[cid])
    await ctl.control("reveal", contestants=[cid])


async def test_board_resyncs_after_missing_a_reveal(live):
    """The board's network goes down while S02 is opened, scored, locked and revealed; once it is
    back the board shows S02's card and the new standings: the state a new viewer gets."""
    url, ctl, judges = live
    ids = list(judges)
    await reveal(ctl, judges, "S01", {j: f"{80 + i * 0.37:.2f}" for i, j in enumerate(ids)})
    app = ScoreboardApp(url, highlight_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.client is not None and (app.board_state.get("reveal") or {}).get("contestant") == "S01")
        client = app.client
        client.backoff = (0.02, 0.2)
        client.url = dead_address()  # every reconnect fails until the network is back
        await client.drop()
        await until(pilot, lambda: not client.synced.is_set() and "○" in link(app))

        await reveal(ctl, judges, "S02", {j: f"{95 + i * 0.07:.2f}" for i, j in enumerate(ids)})
        assert app.board_state["reveal"]["contestant"] == "S01" and client.snapshots == 1  # it has missed it all

        client.url = url
        await until(pilot, lambda: (app.board_state.get("reveal") or {}).get("contestant") == "S02", timeout=10)
        await until(pilot, lambda: "●" in link(app))
        assert (client.snapshots, client.resumes) == (1, 1)  # the changes it missed, not the whole view
        who = str(app.query_one("#who", Static).content)
        assert "唐梓" in who and "付海" not in who
        assert app.query_one("#score", Digits).value == ctl.state["reveal"]["score"]
        assert app.query_one("#rank", Digits).value == "1"
        rows = app.query_one(Standings).current().rows
        assert [(r.contestant, r.rank) for r in rows] == [("S02", 1), ("S01", 2)]
        assert rows[1].change == Change(delta=-1)
        fresh = Client(url)
        await fresh.start()
        try:
            await until(pilot, lambda: client.seq == fresh.seq == ctl.seq)
            assert app.board_state == fresh.state
        finally:
            await fresh.close()


async def test_board_resyncs_to_the_same_standings_on_a_new_epoch(make_live):
    """The server is restarted on the same database: a new epoch, the same results."""
    harness = await make_live()
    ctl, js = await harness.control(), await all_judges(harness)
    in_panel = {j: f"{70 + i * 1.5:.2f}" for i, j in enumerate(["E1", "E2", "E3", "P1", "P2", "P3"])}
    for cid in ("C1", "C3"):
        await ctl.control("open", contestants=[cid])
        await fixtures.score(harness, js, "heat", cid, in_panel)
        await ctl.control("lock", contestants=[cid])
        await ctl.control("reveal", contestants=[cid])
    app = ScoreboardApp(harness.url, page_seconds=600, highlight_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.client is not None and (app.board_state.get("reveal") or {}).get("contestant") == "C3")
        client, standings = app.client, app.query_one(Standings)
        client.backoff = (0.02, 0.2)
        before = [(p.cid, [(r.contestant, r.rank, r.total) for r in p.rows]) for p in standings.pages()]
        assert [p[0] for p in before] == ["arts", "sci"] and all(rows for _, rows in before)
        old_epoch = client.epoch

        await harness.restart(port=int(harness.url.rsplit(":", 1)[1]))
        new_epoch = harness.server.epoch
        await until(pilot, lambda: client.epoch == new_epoch and client.synced.is_set() and "●" in link(app), timeout=10)
        await pilot.pause()
        assert new_epoch != old_epoch
        assert [(p.cid, [(r.contestant, r.rank, r.total) for r in p.rows]) for p in standings.pages()] == before

        # It follows the new epoch, not the old one.
        await ctl.wait_for(lambda: ctl.epoch == new_epoch and ctl.synced.is_set(), fixtures.WAIT)
        await ctl.control("open", contestants=["C4"])
        await until(pilot, lambda: app.query_one("#stage", ContentSwitcher).current == "progress")
        assert "Dee" in text_of(app.query_one(ScoringProgress))


async def test_board_header_shows_the_standings_frozen(live):
    url, ctl, _ = live
    app = ScoreboardApp(url)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.board_state) and "●" in link(app))
        title = app.query_one("#title", Static)
        assert "成绩暂停公布" not in str(title.content)
        await ctl.control("freeze")
        await until(pilot, lambda: "成绩暂停公布" in str(title.content))
        assert str(title.content).startswith("2025年北京市职工宣讲比赛")
        await ctl.control("unfreeze")
        await until(pilot, lambda: "成绩暂停公布" not in str(title.content))


# -- paging, without a server -------------------------------------------------------------------


async def test_long_categories_page_by_themselves():
    app = ScoreboardApp(state=before_reveal("en"), page_seconds=0.3)
    async with app.run_test(size=(110, 14)) as pilot:
        standings = app.query_one(Standings)
        await until(pilot, lambda: standings.size.height > 0)
        first = standings.current()
        shown = text_of(standings)
        assert first.count > 1 and f"page {first.number}/{first.count}" in shown
        await until(pilot, lambda: standings.current().number != first.number)  # no key pressed
        now = standings.current()
        assert f"page {now.number}/{now.count}" in text_of(standings) and text_of(standings) != shown


async def test_a_reveal_turns_to_its_page_for_a_whole_period():
    period = 0.6
    app = ScoreboardApp(state=before_reveal("zh"), page_seconds=period, highlight_seconds=600)
    async with app.run_test(size=(110, 14)) as pilot:
        standings = app.query_one(Standings)
        await until(pilot, lambda: standings.size.height > 0 and standings.current().number != 1)  # the timer turned
        await pilot.pause(period * 0.6)  # late in the period: the timer is due to turn again soon
        start = time.monotonic()
        app.apply_state(after_reveal("zh"))  # S05, second place, is on page 1
        await until(pilot, lambda: standings.current().number == 1)
        assert any(r.contestant == "S05" for r in standings.current().rows)
        await until(pilot, lambda: standings.current().number != 1)
        assert time.monotonic() - start >= period * 0.95  # the hall had the whole period to read it


# -- the model --------------------------------------------------------------------------------


def test_prize_colours_and_cut_lines():
    colours = award_colours(["一等奖", "特等奖", "一等奖", "二等奖", "三等奖", ""])
    assert colours == {"特等奖": MANUAL_COLOUR, "一等奖": TIER_COLOURS[0], "二等奖": TIER_COLOURS[1], "三等奖": TIER_COLOURS[2]}
    rows = build_rows(standings(["S01", "S07", "S02", "S03", "S04", "S06"]), {}, set())
    assert [r.cut_above for r in rows] == [False, False, False, False, True, False]


def test_rank_arrows_survive_a_resync_with_the_same_standings():
    tracker = RankTracker()
    assert tracker.update("final", standings(["S01", "S02"])) == set()  # first sight: no arrows
    assert tracker.update("final", standings(["S03", "S01", "S02"])) == {"S03"}
    assert tracker.changes("final")["S01"] == Change(delta=-1)
    assert tracker.update("final", standings(["S03", "S01", "S02"])) == set()
    assert tracker.changes("final")["S01"] == Change(delta=-1)


def test_pages_hold_cut_lines():
    rows = build_rows(standings([c for c, _, _ in NAMES]), {}, set())
    pages = paginate(rows, 5)
    assert [r.contestant for p in pages for r in p] == [c for c, _, _ in NAMES]
    assert all(len(p) + sum(1 for i, r in enumerate(p) if r.cut_above and i) <= 5 for p in pages)


def test_the_board_never_imports_the_store_or_the_server():
    code = "import sys, judging.scoreboard; print(sorted(m for m in sys.modules if m in ('judging.store', 'judging.server')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True)
    assert out.stdout.strip() == "[]"


# -- snapshots (fixed states, no server) --------------------------------------------------------


def _reveal_app(lang: str | None) -> tuple[ScoreboardApp, object]:
    app = ScoreboardApp(lang=lang, state=before_reveal("zh"), page_seconds=600, highlight_seconds=600)

    async def run_before(pilot):
        pilot.app.apply_state(after_reveal("zh"))
        await pilot.pause()

    return app, run_before


def test_snapshot_reveal_card_and_standings_zh(snap_compare):
    app, run_before = _reveal_app(None)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_reveal_card_and_standings_en(snap_compare):
    app, run_before = _reveal_app("en")
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_scoring_progress_zh(snap_compare):
    app = ScoreboardApp(state=scoring("zh"), page_seconds=600)
    assert snap_compare(app, terminal_size=SIZE)


def test_snapshot_long_category_pages_en(snap_compare):
    app = ScoreboardApp(state=before_reveal("en"), page_seconds=600)
    assert snap_compare(app, terminal_size=(110, 14))
