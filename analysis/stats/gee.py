"""Participant-clustered logistic regression by GEE (statsmodels), with three covariances.

The model is statsmodels' :class:`~statsmodels.genmod.generalized_estimating_equations.GEE`
(binomial family, logit link, exchangeable working correlation); its robust
(sandwich) and bias-reduced (Mancl-DeRouen) covariances come from the same fit.
What this module adds is what a study of two dozen survivors needs around it:
the checks that say why a model cannot be estimated (a constant outcome or
predictor, too few survivors, separation, no convergence, an unstable
estimate), the sandwich scaled by G/(G - k) (one line on the robust
covariance), and intervals and p-values on t with G - k degrees of freedom.
The robustness and simulation studies fit the same model to thousands of
studies at once with :func:`analysis.stats.batched.gee_exchangeable`, which the
tests check against statsmodels.

References
----------
Liang, K.-Y., & Zeger, S. L. (1986). Longitudinal data analysis using
generalized linear models. Biometrika, 73, 13-22.
Mancl, L. A., & DeRouen, T. A. (2001). A covariance estimator for GEE with
improved small-sample properties. Biometrics, 57, 126-134.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from analysis.stats.distributions import normal_quantile, normal_sf, t_quantile, t_sf
from analysis.stats.estimate import Estimate, not_estimable
from analysis.stats.exact import two_by_two
from analysis.stats.minimums import MIN_CLUSTERS, MIN_RESIDUAL_DF


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
#: Fitted log-odds beyond this size mean fitted probabilities of 0 or 1: separation.
SEPARATED_LOG_ODDS = 15
#: A standard error above this (log-odds scale) is an unstable estimate.
UNSTABLE_SE = 10


def covariance_label(covariance: str) -> str:
    """How results name the method of a covariance ("GEE logistic, ..., t interval")."""
    description, reference = COVARIANCES[covariance]
    interval = "t interval" if reference == "t" else "normal interval"
    return f"GEE logistic, exchangeable working correlation, {description}, {interval}"


def _separation_reason(y: np.ndarray, X: np.ndarray, names: Sequence[str]) -> str:
    for j, name in enumerate(names):
        column = X[:, j]
        values = np.unique(column)
        if values.size == 2 and set(values.tolist()) <= {0.0, 1.0}:
            table = two_by_two(y, column)
            if (table == 0).any():
                return f"(quasi-)complete separation: an empty cell in outcome by {name}"
    return ""


def _statsmodels_fit(y: np.ndarray, design: np.ndarray, groups: np.ndarray):
    """statsmodels' logistic GEE, exchangeable, with the bias-reduced covariance computed too."""
    from statsmodels.genmod import families
    from statsmodels.genmod.cov_struct import Exchangeable
    from statsmodels.genmod.generalized_estimating_equations import GEE

    with warnings.catch_warnings(), np.errstate(over="ignore", divide="ignore",
                                                invalid="ignore"):
        # Convergence, separation and overflow warnings: the checks below say what they mean.
        warnings.simplefilter("ignore")
        model = GEE(y, design, groups=groups, family=families.Binomial(),
                    cov_struct=Exchangeable())
        return model.fit(cov_type="bias_reduced")


