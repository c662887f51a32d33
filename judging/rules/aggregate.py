"""Panel aggregation rules: mean, trimmed mean, median and sum."""

from __future__ import annotations

from decimal import Decimal

from judging.rules.model import Panel


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
        order = sorted(range(n), key=lambda i: (values[i], i))
        low = set(order[:t])
        # Highest: among equals drop the first given that was not already dropped as lowest.
        high = [i for i in sorted(range(n), key=lambda i: (-values[i], i)) if i not in low][:t]
        dropped = set(low) | set(high)
        kept = [v for i, v in enumerate(values) if i not in dropped]
        return sum(kept, Decimal(0)) / len(kept), dropped, ""
    return sum(values, Decimal(0)) / n, set(), ""
