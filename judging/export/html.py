"""The HTML export: one self-contained file (no scripts, fonts or images from anywhere) that
prints cleanly on A4 from any browser.

Each category's standings start a new page and end with the judging committee's signature
lines; the score sheet (landscape), the judge review and the audit trail (landscape) follow,
each on new pages. Table headers repeat on every printed page, rows are not split across
pages, and every page's footer carries the results digest where the browser supports page
margin boxes (the digest is also at the top of every section).
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from judging.export.data import ExportData
from judging.export.files import write_text
from judging.export.progress import Progress
from judging.export.tables import Table, audit_table, digest_line, review_table, scoresheet_table, standings_tables, units_table
from judging.export.words import count, w

CSS = """
@page { size: A4; margin: 14mm 12mm 16mm 12mm;
  @bottom-left { content: "@DIGEST@"; font-size: 7pt; color: #666; }
  @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; } }
@page wide { size: A4 landscape; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "SimSun", sans-serif;
  font-size: 10pt; color: #000; margin: 0; }
@media screen { body { max-width: 1200px; margin: 1em auto; padding: 0 1em; } }
header.doc h1 { font-size: 16pt; margin: 0 0 2pt 0; }
h2 { font-size: 13pt; margin: 0 0 3pt 0; }
h3 { font-size: 11pt; margin: 8pt 0 3pt 0; }
p { margin: 2pt 0; }
.meta, .digest { font-size: 8pt; color: #444; word-break: break-all; }
section { break-before: page; }
section.first { break-before: auto; }
section.wide { page: wide; }
table { border-collapse: collapse; width: 100%; font-size: 9pt; margin-top: 4pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th { background: #dde4ee; font-weight: bold; text-align: left; }
th, td { border: 0.5pt solid #999; padding: 1pt 3pt; vertical-align: top; white-space: nowrap; }
td.w { white-space: normal; min-width: 5em; }
th.n, td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.summary td { font-weight: bold; background: #f2f2f2; }
tr.dropped td.n { text-decoration: line-through; color: #666; }
tr.dropped td { color: #555; }
tr.excluded td { color: #777; font-style: italic; }
tr.missing td { color: #b00000; }
tr.flag td { background: #fff4cc; }
.signatures { margin-top: 16mm; display: flex; flex-wrap: wrap; gap: 8mm 14mm; break-inside: avoid; font-size: 10.5pt; }
.signatures .line { display: inline-block; min-width: 42mm; border-bottom: 0.6pt solid #000; }
"""


# Columns of free text that may wrap; every other cell stays on one line.
WRAP = ("unit", "members", "adjustments", "single", "note", "winners", "counted_members", "description", "reason")


def _table(t: Table, rows: list[str], lang: str) -> None:
    rows.append("<table><thead><tr>")
    rows.append("".join(f'<th{" class=n" if i in t.numeric else ""}>{escape(h)}</th>' for i, h in enumerate(t.columns)))
    rows.append("</tr></thead><tbody>")
    labels = {w(k, lang) for k in WRAP}
    opening = ["<td class=n>" if i in t.numeric else "<td class=w>" if h in labels else "<td>" for i, h in enumerate(t.columns)]
    for row, style in zip(t.rows, t.styles):
        cells = "".join(f"{opening[i]}{escape('' if v is None else str(v))}</td>" for i, v in enumerate(row))
        rows.append(f"<tr class={style}>{cells}</tr>" if style else f"<tr>{cells}</tr>")
    rows.append("</tbody></table>")


def _signatures(lang: str) -> str:
    parts = [(w("chair", lang), "line"), (w("supervisor", lang), "line")]
    out = ['<div class="signatures">']
    for label, _ in parts:
        out.append(f'<div>{escape(label)}{"：" if lang == "zh" else ": "}<span class="line">&nbsp;</span></div>')
    date = w("date_blank", lang)
    out.append(f'<div>{escape(w("date", lang))}{"：" if lang == "zh" else ": "}<span class="line">{escape(date)}</span></div>')
    out.append("</div>")
    return "".join(out)


def _section(rows: list[str], title: str, digest: str, first: bool = False, wide: bool = False) -> None:
    classes = " ".join(c for c, on in (("first", first), ("wide", wide)) if on)
    rows.append(f'<section class="{classes}">' if classes else "<section>")
    rows.append(f"<h2>{escape(title)}</h2><p class=digest>{escape(digest)}</p>")


def write(data: ExportData, out: Path, progress: Progress) -> list[Path]:
    lang = data.language
    name = data.standings["contest"]
    digest = digest_line(data)
    rows: list[str] = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        f"<title>{escape(name)} — {escape(w('title', lang))}</title>",
        "<style>" + CSS.replace("@DIGEST@", data.digest) + "</style></head><body>",
        f'<header class="doc"><h1>{escape(name)}</h1><p>{escape(w("title", lang))}</p>',
        f'<p class=meta>{escape(w("contest_file", lang))}: {escape(data.contest_file)} · {escape(w("database", lang))}: {escape(data.database)}</p>',
        "</header>",
    ]
    for warning in data.warnings:
        rows.append(f"<p class=missing>{escape(warning)}</p>")
    for i, (table, singles) in enumerate(standings_tables(data)):
        _section(rows, table.title.split(" — ")[-1] + " · " + w("standings", lang), digest, first=i == 0)
        _table(table, rows, lang)
        if singles:
            rows.append(f"<h3>{escape(w('single', lang))}</h3>")
            _table(singles, rows, lang)
        rows.append(_signatures(lang) + "</section>")
    progress.note(f"html: standings of {count(len(data.standings['categories']), 'category', 'categories')}")
    units = units_table(data)
    if units:
        _section(rows, units.title, digest)
        _table(units, rows, lang)
        rows.append(_signatures(lang) + "</section>")
    sheet = scoresheet_table(data)
    _section(rows, w("scoresheet", lang), digest, wide=True)
    _table(sheet, rows, lang)
    rows.append(_signatures(lang) + "</section>")
    progress.note(f"html: score sheet ({count(len(sheet.rows), 'row')})")
    review = review_table(data)
    _section(rows, w("review", lang), digest)
    rows.append(f"<p class=meta>{escape(review.note)}</p>")
    if not data.review["flags"]:
        rows.append(f"<p>{escape(w('no_flags', lang))}</p>")
    _table(review, rows, lang)
    rows.append("</section>")
    audit = audit_table(data)
    _section(rows, w("audit", lang), digest, wide=True)
    _table(audit, rows, lang)
    rows.append(_signatures(lang) + "</section>")
    progress.note(f"html: audit trail ({count(len(audit.rows), 'event')})")
    rows.append("</body></html>\n")
    return [write_text(out, "\n".join(rows))]
