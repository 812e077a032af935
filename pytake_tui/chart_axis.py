"""A chart's value axis with the reader's numbers: plotext writes its own tick labels with a
full stop ("2.5"), so every chart gives its ticks and their labels, written by Babel ("2,5" in
Portuguese, "1,200" / "1.200" grouped)."""

from __future__ import annotations

import math

from pytake_i18n import format_number

_NICE = (1.0, 2.0, 2.5, 5.0, 10.0)


def _step(span: float, count: int) -> float:
    raw = span / max(1, count)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    return next(n * magnitude for n in _NICE if n * magnitude >= raw - 1e-12)


def value_ticks(
    low: float, high: float, count: int = 4, *, whole: bool = False
) -> tuple[list[float], list[str]]:
    """About ``count`` round ticks from ``low`` to ``high`` (both included when round), and
    their labels in the reader's number format; ``whole``: counts, never a fraction between."""
    if high <= low:
        high = low + 1
    step = _step(high - low, count)
    if whole:
        step = max(1.0, math.ceil(step))
    first = math.ceil(low / step - 1e-9) * step
    values: list[float] = []
    value = first
    while value <= high + step * 1e-9:
        values.append(round(value, 10))
        value += step
    decimals = 0
    while decimals < 6 and abs(step * 10**decimals - round(step * 10**decimals)) > 1e-9:
        decimals += 1
    pattern = "#,##0" if decimals == 0 else "#,##0." + "0" * decimals
    return values, [format_number(v, pattern=pattern) for v in values]
