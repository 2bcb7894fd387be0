"""The pure estimators against independent computations (closed forms, scipy, by hand).

The one-study estimators are statsmodels' and scipy's; what is tested here is
what this package adds around them (the small-sample covariances' intervals,
the bounds at the edges, the reasons a model cannot be estimated) and the
batched engine of the robustness study against statsmodels directly.
"""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.genmod import families
from statsmodels.genmod.cov_struct import Exchangeable
from statsmodels.genmod.generalized_estimating_equations import GEE
from statsmodels.stats.proportion import proportion_confint

from analysis.stats import batched
from analysis.stats.exact import holm, two_by_two
from analysis.stats.gee import gee_logit
from analysis.stats.minimums import MIN_CLUSTERS
from analysis.stats.proportions import clopper_pearson, proportion, wilson_interval
from analysis.stats.risk import cluster_risk_difference

COUNTS = [(0, 10), (10, 10), (1, 1), (0, 1), (3, 24), (12, 24), (18, 24), (24, 24), (0, 24),
          (7, 65), (999, 1000)]


def _wilson_by_formula(k: int, n: int, alpha: float) -> tuple[float, float]:
    """Wilson (1927): the roots of (p - k/n)^2 = z^2 p (1 - p) / n."""
    z = stats.norm.ppf(1 - alpha / 2)
    a = 1 + z * z / n
    b = -(2 * k / n + z * z / n)
    c = (k / n) ** 2
    root = math.sqrt(max(b * b - 4 * a * c, 0.0))
    return (-b - root) / (2 * a), (-b + root) / (2 * a)


@pytest.mark.parametrize(("k", "n"), COUNTS)
def test_wilson_is_the_score_interval(k, n):
    for alpha in (0.05, 0.1):
        lo, hi = wilson_interval(k, n, alpha)
        assert (lo, hi) == pytest.approx(_wilson_by_formula(k, n, alpha), abs=1e-12)
        assert 0.0 <= lo <= k / n <= hi <= 1.0


def test_wilson_bounds_exact_at_the_edges():
    assert wilson_interval(10, 10)[1] == 1.0
    assert wilson_interval(0, 24)[0] == 0.0


@pytest.mark.parametrize(("k", "n"), COUNTS)
def test_clopper_pearson_matches_scipy(k, n):
    ci = stats.binomtest(k, n).proportion_ci(0.95, method="exact")
    assert clopper_pearson(k, n) == pytest.approx((ci.low, ci.high), abs=1e-12)


@pytest.mark.parametrize(("k", "n"), COUNTS)
def test_batched_proportion_intervals_match_statsmodels(k, n):
    ks, ns = np.array([k, k]), np.array([n, n])
    low, high = batched.wilson(ks, ns, 0.1)
    assert (low[0], high[0]) == pytest.approx(
        proportion_confint(k, n, alpha=0.1, method="wilson"), abs=1e-12)
    assert (low[0] == 0.0) == (k == 0) and (high[0] == 1.0) == (k == n)  # exact at the edges
    low, high = batched.clopper_pearson(ks, ns)
    assert (low[0], high[0]) == pytest.approx(proportion_confint(k, n, method="beta"), abs=1e-12)


def test_wilson_empty_and_doc_example():
    assert all(math.isnan(x) for x in wilson_interval(0, 0))
    assert [round(x, 3) for x in wilson_interval(18, 24)] == [0.551, 0.88]


def test_proportion_estimate_and_test():
    est = proportion(18, 24, null=0.5, alternative="greater")
    assert est.estimate == 0.75
    assert (est.ci_low, est.ci_high) == pytest.approx(proportion_confint(18, 24, method="wilson"))
    assert est.p_value == pytest.approx(stats.binomtest(18, 24, 0.5, "greater").pvalue)
    assert est.extra == {"successes": 18, "n": 24}
    exact = proportion(24, 24, method="exact")
    assert exact.p_value is None
    assert (exact.ci_low, exact.ci_high) == pytest.approx(proportion_confint(24, 24,
                                                                             method="beta"))
    empty = proportion(0, 0)
    assert not empty.estimable and empty.reason == "no observations"


# --- Fisher ---------------------------------------------------------------------------


