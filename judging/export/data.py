"""What every exported document says, as plain JSON-ready records: the standings (exactly
``judging tabulate``'s, from ``judging.report.standings_data``), the score sheet, the judge
review and the audit trail. The writers only lay these out.

The score sheet lists, per round and contestant, every judge's card as it stands (criterion
by criterion), whether it counted, was dropped by the trim, belongs to a shadow judge or is
incomplete, the judges who gave no mark, each panel's score and the round score; for a
points round (quiz), every award per question ("buzzer#7"), undone ones marked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from judging.export.audit import Describer
from judging.export.digest import results_digest
from judging.export.progress import Progress
from judging.export.source import Loaded
from judging.export.words import count
from judging.report import standings_data
from judging.rules.analytics import review
from judging.rules.decimals import fmt
from judging.rules.model import Contest
from judging.rules.results import JudgeLine, PanelResult


@dataclass
class ExportData:
    contest: Contest
    digest: str
    contest_hash: str
    events: int
    first_seq: int
    last_seq: int
    exported: str
    contest_file: str
    database: str
    standings: dict[str, Any]
    scoresheet: list[dict[str, Any]]
    review: dict[str, Any]
    audit: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)

    @property
    def language(self) -> str:
        return self.contest.language


def gather(loaded: Loaded, progress: Progress, threshold: Decimal = Decimal("1.0")) -> ExportData:
    contest, state = loaded.contest, loaded.state
    tab = state.tab  # every mark, revealed or not: the final results
    describer = Describer(contest)
    audit = []
    total = len(loaded.events)
    for i, event in enumerate(loaded.events, start=1):
        audit.append(describer.row(event))
        if i % 500 == 0 or i == total:
            progress.step("audit trail (events)", i, total)
    standings = standings_data(tab)
    people = sum(len(c["standings"]) for c in standings["categories"])
    progress.note(f"standings: {count(people, 'contestant')} in {count(len(standings['categories']), 'category', 'categories')}")
    sheet = scoresheet(loaded, describer.corrections, progress)
    result = review(tab, threshold)
    progress.note(f"review: {count(len(result['flags']), 'mark')} to review, {len(result['missing']):,} missing")
    seqs = [e["seq"] for e in loaded.events]
    return ExportData(
        contest=contest,
        digest=results_digest(loaded.events, loaded.contest_hash),
        contest_hash=loaded.contest_hash,
        events=len(seqs),
        first_seq=seqs[0] if seqs else 0,
        last_seq=seqs[-1] if seqs else 0,
        exported=datetime.now().astimezone().isoformat(timespec="seconds"),
        contest_file=str(loaded.contest_path),
        database=str(loaded.db.resolve()),
        standings=standings,
        scoresheet=sheet,
        review=result,
        audit=audit,
        warnings=unfinished(loaded),
    )


def unfinished(loaded: Loaded) -> list[str]:
    """Contestants still being scored: the export is then not of final results."""
    state = loaded.state
    busy = [cid for (rid, cid), status in state.status.items() if status in ("open", "closed")]
    if not busy:
        return []
    return [f"{count(len(busy), 'contestant')} still being scored (open or closed, not locked): {', '.join(busy[:10])}"]


def scoresheet(loaded: Loaded, corrections: dict[tuple[str, str, str], int], progress: Progress) -> list[dict[str, Any]]:
    contest, state = loaded.contest, loaded.state
    tab = state.tab
    p = contest.precision
    position = {cid: i for i, cid in enumerate(state.order)}
    people = sorted(
        contest.contestants,
        key=lambda c: ([k.id for k in contest.categories].index(c.category), position.get(c.id, len(position))),
    )
    wanted = [(rnd, c) for rnd in contest.rounds for c in people if c.id in tab.participants(rnd.id, c.category)]
    out = []
    for i, (rnd, c) in enumerate(wanted, start=1):
        result = tab.round_result(rnd.id, c.id)
        record: dict[str, Any] = {
            "round": rnd.id,
            "round_name": rnd.name,
            "kind": rnd.kind,
            "category": c.category,
            "category_name": contest.category(c.category).name,  # type: ignore[union-attr]
            "contestant": c.id,
            "name": c.name,
            "unit": c.unit,
            "score": fmt(result.score, p) if result.score is not None else None,
            "adjustments": [{"points": f"{a.points:f}", "reason": a.reason} for a in result.adjustments],
            "final": fmt(result.final, p) if result.final is not None else None,
        }
        if rnd.kind == "points":
            record["start"] = f"{rnd.start:f}"
            record["awards"] = _awards(loaded, rnd, c.id, result)
        else:
            cards = state.cards.get((rnd.id, c.id), {})
            record["panels"] = [_panel(contest, rnd.id, c.id, panel, cards, corrections) for panel in result.panels]
        out.append(record)
        if i % 50 == 0 or i == len(wanted):
            progress.step("score sheet (contestants x rounds)", i, len(wanted))
    return out


def _panel(contest: Contest, rid: str, cid: str, panel: PanelResult, cards, corrections) -> dict[str, Any]:
    p = contest.precision
    marks = [_mark(contest, rid, cid, panel, line, cards.get(line.judge, {}), corrections) for line in panel.judges]
    present = {line.judge for line in panel.judges}
    for jid in panel.missing:
        if jid not in present:
            j = contest.judge(jid)
            marks.append(
                {"judge": jid, "name": j.name if j else jid, "scores": {}, "total": None, "status": "missing",
                 "counted": False, "dropped_criteria": [], "revision": 0, "revisions": 0, "corrections": 0, "at": None}
            )
    return {
        "panel": panel.panel,
        "name": contest.panel(panel.panel).name,  # type: ignore[union-attr]
        "rule": panel.rule,
        "weight": f"{panel.weight:f}",
        "score": fmt(panel.score, p) if panel.score is not None else None,
        "exact": f"{panel.score:f}" if panel.score is not None else None,
        "note": panel.note,
        "marks": marks,
    }


def _mark(contest: Contest, rid: str, cid: str, panel: PanelResult, line: JudgeLine, card, corrections) -> dict[str, Any]:
    if line.shadow:
        status = "shadow"
    elif line.total is None:
        status = "incomplete_card"
    elif line.dropped:
        # Above the panel's score it was dropped as a highest mark, below as a lowest.
        score = panel.score
        status = "dropped" if score is None or line.total == score else "dropped_high" if line.total > score else "dropped_low"
    else:
        status = "counted"
    j = contest.judge(line.judge)
    fixed = corrections.get((rid, cid, line.judge), 0)
    revision = card.get("revision", 1)
    return {
        "judge": line.judge,
        "name": j.name if j else line.judge,
        "scores": {k: f"{v:f}" for k, v in line.scores.items()},
        "total": f"{line.total:f}" if line.total is not None else None,
        "status": status,
        "counted": line.counted and not line.dropped,
        "dropped_criteria": sorted(line.dropped_criteria),
        "revision": revision,  # how many times this card was logged
        "revisions": max(revision - 1 - fixed, 0),  # of which the judge's own changes
        "corrections": fixed,  # and the score secretary's corrections
        "at": card.get("at"),
    }


def _awards(loaded: Loaded, rnd, cid: str, result) -> list[dict[str, Any]]:
    """Every award to a team in a points round, in the order given; undone ones kept."""
    quiz = getattr(loaded.state, "quiz", None)
    names = {q.id: q.name for q in rnd.questions}
    if quiz is None:  # points known only as the tabulator holds them
        return [
            {"question": line.key, "type": line.question, "type_name": names.get(line.question, line.question),
             "number": None, "outcome": None, "points": f"{line.points:f}", "seq": None, "undone": False}
            for line in result.points
        ]
    out = []
    for seq, award in sorted(quiz.awards.items()):
        if award.round != rnd.id or award.contestant != cid:
            continue
        out.append(
            {"question": award.key, "type": award.type, "type_name": names.get(award.type, award.type),
             "number": award.number, "outcome": award.outcome, "points": f"{award.points:f}", "seq": seq,
             "undone": seq in quiz.undone}
        )
    return out
