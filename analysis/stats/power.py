"""What a comparison of two small groups can detect."""

from __future__ import annotations

import math
from typing import Any

from analysis.stats.limits import MIN_GROUP_SIZE


def minimum_detectable_difference(n1: int, n0: int, alpha: float = 0.05, power: float = 0.8,
                                  baseline: float = 0.5) -> dict[str, Any]:
    """Smallest difference in proportions two groups of n1 and n0 can detect.

    Uses :class:`statsmodels.stats.power.NormalIndPower` to solve for Cohen's h
    at the given power (two-sided), then converts h to the proportion it moves
    ``baseline`` to and to the corresponding odds ratio.

    Returns
    -------
    dict
        ``cohens_h``, ``detectable_proportion``, ``detectable_difference`` and
        ``detectable_odds_ratio`` with the inputs, and ``estimable``/``reason``.
        When a group has fewer than :data:`MIN_GROUP_SIZE` members, or when even
        a move from ``baseline`` to 0 or 1 does not reach ``power`` (Cohen's h is
        larger than the largest h a proportion can move from ``baseline``), the
        detectable quantities are ``None`` and ``reason`` says why; no value is
        ever infinite.
    """
    out: dict[str, Any] = {"cohens_h": None, "baseline": baseline, "detectable_proportion": None,
                           "detectable_difference": None, "detectable_odds_ratio": None,
                           "n1": n1, "n0": n0, "power": power, "alpha": alpha,
                           "estimable": False, "reason": ""}
    if min(n1, n0) < MIN_GROUP_SIZE:
        out["reason"] = (f"groups of {n1} and {n0}: a comparison needs at least "
                         f"{MIN_GROUP_SIZE} in each group")
        return out
    from statsmodels.stats.power import NormalIndPower

    h = float(NormalIndPower().solve_power(effect_size=None, nobs1=n1, ratio=n0 / n1,
                                            alpha=alpha, power=power, alternative="two-sided"))
    out["cohens_h"] = h
    phi = 2 * math.asin(math.sqrt(baseline)) + h
    p1 = math.sin(min(phi, math.pi) / 2) ** 2
    if phi >= math.pi or p1 >= 1:
        out["reason"] = (f"with groups of {n1} and {n0} no difference from {baseline:g} reaches "
                         f"power {power:g} (Cohen's h {h:.2f} is beyond the largest possible, "
                         f"{math.pi - 2 * math.asin(math.sqrt(baseline)):.2f})")
        return out
    out.update(detectable_proportion=p1, detectable_difference=p1 - baseline,
               detectable_odds_ratio=(p1 / (1 - p1)) / (baseline / (1 - baseline)),
               estimable=True)
    return out
