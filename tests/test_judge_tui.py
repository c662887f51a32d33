"""The judge's Textual app, driven by the Pilot against a real server on 127.0.0.1 port 0,
and snapshot tests of its main screens in both languages.

Every wait is bounded (``until``), so a broken test fails instead of hanging.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from judging.client import Client
from judging.contest_file import contest_digest_text, load_contest
from judging.server import JudgingServer
from judging.store import Store
from judging.tui import model
from judging.tui.app import JudgeApp
from judging.tui.confirm import ConfirmCard
from judging.tui.form import MarkField, ScoreForm
from judging.tui.widgets import ContestantList, StatusLine

WAIT = 5.0
SIZE = (110, 32)

CONTEST = """
[contest]
name = "Teaching final"
language = "en"
precision = 2
rounding = "half-up"

[[categories]]
id = "all"
name = "All"

[[contestants]]
id = "C1"
name = "Ann"
unit = "North"
category = "all"

[[contestants]]
id = "C2"
name = "王小明"
unit = "South"
category = "all"

[[contestants]]
id = "C3"
name = "Bob"
unit = "East"
category = "all"

[[panels]]
id = "experts"
name = "Experts"
weight = 1
rule = "mean"

[[judges]]
id = "J1"
name = "Eva"
panel = "experts"

[[judges]]
id = "J2"
name = "李华"
panel = "experts"

[[rounds]]
id = "final"
name = "Final"

[[rounds.criteria]]
id = "design"
name = "Design"
min = 0
max = 20
step = 0.5

[[rounds.criteria]]
id = "classroom"
name = "Classroom"
min = 0
max = 75
step = 0.5

