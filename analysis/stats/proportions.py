"""Intervals and tests for one binomial proportion.

References
----------
Wilson, E. B. (1927). Probable inference, the law of succession, and
statistical inference. JASA, 22, 209-212.
Clopper, C. J., & Pearson, E. S. (1934). The use of confidence or fiducial
limits illustrated in the case of the binomial. Biometrika, 26, 404-413.
"""

from __future__ import annotations

import math

from analysis.stats.distributions import beta_quantile, normal_quantile
from analysis.stats.estimate import Estimate, not_estimable


def wilson_interval(successes: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion.

    >>> [round(x, 3) for x in wilson_interval(18, 24)]
    [0.551, 0.88]
    """
    if n <= 0:
        return (math.nan, math.nan)
    z = float(normal_quantile(1 - alpha / 2))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # At k = 0 and k = n the bound is exactly 0 or 1; rounding must not exclude the estimate.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return (low, high)


def clopper_pearson(successes: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval for a binomial proportion."""
    lo = 0.0 if successes == 0 else beta_quantile(alpha / 2, successes, n - successes + 1)
    hi = 1.0 if successes == n else beta_quantile(1 - alpha / 2, successes + 1, n - successes)
    return (float(lo), float(hi))


def proportion(successes: int, n: int, alpha: float = 0.05, null: float | None = None,
               alternative: str = "greater", method: str = "wilson") -> Estimate:
    """A proportion with a Wilson (or exact) interval and an exact binomial test.

    Parameters
    ----------
    successes, n
        Count and denominator.
    null
        Null proportion for :func:`scipy.stats.binomtest`; no test if None.
    alternative
        ``'greater'``, ``'less'`` or ``'two-sided'``.
    method
        ``'wilson'`` or ``'exact'`` (Clopper-Pearson).
    """
    if n == 0:
        return not_estimable(f"proportion ({method})", "no observations")
    lo, hi = (wilson_interval if method == "wilson" else clopper_pearson)(successes, n, alpha)
    p = None
    if null is not None:
        from scipy import stats

        p = float(stats.binomtest(int(successes), int(n), null, alternative=alternative).pvalue)
    label = "Wilson interval" if method == "wilson" else "Clopper-Pearson interval"
    if null is not None:
        label += f", exact binomial test against {null:g} ({alternative})"
    return Estimate(successes / n, lo, hi, p, label,
                    extra={"successes": int(successes), "n": int(n)})


def newcombe_difference(k1: int, n1: int, k0: int, n0: int, alpha: float = 0.05
                        ) -> tuple[float, float, float]:
    """Difference of two proportions ``k1/n1 - k0/n0`` with Newcombe's hybrid score interval.

    Newcombe (1998, Statistics in Medicine 17, 873-890), method 10: the
    interval is built from the two Wilson intervals (l1, u1) and (l0, u0) as
    ``d - sqrt((p1 - l1)^2 + (u0 - p0)^2)`` to ``d + sqrt((u1 - p1)^2 + (p0 - l0)^2)``.
    It stays inside [-1, 1] and is defined when a group has all or none of
    the outcome, where odds ratios are 0 or infinite.
    """
    if n1 <= 0 or n0 <= 0:
        raise ValueError("both groups need at least one member")
    p1, p0 = k1 / n1, k0 / n0
    l1, u1 = wilson_interval(k1, n1, alpha)
    l0, u0 = wilson_interval(k0, n0, alpha)
    d = p1 - p0
    return d, d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2), d + math.sqrt(
        (u1 - p1) ** 2 + (p0 - l0) ** 2)
