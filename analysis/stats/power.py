"""What an exact comparison of two small groups of survivors can detect."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from analysis.stats.minimums import MIN_GROUP_SIZE


def fisher_power(n1: int, n0: int, p1: float, p0: float, alpha: float = 0.05) -> float:
    """Exact power of the two-sided Fisher test comparing two groups of n1 and n0 survivors.

    The sum, over every table the two binomials can produce, of its
    probability when the group shares are p1 and p0, for the tables Fisher's
    exact test rejects at ``alpha`` (enumerated, no approximation).

    Hand-written: statsmodels' power tools approximate two-proportion tests
    with the normal distribution; none enumerates Fisher's exact test, whose
    power at two dozen survivors is far from the normal approximation.
    """
    from scipy import stats

    pa = stats.binom.pmf(np.arange(n1 + 1), n1, p1)
    pc = stats.binom.pmf(np.arange(n0 + 1), n0, p0)
    return float(pa @ _rejections(n1, n0, alpha) @ pc)


@functools.lru_cache(maxsize=64)
def _rejections(n1: int, n0: int, alpha: float) -> np.ndarray:
    """Which tables (i of n1, j of n0 with the outcome) the two-sided Fisher test rejects."""
    from analysis.stats.batched import fisher_two_sided

    i, j = np.meshgrid(np.arange(n1 + 1), np.arange(n0 + 1), indexing="ij")
    p = fisher_two_sided(i.ravel(), n1 - i.ravel(), j.ravel(), n0 - j.ravel())
    return (p < alpha).astype(float).reshape(n1 + 1, n0 + 1)


def fisher_detectable_share(n1: int, n0: int, baseline: float = 0.5, power: float = 0.8,
                            alpha: float = 0.05) -> dict[str, Any]:
    """The first group's share an exact Fisher test detects against ``baseline`` with ``power``.

    Bisection on the first group's share above ``baseline`` (power rises
    with it). ``estimable`` is False, with the ``reason``, when a group has
    fewer than :data:`~analysis.stats.minimums.MIN_GROUP_SIZE` survivors or when
    even a share of 1 does not reach ``power`` (``reached`` False; the power
    at a share of 1 is still given). Nothing is ever infinite: a quantity that
    does not exist is None.
    """
    out: dict[str, Any] = {"n1": int(n1), "n0": int(n0), "baseline": baseline, "power": power,
                           "alpha": alpha, "detectable_proportion": None,
                           "detectable_difference": None, "detectable_odds_ratio": None,
                           "reached": False, "power_at_one": None, "estimable": False,
                           "reason": "", "method": "exact Fisher test, enumerated"}
    if min(n1, n0) < MIN_GROUP_SIZE:
        out["reason"] = (f"groups of {n1} and {n0}: a comparison needs at least "
                         f"{MIN_GROUP_SIZE} in each group")
        return out
    top = fisher_power(n1, n0, 1.0, baseline, alpha)
    out["power_at_one"] = top
    if top < power:
        out["reason"] = (f"with groups of {n1} and {n0} no share reaches power {power:g} against "
                         f"{baseline:g} (power {top:.2f} even at a share of 1)")
        return out
    lo, hi = baseline, 1.0
    for _ in range(40):
        mid = (lo + hi) / 2
        if fisher_power(n1, n0, mid, baseline, alpha) >= power:
            hi = mid
        else:
            lo = mid
    p1 = hi
    # No finite odds ratio when only a share of 1 would do: None (JSON has no infinity).
    odds_ratio = (p1 / (1 - p1)) / (baseline / (1 - baseline)) if p1 < 1 else None
    out.update(detectable_proportion=p1, detectable_difference=p1 - baseline,
               detectable_odds_ratio=odds_ratio, reached=True, estimable=True)
    return out
