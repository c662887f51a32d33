"""The scoring form: one field per criterion of the round's rubric, checked as typed.

Built from the rubric the server sends, so any contest's criteria (one total, or a weighted
rubric) get the right fields. The form only knows what the app hands it (criteria, the
marks to show, whether it is read-only and why, how the last card was delivered) and asks
for a submission with a ``SubmitRequested`` message when every mark is valid.
"""

from __future__ import annotations

from decimal import Decimal

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Digits, Input, Label, Static

from judging.rules.model import Criterion
from judging.tui.messages import SubmitRequested
from judging.tui.model import check_mark, range_text, running_total
from judging.tui.strings import t


class MarkField(Vertical):
    """One criterion: its name and range, the input, and an inline explanation."""

    DEFAULT_CSS = """
    MarkField { height: auto; }
    MarkField Input { width: 24; }
    MarkField.big Input { width: 30; text-style: bold; }
    MarkField .why { color: $error; height: auto; }
    MarkField Input.-invalid { border: tall $error; }
    """

    def __init__(self, crit: Criterion, lang: str, big: bool) -> None:
        super().__init__(classes="big" if big else "")
        self.crit = crit
        self.lang = lang

    def compose(self) -> ComposeResult:
        name = t("total", self.lang) if self.has_class("big") else self.crit.name  # one total: say so
        yield Label(f"[b]{name}[/b]  [dim]{range_text(self.crit, self.lang)}[/dim]")
        yield Input(restrict=r"[0-9.]*", max_length=12, id=f"mark-{self.crit.id}", select_on_focus=True)
        yield Static("", classes="why")  # shown only when there is something to explain

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    def check(self) -> tuple[Decimal | None, str]:
        value, why = check_mark(self.crit, self.input.value, self.lang)
        line = self.query_one(".why", Static)
        line.update(why)
        line.display = bool(why)
        self.input.set_class(bool(why), "-invalid")
        return value, why


class ScoreForm(VerticalScroll):
    """The card for one contestant."""

    DEFAULT_CSS = """
    ScoreForm { width: 1fr; height: 1fr; padding: 0 2; border: round $primary 50%; }
    ScoreForm #who { text-style: bold; margin-bottom: 1; }
    ScoreForm #fields { height: auto; }
    ScoreForm #totalrow { height: auto; margin-top: 1; }
    ScoreForm #totalrow Label { padding: 1 1 0 0; }
    ScoreForm Digits { width: auto; }
    ScoreForm #notice { color: $warning; height: auto; }
    ScoreForm #delivery { color: $success; height: auto; }
    ScoreForm #submit { margin-top: 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.lang = "en"
        self.crits: list[Criterion] = []
        self.cid = ""
        self.readonly = " "  # why it takes no marks (truthy): nothing shown yet

    def compose(self) -> ComposeResult:
        yield Static("", id="who")
        yield Vertical(id="fields")
        with Horizontal(id="totalrow"):
            yield Label("", id="totallabel")
            yield Digits("", id="total")
        yield Static("", id="notice")
        yield Static("", id="delivery")
        yield Button("", id="submit", variant="primary", disabled=True)

    # -- what the app hands over -------------------------------------------------------------

    async def set_rubric(self, crits: list[Criterion], lang: str) -> None:
        """New criteria (a new round, or the first snapshot): rebuild the fields."""
        self.crits, self.lang = crits, lang
        fields = self.query_one("#fields", Vertical)
        await fields.remove_children()
        big = len(crits) == 1
        await fields.mount_all([MarkField(c, lang, big) for c in crits])
        self.query_one("#totallabel", Label).update("" if big else t("total", lang))

    def set_card(self, cid: str, marks: dict[str, str]) -> None:
        """Switch to another contestant, starting from these marks."""
        self.cid = cid
        for f in self.query(MarkField):
            f.input.value = marks.get(f.crit.id, "")
        self.refresh_total()

    def show(self, title: str, readonly: str, revising: bool, notice: str = "") -> None:
        """The header, whether the form is read-only (``readonly`` says why), and a notice."""
        self.query_one("#who", Static).update(title)
        self.readonly = readonly
        for f in self.query(MarkField):
            f.input.disabled = bool(readonly)
        self.query_one("#submit", Button).label = t("revise" if revising else "submit", self.lang)
        self.set_notice(readonly or notice)
        self.refresh_total()

    def set_notice(self, text: str) -> None:
        self.query_one("#notice", Static).update(text)

    def set_delivery(self, text: str) -> None:
        self.query_one("#delivery", Static).update(text)

    def focus_first(self) -> None:
        fields = list(self.query(MarkField))
        if fields and not self.readonly:
            fields[0].input.focus()

    # -- typing ---------------------------------------------------------------------------------

    def values(self) -> dict[str, str]:
        return {f.crit.id: f.input.value.strip() for f in self.query(MarkField)}

    def refresh_total(self) -> bool:
        """Check every field, show the running total; True when the card can be submitted."""
        marks: dict[str, Decimal | None] = {}
        ok = bool(self.crits) and bool(self.cid)
        for f in self.query(MarkField):
            value, why = f.check()
            marks[f.crit.id] = value
            ok = ok and value is not None
        total = running_total(self.crits, marks)
        self.query_one("#total", Digits).update(f"{total:f}" if any(v is not None for v in marks.values()) else "-")
        self.query_one("#submit", Button).disabled = not ok or bool(self.readonly)
        return ok and not self.readonly

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self.refresh_total()

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        """Enter: on to the next field, or submit from the last one."""
        event.stop()
        inputs = [f.input for f in self.query(MarkField)]
        index = inputs.index(event.input) if event.input in inputs else -1
        if 0 <= index < len(inputs) - 1:
            inputs[index + 1].focus()
        else:
            self.request_submit()

    @on(Button.Pressed, "#submit")
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.request_submit()

    def request_submit(self) -> None:
        if self.readonly:
            return
        if not self.refresh_total():
            values = self.values()
            self.set_notice(t("fill_all" if any(not v for v in values.values()) and all(
                not f.check()[1] for f in self.query(MarkField)) else "fix_first", self.lang))
            return
        self.set_notice("")
        self.post_message(SubmitRequested(self.cid, self.values()))
