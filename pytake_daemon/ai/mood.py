"""A conversation's mood: recency-weighted sentiment of its customer messages, and its trend."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

DECAY = 0.7
"""Weight of a message relative to the next one: the latest messages say how things stand."""


@dataclass(frozen=True)
class Mood:
    score: float
    trend: float


def mood(scores_oldest_first: Sequence[float], *, trend_messages: int) -> Mood:
    """Score: exponentially weighted mean; trend: least-squares slope of the last few scores."""
    if not scores_oldest_first:
        return Mood(0.0, 0.0)
    weights = [DECAY ** (len(scores_oldest_first) - 1 - i) for i in range(len(scores_oldest_first))]
    score = sum(w * s for w, s in zip(weights, scores_oldest_first, strict=True)) / sum(weights)
    return Mood(score=score, trend=slope(scores_oldest_first[-trend_messages:]))


def slope(values: Sequence[float]) -> float:
    n = len(values)
    if n < 2:
        return 0.0
    mean_x = (n - 1) / 2
    mean_y = sum(values) / n
    num = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values))
    den = sum((x - mean_x) ** 2 for x in range(n))
    return num / den
