"""What each role sees, as named sections of plain JSON data.

A snapshot is every section of a role's view; an update carries the sections an event
changed. Sections are computed from ``LiveState`` only, so a viewer's sections can only
ever contain what the public tabulator (revealed results) holds, and a judge's only their
own marks.
"""

from __future__ import annotations

from typing import Any

from judging.ceremony import ceremony_section
from judging.live import LiveState
from judging.report import standing_row
from judging.rules.analytics import review
from judging.rules.decimals import fmt
from judging.rules.engine import Tabulator
from judging.rules.results import RoundResult


def contest_info(state: LiveState, with_rubric: bool) -> dict[str, Any]:
    c = state.contest
    info: dict[str, Any] = {
        "name": c.name,
        "language": c.language,
        "precision": c.precision,
        "categories": [{"id": k.id, "name": k.name} for k in c.categories],
        "panels": [{"id": p.id, "name": p.name, "weight": f"{p.weight:f}", "rule": p.rule, "trim": p.trim} for p in c.panels],
        "judges": [{"id": j.id, "name": j.name, "panel": j.panel} for j in c.judges if not j.shadow],
        "contestants": [
            {"id": x.id, "name": x.name, "unit": x.unit, "category": x.category, "members": list(x.members)}
            for x in c.contestants
        ],
        "rounds": [{"id": r.id, "name": r.name, "kind": r.kind} for r in c.rounds],
    }
    if with_rubric:
        for r, out in zip(c.rounds, info["rounds"]):
            out["criteria"] = [
                {"id": k.id, "name": k.name, "min": f"{k.min:f}", "max": f"{k.max:f}", "step": f"{k.step:f}", "factor": f"{k.factor:f}"}
                for k in r.criteria
            ]
    return info


def standings_section(tab: Tabulator, category: str, only_ranked: bool) -> list[dict[str, Any]]:
    p = tab.contest.precision
    out = []
    for s in tab.standings(category).standings:
        if only_ranked and s.rank is None:
            continue
        out.append(standing_row(s, p))
    return out


def reveal_card(state: LiveState, tab: Tabulator, rid: str, cid: str) -> dict[str, Any]:
    """The 亮分 card: every counted judge's mark by panel, dropped marks flagged."""
    contest = state.contest
    p = contest.precision
    result: RoundResult = tab.round_result(rid, cid)
    names = {j.id: j.name for j in contest.judges}
    standing = tab.standing(cid)
    c = contest.contestant(cid)
    return {
        "round": rid,
        "contestant": cid,
        "name": c.name,  # type: ignore[union-attr]
        "unit": c.unit,  # type: ignore[union-attr]
        "panels": [
            {
                "panel": panel.panel,
                "name": contest.panel(panel.panel).name,  # type: ignore[union-attr]
                "weight": f"{panel.weight:f}",
                "score": fmt(panel.score, p) if panel.score is not None else None,
                "note": panel.note,
                "marks": [
                    {"judge": line.judge, "name": names[line.judge], "mark": f"{line.total:f}", "dropped": line.dropped}
                    for line in panel.judges
                    if line.counted
                ],
            }
            for panel in result.panels
        ],
        "adjustments": [{"points": f"{a.points:f}", "reason": a.reason} for a in result.adjustments + standing.adjustments],
        "score": fmt(result.final, p) if result.final is not None else None,
        "total": fmt(standing.total, p) if standing.total is not None else None,
        "rank": standing.rank,
    }


def units_section(tab: Tabulator) -> dict[str, Any] | None:
    units = tab.contest.units
    if units is None:
        return None
    p = tab.contest.precision
    return {
        "name": units.name,
        "standings": [{"rank": u.rank, "unit": u.unit, "score": fmt(u.score, p), "counted": list(u.counted)} for u in tab.unit_results()],
    }


