"""Inferential statistics: intervals, exact tests, clustered models, risk differences.

Every function takes plain arrays (no formula parsing) so that the robustness
study can call them thousands of times. Where an estimate cannot be made (a
constant outcome, separation, too few clusters), the functions return a result
with ``estimable=False`` and the reason, never a meaningless number.

References
----------
Wilson, E. B. (1927). Probable inference, the law of succession, and
statistical inference. JASA, 22, 209-212.
Liang, K.-Y., & Zeger, S. L. (1986). Longitudinal data analysis using
generalized linear models. Biometrika, 73, 13-22.
Donner, A., & Klar, N. (2000). Design and analysis of cluster randomization
trials in health research (ratio estimator of a proportion with clustering).
Holm, S. (1979). A simple sequentially rejective multiple test procedure.
Scand. J. Statist., 6, 65-70.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

if TYPE_CHECKING:
    from analysis.claims import StudyArrays

#: Fewer clusters than this and a clustered model is not fitted.
MIN_CLUSTERS = 8


@dataclass(frozen=True)
class Estimate:
    """One estimate with its interval and test.

    ``estimable`` is False when no meaningful estimate exists; ``reason`` says why.
    ``method`` names what was computed (including any fallback used).
    """

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    method: str
    estimable: bool = True
    reason: str = ""
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def not_estimable(method: str, reason: str, **extra) -> Estimate:
    """An :class:`Estimate` that records why nothing could be estimated."""
    return Estimate(None, None, None, None, method, estimable=False, reason=reason, extra=extra)


def wilson_interval(successes: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion.

    >>> [round(x, 3) for x in wilson_interval(18, 24)]
    [0.551, 0.88]
    """
    if n <= 0:
        return (math.nan, math.nan)
    z = stats.norm.ppf(1 - alpha / 2)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # At k = 0 and k = n the bound is exactly 0 or 1; rounding must not exclude the estimate.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return (low, high)


