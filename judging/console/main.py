"""The host's main screen: the order of play (or, in a points round, the quiz) on the left,
the standings on the right, and one key per action.

Actions that the hall would notice ask first (lock, reveal, next round); a lock with judges
still missing names them and offers to wait. Everything is sent through the app's workers,
and the screen only redraws from the server's state, so what it shows is what the server has.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, Static

from judging.console import model
from judging.console.correction import CorrectionForm
from judging.console.dialogs import Confirm, Field, FormDialog
from judging.console.keys import MAIN, bindings
from judging.console.quiz import QuizPanel
from judging.console.quiz_actions import QuizActions
from judging.console.strings import t
from judging.console.widgets import HeaderLine, NoticeLine, OrderTable, ScoringNow, StandingsView

JUDGED_ONLY = {"open", "close", "lock", "reveal", "move", "correct"}
QUIZ_ONLY = {"team", "outcome", "undo", "question", "next_question", "stake"}


class MainScreen(QuizActions, Screen):
    BINDINGS = bindings(MAIN, "en")  # the app shows it with labels in the interface language
    DEFAULT_CSS = """
    MainScreen #body { height: 1fr; }
    MainScreen #left { width: 3fr; }
    MainScreen #right { width: 2fr; border-left: vkey $primary 50%; padding: 0 1; }
    MainScreen #order-title { height: 1; padding: 0 1; text-style: bold; }
    MainScreen #order-title.draft { background: $warning 40%; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.draft: list[str] | None = None  # the order of play being edited, not yet sent
        self.private = True  # the standings shown: everything scored, or what the hall sees
        self.stakes: dict[tuple[str, int, str], str] = {}  # (type, number, team) -> stake chosen
        self._placed = False  # the cursor was put on the contestant to act on next
        self._keys: tuple = ()

    def compose(self) -> ComposeResult:
        yield HeaderLine(id="header")
        with Horizontal(id="body"):
            with ContentSwitcher(id="left", initial="flow"):
                with Vertical(id="flow"):
                    yield Static(id="order-title")
                    yield OrderTable(id="order")
                    yield ScoringNow(id="scoring")
                yield QuizPanel(id="quiz")
            with VerticalScroll(id="right"):
                yield StandingsView(id="standings")
        yield NoticeLine(id="notice")
        yield Footer()

    # -- what it shows ---------------------------------------------------------------------

    @property
    def state(self) -> dict[str, Any]:
        return self.app.client.state  # type: ignore[attr-defined]

    @property
    def lang(self) -> str:
        return self.app.lang  # type: ignore[attr-defined]

    def on_mount(self) -> None:
        self.refresh_view()

    def refresh_view(self) -> None:
        state, lang = self.state, self.lang
        self.app.draw_header(self.query_one(HeaderLine))  # type: ignore[attr-defined]
        self.app.draw_notice(self.query_one(NoticeLine))  # type: ignore[attr-defined]
        q = model.quiz(state)
        switcher = self.query_one("#left", ContentSwitcher)
        switcher.current = "quiz" if q else "flow"
        if self.draft is not None and sorted(self.draft) != sorted(state.get("order") or []):
            self.draft = None  # the contest changed under the draft: start again from the server's
        if q:
            self.query_one(QuizPanel).show(q, self.question_stakes(q), lang)
        else:
            rows = model.order_rows(state, self.draft)
            title = self.query_one("#order-title", Static)
            title.update(t("order_draft" if self.draft is not None else "order", lang))
            title.set_class(self.draft is not None, "draft")
            self.query_one(OrderTable).show(rows, lang)
            self.query_one(ScoringNow).show(rows, lang)
        blocks = [(name, model.standing_rows(state, cat, self.private)) for cat, name in model.category_names(state)]
        self.query_one(StandingsView).show(blocks, self.private, lang, state.get("units"))
        if not self._placed and state.get("order"):
            self._placed = True
            self.place_cursor()
        qtype = model.current_type(q) if q else None
        keys = (bool(q), bool(state.get("frozen")), model.next_round(state) is not None, self.draft is not None, bool(qtype and qtype.get("stakes")))
        if keys != self._keys:  # the Footer is rebuilt on each refresh: only when its keys change
            self._keys = keys
            self.refresh_bindings()

    def place_cursor(self) -> None:
        """Start on the contestant being scored, else the next one up."""
        state = self.state
        rows = model.order_rows(state)
        target = next((r.cid for r in rows if r.scoring), None) or model.next_waiting(state, "")
        if target:
            self.query_one(OrderTable).select(target)
        table = self.query_one(QuizPanel).table if model.quiz(state) else self.query_one(OrderTable)
        table.focus()

    def selected(self) -> str | None:
        if model.quiz(self.state):
            return self.query_one(QuizPanel).selected()
        return self.query_one(OrderTable).selected()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        state = self.state
        quiz = model.quiz(state)
        if action in JUDGED_ONLY and quiz:
            return False
        if action in QUIZ_ONLY and not quiz:
            return False
        if action in ("send_order", "discard_order"):
            return self.draft is not None and not quiz
        if action == "freeze":
            return not state.get("frozen")
        if action == "unfreeze":
            return bool(state.get("frozen"))
        if action == "next_round":
            return model.next_round(state) is not None
        if action == "stake":
            qtype = model.current_type(quiz) if quiz else None
            return bool(qtype and qtype.get("stakes"))
        return True

    # -- helpers ---------------------------------------------------------------------------

    def act(self, action: str, data: dict[str, Any], what: str) -> None:
        self.app.act(action, data, what)  # type: ignore[attr-defined]

    def say(self, text: str, error: bool = False) -> None:
        self.app.say(text, error)  # type: ignore[attr-defined]

    def target(self) -> str | None:
        cid = self.selected()
        if cid is None:
            self.say(t("no_team" if model.quiz(self.state) else "select_first", self.lang), True)
        return cid

    def acted(self, action: str, data: dict[str, Any]) -> None:
        """The server carried out one of our actions."""
        if action == "order":
            self.draft = None
        elif action == "reveal":
            after = data["contestants"][-1]
            nxt = model.next_waiting(self.state, after)
            if nxt:
                self.query_one(OrderTable).select(nxt)
        elif action == "next_round":
            self._placed = False
        self.refresh_view()

    # -- the order of play -----------------------------------------------------------------

    def _status(self, cid: str, verb: str) -> None:
        self.act(verb, {"contestants": [cid]}, t(f"a_{verb}", self.lang, name=model.who(self.state, cid)))

    def action_open(self) -> None:
        if cid := self.target():
            self._status(cid, "open")

    def action_close(self) -> None:
        if cid := self.target():
            self._status(cid, "close")

    def action_lock(self) -> None:
        cid = self.target()
        if cid is None:
            return
        name, lang = model.who(self.state, cid), self.lang
        missing = model.missing_judges(self.state, cid)
        sep = "、" if lang == "zh" else ", "
        if missing:
            question = t("q_lock_missing", lang, name=name, n=len(missing), names=sep.join(missing))
            screen = Confirm(question, lang, yes=t("lock_anyway", lang), no=t("wait", lang), default_no=True)
        else:
            screen = Confirm(t("q_lock", lang, name=name), lang)
        self.app.push_screen(screen, lambda ok: self._status(cid, "lock") if ok else None)

    def action_reveal(self) -> None:
        cid = self.target()
        if cid is None:
            return
        lang = self.lang
        standing = model.standing_of(self.state, cid) or {}
        detail = ""
        if standing.get("total"):
            detail = t("q_reveal_total", lang, total=standing["total"], rank=standing.get("rank") or "—")
        screen = Confirm(t("q_reveal", lang, name=model.who(self.state, cid)), lang, detail=detail)
        self.app.push_screen(screen, lambda ok: self._status(cid, "reveal") if ok else None)

    def action_move(self, delta: int) -> None:
        cid = self.selected()
        if cid is None:
            return
        self.draft = model.move(self.draft if self.draft is not None else list(self.state.get("order") or []), cid, delta)
        if self.draft == list(self.state.get("order") or []):
            self.draft = None
        self.refresh_view()
        self.query_one(OrderTable).select(cid)

    def action_send_order(self) -> None:
        if self.draft is not None:
            self.act("order", {"contestants": list(self.draft)}, t("order_sent", self.lang))

    def action_discard_order(self) -> None:
        self.draft = None
        self.say(t("order_kept", self.lang))
        self.refresh_view()

    # -- marks, adjustments, awards ------------------------------------------------------------

    def action_correct(self) -> None:
        cid = self.target()
        if cid is None:
            return
        state = self.state
        judges = [(j["id"], f"{j['name']} ({j['id']})") for j in (state.get("contest") or {}).get("judges", [])]
        form = CorrectionForm(state.get("round", ""), cid, model.who(state, cid), judges, model.criteria(state), self.lang)
        self.app.push_screen(form, lambda data: self.app.run_preview(data) if data else None)  # type: ignore[attr-defined]

    def action_adjust(self) -> None:
        cid = self.target()
        if cid is None:
            return
        lang, name = self.lang, model.who(self.state, cid)

        def check(v: dict[str, str]) -> str:
            if model.check_points(v["points"]) is None:
                return t("need_points", lang)
            return "" if v["reason"].strip() else t("need_reason", lang)

        def send(v: dict[str, str] | None) -> None:
            if v:
                points = model.check_points(v["points"]) or ""
                data = {"contestant": cid, "points": points, "reason": v["reason"].strip(), "round": self.state.get("round", "")}
                self.act("adjustment", data, t("a_adjustment", lang, name=name, points=model.signed(points)))

        fields = [Field("points", t("points", lang), restrict=r"[-+0-9.]*"), Field("reason", t("reason", lang))]
        self.app.push_screen(FormDialog(t("adjust_title", lang, name=name), fields, lang, check), send)

    def action_award(self) -> None:
        cid = self.target()
        if cid is None:
            return
        lang, name = self.lang, model.who(self.state, cid)

        def check(v: dict[str, str]) -> str:
            if not v["award"].strip():
                return t("need_award", lang)
            return "" if v["reason"].strip() else t("need_reason", lang)

        def send(v: dict[str, str] | None) -> None:
            if v:
                data = {"contestant": cid, "award": v["award"].strip(), "reason": v["reason"].strip()}
                self.act("manual_award", data, t("a_manual_award", lang, name=name, award=data["award"]))

        fields = [Field("award", t("award", lang)), Field("reason", t("reason", lang))]
        self.app.push_screen(FormDialog(t("award_title", lang, name=name), fields, lang, check), send)

    # -- the whole contest -------------------------------------------------------------------

    def action_freeze(self) -> None:
        self.act("freeze", {}, t("a_freeze", self.lang))

    def action_unfreeze(self) -> None:
        self.act("unfreeze", {}, t("a_unfreeze", self.lang))

    def action_toggle_private(self) -> None:
        self.private = not self.private
        self.refresh_view()

    def action_next_round(self) -> None:
        nxt = model.next_round(self.state)
        if nxt is None:
            return
        lang = self.lang
        self.app.push_screen(
            Confirm(t("q_next_round", lang, name=nxt["name"]), lang),
            lambda ok: self.act("next_round", {}, t("a_next_round", lang)) if ok else None,
        )

    def action_ceremony(self) -> None:
        self.app.open_ceremony()  # type: ignore[attr-defined]

    def action_review(self) -> None:
        self.app.open_review()  # type: ignore[attr-defined]
