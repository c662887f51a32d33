"""The contest model: plain frozen data built from a contest file.

Building and checking a model from parsed TOML lives in ``judging.rules.build``; this
module only declares the shapes and small lookups over them.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from decimal import Decimal

AGGREGATION_RULES = ("mean", "trimmed", "median", "sum")
TOO_FEW_POLICIES = ("mean", "incomplete")
ROUND_AT = ("criterion", "product", "panel", "end")
TIE_AT_CUT = ("include", "exclude")


@dataclass(frozen=True)
class Category:
    id: str
    name: str


@dataclass(frozen=True)
class Panel:
    id: str
    name: str
    weight: Decimal
    rule: str = "mean"
    trim: int = 0
    # What a trimmed panel does when it has too few marks to drop ``trim`` from each end
    # and keep at least one: "mean" averages what it has, "incomplete" gives no score.
    too_few: str = "mean"


@dataclass(frozen=True)
class Judge:
    id: str
    name: str
    panel: str
    unit: str = ""
    shadow: bool = False  # recorded, never counted
    categories: tuple[str, ...] = ()  # empty: every category


@dataclass(frozen=True)
class Criterion:
    id: str
    name: str
    min: Decimal
    max: Decimal
    step: Decimal
    factor: Decimal = Decimal(1)

    def __post_init__(self) -> None:
        # Marks already checked against this criterion, by the text they arrived as: a
        # contest sees the same few hundred values again and again. Filled and read only by
        # ``validate.check_value``; bounded there.
        object.__setattr__(self, "_checked", {})


@dataclass(frozen=True)
class QuestionType:
    """Points a host awards for one kind of quiz question."""

    id: str
    name: str
    correct: Decimal = Decimal(0)
    wrong: Decimal = Decimal(0)
    none: Decimal = Decimal(0)
    stakes: tuple[Decimal, ...] = ()  # risk questions: win or lose the stake chosen

    def allowed(self) -> frozenset[Decimal]:
        if self.stakes:
            return frozenset(self.stakes) | frozenset(-s for s in self.stakes) | {self.none}
        return frozenset((self.correct, self.wrong, self.none))


@dataclass(frozen=True)
class Round:
    id: str
    name: str
    kind: str = "judged"  # "judged" or "points"
    aggregate: str = "judge-total"  # or "per-criterion" (ISU)
    round_at: frozenset[str] = frozenset({"end"})
    panels: tuple[str, ...] = ()
    panel_weights: dict[str, Decimal] = field(default_factory=dict)
    criteria: tuple[Criterion, ...] = ()
    weight: Decimal = Decimal(1)  # when rounds combine by weight
    advance: int | None = None  # top N per category go on (advancement)
    start: Decimal = Decimal(0)  # points rounds: every team starts here
    questions: tuple[QuestionType, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "_criteria", {c.id: c for c in self.criteria})
        # Criterion id -> that criterion's marks already checked (see Criterion), for
        # checking a whole card in one step.
        object.__setattr__(self, "_marks", {c.id: c._checked for c in self.criteria})  # type: ignore[attr-defined]
        # A judge's total is the plain sum of their marks when nothing multiplies or rounds
        # them (a factor of exactly 1: 1.0 would change how the product is written); then
        # each criterion's marks can be taken from the cards in one step.
        plain = "product" not in self.round_at and all(str(c.factor) == "1" for c in self.criteria)
        object.__setattr__(self, "_plain", plain)
        object.__setattr__(self, "_getters", tuple(operator.itemgetter(c.id) for c in self.criteria))

    def criterion(self, cid: str) -> Criterion | None:
        return self._criteria.get(cid)  # type: ignore[attr-defined]

    def question(self, qid: str) -> QuestionType | None:
        for q in self.questions:
            if q.id == qid:
                return q
        return None


@dataclass(frozen=True)
class Contestant:
    id: str
    name: str
    category: str
    unit: str = ""
    order: int = 0
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class Recusal:
    judge: str
    contestant: str = ""
    unit: str = ""


@dataclass(frozen=True)
class Tier:
    name: str
    count: int | None = None
    share: Decimal | None = None


@dataclass(frozen=True)
class SingleAward:
    name: str
    criterion: str
    round: str


@dataclass(frozen=True)
class ManualAward:
    contestant: str
    award: str
    reason: str


@dataclass(frozen=True)
class UnitStanding:
    name: str
    method: str = "sum"  # "sum" or "mean"
    best: int | None = None  # best N of a unit's contestants; None: all


@dataclass(frozen=True)
class Adjustment:
    contestant: str
    points: Decimal
    reason: str
    round: str = ""  # empty: the final total


@dataclass(frozen=True)
class Contest:
    name: str
    language: str
    precision: int
    rounding: str
    categories: tuple[Category, ...]
    panels: tuple[Panel, ...]
    judges: tuple[Judge, ...]
    rounds: tuple[Round, ...]
    contestants: tuple[Contestant, ...]
    combine: str = "weighted"  # how several rounds combine: "weighted" or "advancement"
    carry_over: bool = False  # advancement: a round's standing adds the earlier rounds
    recusals: tuple[Recusal, ...] = ()
    recuse_same_unit: bool = False
    adjustments: tuple[Adjustment, ...] = ()
    tie_break: tuple[str, ...] = ()
    tiers: tuple[Tier, ...] = ()
    tie_at_cut: str = "include"
    share_rounding: str = "floor"
    single_awards: tuple[SingleAward, ...] = ()
    manual_awards: tuple[ManualAward, ...] = ()
    units: UnitStanding | None = None
    auto_reveal: bool = False

    def __post_init__(self) -> None:
        # Lookups used on every mark; frozen dataclass, so set through object.__setattr__.
        object.__setattr__(self, "_judges", {j.id: j for j in self.judges})
        object.__setattr__(self, "_contestants", {c.id: c for c in self.contestants})
        object.__setattr__(self, "_rounds", {r.id: r for r in self.rounds})
        object.__setattr__(self, "_panels", {p.id: p for p in self.panels})
        object.__setattr__(self, "_categories", {c.id: c for c in self.categories})
        by_category: dict[str, list[Contestant]] = {}
        for c in self.contestants:
            by_category.setdefault(c.category, []).append(c)
        object.__setattr__(self, "_by_category", {k: tuple(v) for k, v in by_category.items()})
        object.__setattr__(self, "_ids_by_category", {k: frozenset(c.id for c in v) for k, v in by_category.items()})
        recused: dict[str, set[str]] = {}
        for c in self.contestants:
            out = recused.setdefault(c.id, set())
            for r in self.recusals:
                if r.contestant == c.id or (r.unit and r.unit == c.unit):
                    out.add(r.judge)
            if self.recuse_same_unit and c.unit:
                out.update(j.id for j in self.judges if j.unit == c.unit)
        object.__setattr__(self, "_recused", {k: frozenset(v) for k, v in recused.items()})
        # Who may mark whom in each round (``scorers``) and how their panels score them
        # (``plan``), filled as they are asked for, keyed by ``_who``. The contest never
        # changes, so neither do the answers.
        object.__setattr__(self, "_scorers", {})
        object.__setattr__(self, "_plans", {})
        object.__setattr__(self, "_scopes", {})

    def judge(self, jid: str) -> Judge | None:
        return self._judges.get(jid)  # type: ignore[attr-defined]

    def contestant(self, cid: str) -> Contestant | None:
        return self._contestants.get(cid)  # type: ignore[attr-defined]

    def round(self, rid: str) -> Round | None:
        return self._rounds.get(rid)  # type: ignore[attr-defined]

    def panel(self, pid: str) -> Panel | None:
        return self._panels.get(pid)  # type: ignore[attr-defined]

    def category(self, cid: str) -> Category | None:
        return self._categories.get(cid)  # type: ignore[attr-defined]

    def is_recused(self, judge: str, contestant: str) -> bool:
        return judge in self._recused.get(contestant, frozenset())  # type: ignore[attr-defined]

    def panel_weight(self, rnd: Round, panel: str) -> Decimal:
        if panel in rnd.panel_weights:
            return rnd.panel_weights[panel]
        return self._panels[panel].weight  # type: ignore[attr-defined]

    def judges_for(self, rnd: Round, contestant: Contestant) -> list[Judge]:
        """Judges who score this contestant in this round (shadows included, recused not)."""
        recused = self._recused.get(contestant.id, frozenset())  # type: ignore[attr-defined]
        return [
            j
            for j in self.judges
            if j.panel in rnd.panels
            and (not j.categories or contestant.category in j.categories)
            and j.id not in recused
        ]

    def _who(self, rnd: Round, contestant: Contestant) -> tuple:
        """What decides who marks a contestant in a round: the round and the contestant's
        category, and the contestant when some judge is recused from them."""
        if self._recused.get(contestant.id):  # type: ignore[attr-defined]
            return (rnd.id, contestant.id)
        return (rnd.id, None, contestant.category)

    def scorers(self, rnd: Round, contestant: Contestant) -> tuple[tuple[Judge, ...], frozenset[str]]:
        """``judges_for`` as a tuple and as a set of ids, worked out once per round and
        category (and contestant with a recusal): every card asks."""
        key = self._who(rnd, contestant)
        found = self._scorers.get(key)  # type: ignore[attr-defined]
        if found is None:
            judges = tuple(self.judges_for(rnd, contestant))
            found = self._scorers[key] = (judges, frozenset(j.id for j in judges))  # type: ignore[attr-defined]
        return found

    def scope(self, jid: str, rid: str) -> frozenset[str]:
        """The contestants judge ``jid`` may ever score in round ``rid`` (their panel scores
        it, their categories, no recusal); worked out once, like ``scorers``."""
        found = self._scopes.get((jid, rid))  # type: ignore[attr-defined]
        if found is None:
            judge, rnd = self._judges[jid], self._rounds[rid]  # type: ignore[attr-defined]
            found = self._scopes[(jid, rid)] = frozenset(  # type: ignore[attr-defined]
                c.id
                for c in self.contestants
                if judge.panel in rnd.panels and (not judge.categories or c.category in judge.categories) and not self.is_recused(jid, c.id)
            )
        return found

    def plan(self, rnd: Round, contestant: Contestant) -> tuple[tuple, ...]:
        """How a judged round scores this contestant, panel by panel: (panel, weight,
        judges, their ids, whether any is a shadow), judges in contest order. Kept, like
        ``scorers``."""
        key = self._who(rnd, contestant)
        found = self._plans.get(key)  # type: ignore[attr-defined]
        if found is None:
            everyone = self.scorers(rnd, contestant)[0]
            found = []
            for pid in rnd.panels:
                judges = tuple(j for j in everyone if j.panel == pid)
                ids = tuple(j.id for j in judges)
                found.append((self._panels[pid], self.panel_weight(rnd, pid), judges, ids, any(j.shadow for j in judges)))  # type: ignore[attr-defined]
            found = self._plans[key] = tuple(found)  # type: ignore[attr-defined]
        return found

    def in_category(self, category: str) -> list[Contestant]:
        return list(self._by_category.get(category, ()))  # type: ignore[attr-defined]

    def ids_in_category(self, category: str) -> frozenset[str]:
        """The contestants' ids of a category, one shared set (checked once per contestant in
        every pass over a round: a set built per call made such passes quadratic)."""
        return self._ids_by_category.get(category, frozenset())  # type: ignore[attr-defined]