def clopper_pearson(successes: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval for a binomial proportion."""
    lo = 0.0 if successes == 0 else stats.beta.ppf(alpha / 2, successes, n - successes + 1)
    hi = 1.0 if successes == n else stats.beta.ppf(1 - alpha / 2, successes + 1, n - successes)
    return (float(lo), float(hi))


def proportion(successes: int, n: int, alpha: float = 0.05, null: float | None = None,
               alternative: str = "greater", method: str = "wilson") -> Estimate:
    """A proportion with a Wilson (or exact) interval and an exact binomial test.

    Parameters
    ----------
    successes, n
        Count and denominator.
    null
        Null proportion for :func:`scipy.stats.binomtest`; no test if None.
    alternative
        ``'greater'``, ``'less'`` or ``'two-sided'``.
    method
        ``'wilson'`` or ``'exact'`` (Clopper-Pearson).
    """
    if n == 0:
        return not_estimable(f"proportion ({method})", "no observations")
    lo, hi = (wilson_interval if method == "wilson" else clopper_pearson)(successes, n, alpha)
    p = None
    if null is not None:
        p = float(stats.binomtest(int(successes), int(n), null, alternative=alternative).pvalue)
    label = "Wilson interval" if method == "wilson" else "Clopper-Pearson interval"
    if null is not None:
        label += f", exact binomial test against {null:g} ({alternative})"
    return Estimate(successes / n, lo, hi, p, label,
                    extra={"successes": int(successes), "n": int(n)})


def fisher_exact_2x2(table: np.ndarray, alternative: str = "two-sided") -> Estimate:
    """Fisher's exact test on a 2x2 table ``[[a, b], [c, d]]`` (rows: exposure 1, 0).

    The estimate is the conditional maximum-likelihood odds ratio and the
    interval its exact conditional interval, both from
    :func:`scipy.stats.contingency.odds_ratio` (``kind="conditional"``); it
    differs from the sample odds ratio ``(a d) / (b c)`` in small tables.
    """
    table = np.asarray(table, dtype=np.int64)
    if table.sum(axis=1).min() == 0 or table.sum(axis=0).min() == 0:
        return not_estimable("Fisher exact test", "a row or column of the 2x2 table is empty")
    res = stats.fisher_exact(table, alternative=alternative)
    odds = stats.contingency.odds_ratio(table, kind="conditional")
    ci = odds.confidence_interval(0.95)
    estimate = float(odds.statistic)
    if not np.isfinite(estimate) or estimate == 0:
        return Estimate(None, float(ci.low), float(ci.high), float(res.pvalue),
                        "Fisher exact test (conditional odds ratio)", estimable=False,
                        reason="a cell of the 2x2 table is zero, so the odds ratio is 0 or "
                               "infinite")
    return Estimate(estimate, float(ci.low), float(ci.high), float(res.pvalue),
                    "Fisher exact test (conditional odds ratio)")


def two_by_two(outcome: np.ndarray, exposure: np.ndarray) -> np.ndarray:
    """The 2x2 table ``[[exp & out, exp & ~out], [~exp & out, ~exp & ~out]]``."""
    y = np.asarray(outcome, dtype=bool)
    x = np.asarray(exposure, dtype=bool)
    return np.array([[np.sum(x & y), np.sum(x & ~y)], [np.sum(~x & y), np.sum(~x & ~y)]])


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
    if n_clusters - k < 2:
        return fail(f"{n_clusters} participants are too few for {k} coefficients")
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


def cluster_risk_difference(y: np.ndarray, exposed: np.ndarray, clusters: np.ndarray,
                            alpha: float = 0.05) -> Estimate:
    """Risk difference between two groups of clusters, with a cluster-robust interval.

    Each group's risk is the ratio estimator ``sum(y) / n`` over its incidents;
    its variance is the linearised cluster variance
    ``G / (G - 1) * sum_i (y_i - p m_i)^2 / n^2`` over the group's G clusters
    (``y_i`` events and ``m_i`` incidents of cluster i). Exposure is constant
    within a cluster (for example the survivor's race), so the two groups'
    variances add. The interval and two-sided p-value use a t distribution with
    (number of clusters - 2) degrees of freedom.

    Returns the difference exposed minus unexposed.
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
        if e.size < 2:
            return not_estimable(method, "fewer than two participants in a group")
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
    t = stats.t.ppf(1 - alpha / 2, df)
    p_value = float(2 * stats.t.sf(abs(rd / se), df))
    return Estimate(float(rd), float(rd - t * se), float(rd + t * se), p_value, method,
                    extra=extra)


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm-adjusted p-values; ``None`` entries are skipped and returned as ``None``.

    Step-down: sort the m p-values, multiply the i-th smallest by (m - i + 1),
    take running maxima and cap at 1 (Holm, 1979). Written out because
    statsmodels' ``multipletests`` runs a garbage collection on every call,
    which dominates the robustness loop; the test suite checks the two agree.
    """
    present = [i for i, p in enumerate(p_values) if p is not None]
    adjusted: list[float | None] = [None] * len(p_values)
    order = sorted(present, key=lambda i: p_values[i])
    m = len(order)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * float(p_values[i])))
        adjusted[i] = running
    return adjusted


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


#: The clustered models the inference step reports: outcome, predictors, label.
MODELS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("any_practice", ("external_initiation",), "Any safety practice (unadjusted)"),
    ("any_practice", ("external_initiation", "black"), "Any safety practice"),
    ("arrest", ("visible_injury", "prior_calls", "black"), "Arrest"),
    ("treated_poorly", ("external_initiation", "black"), "Treated poorly"),
)


def model_table(study: StudyArrays, alpha: float = 0.05,
                extra_covariates: dict[str, Sequence[str]] | None = None) -> pd.DataFrame:
    """Every model of :data:`MODELS`: odds ratios, intervals, p-values, and a cross-check.

    The cross-check refits each model with statsmodels' own GEE and records the
    largest absolute difference in log-odds from the array-based fit.
    """
    from statsmodels.genmod import families
    from statsmodels.genmod.cov_struct import Exchangeable
    from statsmodels.genmod.generalized_estimating_equations import GEE

    rows = []
    for outcome, predictors, label in MODELS:
        if "unadjusted" not in label:
            predictors = predictors + tuple(p for p in (extra_covariates or {}).get(outcome, [])
                                            if p not in predictors)
        X = np.column_stack([study.predictors[p] for p in predictors])
        y = study.outcomes[outcome]
        fit = gee_logit(y, X, study.cluster, predictors, alpha)
        check = None
        if fit.estimable:
            design = np.column_stack([np.ones(len(y)), X])
            reference = GEE(y, design, groups=study.cluster, family=families.Binomial(),
                            cov_struct=Exchangeable()).fit()
            check = float(np.max(np.abs(np.asarray(reference.params) - fit.params)))
        for term in predictors:
            est = fit.terms[term]
            rows.append({
                "model": label, "outcome": outcome, "term": term,
                "odds_ratio": est.estimate, "ci_low": est.ci_low, "ci_high": est.ci_high,
                "p_value": est.p_value, "log_odds": est.extra.get("log_odds"),
                "se": est.extra.get("se"), "rho": est.extra.get("rho"),
                "n_contacts": fit.n_obs, "n_survivors": fit.n_clusters,
                "estimable": fit.estimable, "reason": fit.reason,
                "statsmodels_max_abs_diff": check, "method": fit.method,
            })
    return pd.DataFrame(rows)


def survivor_level_tests(study: StudyArrays, alpha: float = 0.05) -> pd.DataFrame:
    """Fisher exact tests at survivor level, Black versus other survivors, Holm-adjusted.

    Outcomes: self-initiated at least one contact; received any safety practice
    at least once; partner arrested at least once.
    """
    n = study.n_participants
    black = np.bincount(study.cluster, weights=study.black_incident, minlength=n) > 0
    rows = []
    for outcome, label in (("self_initiated", "Self-initiated at least one contact"),
                           ("any_practice", "Any safety practice at least once"),
                           ("arrest", "Partner arrested at least once")):
        ever = np.bincount(study.cluster, weights=study.outcomes[outcome], minlength=n) > 0
        table = two_by_two(ever, black)
        est = fisher_exact_2x2(table)
        rows.append({"outcome": outcome, "label": label,
                     "black_yes": int(table[0, 0]), "black_n": int(table[0].sum()),
                     "other_yes": int(table[1, 0]), "other_n": int(table[1].sum()),
                     "odds_ratio": est.estimate, "ci_low": est.ci_low, "ci_high": est.ci_high,
                     "p_value": est.p_value, "estimable": est.estimable, "reason": est.reason})
    frame = pd.DataFrame(rows)
    frame["p_holm"] = holm([None if pd.isna(p) else p for p in frame["p_value"]])
    return frame
