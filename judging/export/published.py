"""What an exported file publishes, compared with what the log re-derives.

A digest proves which log a document was made from, not that its numbers were left alone:
someone could edit a total in the printed HTML or the workbook and keep the digest line. So
``judging verify --against`` reads every table back (the JSON document's records, each
sheet of an XLSX workbook, each CSV file, each table of the HTML page) and compares it cell
by cell with the same table made afresh from the log.

Not compared: the time columns of the score sheet and the audit trail (they are in the
exporting machine's local time, and event times decide no result: the digest leaves them out
too) and each document's title and digest lines (the digest is checked on its own). The
judge review depends on the export's ``--threshold``, read from the review's own rule line.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from judging.export import csv_
from judging.export.data import gather
from judging.export.progress import Progress
from judging.export.source import Loaded
from judging.export.tables import Table, audit_table, review_table, scoresheet_table, standings_tables, units_table
from judging.export.words import WORDS, count, w
from judging.report import standings_data


class Unreadable(ValueError):
    """The file is an export, but its tables cannot be found in it (say which)."""


@dataclass
class Line:
    """One row as the log gives it, with the table it belongs to (for naming its columns)."""

    cells: list[Any]
    table: Table
    data: bool = True  # a row of the table, not its header, note or title


def _cells(row: list[Any] | tuple[Any, ...], skip: set[int]) -> list[str]:
    out = ["" if v is None else str(v) for i, v in enumerate(row) if i not in skip]
    while out and out[-1] == "":
        out.pop()
    return out


def _time_columns(t: Table, lang: str) -> set[int]:
    head = f"{w('time', lang)} ("
    return {i for i, c in enumerate(t.columns) if c.startswith(head)}


def _who(line: Line, lang: str) -> str:
    """The contestant (or event) a row is about, to name in a difference."""
    cols = line.table.columns
    row = ["" if v is None else str(v) for v in line.cells]
    if not line.data:
        return ""
    if w("id", lang) in cols and row[cols.index(w("id", lang))]:
        named = [row[cols.index(k)] for k in (w("id", lang), w("name", lang)) if k in cols and row[cols.index(k)]]
        return f" ({' '.join(named)})"
    if cols[0] == w("seq", lang) and row[0]:
        return f" (event #{row[0]})"
    return ""


def _compare(label: str, lang: str, want: list[Line], got: list[list[Any]], first: int, unit: str = "row") -> str:
    """"" if the rows match; else the first difference. ``first``: the number the file gives
    the first of these rows (a sheet's row, a CSV file's line)."""
    got = [list(r) for r in got]
    while got and not _cells(got[-1], set()):
        got.pop()  # empty rows at the end (a spreadsheet's formatting) are no content
    skips = {id(line.table): _time_columns(line.table, lang) for line in want}
    for n, (line, row) in enumerate(zip(want, got)):
        skip = skips[id(line.table)]
        a, b = _cells(line.cells, skip), _cells(row, skip)
        if a == b:
            continue
        at = f"{label}, {unit} {first + n}{_who(line, lang)}"
        kept = [c for i, c in enumerate(line.table.columns) if i not in skip]
        for j in range(max(len(a), len(b))):
            x, y = (a[j] if j < len(a) else ""), (b[j] if j < len(b) else "")
            if x != y:
                column = kept[j] if line.data and j < len(kept) else f"column {j + 1}"
                return f"{at}: {column} is {_j(y)} in the file; the log gives {_j(x)}"
    if len(got) > len(want):
        extra = len(got) - len(want)
        return f"{label}: {count(extra, unit)} more than the log gives, from {unit} {first + len(want)}: {' | '.join(_cells(got[len(want)], set()))}"
    if len(got) < len(want):
        line = want[len(got)]
        return f"{label}: the file ends before {unit} {first + len(got)}, where the log gives {' | '.join(_cells(line.cells, set()))}"
    return ""


def _lines(tables: list[Table], titles: bool) -> list[Line]:
    """The rows a sheet or CSV file holds from its third line: each table's note, header and
    rows, later tables after an empty row and their title."""
    out: list[Line] = []
    for i, t in enumerate(tables):
        if i and titles:
            out += [Line([], t, False), Line([t.title], t, False)]
        if t.note:
            out.append(Line([t.note], t, False))
        out.append(Line(t.columns, t, False))
        out += [Line(row, t) for row in t.rows]
    return out


def _threshold(text: str, lang: str) -> Decimal:
    """The review threshold the export was made with, from the review's rule line."""
    template = WORDS["review_note"][0 if lang == "zh" else 1]
    pattern = re.escape(template).replace(re.escape("{t}"), r"([0-9]+(?:\.[0-9]+)?)").replace(re.escape("{rounds}"), ".*?")
    m = re.search(pattern, text)
    if m is None:
        raise Unreadable("the judge review's rule line (its threshold) is not in it")
    try:
        return Decimal(m.group(1))
    except InvalidOperation:
        raise Unreadable(f"the judge review's threshold {m.group(1)!r} is not a number") from None


