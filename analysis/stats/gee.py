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
from dataclasses import dataclass

import numpy as np
from scipy import stats

from analysis.stats.estimate import Estimate, not_estimable
from analysis.stats.exact import two_by_two
from analysis.stats.limits import MIN_CLUSTERS, MIN_RESIDUAL_DF


@dataclass(frozen=True)
class ModelFit:
    """A clustered logistic model: one :class:`Estimate` (odds ratio) per term."""

    terms: dict[str, Estimate]
    n_obs: int
    n_clusters: int
    method: str
    estimable: bool
    reason: str = ""
    params: np.ndarray | None = None
    cov: np.ndarray | None = None


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
    params, cov_robust, rho, converged
        Coefficients, sandwich covariance (no small-sample factor), the
        estimated working correlation, and whether the score converged.
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
    return beta, cov, rho, converged


def gee_logit(y: np.ndarray, X: np.ndarray, groups: np.ndarray, names: Sequence[str],
              alpha: float = 0.05) -> ModelFit:
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

    Returns
    -------
    ModelFit
        Odds ratios with intervals from the robust (sandwich) covariance, or
        ``estimable=False`` with the reason (constant outcome, too few clusters,
        separation, non-convergence, an unstable estimate).

    Notes
    -----
    Small-sample correction: with G clusters and k coefficients the sandwich
    covariance is multiplied by G / (G - k) and intervals and p-values use a t
    distribution with G - k degrees of freedom, because the uncorrected
    sandwich is too small with two dozen clusters (Liang & Zeger, 1986;
    Mancl & DeRouen, 2001, Biometrics 57, 126-134, discuss the bias).
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    groups = np.asarray(groups)
    n_clusters = int(np.unique(groups).size)
    method = ("GEE logistic, exchangeable working correlation, sandwich SE with "
              "small-sample factor G/(G-k), t interval")

    def fail(reason: str) -> ModelFit:
        terms = {name: not_estimable(method, reason) for name in names}
        return ModelFit(terms, len(y), n_clusters, method, False, reason)

    if y.min() == y.max():
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
            params, cov, rho, converged = fit_gee_exchangeable(y, design, groups)
    except np.linalg.LinAlgError:
        return fail("singular information matrix (the model did not converge)")
    if not converged:
        return fail("the model did not converge")
    if np.max(np.abs(design @ params)) > 15:
        # Fitted probabilities of 0 or 1 mean the outcome is (quasi-)separated, also by a
        # count predictor, which the 2x2 check above cannot see.
        return fail("(quasi-)complete separation: fitted probabilities of 0 or 1")
    cov = cov * n_clusters / (n_clusters - k)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    if not np.all(np.isfinite(params)) or not np.all(np.isfinite(se)) or np.any(se[1:] > 10):
        return fail("unstable estimate (standard error above 10 on the log-odds scale)")
    df = n_clusters - k
    t = stats.t.ppf(1 - alpha / 2, df)
    terms = {}
    for j, name in enumerate(names, start=1):
        b, s = params[j], se[j]
        p = float(2 * stats.t.sf(abs(b / s), df)) if s > 0 else None
        terms[name] = Estimate(float(math.exp(b)), float(math.exp(b - t * s)),
                               float(math.exp(b + t * s)), p, method,
                               extra={"log_odds": float(b), "se": float(s), "rho": rho,
                                      "df": int(df)})
    return ModelFit(terms, len(y), n_clusters, method, True, "", params, cov)
