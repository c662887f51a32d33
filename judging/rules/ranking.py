"""Ranking with an ordered chain of tie-breaks; contestants still tied share the rank."""

from __future__ import annotations

from decimal import Decimal
from operator import itemgetter
from typing import Callable, Sequence, TypeVar

from judging.rules.results import RoundResult

T = TypeVar("T")
ZERO = Decimal(0)
_first = itemgetter(0)


def rank(items: Sequence[T], keys: Callable[[T], tuple[Decimal | None, ...]]) -> list[tuple[int, T]]:
    """Order items best first by their keys (higher is better, None lowest) and give
    competition ranks: equal keys share a rank and the next rank skips (1, 1, 3).
    Items with equal keys keep their given order. A key compares as (present, value), so
    None sorts below every number."""
    return rank_by(items, lambda item: order_key(keys(item)))


def order_key(values: tuple[Decimal | None, ...]) -> tuple[tuple[bool, Decimal], ...]:
    """A rank key as ``rank`` sorts it: each value as (present, value)."""
    return tuple([(v is not None, ZERO if v is None else v) for v in values])


def rank_by(items: Sequence[T], key: Callable[[T], tuple]) -> list[tuple[int, T]]:
    """``rank`` with keys already made by ``order_key`` (a caller may keep them)."""
    keyed = [(key(item), item) for item in items]
    keyed.sort(key=_first, reverse=True)
    out: list[tuple[int, T]] = []
    previous = None
    current = 0
    for position, (k, item) in enumerate(keyed, start=1):
        if k != previous:
            current, previous = position, k
        out.append((current, item))
    return out


def tie_break_value(
    key: str, rounds: dict[str, RoundResult], judge_best: dict[tuple[str, str], Decimal] | None = None
) -> Decimal | None:
    """The value a tie-break key compares, from a contestant's round results.

    ``panel:<id>`` and ``criterion:<id>`` look at the last round that has them; ``raw_mean``
    is the last judged round's weighted mean of every counted judge total with nothing
    dropped; ``highest_marks`` counts the judges who gave this contestant their highest total
    in the category (``judge_best`` maps (round, judge) to that highest total).
    """
    kind, _, arg = key.partition(":")
    if kind == "round":
        result = rounds.get(arg)
        return result.final if result else None
    ordered = list(rounds.values())[::-1]
    if kind == "panel":
        for result in ordered:
            panel = result.panel(arg)
            if panel is not None:
                return panel.score
        return None
    if kind == "criterion":
        for result in ordered:
            if arg in result.criterion_scores:
                return result.criterion_scores[arg]
        return None
    judged = next((r for r in ordered if r.kind == "judged"), None)
    if judged is None:
        return None
    if key == "raw_mean":
        total = ZERO
        for panel in judged.panels:
            totals = [line.total for line in panel.judges if line.counted]
            if not totals:
                return None
            total += sum(totals, ZERO) / len(totals) * panel.weight  # type: ignore[arg-type]
        return total
    if key == "highest_marks":
        best = judge_best or {}
        return Decimal(
            sum(
                1
                for panel in judged.panels
                for line in panel.judges
                if line.counted and line.total == best.get((judged.round, line.judge))
            )
        )
    return None