def test_fisher_p_value_matches_scipy_and_is_one_without_a_margin():
    from analysis.stats.exact import fisher_p_value

    for table in ([[5, 2], [3, 6]], [[9, 2], [4, 9]], [[1, 10], [7, 6]], [[5, 0], [3, 6]]):
        assert fisher_p_value(np.array(table)) == pytest.approx(
            stats.fisher_exact(table).pvalue, rel=1e-12)
    assert fisher_p_value(np.array([[0, 0], [3, 6]])) == 1.0


def test_two_by_two_layout():
    y = np.array([1, 1, 0, 0, 1, 0, 0])
    x = np.array([1, 1, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(two_by_two(y, x), [[2, 1], [1, 3]])


# --- Holm -----------------------------------------------------------------------------


def _holm_by_hand(p: list[float]) -> list[float]:
    """Holm (1979) step by step: the i-th smallest times (m - i), running maximum, cap 1."""
    order = sorted(range(len(p)), key=lambda i: p[i])
    out, running = [0.0] * len(p), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p) - rank) * p[i]))
        out[i] = running
    return out


@pytest.mark.parametrize("seed", range(8))
def test_holm_by_hand_and_batched(seed):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 12))
    p = rng.random(m) ** 3
    if seed % 2:
        p[: m // 2] = p[0]  # ties
    ref = _holm_by_hand(list(p))
    np.testing.assert_allclose(holm(list(p)), ref, rtol=0, atol=1e-15)
    np.testing.assert_allclose(batched.holm(p[None, :])[0], ref, rtol=0, atol=1e-15)
    # None entries are skipped and the rest adjusted among themselves
    with_none: list[float | None] = list(p)
    for i in range(0, m + 2, 3):
        with_none.insert(i, None)
    adjusted = holm(with_none)
    assert [a is None for a in adjusted] == [v is None for v in with_none]
    np.testing.assert_allclose([a for a in adjusted if a is not None], ref, rtol=0, atol=1e-15)


def test_holm_edge_cases():
    assert holm([]) == []
    assert holm([None, None]) == [None, None]
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.6, 0.9]) == [1.0, 1.0]


# --- GEE --------------------------------------------------------------------------------


def simulate_clustered(seed: int, clusters: int, sd: float = 0.8):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 7, clusters)
    groups = np.repeat(np.arange(clusters), sizes)
    n = groups.size
    u = rng.normal(0, sd, clusters)[groups]
    x1 = (rng.random(n) < 0.4).astype(float)
    x2 = rng.poisson(2, n).astype(float)
    x3 = (rng.random(clusters) < 0.5)[groups].astype(float)
    eta = -1 + 0.8 * x1 + 0.3 * x2 - 0.7 * x3 + u
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    return y, np.column_stack([x1, x2, x3]), groups


def statsmodels_gee(y, X, groups):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return GEE(y, np.column_stack([np.ones(len(y)), X]), groups=groups,
                   family=families.Binomial(), cov_struct=Exchangeable()).fit()


SIMULATED = [(0, 24), (1, 40), (2, 100), (3, 300), (4, 24), (5, 60)]


def test_batched_gee_matches_statsmodels_on_a_batch_of_studies():
    """The batched engine fits every study of a batch as statsmodels fits each one alone."""
    studies = [simulate_clustered(seed, clusters) for seed, clusters in SIMULATED]
    ys, designs, clusters, study_of_cluster, offset = [], [], [], [], 0
    for b, (y, X, groups) in enumerate(studies):
        ys.append(y)
        designs.append(np.column_stack([np.ones(len(y)), X]))
        clusters.append(groups + offset)
        study_of_cluster.append(np.full(groups.max() + 1, b))
        offset += groups.max() + 1
    fit = batched.gee_exchangeable(np.concatenate(ys), np.vstack(designs),
                                   np.concatenate(clusters), np.concatenate(study_of_cluster),
                                   len(studies))
    for b, (y, X, groups) in enumerate(studies):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = GEE(y, np.column_stack([np.ones(len(y)), X]), groups=groups,
                      family=families.Binomial(), cov_struct=Exchangeable()).fit(
                          cov_type="bias_reduced")
        assert fit.estimable[b]
        np.testing.assert_allclose(fit.params[b], ref.params, rtol=0, atol=1e-5)
        np.testing.assert_allclose(fit.covs["sandwich"][b], ref.cov_robust, rtol=0, atol=1e-5)
        np.testing.assert_allclose(fit.covs["mancl_derouen"][b], ref.cov_robust_bc, rtol=0,
                                   atol=1e-5)
        assert fit.rho[b] == pytest.approx(ref.cov_struct.dep_params, abs=1e-5)


