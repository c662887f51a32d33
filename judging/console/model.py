"""Plain functions from the control view (the client's state: a snapshot with every update
patch applied) to what the console shows. No Textual: tests check these without a terminal.

Shared readings of the state come from the judge app's and the board's models (language,
contestants by id, current round, rubric); what is only the host's business lives here: who
is still missing by name, the order of play being edited, the standings the host sees, the
correction preview side by side, the quiz, the ceremony and the review.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from judging.board.model import categories, contestants_by_id
from judging.console.strings import t
from judging.tui.model import criteria, language  # noqa: F401  (re-exported for the console)

STATE_ORDER = ("waiting", "open", "closed", "locked")


def judge_names(state: dict[str, Any]) -> dict[str, str]:
    return {j["id"]: j["name"] for j in (state.get("contest") or {}).get("judges", [])}


def who(state: dict[str, Any], cid: str) -> str:
    """"Ann (C1)": how a contestant is named in questions and notices."""
    c = contestants_by_id(state).get(cid)
    return f"{c['name']} ({cid})" if c else cid


def judge_label(state: dict[str, Any], jid: str) -> str:
    return f"{judge_names(state).get(jid, jid)} ({jid})"


def round_name(state: dict[str, Any], rid: str | None = None) -> str:
    rid = rid or state.get("round")
    for r in (state.get("contest") or {}).get("rounds", []):
        if r["id"] == rid:
            return r["name"]
    return rid or ""


def next_round(state: dict[str, Any]) -> dict[str, Any] | None:
    rounds = (state.get("contest") or {}).get("rounds", [])
    ids = [r["id"] for r in rounds]
    rid = state.get("round")
    if rid not in ids or ids.index(rid) + 1 >= len(ids):
        return None
    return rounds[ids.index(rid) + 1]


# -- the order of play ---------------------------------------------------------------------


@dataclass(frozen=True)
class OrderRow:
    cid: str
    name: str
    unit: str
    status: str  # waiting, open, closed, locked
    revealed: bool
    submitted: int  # judges in, while open or closed
    expected: int
    waiting: tuple[str, ...]  # judges still missing, by name: "Eva (E1)"

    @property
    def scoring(self) -> bool:
        return self.status in ("open", "closed")


def order_rows(state: dict[str, Any], order: list[str] | None = None) -> list[OrderRow]:
    """Every contestant in order of play (the draft being edited, if any) with status and progress."""
    people = contestants_by_id(state)
    status = state.get("status") or {}
    progress = state.get("progress") or {}
    rows = []
    for cid in order if order is not None else state.get("order") or []:
        c = people.get(cid, {})
        st = status.get(cid) or {}
        p = progress.get(cid) or {}
        rows.append(
            OrderRow(
                cid, c.get("name", cid), c.get("unit", ""), st.get("status", "waiting"), bool(st.get("revealed")),
                len(p.get("submitted", [])), int(p.get("expected", 0)),
                tuple(judge_label(state, j) for j in p.get("waiting", [])),
            )
        )
    return rows


def missing_judges(state: dict[str, Any], cid: str) -> list[str]:
    """Judges who have not submitted for a contestant being scored, by name."""
    p = (state.get("progress") or {}).get(cid) or {}
    return [judge_label(state, j) for j in p.get("waiting", [])]


def move(order: list[str], cid: str, delta: int) -> list[str]:
    """The order with one contestant moved ``delta`` places (clamped at both ends)."""
    out = list(order)
    if cid not in out:
        return out
    i = out.index(cid)
    j = max(0, min(len(out) - 1, i + delta))
    out.insert(j, out.pop(i))
    return out


def next_waiting(state: dict[str, Any], after: str) -> str | None:
    """The first contestant after ``after`` in order of play who has not been on yet."""
    order = state.get("order") or []
    status = state.get("status") or {}
    start = order.index(after) + 1 if after in order else 0
    for cid in order[start:] + order[:start]:
        if (status.get(cid) or {}).get("status", "waiting") == "waiting":
            return cid
    return None


# -- standings -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StandingRow:
    rank: int | None
    cid: str
    name: str
    unit: str
    total: str
    award: str
    revealed: bool  # the hall has seen this result


def standing_rows(state: dict[str, Any], category: str, private: bool) -> list[StandingRow]:
    """A category's standings; a row is "revealed" when the hall's standings hold it (so a quiz
    award, public at once, counts as shown, and a reveal held back by a freeze does not)."""
    section = state.get(f"{'private' if private else 'standings'}:{category}") or []
    public = {s["contestant"] for s in state.get(f"standings:{category}") or []}
    return [
        StandingRow(s.get("rank"), s["contestant"], s["name"], s.get("unit") or "", s.get("total") or "", s.get("award") or "", s["contestant"] in public)
        for s in section
    ]


def standing_of(state: dict[str, Any], cid: str) -> dict[str, Any] | None:
    """A contestant's line in the private standings (for the reveal question)."""
    c = contestants_by_id(state).get(cid)
    if c is None:
        return None
    for s in state.get(f"private:{c['category']}") or []:
        if s["contestant"] == cid:
            return s
    return None


