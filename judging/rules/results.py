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


_new = object.__new__
_judge, _panel, _scores, _total, _counted, _dropped, _shadow, _dropped_criteria = (
    JudgeLine.__dict__[f].__set__
    for f in ("judge", "panel", "scores", "total", "counted", "dropped", "shadow", "dropped_criteria")
)
assert len(JudgeLine.__slots__) == 8, "judge_line sets every field of JudgeLine"  # type: ignore[attr-defined]


def judge_line(
    judge: str,
    panel: str,
    scores: dict[str, Decimal],
    total: Decimal | None,
    counted: bool,
    dropped: bool = False,
    shadow: bool = False,
    dropped_criteria: frozenset[str] = frozenset(),
) -> JudgeLine:
    """``JudgeLine(...)``, built at half the cost: the frozen dataclass's ``__init__`` sets
    each field through ``object.__setattr__``, and a full tabulation builds one line per card
    (12,000 in the teaching contest). Same fields, same object; the class stays frozen."""
    line = _new(JudgeLine)
    _judge(line, judge)
    _panel(line, panel)
    _scores(line, scores)
    _total(line, total)
    _counted(line, counted)
    _dropped(line, dropped)
    _shadow(line, shadow)
    _dropped_criteria(line, dropped_criteria)
    return line


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


class Deferred:
    """A panel's judge lines not built yet: ``build(*args)`` makes the tuple. A full
    tabulation scores 12,000 cards in the teaching contest and shows almost none of them,
    so ``PanelResult.judges`` builds its lines the first time it is read, then keeps them.
    ``args`` must hold only what never changes (cards are replaced, never edited)."""

    __slots__ = ("build", "args")

    def __init__(self, build, args: tuple):
        self.build = build
        self.args = args


_panel_judges = PanelResult.__dict__["judges"]  # the slot itself


def _read_judges(self: PanelResult) -> tuple[JudgeLine, ...]:
    lines = _panel_judges.__get__(self, PanelResult)
    if type(lines) is Deferred:
        lines = lines.build(*lines.args)
        _panel_judges.__set__(self, lines)
    return lines


# Reading ``judges`` (equality, repr, pickling and ``dataclasses.replace`` included) always
# gives the tuple; setting it stays refused after construction (the class is frozen).
PanelResult.judges = property(_read_judges, _panel_judges.__set__, doc="Each judge's card and total, in judge order.")  # type: ignore[assignment, method-assign]

_p_fields = ("panel", "rule", "weight", "score", "weighted", "criteria", "note", "missing")
_p_panel, _p_rule, _p_weight, _p_score, _p_weighted, _p_criteria, _p_note, _p_missing = (
    PanelResult.__dict__[f].__set__ for f in _p_fields
)
assert len(PanelResult.__slots__) == len(_p_fields) + 1, "panel_result sets every field of PanelResult"  # type: ignore[attr-defined]


def panel_result(
    panel: str,
    rule: str,
    weight: Decimal,
    judges: tuple[JudgeLine, ...] | Deferred,
    score: Decimal | None,
    weighted: Decimal | None,
    criteria: tuple[CriterionLine, ...] = (),
    note: str = "",
    missing: tuple[str, ...] = (),
) -> PanelResult:
    """``PanelResult(...)`` built like ``judge_line``: one per contestant and panel."""
    p = _new(PanelResult)
    _p_panel(p, panel)
    _p_rule(p, rule)
    _p_weight(p, weight)
    _panel_judges.__set__(p, judges)
    _p_score(p, score)
    _p_weighted(p, weighted)
    _p_criteria(p, criteria)
    _p_note(p, note)
    _p_missing(p, missing)
    return p


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


_r_fields = (
    "round", "contestant", "kind", "score", "final", "raw", "panels", "points", "adjustments", "criterion_scores", "rounding"
)
_r_setters = tuple(RoundResult.__dict__[f].__set__ for f in _r_fields)
assert len(RoundResult.__slots__) == len(_r_fields), "round_result sets every field of RoundResult"  # type: ignore[attr-defined]


def round_result(
    round: str,
    contestant: str,
    kind: str,
    score: Decimal | None,
    final: Decimal | None,
    raw: Decimal | None,
    panels: tuple[PanelResult, ...] = (),
    points: tuple[PointsLine, ...] = (),
    adjustments: tuple[Adjustment, ...] = (),
    criterion_scores: dict[str, Decimal] | None = None,
    rounding: str = "",
) -> RoundResult:
    """``RoundResult(...)`` built like ``judge_line``: one per contestant and round."""
    r = _new(RoundResult)
    s_round, s_contestant, s_kind, s_score, s_final, s_raw, s_panels, s_points, s_adjs, s_crit, s_rounding = _r_setters
    s_round(r, round)
    s_contestant(r, contestant)
    s_kind(r, kind)
    s_score(r, score)
    s_final(r, final)
    s_raw(r, raw)
    s_panels(r, panels)
    s_points(r, points)
    s_adjs(r, adjustments)
    s_crit(r, {} if criterion_scores is None else criterion_scores)
    s_rounding(r, rounding)
    return r


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


_s_contestant, _s_rank, _s_total, _s_rounds, _s_reached, _s_adjustments, _s_award, _s_award_reason, _s_singles = (
    Standing.__dict__[f].__set__
    for f in (
        "contestant", "rank", "total", "rounds", "reached", "adjustments", "award", "award_reason", "single_awards"
    )
)
assert len(Standing.__slots__) == 9, "standing sets every field of Standing"  # type: ignore[attr-defined]


def standing(
    contestant: Contestant,
    rank: int | None,
    total: Decimal | None,
    rounds: dict[str, RoundResult],
    reached: str,
    adjustments: tuple[Adjustment, ...] = (),
    award: str = "",
    award_reason: str = "",
    single_awards: tuple[str, ...] = (),
) -> Standing:
    """``Standing(...)`` built like ``judge_line``: every update rebuilds its category's
    standings, one per contestant."""
    s = _new(Standing)
    _s_contestant(s, contestant)
    _s_rank(s, rank)
    _s_total(s, total)
    _s_rounds(s, rounds)
    _s_reached(s, reached)
    _s_adjustments(s, adjustments)
    _s_award(s, award)
    _s_award_reason(s, award_reason)
    _s_singles(s, single_awards)
    return s


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
