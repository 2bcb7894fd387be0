"""Intercoder agreement: Cohen's kappa, Gwet's AC1, their pooled forms, a cluster
bootstrap, Krippendorff's alpha and descriptive bands.

Every coefficient here is computed from counts a reader can check: for one code, the
2 x 2 table of the coders' decisions on the coded segments (excerpts), kept as four
numbers in the order ``(both, a_only, b_only, neither)``: both coders applied the code
to the excerpt, only coder A, only coder B, neither.

Which library computes what
---------------------------
* Cohen's kappa: statsmodels (``statsmodels.stats.inter_rater.cohens_kappa``);
  :func:`binary_coefficients` is its vectorised twin for many tables at once (the
  bootstrap evaluates thousands), tested against it.
* Gwet's AC1 is written here. statsmodels has no AC1, and the Python port of Gwet's
  ``irrCAC`` (0.4.4) cannot join this environment: it pins ``scipy==1.12.0`` and
  ``pandas<3`` and installs ``coverage`` at run time; its intervals are also Wald
  intervals cut at 1. The formula is one line (Gwet, 2008); the tests check it
  against a table worked by hand and against the value irrCAC documents for its
  ``cont3x3abstractors`` table.
* The intervals are percentile bootstrap intervals over clusters (survivors), written
  here because ``scipy.stats.bootstrap`` resamples observations, not clusters, and
  cannot drop the resamples in which a coefficient is undefined. Every resampled value
  lies in [-1, 1], so the intervals do too: no interval is cut at a bound.
* Krippendorff's alpha: the ``krippendorff`` package.

References
----------
Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and
Psychological Measurement, 20, 37-46.
Gwet, K. L. (2008). Computing inter-rater reliability and its variance in the presence
of high agreement. British Journal of Mathematical and Statistical Psychology, 61, 29-48.
de Vries, H., Elliott, M. N., Kanouse, D. E., & Teleki, S. S. (2008). Using pooled kappa
to summarize interrater agreement across many items. Field Methods, 20, 272-282.
Efron, B., & Tibshirani, R. J. (1993). An introduction to the bootstrap.
Krippendorff, K. (2004). Content analysis: An introduction to its methodology.
Landis, J. R., & Koch, G. G. (1977). The measurement of observer agreement for
categorical data. Biometrics, 33, 159-174 (the descriptive bands used below).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The order of the four counts of a 2 x 2 agreement table, everywhere in this module.
CELLS: tuple[str, ...] = ("both", "a_only", "b_only", "neither")


def cohen_kappa(table: np.ndarray) -> float:
    """Cohen's kappa of a square agreement table (statsmodels' ``cohens_kappa``)."""
    from statsmodels.stats.inter_rater import cohens_kappa

    return float(cohens_kappa(np.asarray(table), return_results=False))


def gwet_ac1(table: np.ndarray) -> float:
    """Gwet's AC1 of a square q x q agreement table (rows coder A, columns coder B).

    AC1 = (pa - pe) / (1 - pe), with pa the share of units on the diagonal and chance
    agreement pe = sum_k pi_k (1 - pi_k) / (q - 1), where pi_k is the mean of the two
    coders' shares of category k (Gwet, 2008). Unlike kappa's, this chance agreement is
    small when one category dominates, so a code applied to nearly every unit (or
    nearly none) does not drive AC1 towards 0 at high agreement. Written here: see the
    module docstring for why no library computes it.

    >>> round(gwet_ac1(np.array([[13, 0, 0], [0, 20, 7], [0, 4, 56]])), 5)
    0.84933
    """
    table = np.asarray(table, dtype=float)
    q = table.shape[0]
    if table.ndim != 2 or table.shape[1] != q or q < 2:
        raise ValueError(f"AC1 needs a square table of at least 2 x 2; got shape {table.shape}")
    n = table.sum()
    pa = np.trace(table) / n
    pi = (table.sum(axis=1) + table.sum(axis=0)) / (2 * n)
    pe = float(np.sum(pi * (1 - pi)) / (q - 1))
    return float((pa - pe) / (1 - pe))


def two_by_two(counts: np.ndarray) -> np.ndarray:
    """The 2 x 2 table (rows coder A yes/no, columns coder B yes/no) of four counts."""
    both, a_only, b_only, neither = np.asarray(counts)
    return np.array([[both, a_only], [b_only, neither]])


@dataclass(frozen=True)
class Coefficients:
    """Observed agreement, Cohen's kappa and Gwet's AC1 of one or many 2 x 2 tables.

    Arrays of the shape of the tables' leading axes; kappa is NaN where it is
    undefined (chance agreement 1: both coders made one decision on every unit).
    """

    agreement: np.ndarray
    kappa: np.ndarray
    ac1: np.ndarray


def _chance(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed agreement and the chance agreement of kappa and of AC1, per table."""
    counts = np.asarray(counts, dtype=float)
    both, a_only, b_only, neither = np.moveaxis(counts, -1, 0)
    total = both + a_only + b_only + neither
    with np.errstate(invalid="ignore", divide="ignore"):
        p_a, p_b = (both + a_only) / total, (both + b_only) / total
        observed = (both + neither) / total
    kappa_chance = p_a * p_b + (1 - p_a) * (1 - p_b)
    pi = (p_a + p_b) / 2
    ac1_chance = 2 * pi * (1 - pi)
    return observed, kappa_chance, ac1_chance


