"""Drawing helpers shared by the self-drawn board widgets: fixed-width cells that keep CJK
names aligned, big digits for totals, and wide spaced titles.

Separate so that the standings, the ceremony and the quiz lay out text the same way (a
Chinese character takes two terminal cells; ``rich.cells.cell_len`` counts them right).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.renderables.digits import DIGITS, DIGITS3X3_BOLD

GOLD = "#ffd700"
DIM = "#b2b2b2"
BADGE = "bold #000000 on #5fd7ff"  # a single-item award (单项奖), wherever it shows


def cell(text: str, width: int, style: str = "", right: bool = False) -> Text:
    """``text`` cut or padded to exactly ``width`` cells."""
    t = Text(text, style=style, no_wrap=True, overflow="ellipsis")
    t.truncate(max(0, width), overflow="ellipsis")
    gap = " " * max(0, width - t.cell_len)
    if right:
        return Text(gap, style=style) + t
    return t + Text(gap, style=style)


def centre(text: Text, width: int, style: str = "") -> Text:
    """``text`` centred in ``width`` cells (cut if longer), the padding in ``style``."""
    text = text.copy()
    text.truncate(width, overflow="ellipsis")
    left = max(0, (width - text.cell_len) // 2)
    right = max(0, width - text.cell_len - left)
    return Text(" " * left, style=style) + text + Text(" " * right, style=style)


def spaced(title: str) -> str:
    """A title spread out to read as larger: 三等奖 -> 三 等 奖; Latin text in capitals."""
    if any(cell_len(ch) == 2 for ch in title):
        return " ".join(ch for ch in title if ch != " ")
    return title.upper()


def big(text: str) -> list[str]:
    """Three lines drawing ``text`` in Textual's 3x3 digit font (digits, '-', '+', '.')."""
    rows = ["", "", ""]
    for ch in text.replace(".", "•"):
        i = DIGITS.find(ch)
        if i < 0:
            rows = [rows[0] + " ", rows[1] + " ", rows[2] + ch]
            continue
        rows = [rows[k] + DIGITS3X3_BOLD[i * 3 + k].ljust(3) for k in range(3)]
    return rows


def big_width(text: str) -> int:
    return cell_len(big(text)[2])


def signed(points: str) -> str:
    """'10' -> '+10', '-10' stays, '0' stays: a change always shows its direction."""
    if points.startswith(("-", "+")) or points.strip("0.") == "":
        return points
    return "+" + points


def badges(names: list[str] | tuple[str, ...]) -> Text:
    """Single-item awards as badges: ` ★最佳教学设计奖 `."""
    out = Text()
    for i, name in enumerate(names):
        if i:
            out += Text(" ")
        out += Text(f" ★{name} ", style=BADGE)
    return out
