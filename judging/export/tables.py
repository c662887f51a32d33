"""The export's records as tables (columns and rows of text) for XLSX, CSV and HTML.

Scores stay text exactly as published ("85.50"): a spreadsheet number is a binary float,
which cannot hold every decimal. Ranks and event numbers are whole numbers.

A row may carry a style: "summary" (a panel or round score), "dropped" (a trimmed mark),
"excluded" (a shadow judge's, incomplete or undone: not counted), "missing" (no mark), "flag".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from judging.export.audit import local_time, utc_offset
from judging.export.data import ExportData
from judging.export.words import count, w


@dataclass
class Table:
    name: str  # sheet or file name
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    numeric: set[int] = field(default_factory=set)  # right-aligned columns
    note: str = ""  # a line under the title

    def add(self, row: list[Any], style: str = "") -> None:
        self.rows.append(row)
        self.styles.append(style)


def digest_line(data: ExportData) -> str:
    lang = data.language
    span = f"#{data.first_seq}–#{data.last_seq}" if data.events else "-"
    events = f"{data.events:,} {w('events', lang)}" if lang == "zh" else count(data.events, "event")
    return f"{w('digest', lang)}: {data.digest}  ({events}, {span})  {w('exported', lang)}: {data.exported}"


def _join(items: list[str], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(items)


def _semi(items: list[str], lang: str) -> str:
    return ("；" if lang == "zh" else "; ").join(items)


def _paren(text: str, note: str, lang: str) -> str:
    return f"{text}（{note}）" if lang == "zh" else f"{text} ({note})"


def standings_tables(data: ExportData) -> list[tuple[Table, Table | None]]:
    """Per category: the standings, and its single-item awards (None if it has none)."""
    lang = data.language
    contest = data.contest
    several = len(contest.rounds) > 1
    members = any(c.members for c in contest.contestants)
    out = []
    # The same columns in every category, so that the tables can stand one after another.
    cats = data.standings["categories"]
    adjusting = any(s["adjustments"] for cat in cats for s in cat["standings"])
    manual = any(cat["manual_awards"] for cat in cats)
    for cat in cats:
        cols = [w("rank", lang), w("id", lang), w("name", lang), w("unit", lang)]
        cols += [w("members", lang)] if members else []
        cols += [r.name for r in contest.rounds] if several else []
        cols += [w("adjustments", lang)] if adjusting else []
        cols += [w("total", lang), w("award", lang), w("single", lang)]
        cols += [w("note", lang)] if manual else []
        t = Table(cat["id"], f"{data.standings['contest']} — {cat['name']}", cols, numeric={0})
        t.numeric |= {cols.index(w("total", lang))} | ({4 + members + i for i in range(len(contest.rounds))} if several else set())
        reasons = {m["contestant"]: m["reason"] for m in cat["manual_awards"]}
        for s in cat["standings"]:
            row: list[Any] = [s["rank"], s["contestant"], s["name"], s["unit"]]
            row += [_join(s["members"], lang)] if members else []
            row += [s["rounds"].get(r.id) or "" for r in contest.rounds] if several else []
            if adjusting:
                row.append(_join([_paren(a["points"], a["reason"], lang) for a in s["adjustments"]], lang))
            row += [s["total"] if s["total"] is not None else w("incomplete", lang), s["award"], _join(s["single_awards"], lang)]
            row += [reasons.get(s["contestant"], "")] if manual else []
            t.add(row, "" if s["rank"] is not None else "excluded")
        singles = None
        if cat["single_awards"]:
            singles = Table(cat["id"] + "-single", f"{cat['name']} — {w('single', lang)}",
                            [w("single", lang), w("criterion", lang), w("score", lang), w("winners", lang)], numeric={2})
            for a in cat["single_awards"]:
                rnd = contest.round(a["round"])
                crit = rnd.criterion(a["criterion"]) if rnd else None
                winners = _join([f"{x['contestant']} {x['name']}" for x in a["winners"]], lang)
                singles.add([a["award"], crit.name if crit else a["criterion"], a["score"], winners or "-"])
        out.append((t, singles))
    return out


def units_table(data: ExportData) -> Table | None:
    units = data.standings["units"]
    if not units:
        return None
    lang = data.language
    names = {c.id: c.name for c in data.contest.contestants}
    t = Table("units", units["name"], [w("rank", lang), w("unit", lang), w("total", lang), w("counted_members", lang)], numeric={0, 2})
    for u in units["standings"]:
        t.add([u["rank"], u["unit"], u["score"], _join([f"{cid} {names.get(cid, '')}" for cid in u["counted"]], lang)])
    return t


class _Sheet:
    """The score sheet's columns: which the contest needs, and where each one is."""

    def __init__(self, data: ExportData):
        lang, contest = data.language, data.contest
        self.lang, self.contest = lang, contest
        judged = [r for r in contest.rounds if r.kind == "judged"]
        quiz = any(r.kind == "points" for r in contest.rounds)
        # (round, criterion) columns for the rounds whose card has several criteria; a card of
        # one mark is its own total.
        rubric = [r for r in judged if len(r.criteria) > 1]
        self.criteria = [(r.id, k.id) for r in rubric for k in r.criteria]
        self.several_rounds = len(contest.rounds) > 1
        self.several_cats = len(contest.categories) > 1
        cols = [w("round", lang)] if self.several_rounds else []
        cols += [w("category", lang)] if self.several_cats else []
        cols += [w("id", lang), w("name", lang), w("unit", lang)]
        self.panel = self.judge = self.question = -1
        if judged:
            self.panel = len(cols)
            self.judge = self.panel + 1
            cols += [w("panel", lang), w("judge", lang), w("judge_name", lang)]
        if quiz:
            self.question = len(cols)
            cols += [w("question", lang), w("question_type", lang), w("outcome", lang)]
        self.first_crit = len(cols)
        for r in rubric:
            cols += [f"{r.name}·{k.name}" if len(rubric) > 1 else k.name for k in r.criteria]
        self.total = len(cols)
        self.status, self.note, self.time = self.total + 1, self.total + 2, self.total + 3
        mark = "mark_points" if judged and quiz else "mark" if judged else "points"
        cols += [w(mark, lang), w("status", lang), w("note", lang), f"{w('time', lang)} ({utc_offset()})"]
        self.table = Table("scoresheet", f"{data.standings['contest']} — {w('scoresheet', lang)}", cols,
                           numeric=set(range(self.first_crit, self.total + 1)))

    def row(self, rec: dict[str, Any]) -> list[Any]:
        """A new row naming the round, category and contestant of ``rec``."""
        row: list[Any] = [""] * len(self.table.columns)
        i = 0
        if self.several_rounds:
            row[i] = rec["round_name"]
            i += 1
        if self.several_cats:
            row[i] = rec["category_name"]
            i += 1
        row[i : i + 3] = [rec["contestant"], rec["name"], rec["unit"]]
        return row

    def points(self, rec: dict[str, Any]) -> None:
        lang, t = self.lang, self.table
        row = self.row(rec)
        row[self.question], row[self.total] = w("start", lang), rec["start"]
        t.add(row)
        for a in rec["awards"]:
            row = self.row(rec)
            row[self.question : self.question + 3] = [a["question"], a["type_name"], w(a["outcome"], lang) if a["outcome"] else ""]
            row[self.total] = a["points"]
            row[self.status] = w("undone", lang) if a["undone"] else w("counted", lang)
            row[self.note] = f"#{a['seq']}" if a["seq"] else ""
            t.add(row, "excluded" if a["undone"] else "")

    def judged(self, rec: dict[str, Any]) -> None:
        lang, t = self.lang, self.table
        for panel in rec["panels"]:
            for m in panel["marks"]:
                row = self.row(rec)
                row[self.panel : self.panel + 3] = [panel["name"], m["judge"], m["name"]]
                for k, (rid, kid) in enumerate(self.criteria):
                    if rid == rec["round"]:
                        row[self.first_crit + k] = m["scores"].get(kid, "")
                row[self.total] = m["total"] or ""
                row[self.status] = w(m["status"], lang)
                if m["dropped_criteria"]:
                    rnd = self.contest.round(rec["round"])
                    names = _join([rnd.criterion(k).name for k in m["dropped_criteria"]], lang)  # type: ignore[union-attr]
                    row[self.status] = _semi([w("counted", lang), w("dropped_criteria", lang) + names], lang)
                notes = [w("revised", lang, n=m["revisions"])] if m["revisions"] else []
                notes += [w("corrected", lang, n=m["corrections"])] if m["corrections"] else []
                row[self.note] = _join(notes, lang)
                row[self.time] = local_time(m["at"]) if m["at"] else ""
                t.add(row, MARK_STYLES.get(m["status"], ""))
            row = self.row(rec)
            row[self.panel] = panel["name"]
            row[self.total], row[self.status] = panel["score"] or "", w("panel_score", lang)
            weight = f"{w('weight', lang)} {panel['weight']}" if len(rec["panels"]) > 1 else ""
            row[self.note] = _semi([x for x in (weight, panel["note"]) if x], lang)
            t.add(row, "summary")

    def final(self, rec: dict[str, Any]) -> None:
        row = self.row(rec)
        row[self.total], row[self.status] = rec["final"] or "", w("round_score", self.lang)
        row[self.note] = _join([f"{a['points']} {a['reason']}" for a in rec["adjustments"]], self.lang)
        self.table.add(row, "summary")


