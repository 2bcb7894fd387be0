"""Intercoder agreement: Cohen's kappa, Krippendorff's alpha, descriptive bands.

References
----------
Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational
and Psychological Measurement, 20, 37-46.
Krippendorff, K. (2004). Content analysis: An introduction to its methodology.
Landis, J. R., & Koch, G. G. (1977). The measurement of observer agreement for
categorical data. Biometrics, 33, 159-174 (the descriptive bands used below).
"""

from __future__ import annotations

import numpy as np


def cohen_kappa(table: np.ndarray) -> float:
    """Cohen's kappa of a square agreement table (statsmodels' ``cohens_kappa``)."""
    from statsmodels.stats.inter_rater import cohens_kappa

    return float(cohens_kappa(np.asarray(table), return_results=False))


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
    from the two prevalences.
    """
    b = prevalence * (1 - rate) + (1 - prevalence) * rate
    chance = prevalence * b + (1 - prevalence) * (1 - b)
    return float((1 - rate - chance) / (1 - chance)) if chance < 1 else float("nan")
