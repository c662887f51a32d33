"""The standings widget: one category page at a time, big and high-contrast, paging by itself.

It draws its own lines instead of using a DataTable: the board is read-only and seen from the
back of a hall, so it needs full control of spacing, prize colours and cut lines, and no cursor.
It renders only the rows it is given; rank changes and colours come from ``board.model``.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Group
from rich.text import Text
from textual.widget import Widget

from judging.board.model import Row, paginate
from judging.board.strings import Words

BASE = "bold #ffffff"
HEAD = "bold #9e9e9e"
HIGHLIGHT = "bold #000000 on #ffd75f"
UP, DOWN, NEW = "bold #5fff5f", "bold #ff5f5f", "bold #5fd7ff"


def _cell(text: str, width: int, style: str = "", right: bool = False) -> Text:
    t = Text(text, style=style, no_wrap=True, overflow="ellipsis")
    t.truncate(width, overflow="ellipsis")
    gap = " " * max(0, width - t.cell_len)
    if right:
        return Text(gap, style=style) + t
    return t + Text(gap, style=style)


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
    """Standings of every category, one page at a time, turning pages every ``page_seconds``."""

    DEFAULT_CSS = """
    Standings { width: 1fr; height: 1fr; padding: 0 1; }
    """

    def __init__(self, page_seconds: float = 10.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.page_seconds = page_seconds
        self.page = 0
        self.categories: list[tuple[str, str, list[Row]]] = []
        self.words = Words("zh")

    def on_mount(self) -> None:
        self.set_interval(self.page_seconds, self.next_page)

    def show(self, categories: list[tuple[str, str, list[Row]]], words: Words, focus: str | None = None) -> None:
        """New rows; with ``focus``, turn to the page holding that contestant."""
        self.categories, self.words = categories, words
        if focus is not None:
            for i, (_, _, rows, _, _) in enumerate(self.pages()):
                if any(r.contestant == focus for r in rows):
                    self.page = i
                    break
        self.refresh()

    def next_page(self) -> None:
        if len(self.pages()) > 1:
            self.page += 1
            self.refresh()

    def pages(self) -> list[tuple[str, str, list[Row], int, int]]:
        """(category id, name, rows, page number, page count) for every page to show."""
        capacity = max(1, self.size.height - 3)  # title, column heads, a blank line
        out = []
        for cid, name, rows in self.categories:
            split = paginate(rows, capacity) if rows else [[]]
            out += [(cid, name, page, i + 1, len(split)) for i, page in enumerate(split)]
        return out

    def current(self) -> tuple[str, str, list[Row], int, int] | None:
        pages = self.pages()
        return pages[self.page % len(pages)] if pages else None

    def render(self) -> Group:
        page = self.current()
        if page is None:
            return Group()
        _, name, rows, number, count = page
        w = self.words
        width = max(20, self.size.width)
        title = Text(name, style="bold #ffd75f")
        if count > 1:
            title += Text("   " + w.fmt("page", page=number, pages=count), style="#9e9e9e")
        if not rows:
            return Group(title, Text(""), Text(w["no_results"], style=HEAD))

        arrow_w, rank_w = 4, max(cell_len(w["rank"]), 3)
        total_w = max(cell_len(w["total"]), *(cell_len(r.total) for r in rows))
        award_w = max(cell_len(w["award"]), *(cell_len(r.award) for r in rows))
        fixed = arrow_w + rank_w + total_w + award_w + 5  # five single-cell gaps
        rest = width - fixed
        name_w = min(max(cell_len(w["name"]), *(cell_len(r.name) for r in rows)), max(8, rest * 2 // 5))
        unit_w = rest - name_w - 1
        if unit_w < 6:
            name_w, unit_w = max(4, rest), 0

        def line(arrow: Text, rank: Text, nm: Text, unit: Text, total: Text, award: Text, style: str) -> Text:
            parts = [arrow, rank, nm] + ([unit] if unit_w else []) + [total, award]
            out = Text(" ", style=style).join(parts)
            gap = width - out.cell_len
            return out + Text(" " * max(0, gap), style=style) if style != HEAD else out

        lines = [
            title,
            line(
                _cell("", arrow_w), _cell(w["rank"], rank_w, HEAD, True), _cell(w["name"], name_w, HEAD),
                _cell(w["unit"], unit_w, HEAD), _cell(w["total"], total_w, HEAD, True), _cell(w["award"], award_w, HEAD),
                HEAD,
            ),
        ]
        needed = len(rows) + sum(1 for i, r in enumerate(rows) if r.cut_above and i)
        airy = self.size.height - 3 >= 2 * needed  # room to double-space: easier to read from afar
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
                    _cell(arrow, arrow_w, style if r.highlight else arrow_style),
                    _cell(str(r.rank), rank_w, prize, True),
                    _cell(r.name, name_w, style),
                    _cell(r.unit, unit_w, style),
                    _cell(r.total, total_w, style, True),
                    _cell(r.award, award_w, prize),
                    style,
                )
            )
            previous_colour = r.colour if r.award else previous_colour
        return Group(*lines)