def test_gee_logit_accepts_string_labels():
    y, X, groups = simulate_clustered(7, 30)
    labels = np.array([f"P{g:02d}" for g in groups], dtype=object)
    by_label = gee_logit(y, X, labels, ["x1", "x2", "x3"])
    by_number = gee_logit(y, X, groups, ["x1", "x2", "x3"])
    assert by_label.n_clusters == 30
    np.testing.assert_allclose(by_label.params, by_number.params, atol=1e-10)


def test_gee_logit_small_sample_inference():
    y, X, groups = simulate_clustered(11, 24)
    fit = gee_logit(y, X, groups, ["x1", "x2", "x3"], covariance="scaled")
    assert fit.estimable and fit.n_clusters == 24 and fit.n_obs == len(y)
    ref = statsmodels_gee(y, X, groups)
    g, k = 24, 4
    se = np.sqrt(np.diag(ref.cov_robust) * g / (g - k))
    t = stats.t.ppf(0.975, g - k)
    for j, name in enumerate(["x1", "x2", "x3"], start=1):
        est = fit.terms[name]
        b = ref.params[j]
        assert est.estimate == pytest.approx(math.exp(b), rel=1e-4)
        assert est.ci_low == pytest.approx(math.exp(b - t * se[j]), rel=1e-4)
        assert est.ci_high == pytest.approx(math.exp(b + t * se[j]), rel=1e-4)
        assert est.p_value == pytest.approx(2 * stats.t.sf(abs(b / se[j]), g - k), rel=1e-3)
        assert est.extra["df"] == g - k


@pytest.mark.parametrize(("seed", "clusters"), [(0, 24), (4, 24), (1, 40), (5, 60), (3, 300)])
def test_bias_reduced_covariance_matches_statsmodels(seed, clusters):
    """Mancl-DeRouen against statsmodels' GEE ``cov_type="bias_reduced"`` to 1e-6."""
    y, X, groups = simulate_clustered(seed, clusters)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = GEE(y, np.column_stack([np.ones(len(y)), X]), groups=groups,
                  family=families.Binomial(), cov_struct=Exchangeable()).fit(
                      cov_type="bias_reduced")
    fit = gee_logit(y, X, groups, ["x1", "x2", "x3"], covariance="mancl_derouen")
    np.testing.assert_allclose(fit.covs["mancl_derouen"], np.asarray(ref.cov_params()),
                               rtol=0, atol=1e-6)
    # The bias-reduced covariance is larger than the plain sandwich (leverage inflates it).
    assert np.all(np.diag(fit.covs["mancl_derouen"]) > np.diag(fit.covs["sandwich"]))
    g, k = clusters, 4
    t = stats.t.ppf(0.975, g - k)
    se = np.sqrt(np.diag(np.asarray(ref.cov_params())))
    est = fit.terms["x1"]
    assert est.ci_low == pytest.approx(math.exp(ref.params[1] - t * se[1]), rel=1e-5)


def test_plain_sandwich_uses_normal_intervals():
    y, X, groups = simulate_clustered(11, 24)
    fit = gee_logit(y, X, groups, ["x1", "x2", "x3"], covariance="sandwich")
    ref = statsmodels_gee(y, X, groups)
    se = np.sqrt(np.diag(ref.cov_robust))
    z = stats.norm.ppf(0.975)
    assert fit.terms["x2"].ci_high == pytest.approx(math.exp(ref.params[2] + z * se[2]),
                                                    rel=1e-4)
    assert fit.terms["x2"].p_value == pytest.approx(float(ref.pvalues[2]), rel=1e-3)
    # One fit, three covariances: the estimates agree, the intervals do not.
    odds = {kind: terms["x2"].estimate for kind, terms in fit.by_covariance.items()}
    assert len(set(odds.values())) == 1
    widths = {kind: terms["x2"].ci_high - terms["x2"].ci_low
              for kind, terms in fit.by_covariance.items()}
    assert widths["sandwich"] < widths["scaled"]


