"""Intervals and tests for one binomial proportion, and for a difference of two.

Every interval is statsmodels' (:mod:`statsmodels.stats.proportion`) and every
test scipy's; :mod:`analysis.stats.batched` has their batched twins.

References
----------
Wilson, E. B. (1927). Probable inference, the law of succession, and
statistical inference. JASA, 22, 209-212.
Clopper, C. J., & Pearson, E. S. (1934). The use of confidence or fiducial
limits illustrated in the case of the binomial. Biometrika, 26, 404-413.
Newcombe, R. G. (1998). Interval estimation for the difference between
independent proportions: comparison of eleven methods. Statistics in
Medicine, 17, 873-890.
"""

from __future__ import annotations

import math

from analysis.stats.estimate import Estimate, not_estimable


def wilson_interval(successes: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (statsmodels ``method="wilson"``).

    statsmodels' arithmetic leaves the bound at k = 0 or k = n a rounding
    error away from 0 or 1 (2.8e-17, 0.9999999999999999), outside the
    estimate; the interval is widened to hold its estimate, so those bounds
    are exactly 0 and 1.

    >>> [round(x, 3) for x in wilson_interval(18, 24)]
    [0.551, 0.88]
    """
    if n <= 0:
        return (math.nan, math.nan)
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(successes, n, alpha, method="wilson")
    share = successes / n
    return (min(float(low), share), max(float(high), share))


def clopper_pearson(successes: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval for a binomial proportion (statsmodels ``"beta"``)."""
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(successes, n, alpha, method="beta")
    return (float(low), float(high))


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

    statsmodels' ``confint_proportions_2indep(method="newcomb")``: Newcombe's
    (1998) method 10, built from the two Wilson intervals. It stays inside
    [-1, 1] and is defined when a group has all or none of the outcome, where
    odds ratios are 0 or infinite. Returns (difference, low, high).
    """
    if n1 <= 0 or n0 <= 0:
        raise ValueError("both groups need at least one member")
    from statsmodels.stats.proportion import confint_proportions_2indep

    low, high = confint_proportions_2indep(k1, n1, k0, n0, method="newcomb", compare="diff",
                                           alpha=alpha)
    return k1 / n1 - k0 / n0, float(low), float(high)
