"""What a comparison of two small groups can detect."""

from __future__ import annotations

import math


def minimum_detectable_difference(n1: int, n0: int, alpha: float = 0.05, power: float = 0.8,
                                  baseline: float = 0.5) -> dict[str, float]:
    """Smallest difference in proportions two groups of n1 and n0 can detect.

    Uses :class:`statsmodels.stats.power.NormalIndPower` to solve for Cohen's h
    at the given power (two-sided), then converts h to the proportion it moves
    ``baseline`` to and to the corresponding odds ratio.
    """
    from statsmodels.stats.power import NormalIndPower

    h = float(NormalIndPower().solve_power(effect_size=None, nobs1=n1, ratio=n0 / n1,
                                            alpha=alpha, power=power, alternative="two-sided"))
    phi = 2 * math.asin(math.sqrt(baseline)) + h
    p1 = math.sin(min(phi, math.pi) / 2) ** 2
    odds_ratio = (p1 / (1 - p1)) / (baseline / (1 - baseline)) if p1 < 1 else math.inf
    return {"cohens_h": h, "baseline": baseline, "detectable_proportion": p1,
            "detectable_difference": p1 - baseline, "detectable_odds_ratio": odds_ratio,
            "n1": n1, "n0": n0, "power": power, "alpha": alpha}
