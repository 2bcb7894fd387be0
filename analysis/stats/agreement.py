"""Intercoder agreement: Cohen's kappa, Krippendorff's alpha, descriptive bands.

References
----------
Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational
and Psychological Measurement, 20, 37-46.
Fleiss, J. L., Cohen, J., & Everitt, B. S. (1969). Large sample standard
errors of kappa and weighted kappa. Psychological Bulletin, 72, 323-327 (the
asymptotic standard error statsmodels reports, used for per-code intervals).
Efron, B., & Tibshirani, R. J. (1993). An introduction to the bootstrap
(the percentile interval used for the pooled kappa).
Krippendorff, K. (2004). Content analysis: An introduction to its methodology.
Landis, J. R., & Koch, G. G. (1977). The measurement of observer agreement for
categorical data. Biometrics, 33, 159-174 (the descriptive bands used below).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.stats.distributions import normal_quantile


def cohen_kappa(table: np.ndarray) -> float:
    """Cohen's kappa of a square agreement table (statsmodels' ``cohens_kappa``)."""
    from statsmodels.stats.inter_rater import cohens_kappa

    return float(cohens_kappa(np.asarray(table), return_results=False))


@dataclass(frozen=True)
class KappaInterval:
    """Cohen's kappa with its asymptotic standard error and confidence interval.

    ``se``, ``low`` and ``high`` are None, with ``reason`` saying why, where
    the large-sample standard error degenerates to zero: when either coder
    made the same decision for every case (kappa is then 0 by construction)
    or the coders agree perfectly.
    """

    kappa: float
    se: float | None
    low: float | None
    high: float | None
    reason: str = ""


def cohen_kappa_interval(table: np.ndarray, alpha: float = 0.05) -> KappaInterval:
    """Cohen's kappa of a 2 x 2 agreement table with a Wald interval.

    The standard error is the large-sample one of Fleiss, Cohen & Everitt
    (1969), ``std_kappa`` of statsmodels' ``cohens_kappa``; the interval is
    kappa -/+ z(1 - alpha/2) SE, clipped to [-1, 1]. Cases are independent
    within one code, which this interval assumes.

    >>> round(cohen_kappa_interval(np.array([[10, 2], [3, 9]])).low, 4)
    0.2595
    """
    from statsmodels.stats.inter_rater import cohens_kappa

    table = np.asarray(table, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):  # the null SE of a degenerate table
        result = cohens_kappa(table, return_results=True)
    kappa = float(result["kappa"])
    rows, cols = table.sum(axis=1), table.sum(axis=0)
    if (rows == 0).any() or (cols == 0).any():
        return KappaInterval(kappa, None, None, None,
                             "no interval: one coder made the same decision for every case")
    se = float(result["std_kappa"])
    if not np.isfinite(se) or se <= 1e-12:
        return KappaInterval(kappa, None, None, None,
                             "no interval: the coders agree on every case")
    z = float(normal_quantile(1 - alpha / 2))
    return KappaInterval(kappa, se, max(-1.0, kappa - z * se), min(1.0, kappa + z * se))


def bootstrap_pooled_kappa(per_case: np.ndarray, alpha: float = 0.05, reps: int = 2000,
                           seed: int = 0) -> tuple[float | None, float | None]:
    """Percentile bootstrap interval of the pooled kappa, resampling cases.

    Parameters
    ----------
    per_case
        Cases x 4 counts of each case's case-code decisions: both coders
        applied the code, only A, only B, neither (a case's row sums to the
        number of codes).
    alpha, reps, seed
        Interval level, number of resamples and the seed of their generator.

    Returns
    -------
    low, high
        The alpha/2 and 1 - alpha/2 quantiles of the pooled kappa over the
        resamples in which it is defined (None when none is).

    Notes
    -----
    The decisions of one case are not independent of each other, so the
    pooled kappa's uncertainty comes from resampling whole cases
    (Efron & Tibshirani, 1993), not cells. Hand-written: each resample is a
    vector of case weights, so every resample's pooled kappa is one matrix
    product; :func:`scipy.stats.bootstrap` would call a kappa function once
    per resample on rebuilt tables for the same percentile interval.
    """
    per_case = np.asarray(per_case, dtype=float)
    n = len(per_case)
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(n, np.full(n, 1.0 / n), size=reps).astype(float)
    both, only_a, only_b, neither = (weights @ per_case).T
    total = both + only_a + only_b + neither
    p_a, p_b = (both + only_a) / total, (both + only_b) / total
    observed = (both + neither) / total
    chance = p_a * p_b + (1 - p_a) * (1 - p_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = (observed - chance) / (1 - chance)
    kappa = kappa[np.isfinite(kappa)]
    if not len(kappa):
        return None, None
    low, high = np.quantile(kappa, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def krippendorff_alpha_nominal(first: np.ndarray, second: np.ndarray) -> float:
    """Krippendorff's alpha for two coders' nominal decisions (the ``krippendorff`` package)."""
    import krippendorff

    data = np.vstack([np.asarray(first), np.asarray(second)]).astype(float)
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def kappa_band(kappa: float | None) -> str:
    """Landis & Koch (1977) descriptive band for a kappa value.

    Their bands: below 0 poor, 0.00-0.20 slight, 0.21-0.40 fair, 0.41-0.60
    moderate, 0.61-0.80 substantial, 0.81-1.00 almost perfect (a kappa of
    exactly 0, chance agreement, is "slight").

    >>> kappa_band(-0.01), kappa_band(0.0), kappa_band(0.2), kappa_band(0.81)
    ('poor', 'slight', 'slight', 'almost perfect')
    """
    if kappa is None or not np.isfinite(kappa):
        return "undefined"
    if kappa < 0:
        return "poor"
    for bound, label in ((0.2, "slight"), (0.4, "fair"), (0.6, "moderate"), (0.8, "substantial")):
        if kappa <= bound:
            return label
    return "almost perfect"


def expected_kappa(prevalence: float, rate: float) -> float:
    """Kappa expected when coder B flips coder A's decisions at ``rate``.

    With coder A applying codes to a share ``prevalence`` of case-code cells,
    observed agreement is 1 - rate, coder B's prevalence is
    prevalence (1 - rate) + (1 - prevalence) rate, and chance agreement follows
    from the two prevalences. Hand-written: a property of this package's
    simulated second coder, not a statistic a library offers.
    """
    b = prevalence * (1 - rate) + (1 - prevalence) * rate
    chance = prevalence * b + (1 - prevalence) * (1 - b)
    return float((1 - rate - chance) / (1 - chance)) if chance < 1 else float("nan")
