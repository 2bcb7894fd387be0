"""Exact tests on 2x2 tables and Holm's multiplicity adjustment.

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


def fisher_exact_2x2(table: np.ndarray, alternative: str = "two-sided",
                     alpha: float = 0.05) -> Estimate:
    """Fisher's exact test on a 2x2 table ``[[a, b], [c, d]]`` (rows: exposure 1, 0).

    The estimate is the conditional maximum-likelihood odds ratio and the
    interval its exact conditional interval, both from
    :func:`scipy.stats.contingency.odds_ratio` (``kind="conditional"``); it
    differs from the sample odds ratio ``(a d) / (b c)`` in small tables.
    The interval's level is ``1 - alpha``.
    """
    from scipy import stats

    table = np.asarray(table, dtype=np.int64)
    if table.sum(axis=1).min() == 0 or table.sum(axis=0).min() == 0:
        return not_estimable("Fisher exact test", "a row or column of the 2x2 table is empty")
    res = stats.fisher_exact(table, alternative=alternative)
    odds = stats.contingency.odds_ratio(table, kind="conditional")
    ci = odds.confidence_interval(1 - alpha)
    estimate = float(odds.statistic)
    if not np.isfinite(estimate) or estimate == 0:
        return Estimate(None, float(ci.low), float(ci.high), float(res.pvalue),
                        "Fisher exact test (conditional odds ratio)", estimable=False,
                        reason="a cell of the 2x2 table is zero, so the odds ratio is 0 or "
                               "infinite")
    return Estimate(estimate, float(ci.low), float(ci.high), float(res.pvalue),
                    "Fisher exact test (conditional odds ratio)")


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
    """Holm-adjusted p-values; ``None`` entries are skipped and returned as ``None``.

    Step-down: sort the m p-values, multiply the i-th smallest by (m - i + 1),
    take running maxima and cap at 1 (Holm, 1979). Written out because
    statsmodels' ``multipletests`` runs a garbage collection on every call,
    which dominates the robustness loop; the test suite checks the two agree.
    """
    present = [i for i, p in enumerate(p_values) if p is not None]
    adjusted: list[float | None] = [None] * len(p_values)
    order = sorted(present, key=lambda i: p_values[i])
    m = len(order)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * float(p_values[i])))
        adjusted[i] = running
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
