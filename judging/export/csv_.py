"""The CSV export: one table per file, UTF-8 with a BOM so that Excel on Chinese Windows
opens it as UTF-8, CRLF line ends.

For ``--out results.csv`` (or a directory, then named after the database) it writes
``results-standings.csv`` (every category, with a category column), ``results-units.csv``
(only if the contest ranks units), ``results-scoresheet.csv``, ``results-review.csv`` and
``results-audit.csv``. Each file's first line is its title, the second the results digest;
the table's header is the third line.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from judging.export.data import ExportData
from judging.export.files import write_text
from judging.export.progress import Progress
from judging.export.tables import Table, audit_table, digest_line, review_table, scoresheet_table, standings_tables, units_table
from judging.export.words import count, w
from judging.text import word


def paths(stem: Path) -> dict[str, Path]:
    """The files written for ``stem`` (a path without the .csv)."""
    return {part: stem.with_name(f"{stem.name}-{part}.csv") for part in ("standings", "units", "scoresheet", "review", "audit")}


def _write(path: Path, title: str, digest: str, t: Table, progress: Progress) -> Path:
    f = io.StringIO(newline="")
    out = csv.writer(f, lineterminator="\r\n")
    out.writerow([title])
    out.writerow([digest])
    if t.note:
        out.writerow([t.note])
    out.writerow(t.columns)
    out.writerows(["" if v is None else v for v in row] for row in t.rows)
    write_text(path, f.getvalue(), "utf-8-sig")
    progress.note(f"csv: {path} ({count(len(t.rows), 'row')})")
    return path


def tables(data: ExportData) -> dict[str, Table]:
    """The table of each file, by the part of its name: units only if the contest ranks units."""
    lang = data.language
    standings = standings_tables(data)
    merged = Table("standings", f"{data.standings['contest']} — {w('standings', lang)}", [word("category", lang)] + standings[0][0].columns)
    names = {c["id"]: c["name"] for c in data.standings["categories"]}
    for t, _ in standings:
        for row, style in zip(t.rows, t.styles):
            merged.add([names[t.name]] + row, style)
    out = {"standings": merged}
    units = units_table(data)
    if units:
        out["units"] = units
    out |= {"scoresheet": scoresheet_table(data), "review": review_table(data), "audit": audit_table(data)}
    return out


def write(data: ExportData, stem: Path, progress: Progress) -> list[Path]:
    digest = digest_line(data)
    files = paths(stem)
    return [_write(files[part], t.title, digest, t, progress) for part, t in tables(data).items()]