MARK_STYLES = {"dropped_high": "dropped", "dropped_low": "dropped", "dropped": "dropped", "missing": "missing",
               "shadow": "excluded", "incomplete_card": "excluded"}


def scoresheet_table(data: ExportData) -> Table:
    sheet = _Sheet(data)
    for rec in data.scoresheet:
        if rec["kind"] == "points":
            sheet.points(rec)
        else:
            sheet.judged(rec)
        sheet.final(rec)
    return sheet.table


def review_table(data: ExportData) -> Table:
    lang = data.language
    r = data.review
    cols = [w("item", lang), w("round", lang), w("judge", lang), w("judge_name", lang), w("panel", lang), w("id", lang), w("name", lang),
            w("scored", lang), w("mean_deviation", lang), w("mean_abs_deviation", lang), w("max_deviation", lang), w("note", lang)]
    rounds = _join([f"{x['name']} {x['threshold']}" for x in r["rounds"]], lang)
    t = Table("review", f"{data.standings['contest']} — {w('review', lang)}", cols, numeric={7, 8, 9, 10})
    t.note = w("review_note", lang, t=r["threshold"], rounds=rounds or "-")
    panels = {p.id: p.name for p in data.contest.panels}
    for j in r["judges"]:
        note = w("shadow", lang) if j["shadow"] else ""
        t.add([w("judge", lang), "", j["judge"], j["name"], panels.get(j["panel"], j["panel"]), "", "", j["scored"],
               j["mean_deviation"] or "", j["mean_abs_deviation"] or "", j["max_deviation"] or "", note])
    names = {x.id: x.name for x in data.contest.rounds}
    for f in r["flags"]:
        t.add([w("flag", lang), names.get(f["round"], f["round"]), f["judge"], f["judge_name"], panels.get(f["panel"], f["panel"]),
               f["contestant"], f["name"], "", "", "", f["spread"], f["message"]], "flag")
    for line in r["missing"]:
        t.add([w("missing", lang), "", "", "", "", "", "", "", "", "", "", line], "missing")
    return t


def audit_table(data: ExportData) -> Table:
    lang = data.language
    cols = [w("seq", lang), f"{w('time', lang)} ({utc_offset()})", w("actor", lang), w("client", lang), w("kind", lang), w("description", lang), w("reason", lang)]
    t = Table("audit", f"{data.standings['contest']} — {w('audit', lang)}", cols, numeric={0})
    for a in data.audit:
        style = "flag" if a["kind"] in ("correction", "undo", "adjustment", "manual_award") else ""
        t.add([a["seq"], a["time"], a["by"], a["client"], a["kind_name"], a["description"], a["reason"]], style)
    return t