[[rounds.criteria]]
id = "reflection"
name = "Reflection"
min = 0
max = 5
step = 1
"""

TOKENS = {"J1": "tok-J1-0123456789", "J2": "tok-J2-0123456789"}
CONTROL = "tok-control-0123456789"


class Rig:
    """A real server on loopback with a tmp-path database, and a control client."""

    def __init__(self, tmp_path: Path):
        self.tmp = tmp_path
        self.path = tmp_path / "contest.toml"
        self.path.write_text(CONTEST, encoding="utf-8")
        self.contest = load_contest(self.path)
        self.db = tmp_path / "live.db"
        self.port = 0
        self.clients: list[Client] = []

    async def start(self) -> None:
        self.store = Store(self.db)
        self.store.issue_tokens([(f"judge:{j}", "judge", t) for j, t in TOKENS.items()] + [("control", "control", CONTROL)])
        self.server = JudgingServer(self.contest, self.store, contest_digest_text(self.path))
        self.port = await self.server.start("127.0.0.1", self.port)
        self.control = Client(self.url, CONTROL)
        await self.control.start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        await self.control.close()
        await self.server.close()
        self.store.close()

    def judge(self, jid: str = "J1") -> Client:
        client = Client(self.url, TOKENS[jid], outbox=self.tmp / f"outbox-{jid}.json", backoff=(0.05, 0.2))
        self.clients.append(client)
        return client


@pytest.fixture
async def rig(tmp_path):
    r = Rig(tmp_path)
    await r.start()
    yield r
    for c in r.clients:
        await c.close()
    await r.stop()


async def until(pilot, predicate, timeout: float = WAIT) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await pilot.pause(0.02)


def form(app: JudgeApp) -> ScoreForm:
    return app.query_one(ScoreForm)


def text_of(app: JudgeApp, selector: str) -> str:
    return str(app.query_one(selector).render())


def field(app: JudgeApp, cid: str):
    return app.query_one(f"#mark-{cid}")


async def type_card(pilot, marks: list[str]) -> None:
    """Type the marks field by field from the first, Tab between them, as a judge does."""
    form(pilot.app).focus_first()
    await pilot.pause()
    for i, mark in enumerate(marks):
        await pilot.press(*mark)
        if i < len(marks) - 1:
            await pilot.press("tab")


async def submit_and_confirm(pilot) -> None:
    await pilot.press("enter")  # Enter in the last field asks to submit
    await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmCard))
    await pilot.press("enter")  # the confirm button has the focus
    await until(pilot, lambda: not isinstance(pilot.app.screen, ConfirmCard))


async def test_scoring(rig):
    await rig.control.control("open", contestants=["C1"])
    app = JudgeApp(rig.judge())
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.connected and app.cid == "C1")
        assert "Eva (J1) · Experts" in text_of(app, "#status")
        assert "connected" in text_of(app, "#status")
        await type_card(pilot, ["18.5", "70", "4"])
        assert form(app).query_one("#total").value == "92.5"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmCard))
        lines = str(app.screen.query_one("#lines").render())
        assert "Design" in lines and "18.5" in lines and "92.5" in lines
        await pilot.press("enter")
        await until(pilot, lambda: "final/C1" in app.client.state.get("mine", {}))
        await until(pilot, lambda: "recorded at" in text_of(app, "#delivery"))
        assert app.client.state["mine"]["final/C1"]["scores"] == {"design": "18.5", "classroom": "70", "reflection": "4"}
        assert "revision 1" in text_of(app, "#delivery")
        assert not app.client.outbox.items


async def test_revising(rig):
    await rig.control.control("open", contestants=["C1"])
    app = JudgeApp(rig.judge())
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.connected and app.cid == "C1")
        await type_card(pilot, ["18", "70", "4"])
        await submit_and_confirm(pilot)
        await until(pilot, lambda: "revision 1" in text_of(app, "#delivery"))
        assert str(form(app).query_one("#submit").label) == "Submit revision"
        await rig.control.control("close", contestants=["C1"])  # closed: a judge who scored may still revise
        await until(pilot, lambda: app.client.state["status"]["C1"]["status"] == "closed")
        form(app).focus_first()
        await pilot.press("tab", "7", "2")  # Tab selects the field's mark: typing replaces it
        await pilot.press("enter", "enter")  # Enter: on to the last field, then submit
        await until(pilot, lambda: isinstance(app.screen, ConfirmCard))
        await pilot.press("enter")
        await until(pilot, lambda: "revision 2" in text_of(app, "#delivery"))
        assert app.client.state["mine"]["final/C1"]["scores"]["classroom"] == "72"


async def test_locking_makes_the_form_read_only(rig):
    await rig.control.control("open", contestants=["C1"])
    app = JudgeApp(rig.judge())
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.connected and app.cid == "C1")
        await type_card(pilot, ["10", "50", "3"])
        await submit_and_confirm(pilot)
        await until(pilot, lambda: "recorded" in text_of(app, "#delivery"))
        await rig.control.control("lock", contestants=["C1"])
        await until(pilot, lambda: form(app).readonly != "")
        assert all(f.input.disabled for f in app.query(MarkField))
        assert form(app).query_one("#submit").disabled
        assert "locked" in text_of(app, "#notice") and "score secretary" in text_of(app, "#notice")
        await pilot.press("enter")
        assert not isinstance(app.screen, ConfirmCard)
        # The field that had the focus is read-only now: the list has it, so ↑↓ still work.
        await until(pilot, lambda: isinstance(app.focused, ContestantList))


async def test_a_mark_typed_as_the_contestant_opens_lands_in_the_first_field(rig):
    app = JudgeApp(rig.judge())
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.connected)
        await rig.control.control("open", contestants=["C1"])
        await until(pilot, lambda: app.cid == "C1" and not form(app).readonly)  # the form says [open]
        # No click, no Enter, no Tab: the first field has the keyboard, and the mark lands there.
        await until(pilot, lambda: app.focused is field(app, "design"))
        await pilot.press(*"18.5")
        assert field(app, "design").value == "18.5"


async def test_validation_messages(rig):
    await rig.control.control("open", contestants=["C1"])
    app = JudgeApp(rig.judge())
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.connected and app.cid == "C1")
        await type_card(pilot, ["21", "70.3", "4"])
        whys = [str(w.render()) for w in app.query("MarkField .why")]
        assert whys[0] == "out of range: must be between 0 and 20"
        assert whys[1] == "must go up in steps of 0.5 from 0"
        assert whys[2] == ""
        assert form(app).query_one("#submit").disabled
        await pilot.press("enter")
        assert not isinstance(app.screen, ConfirmCard)
        assert text_of(app, "#notice") == "Fix the marks shown in red first"
        await pilot.click("#mark-design")  # the mouse works: click, clear, retype
        await pilot.press("end", "backspace", "backspace", "2", "0")
        assert str(app.query("MarkField .why").first().render()) == ""
        field(app, "classroom").value = "70.5"
        await pilot.pause()
        assert not form(app).query_one("#submit").disabled
        await pilot.click("#submit")  # the mouse works too
        await until(pilot, lambda: isinstance(app.screen, ConfirmCard))
        await pilot.click("#no")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmCard))
        assert not app.client.outbox.items and "final/C1" not in app.client.state["mine"]


async def test_offline_scoring_then_outbox_drains(rig):
    await rig.control.control("open", contestants=["C1", "C2"])
    client = rig.judge()
    app = JudgeApp(client)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.connected and app.cid == "C1")
        port = rig.port
        await rig.stop()  # the venue's wifi goes down
        await until(pilot, lambda: app.connected is False)
        assert "offline" in text_of(app, "#status")
        await type_card(pilot, ["15", "60", "5"])
        await submit_and_confirm(pilot)
        await until(pilot, lambda: len(client.outbox.items) == 1)
        assert "1 card(s) to send, saved on this laptop" in text_of(app, "#status")
        assert "saved on this laptop" in text_of(app, "#delivery")
        on_disk = json.loads((rig.tmp / "outbox-J1.json").read_text(encoding="utf-8"))
        assert on_disk[0]["contestant"] == "C1" and on_disk[0]["scores"]["design"] == "15"
        rig.port = port
        await rig.start()  # back, on the same database and port
        await until(pilot, lambda: app.connected and not client.outbox.items)
        await until(pilot, lambda: "recorded at" in text_of(app, "#delivery"))
        assert "every mark delivered" in text_of(app, "#status")
        assert client.state["mine"]["final/C1"]["scores"]["reflection"] == "5"


async def test_refusal_is_a_sentence(rig):
    """A card sent offline for a contestant who is locked meanwhile: the server's refusal
    comes back as a sentence, not a code."""
    await rig.control.control("open", contestants=["C1"])
    client = rig.judge()
    app = JudgeApp(client, lang="zh")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.connected and app.cid == "C1")
        await rig.stop()
        await until(pilot, lambda: app.connected is False)
        await type_card(pilot, ["15", "60", "5"])
        await submit_and_confirm(pilot)
        rig.port = 0
        await rig.start()  # on a new port the laptop does not know yet, so the lock comes first
        await rig.control.control("lock", contestants=["C1"])
        client.url = rig.url
        await until(pilot, lambda: not client.outbox.items and app.refusals.get("C1"))
        assert "Ann 已锁定" in text_of(app, "#notice")


async def test_unknown_token_is_explained(rig):
    app = JudgeApp(Client(rig.url, "not-a-token", backoff=(0.05, 0.2)), lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.refused)
        assert "refused this token" in text_of(app, "#notice")
        assert "token refused" in text_of(app, "#status")


async def test_rows_align_cjk_names():
    state = {"round": "final", "order": ["C1", "C2"], "status": {}, "mine": {},
             "contest": {"contestants": [{"id": "C1", "name": "Ann"}, {"id": "C2", "name": "王小明"}]}}
    rows = model.rows(state, set())
    cells = model.name_cells(rows)
    labels = [model.row_label(r, cells, "en", False) for r in rows]
    from judging.text import width

    assert width(labels[0]) == width(labels[1])


# -- snapshots: what a judge sees, in both languages ----------------------------------------


class StubClient(Client):
    """A client holding a fixed view and never touching the network, so the screens are
    the same on every run."""

    def __init__(self, state: dict, pending: int = 0):
        super().__init__("ws://127.0.0.1:9", "stub")
        self.state = state
        for i in range(pending):
            self.outbox.items[f"p{i}"] = {"type": "submit", "id": f"p{i}", "round": state["round"], "contestant": "C3", "scores": {}}

    async def start(self, timeout: float = 5.0) -> None:
        self.connected.set()
        self.synced.set()
        self._changed(set(self.state))

    async def close(self) -> None:
        pass


def crit(cid, name, low, high, step, factor="1"):
    return {"id": cid, "name": name, "min": low, "max": high, "step": step, "factor": factor}


def view(language: str, criteria: list, people: list, statuses: dict, mine: dict, me: dict, panels: list) -> dict:
    return {
        "me": me,
        "round": "final",
        "order": [p[0] for p in people],
        "status": {cid: {"status": st, "revealed": False} for cid, st in statuses.items()},
        "mine": mine,
        "contest": {
            "name": "", "language": language, "precision": 2, "categories": [], "panels": panels, "judges": [],
            "contestants": [{"id": c, "name": n, "unit": u, "category": "", "members": []} for c, n, u in people],
            "rounds": [{"id": "final", "name": "Final", "kind": "marks", "criteria": criteria}],
        },
    }


def teaching_view() -> dict:
    return view(
        "en",
        [crit("design", "Design", "0", "20", "0.5"), crit("classroom", "Classroom", "0", "75", "0.5"), crit("reflection", "Reflection", "0", "5", "1")],
        [("C1", "Ann", "North"), ("C2", "王小明", "South"), ("C3", "Bob", "East"), ("C4", "欧阳娜娜", "West")],
        {"C1": "open", "C2": "locked", "C3": "waiting", "C4": "waiting"},
        {"final/C2": {"scores": {"design": "17.5", "classroom": "66", "reflection": "4"}, "at": "2026-05-20T06:31:07+00:00", "revision": 1}},
        {"id": "J1", "name": "Eva", "panel": "experts", "shadow": False},
        [{"id": "experts", "name": "Experts", "weight": "1", "rule": "mean", "trim": 0}],
    )


def speech_view() -> dict:
    return view(
        "zh",
        [crit("total", "总分", "0", "100", "0.01")],
        [("S02", "唐梓", "北京市总工会"), ("S11", "欧阳思远", "首都机场集团"), ("S04", "刘平晓", "北京公交集团"), ("S01", "付海", "首都钢铁公司")],
        {"S02": "closed", "S11": "open", "S04": "waiting", "S01": "waiting"},
        {"final/S02": {"scores": {"total": "91.35"}, "at": "2026-05-20T06:31:07+00:00", "revision": 2}},
        {"id": "E1", "name": "马强伟", "panel": "expert", "shadow": False},
        [{"id": "expert", "name": "专家评委", "weight": "0.7", "rule": "trimmed", "trim": 1}],
    )


@pytest.fixture
def utc_times(monkeypatch):
    monkeypatch.setattr(model, "local_time", lambda iso: iso[11:19])


async def _type(pilot, *keys: str) -> None:
    await pilot.pause()
    form(pilot.app).focus_first()
    await pilot.press(*keys)
    await pilot.pause()


def test_snapshot_rubric_en(snap_compare, utc_times):
    """English, a three-criterion rubric, one mark off the step: explained inline."""
    app = JudgeApp(StubClient(teaching_view(), pending=1))
    assert snap_compare(app, terminal_size=SIZE, run_before=lambda pilot: _type(pilot, *"18.5", "tab", *"70.3", "tab", "4"))


def test_snapshot_locked_en(snap_compare, utc_times):
    """English, a locked contestant: the marks, read-only, and why."""

    async def go(pilot):
        await pilot.pause()
        pilot.app.query_one(ContestantList).select_contestant("C2")
        await pilot.pause()

    assert snap_compare(JudgeApp(StubClient(teaching_view())), terminal_size=SIZE, run_before=go)


def test_snapshot_single_total_zh(snap_compare, utc_times):
    """Chinese, a contest scored as one total: one large field; CJK names line up."""
    app = JudgeApp(StubClient(speech_view()))
    assert snap_compare(app, terminal_size=SIZE, run_before=lambda pilot: _type(pilot, *"93.25"))


def test_snapshot_confirm_zh(snap_compare, utc_times):
    """Chinese, the confirmation before sending."""
    app = JudgeApp(StubClient(speech_view()))
    assert snap_compare(app, terminal_size=SIZE, run_before=lambda pilot: _type(pilot, *"93.25", "enter"))


def test_snapshot_offline_en_override(snap_compare, utc_times):
    """A Chinese contest shown in English with --lang en, offline with cards pending."""

    async def go(pilot):
        await pilot.pause()
        pilot.app.client.connected.clear()
        await pilot.pause(0.2)

    app = JudgeApp(StubClient(speech_view(), pending=2), lang="en")
    assert snap_compare(app, terminal_size=SIZE, run_before=go)
