"""The live quiz (知识竞赛) on the stage: every team's running total in big digits, the current
question, and the last change (who, which question, how many points, or that it was undone).

Its own module because a points round has no judges, no reveal card and no progress: the host
awards points and the hall watches the totals move. It draws only the ``quiz`` section and
computes nothing; totals may be negative and always show their sign.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.console import Group
from rich.text import Text
from textual.widget import Widget

from judging.board.draw import big, big_width, cell, signed
from judging.board.strings import Words

GAP = 4
TEAM, UNIT, PLUS, MINUS, ZERO = "bold #ffffff", "#b2b2b2", "bold #5fff5f", "bold #ff5f5f", "bold #d0d0d0"
LAST_TEAM = "bold #000000 on #ffd75f"  # the team whose total just changed
QUESTION = "bold #000000 on #5fd7ff"


def _negative(total: str) -> bool:
    return total.startswith("-") and total.strip("-0.") != ""


def points_style(points: str) -> str:
    if points.startswith("-") and points.strip("-0.") != "":
        return MINUS
    return ZERO if points.strip("+0.") == "" else PLUS


class QuizBoard(Widget):
    """Teams' totals as they change; ``show`` it the ``quiz`` section."""

    DEFAULT_CSS = """
    QuizBoard { height: 1fr; padding: 0 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.quiz: dict[str, Any] = {}
        self.words = Words("zh")

    def show(self, quiz: dict[str, Any], words: Words) -> None:
        self.quiz, self.words = quiz, words
        self.refresh()

    def question(self) -> Text:
        q = self.quiz.get("question")
        if not q:
            return Text(f" {self.words['no_question']} ", style="bold #000000 on #9e9e9e")
        return Text(f" {q.get('name') or q.get('type', '')}  {self.words.fmt('question', number=q['number'])} ", style=QUESTION)

    def last(self, width: int) -> list[Text]:
        """The last award or undo: its points in big digits (grey once undone), beside the team,
        the question and the outcome."""
        x = self.quiz.get("last")
        w = self.words
        if not x:
            return [Text(f"{w['last']}  —", style="#9e9e9e")]
        points = signed(str(x.get("points") or "0"))
        undone = bool(x.get("undone"))
        digits = big(points)
        style = "#767676" if undone else points_style(points)
        team = Text(x.get("name") or x.get("contestant", ""), style=TEAM)
        if undone:
            team = Text.assemble(Text(f" {w['undone']} ", style="bold #ffffff on #af0000"), "  ", team)
        question = Text(f"{x.get('type_name') or x.get('type', '')}  {w.fmt('question', number=x.get('number', ''))}", style="#d0d0d0")
        outcome = x.get("outcome") or ""
        said = Text(w[outcome] if outcome in ("correct", "wrong", "none") else "", style="#d0d0d0")
        said = Text.assemble(said, "   ", Text(points, style="strike #767676" if undone else style))
        label = w["last"]
        left = cell_len(label) + 2 + big_width(points) + 3
        out = []
        for k, right in enumerate((team, question, said)):
            head = cell(label if k == 1 else "", cell_len(label), "#9e9e9e")
            line = Text.assemble(head, "  ", cell(digits[k], big_width(points), style), "   ", right)
            line.truncate(max(left, width), overflow="ellipsis")
            out.append(line)
        return out

    def tiles(self, width: int, room: int) -> list[Text]:
        """Each team's name over its total in big digits, as many side by side as fit; one line
        per team when the big ones do not fit in ``room`` lines."""
        teams = self.quiz.get("teams") or []
        if not teams:
            return []
        last = self.quiz.get("last") or {}
        lit = "" if last.get("undone") else last.get("contestant", "")
        with_unit = any(t.get("unit") and t["unit"] not in t["name"] for t in teams)
        totals = [str(t.get("total") or "0") for t in teams]
        name_w = max(cell_len(t["name"]) for t in teams)
        tile_w = min(width, max(name_w, max(map(big_width, totals)), 8))
        cols = max(1, (width + GAP) // (tile_w + GAP))
        tile_h = 4 + (1 if with_unit else 0)
        rows = -(-len(teams) // cols)
        if rows * (tile_h + 1) - 1 <= room:
            span = width // cols  # the tiles spread over the whole width
            lines: list[Text] = []
            for i in range(0, len(teams), cols):
                group = list(zip(teams[i : i + cols], totals[i : i + cols]))
                if i:
                    lines.append(Text(""))
                for k in range(tile_h):
                    line = Text()
                    for t, total in group:
                        if k == 0:
                            part = cell(t["name"], tile_w, LAST_TEAM if t["contestant"] == lit else TEAM)
                        elif with_unit and k == 1:
                            part = cell(t.get("unit") or "", tile_w, UNIT)
                        else:
                            part = cell(big(total)[k - tile_h + 3], tile_w, MINUS if _negative(total) else "bold #ffffff")
                        line += part + Text(" " * (span - tile_w))
                    lines.append(line)
            return lines
        # Too many teams for big digits: name and total on one line, in columns.
        total_w = max(map(cell_len, totals))
        entry_w = min(width, name_w + 2 + total_w)
        cols = max(1, (width + GAP) // (entry_w + GAP))
        lines = []
        airy = 2 * -(-len(teams) // cols) - 1 <= room
        for i in range(0, len(teams), cols):
            if airy and i:
                lines.append(Text(""))
            parts = []
            for t, total in zip(teams[i : i + cols], totals[i : i + cols]):
                style = LAST_TEAM if t["contestant"] == lit else TEAM
                parts.append(Text.assemble(cell(t["name"], entry_w - total_w - 2, style), "  ",
                                           cell(total, total_w, MINUS if _negative(total) else "bold #ffd700", True)))
            lines.append(Text(" " * GAP).join(parts))
        return lines

    def render(self) -> Group:
        if not self.quiz:
            return Group()
        width, height = max(20, self.size.width), max(6, self.size.height)
        head = Text.assemble(Text(self.quiz.get("name") or "", style="bold #ffd75f"), "   ", self.question())
        top = [head, Text(""), *self.last(width), Text(""), Text("─" * width, style="#444444"), Text("")]
        out = top + self.tiles(width, height - len(top))
        for line in out:
            line.no_wrap, line.overflow = True, "ellipsis"  # on a narrow screen a line is cut, never wrapped
        return Group(*out)
