"""Panel aggregation rules: mean, trimmed mean, median and sum."""

from __future__ import annotations

from decimal import Decimal

from judging.rules.model import Panel

ZERO = Decimal(0)


def aggregate(values: list[Decimal], panel: Panel) -> tuple[Decimal | None, set[int], str]:
    """Aggregate one panel's marks.

    Returns the score (None when there is none), the indexes of dropped marks and a note
    explaining any departure from the panel's rule. Among equal marks the one given first
    (judge order) is the one dropped, so the breakdown is deterministic.
    """
    n = len(values)
    if n == 0:
        return None, set(), "no marks"
    rule = panel.rule
    if rule == "sum":
        return sum(values, Decimal(0)), set(), ""
    if rule == "median":
        ordered = sorted(values)
        mid = n // 2
        score = ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2
        return score, set(), ""
    if rule == "trimmed":
        t = panel.trim
        if n <= 2 * t:
            if panel.too_few == "incomplete":
                return None, set(), f"{n} marks: too few to drop {t} highest and {t} lowest"
            return sum(values, Decimal(0)) / n, set(), f"{n} marks: too few to drop {t} highest and {t} lowest, plain mean"
        if t == 1:
            # The common case, without sorting: the first lowest mark given, and the first
            # highest given that is not that one (all marks equal: the next one).
            low = values.index(min(values))
            top = max(values)
            high = values.index(top, low + 1) if values[low] == top else values.index(top)
            a, b = (low, high) if low < high else (high, low)
            # The marks kept, summed in order from 0 (three runs, one sum).
            kept = sum(values[b + 1 :], sum(values[a + 1 : b], sum(values[:a], ZERO)))
            return kept / (n - 2), {low, high}, ""
        # Stable sort: equal marks stay in the order given, so the lowest t are the first
        # given among equals.
        order = sorted(range(n), key=values.__getitem__)
        dropped = set(order[:t])
        # Highest: among equals drop the first given that was not already dropped as lowest.
        # Walk down from the top one group of equal marks at a time; within a group the
        # indexes are ascending (given order).
        rest = order[t:]
        end, wanted = len(rest), t
        while wanted:
            top = values[rest[end - 1]]
            start = end - 1
            while start > 0 and values[rest[start - 1]] == top:
                start -= 1
            group = rest[start:end][:wanted]
            dropped.update(group)
            wanted -= len(group)
            end = start
        kept = [v for i, v in enumerate(values) if i not in dropped]
        return sum(kept, Decimal(0)) / len(kept), dropped, ""
    return sum(values, Decimal(0)) / n, set(), ""
