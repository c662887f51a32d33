"""``judging verify``: re-derive every standing from the raw event log, twice, and compare
the results digest with what was exported.

1. Replay the log into a fresh ``LiveState`` (as a server start does).
2. Independently, feed the final cards (as the live state recorded them, event by event),
   the standing quiz awards, the adjustments and the manual awards to a full recompute
   (``judging.rules.engine.tabulate``); both must give the same standings, breakdown included.
3. Compute the results digest and compare it with the last recorded export, or with the one
   found in an exported file. Every table such a file publishes is compared too, cell by
   cell (see ``published``), so a document whose numbers were edited by hand does not pass
   on its digest alone.

Exit status: 0 all match, 1 a mismatch (or a log that does not replay), 2 bad input.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judging.export import published
from judging.export.digest import digest_in_file, exports, prefix_digests, results_digest
from judging.export.source import ExportError, Loaded, ReplayError, load
from judging.export.words import count
from judging.live import LiveState
from judging.report import standings_data
from judging.rules.engine import Tabulator, tabulate
from judging.rules.errors import MarkError


@dataclass
class Verdict:
    code: int = 0
    lines: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.lines.append(line)

    def fail(self, line: str) -> None:
        self.lines.append("MISMATCH: " + line)
        self.code = max(self.code, 1)


def recompute(state: LiveState) -> Tabulator:
    """A full recompute from the live state's own record of the final inputs."""
    cards = [(rid, cid, jid, entry["scores"]) for (rid, cid), by_judge in state.cards.items() for jid, entry in by_judge.items()]
    points = []
    quiz = getattr(state, "quiz", None)
    for rnd in state.contest.rounds:
        if rnd.kind != "points":
            continue
        for c in state.contest.contestants:
            if quiz is not None:
                standing = quiz.standing(rnd.id, c.id)
                points += [(rnd.id, c.id, key, a.type, a.points) for key, a in standing.items()]
            else:
                points += [(rnd.id, c.id, line.key, line.question, line.points) for line in state.tab.round_result(rnd.id, c.id).points]
    tab = tabulate(state.contest, cards, points, list(state.adjustments))
    for award in state.manual.values():
        tab.set_manual_award(award)
    return tab


def check_standings(loaded: Loaded, verdict: Verdict) -> None:
    live = standings_data(loaded.state.tab)
    try:
        full = standings_data(recompute(loaded.state))
    except MarkError as e:
        verdict.fail(f"the final marks do not recompute: {e.message}")
        return
    people = sum(len(c["standings"]) for c in live["categories"])
    if live == full:
        verdict.say(
            f"Re-derived: {count(people, 'contestant')} in {count(len(live['categories']), 'category', 'categories')}; "
            "the replayed log and a full recompute give the same standings"
        )
    else:
        verdict.fail(f"the replayed log and a full recompute disagree: {published.first_difference(live, full)}")


def verify(db: str | Path, contest: str | Path | None = None, against: str | Path | None = None) -> Verdict:
    verdict = Verdict()
    try:
        loaded = load(db, contest)
    except ReplayError as e:
        verdict.fail(str(e))
        return verdict
    except ExportError as e:
        return Verdict(2, [f"error: {e}"])
    try:
        events = loaded.events
        span = f"#{events[0]['seq']}–#{events[-1]['seq']}" if events else "none"
        verdict.say(f"Contest: {loaded.contest.name} (contest file {loaded.contest_path}; its hash matches the database)")
        verdict.say(f"Event log: {count(len(events), 'event')} ({span})")
        check_standings(loaded, verdict)
        digest = results_digest(events, loaded.contest_hash)
        verdict.say(f"Results digest: {digest}")
        if against is not None:
            expected, source = _from_file(Path(against), loaded, verdict)
        else:
            recorded = exports(loaded.store)
            if not recorded:
                verdict.say("error: no export is recorded in this database: nothing to compare with (give --against FILE)")
                verdict.code = max(verdict.code, 2)
                return verdict
            last = recorded[-1]
            expected, source = last["digest"], f"the last export ({last['format']}, {last['path']}, {last['at']})"
        if expected is None:
            return verdict
        verdict.say(f"Exported:       {expected} ({source})")
        if expected == digest:
            verdict.say("MATCH: the exported results are the ones the event log gives" if verdict.code == 0 else "The digests match.")
        else:
            verdict.fail(_explain(events, loaded.contest_hash, expected))
        return verdict
    finally:
        loaded.close()


def _from_file(path: Path, loaded: Loaded, verdict: Verdict) -> tuple[str | None, str]:
    if not path.is_file():
        verdict.say(f"error: {path}: no such file")
        verdict.code = 2
        return None, ""
    try:
        found = digest_in_file(path)
    except ValueError as e:
        verdict.say(f"error: {path}: {e}")
        verdict.code = 2
        return None, ""
    if found is None:
        verdict.say(f"error: {path}: no results digest (sha256:…) found in it: not an export of `judging export`")
        verdict.code = 2
        return None, ""
    try:
        problem = published.check(path, loaded)
    except (OSError, ValueError, csv.Error) as e:
        verdict.say(f"error: {path}: cannot read its tables back ({e})")
        verdict.code = 2
        return None, ""
    if problem is None:
        verdict.say("Only the digest is compared: this is not a file whose tables can be read back")
    elif problem == "":
        verdict.say("Every table in the file is the re-derived one, cell by cell (local times aside)")
    else:
        verdict.fail(f"{path} does not publish the re-derived results: {problem}")
    return found, str(path)


def _explain(events: list[dict[str, Any]], contest_hash: str, expected: str) -> str:
    at = prefix_digests(events, contest_hash).get(expected)
    if at is None:
        return (
            "no leading part of the event log gives the exported digest: an event was changed or removed after the "
            "export, or it was exported from another database or contest file"
        )
    later = [e for e in events if e["seq"] > at]
    kinds = Counter(e["kind"] for e in later)
    summary = ", ".join(f"{k} x{n}" for k, n in kinds.most_common())
    return f"the export was made when the log ended at #{at}; {count(len(later), 'event')} {'was' if len(later) == 1 else 'were'} logged since ({summary})"
