"""Read a contest file (TOML) and its roster (CSV or XLSX) into a checked ``Contest``.

This is the I/O edge of the rules: it parses, points each error at a file and line, and
hands plain data to ``judging.rules.build``.
"""

from __future__ import annotations

import csv
import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from judging.rules.build import build_contest
from judging.rules.errors import ContestError, ContestInvalid
from judging.rules.model import Contest

ROSTER_COLUMNS = ("id", "name", "category")  # required; unit, order, members optional


def load_contest(path: str | Path) -> Contest:
    """Load and check a contest file. Raises ``ContestInvalid`` with located errors."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise ContestInvalid([ContestError(f"cannot read the file: {e.strerror}", source=str(path))]) from None
    except UnicodeDecodeError:
        raise ContestInvalid([ContestError("the file is not UTF-8 text", source=str(path))]) from None
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as e:
        line = _toml_error_line(str(e))
        raise ContestInvalid([ContestError(f"not valid TOML: {e}", source=str(path), line=line)]) from None
    roster = data.get("contest", {}).get("roster") if isinstance(data.get("contest"), dict) else None
    if roster:
        line = locate(text, "contest.roster")
        if not isinstance(roster, str):
            raise ContestInvalid([ContestError("expected a file name", "contest.roster", str(path), line)])
        if not (path.parent / roster).is_file():
            where = path.parent / roster
            message = f"roster file {roster!r} not found: expected a CSV or XLSX file at {where}"
            raise ContestInvalid([ContestError(message, "contest.roster", str(path), line)])
        rows = read_roster(path.parent / roster)
        data["contestants"] = list(data.get("contestants", [])) + rows
    try:
        return build_contest(data)
    except ContestInvalid as e:
        for err in e.errors:
            if not err.source:
                err.source = str(path)
                err.line = locate(text, err.path)
        raise ContestInvalid(e.errors) from None


def contest_digest_text(path: str | Path) -> bytes:
    """The bytes a contest is identified by: the file, then its roster if it has one."""
    path = Path(path)
    raw = path.read_bytes()
    data = tomllib.loads(raw.decode("utf-8-sig"))
    roster = data.get("contest", {}).get("roster")
    if isinstance(roster, str) and (path.parent / roster).exists():
        raw += b"\0" + (path.parent / roster).read_bytes()
    return raw


def read_roster(path: Path) -> list[dict[str, Any]]:
    """Roster rows as dicts, each tagged with ``__where__`` = (file, row number)."""
    if not path.exists():
        raise ContestInvalid([ContestError("roster file not found", "contest.roster", str(path))])
    if path.suffix.lower() == ".xlsx":
        rows = _xlsx_rows(path)
    else:
        try:
            with path.open(encoding="utf-8-sig", newline="") as f:
                rows = list(csv.reader(f))
        except UnicodeDecodeError:
            raise ContestInvalid([ContestError("the roster is not UTF-8 text (save it as CSV UTF-8)", source=str(path))]) from None
    if not rows:
        raise ContestInvalid([ContestError("the roster is empty", source=str(path), line=1)])
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in ROSTER_COLUMNS if c not in header]
    if missing:
        raise ContestInvalid(
            [ContestError(f"missing column(s) {', '.join(missing)}; found {', '.join(header)}", source=str(path), line=1)]
        )
    out = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        record: dict[str, Any] = {"__where__": (str(path), number)}
        for key, cell in zip(header, row):
            if key and cell.strip():
                record[key] = cell.strip()
        out.append(record)
    return out


def _xlsx_rows(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook  # only needed for XLSX rosters

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many types for a damaged file
        raise ContestInvalid([ContestError(f"cannot read the workbook: {e}", source=str(path))]) from None
    sheet = book.worksheets[0]
    rows = []
    for row in sheet.iter_rows(values_only=True):
        rows.append(["" if v is None else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)) for v in row])
    book.close()
    return rows


def _toml_error_line(message: str) -> int | None:
    m = re.search(r"at line (\d+)", message)
    return int(m.group(1)) if m else None


_STEP = re.compile(r"([A-Za-z_]+)(?:\[(\d+)\])?")


def locate(text: str, path: str) -> int | None:
    """Best-effort line of a key path such as ``rounds[1].criteria[0].step`` in TOML text.

    Follows array-of-tables headers (``[[rounds]]``, ``[[rounds.criteria]]``) and plain
    tables; returns None when the key is written in a form it does not follow (inline).
    """
    if not path:
        return None
    lines = text.splitlines()
    steps = [(m.group(1), int(m.group(2)) if m.group(2) else None) for m in _STEP.finditer(path)]
    start, end = 0, len(lines)
    prefix = ""
    for depth, (name, index) in enumerate(steps):
        full = f"{prefix}.{name}" if prefix else name
        if index is not None:
            header = re.compile(r"^\s*\[\[\s*" + re.escape(full) + r"\s*\]\]")
            hits = [i for i in range(start, end) if header.match(lines[i])]
            if index >= len(hits):
                return None
            start = hits[index]
            nxt = hits[index + 1] if index + 1 < len(hits) else end
            end = _section_end(lines, start, nxt, full)
            prefix = full
            continue
        table = re.compile(r"^\s*\[\s*" + re.escape(full) + r"\s*\]")
        hit = next((i for i in range(start, end) if table.match(lines[i])), None)
        if hit is not None and depth < len(steps) - 1:
            start = hit
            prefix = full
            continue
        key = re.compile(r"^\s*" + re.escape(name) + r"\s*=")
        for i in range(start, end):
            if i > start and lines[i].lstrip().startswith("["):
                break
            if key.match(lines[i]):
                return i + 1
        return start + 1 if hit is None else hit + 1
    return start + 1


def _section_end(lines: list[str], start: int, nxt: int, full: str) -> int:
    """The array entry ends at the next header that is not one of its own sub-tables."""
    for i in range(start + 1, nxt):
        s = lines[i].lstrip()
        if s.startswith("[") and not (s.startswith(f"[[{full}.") or s.startswith(f"[{full}.")):
            return i
    return nxt
