"""What an exact comparison of two small groups of survivors can detect."""

from __future__ import annotations

import functools

import numpy as np


def fisher_power(n1: int, n0: int, p1: float, p0: float, alpha: float = 0.05) -> float:
    """Exact power of the two-sided Fisher test comparing two groups of n1 and n0 survivors.

    The sum, over every table the two binomials can produce, of its
    probability when the group shares are p1 and p0, for the tables Fisher's
    exact test rejects at ``alpha`` (enumerated, no approximation).
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
                            alpha: float = 0.05) -> dict[str, float]:
    """The first group's share an exact Fisher test detects against ``baseline`` with ``power``.

    Bisection on the first group's share above ``baseline`` (power rises
    with it); ``detectable_proportion`` is 1 with ``reached`` False when even a
    share of 1 does not give that power.
    """
    if n1 < 1 or n0 < 1:
        raise ValueError(f"both groups need at least one survivor (got {n1} and {n0})")
    top = fisher_power(n1, n0, 1.0, baseline, alpha)
    reached = top >= power
    lo, hi = baseline, 1.0
    if reached:
        for _ in range(40):
            mid = (lo + hi) / 2
            if fisher_power(n1, n0, mid, baseline, alpha) >= power:
                hi = mid
            else:
                lo = mid
    p1 = hi
    # No finite odds ratio when only a share of 1 would do: None (JSON has no infinity).
    odds_ratio = (p1 / (1 - p1)) / (baseline / (1 - baseline)) if p1 < 1 else None
    return {"n1": int(n1), "n0": int(n0), "baseline": baseline, "power": power, "alpha": alpha,
            "detectable_proportion": p1, "detectable_difference": p1 - baseline,
            "detectable_odds_ratio": odds_ratio, "reached": bool(reached),
            "power_at_one": top, "method": "exact Fisher test, enumerated"}