def first_difference(a: dict[str, Any], b: dict[str, Any], in_a: str = "in the replayed log", in_b: str = "in the full recompute") -> str:
    """The first standing in which two ``standings_data`` differ, with both values."""
    for ca, cb in zip(a["categories"], b["categories"]):
        for sa, sb in zip(ca["standings"], cb["standings"]):
            if sa != sb:
                keys = [k for k in sb if sa.get(k) != sb.get(k)] or [k for k in sa if k not in sb]
                values = "; ".join(f"{k} is {_j(sa.get(k))} {in_a}, {_j(sb.get(k))} {in_b}" for k in keys[:3])
                return f"{ca['name']}: {sb.get('contestant')} {sb.get('name')}: {values}"
        if len(ca["standings"]) != len(cb["standings"]):
            return f"{ca['name']}: {count(len(ca['standings']), 'contestant')} {in_a}, {len(cb['standings'])} {in_b}"
        if ca != cb:
            return f"{ca['name']}: the awards differ"
    return "the unit standings or the number of categories differ"


def _j(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _difference(got: Any, want: Any, where: str) -> str | None:
    """The first place where two JSON values differ: "where: X in the file; the log gives Y"."""
    if isinstance(got, dict) and isinstance(want, dict):
        for k in list(want) + [k for k in got if k not in want]:
            found = _difference(got.get(k), want.get(k), f"{where}.{k}")
            if found:
                return found
        return None
    if isinstance(got, list) and isinstance(want, list):
        for n, (a, b) in enumerate(zip(got, want)):
            who = ""
            if isinstance(b, dict):  # a record: name its event or contestant
                who = " ".join(str(b[k]) for k in ("seq", "round", "contestant", "name", "judge") if b.get(k) is not None)
            found = _difference(a, b, f"{where}[{n + 1}{' ' + who if who else ''}]")
            if found:
                return found
        if len(got) != len(want):
            return f"{where}: {count(len(got), 'item')} in the file; the log gives {len(want):,}"
        return None
    return None if got == want else f"{where} is {_j(got)} in the file; the log gives {_j(want)}"


def _json(path: Path, loaded: Loaded) -> str:
    doc = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict):
        raise Unreadable("not a document of `judging export`")
    live = json.loads(json.dumps(standings_data(loaded.state.tab)))
    if doc.get("standings") != live:
        got = doc.get("standings")
        if not isinstance(got, dict) or not isinstance(got.get("categories"), list):
            return "it has no standings"
        return "standings, " + first_difference(got, live, "in the file", "from the log")
    try:
        threshold = Decimal(str((doc.get("review") or {}).get("threshold")))
    except (InvalidOperation, AttributeError):
        raise Unreadable("its judge review has no threshold") from None
    data = gather(loaded, Progress(quiet=True), threshold)
    want = json.loads(json.dumps({"scoresheet": data.scoresheet, "review": data.review, "audit": _untimed(data.audit)}))
    got = {"scoresheet": doc.get("scoresheet"), "review": doc.get("review"), "audit": _untimed(doc.get("audit"))}
    for key in want:
        found = _difference(got[key], want[key], key)
        if found:
            return found
    return ""


