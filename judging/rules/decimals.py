"""Decimal parsing and the rounding rules contests publish.

Floats never enter a score's path: numbers arrive as strings (CSV, JSON) or as TOML
numbers parsed straight to Decimal.
"""

from __future__ import annotations

import decimal
from decimal import Decimal, InvalidOperation

ROUNDING_MODES = {
    "half-up": decimal.ROUND_HALF_UP,  # 四舍五入, as Chinese contests publish
    "half-even": decimal.ROUND_HALF_EVEN,
    "down": decimal.ROUND_DOWN,  # truncate toward zero
    "up": decimal.ROUND_UP,
}


def parse_decimal(value: object) -> Decimal:
    """Parse a score given as str, int or Decimal. Floats are refused: they are not exact."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError("expected a number, got an empty value")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"expected a number, got {value!r}") from None
    else:
        raise ValueError(f"expected a number, got {value!r}")
    if not result.is_finite():
        raise ValueError(f"expected a finite number, got {value!r}")
    return result


_QUANTA = {p: Decimal(1).scaleb(-p) for p in range(10)}  # every score is rounded: build them once


def quantum(precision: int) -> Decimal:
    q = _QUANTA.get(precision)
    return q if q is not None else Decimal(1).scaleb(-precision)


def round_to(value: Decimal, precision: int, mode: str) -> Decimal:
    return value.quantize(quantum(precision), rounding=ROUNDING_MODES[mode])


def fmt(value: Decimal | None, precision: int) -> str:
    """Format with exactly ``precision`` decimals (no rounding: values are already rounded)."""
    if value is None:
        return ""
    return f"{value.quantize(quantum(precision)):f}"


def on_step(value: Decimal, start: Decimal, step: Decimal) -> bool:
    return (value - start) % step == 0