def test_unknown_covariance_is_refused():
    y, X, groups = simulate_clustered(1, 24)
    with pytest.raises(ValueError, match="covariance 'robust' is not one of sandwich"):
        gee_logit(y, X, groups, ["a", "b", "c"], covariance="robust")


def test_sign_test_against_scipy():
    from analysis.stats.exact import sign_test

    for positive, negative in ((7, 2), (3, 3), (0, 5), (12, 1)):
        est = sign_test(positive, negative)
        ref = stats.binomtest(positive, positive + negative, 0.5)
        ci = ref.proportion_ci(0.95, method="exact")
        assert est.p_value == pytest.approx(ref.pvalue, rel=1e-12)
        assert (est.ci_low, est.ci_high) == pytest.approx((ci.low, ci.high), abs=1e-12)
    assert not sign_test(0, 0).estimable


def test_newcombe_difference_is_the_hybrid_score_interval():
    """Newcombe (1998) method 10 from the two Wilson intervals; the batched twin agrees."""
    from analysis.stats.proportions import newcombe_difference

    cases = ((10, 17, 6, 7), (11, 11, 8, 13), (0, 7, 5, 17), (3, 24, 20, 24), (7, 7, 0, 9))
    for k1, n1, k0, n0 in cases:
        p1, p0 = k1 / n1, k0 / n0
        l1, u1 = _wilson_by_formula(k1, n1, 0.05)
        l0, u0 = _wilson_by_formula(k0, n0, 0.05)
        d, low, high = newcombe_difference(k1, n1, k0, n0)
        assert d == pytest.approx(p1 - p0)
        assert low == pytest.approx(p1 - p0 - math.hypot(p1 - l1, u0 - p0), abs=1e-12)
        assert high == pytest.approx(p1 - p0 + math.hypot(u1 - p1, p0 - l0), abs=1e-12)
    k1, n1, k0, n0 = (np.array(c, dtype=float) for c in zip(*cases, strict=True))
    d, low, high = batched.newcombe(k1, n1, k0, n0)
    for i, case in enumerate(cases):
        assert (d[i], low[i], high[i]) == pytest.approx(newcombe_difference(*case), abs=1e-12)


def test_fisher_power_by_enumeration():
    """The exact power of Fisher's test, against a brute-force sum over all tables."""
    from analysis.stats.power import fisher_detectable_share, fisher_power

    n1, n0, p1, p0 = 11, 13, 0.956, 0.5
    total = 0.0
    for i in range(n1 + 1):
        for j in range(n0 + 1):
            table = [[i, n1 - i], [j, n0 - j]]
            if (i + j) in (0, n1 + n0):
                continue
            if stats.fisher_exact(table).pvalue < 0.05:
                total += stats.binom.pmf(i, n1, p1) * stats.binom.pmf(j, n0, p0)
    assert fisher_power(n1, n0, p1, p0) == pytest.approx(total, rel=1e-10)
    assert fisher_power(n1, n0, p1, p0) == pytest.approx(0.70, abs=0.01)
    found = fisher_detectable_share(11, 13)
    assert fisher_power(11, 13, found["detectable_proportion"], 0.5) >= 0.8
    assert fisher_power(11, 13, found["detectable_proportion"] - 0.01, 0.5) < 0.8
    assert not fisher_detectable_share(17, 7)["reached"]  # 7 White survivors: never 80%


def _not_estimable(fit, fragment: str) -> None:
    assert not fit.estimable
    assert fragment in fit.reason
    for est in fit.terms.values():
        assert not est.estimable and est.estimate is None and fragment in est.reason


def test_gee_logit_constant_outcome():
    y, X, groups = simulate_clustered(1, 30)
    _not_estimable(gee_logit(np.zeros_like(y), X, groups, ["a", "b", "c"]),
                   "the outcome is constant")
    _not_estimable(gee_logit(np.ones_like(y), X, groups, ["a", "b", "c"]),
                   "the outcome is constant")


