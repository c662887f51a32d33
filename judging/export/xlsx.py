"""The XLSX export: one sheet per category's standings (single-item awards below), unit
standings if the contest ranks units, the score sheet, the judge review and the audit trail.

Every sheet opens with the title and the results digest, then the header row, frozen (and
repeated on every printed page). Column widths follow the longest text, CJK characters
counting double. Written in openpyxl's write-only mode: the score sheet of a large contest
has tens of thousands of rows.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill
from openpyxl.utils import get_column_letter

from judging.export.data import ExportData
from judging.export.files import write_bytes
from judging.export.progress import Progress
from judging.export.tables import Table, audit_table, digest_line, review_table, scoresheet_table, standings_tables, units_table
from judging.export.words import w
from judging.text import width

MAX_WIDTH = 60
GREY = "808080"
STYLES = {
    "title": {"font": Font(bold=True, size=13)},
    "digest": {"font": Font(size=9, color=GREY)},
    "header": {"font": Font(bold=True), "fill": PatternFill("solid", fgColor="DDE4EE"), "alignment": Alignment(vertical="center")},
    "summary": {"font": Font(bold=True), "fill": PatternFill("solid", fgColor="F2F2F2")},
    "dropped": {"font": Font(strike=True, color=GREY)},
    "excluded": {"font": Font(italic=True, color=GREY)},
    "missing": {"font": Font(color="C00000")},
    "flag": {"fill": PatternFill("solid", fgColor="FFF2CC")},
}


class _Styles:
    """Each look registered once as a named style: setting a font or fill on a cell looks
    the style up by hashing it, which costs more than writing the cell, while a named style
    is copied by name."""

    def __init__(self, book: Workbook):
        self.book = book
        self.names: dict[tuple[str, bool], str] = {}

    def cell(self, ws: Any, value: Any, style: str, right: bool = False) -> WriteOnlyCell:
        key = (style, right)
        name = self.names.get(key)
        if name is None:
            name = self.names[key] = f"judging {style or 'plain'}{' right' if right else ''}"
            named = NamedStyle(name=name)
            for attr, v in STYLES.get(style, {}).items():
                setattr(named, attr, v)
            if right:
                named.alignment = Alignment(horizontal="right", vertical=named.alignment.vertical)
            self.book.add_named_style(named)
        cell = WriteOnlyCell(ws, value=value)
        cell.style = name
        return cell


def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "sheet"
    out, n = base, 2
    while out.lower() in used:
        suffix = f" ({n})"
        out, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(out.lower())
    return out


def _widths(tables: list[Table]) -> list[int]:
    cols = max(len(t.columns) for t in tables)
    best = [4] * cols
    for t in tables:
        for i, head in enumerate(t.columns):
            best[i] = max(best[i], width(head))
        for row in t.rows:
            for i, value in enumerate(row):
                if value is None or value == "":
                    continue
                text = value if isinstance(value, str) else str(value)
                if len(text) > best[i] if text.isascii() else 2 * len(text) > best[i]:
                    best[i] = max(best[i], len(text) if text.isascii() else width(text))
    return [min(b + 2, MAX_WIDTH) for b in best]


def _write_table(ws: Any, st: _Styles, t: Table, progress: Progress, label: str, with_title: bool) -> None:
    if with_title:
        ws.append([st.cell(ws, t.title, "title")])
    if t.note:
        ws.append([st.cell(ws, t.note, "digest")])
    ws.append([st.cell(ws, h, "header", i in t.numeric) for i, h in enumerate(t.columns)])
    total = len(t.rows)
    for n, (row, style) in enumerate(zip(t.rows, t.styles), start=1):
        if style:
            ws.append([st.cell(ws, v, style, i in t.numeric) for i, v in enumerate(row)])
        else:
            # Scores are text (see tables.py): aligned right by a style, like numbers.
            ws.append([st.cell(ws, v, "", True) if i in t.numeric and v != "" else v for i, v in enumerate(row)])
        if n % 1000 == 0 or n == total:
            progress.step(label, n, total)


def _sheet(book: Workbook, st: _Styles, used: set[str], name: str, tables: list[Table], data: ExportData, progress: Progress, label: str) -> None:
    ws = book.create_sheet(_sheet_name(name, used))
    for i, wd in enumerate(_widths(tables), start=1):
        ws.column_dimensions[get_column_letter(i)].width = wd
    first = tables[0]
    header_row = 3 + (1 if first.note else 0)
    ws.freeze_panes = f"A{header_row + 1}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.append([st.cell(ws, first.title, "title")])
    ws.append([st.cell(ws, digest_line(data), "digest")])
    for i, t in enumerate(tables):
        if i:
            ws.append([])
        _write_table(ws, st, t, progress, label, with_title=i > 0)


def write(data: ExportData, out: Path, progress: Progress) -> list[Path]:
    lang = data.language
    book = Workbook(write_only=True)
    used: set[str] = set()
    st = _Styles(book)
    for table, singles in standings_tables(data):
        _sheet(book, st, used, table.title.split(" — ")[-1], [table] + ([singles] if singles else []), data, progress, f"xlsx {table.name}")
    units = units_table(data)
    if units:
        _sheet(book, st, used, units.title, [units], data, progress, "xlsx units")
    _sheet(book, st, used, w("scoresheet", lang), [scoresheet_table(data)], data, progress, "xlsx score sheet (rows)")
    _sheet(book, st, used, w("review", lang), [review_table(data)], data, progress, "xlsx review (rows)")
    _sheet(book, st, used, w("audit", lang), [audit_table(data)], data, progress, "xlsx audit trail (rows)")
    progress.note(f"xlsx: saving {out}")
    # Saved in memory first: saved straight to a path that cannot be written, openpyxl
    # leaves its sheet writers open, which print tracebacks when they are collected.
    buffer = io.BytesIO()
    book.save(buffer)
    return [write_bytes(out, buffer.getvalue())]
