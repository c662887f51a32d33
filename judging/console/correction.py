"""Correcting a judge's mark after lock: the form (judge, marks, written reason), then the
server's preview of the standings before and after, side by side, and only then the
correction itself.

The marks are checked with the same rule the server applies (through the judge app's model),
so the preview is never refused for a typo; the preview comes from the server, so what the
host sees is exactly what the correction would do.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from judging.console.dialogs import DIALOG_CSS
from judging.console.model import Compared
from judging.console.strings import t
from judging.rules.model import Criterion
from judging.tui.model import check_mark, range_text


class CorrectionForm(ModalScreen["dict[str, Any] | None"]):
    """Which judge, the corrected marks, and why. Dismisses with a correction's data."""

    BINDINGS = [Binding("escape", "back", show=False)]
    DEFAULT_CSS = DIALOG_CSS.format(name="CorrectionForm") + """
    CorrectionForm Select { width: 60; }
    CorrectionForm .mark { color: $text-muted; }
    """

    def __init__(self, rid: str, cid: str, name: str, judges: list[tuple[str, str]], crits: list[Criterion], lang: str) -> None:
        super().__init__()
        self.rid, self.cid, self.who = rid, cid, name
        self.judges = judges  # (id, label)
        self.crits = crits
        self.lang = lang

    def compose(self) -> ComposeResult:
        single = len(self.crits) == 1
        with Vertical():
            yield Static(t("correct_title", self.lang, name=self.who), classes="question", markup=False)
            yield Label(t("judge", self.lang))
            yield Select([(label, jid) for jid, label in self.judges], prompt=t("pick_judge", self.lang), id="judge")
            for i, c in enumerate(self.crits):  # ids by position: a criterion id need not be a valid widget id
                name = t("col_total", self.lang) if single else c.name
                yield Label(Text(f"{name}  ").append(range_text(c, self.lang), style="dim"))
                yield Input(id=f"m-{i}", restrict=r"[0-9.]*", max_length=12)
            yield Label(t("reason", self.lang))
            yield Input(id="reason")
            yield Static("", classes="why", id="why")
            with Horizontal():
                yield Button(t("no", self.lang), id="no")
                yield Button(t("preview", self.lang), id="yes", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#judge", Select).focus()

    @on(Select.Changed, "#judge")
    def _judge_chosen(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL:
            self.query(Input).first().focus()

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        i = inputs.index(event.input)
        if i + 1 < len(inputs):
            inputs[i + 1].focus()
        else:
            self._send()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "yes":
            self._send()
        else:
            self.dismiss(None)

    def problem(self) -> str:
        """Why this cannot be previewed yet ("" when it can)."""
        if self.query_one("#judge", Select).value is Select.NULL:
            return t("need_judge", self.lang)
        for i, c in enumerate(self.crits):
            value, why = check_mark(c, self.query_one(f"#m-{i}", Input).value, self.lang)
            if why or value is None:
                return f"{c.name}: {why or t('fix_marks', self.lang)}"
        if not self.query_one("#reason", Input).value.strip():
            return t("need_reason", self.lang)
        return ""

    def data(self) -> dict[str, Any]:
        return {
            "round": self.rid,
            "contestant": self.cid,
            "judge": str(self.query_one("#judge", Select).value),
            "scores": {c.id: self.query_one(f"#m-{i}", Input).value.strip() for i, c in enumerate(self.crits)},
            "reason": self.query_one("#reason", Input).value.strip(),
        }

    def _send(self) -> None:
        why = self.problem()
        self.query_one("#why", Static).update(why)
        if not why:
            self.dismiss(self.data())

    def action_back(self) -> None:
        self.dismiss(None)


def comparison(rows: list[Compared], cid: str, lang: str) -> Table:
    """Before and after, side by side; the corrected contestant and every change stand out."""
    table = Table(box=None, padding=(0, 1), show_edge=False)
    table.add_column(t("col_name", lang), no_wrap=True)
    table.add_column(t("before", lang) + " " + t("col_rank", lang), justify="right")
    table.add_column(t("before", lang) + " " + t("col_total", lang), justify="right")
    table.add_column("", justify="center")
    table.add_column(t("after", lang) + " " + t("col_rank", lang), justify="right")
    table.add_column(t("after", lang) + " " + t("col_total", lang), justify="right")
    table.add_column("", justify="left")
    for r in rows:
        if r.cid != cid and r.rank_before is None and r.rank_after is None and not r.total_before and not r.total_after:
            continue  # not scored on either side: nothing to compare
        style = "bold reverse" if r.cid == cid else "bold" if r.changed else "dim"
        move = "" if not r.moved else (f"▲{r.moved}" if r.moved > 0 else f"▼{-r.moved}")
        table.add_row(
            Text(f"{r.name} ({r.cid})", style=style),
            str(r.rank_before or "—"), r.total_before or "—", "→",
            str(r.rank_after or "—"), r.total_after or "—",
            Text(move, style="green" if r.moved > 0 else "red"),
        )
    return table


class PreviewScreen(ModalScreen[bool]):
    """The standings before and after a correction; Apply sends it, Escape goes back."""

    BINDINGS = [Binding("escape", "back", show=False)]
    DEFAULT_CSS = DIALOG_CSS.format(name="PreviewScreen") + "PreviewScreen VerticalScroll { height: auto; max-height: 20; }"

    def __init__(self, title: str, detail: str, rows: list[Compared], cid: str, lang: str) -> None:
        super().__init__()
        self.title_text = title
        self.detail = detail
        self.rows = rows
        self.cid = cid
        self.lang = lang

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="question", markup=False)
            yield Static(self.detail, id="detail", markup=False)
            if not any(r.moved for r in self.rows):
                yield Static(t("no_change", self.lang), id="nochange")
            with VerticalScroll():
                yield Static(comparison(self.rows, self.cid, self.lang), id="compare")
            with Horizontal():
                yield Button(t("no", self.lang), id="no")
                yield Button(t("apply", self.lang), id="yes", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_back(self) -> None:
        self.dismiss(False)