def _untimed(audit: Any) -> Any:
    """The audit records without their local times (see the module docstring)."""
    if not isinstance(audit, list):
        return audit
    return [{k: v for k, v in a.items() if k != "time"} if isinstance(a, dict) else a for a in audit]


def _xlsx(path: Path, loaded: Loaded, lang: str) -> str:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True)
    except Exception as e:  # openpyxl raises many types for a damaged file
        raise Unreadable(f"cannot read the workbook: {e}") from None
    try:
        review_sheet = book.worksheets[-2] if len(book.worksheets) >= 2 else None
        note = next((str(r[0]) for r in review_sheet.iter_rows(min_row=3, max_row=3, values_only=True) if r and r[0]), "") if review_sheet else ""
        data = gather(loaded, Progress(quiet=True), _threshold(note, lang))
        sheets = [[t] + ([s] if s else []) for t, s in standings_tables(data)]
        units = units_table(data)
        sheets += [[units]] if units else []
        sheets += [[scoresheet_table(data)], [review_table(data)], [audit_table(data)]]
        if len(book.worksheets) != len(sheets):
            return f"the workbook has {count(len(book.worksheets), 'sheet')}; an export of this log has {len(sheets)}"
        for sheet, tables in zip(book.worksheets, sheets):
            rows = [list(r) for r in sheet.iter_rows(min_row=3, values_only=True)]
            problem = _compare(sheet.title, lang, _lines(tables, titles=True), rows, first=3)
            if problem:
                return problem
    finally:
        book.close()
    return ""


def _csv(path: Path, loaded: Loaded, lang: str) -> str | None:
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    part = next((p for p in ("standings", "units", "scoresheet", "review", "audit") if path.stem.endswith(f"-{p}")), None)
    threshold = _threshold("\n".join(r[0] for r in rows[:4] if r), lang) if part == "review" else Decimal("1.0")
    tables = csv_.tables(gather(loaded, Progress(quiet=True), threshold))
    if part is None:  # renamed: known by its title line
        title = rows[0][0] if rows and rows[0] else ""
        part = next((p for p, t in tables.items() if t.title == title), None)
        if part is None:
            return None
    if part not in tables:
        return f"{path.name}: this contest ranks no units; the file has a unit standings table"
    return _compare(path.name, lang, _lines([tables[part]], titles=False), rows[2:], first=3, unit="line")


class _Tables(HTMLParser):
    """Every table of an HTML page as rows of cell texts, and all of the page's text."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.text: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables and self.tables[-1]:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        self.text.append(data)


def _html(path: Path, loaded: Loaded, lang: str) -> str:
    page = _Tables()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    data = gather(loaded, Progress(quiet=True), _threshold("\n".join(page.text), lang))
    tables = [t for pair in standings_tables(data) for t in pair if t is not None]
    units = units_table(data)
    tables += ([units] if units else []) + [scoresheet_table(data), review_table(data), audit_table(data)]
    if len(page.tables) != len(tables):
        return f"the page has {count(len(page.tables), 'table')}; an export of this log has {len(tables)}"
    for found, t in zip(page.tables, tables):
        label = t.title.split(" — ")[-1]
        problem = _compare(label, lang, [Line(t.columns, t, False)] + [Line(r, t) for r in t.rows], found, first=0)
        if problem:
            return problem
    return ""


def check(path: Path, loaded: Loaded) -> str | None:
    """"" when the file's tables are the re-derived ones, else the first difference; None
    when the file is not one whose tables can be read back. Raises Unreadable (a ValueError)
    when an export's tables cannot be found in it."""
    lang = loaded.contest.language
    suffix = path.suffix.lower()
    if suffix == ".json":
        return _json(path, loaded)
    if suffix == ".xlsx":
        return _xlsx(path, loaded, lang)
    if suffix == ".csv":
        return _csv(path, loaded, lang)
    if suffix in (".html", ".htm"):
        return _html(path, loaded, lang)
    return None
