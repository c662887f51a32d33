"""``judging export`` and ``judging verify``: arguments and the one call each makes.

stdout carries only the result (the files written; the verification report); progress and
warnings go to stderr.
"""

from __future__ import annotations

import argparse
import sys
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

from judging.export.words import count

FORMATS = ("xlsx", "csv", "json", "html")


def add_export_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", required=True, help="the contest database that `judging serve` wrote")
    p.add_argument("--format", choices=FORMATS, default="xlsx", help="default: xlsx")
    p.add_argument(
        "--out",
        help="file to write (csv: the name its files start with, or a directory); default: next to the database, "
        "named after it (contest.db -> contest-results.xlsx)",
    )
    p.add_argument("--contest", help="the contest file (default: the one `judging serve` recorded in the database)")
    p.add_argument("--threshold", default="1.0", help="judge review: flag marks this far from the panel score, on a 10-point scale (default 1.0)")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")


def add_verify_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", required=True, help="the contest database that `judging serve` wrote")
    p.add_argument("--contest", help="the contest file (default: the one `judging serve` recorded in the database)")
    p.add_argument("--against", help="an exported file to compare with (default: the last export recorded in the database)")


def output_path(db: Path, fmt: str, out: str | None) -> Path:
    """Where to write: a file, or for csv the stem its files are named from."""
    default = f"{db.stem}-results"
    if out is None:
        target = db.with_name(default)
    else:
        given = Path(out)
        if given.is_dir() or out.endswith(("/", "\\")):
            target = given / default
        else:
            target = given.with_suffix("") if given.suffix.lower() == f".{fmt}" else given
    if not target.parent.is_dir():
        from judging.export.source import ExportError

        raise ExportError(f"{target.parent}: no such directory")
    return target if fmt == "csv" else target.with_name(f"{target.name}.{fmt}")


def run_export(args: argparse.Namespace) -> int:
    from judging.export.source import ExportError

    try:
        threshold = Decimal(args.threshold)
        if not threshold.is_finite() or threshold <= 0:
            raise InvalidOperation
    except InvalidOperation:
        print(f"error: --threshold must be a positive number, not {args.threshold!r}", file=sys.stderr)
        return 2
    try:
        written = export(Path(args.db), args.format, args.out, args.contest, threshold, quiet=args.quiet)
    except ExportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    return 0


def export(db: Path, fmt: str, out: str | None, contest: str | None = None, threshold: Decimal = Decimal("1.0"), quiet: bool = False) -> list[Path]:
    """Write one export and record it in the database; returns the files written."""
    from judging.export import csv_, html, json_, xlsx
    from judging.export.data import gather
    from judging.export.digest import NotRecorded, record_export
    from judging.export.progress import Progress
    from judging.export.source import load

    progress = Progress(quiet=quiet)
    target = output_path(db, fmt, out)
    started = time.perf_counter()
    loaded = load(db, contest)
    try:
        progress.note(f"replayed {count(len(loaded.events), 'event')} ({time.perf_counter() - started:.2f} s)")
        data = gather(loaded, progress, threshold)
        for warning in data.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        writer = {"xlsx": xlsx.write, "csv": csv_.write, "json": json_.write, "html": html.write}[fmt]
        written = writer(data, target, progress)
    finally:
        # Closed before the record is written: the read-only connection must not be open
        # when the writing one closes, or the WAL files it cleans up would be left behind.
        loaded.close()
    try:
        record_export(db, fmt, written, data.digest, data.events, data.last_seq, data.contest_hash)
    except NotRecorded as e:
        print(
            f"warning: {db}: this export is not recorded in the database ({e}); "
            f"`judging verify --against {written[0]}` checks it all the same",
            file=sys.stderr,
        )
    progress.note(f"{data.digest} ({time.perf_counter() - started:.2f} s in all)")
    return written


def run_verify(args: argparse.Namespace) -> int:
    from judging.export.verify import verify

    verdict = verify(Path(args.db), args.contest, args.against)
    for line in verdict.lines:
        print(line, file=sys.stderr if line.startswith("error:") else sys.stdout)
    return verdict.code