@dataclass(frozen=True)
class Compared:
    """One contestant before and after a correction."""

    cid: str
    name: str
    rank_before: int | None
    total_before: str
    rank_after: int | None
    total_after: str

    @property
    def moved(self) -> int:
        """Places gained (negative: lost); 0 when either side is unranked."""
        if self.rank_before is None or self.rank_after is None:
            return 0
        return self.rank_before - self.rank_after

    @property
    def changed(self) -> bool:
        return self.rank_before != self.rank_after or self.total_before != self.total_after


def compare(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[Compared]:
    """Before and after rows joined by contestant, in the order of the new standings."""
    old = {s["contestant"]: s for s in before}
    out = []
    for s in after:
        b = old.get(s["contestant"], {})
        out.append(Compared(s["contestant"], s["name"], b.get("rank"), b.get("total") or "", s.get("rank"), s.get("total") or ""))
    seen = {s["contestant"] for s in after}
    for s in before:
        if s["contestant"] not in seen:
            out.append(Compared(s["contestant"], s["name"], s.get("rank"), s.get("total") or "", None, ""))
    return out


def check_points(text: str) -> str | None:
    """An adjustment's points as typed, or None when it is not a non-zero number."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or value == 0:
        return None
    return f"{value:f}"


# -- the quiz ------------------------------------------------------------------------------


def quiz(state: dict[str, Any]) -> dict[str, Any] | None:
    return state.get("quiz") or None


def question_type(q: dict[str, Any], tid: str) -> dict[str, Any] | None:
    return next((qt for qt in q.get("types", []) if qt["id"] == tid), None)


def current_type(q: dict[str, Any]) -> dict[str, Any] | None:
    question = q.get("question") or {}
    return question_type(q, question.get("type", "")) if question else None


def signed(points: str) -> str:
    """"10" -> "+10", "-10" stays, "0" stays."""
    try:
        value = Decimal(points)
    except (InvalidOperation, TypeError):
        return str(points)
    return f"+{points}" if value > 0 else str(points)


def type_summary(q: dict[str, Any], lang: str) -> str:
    """What a question type gives: "必答题  答对 +10 / 答错 0"; risk: "风险题  风险分值 10/20/30"."""
    if q.get("stakes"):
        return f"{q['name']}  {t('stake', lang)} {'/'.join(q['stakes'])}"
    parts = [f"{t(k, lang)} {signed(q.get(k) or '0')}" for k in ("correct", "wrong", "none") if k != "none" or q.get(k) not in (None, "0")]
    return f"{q['name']}  " + " / ".join(parts)


def next_number(q: dict[str, Any], tid: str) -> int:
    """The number the question picker suggests: one after the current question of that type."""
    question = q.get("question") or {}
    return int(question.get("number", 0)) + 1 if question.get("type") == tid else 1


def award_points(qtype: dict[str, Any], outcome: str, stake: str | None) -> str | None:
    """The points an outcome gives (a stake for risk questions), or None if a stake is needed."""
    if qtype.get("stakes"):
        if outcome == "none":
            return qtype.get("none") or "0"
        if stake is None:
            return None
        return stake if outcome == "correct" else f"-{stake}"
    return qtype.get(outcome) or "0"


# -- ceremony and review -------------------------------------------------------------------


def ceremony(state: dict[str, Any]) -> dict[str, Any] | None:
    return state.get("ceremony") or None


def ceremony_next(state: dict[str, Any], delta: int) -> int | None:
    """The step to send for "next" (+1) or "back" (-1); None when there is none."""
    cer = ceremony(state)
    if cer is None:
        return 0 if delta > 0 else None
    step = int(cer["step"]) + delta
    if step < 0 or step > int(cer["steps"]):
        return None
    return step


def review(state: dict[str, Any]) -> dict[str, Any] | None:
    return state.get("review")


def deviation(value: Any) -> str:
    """Signed deviations read best with their sign: +1.25, -0.40."""
    if value is None or value == "":
        return "—"
    return signed(str(value))


def missing_now(state: dict[str, Any], lines: list[str]) -> tuple[list[str], int]:
    """Missing marks worth the host's attention: those of contestants already on stage. A
    contestant still waiting in the current round misses every mark, which says nothing yet;
    those lines are only counted. (Lines read "C1 Ann: no complete card from judge E3 in round heat".)"""
    status = state.get("status") or {}
    suffix = f" in round {state.get('round')}"
    shown, hidden = [], 0
    for line in lines:
        cid = line.split(" ", 1)[0]
        if line.endswith(suffix) and (status.get(cid) or {}).get("status", "waiting") == "waiting":
            hidden += 1
        else:
            shown.append(line)
    return shown, hidden


def category_names(state: dict[str, Any]) -> list[tuple[str, str]]:
    return categories(state)
