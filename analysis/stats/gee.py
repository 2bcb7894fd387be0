"""Participant-clustered logistic regression by GEE, solved on whole arrays.

References
----------
Liang, K.-Y., & Zeger, S. L. (1986). Longitudinal data analysis using
generalized linear models. Biometrika, 73, 13-22.
Mancl, L. A., & DeRouen, T. A. (2001). A covariance estimator for GEE with
improved small-sample properties. Biometrics, 57, 126-134.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from analysis.stats.distributions import normal_quantile, normal_sf, t_quantile, t_sf
from analysis.stats.estimate import Estimate, not_estimable
from analysis.stats.exact import two_by_two
from analysis.stats.limits import MIN_CLUSTERS, MIN_RESIDUAL_DF


@dataclass(frozen=True)
class ModelFit:
    """A clustered logistic model: one :class:`Estimate` (odds ratio) per term.

    ``terms`` use the requested covariance; ``by_covariance`` holds the same
    terms under every covariance of :data:`COVARIANCES` (one fit, three
    variance estimates), and ``covs`` their matrices.
    """

    terms: dict[str, Estimate]
    n_obs: int
    n_clusters: int
    method: str
    estimable: bool
    reason: str = ""
    params: np.ndarray | None = None
    cov: np.ndarray | None = None
    covariance: str = ""
    by_covariance: dict[str, dict[str, Estimate]] = field(default_factory=dict)
    covs: dict[str, np.ndarray] = field(default_factory=dict)
    rho: float | None = None


#: The covariance estimators of a fit: name -> (description, reference distribution).
COVARIANCES: dict[str, tuple[str, str]] = {
    "sandwich": ("robust (sandwich) covariance", "normal"),
    "scaled": ("sandwich covariance scaled by G/(G-k)", "t"),
    "mancl_derouen": ("bias-reduced sandwich covariance of Mancl and DeRouen", "t"),
}


def _separation_reason(y: np.ndarray, X: np.ndarray, names: Sequence[str]) -> str:
    for j, name in enumerate(names):
        column = X[:, j]
        values = np.unique(column)
        if values.size == 2 and set(values.tolist()) <= {0.0, 1.0}:
            table = two_by_two(y, column)
            if (table == 0).any():
                return f"(quasi-)complete separation: an empty cell in outcome by {name}"
    return ""


def _exchangeable_pieces(X: np.ndarray, y: np.ndarray, beta: np.ndarray, rho: float,
                         cluster: np.ndarray, sizes: np.ndarray):
    """Score, information and per-cluster score contributions of logistic GEE.

    With an exchangeable working correlation R_i = (1 - rho) I + rho J, the
    inverse is R_i^-1 = (I - c_i J) / (1 - rho) with c_i = rho / (1 + (m_i - 1) rho),
    so every cluster's D_i' V_i^-1 D_i and D_i' V_i^-1 (y_i - mu_i) reduce to sums
    over the cluster's rows.
    """
    eta = X @ beta
    mu = 1.0 / (1.0 + np.exp(-eta))
    sd = np.sqrt(np.clip(mu * (1.0 - mu), 1e-12, None))
    xs = X * sd[:, None]                      # A^(1/2) X = A^(-1/2) D
    rs = (y - mu) / sd                        # Pearson residuals
    c = rho / (1.0 + (sizes - 1.0) * rho)     # per cluster
    k = X.shape[1]
    n_groups = sizes.size
    sum_xs = np.zeros((n_groups, k))
    np.add.at(sum_xs, cluster, xs)
    sum_rs = np.bincount(cluster, weights=rs, minlength=n_groups)
    scale = 1.0 / (1.0 - rho)
    info = scale * (xs.T @ xs - (sum_xs * c[:, None]).T @ sum_xs)
    contrib_rows = np.zeros((n_groups, k))
    np.add.at(contrib_rows, cluster, xs * rs[:, None])
    contrib = scale * (contrib_rows - sum_xs * (c * sum_rs)[:, None])
    return contrib.sum(axis=0), info, contrib, rs


def _update_rho(rs: np.ndarray, cluster: np.ndarray, sizes: np.ndarray, k: int) -> float:
    """Moment estimator of the exchangeable correlation, as statsmodels computes it."""
    n = rs.size
    scale = np.sum(rs * rs) / (n - k)
    sums = np.bincount(cluster, weights=rs, minlength=sizes.size)
    sq = np.bincount(cluster, weights=rs * rs, minlength=sizes.size)
    pair_sum = np.sum((sums ** 2 - sq) / 2.0) / scale
    n_pairs = np.sum(sizes * (sizes - 1.0) / 2.0)
    if n_pairs - k <= 0:
        return 0.0
    rho = pair_sum / (n_pairs - k)
    lower = -1.0 / (sizes.max() - 1.0) + 1e-6 if sizes.max() > 1 else -0.99
    return float(np.clip(rho, lower, 0.99))


def fit_gee_exchangeable(y: np.ndarray, X: np.ndarray, groups: np.ndarray,
                         maxiter: int = 60, tol: float = 1e-6) -> tuple[np.ndarray, np.ndarray,
                                                                        float, bool]:
    """Array-based logistic GEE with exchangeable working correlation.

    Follows the algorithm of :class:`statsmodels.genmod.generalized_estimating_equations.GEE`
    (independence GLM start; alternate a Fisher-scoring step for the mean
    parameters with a moment update of the correlation; stop when the score
    norm is below ``tol`` after at least one correlation update) but works on
    whole arrays instead of looping over clusters, which makes it an order of
    magnitude faster for the thousands of small fits of the robustness study.
    ``tests/test_infer.py`` checks it against statsmodels.

    Parameters
    ----------
    y, X, groups
        Outcome (0/1), design matrix *with* intercept column, cluster labels.

    Returns
    -------
    params, cov_robust, rho, converged, bread
        Coefficients, sandwich covariance (no small-sample factor), the
        estimated working correlation, whether the score converged, and the
        model-based covariance (the inverse information, the sandwich's bread).
    """
    _, cluster = np.unique(groups, return_inverse=True)
    sizes = np.bincount(cluster).astype(float)
    k = X.shape[1]
    beta = np.zeros(k)
    # Independence start: IRLS for the ordinary logistic model.
    for _ in range(25):
        score, info, _, _ = _exchangeable_pieces(X, y, beta, 0.0, cluster, sizes)
        step = np.linalg.solve(info, score)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    rho = 0.0
    converged = False
    updates = 0
    for _ in range(maxiter):
        score, info, _, rs = _exchangeable_pieces(X, y, beta, rho, cluster, sizes)
        beta = beta + np.linalg.solve(info, score)
        score, info, _, rs = _exchangeable_pieces(X, y, beta, rho, cluster, sizes)
        if np.sqrt(np.sum(score ** 2)) < tol and updates > 0:
            converged = True
            break
        rho = _update_rho(rs, cluster, sizes, k)
        updates += 1
    score, info, contrib, _ = _exchangeable_pieces(X, y, beta, rho, cluster, sizes)
    bread = np.linalg.inv(info)
    cov = bread @ (contrib.T @ contrib) @ bread
    return beta, cov, rho, converged, bread


def cluster_matrices(X: np.ndarray, beta: np.ndarray, rho: float, cluster: np.ndarray,
                     sizes: np.ndarray):
    """Per-cluster D_i = A_i X_i and V_i = A_i^1/2 R_i A_i^1/2 of logistic GEE (exchangeable).

    Yields ``(rows, D_i, V_i)`` for every cluster in order; used by the
    bias-reduced covariance, which needs whole cluster matrices.
    """
    mu = 1.0 / (1.0 + np.exp(-(X @ beta)))
    var = mu * (1.0 - mu)
    order = np.argsort(cluster, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(sizes.astype(int))])
    for g in range(sizes.size):
        rows = order[bounds[g]:bounds[g + 1]]
        m = rows.size
        sd = np.sqrt(var[rows])
        corr = (1.0 - rho) * np.eye(m) + rho * np.ones((m, m))
        yield rows, X[rows] * var[rows, None], sd[:, None] * corr * sd[None, :], mu[rows]


def mancl_derouen_covariance(X: np.ndarray, y: np.ndarray, beta: np.ndarray, rho: float,
                             cluster: np.ndarray, sizes: np.ndarray,
                             bread: np.ndarray) -> np.ndarray:
    """The bias-reduced sandwich covariance of Mancl and DeRouen (2001).

    ``B^-1 [sum_i D_i' V_i^-1 (I - H_ii)^-1 r_i r_i' (I - H_ii)^-T V_i^-1 D_i] B^-1`` with
    the cluster leverage ``H_ii = D_i B^-1 D_i' V_i^-1`` and ``B^-1`` the model-based
    (naive) covariance ``bread``; statsmodels' GEE ``cov_type="bias_reduced"``
    computes the same (the tests compare the two).
    """
    k = X.shape[1]
    meat = np.zeros((k, k))
    for rows, d, v, mu in cluster_matrices(X, beta, rho, cluster, sizes):
        vinv_d = np.linalg.solve(v, d)
        leverage = (vinv_d @ bread @ d.T).T
        adjusted = np.linalg.solve(np.eye(rows.size) - leverage, y[rows] - mu)
        score = d.T @ np.linalg.solve(v, adjusted)
        meat += np.outer(score, score)
    return bread @ meat @ bread


def gee_logit(y: np.ndarray, X: np.ndarray, groups: np.ndarray, names: Sequence[str],
              alpha: float = 0.05, covariance: str = "mancl_derouen") -> ModelFit:
    """Participant-clustered logistic regression by GEE with exchangeable correlation.

    Parameters
    ----------
    y
        0/1 outcome per incident.
    X
        Design matrix *without* intercept (one column per term in ``names``).
    groups
        Cluster (participant) label per row.
    names
        Term names, one per column of ``X``.
    alpha
        Intervals are 100 (1 - alpha)% intervals.
    covariance
        The covariance of ``terms`` (every one of :data:`COVARIANCES` is
        computed and kept in ``by_covariance``).

    Returns
    -------
    ModelFit
        Odds ratios with intervals, or ``estimable=False`` with the reason
        (constant outcome, too few clusters, separation, non-convergence, an
        unstable estimate).

    Notes
    -----
    Three covariances of one fit, with G clusters and k coefficients:
    the plain sandwich (Liang & Zeger, 1986) with normal intervals; the
    sandwich scaled by G / (G - k) with t intervals on G - k degrees of
    freedom; and the bias-reduced sandwich of Mancl & DeRouen (2001), which
    corrects each cluster's residuals for its leverage, with the same t
    intervals. The plain sandwich is too small with two dozen clusters.
    """
    if covariance not in COVARIANCES:
        raise ValueError(f"covariance '{covariance}' is not one of {', '.join(COVARIANCES)}")
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    groups = np.asarray(groups)
    n_clusters = int(np.unique(groups).size)
    method = f"GEE logistic, exchangeable working correlation, {COVARIANCES[covariance][0]}"
    method += ", t interval" if COVARIANCES[covariance][1] == "t" else ", normal interval"

    def fail(reason: str) -> ModelFit:
        terms = {name: not_estimable(method, reason) for name in names}
        return ModelFit(terms, len(y), n_clusters, method, False, reason, covariance=covariance,
                        by_covariance={kind: {name: not_estimable(method, reason)
                                              for name in names} for kind in COVARIANCES})

    if y.size == 0 or y.min() == y.max():
        return fail("the outcome is constant")
    if n_clusters < MIN_CLUSTERS:
        return fail(f"only {n_clusters} participants (at least {MIN_CLUSTERS} needed)")
    for j, name in enumerate(names):
        if X[:, j].min() == X[:, j].max():
            return fail(f"the predictor {name} is constant")
    reason = _separation_reason(y, X, names)
    if reason:
        return fail(reason)
    design = np.column_stack([np.ones(len(y)), X])
    k = design.shape[1]
    if n_clusters - k < MIN_RESIDUAL_DF:
        return fail(f"{n_clusters} participants are too few for {k} coefficients (at least "
                    f"{k + MIN_RESIDUAL_DF} needed)")
    try:
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            params, cov_plain, rho, converged, bread = fit_gee_exchangeable(y, design, groups)
    except np.linalg.LinAlgError:
        return fail("singular information matrix (the model did not converge)")
    if not converged:
        return fail("the model did not converge")
    if np.max(np.abs(design @ params)) > 15:
        # Fitted probabilities of 0 or 1 mean the outcome is (quasi-)separated, also by a
        # count predictor, which the 2x2 check above cannot see.
        return fail("(quasi-)complete separation: fitted probabilities of 0 or 1")
    _, cluster = np.unique(groups, return_inverse=True)
    sizes = np.bincount(cluster).astype(float)
    try:
        cov_md = mancl_derouen_covariance(design, y, params, rho, cluster, sizes, bread)
    except np.linalg.LinAlgError:
        return fail("a cluster's leverage is singular (the bias-reduced covariance fails)")
    covs = {"sandwich": cov_plain, "scaled": cov_plain * n_clusters / (n_clusters - k),
            "mancl_derouen": cov_md}
    df = n_clusters - k
    by_covariance = {}
    for kind, cov in covs.items():
        se = np.sqrt(np.clip(np.diag(cov), 0, None))
        if not np.all(np.isfinite(params)) or not np.all(np.isfinite(se)) or np.any(se[1:] > 10):
            unstable = "unstable estimate (standard error above 10 on the log-odds scale)"
            if kind == covariance:
                return fail(unstable)
            by_covariance[kind] = {name: not_estimable(method, unstable) for name in names}
            continue
        reference = COVARIANCES[kind][1]
        label = f"GEE logistic, exchangeable working correlation, {COVARIANCES[kind][0]}"
        label += ", t interval" if reference == "t" else ", normal interval"
        crit = t_quantile(1 - alpha / 2, df) if reference == "t" else normal_quantile(1 - alpha / 2)
        terms = {}
        for j, name in enumerate(names, start=1):
            b, s = params[j], se[j]
            if reference == "t":
                p = float(2 * t_sf(abs(b / s), df)) if s > 0 else None
            else:
                p = float(2 * normal_sf(abs(b / s))) if s > 0 else None
            terms[name] = Estimate(float(math.exp(b)), float(math.exp(b - crit * s)),
                                   float(math.exp(b + crit * s)), p, label,
                                   extra={"log_odds": float(b), "se": float(s), "rho": rho,
                                          "df": int(df) if reference == "t" else None})
        by_covariance[kind] = terms
    return ModelFit(by_covariance[covariance], len(y), n_clusters, method, True, "", params,
                    covs[covariance], covariance, by_covariance, covs, rho)
