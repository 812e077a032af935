"""Is our English scorer *not below* plain VADER on a human-rated corpus? Paired tests on the
same texts (docs/ai.md, "English on a public corpus", states the criterion).

"Not below" is a non-inferiority claim: the one-sided 95 % upper confidence bound of how far
ours falls short of plain VADER must stay under a margin, for 3-way agreement and for Pearson r.
Point estimates alone can't carry it (on the held-out tweets the two differ by one tweet in
2,490), and "no significant difference" alone would pass any scorer tested on too few texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import comb, copysign, erfc, inf, sqrt

import numpy as np

CONFIDENCE_Z = 1.6448536269514722
"""The standard normal's 95th percentile: one-sided 95 % bounds."""
AGREEMENT_MARGIN = 0.01
"""How far below plain VADER's 3-way agreement still counts as not below: 1 point."""
PEARSON_MARGIN = 0.01
"""How far below plain VADER's Pearson r still counts as not below."""


@dataclass(frozen=True)
class NonInferiority:
    agreement_deficit: float
    """Plain VADER's agreement minus ours (positive: ours is below)."""
    agreement_deficit_upper: float
    """Its one-sided 95 % upper bound (exact, conditional on the discordant texts)."""
    agreement_p: float
    """One-sided exact McNemar p-value of "ours agrees less often"."""
    pearson_deficit: float
    pearson_deficit_upper: float
    """One-sided 95 % upper bound from Williams' t's standard error."""
    pearson_p: float
    """One-sided p-value of Williams' t for "ours correlates less"."""

    @property
    def not_below(self) -> bool:
        return (
            self.agreement_deficit_upper < AGREEMENT_MARGIN
            and self.pearson_deficit_upper < PEARSON_MARGIN
        )


def _binomial_cdf(k: int, n: int, p: float) -> float:
    return sum(comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))


def _clopper_pearson_upper(k: int, n: int, alpha: float = 0.05) -> float:
    """The exact one-sided upper bound of a binomial proportion (``k`` of ``n``), by bisection:
    the ``p`` at which seeing ``k`` or fewer has probability ``alpha``."""
    if k >= n:
        return 1.0
    low, high = k / n, 1.0
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if _binomial_cdf(k, n, mid) > alpha else (low, mid)
    return high


def mcnemar_one_sided(only_model: int, only_baseline: int) -> float:
    """Exact p of at least ``only_baseline`` baseline wins among the discordant texts, were
    either side equally likely to win each."""
    n = only_model + only_baseline
    if n == 0:
        return 1.0
    return sum(comb(n, k) for k in range(only_baseline, n + 1)) / (1 << n)


def _williams(
    human: Sequence[float], ours: Sequence[float], theirs: Sequence[float]
) -> tuple[float, float]:
    """Plain VADER's r minus ours and the difference's standard error by Williams' t for two
    correlations sharing the human ratings (Steiger 1980, eq. 7)."""
    n = len(human)
    r = np.corrcoef([human, ours, theirs])
    r12, r13, r23 = float(r[0, 1]), float(r[0, 2]), float(r[1, 2])
    det = 1 - r12**2 - r13**2 - r23**2 + 2 * r12 * r13 * r23
    mean = (r12 + r13) / 2
    # max(): rounding can take the determinant of identical scores a hair below 0.
    se = sqrt(
        max(0.0, 2 * (n - 1) / (n - 3) * det + mean**2 * (1 - r23) ** 3) / ((n - 1) * (1 + r23))
    )
    return r13 - r12, se


def non_inferiority(
    human: Sequence[float],
    ours: Sequence[float],
    theirs: Sequence[float],
    *,
    only_model: int,
    only_baseline: int,
) -> NonInferiority:
    """Both paired comparisons of ``ours`` against ``theirs`` (compound scores of the same texts)
    given the human ratings and the texts whose 3-way label only one side gets right."""
    n = len(human)
    discordant = only_model + only_baseline
    # The deficit is (baseline wins - model wins) / n = discordant / n * (2 * share - 1), with
    # share the baseline's part of the discordant texts: bound the share exactly.
    share_upper = _clopper_pearson_upper(only_baseline, discordant) if discordant else 0.5
    pearson_deficit, se = _williams(human, ours, theirs)
    # Identical scores leave no spread to test (se 0): the deficit is the exact difference.
    z = (
        pearson_deficit / se
        if se
        else (0.0 if pearson_deficit == 0 else copysign(inf, pearson_deficit))
    )
    return NonInferiority(
        agreement_deficit=(only_baseline - only_model) / n,
        agreement_deficit_upper=discordant / n * (2 * share_upper - 1),
        agreement_p=mcnemar_one_sided(only_model, only_baseline),
        pearson_deficit=pearson_deficit,
        pearson_deficit_upper=pearson_deficit + CONFIDENCE_Z * se,
        pearson_p=erfc(z / sqrt(2)) / 2,
    )