def test_gee_logit_constant_predictor():
    y, X, groups = simulate_clustered(2, 30)
    X[:, 1] = 3.0
    _not_estimable(gee_logit(y, X, groups, ["a", "b", "c"]), "the predictor b is constant")


def test_gee_logit_complete_separation_binary():
    y, X, groups = simulate_clustered(3, 30)
    _not_estimable(gee_logit(X[:, 0], X, groups, ["a", "b", "c"]),
                   "(quasi-)complete separation: an empty cell in outcome by a")
    quasi = y.copy()
    quasi[X[:, 2] == 1] = 0  # no events among the exposed clusters
    _not_estimable(gee_logit(quasi, X, groups, ["a", "b", "c"]), "separation")


def test_gee_logit_complete_separation_continuous():
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(20), 3)
    x = rng.poisson(3, 60).astype(float)
    y = (x > 3).astype(float)
    fit = gee_logit(y, x[:, None], groups, ["prior_calls"])
    assert not fit.estimable
    assert "separation" in fit.reason


def test_gee_logit_too_few_clusters():
    y, X, groups = simulate_clustered(4, 7)
    _not_estimable(gee_logit(y, X, groups, ["a", "b", "c"]), "only 7 survivors (at least 8")
    y, X, groups = simulate_clustered(4, 9)
    fit = gee_logit(y, X[:, :1], groups, ["a"])
    assert fit.n_clusters == 9


def test_gee_logit_collinear_predictors():
    y, X, groups = simulate_clustered(5, 30)
    fit = gee_logit(y, np.column_stack([X[:, 1], 2 * X[:, 1]]), groups, ["a", "b"])
    assert not fit.estimable and fit.reason


def test_gee_logit_never_raises():
    reasons = set()
    estimable = 0
    for seed in range(300):
        rng = np.random.default_rng(seed)
        clusters = int(rng.integers(1, 30))
        groups = np.repeat(np.arange(clusters), rng.integers(1, 5, clusters))
        n = groups.size
        columns = []
        for _ in range(int(rng.integers(1, 4))):
            kind = int(rng.integers(0, 3))
            if kind == 0:
                columns.append((rng.random(n) < rng.random()).astype(float))
            elif kind == 1:
                columns.append(rng.poisson(3 * rng.random(), n).astype(float))
            else:
                columns.append((rng.random(clusters) < rng.random())[groups].astype(float))
        X = np.column_stack(columns)
        y = (rng.random(n) < rng.random()).astype(float)
        fit = gee_logit(y, X, groups, [f"x{j}" for j in range(X.shape[1])])
        if fit.estimable:
            estimable += 1
            for est in fit.terms.values():
                assert np.isfinite(est.estimate) and est.ci_low <= est.estimate <= est.ci_high
                assert est.extra["se"] <= 10
        else:
            assert fit.reason
            reasons.add(fit.reason)
    assert estimable > 50
    text = " | ".join(sorted(reasons))
    for fragment in ("the outcome is constant", "is constant", "separation", "survivors (at "
                     "least 8 needed)"):
        assert fragment in text


# --- cluster risk difference ------------------------------------------------------------


def _hand_rd(frame: pd.DataFrame, alpha: float = 0.05) -> dict[str, float]:
    per = frame.groupby("cluster").agg(events=("y", "sum"), size=("y", "size"),
                                       exposed=("x", "first"))
    out = {}
    for group, part in per.groupby("exposed"):
        p = part["events"].sum() / part["size"].sum()
        g = len(part)
        var = g / (g - 1) * ((part["events"] - p * part["size"]) ** 2).sum() / \
            part["size"].sum() ** 2
        out[bool(group)] = (p, var, g)
    (p1, v1, g1), (p0, v0, g0) = out[True], out[False]
    se = math.sqrt(v1 + v0)
    t = stats.t.ppf(1 - alpha / 2, g1 + g0 - 2)
    rd = p1 - p0
    return {"rd": rd, "se": se, "low": rd - t * se, "high": rd + t * se,
            "p": 2 * stats.t.sf(abs(rd / se), g1 + g0 - 2), "p1": p1, "p0": p0}


