"""The stage's other two faces: scoring in progress (how many judges have submitted, never
what) and the idle card (contest name, who is next).

Separate from the reveal card because these widgets must never hold a mark: the progress
section the server sends a viewer carries judge ids only, and this module shows only counts.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text
from textual.widget import Widget

from judging.board.model import Scoring
from judging.board.strings import Words


class ScoringProgress(Widget):
    """Each contestant being scored: name, unit and a count with a bar, e.g. 18 / 32."""

    DEFAULT_CSS = """
    ScoringProgress { height: 1fr; padding: 1 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.items: list[Scoring] = []
        self.words = Words("zh")

    def show(self, items: list[Scoring], words: Words) -> None:
        self.items, self.words = items, words
        self.refresh()

    def render(self) -> Group:
        w = self.words
        width = max(20, self.size.width)
        out: list[Any] = []
        for s in self.items:
            who = Text(s.name, style="bold #ffffff")
            if s.unit:
                who += Text("   " + s.unit, style="#d0d0d0")
            state = w["closed"] if s.closed else w["scoring"]
            count = Text(f"{state}   ", style="bold #5fd7ff") + Text(
                f"{w['submitted']} {s.submitted} / {s.expected} {w['judges']}", style="bold #ffffff"
            )
            bar_w = max(10, width - 2)
            filled = bar_w * s.submitted // s.expected if s.expected else 0
            bar = Text("█" * filled, style="#5fd75f") + Text("░" * (bar_w - filled), style="#444444")
            out += [who, Text(""), count, Text(""), bar, Text(""), Text("")]
        return Group(*out)


class Idle(Widget):
    """Between contestants: the contest's name and who is next."""

    DEFAULT_CSS = """
    Idle { height: 1fr; padding: 1 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.title = ""
        self.upcoming: dict[str, Any] | None = None
        self.words = Words("zh")

    def show(self, title: str, upcoming: dict[str, Any] | None, words: Words) -> None:
        self.title, self.upcoming, self.words = title, upcoming, words
        self.refresh()

    def render(self) -> Group:
        out = [Text(self.title, style="bold #ffd75f"), Text("")]
        if self.upcoming:
            out.append(Text(f"{self.words['next']}：" if self.words.language == "zh" else f"{self.words['next']}: ", style="#b2b2b2")
                       + Text(self.upcoming["name"], style="bold #ffffff")
                       + Text("   " + (self.upcoming.get("unit") or ""), style="#d0d0d0"))
        else:
            out.append(Text(self.words["waiting"], style="#b2b2b2"))
        return Group(*out)
