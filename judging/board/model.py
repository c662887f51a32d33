"""The board's model: plain functions over the viewer's sections, no Textual.

What a row shows (rank change, prize colour, cut line), how a long category splits into pages
and what the stage shows next are decisions about contest data, not about widgets; keeping them
here lets them be tested without a terminal and keeps the widgets dumb.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

# Prize colours, best tier first: gold, silver, bronze, then two more for longer award lists.
TIER_COLOURS = ("#ffd700", "#e4e4e4", "#ff9f43", "#5fd7ff", "#87ff87")
MANUAL_COLOUR = "#ff5fd7"  # an award decided by the organisers (特等奖) stands apart
SPECIAL_WORDS = ("特等", "special")


@dataclass(frozen=True)
class Change:
    """How a contestant's rank moved at the last change of their category's standings."""

    delta: int = 0  # places gained (negative: lost)
    new: bool = False  # entered the standings (just revealed)


@dataclass(frozen=True)
class Row:
    rank: int
    contestant: str
    name: str
    unit: str
    total: str
    award: str
    colour: str = ""  # the prize colour, "" for no prize
    cut_above: bool = False  # a prize cut line runs above this row
    change: Change | None = None
    highlight: bool = False
    members: tuple[str, ...] = ()  # a team's members, on a line of their own under the name
    single_awards: tuple[str, ...] = ()  # 单项奖, shown as badges beside the members

    @property
    def lines(self) -> int:
        """Screen lines the row takes: one, or two with members or single-item awards."""
        return 2 if self.members or self.single_awards else 1


class RankTracker:
    """Remembers each category's last ranking to tell rank changes.

    Arrows stay until the category's ranking changes again, so a resync snapshot carrying the
    same standings keeps them; the first standings seen (board started mid-contest) show none.
    """

    def __init__(self) -> None:
        self._last: dict[str, list[tuple[str, int]]] = {}
        self._changes: dict[str, dict[str, Change]] = {}

    def update(self, category: str, standings: list[dict[str, Any]]) -> set[str]:
        """Take a category's new standings; returns the contestants to highlight for a moment:
        those who just entered or moved up (everyone below a newcomer moves down one, and
        lighting them all up would hide the news; their arrows still show)."""
        ranking = [(s["contestant"], s["rank"]) for s in standings]
        if category not in self._last:
            self._last[category] = ranking
            self._changes[category] = {}
            return set()
        if ranking == self._last[category]:
            return set()
        before = dict(self._last[category])
        changes = {}
        for cid, rank in ranking:
            if cid not in before:
                changes[cid] = Change(new=True)
            elif before[cid] != rank:
                changes[cid] = Change(delta=before[cid] - rank)
        self._last[category] = ranking
        self._changes[category] = changes
        return {cid for cid, c in changes.items() if c.new or c.delta > 0}

    def changes(self, category: str) -> dict[str, Change]:
        return self._changes.get(category, {})


def is_manual(award: str, runs: list[str], index: int) -> bool:
    """A manual award (特等奖) sits inside the tiers: its name says so, or the tier resumes after it."""
    if any(w in award.lower() for w in SPECIAL_WORDS):
        return True
    return 0 < index < len(runs) - 1 and runs[index - 1] == runs[index + 1] and runs[index - 1] != ""


def award_colours(awards: list[str], manual: set[str] | None = None) -> dict[str, str]:
    """Colour per award name, from the awards as they appear in rank order.

    Rows say which awards are manual (``award_kind``); without that (an older server), tiers
    appear as consecutive blocks best first and a manual award interrupts them.
    """
    runs: list[str] = []
    for a in awards:
        if not runs or runs[-1] != a:
            runs.append(a)
    if manual is None:
        manual = {a for i, a in enumerate(runs) if a and is_manual(a, runs, i)}
    colours: dict[str, str] = {a: MANUAL_COLOUR for a in manual}
    tiers = [a for a in dict.fromkeys(runs) if a and a not in manual]
    for i, a in enumerate(tiers):
        colours[a] = TIER_COLOURS[min(i, len(TIER_COLOURS) - 1)]
    return colours


def build_rows(standings: list[dict[str, Any]], changes: dict[str, Change], highlight: set[str]) -> list[Row]:
    """The rows of one category, with prize colours, cut lines and rank changes."""
    colours = award_colours([s.get("award") or "" for s in standings], manual_awards(standings))
    manual = {a for a, c in colours.items() if c == MANUAL_COLOUR}
    rows = []
    last_tier: str | None = None
    for s in standings:
        award = s.get("award") or ""
        cut = False
        if award not in manual:
            cut = last_tier is not None and award != last_tier
            last_tier = award
        rows.append(
            Row(
                rank=s["rank"],
                contestant=s["contestant"],
                name=s["name"],
                unit=s.get("unit") or "",
                total=s.get("total") or "",
                award=award,
                colour=colours.get(award, ""),
                cut_above=cut,
                change=changes.get(s["contestant"]),
                highlight=s["contestant"] in highlight,
                members=tuple(s.get("members") or ()),
                single_awards=tuple(s.get("single_awards") or ()),
            )
        )
    return rows


def manual_awards(standings: list[dict[str, Any]]) -> set[str] | None:
    """The awards the rows mark as manual, or None when rows do not say (``award_kind`` missing)."""
    if not any("award_kind" in s for s in standings):
        return None
    return {s["award"] for s in standings if s.get("award_kind") == "manual" and s.get("award")}


@dataclass(frozen=True)
class UnitRow:
    """One unit's line of the unit standings (团体总分)."""

    rank: int
    unit: str
    score: str
    counted: tuple[str, ...] = ()  # names of the contestants whose results count
    lines: int = 1


