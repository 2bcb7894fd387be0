"""Exact tests (scipy) and Holm's multiplicity adjustment (statsmodels).

References
----------
Holm, S. (1979). A simple sequentially rejective multiple test procedure.
Scand. J. Statist., 6, 65-70.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from analysis.stats.estimate import Estimate, not_estimable
from analysis.stats.proportions import clopper_pearson


def fisher_p_value(table: np.ndarray) -> float:
    """Two-sided p-value of Fisher's exact test; 1 when a margin is empty (nothing to compare)."""
    from scipy import stats

    table = np.asarray(table, dtype=np.int64)
    if table.sum(axis=1).min() == 0 or table.sum(axis=0).min() == 0:
        return 1.0
    return float(stats.fisher_exact(table).pvalue)


def two_by_two(outcome: np.ndarray, exposure: np.ndarray) -> np.ndarray:
    """The 2x2 table ``[[exp & out, exp & ~out], [~exp & out, ~exp & ~out]]``."""
    y = np.asarray(outcome, dtype=bool)
    x = np.asarray(exposure, dtype=bool)
    return np.array([[np.sum(x & y), np.sum(x & ~y)], [np.sum(~x & y), np.sum(~x & ~y)]])


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm-adjusted p-values (statsmodels' ``multipletests``); ``None`` entries are skipped.

    Holm (1979): step-down over the p-values present, each multiplied by the
    number not yet passed, running maxima capped at 1.
    """
    from statsmodels.stats.multitest import multipletests

    present = [i for i, p in enumerate(p_values) if p is not None]
    adjusted: list[float | None] = [None] * len(p_values)
    if present:
        values = multipletests([float(p_values[i]) for i in present], method="holm")[1]
        for i, value in zip(present, values, strict=True):
            adjusted[i] = float(value)
    return adjusted


def sign_test(positive: int, negative: int, alpha: float = 0.05) -> Estimate:
    """Exact sign test: the share of positive among the non-tied pairs, against 1/2.

    The estimate is ``positive / (positive + negative)`` with its
    Clopper-Pearson interval (level ``1 - alpha``); the p-value is the exact
    two-sided binomial test against 1/2 (:func:`scipy.stats.binomtest`). Used
    for within-survivor comparisons: each survivor with both kinds of contacts
    contributes one sign.
    """
    n = int(positive) + int(negative)
    method = "exact sign test over survivors (Clopper-Pearson interval)"
    if n == 0:
        return not_estimable(method, "no survivor has contacts of both kinds with a difference",
                             positive=0, negative=0)
    lo, hi = clopper_pearson(int(positive), n, alpha)
    from scipy import stats

    p = float(stats.binomtest(int(positive), n, 0.5, alternative="two-sided").pvalue)
    return Estimate(positive / n, lo, hi, p, method,
                    extra={"positive": int(positive), "negative": int(negative)})