def quiz_section(state: LiveState, host: bool = False) -> dict[str, Any] | None:
    """The quiz as the hall sees it: running totals, the current question, the last change.

    While the standings are frozen the hall keeps the totals and the last change of the freeze
    (a later change would give the frozen points away); the host (``host``) sees both as they are.
    """
    rnd = state.contest.round(state.round)
    if rnd is None or rnd.kind != "points":
        return None
    contest, quiz, p = state.contest, state.quiz, state.contest.precision
    tab, shown = (state.tab, quiz.last) if host else (state.public, state.public_last)
    question = quiz.question if quiz.question and quiz.question["round"] == rnd.id else None
    last = None
    if shown is not None and quiz.awards[shown[1]].round == rnd.id:
        a = quiz.awards[shown[1]]
        last = {
            "seq": a.seq,
            "contestant": a.contestant,
            "name": contest.contestant(a.contestant).name,  # type: ignore[union-attr]
            "type": a.type,
            "type_name": rnd.question(a.type).name,  # type: ignore[union-attr]
            "number": a.number,
            "outcome": a.outcome,
            "points": f"{a.points:f}",
            # As of that change: an undo held back by a freeze must not show yet.
            "undone": shown[0] == "undo",
        }
    teams = []
    for cid in state.order:
        c = contest.contestant(cid)
        if cid not in tab.participants(rnd.id, c.category):  # type: ignore[union-attr]
            continue
        result = tab.round_result(rnd.id, cid)
        total = fmt(result.final, p) if result.final is not None else None
        teams.append({"contestant": cid, "name": c.name, "unit": c.unit, "total": total})  # type: ignore[union-attr]
    return {
        "round": rnd.id,
        "name": rnd.name,
        "types": [
            {"id": q.id, "name": q.name, "correct": f"{q.correct:f}", "wrong": f"{q.wrong:f}", "none": f"{q.none:f}", "stakes": [f"{s:f}" for s in q.stakes]}
            for q in rnd.questions
        ],
        "question": None if question is None else {**{k: question[k] for k in ("type", "number")}, "name": rnd.question(question["type"]).name},  # type: ignore[union-attr]
        "last": last,
        "teams": teams,
    }


def _status(state: LiveState, only: set[str] | None = None) -> dict[str, Any]:
    rid = state.round
    return {
        cid: {"status": state.status_of(rid, cid), "revealed": (rid, cid) in state.revealed}
        for cid in state.order
        if only is None or cid in only
    }


def _progress(state: LiveState, names: bool) -> dict[str, Any]:
    rid = state.round
    out = {}
    for cid in state.order:
        if state.status_of(rid, cid) in ("open", "closed"):
            expected = state.expected_judges(rid, cid)
            done = [j for j in state.submitted(rid, cid) if j in expected]
            entry: dict[str, Any] = {"submitted": done, "expected": len(expected)}
            if names:
                entry["waiting"] = [j for j in expected if j not in done]
            out[cid] = entry
    return out


def viewer_section(state: LiveState, name: str) -> Any:
    if name == "contest":
        return contest_info(state, with_rubric=False)
    if name == "round":
        return state.round
    if name == "frozen":
        return state.frozen
    if name == "order":
        return state.order
    if name == "status":
        return _status(state)
    if name == "progress":
        return _progress(state, names=False)
    if name == "quiz":
        return quiz_section(state)
    if name == "units":
        return units_section(state.public)
    if name == "ceremony":
        return ceremony_section(state.public, state.ceremony)
    if name == "reveal":
        if state.frozen or state.last_reveal is None:
            return None
        return reveal_card(state, state.public, *state.last_reveal)
    if name.startswith("standings:"):
        if state.frozen:
            raise KeyError(name)  # frozen: keep what the audience already has
        return standings_section(state.public, name.split(":", 1)[1], only_ranked=True)
    raise KeyError(name)


VIEWER_SECTIONS = ("contest", "round", "frozen", "order", "status", "progress", "reveal", "quiz", "units", "ceremony")


def viewer_snapshot(state: LiveState) -> dict[str, Any]:
    out = {name: viewer_section(state, name) for name in VIEWER_SECTIONS}
    for c in state.contest.categories:
        out[f"standings:{c.id}"] = standings_section(state.public, c.id, only_ranked=True)
    return out


