"""The standings widget: one category page at a time, then the unit standings (团体总分),
big and high-contrast, paging by itself.

It draws its own lines instead of using a DataTable: the board is read-only and seen from the
back of a hall, so it needs full control of spacing, prize colours and cut lines, and no cursor.
It renders only the rows it is given; rank changes and colours come from ``board.model``.
A team's members and its single-item awards (badges) take a second line under its name.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from rich.cells import cell_len
from rich.console import Group
from rich.text import Text
from textual.timer import Timer
from textual.widget import Widget

from judging.board.draw import badges, cell
from judging.board.model import Row, UnitRow, paginate
from judging.board.strings import Words

BASE = "bold #ffffff"
HEAD = "bold #9e9e9e"
HIGHLIGHT = "bold #000000 on #ffd75f"
UP, DOWN, NEW = "bold #5fff5f", "bold #ff5f5f", "bold #5fd7ff"
MEMBERS = "#b2b2b2"


UNITS = "units"  # the page id of the unit standings


class Page(NamedTuple):
    cid: str  # a category id, or UNITS
    name: str
    rows: list[Any]  # Row, or UnitRow on the units page
    number: int
    count: int


def _arrow(row: Row, words: Words) -> tuple[str, str]:
    if row.change is None:
        return "", ""
    if row.change.new:
        return words["new"], NEW
    if row.change.delta > 0:
        return f"▲{row.change.delta}", UP
    if row.change.delta < 0:
        return f"▼{-row.change.delta}", DOWN
    return "", ""


class Standings(Widget):
    """Standings of every category, then the units, one page at a time, turning pages every
    ``page_seconds``."""

    DEFAULT_CSS = """
    Standings { width: 1fr; height: 1fr; padding: 0 1; }
    """

    def __init__(self, page_seconds: float = 10.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.page_seconds = page_seconds
        self.page = 0
        self.timer: Timer | None = None
        self.categories: list[tuple[str, str, list[Row]]] = []
        self.units: tuple[str, list[UnitRow]] | None = None
        self.words = Words("zh")
        self.focus: str | None = None  # turn to this contestant's page once the size is known

    def on_mount(self) -> None:
        self.timer = self.set_interval(self.page_seconds, self.next_page)

    def show(
        self,
        categories: list[tuple[str, str, list[Row]]],
        words: Words,
        focus: str | None = None,
        units: tuple[str, list[UnitRow]] | None = None,
    ) -> None:
        """New rows; with ``focus``, turn to the page holding that contestant."""
        self.categories, self.words, self.units = categories, words, units
        if focus is not None:
            self.focus = focus
        self.refresh()

    def _turn_to_focus(self) -> None:
        # Pages depend on the height, so the focus waits until the widget has one.
        if self.focus is None or not self.size.height:
            return
        for i, page in enumerate(self.pages()):
            if page.cid != UNITS and any(r.contestant == self.focus for r in page.rows):
                self.page = i
                if self.timer is not None:
                    self.timer.reset()  # the revealed contestant's page stays up for a whole period
                break
        self.focus = None

    def next_page(self, by_hand: bool = False) -> None:
        if len(self.pages()) > 1:
            self.page += 1
            self.refresh()
        if by_hand:
            if self.timer is not None:
                self.timer.reset()  # the page turned by hand stays up for a whole period

    def pages(self) -> list[Page]:
        """Every page to show: each category's, then the unit standings'."""
        capacity = max(1, self.size.height - 3)  # title, column heads, a blank line
        out = []
        lists = [(cid, name, rows) for cid, name, rows in self.categories]
        if self.units is not None:
            lists.append((UNITS, *self.units))
        for cid, name, rows in lists:
            split = paginate(rows, capacity) if rows else [[]]
            out += [Page(cid, name, page, i + 1, len(split)) for i, page in enumerate(split)]
        return out

    def current(self) -> Page | None:
        self._turn_to_focus()
        pages = self.pages()
        return pages[self.page % len(pages)] if pages else None

    def render(self) -> Group:
        self._turn_to_focus()
        page = self.current()
        if page is None:
            return Group()
        w = self.words
        title = Text(page.name, style="bold #ffd75f")
        if page.count > 1:
            title += Text("   " + w.fmt("page", page=page.number, pages=page.count), style="#9e9e9e")
        if not page.rows:
            return Group(title, Text(""), Text(w["no_results"], style=HEAD))
        if page.cid == UNITS:
            return Group(title, *self._unit_lines(page.rows))
        return Group(title, *self._lines(page.rows))

    def _airy(self, rows: list[Any]) -> bool:
        """Room to put a blank line between rows: easier to read from afar."""
        needed = sum(r.lines for r in rows) + sum(1 for i, r in enumerate(rows) if getattr(r, "cut_above", False) and i)
        return self.size.height - 3 >= needed + len(rows) - 1

    def _lines(self, rows: list[Row]) -> list[Text]:
        w = self.words
        width = max(20, self.size.width)
        arrow_w, rank_w = 4, max(cell_len(w["rank"]), 3)
        total_w = max(cell_len(w["total"]), *(cell_len(r.total) for r in rows))
        award_w = max(cell_len(w["award"]), *(cell_len(r.award) for r in rows))
        fixed = arrow_w + rank_w + total_w + award_w + 5  # five single-cell gaps
        rest = width - fixed
        name_w = min(max(cell_len(w["name"]), *(cell_len(r.name) for r in rows)), max(8, rest * 2 // 5))
        unit_w = rest - name_w - 1
        redundant = all(not r.unit or r.unit in r.name for r in rows)  # 朝阳区望京街道代表队 says its unit
        if unit_w < 6 or redundant:
            name_w, unit_w = max(4, rest), 0
        indent = arrow_w + rank_w + 2  # where the name column starts

        def line(arrow: Text, rank: Text, nm: Text, unit: Text, total: Text, award: Text, style: str) -> Text:
            parts = [arrow, rank, nm] + ([unit] if unit_w else []) + [total, award]
            out = Text(" ", style=style).join(parts)
            gap = width - out.cell_len
            return out + Text(" " * max(0, gap), style=style) if style != HEAD else out

        lines = [
            line(
                cell("", arrow_w), cell(w["rank"], rank_w, HEAD, True), cell(w["name"], name_w, HEAD),
                cell(w["unit"], unit_w, HEAD), cell(w["total"], total_w, HEAD, True), cell(w["award"], award_w, HEAD),
                HEAD,
            ),
        ]
        airy = self._airy(rows)
        previous_colour = ""
        for i, r in enumerate(rows):
            if r.cut_above and i:
                lines.append(Text("─" * width, style=previous_colour or "#606060"))
            elif airy and i:
                lines.append(Text(""))
            style = HIGHLIGHT if r.highlight else BASE
            prize = style if r.highlight else f"bold {r.colour}" if r.colour else BASE
            arrow, arrow_style = _arrow(r, w)
            lines.append(
                line(
                    cell(arrow, arrow_w, style if r.highlight else arrow_style),
                    cell(str(r.rank), rank_w, prize, True),
                    cell(r.name, name_w, style),
                    cell(r.unit, unit_w, style),
                    cell(r.total, total_w, style, True),
                    cell(r.award, award_w, prize),
                    style,
                )
            )
            if r.lines > 1:
                lines.append(self._detail(r, indent, width))
            previous_colour = r.colour if r.award else previous_colour
        return lines

    @staticmethod
    def _detail(row: Row, indent: int, width: int) -> Text:
        """The second line of a row: the members, then the single-item award badges; it starts
        under the name, or further left when that leaves too little room."""
        tags = badges(row.single_awards)
        members = "、".join(row.members)
        needed = cell_len(members) + (tags.cell_len + (2 if members else 0) if tags else 0)
        out = Text(" " * max(0, min(indent, width - needed)))
        if members:
            out += cell(members, width - out.cell_len - (tags.cell_len + 2 if tags else 0), MEMBERS)
            if tags:
                out += Text("  ")
        out += tags
        out.truncate(width, overflow="ellipsis")
        return out

    def _unit_lines(self, rows: list[UnitRow]) -> list[Text]:
        w = self.words
        width = max(20, self.size.width)
        rank_w = max(cell_len(w["rank"]), 3)
        score_w = max(cell_len(w["score_units"]), *(cell_len(r.score) for r in rows))
        unit_w = min(max(cell_len(w["unit"]), *(cell_len(r.unit) for r in rows)), max(8, width - rank_w - score_w - 3))
        counted_w = width - rank_w - unit_w - score_w - 3 - 4  # the counted names, if there is room

        def line(rank: Text, unit: Text, score: Text, counted: Text) -> Text:
            parts = [rank, unit, score] + ([counted] if counted_w >= 8 else [])
            return Text(" ").join(parts)

        lines = [
            line(cell(w["rank"], rank_w, HEAD, True), cell(w["unit"], unit_w, HEAD), cell(w["score_units"], score_w, HEAD, True),
                 Text("    ") + cell(w["counted"], counted_w, HEAD))
        ]
        airy = self._airy(rows)
        for i, r in enumerate(rows):
            if airy and i:
                lines.append(Text(""))
            colour = "bold #ffd700" if r.rank == 1 else BASE
            lines.append(line(cell(str(r.rank), rank_w, colour, True), cell(r.unit, unit_w, BASE),
                              cell(r.score, score_w, "bold #ffd700", True), Text("    ") + cell("、".join(r.counted), counted_w, MEMBERS)))
        return lines
