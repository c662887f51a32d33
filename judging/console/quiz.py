"""The live quiz (points rounds): every team's running total, the current question, the stake
chosen for a risk question and the last change; and the question picker.

The host selects a team (↑↓ or its digit) and presses one key for the outcome; these widgets
only show what the server's ``quiz`` section says, so a restart or a second console shows the
same totals.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from judging.console.dialogs import DIALOG_CSS
from judging.console.model import current_type, next_number, signed, type_summary
from judging.console.strings import t
from judging.console.widgets import SyncTable


def question_text(q: dict[str, Any], lang: str) -> Text:
    question = q.get("question")
    out = Text(t("question", lang) + ("：" if lang == "zh" else ": "), style="bold")
    if not question:
        out.append(t("no_question", lang), style="yellow")
        return out
    out.append(f"{question['name']} #{question['number']}", style="bold reverse")
    qtype = current_type(q)
    if qtype is not None:
        out.append("   " + type_summary(qtype, lang).split("  ", 1)[-1], style="dim")
    return out


def last_text(q: dict[str, Any], lang: str) -> Text:
    last = q.get("last")
    out = Text(t("last", lang) + ("：" if lang == "zh" else ": "), style="bold")
    if not last:
        out.append("—", style="dim")
        return out
    body = f"{last['name']}  {last['type_name']} #{last['number']}  {t(last['outcome'], lang)} {signed(last['points'])}"
    out.append(body, style="strike dim" if last.get("undone") else "")
    if last.get("undone"):
        out.append(f"（{t('undone', lang)}）" if lang == "zh" else f"  ({t('undone', lang)})", style="yellow")
    return out


class QuizPanel(Vertical):
    """Teams with totals; the selected team is the one the next outcome key scores."""

    DEFAULT_CSS = """
    QuizPanel { height: 1fr; }
    QuizPanel #q-question, QuizPanel #q-stake, QuizPanel #q-last { height: auto; padding: 0 1; }
    QuizPanel #q-teams { height: 1fr; }
    QuizPanel #q-types { height: auto; color: $text-muted; padding: 0 1; border-top: solid $primary 50%; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="q-question")
        yield Static(id="q-stake")
        yield SyncTable(id="q-teams")
        yield Static(id="q-last")
        yield Static(id="q-types")

    @property
    def table(self) -> SyncTable:
        return self.query_one("#q-teams", SyncTable)

    def show(self, q: dict[str, Any], stakes: dict[str, str], lang: str) -> None:
        """``stakes``: the stake chosen per team for the current question (risk questions)."""
        self.query_one("#q-question", Static).update(question_text(q, lang))
        qtype = current_type(q)
        risky = bool(qtype and qtype.get("stakes"))
        stake_line = self.query_one("#q-stake", Static)
        stake_line.display = risky
        columns = [("key", " "), ("name", t("col_name", lang)), ("unit", t("col_unit", lang)), ("total", t("team_total", lang))]
        if risky:
            columns.append(("stake", t("stake", lang)))
        rows = []
        for i, team in enumerate(q.get("teams", []), 1):
            shown = team.get("total") or "—"
            total = Text(shown, style="bold red" if shown.startswith("-") else "bold")
            cells: list = [str(i) if i < 10 else "", team["name"], team.get("unit") or "", total]
            if risky:
                cells.append(stakes.get(team["contestant"], ""))
            rows.append((team["contestant"], tuple(cells)))
        self.table.sync(columns, rows)
        if risky:
            cid = self.selected()
            chosen = stakes.get(cid or "")
            label = Text(t("stake", lang) + ("：" if lang == "zh" else ": "), style="bold")
            label.append(chosen or t("stake_none", lang), style="bold reverse" if chosen else "yellow")
            label.append("   " + "/".join(qtype["stakes"]), style="dim")  # type: ignore[index]
            stake_line.update(label)
        self.query_one("#q-last", Static).update(last_text(q, lang))
        legend = Text("t: " + t("pick_question", lang) + "   ", style="bold")
        legend.append("  ·  ".join(type_summary(x, lang) for x in q.get("types", [])))
        self.query_one("#q-types", Static).update(legend)

    def selected(self) -> str | None:
        return self.table.selected()

    def select(self, cid: str) -> None:
        self.table.select(cid)

    def select_index(self, index: int) -> None:
        if 0 <= index < self.table.row_count:
            self.table.move_cursor(row=index)


class QuestionPicker(ModalScreen["tuple[str, int] | None"]):
    """Choose the question type (↑↓, Enter) and its number (suggested: the next one)."""

    BINDINGS = [Binding("escape", "back", show=False)]
    DEFAULT_CSS = DIALOG_CSS.format(name="QuestionPicker") + "QuestionPicker OptionList { height: auto; max-height: 12; width: 60; }"

    def __init__(self, q: dict[str, Any], lang: str) -> None:
        super().__init__()
        self.q = q
        self.lang = lang

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(t("pick_question", self.lang), classes="question")
            yield OptionList(*[Option(type_summary(x, self.lang), id=x["id"]) for x in self.q.get("types", [])], id="types")
            yield Label(t("number", self.lang))
            yield Input(id="number", restrict=r"[0-9]*", max_length=4)
            yield Static("", classes="why", id="why")
            with Horizontal():
                yield Button(t("no", self.lang), id="no")
                yield Button(t("send", self.lang), id="yes", variant="success")

    def on_mount(self) -> None:
        types = self.query_one("#types", OptionList)
        current = (self.q.get("question") or {}).get("type")
        ids = [x["id"] for x in self.q.get("types", [])]
        types.highlighted = ids.index(current) if current in ids else 0
        self._suggest()
        types.focus()

    def chosen(self) -> str | None:
        option = self.query_one("#types", OptionList).highlighted_option
        return option.id if option is not None else None

    def _suggest(self) -> None:
        tid = self.chosen()
        if tid is not None:
            self.query_one("#number", Input).value = str(next_number(self.q, tid))

    @on(OptionList.OptionHighlighted, "#types")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._suggest()

    @on(OptionList.OptionSelected, "#types")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.query_one("#number", Input).focus()

    @on(Input.Submitted, "#number")
    def _number(self, event: Input.Submitted) -> None:
        self._send()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "yes":
            self._send()
        else:
            self.dismiss(None)

    def _send(self) -> None:
        tid = self.chosen()
        text = self.query_one("#number", Input).value.strip()
        if tid is None or not text.isdigit() or int(text) < 1:
            self.query_one("#why", Static).update(t("need_number", self.lang))
            return
        self.dismiss((tid, int(text)))

    def action_back(self) -> None:
        self.dismiss(None)