def control_section(state: LiveState, name: str) -> Any:
    if name == "quiz":
        return quiz_section(state, host=True)
    if name == "progress":
        return _progress(state, names=True)
    if name == "connected":
        return state.connected
    if name == "reveal":
        if state.last_reveal is None:
            return None
        # Revealed during a freeze: the audience sees it at unfreeze, the host sees it now.
        tab = state.tab if state.held(state.last_reveal[1]) else state.public
        return reveal_card(state, tab, *state.last_reveal)
    if name.startswith("private:"):
        return standings_section(state.tab, name.split(":", 1)[1], only_ranked=False)
    if name.startswith("standings:"):
        return standings_section(state.public, name.split(":", 1)[1], only_ranked=True)
    return viewer_section(state, name)


def control_snapshot(state: LiveState) -> dict[str, Any]:
    out = {name: control_section(state, name) for name in VIEWER_SECTIONS + ("connected",)}
    out["contest"] = contest_info(state, with_rubric=True)
    # Over every mark, so only in snapshots: a console asks for one to refresh its review screen.
    out["review"] = review(state.tab)
    for c in state.contest.categories:
        out[f"standings:{c.id}"] = control_section(state, f"standings:{c.id}")
        out[f"private:{c.id}"] = control_section(state, f"private:{c.id}")
    return out


def judge_scope(state: LiveState, jid: str) -> frozenset[str]:
    """Contestants this judge may ever score in the current round. Judges with the same scope
    see the same sections but their cards (the sequencer frames those once)."""
    return state.contest.scope(jid, state.round)


def judge_section(state: LiveState, jid: str, name: str) -> Any:
    if name == "me":
        j = state.contest.judge(jid)
        return {"id": j.id, "name": j.name, "panel": j.panel, "shadow": j.shadow}  # type: ignore[union-attr]
    if name == "contest":
        return contest_info(state, with_rubric=True)
    if name == "round":
        return state.round
    if name == "order":
        scope = judge_scope(state, jid)
        return [cid for cid in state.order if cid in scope]
    if name == "status":
        return _status(state, judge_scope(state, jid))
    if name == "mine":
        return {f"{rid}/{cid}": _card(card[jid]) for (rid, cid), card in state.cards.items() if jid in card}
    raise KeyError(name)


def _card(entry: dict[str, Any]) -> dict[str, Any]:
    return {"scores": entry["scores"], "at": entry["at"], "revision": entry["revision"]}


def merge_for(role: str, state: LiveState, changed: set[str], jid: str = "") -> dict[str, dict[str, Any]]:
    """The items of a role's sections that an event changed, set one by one rather than the
    section resent (``merge`` in an update): a judge's new card, not every card again."""
    prefix = f"mine:{jid}:"
    keys = [name[len(prefix) :] for name in changed if role == "judge" and name.startswith(prefix)]
    if not keys:
        return {}
    rounds = [r.id for r in state.contest.rounds]
    mine = {}
    for key in keys:  # "round/contestant"; ids may hold a "/", round ids are known
        rid = next(r for r in rounds if key.startswith(f"{r}/"))
        mine[key] = _card(state.cards[(rid, key[len(rid) + 1 :])][jid])
    return {"mine": mine}


JUDGE_SECTIONS = ("me", "contest", "round", "order", "status", "mine")


def judge_snapshot(state: LiveState, jid: str) -> dict[str, Any]:
    return {name: judge_section(state, jid, name) for name in JUDGE_SECTIONS}


def patch_for(role: str, state: LiveState, changed: set[str], jid: str = "") -> dict[str, Any]:
    """The sections of one role's view that an event changed."""
    patch: dict[str, Any] = {}
    for name in changed:
        try:
            if role == "viewer":
                if name.startswith(("private:", "mine:")) or name == "connected":
                    continue
                patch[name] = viewer_section(state, name)
            elif role == "control":
                if name.startswith("mine:"):
                    continue
                patch[name] = control_section(state, name)
            else:
                if name in ("round", "status", "order"):  # its cards: merge_for
                    patch[name] = judge_section(state, jid, name)
                    if name == "round":
                        patch["status"] = judge_section(state, jid, "status")
                        patch["order"] = judge_section(state, jid, "order")
        except KeyError:
            continue
    return patch