def gee_logit(y: np.ndarray, X: np.ndarray, groups: np.ndarray, names: Sequence[str],
              alpha: float = 0.05, covariance: str = "mancl_derouen") -> ModelFit:
    """Participant-clustered logistic regression by GEE with exchangeable correlation.

    Parameters
    ----------
    y
        0/1 outcome per contact.
    X
        Design matrix *without* intercept (one column per term in ``names``).
    groups
        Cluster (survivor) label per row.
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
    statsmodels' robust sandwich (Liang & Zeger, 1986) with normal intervals;
    the same sandwich scaled by G / (G - k) with t intervals on G - k degrees
    of freedom; and statsmodels' bias-reduced sandwich of Mancl & DeRouen
    (2001), which corrects each cluster's residuals for its leverage, with the
    same t intervals. The plain sandwich is too small with two dozen clusters.
    """
    if covariance not in COVARIANCES:
        raise ValueError(f"covariance '{covariance}' is not one of {', '.join(COVARIANCES)}")
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    groups = np.asarray(groups)
    n_clusters = int(np.unique(groups).size)
    method = covariance_label(covariance)

    def fail(reason: str) -> ModelFit:
        terms = {name: not_estimable(method, reason) for name in names}
        return ModelFit(terms, len(y), n_clusters, method, False, reason, covariance=covariance,
                        by_covariance={kind: {name: not_estimable(method, reason)
                                              for name in names} for kind in COVARIANCES})

    if y.size == 0 or y.min() == y.max():
        return fail("the outcome is constant")
    if n_clusters < MIN_CLUSTERS:
        return fail(f"only {n_clusters} survivors (at least {MIN_CLUSTERS} needed)")
    for j, name in enumerate(names):
        if X[:, j].min() == X[:, j].max():
            return fail(f"the predictor {name} is constant")
    reason = _separation_reason(y, X, names)
    if reason:
        return fail(reason)
    design = np.column_stack([np.ones(len(y)), X])
    k = design.shape[1]
    if n_clusters - k < MIN_RESIDUAL_DF:
        return fail(f"{n_clusters} survivors are too few for {k} coefficients (at least "
                    f"{k + MIN_RESIDUAL_DF} needed)")
    if np.linalg.matrix_rank(design) < k:
        return fail("singular information matrix (the model did not converge)")
    try:
        fit = _statsmodels_fit(y, design, groups)
    except np.linalg.LinAlgError:
        return fail("a cluster's leverage is singular (the bias-reduced covariance fails)")
    if fit is None or not fit.converged:
        return fail("the model did not converge")
    params = np.asarray(fit.params, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        fitted = design @ params
    if not np.all(np.isfinite(fitted)) or np.max(np.abs(fitted)) > SEPARATED_LOG_ODDS:
        # Fitted probabilities of 0 or 1 mean the outcome is (quasi-)separated, also by a
        # count predictor, which the 2x2 check above cannot see.
        return fail("(quasi-)complete separation: fitted probabilities of 0 or 1")
    if fit.cov_robust_bc is None:
        return fail("a cluster's leverage is singular (the bias-reduced covariance fails)")
    df = n_clusters - k
    covs = {"sandwich": np.asarray(fit.cov_robust), "scaled": np.asarray(fit.cov_robust) *
            n_clusters / df, "mancl_derouen": np.asarray(fit.cov_robust_bc)}
    rho = float(np.asarray(fit.cov_struct.dep_params))
    by_covariance = {}
    for kind, cov in covs.items():
        se = np.sqrt(np.clip(np.diag(cov), 0, None))
        if not np.all(np.isfinite(se)) or np.any(se[1:] > UNSTABLE_SE):
            unstable = "unstable estimate (standard error above 10 on the log-odds scale)"
            if kind == covariance:
                return fail(unstable)
            by_covariance[kind] = {name: not_estimable(method, unstable) for name in names}
            continue
        reference = COVARIANCES[kind][1]
        crit = t_quantile(1 - alpha / 2, df) if reference == "t" else normal_quantile(1 - alpha / 2)
        terms = {}
        for j, name in enumerate(names, start=1):
            b, s = params[j], se[j]
            if reference == "t":
                p = float(2 * t_sf(abs(b / s), df)) if s > 0 else None
            else:
                p = float(2 * normal_sf(abs(b / s))) if s > 0 else None
            terms[name] = Estimate(float(math.exp(b)), float(math.exp(b - crit * s)),
                                   float(math.exp(b + crit * s)), p, covariance_label(kind),
                                   extra={"log_odds": float(b), "se": float(s), "rho": rho,
                                          "df": int(df) if reference == "t" else None})
        by_covariance[kind] = terms
    return ModelFit(by_covariance[covariance], len(y), n_clusters, method, True, "", params,
                    covs[covariance], covariance, by_covariance, covs, rho)
