"""Modal questions and small forms: a confirmation before anything the hall would notice
(reveal, lock, next round, a new order), and the forms for a deduction or bonus and for a
manual award.

Modal screens, like the judge app's confirmation, so a stray key cannot act: Escape always
goes back without sending anything, and a form only closes with values it has checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from judging.console.strings import t

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: auto; min-width: 50; max-width: 96; height: auto; max-height: 90%; overflow-y: auto;
    border: thick $primary; background: $surface; padding: 1 2; }}
{name} .question {{ text-style: bold; margin-bottom: 1; }}
{name} .why {{ color: $text-error; height: auto; }}
{name} Horizontal {{ height: auto; align-horizontal: right; margin-top: 1; }}
{name} Button {{ margin-left: 2; }}
{name} Input {{ width: 60; }}
"""


class Confirm(ModalScreen[bool]):
    """A yes/no question; dismisses with True (yes) or False (no, Escape)."""

    BINDINGS = [Binding("escape", "back", show=False)]
    DEFAULT_CSS = DIALOG_CSS.format(name="Confirm")

    def __init__(self, question: str, lang: str, *, detail: str = "", yes: str = "", no: str = "", default_no: bool = False) -> None:
        super().__init__()
        self.question = question
        self.detail = detail
        self.lang = lang
        self.yes_label = yes or t("yes", lang)
        self.no_label = no or t("no", lang)
        self.default_no = default_no

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, classes="question", id="question", markup=False)
            if self.detail:
                yield Static(self.detail, id="detail", markup=False)
            with Horizontal():
                yield Button(self.no_label, id="no")
                yield Button(self.yes_label, id="yes", variant="warning" if self.default_no else "success")

    def on_mount(self) -> None:
        self.query_one("#no" if self.default_no else "#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_back(self) -> None:
        self.dismiss(False)


@dataclass(frozen=True)
class Field:
    id: str
    label: str
    value: str = ""
    restrict: str | None = None


class FormDialog(ModalScreen["dict[str, str] | None"]):
    """A few text fields and a send button. ``check`` returns why the values cannot be sent
    ("" when they can); Enter moves to the next field and sends from the last one."""

    BINDINGS = [Binding("escape", "back", show=False)]
    DEFAULT_CSS = DIALOG_CSS.format(name="FormDialog")

    def __init__(self, title: str, fields: list[Field], lang: str, check: Callable[[dict[str, str]], str], send: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.lang = lang
        self.check = check
        self.send_label = send or t("send", lang)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="question", markup=False)
            for f in self.fields:
                yield Label(f.label, markup=False)
                yield Input(f.value, id=f"f-{f.id}", restrict=f.restrict)
            yield Static("", classes="why", id="why")
            with Horizontal():
                yield Button(t("no", self.lang), id="no")
                yield Button(self.send_label, id="yes", variant="success")

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    def values(self) -> dict[str, str]:
        return {f.id: self.query_one(f"#f-{f.id}", Input).value for f in self.fields}

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

    def _send(self) -> None:
        values = self.values()
        why = self.check(values)
        self.query_one("#why", Static).update(why)
        if not why:
            self.dismiss(values)

    def action_back(self) -> None:
        self.dismiss(None)
