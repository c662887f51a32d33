"""The standings an exported file publishes, compared with the ones the log re-derives.

A digest proves which log a document was made from, not that its numbers were left alone:
someone could edit a total in the workbook and keep the digest line. So ``judging verify
--against`` also reads the standings back from a JSON document, an XLSX workbook's category
sheets or a ``-standings.csv`` file, and compares them cell by cell with freshly made ones.
(The score sheet and audit trail carry local times, which depend on the machine; the digest
covers them.)
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from judging.export.data import gather
from judging.export.progress import Progress
from judging.export.source import Loaded
from judging.export.tables import Table, standings_tables
from judging.report import standings_data


def _cells(row: list[Any]) -> list[str]:
    out = ["" if v is None else str(v) for v in row]
    while out and out[-1] == "":
        out.pop()
    return out


def _compare(title: str, table: Table, rows: list[list[Any]]) -> str:
    want = [_cells(r) for r in table.rows]
    got = [_cells(r) for r in rows[: len(want)]]
    for i, (a, b) in enumerate(zip(want, got)):
        if a != b:
            return f"{title}, row {i + 1}: the file has {' | '.join(b)}; the log gives {' | '.join(a)}"
    if len(got) < len(want):
        return f"{title}: the file has {len(got)} rows, the log gives {len(want)}"
    return ""


def first_difference(a: dict[str, Any], b: dict[str, Any]) -> str:
    for ca, cb in zip(a["categories"], b["categories"]):
        for sa, sb in zip(ca["standings"], cb["standings"]):
            if sa != sb:
                keys = [k for k in sa if sa.get(k) != sb.get(k)]
                return f"{ca['name']}: {sa['contestant']} {sa['name']} differs in {', '.join(keys)}"
        if ca != cb:
            return f"{ca['name']}: the awards differ"
    return "the unit standings or the number of contestants differ"


def check(path: Path, loaded: Loaded) -> str | None:
    """"" when the file's standings are the re-derived ones, else the first difference;
    None when the file is not one whose standings can be read back."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        doc = json.loads(path.read_text(encoding="utf-8"))
        live = json.loads(json.dumps(standings_data(loaded.state.tab)))
        if doc.get("standings") == live:
            return ""
        return first_difference(doc.get("standings") or {"categories": []}, live)
    if suffix not in (".xlsx", ".csv") or (suffix == ".csv" and not path.stem.endswith("-standings")):
        return None
    tables = standings_tables(gather(loaded, Progress(quiet=True)))
    if suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))[3:]
        names = {t.name: t.title.split(" — ")[-1] for t, _ in tables}
        merged = Table("standings", "standings", [], [[names[t.name]] + r for t, _ in tables for r in t.rows])
        return _compare(path.name, merged, rows)
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        for sheet, (table, _) in zip(book.worksheets, tables):
            rows = [list(r) for r in sheet.iter_rows(min_row=4, values_only=True)]
            problem = _compare(sheet.title, table, rows)
            if problem:
                return problem
    finally:
        book.close()
    return ""
