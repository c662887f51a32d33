"""The reveal card (亮分): every judge's mark by panel, dropped marks struck through, panel
scores and weights, adjustments with reasons, the final score in big digits and the new rank.

Its own module because it is the moment the audience waits for; it shows exactly the card the
server sent (the viewer only ever receives revealed results) and computes nothing.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Digits, Static

from judging.board.draw import badges
from judging.board.model import Change, percent
from judging.board.strings import Words

MARK = "bold #ffffff"
JUDGE = "#b2b2b2"
DROPPED = "strike #767676"


class Marks(Widget):
    """Each panel's marks in as many columns as fit the width; dropped marks struck through."""

    DEFAULT_CSS = """
    Marks { height: auto; width: 1fr; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.card: dict[str, Any] = {}
        self.words = Words("zh")

    def show(self, card: dict[str, Any], words: Words) -> None:
        self.card, self.words = card, words
        self.refresh(layout=True)

    def render(self) -> Group:
        panels = self.card.get("panels") or []
        width = max(20, self.size.width)
        out: list[Any] = []
        several = len(panels) > 1
        for panel in panels:
            head = Text(panel["name"], style="bold #5fd7ff")
            if several:
                head += Text(f"  {self.words['weight']} {percent(panel['weight'])}", style="#87afd7")
            if panel.get("score") is not None:
                head += Text(f"   {self.words['score']} ", style="#b2b2b2") + Text(panel["score"], style="bold #ffffff")
            if panel.get("note"):
                head += Text(f"  ({panel['note']})", style="#9e9e9e")
            out.append(head)
            marks = panel.get("marks") or []
            if marks:
                name_w = max(cell_len(m["name"]) for m in marks)
                mark_w = max(len(m["mark"]) for m in marks)
                cell_w = name_w + 1 + mark_w
                columns = max(1, (width + 3) // (cell_w + 3))
                grid = Table.grid(padding=(0, 3))
                for _ in range(min(columns, len(marks))):
                    grid.add_column(no_wrap=True)
                cells = []
                for m in marks:
                    name = Text(m["name"], style="#767676" if m["dropped"] else JUDGE)
                    name.pad_right(name_w - cell_len(m["name"]))
                    mark = Text(m["mark"].rjust(mark_w), style=DROPPED if m["dropped"] else MARK)
                    cells.append(name + Text(" ") + mark)
                for i in range(0, len(cells), columns):
                    grid.add_row(*cells[i : i + columns])
                out.append(grid)
            out.append(Text(""))
        return Group(*out)

    def get_content_height(self, container, viewport, width: int) -> int:
        """Lines ``render`` draws at this width (it lays marks out by width, so measure the same way)."""
        lines = 0
        for panel in self.card.get("panels") or []:
            marks = panel.get("marks") or []
            lines += 2
            if marks:
                cell_w = max(cell_len(m["name"]) for m in marks) + 1 + max(len(m["mark"]) for m in marks)
                columns = max(1, (max(20, width) + 3) // (cell_w + 3))
                lines += -(-len(marks) // columns)
        return lines


class RevealCard(Vertical):
    """The 亮分 card of the contestant just revealed."""

    DEFAULT_CSS = """
    RevealCard { height: 1fr; padding: 0 1; }
    RevealCard #who { height: auto; }
    RevealCard #team { height: auto; }
    RevealCard #adjustments { height: auto; }
    RevealCard #result { height: auto; margin-bottom: 1; }
    RevealCard .figure { width: auto; height: auto; margin-right: 6; }
    RevealCard .label { width: auto; color: #b2b2b2; }
    RevealCard Digits { width: auto; text-style: bold; }
    RevealCard #score { color: #ffd700; }
    RevealCard #rank { color: #ffffff; }
    RevealCard #rank-note { width: 1fr; height: auto; padding-top: 2; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.card: dict[str, Any] = {}

    def compose(self) -> ComposeResult:
        # The result comes right under the name: on a short screen the marks may run off the
        # bottom, the final score and rank must not.
        yield Static(id="who")
        yield Static(id="team")
        with Horizontal(id="result"):
            with Vertical(classes="figure"):
                yield Static(id="score-label", classes="label")
                yield Digits(id="score")
            with Vertical(classes="figure"):
                yield Static(id="rank-label", classes="label")
                yield Digits(id="rank")
            yield Static(id="rank-note")
        yield Marks(id="marks")
        yield Static(id="adjustments")

    def show(
        self,
        card: dict[str, Any],
        words: Words,
        change: Change | None,
        members: list[str] | tuple[str, ...] = (),
        single_awards: list[str] | tuple[str, ...] = (),
    ) -> None:
        """Draw ``card``; a team's ``members`` and the contestant's single-item awards go under the name."""
        self.card = card
        who = Text(card["name"], style="bold #ffffff")
        if card.get("unit"):
            who += Text("   " + card["unit"], style="#d0d0d0")
        self.query_one("#who", Static).update(who)
        team = Text("、".join(members), style="#b2b2b2")
        if single_awards:
            team += (Text("   ") if members else Text()) + badges(single_awards)
        self.query_one("#team", Static).update(team)
        self.query_one("#team", Static).display = bool(members or single_awards)
        self.query_one(Marks).show(card, words)
        adjustments = card.get("adjustments") or []
        adj = Text()
        if adjustments:
            adj += Text(words["adjustments"] + "\n", style="bold #5fd7ff")
            for a in adjustments:
                points = a["points"] if a["points"].startswith("-") else "+" + a["points"]
                adj += Text(f"  {points}", style="bold #ff5f5f" if points.startswith("-") else "bold #5fff5f")
                adj += Text(f"  {a['reason']}\n", style="#d0d0d0")
        self.query_one("#adjustments", Static).update(adj)
        self.query_one("#adjustments", Static).display = bool(adjustments)
        self.query_one("#score-label", Static).update(words["final_score"])
        self.query_one("#score", Digits).update(card.get("score") or "")
        self.query_one("#rank-label", Static).update(words["rank"])
        self.query_one("#rank", Digits).update(str(card["rank"]) if card.get("rank") is not None else "")
        note = Text()
        if change is not None and change.delta:
            arrow = f"▲{change.delta}" if change.delta > 0 else f"▼{-change.delta}"
            note += Text(arrow + "\n", style="bold #5fff5f" if change.delta > 0 else "bold #ff5f5f")
        if card.get("total") and card.get("total") != card.get("score"):
            note += Text(f"{words['total']} {card['total']}", style="#d0d0d0")
        self.query_one("#rank-note", Static).update(note)
