"""The quiz keys of the host's main screen (points rounds): select a team, choose a risk
question's stake, award the outcome, undo, pick the question.

A mixin of ``MainScreen``, kept apart so the screen's module stays about the order of play.
The stakes chosen live here, per question and team, until the award is sent: the server only
hears the stake with the award.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable

from judging.console import model
from judging.console.quiz import QuestionPicker, QuizPanel
from judging.console.strings import t


class QuizActions:
    """Needs ``state``, ``lang``, ``stakes``, ``act``, ``say``, ``target`` and ``refresh_view`` from the screen."""

    def question_stakes(self, q: dict[str, Any]) -> dict[str, str]:
        question = q.get("question") or {}
        key = (question.get("type", ""), int(question.get("number", 0)))
        return {cid: stake for (tid, n, cid), stake in self.stakes.items() if (tid, n) == key}

    def action_team(self, index: int) -> None:
        self.query_one(QuizPanel).select_index(index)
        self.refresh_view()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "q-teams":  # the stake line follows the selected team
            q = model.quiz(self.state)
            if q and model.current_type(q) and model.current_type(q).get("stakes"):  # type: ignore[union-attr]
                self.query_one(QuizPanel).show(q, self.question_stakes(q), self.lang)

    def action_stake(self) -> None:
        q = model.quiz(self.state)
        cid = self.target()
        qtype = model.current_type(q) if q else None
        if not q or cid is None or not qtype or not qtype.get("stakes"):
            return
        question = q["question"]
        key = (question["type"], int(question["number"]), cid)
        stakes = list(qtype["stakes"])
        now = self.stakes.get(key)
        self.stakes[key] = stakes[(stakes.index(now) + 1) % len(stakes)] if now in stakes else stakes[0]
        self.refresh_view()

    def action_outcome(self, outcome: str) -> None:
        q = model.quiz(self.state)
        if not q:
            return
        lang = self.lang
        qtype = model.current_type(q)
        if qtype is None:
            self.say(t("no_question", lang), True)
            return
        cid = self.target()
        if cid is None:
            return
        question = q["question"]
        stake = self.stakes.get((question["type"], int(question["number"]), cid))
        points = model.award_points(qtype, outcome, stake)
        if points is None:
            self.say(t("stake_first", lang), True)
            return
        # The question shown here, named: the server's current one may have moved on (another
        # console), and the award must go to the question the host saw.
        data: dict[str, Any] = {"contestant": cid, "outcome": outcome, "type": question["type"], "number": int(question["number"])}
        if qtype.get("stakes") and stake is not None:
            data["stake"] = stake
        name = next((x["name"] for x in q.get("teams", []) if x["contestant"] == cid), cid)
        self.act("points", data, t("a_points", lang, name=name, outcome=t(outcome, lang), points=model.signed(points)))

    def action_undo(self) -> None:
        # The award shown as the last change, named, so that one made meanwhile from another
        # console is not the one taken back; with nothing standing shown, the server's last.
        last = (model.quiz(self.state) or {}).get("last")
        data = {"award": last["seq"]} if last and not last.get("undone") else {}
        self.act("undo", data, t("a_undo", self.lang))

    def action_question(self) -> None:
        q = model.quiz(self.state)
        if not q:
            return
        lang = self.lang

        def send(choice: tuple[str, int] | None) -> None:
            if choice:
                self._set_question(*choice)

        self.app.push_screen(QuestionPicker(q, lang), send)

    def action_next_question(self, delta: int) -> None:
        q = model.quiz(self.state)
        question = (q or {}).get("question")
        if not question:
            self.say(t("no_question", self.lang), True)
            return
        number = int(question["number"]) + delta
        if number >= 1:
            self._set_question(question["type"], number)

    def _set_question(self, tid: str, number: int) -> None:
        q = model.quiz(self.state) or {}
        qtype = model.question_type(q, tid) or {"name": tid}
        self.act("question", {"type": tid, "number": number}, t("a_question", self.lang, question=f"{qtype['name']} #{number}"))
