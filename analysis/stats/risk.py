"""Risk differences between two groups of clusters.

References
----------
Donner, A., & Klar, N. (2000). Design and analysis of cluster randomization
trials in health research (ratio estimator of a proportion with clustering).
"""

from __future__ import annotations

import math

import numpy as np

from analysis.stats.distributions import t_quantile, t_sf
from analysis.stats.estimate import Estimate, not_estimable
from analysis.stats.minimums import MIN_CLUSTERS_PER_GROUP


def cluster_risk_difference(y: np.ndarray, exposed: np.ndarray, clusters: np.ndarray,
                            alpha: float = 0.05) -> Estimate:
    """Risk difference between two groups of clusters, with a cluster-robust interval.

    Each group's risk is the ratio estimator ``sum(y) / n`` over its contacts;
    its variance is the linearised cluster variance
    ``G / (G - 1) * sum_i (y_i - p m_i)^2 / n^2`` over the group's G clusters
    (``y_i`` events and ``m_i`` contacts of cluster i). Exposure is constant
    within a cluster (for example the survivor's race), so the two groups'
    variances add. The interval and two-sided p-value use a t distribution with
    (number of clusters - 2) degrees of freedom.

    Returns the difference exposed minus unexposed.

    Hand-written: statsmodels' cluster-robust linear model gives the same
    difference (the coefficient of the exposure) but one small-sample factor
    for all clusters; this ratio estimator corrects each group by its own
    G / (G - 1) (Donner & Klar, 2000). The batched twin is
    :func:`analysis.stats.batched.cluster_risk_difference`.
    """
    y = np.asarray(y, dtype=float)
    exposed = np.asarray(exposed, dtype=bool)
    clusters = np.asarray(clusters)
    method = ("risk difference, ratio estimator with cluster-robust (linearised) variance, "
              "t interval")
    _, cluster_index = np.unique(clusters, return_inverse=True)
    events = np.bincount(cluster_index, weights=y)
    sizes = np.bincount(cluster_index).astype(float)
    cluster_exposed = np.bincount(cluster_index, weights=exposed.astype(float)) > 0
    if np.any((np.bincount(cluster_index, weights=exposed.astype(float)) > 0)
              & (np.bincount(cluster_index, weights=exposed.astype(float)) < sizes)):
        return not_estimable(method, "exposure varies within a cluster")
    parts = []
    for group in (True, False):
        e, m = events[cluster_exposed == group], sizes[cluster_exposed == group]
        if e.size < MIN_CLUSTERS_PER_GROUP:
            return not_estimable(method, f"fewer than {MIN_CLUSTERS_PER_GROUP} survivors "
                                         "in a group")
        p = e.sum() / m.sum()
        var = e.size / (e.size - 1) * np.sum((e - p * m) ** 2) / m.sum() ** 2
        parts.append((p, var, e.size))
    (p1, v1, g1), (p0, v0, g0) = parts
    rd = p1 - p0
    se = math.sqrt(v1 + v0)
    df = g1 + g0 - 2
    extra = {"risk_exposed": float(p1), "risk_unexposed": float(p0), "clusters_exposed": int(g1),
             "clusters_unexposed": int(g0)}
    if se == 0:
        return Estimate(float(rd), float(rd), float(rd), None, method, estimable=True,
                        reason="no variation within groups; interval has zero width", extra=extra)
    t = float(t_quantile(1 - alpha / 2, df))
    p_value = float(2 * t_sf(abs(rd / se), df))
    return Estimate(float(rd), float(rd - t * se), float(rd + t * se), p_value, method,
                    extra=extra)