def _coefficient(observed: np.ndarray, chance: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        value = (observed - chance) / (1 - chance)
    # chance agreement 1 leaves the coefficient undefined (0/0), never +-inf
    return np.where(np.isclose(chance, 1.0, rtol=0, atol=1e-12), np.nan, value)


def binary_coefficients(counts: np.ndarray) -> Coefficients:
    """Agreement, kappa and AC1 of 2 x 2 tables given as counts ``(..., 4)`` (see CELLS).

    >>> c = binary_coefficients(np.array([21, 3, 0, 0]))   # A: 24 of 24, B: 21 of 24
    >>> float(c.agreement), float(c.kappa), round(float(c.ac1), 4)
    (0.875, 0.0, 0.8584)
    """
    observed, kappa_chance, ac1_chance = _chance(counts)
    return Coefficients(agreement=observed, kappa=_coefficient(observed, kappa_chance),
                        ac1=_coefficient(observed, ac1_chance))


def pooled_coefficients(counts: np.ndarray) -> Coefficients:
    """Pooled agreement, kappa and AC1 over the codes (axis -2) of ``(..., codes, 4)``.

    The pooled kappa of de Vries et al. (2008): the mean over codes of observed
    agreement and the mean of chance agreement, each code's chance agreement from
    that code's own margins, combined as (mean po - mean pe) / (1 - mean pe). The
    pooled AC1 is built the same way from AC1's chance agreement (our extension; it
    is not in de Vries et al.). Unlike kappa computed from one table of all decisions,
    this keeps chance agreement per code, whose prevalences differ.
    """
    observed, kappa_chance, ac1_chance = _chance(counts)
    mean_observed = observed.mean(axis=-1)
    return Coefficients(agreement=mean_observed,
                        kappa=_coefficient(mean_observed, kappa_chance.mean(axis=-1)),
                        ac1=_coefficient(mean_observed, ac1_chance.mean(axis=-1)))


@dataclass(frozen=True)
class BootstrapIntervals:
    """Percentile intervals of kappa and AC1, per code and pooled.

    ``kappa`` and ``ac1``: codes x 2 (low, high); ``pooled_kappa`` and
    ``pooled_ac1``: (low, high). NaN where no resample defines the coefficient.
    ``defined_kappa``: per code, the number of resamples in which kappa is defined
    (AC1 is defined in every resample).
    """

    kappa: np.ndarray
    ac1: np.ndarray
    pooled_kappa: np.ndarray
    pooled_ac1: np.ndarray
    defined_kappa: np.ndarray
    reps: int


def _percentile(values: np.ndarray, alpha: float) -> np.ndarray:
    """The alpha/2 and 1 - alpha/2 quantiles over axis 0, ignoring undefined resamples."""
    values = np.asarray(values, dtype=float)
    out = np.full((2,) + values.shape[1:], np.nan)
    defined = ~np.isnan(values)
    for index in np.ndindex(values.shape[1:]):
        column = values[(slice(None), *index)][defined[(slice(None), *index)]]
        if column.size:
            out[(slice(None), *index)] = np.quantile(column, [alpha / 2, 1 - alpha / 2])
    return out


def resample_weights(clusters: int, reps: int, seed: int) -> np.ndarray:
    """How often each cluster is drawn in each resample: reps x clusters.

    Resample r draws ``clusters`` cluster indices with replacement,
    ``default_rng(seed).integers(0, clusters, (reps, clusters))[r]``, and counts them,
    so a plain loop over the same indices reproduces every resample exactly.
    """
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, clusters, size=(reps, clusters))
    offsets = (np.arange(reps) * clusters)[:, None]
    return np.bincount((draws + offsets).ravel(), minlength=reps * clusters).reshape(
        reps, clusters).astype(float)


def cluster_bootstrap(counts: np.ndarray, reps: int, seed: int,
                      alpha: float = 0.05) -> BootstrapIntervals:
    """Percentile bootstrap intervals of per-code and pooled kappa and AC1, over clusters.

    Parameters
    ----------
    counts
        Clusters x codes x 4: each cluster's (survivor's) counts of excerpt decisions
        per code, in the order of :data:`CELLS`.
    reps, seed
        Number of resamples and the seed of their generator (from the configuration).
    alpha
        The intervals span the alpha/2 to 1 - alpha/2 quantiles.

    Notes
    -----
    One survivor's excerpts share her record, and the second coder's decisions on
    them are not independent, so whole survivors are resampled (Efron & Tibshirani,
    1993), with all their excerpts. Resamples in which a code's kappa is undefined
    (no excerpt of the resample has the code for either coder) are left out of that
    code's kappa interval; the count of those kept is ``defined_kappa``.
    """
    counts = np.asarray(counts, dtype=float)
    weights = resample_weights(counts.shape[0], reps, seed)
    resampled = np.einsum("rs,sck->rck", weights, counts)
    per_code = binary_coefficients(resampled)
    pooled = pooled_coefficients(resampled)
    return BootstrapIntervals(
        kappa=_percentile(per_code.kappa, alpha).T,
        ac1=_percentile(per_code.ac1, alpha).T,
        pooled_kappa=_percentile(pooled.kappa, alpha),
        pooled_ac1=_percentile(pooled.ac1, alpha),
        defined_kappa=(~np.isnan(per_code.kappa)).sum(axis=0),
        reps=reps)


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
