"""The estimators of :mod:`analysis.stats`, for many studies in one array operation.

Hand-written: statsmodels and scipy compute each of these for one study at a
time, and the robustness and simulation studies need hundreds of thousands of
them; no maintained library evaluates them for a batch of studies as array
operations. Each function takes flat arrays over all studies of a batch (a
study index, or survivor and contact indices) and returns one value per study.
They compute what their one-study counterparts (statsmodels and scipy) compute,
step by step; the tests compare them with statsmodels and scipy directly:

* :func:`wilson`, :func:`clopper_pearson`, :func:`newcombe` intervals;
* :func:`binom_two_sided` and :func:`fisher_two_sided`: exact p-values by
  summing the binomial or hypergeometric probabilities of every table no more
  likely than the observed one, over the whole support at once;
* :func:`holm` adjustment over a few columns;
* :func:`cluster_risk_difference`: ratio-estimator risk differences with the
  linearised cluster variance;
* :func:`gee_exchangeable`: logistic GEE with exchangeable working
  correlation, Fisher scoring with per-study convergence, and its plain,
  scaled and Mancl-DeRouen covariances (padded cluster blocks).

Where a study's estimate cannot be made, its ``estimable`` entry is False and
``reason`` names why, as in the one-study path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse, special

from analysis.stats.distributions import normal_quantile, normal_sf, t_quantile, t_sf
from analysis.stats.gee import COVARIANCES, SEPARATED_LOG_ODDS, UNSTABLE_SE
from analysis.stats.minimums import MIN_CLUSTERS, MIN_RESIDUAL_DF


def _sum_by(index: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    return np.bincount(index, weights=values, minlength=size)


# --- proportions ------------------------------------------------------------------------------


def wilson(k: np.ndarray, n: np.ndarray, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval per entry (bounds exactly 0 or 1 at k = 0 or n); NaN where n = 0."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    z = float(normal_quantile(1 - alpha / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = np.where(k == 0, 0.0, np.maximum(0.0, centre - half))
    high = np.where(k == n, 1.0, np.minimum(1.0, centre + half))
    bad = n <= 0
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)


def clopper_pearson(k: np.ndarray, n: np.ndarray, alpha: float = 0.05
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Clopper-Pearson) interval per entry; NaN where n = 0."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore"):
        low = np.where(k == 0, 0.0, special.betaincinv(k, n - k + 1, alpha / 2))
        high = np.where(k == n, 1.0, special.betaincinv(k + 1, n - k, 1 - alpha / 2))
    bad = n <= 0
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)


def newcombe(k1: np.ndarray, n1: np.ndarray, k0: np.ndarray, n0: np.ndarray,
             alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Difference ``k1/n1 - k0/n0`` with Newcombe's hybrid score interval, per entry."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p0 = k1 / n1, k0 / n0
    l1, u1 = wilson(k1, n1, alpha)
    l0, u0 = wilson(k0, n0, alpha)
    d = p1 - p0
    return d, d - np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2), d + np.sqrt(
        (u1 - p1) ** 2 + (p0 - l0) ** 2)


def binom_two_sided(k: np.ndarray, n: np.ndarray, p: float = 0.5) -> np.ndarray:
    """Two-sided exact binomial p-values (as :func:`scipy.stats.binomtest`), per entry.

    The sum of the probabilities of every count no more likely than the
    observed one (relative tolerance 1e-7), capped at 1; NaN where n = 0.
    """
    k = np.asarray(k, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    from scipy import stats

    top = int(n.max()) if n.size else 0
    support = np.arange(top + 1)
    pmf = stats.binom.pmf(support[None, :], n[:, None], p)          # zero beyond n
    observed = stats.binom.pmf(k, n, p)
    keep = (pmf <= observed[:, None] * (1 + 1e-7)) & (support[None, :] <= n[:, None])
    out = np.minimum(1.0, np.where(keep, pmf, 0.0).sum(axis=1))
    out = np.where(k == p * n, 1.0, out)
    return np.where(n > 0, out, np.nan)


def fisher_two_sided(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Two-sided p-values of Fisher's exact test on tables ``[[a, b], [c, d]]``, per entry.

    As :func:`scipy.stats.fisher_exact`: the probability of every table with
    the same margins no more likely than the observed one (relative tolerance
    1e-14), 1 where a margin is empty.
    """
    from scipy import stats

    a, b, c, d = (np.asarray(x, dtype=np.int64) for x in (a, b, c, d))
    n1, n2, col = a + b, c + d, a + c
    total = n1 + n2
    top = int(np.max(np.minimum(n1, col))) if a.size else 0
    x = np.arange(top + 1)[None, :]
    lo = np.maximum(0, col - n2)[:, None]
    hi = np.minimum(n1, col)[:, None]
    inside = (x >= lo) & (x <= hi)
    pmf = np.where(inside, stats.hypergeom.pmf(x, total[:, None], n1[:, None], col[:, None]), 0.0)
    observed = stats.hypergeom.pmf(a, total, n1, col)
    mode = ((col + 1) * (n1 + 1) // (total + 2))
    at_mode = stats.hypergeom.pmf(mode, total, n1, col)
    keep = inside & (pmf <= observed[:, None] * (1 + 1e-14))
    p = np.minimum(1.0, np.where(keep, pmf, 0.0).sum(axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        tie = np.abs(observed - at_mode) / np.maximum(observed, at_mode) <= 1e-14
    p = np.where(tie, 1.0, p)
    empty = (n1 == 0) | (n2 == 0) | (col == 0) | (col == total)
    return np.where(empty, 1.0, p)


def holm(p: np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values across the columns of ``p`` (rows: studies); NaN entries skipped."""
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    present = ~np.isnan(p)
    m = present.sum(axis=1)
    order = np.argsort(np.where(present, p, np.inf), axis=1, kind="stable")
    sorted_p = np.take_along_axis(p, order, axis=1)
    rank = np.arange(p.shape[1])[None, :]
    scaled = np.minimum(1.0, (m[:, None] - rank) * sorted_p)
    scaled = np.where(rank < m[:, None], scaled, -np.inf)
    running = np.maximum.accumulate(scaled, axis=1)
    np.put_along_axis(out, order, running, axis=1)
    return np.where(present, out, np.nan)


# --- risk differences -------------------------------------------------------------------------


def cluster_risk_difference(events: np.ndarray, sizes: np.ndarray, exposed: np.ndarray,
                            include: np.ndarray, study: np.ndarray, B: int, alpha: float = 0.05
                            ) -> dict[str, np.ndarray]:
    """Risk difference between two groups of clusters per study (cluster-level inputs).

    ``events`` and ``sizes`` are each cluster's outcome count and contacts,
    ``exposed`` its group, ``include`` whether it takes part, ``study`` its
    study. As :func:`analysis.stats.risk.cluster_risk_difference`: each
    group's ratio estimator, the linearised variance
    ``G/(G-1) sum (y_i - p m_i)^2 / n^2``, t interval on G - 2 degrees of freedom.
    """
    out = {}
    parts = []
    for group in (True, False):
        member = include & (exposed == group)
        g = _sum_by(study, member.astype(float), B)
        e = _sum_by(study, events * member, B)
        m = _sum_by(study, sizes * member, B)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = e / m
            resid = (events - p[study] * sizes) ** 2 * member
            var = g / (g - 1) * _sum_by(study, resid, B) / m ** 2
        parts.append((p, var, g))
    (p1, v1, g1), (p0, v0, g0) = parts
    rd = p1 - p0
    se = np.sqrt(v1 + v0)
    df = g1 + g0 - 2
    estimable = (g1 >= 2) & (g0 >= 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        crit = t_quantile(1 - alpha / 2, np.maximum(df, 1))
        tstat = rd / se
        pval = 2 * t_sf(np.abs(tstat), np.maximum(df, 1))
    zero = estimable & (se == 0)
    out["estimate"] = np.where(estimable, rd, np.nan)
    out["ci_low"] = np.where(estimable, np.where(zero, rd, rd - crit * se), np.nan)
    out["ci_high"] = np.where(estimable, np.where(zero, rd, rd + crit * se), np.nan)
    out["p_value"] = np.where(estimable & ~zero, pval, np.nan)
    out["se"] = np.where(estimable, se, np.nan)
    out["estimable"] = estimable
    return out


# --- clustered logistic regression ------------------------------------------------------------


@dataclass(frozen=True)
class BatchFit:
    """Per study: coefficients, covariances (by :data:`COVARIANCES` name), estimability."""

    params: np.ndarray                # (B, k)
    covs: dict[str, np.ndarray]       # (B, k, k) each
    rho: np.ndarray                   # (B,)
    df: np.ndarray                    # (B,) G - k
    estimable: np.ndarray             # (B,) bool
    reason: np.ndarray                # (B,) object: why not estimable ("" when estimable)


class _Layout:
    """Rows (sorted by cluster), clusters (sorted by study) and studies of a batch.

    Sums over a cluster's rows, a study's rows or a study's clusters are
    products with sparse 0/1 indicator matrices (many columns at once, and
    several times faster than :func:`numpy.add.reduceat`).
    """

    def __init__(self, cluster: np.ndarray, study_of_cluster: np.ndarray, B: int) -> None:
        self.cluster = cluster
        self.G = int(study_of_cluster.size)
        self.study_of_cluster = study_of_cluster
        self.study = study_of_cluster[cluster]
        self.B = B
        self.sizes = np.bincount(cluster, minlength=self.G).astype(float)
        self.clusters_per_study = np.bincount(study_of_cluster, minlength=B).astype(float)
        self.rows_per_study = np.bincount(self.study, minlength=B).astype(float)
        if np.any(self.sizes == 0) or np.any(self.clusters_per_study == 0):
            raise ValueError("every cluster needs a row and every study a cluster")
        if np.any(np.diff(cluster) < 0) or np.any(np.diff(study_of_cluster) < 0):
            raise ValueError("rows must be sorted by cluster and clusters by study")
        self.cluster_starts = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.intp)
        self.row_study_starts = np.concatenate(
            [[0], np.cumsum(self.rows_per_study)[:-1]]).astype(np.intp)
        self.cluster_study_starts = np.concatenate(
            [[0], np.cumsum(self.clusters_per_study)[:-1]]).astype(np.intp)
        self.max_size = np.maximum.reduceat(self.sizes, self.cluster_study_starts)
        n = cluster.size
        ones = np.ones(n)
        self._row_cluster = sparse.csr_matrix((ones, (cluster, np.arange(n))), shape=(self.G, n))
        self._row_study = sparse.csr_matrix((ones, (self.study, np.arange(n))), shape=(B, n))
        self._cluster_study = sparse.csr_matrix(
            (np.ones(self.G), (study_of_cluster, np.arange(self.G))), shape=(B, self.G))

    def rows_to_study(self, values: np.ndarray) -> np.ndarray:
        return self._row_study @ values

    def rows_to_cluster(self, values: np.ndarray) -> np.ndarray:
        return self._row_cluster @ values

    def clusters_to_study(self, values: np.ndarray) -> np.ndarray:
        return self._cluster_study @ values

    def subset(self, studies: np.ndarray) -> tuple[_Layout, np.ndarray]:
        """The layout of some studies (sorted indices) and the rows they hold."""
        keep = np.zeros(self.B, dtype=bool)
        keep[studies] = True
        rows = np.flatnonzero(keep[self.study])
        clusters = np.flatnonzero(keep[self.study_of_cluster])
        new_cluster = np.searchsorted(clusters, self.cluster[rows])
        new_study = np.searchsorted(studies, self.study_of_cluster[clusters])
        return _Layout(new_cluster, new_study, studies.size), rows


@dataclass
class _Rows:
    """Row- and cluster-level quantities of logistic GEE at one ``beta`` (any ``rho``)."""

    mu: np.ndarray
    sd: np.ndarray
    xs: np.ndarray          # A^1/2 X
    rs: np.ndarray          # Pearson residuals
    sum_xs: np.ndarray      # per cluster
    sum_rs: np.ndarray
    sum_rs2: np.ndarray
    xs_rs: np.ndarray       # per cluster: sum of xs * rs
    outer: np.ndarray       # per study: sum of xs xs' (flattened k*k)


def _rows(lay: _Layout, X: np.ndarray, y: np.ndarray, beta: np.ndarray,
          outer: bool = True) -> _Rows:
    k = X.shape[1]
    eta = np.einsum("ij,ij->i", X, beta[lay.study])
    mu = 1.0 / (1.0 + np.exp(-eta))
    sd = np.sqrt(np.clip(mu * (1.0 - mu), 1e-12, None))
    xs = X * sd[:, None]
    rs = (y - mu) / sd
    per_cluster = lay.rows_to_cluster(np.column_stack([xs, xs * rs[:, None], rs, rs * rs]))
    rows_outer = _unpack(lay.rows_to_study(_pairs(xs)), k) if outer else None
    return _Rows(mu, sd, xs, rs, per_cluster[:, :k], per_cluster[:, 2 * k],
                 per_cluster[:, 2 * k + 1], per_cluster[:, k:2 * k], rows_outer)


def _pairs(a: np.ndarray) -> np.ndarray:
    """The products of every pair of columns j <= l of ``a`` (rows x pairs)."""
    j, l2 = np.triu_indices(a.shape[1])
    return a[:, j] * a[:, l2]


def _unpack(pairs: np.ndarray, k: int) -> np.ndarray:
    """Symmetric k x k matrices (flattened) from the upper-triangle products of :func:`_pairs`."""
    j, l2 = np.triu_indices(k)
    out = np.empty((pairs.shape[0], k, k))
    out[:, j, l2] = pairs
    out[:, l2, j] = pairs
    return out.reshape(-1, k * k)


def _assemble(lay: _Layout, r: _Rows, rho: np.ndarray, info: bool = True):
    """Score (and information, and per-cluster contributions) per study at ``rho``."""
    k = r.sum_xs.shape[1]
    rho_c = rho[lay.study_of_cluster]
    c = rho_c / (1.0 + (lay.sizes - 1.0) * rho_c)
    scale = 1.0 / (1.0 - rho)
    contrib = scale[lay.study_of_cluster, None] * (r.xs_rs - r.sum_xs * (c * r.sum_rs)[:, None])
    score = lay.clusters_to_study(contrib)
    if not info:
        return score, None, contrib, c
    cluster_outer = _unpack(lay.clusters_to_study(c[:, None] * _pairs(r.sum_xs)), k)
    information = ((r.outer - cluster_outer) * scale[:, None]).reshape(-1, k, k)
    return score, information, contrib, c


def _solve(info: np.ndarray, score: np.ndarray, active: np.ndarray) -> tuple[np.ndarray,
                                                                                  np.ndarray]:
    """Steps ``info^-1 score`` for active studies; studies with a singular matrix are flagged."""
    det = np.linalg.det(info)
    singular = active & ~(np.isfinite(det) & (det != 0))
    safe = np.where((active & ~singular)[:, None, None], info, np.eye(info.shape[1]))
    step = np.linalg.solve(safe, score[:, :, None])[:, :, 0]
    return np.where((active & ~singular)[:, None], step, 0.0), singular


def _update_rho(lay: _Layout, r: _Rows, k: int) -> np.ndarray:
    """Moment estimator of the exchangeable correlation per study (as statsmodels computes it)."""
    scale = lay.clusters_to_study(r.sum_rs2) / (lay.rows_per_study - k)
    pair_sum = lay.clusters_to_study((r.sum_rs ** 2 - r.sum_rs2) / 2.0) / scale
    n_pairs = lay.clusters_to_study(lay.sizes * (lay.sizes - 1.0) / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = pair_sum / (n_pairs - k)
    lower = np.where(lay.max_size > 1, -1.0 / (lay.max_size - 1.0) + 1e-6, -0.99)
    return np.where(n_pairs - k <= 0, 0.0, np.clip(rho, lower, 0.99))


def _separated(lay: _Layout, y: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Per study: some binary predictor has an empty cell in outcome by predictor."""
    out = np.zeros(lay.B, dtype=bool)
    for j in range(1, X.shape[1]):
        x = X[:, j]
        binary = lay.rows_to_study((~((x == 0) | (x == 1))).astype(float)) == 0
        ones = lay.rows_to_study(x)
        two_values = (ones > 0) & (ones < lay.rows_per_study)
        cells = lay.rows_to_study(np.column_stack([((x == a) & (y == b)).astype(float)
                                                   for a in (0, 1) for b in (0, 1)]))
        out |= binary & two_values & (cells.min(axis=1) == 0)
    return out


class _Active:
    """The studies still iterating, on a layout rebuilt whenever half of them have stopped."""

    def __init__(self, lay: _Layout, X: np.ndarray, y: np.ndarray, running: np.ndarray) -> None:
        self.full, self.X_full, self.y_full = lay, X, y
        self._build(np.flatnonzero(running))

    def _build(self, studies: np.ndarray) -> None:
        self.studies = studies
        self.lay, rows = self.full.subset(studies)
        self.X, self.y = self.X_full[rows], self.y_full[rows]

    def refresh(self, running: np.ndarray) -> None:
        still = np.flatnonzero(running)
        if 0 < still.size <= self.studies.size // 2:
            self._build(still)


def gee_exchangeable(y: np.ndarray, X: np.ndarray, cluster: np.ndarray,
                     study_of_cluster: np.ndarray, B: int, maxiter: int = 60,
                     tol: float = 1e-6) -> BatchFit:
    """Logistic GEE with exchangeable correlation for every study of a batch.

    ``X`` has the intercept column; ``cluster`` maps rows (sorted by cluster)
    to clusters 0..G-1 and ``study_of_cluster`` clusters (sorted by study) to
    studies 0..B-1. The algorithm and the stopping rule are statsmodels' (an
    independence start, then a Fisher-scoring step for the coefficients
    alternating with a moment update of the correlation, until the score under
    the latest correlation is below ``tol``), and the checks those of
    :func:`analysis.stats.gee.gee_logit`, applied to each study separately: a
    study stops iterating when it converges, and the studies still iterating
    are computed on their own (the layout shrinks as they stop). The
    correlation is kept inside the range where the working correlation matrix
    of the largest cluster is positive definite (statsmodels does not clip it).
    """
    lay = _Layout(cluster, study_of_cluster, B)
    k = X.shape[1]
    reason = np.full(B, "", dtype=object)

    def fail(mask: np.ndarray, why: str) -> None:
        reason[(reason == "") & mask] = why

    ones = lay.rows_to_study(y)
    fail((ones == 0) | (ones == lay.rows_per_study), "the outcome is constant")
    fail(lay.clusters_per_study < MIN_CLUSTERS,
         f"fewer than {MIN_CLUSTERS} survivors (at least {MIN_CLUSTERS} needed)")
    low = np.minimum.reduceat(X, lay.row_study_starts, axis=0)
    high = np.maximum.reduceat(X, lay.row_study_starts, axis=0)
    fail(np.any(low[:, 1:] == high[:, 1:], axis=1), "a predictor is constant")
    fail(_separated(lay, y, X), "(quasi-)complete separation: an empty cell in outcome by a "
                                "binary predictor")
    fail(lay.clusters_per_study - k < MIN_RESIDUAL_DF, "too few survivors for the coefficients")

    beta = np.zeros((B, k))
    rho = np.zeros(B)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        running = reason == ""
        if running.any():
            # Independence start: Fisher scoring of the ordinary logistic model.
            act = _Active(lay, X, y, running)
            for _ in range(25):
                ids = act.studies
                rows = _rows(act.lay, act.X, act.y, beta[ids])
                score, info, *_ = _assemble(act.lay, rows, rho[ids])
                step, singular = _solve(info, score, running[ids])
                fail(_scatter(B, ids, singular), "singular information matrix (the model did "
                                                 "not converge)")
                beta[ids] += step
                running[ids] &= ~singular & ~(np.max(np.abs(step), axis=1) < 1e-10)
                if not running.any():
                    break
                act.refresh(running)
        converged = np.zeros(B, dtype=bool)
        updates = np.zeros(B, dtype=int)
        running = reason == ""
        if running.any():
            # Alternate a scoring step for beta with a moment update of rho, and stop as
            # statsmodels does: once the score under the latest rho (before the step, which
            # is still taken) is below tol, after at least one update of rho.
            act = _Active(lay, X, y, running)
            rows = _rows(act.lay, act.X, act.y, beta[act.studies])
            for _ in range(maxiter):
                ids = act.studies
                run = running[ids]
                score, info, *_ = _assemble(act.lay, rows, rho[ids])
                step, singular = _solve(info, score, run)
                fail(_scatter(B, ids, singular), "singular information matrix (the model did "
                                                 "not converge)")
                run &= ~singular
                beta[ids] += step
                rows = _rows(act.lay, act.X, act.y, beta[ids])
                done = run & (np.sqrt(np.sum(score ** 2, axis=1)) < tol) & (updates[ids] > 0)
                converged[ids] |= done
                run &= ~done
                rho[ids] = np.where(run, _update_rho(act.lay, rows, k), rho[ids])
                updates[ids] += run
                running[ids] = run
                if not running.any():
                    break
                before = act.studies
                act.refresh(running)
                if act.studies is not before:
                    rows = _rows(act.lay, act.X, act.y, beta[act.studies])
        fail(~converged, "the model did not converge")
        eta = np.einsum("ij,ij->i", X, beta[lay.study])
        big = np.maximum.reduceat(np.abs(eta), lay.row_study_starts)
        fail(big > SEPARATED_LOG_ODDS,
             "(quasi-)complete separation: fitted probabilities of 0 or 1")

        rows = _rows(lay, X, y, beta)
        score, info, contrib, c = _assemble(lay, rows, rho)
        ok = reason == ""
        det = np.linalg.det(np.where(ok[:, None, None], info, np.eye(k)))
        fail(ok & ~(np.isfinite(det) & (det != 0)), "singular information matrix")
        ok = reason == ""
        bread = np.linalg.inv(np.where(ok[:, None, None], info, np.eye(k)))
        meat = _unpack(lay.clusters_to_study(_pairs(contrib)), k).reshape(-1, k, k)
        plain = bread @ meat @ bread
        md, md_ok = _mancl_derouen(lay, rows, contrib, c, rho, bread)
    fail(ok & ~md_ok, "a cluster's leverage is singular (the bias-reduced covariance fails)")
    g = lay.clusters_per_study
    covs = {"sandwich": plain,
            "scaled": plain * (g / np.maximum(g - k, 1))[:, None, None],
            "mancl_derouen": md}
    return BatchFit(beta, covs, rho, g - k, reason == "", reason)


def _scatter(B: int, ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    out = np.zeros(B, dtype=bool)
    out[ids] = values
    return out


def _mancl_derouen(lay: _Layout, rows: _Rows, contrib: np.ndarray, c: np.ndarray,
                   rho: np.ndarray, bread: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The bias-reduced covariance per study, without any cluster-sized matrix.

    Mancl and DeRouen replace each cluster's residuals r by (I - H)^-1 r with
    the leverage H = D B^-1 D' V^-1. By the Woodbury identity
    (I - D C)^-1 = I + D (I - C D)^-1 C with C = B^-1 D' V^-1, and C D = B^-1 Q
    with Q = D' V^-1 D the cluster's share of the information, so the
    adjusted score D' V^-1 (I - H)^-1 r is ``u + Q (I - B^-1 Q)^-1 B^-1 u`` with
    u = D' V^-1 r the cluster's plain score: k x k algebra per cluster.
    (statsmodels' ``cov_type="bias_reduced"``, the one-study path, solves with
    I - H directly; the tests compare the two.)
    """
    k = contrib.shape[1]
    rho_c = rho[lay.study_of_cluster]
    scale = 1.0 / (1.0 - rho_c)
    own = _unpack(lay.rows_to_cluster(_pairs(rows.xs)), k)
    Q = ((own - c[:, None] * _unpack(_pairs(rows.sum_xs), k)) * scale[:, None]).reshape(-1, k, k)
    b_c = bread[lay.study_of_cluster]
    inner = np.eye(k)[None] - b_c @ Q
    det = np.linalg.det(inner)
    good = np.isfinite(det) & (det != 0)
    safe = np.where(good[:, None, None], inner, np.eye(k))
    s = np.linalg.solve(safe, (b_c @ contrib[:, :, None]))[:, :, 0]
    score = contrib + (Q @ s[:, :, None])[:, :, 0]
    meat = _unpack(lay.clusters_to_study(_pairs(score)), k).reshape(-1, k, k)
    bad_study = lay.clusters_to_study((~good).astype(float)) > 0
    return bread @ meat @ bread, ~bad_study


def gee_terms(fit: BatchFit, term: int, covariance: str, alpha: float = 0.05
              ) -> dict[str, np.ndarray]:
    """Odds ratio, interval and p-value of coefficient ``term`` under ``covariance``, per study.

    Studies whose standard error under this covariance is not finite or above
    10 on the log-odds scale are not estimable, as in the one-study path.
    """
    cov = fit.covs[covariance]
    b = fit.params[:, term]
    with np.errstate(invalid="ignore"):
        se_all = np.sqrt(np.clip(np.diagonal(cov, axis1=1, axis2=2), 0, None))
    se = se_all[:, term]
    stable = (np.all(np.isfinite(fit.params), axis=1) & np.all(np.isfinite(se_all), axis=1)
              & ~np.any(se_all[:, 1:] > UNSTABLE_SE, axis=1))
    estimable = fit.estimable & stable
    reference = COVARIANCES[covariance][1]
    df = np.maximum(fit.df, 1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if reference == "t":
            crit = t_quantile(1 - alpha / 2, df)
            p = 2 * t_sf(np.abs(b / se), df)
        else:
            crit = np.full_like(b, normal_quantile(1 - alpha / 2))
            p = 2 * normal_sf(np.abs(b / se))
        low, high = np.exp(b - crit * se), np.exp(b + crit * se)
    nan = np.nan
    with np.errstate(over="ignore"):
        odds = np.exp(b)
    return {"estimate": np.where(estimable, odds, nan),
            "ci_low": np.where(estimable, low, nan), "ci_high": np.where(estimable, high, nan),
            "p_value": np.where(estimable & (se > 0), p, nan),
            "log_odds": np.where(estimable, b, nan), "se": np.where(estimable, se, nan),
            "estimable": estimable}
