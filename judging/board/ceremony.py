"""The prize ceremony (颁奖典礼): the whole board, stage by stage, lowest prize first.

Step 0 is a title card; each further step the host takes reveals one more stage. The newest
stage fills the screen (its title on a wide coloured band, its winners per category with unit,
members and total, in big digits when few enough fit); earlier stages shrink to one line each
at the bottom. A stage with more winners than fit pages by itself.

Its own module because the ceremony replaces the standings on the projector and lays out very
differently; it draws only the ``ceremony`` section the server sends and computes no result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.console import Group
from rich.text import Text
from textual.timer import Timer
from textual.widget import Widget

from judging.board.draw import GOLD, badges, big, big_width, cell, centre, spaced
from judging.board.model import MANUAL_COLOUR
from judging.board.strings import Words

SINGLE_COLOUR = "#5fd7ff"
NAME, UNIT, MEMBERS, TOTAL = "bold #ffffff", "#d0d0d0", "#b2b2b2", f"bold {GOLD}"
GAP = 4  # cells between two winners side by side


@dataclass
class Block:
    """Lines that stay together on a page: a category heading, or one row of winners."""

    lines: list[Text]
    heading: bool = False
    again: Text | None = None  # the heading to repeat when a page opens with this block


def stage_colour(stage: dict[str, Any], colours: dict[str, str]) -> str:
    if stage.get("kind") == "manual":
        return MANUAL_COLOUR
    if stage.get("kind") == "single":
        return SINGLE_COLOUR
    return colours.get(stage.get("title", ""), GOLD)


class Ceremony(Widget):
    """The ceremony as the server steps it; ``show`` it the ``ceremony`` section."""

    DEFAULT_CSS = """
    Ceremony { width: 1fr; height: 1fr; padding: 0 2; }
    """

    def __init__(self, page_seconds: float = 10.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.page_seconds = page_seconds
        self.page = 0
        self.timer: Timer | None = None
        self.section: dict[str, Any] = {}
        self.contest = ""
        self.colours: dict[str, str] = {}
        self.words = Words("zh")

    def on_mount(self) -> None:
        self.timer = self.set_interval(self.page_seconds, self.next_page)

    def show(self, section: dict[str, Any], contest: str, colours: dict[str, str], words: Words) -> None:
        if section.get("step") != self.section.get("step"):
            self.page = 0  # a new stage starts on its first page, shown for a whole period
            if self.timer is not None:
                self.timer.reset()
        self.section, self.contest, self.colours, self.words = section, contest, colours, words
        self.refresh()

    def next_page(self, by_hand: bool = False) -> None:
        if self.page_count() > 1:
            self.page += 1
            self.refresh()
        if by_hand:
            if self.timer is not None:
                self.timer.reset()  # the page turned by hand stays up for a whole period

    # -- layout ----------------------------------------------------------------------------

    def _band(self, title: str, colour: str, width: int, tall: int = 3) -> list[Text]:
        style = f"bold #000000 on {colour}"
        pad = Text(" " * width, style=style)
        middle = centre(Text(spaced(title), style=style), width, style)
        above = (tall - 1) // 2
        return [pad] * above + [middle] + [pad] * (tall - 1 - above)

    def _title_card(self, width: int, height: int) -> list[Text]:
        w = self.words
        card = [centre(Text(self.contest, style="bold #ffffff"), width), Text(""), Text("")]
        card += self._band(w["ceremony"], GOLD, width, tall=5)
        top = max(0, (height - len(card)) // 2)
        return [Text("")] * top + card

    def _winner_blocks(self, stage: dict[str, Any], width: int, room: int) -> list[Block]:
        """Each category's heading and rows of winners, big digits if they all fit on one page."""
        cats = [c for c in stage.get("categories") or [] if c.get("winners")]
        heads = len(cats) > 1
        everyone = [x for c in cats for x in c["winners"]]
        if not everyone:
            return []
        name_w = max(cell_len(x["name"]) for x in everyone)
        unit_w = max(cell_len(x.get("unit") or "") for x in everyone)
        totals = [x.get("total") or "" for x in everyone]
        detail = any(x.get("members") or x.get("single_awards") for x in everyone)

        extra_w = max(cell_len("、".join(x.get("members") or [])) + badges(x.get("single_awards") or []).cell_len
                      + (2 if x.get("members") and x.get("single_awards") else 0) for x in everyone)
        # Big: name / unit / members stacked beside the total in 3-line digits.
        info_w = min(max(name_w, unit_w, extra_w, 8), max(8, width - max(map(big_width, totals)) - 3))
        big_w = info_w + 3 + max(map(big_width, totals))
        # Normal: one line (name, unit, total), members and badges on a second.
        total_w = max(map(cell_len, totals))
        normal_unit = min(unit_w, max(0, width - name_w - total_w - 4))
        normal_w = name_w + (2 + normal_unit if normal_unit else 0) + 2 + total_w

        def columns(entry_w: int) -> int:
            return max(1, min(3, (width + GAP) // (entry_w + GAP)))

        def rows_needed(per_line: int, entry_h: int) -> int:
            n = sum(-(-len(c["winners"]) // per_line) for c in cats)
            blanks = n + 2 * len(cats) - 1 if heads else n - 1  # one before each row and heading
            return n * entry_h + blanks + (len(cats) if heads else 0)

        big_cols = columns(big_w)
        use_big = big_w <= width and rows_needed(big_cols, 3) <= room
        entry_h = 3 if use_big else 2 if detail else 1
        cols = big_cols if use_big else columns(normal_w)
        airy = use_big or rows_needed(cols, entry_h) <= room
        entry_w = min(width, big_w if use_big else normal_w)

        def entry(x: dict[str, Any]) -> list[Text]:
            extra = Text("、".join(x.get("members") or []), style=MEMBERS)
            tags = badges(x.get("single_awards") or [])
            if tags:
                extra = Text.assemble(extra, "  ", tags) if extra else tags
            if use_big:
                digits = big(x.get("total") or "")
                dw = entry_w - info_w - 3
                left = [cell(x["name"], info_w, NAME), cell(x.get("unit") or "", info_w, UNIT), extra]
                return [Text.assemble(cell_text(left[k], info_w), "   ", cell(digits[k], dw, TOTAL, True)) for k in range(3)]
            line = Text.assemble(cell(x["name"], name_w, NAME))
            if normal_unit:
                line.append_text(Text.assemble("  ", cell(x.get("unit") or "", normal_unit, UNIT)))
            line.append_text(Text.assemble("  ", cell(x.get("total") or "", total_w, TOTAL, True)))
            out = [line]
            if entry_h == 2:
                out.append(Text("  ") + cell_text(extra, entry_w - 2))
            return out

        # The winners stand in the middle of the screen, their columns aligned across categories.
        widest = max(min(len(c["winners"]), cols) for c in cats)
        margin = Text(" " * max(0, (width - widest * (entry_w + GAP) + GAP) // 2))
        blocks: list[Block] = []
        for n, c in enumerate(cats):
            again = None
            if heads:
                heading = [Text.assemble(margin, Text(c["name"], style="bold #5fd7ff"))]
                blocks.append(Block(([Text("")] if n and airy else []) + heading, heading=True))
                again = Text.assemble(margin, Text(c["name"] + self.words["cont"], style="bold #5fd7ff"))
            winners = c["winners"]
            for i in range(0, len(winners), cols):
                parts = [entry(x) for x in winners[i : i + cols]]
                lines = [margin + Text(" " * GAP).join(p[k] for p in parts) for k in range(entry_h)]
                if airy and (i or heads):
                    lines.insert(0, Text(""))
                blocks.append(Block(lines, again=again))
        return blocks

    def _pages(self, blocks: list[Block], room: int) -> list[list[Text]]:
        """Blocks packed into pages of ``room`` lines; a page that opens mid-category repeats its heading."""
        pages: list[list[Text]] = []
        current: list[Text] = []
        for b in blocks:
            lines = b.lines
            if current and len(current) + len(lines) > room:
                pages.append(current)
                current = []
                if b.again is not None:
                    current.append(b.again)
            if not current and lines and not lines[0].plain.strip() and len(lines) > 1:
                lines = lines[1:]  # no blank line at the top of a page
            current += lines
        if current or not pages:
            pages.append(current)
        return pages

    def _earlier(self, stages: list[dict[str, Any]], width: int, most: int) -> list[Text]:
        """One compact line per earlier stage, newest last; the oldest drop off if there is no room."""
        if not stages or most <= 0:
            return []
        lines = [Text("─" * 2 + " " + self.words["awarded"] + " " + "─" * max(0, width - cell_len(self.words["awarded"]) - 4), style="#606060")]
        title_w = max(cell_len(s.get("title", "")) for s in stages)
        for s in stages[-most:]:
            names = "、".join(x["name"] for c in s.get("categories") or [] for x in c.get("winners") or [])
            line = Text.assemble(cell(s.get("title", ""), title_w, f"bold {stage_colour(s, self.colours)}"), "  ", Text(names, style="#e4e4e4"))
            line.truncate(width, overflow="ellipsis")
            lines.append(line)
        return lines

    def layout(self) -> tuple[list[Text], list[list[Text]], list[Text]]:
        """(the lines above the winners, the winners' pages, the lines below them)."""
        width, height = max(20, self.size.width), max(8, self.size.height)
        stages = self.section.get("stages") or []
        if not stages:
            return self._title_card(width, height), [[]], []
        stage = stages[-1]
        colour = stage_colour(stage, self.colours)
        above = [Text("")] + self._band(stage.get("title", ""), colour, width) + [Text("")]  # the top line: see render
        below = self._earlier(stages[:-1], width, most=max(0, (height - len(above)) // 4))
        room = max(3, height - len(above) - len(below) - (1 if below else 0))
        blocks = self._winner_blocks(stage, width, room)
        if not blocks:
            return above, [[Text(self.words["no_winners"], style="#9e9e9e")]], below
        return above, self._pages(blocks, room), below

    def _top(self, shown: int, page: int, pages: int) -> Text:
        """The top line: the ceremony, the page, and one dot per stage (filled once revealed)."""
        width = max(20, self.size.width)
        step, steps = self.section.get("step", shown), self.section.get("steps", shown)
        colour = stage_colour((self.section.get("stages") or [{}])[-1], self.colours)
        dots = Text.assemble(Text("●" * step, style=colour), Text("○" * max(0, steps - step), style="#606060"),
                             Text(f"  {step}/{steps}", style="#9e9e9e"))
        top = Text(self.words["ceremony"], style="#9e9e9e")
        if pages > 1:
            top += Text("   " + self.words.fmt("page", page=page, pages=pages), style="#9e9e9e")
        return Text.assemble(top, " " * max(1, width - top.cell_len - dots.cell_len), dots)

    def page_count(self) -> int:
        return len(self.layout()[1])

    def render(self) -> Group:
        if not self.section:
            return Group()
        above, pages, below = self.layout()
        page = pages[self.page % len(pages)]
        out = list(above)
        stages = self.section.get("stages") or []
        height = max(8, self.size.height)
        if stages:
            out[0] = self._top(len(stages), self.page % len(pages) + 1, len(pages))
            room = height - len(above) - (len(below) + 1 if below else 0)
            if len(pages) == 1:
                out += [Text("")] * max(0, (room - len(page)) // 3)  # a short stage stands a little above the middle
        out += page
        if below:
            out += [Text("")] * max(1, height - len(out) - len(below)) + below
        for line in out:
            line.no_wrap, line.overflow = True, "ellipsis"  # on a narrow screen a line is cut, never wrapped
        return Group(*out)


def cell_text(text: Text, width: int) -> Text:
    """A styled ``Text`` cut or padded to exactly ``width`` cells."""
    out = text.copy()
    out.truncate(max(0, width), overflow="ellipsis")
    return out + Text(" " * max(0, width - out.cell_len))
