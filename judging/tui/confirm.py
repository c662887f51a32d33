"""The short confirmation before a card is sent: the marks, the total, yes or back.

A separate modal screen so a stray Enter cannot send a card: the judge sees exactly what
will be recorded, and Escape goes back to the form with the marks untouched.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from judging.rules.model import Criterion
from judging.text import pad, width
from judging.tui.strings import t


class ConfirmCard(ModalScreen[bool]):
    """Asks "Submit these marks for NAME?" and shows them; dismisses with True or False."""

    BINDINGS = [Binding("escape", "back", show=False)]
    DEFAULT_CSS = """
    ConfirmCard { align: center middle; }
    ConfirmCard > Vertical { width: auto; min-width: 44; max-width: 80; height: auto;
        border: thick $primary; background: $surface; padding: 1 2; }
    ConfirmCard #question { text-style: bold; margin-bottom: 1; }
    ConfirmCard #lines { margin-bottom: 1; }
    ConfirmCard Horizontal { height: auto; align-horizontal: right; }
    ConfirmCard Button { margin-left: 2; }
    """

    def __init__(self, name: str, crits: list[Criterion], values: dict[str, str], total: str, lang: str) -> None:
        super().__init__()
        self.who = name
        self.crits = crits
        self.marks = values
        self.total = total
        self.lang = lang

    def compose(self) -> ComposeResult:
        single = len(self.crits) == 1  # one total: call it that, as the form does
        names = {c.id: t("total", self.lang) if single else c.name for c in self.crits}
        cells = max([width(n) for n in names.values()] + [width(t("total", self.lang))])
        lines = [f"{pad(names[c.id], cells)}  {self.marks[c.id]:>8}" for c in self.crits]
        if len(self.crits) > 1:
            lines.append(f"[b]{pad(t('total', self.lang), cells)}  {self.total:>8}[/b]")
        with Vertical():
            yield Static(t("confirm_q", self.lang, name=self.who), id="question")
            yield Static("\n".join(lines), id="lines")
            with Horizontal():
                yield Button(t("cancel", self.lang), id="no")
                yield Button(t("confirm_yes", self.lang), id="yes", variant="success")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_back(self) -> None:
        self.dismiss(False)