@pytest.mark.parametrize("seed", range(5))
def test_cluster_risk_difference_by_hand(seed):
    rng = np.random.default_rng(seed)
    clusters = 24 + 10 * seed
    sizes = rng.integers(1, 7, clusters)
    cluster = np.repeat(np.arange(clusters), sizes)
    x = (rng.random(clusters) < 0.45)[cluster]
    y = (rng.random(cluster.size) < np.where(x, 0.3, 0.5)).astype(int)
    frame = pd.DataFrame({"cluster": cluster, "x": x, "y": y})
    hand = _hand_rd(frame)
    plain = frame.loc[frame["x"], "y"].mean() - frame.loc[~frame["x"], "y"].mean()
    est = cluster_risk_difference(y, x, cluster)
    assert est.estimable
    assert est.estimate == pytest.approx(plain, abs=1e-12)
    assert est.estimate == pytest.approx(hand["rd"], abs=1e-12)
    se = (est.ci_high - est.ci_low) / (2 * stats.t.ppf(0.975, clusters - 2))
    assert se == pytest.approx(hand["se"], rel=1e-10)
    assert (est.ci_low, est.ci_high) == pytest.approx((hand["low"], hand["high"]), abs=1e-12)
    assert est.p_value == pytest.approx(hand["p"], rel=1e-10)
    assert est.extra["risk_exposed"] == pytest.approx(hand["p1"])
    assert est.extra["clusters_exposed"] + est.extra["clusters_unexposed"] == clusters


def test_cluster_risk_difference_not_estimable():
    cluster = np.repeat(np.arange(10), 3)
    y = np.tile([1, 0, 0], 10)
    varying = np.tile([1, 0, 0], 10).astype(bool)
    est = cluster_risk_difference(y, varying, cluster)
    assert not est.estimable and est.reason == "exposure varies within a cluster"
    one_exposed = np.repeat(np.arange(10) == 0, 3)
    est = cluster_risk_difference(y, one_exposed, cluster)
    assert not est.estimable and "fewer than 2 survivors" in est.reason


def test_cluster_risk_difference_zero_variance():
    cluster = np.repeat(np.arange(6), 2)
    x = np.repeat(np.arange(6) < 3, 2)
    y = x.astype(int)
    est = cluster_risk_difference(y, x, cluster)
    assert est.estimate == 1.0 and est.ci_low == est.ci_high == 1.0 and est.p_value is None


# --- power -----------------------------------------------------------------------------


def test_min_clusters_constant():
    assert MIN_CLUSTERS == 8


@pytest.mark.parametrize(("n1", "n0"), [(0, 5), (5, 0), (0, 0)])
def test_power_with_an_empty_group_is_not_estimable(n1, n0):
    from analysis.stats.power import fisher_detectable_share

    out = fisher_detectable_share(n1, n0)
    assert out["estimable"] is False
    assert f"groups of {n1} and {n0}" in out["reason"]
    assert "at least 1 in each group" in out["reason"]
    assert out["detectable_proportion"] is None and out["detectable_odds_ratio"] is None
    json.dumps(out, allow_nan=False)   # nothing infinite


@pytest.mark.parametrize(("n1", "n0"), [(1, 1), (2, 3), (6, 6)])
def test_power_beyond_reach_is_not_estimable_never_infinite(n1, n0):
    from analysis.stats.power import fisher_detectable_share, fisher_power

    out = fisher_detectable_share(n1, n0)
    top = fisher_power(n1, n0, 1.0, 0.5)
    assert top < 0.8
    assert out["estimable"] is False and out["reached"] is False
    assert out["power_at_one"] == pytest.approx(top)
    assert "no share reaches power 0.8 against 0.5" in out["reason"]
    assert out["detectable_odds_ratio"] is None
    json.dumps(out, allow_nan=False)


def test_power_within_reach_is_estimable():
    from analysis.stats.power import fisher_detectable_share

    out = fisher_detectable_share(11, 13)
    assert out["estimable"] is True and out["reason"] == ""
    assert math.isfinite(out["detectable_odds_ratio"])
