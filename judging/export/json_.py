"""The JSON export: one document with the digest first, then the standings exactly as
``judging tabulate --format json`` prints them (breakdown included), the score sheet, the
judge review and the audit trail. Every score is a string."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from judging.export.data import ExportData
from judging.export.files import write_text
from judging.export.progress import Progress

FORMAT = "judging-export"
VERSION = 1


def document(data: ExportData) -> dict[str, Any]:
    return {
        "digest": data.digest,
        "format": FORMAT,
        "version": VERSION,
        "contest": data.standings["contest"],
        "language": data.language,
        "contest_hash": data.contest_hash,
        "events": data.events,
        "first_seq": data.first_seq,
        "last_seq": data.last_seq,
        "exported": data.exported,
        "contest_file": data.contest_file,
        "database": data.database,
        "warnings": data.warnings,
        "standings": data.standings,
        "scoresheet": data.scoresheet,
        "review": data.review,
        "audit": data.audit,
    }


def write(data: ExportData, out: Path, progress: Progress) -> list[Path]:
    write_text(out, json.dumps(document(data), ensure_ascii=False, indent=1) + "\n")
    progress.note(f"json: {out}")
    return [out]