def unit_rows(section: dict[str, Any] | None, state: dict[str, Any]) -> list[UnitRow]:
    """The ``units`` section as rows, counted contestants by name."""
    if not section:
        return []
    people = contestants_by_id(state)

    def short(cid: str, unit: str) -> str:
        # 北京交通大学三队 under 北京交通大学 reads as 三队: the unit is already on the line.
        name = people.get(cid, {}).get("name", cid)
        return name[len(unit) :] if unit and name.startswith(unit) and len(name) > len(unit) else name

    return [
        UnitRow(u["rank"], u["unit"], u.get("score") or "", tuple(short(c, u["unit"]) for c in u.get("counted") or ()))
        for u in section.get("standings") or []
    ]


def paginate(rows: list[Any], capacity: int) -> list[list[Any]]:
    """Split rows into pages of ``capacity`` lines; a cut line takes a line unless it would open a page."""
    capacity = max(1, capacity)
    pages: list[list[Any]] = [[]]
    used = 0
    for row in rows:
        cost = row.lines + (1 if getattr(row, "cut_above", False) and pages[-1] else 0)
        if pages[-1] and used + cost > capacity:
            pages.append([])
            used = 0
            cost = row.lines
        pages[-1].append(row)
        used += cost
    return pages


def percent(weight: str) -> str:
    """'0.70' -> '70%'."""
    try:
        value = (Decimal(weight) * 100).normalize()
    except InvalidOperation:
        return weight
    return f"{value:f}%"


@dataclass(frozen=True)
class Scoring:
    """A contestant being scored: how many judges have submitted, never what."""

    contestant: str
    name: str
    unit: str
    submitted: int
    expected: int
    closed: bool


def contestants_by_id(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in (state.get("contest") or {}).get("contestants", [])}


def scoring_now(state: dict[str, Any]) -> list[Scoring]:
    """Contestants open or closed for scoring, in order of play."""
    people = contestants_by_id(state)
    progress = state.get("progress") or {}
    status = state.get("status") or {}
    out = []
    for cid in state.get("order") or []:
        if cid not in progress:
            continue
        p = progress[cid]
        c = people.get(cid, {})
        out.append(
            Scoring(
                cid, c.get("name", cid), c.get("unit", ""), len(p.get("submitted", [])), p.get("expected", 0),
                (status.get(cid) or {}).get("status") == "closed",
            )
        )
    return out


def next_up(state: dict[str, Any]) -> dict[str, Any] | None:
    """The first contestant in order of play still waiting to perform."""
    status = state.get("status") or {}
    people = contestants_by_id(state)
    for cid in state.get("order") or []:
        if (status.get(cid) or {}).get("status", "waiting") == "waiting":
            return people.get(cid)
    return None


def stage_of(state: dict[str, Any]) -> str:
    """What the stage shows: a points round shows the quiz; otherwise scoring progress beats the
    last reveal card, which beats the idle card."""
    if state.get("quiz"):
        return "quiz"
    if scoring_now(state):
        return "progress"
    if state.get("reveal"):
        return "reveal"
    return "idle"


def categories(state: dict[str, Any]) -> list[tuple[str, str]]:
    return [(k["id"], k["name"]) for k in (state.get("contest") or {}).get("categories", [])]
