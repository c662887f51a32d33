"""Results with their full breakdown: what the reveal card, the score sheet and the audit show."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from judging.rules.model import Adjustment, Contestant


@dataclass(frozen=True, slots=True)
class JudgeLine:
    """One judge's card for one contestant in one round."""

    judge: str
    panel: str
    scores: dict[str, Decimal]  # criterion -> mark as given
    total: Decimal | None  # sum of mark x factor; None when the card is incomplete
    counted: bool  # False for shadow judges and incomplete cards
    dropped: bool = False  # trimmed away (judge-total aggregation)
    shadow: bool = False
    dropped_criteria: frozenset[str] = frozenset()  # trimmed away (per-criterion aggregation)


@dataclass(frozen=True, slots=True)
class CriterionLine:
    """A panel's aggregate of one criterion (per-criterion aggregation)."""

    criterion: str
    score: Decimal | None  # aggregated, rounded if the contest rounds at "criterion"
    factor: Decimal
    product: Decimal | None  # score x factor, rounded if the contest rounds at "product"


@dataclass(frozen=True, slots=True)
class PanelResult:
    panel: str
    rule: str
    weight: Decimal
    judges: tuple[JudgeLine, ...]
    score: Decimal | None  # None: no usable marks (or too few under too_few = "incomplete")
    weighted: Decimal | None
    criteria: tuple[CriterionLine, ...] = ()
    note: str = ""  # e.g. why a trim was not applied
    missing: tuple[str, ...] = ()  # judges expected to score who have no complete card


@dataclass(frozen=True, slots=True)
class PointsLine:
    key: str  # e.g. "buzzer#7"
    question: str  # question type id
    points: Decimal


@dataclass(frozen=True, slots=True)
class RoundResult:
    round: str
    contestant: str
    kind: str
    score: Decimal | None  # rounded to the contest precision, before adjustments
    final: Decimal | None  # score plus this round's adjustments
    raw: Decimal | None = None  # before the final rounding
    panels: tuple[PanelResult, ...] = ()
    points: tuple[PointsLine, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()
    criterion_scores: dict[str, Decimal] = field(default_factory=dict)  # panel-weighted, unrounded
    rounding: str = ""

    @property
    def complete(self) -> bool:
        return self.final is not None

    def panel(self, pid: str) -> PanelResult | None:
        for p in self.panels:
            if p.panel == pid:
                return p
        return None


@dataclass(frozen=True, slots=True)
class Standing:
    contestant: Contestant
    rank: int | None  # None: incomplete, not ranked
    total: Decimal | None
    rounds: dict[str, RoundResult]
    reached: str  # the last round this contestant took part in
    adjustments: tuple[Adjustment, ...] = ()  # on the final total
    award: str = ""  # prize tier or manual award
    award_reason: str = ""
    single_awards: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SingleAwardResult:
    name: str
    criterion: str
    round: str
    winners: tuple[str, ...]
    score: Decimal | None  # the winning criterion score, rounded for display


@dataclass(frozen=True, slots=True)
class CategoryStandings:
    category: str
    name: str
    standings: tuple[Standing, ...]
    single_awards: tuple[SingleAwardResult, ...] = ()
    cuts: tuple[tuple[str, int], ...] = ()  # (tier, last position it covers among eligible)


@dataclass(frozen=True, slots=True)
class UnitResult:
    unit: str
    rank: int
    score: Decimal
    counted: tuple[str, ...]  # contestant ids whose totals count
