"""The batched implementation of every statistic against its one-study twin.

For sampled studies of a batch, every claim's every method (the clustered
model under each covariance, the sign test, the contact-level risk
difference, the survivor-level comparison, the share rules) gives the same
estimate, interval, p-value and verdict as the one-study path: to 1e-8, and
for the clustered models (statsmodels in the one-study path, the batched
engine's own Fisher scoring here, both stopping as statsmodels does) to 1e-7;
the answers do not depend on the batch size; and the batch generator draws
from the same model as the full generator.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from statsmodels.genmod import families
from statsmodels.genmod.cov_struct import Exchangeable
from statsmodels.genmod.generalized_estimating_equations import GEE

from analysis.config import load_config, scenario_config, scenario_key
from analysis.stats import batched
from analysis.steps.claims import evaluate_batch, evaluate_claims, load_registry
from analysis.steps.robustness import run_cell
from analysis.steps.statistics import STATISTICS
from analysis.study.batch import generate_batch, replication_rng
from analysis.study.generate import generate_study

TOL = 1e-8
#: The clustered models: statsmodels stops at a score norm of 1e-6 (ctol) and the batched
#: engine by the same rule; their starting fits differ within the GLM's own tolerance.
GEE_TOL = 1e-7


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def _batch(scenario: str, B: int, n: int = 24, master: int = 11):
    config, multiplier = scenario_config(load_config(), scenario)
    return generate_batch(config, multiplier, n, [replication_rng(master, (7,), r)
                                                  for r in range(B)])


def _close(a, b, tol: float = TOL) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return b is not None and not math.isnan(b) and abs(a - b) <= tol * max(1.0, abs(a))


def _log(value: float | None) -> float | None:
    return None if value is None else math.log(value)


def _one_study_values(claim: dict, method: str) -> tuple:
    """The one-study path's (theta, low, high, p, verdict) for a claim and a batch method."""
    levels = claim["levels"]
    if method == "rule":
        level = levels[claim["primary_level"]]
        return level["estimate"], level["ci_low"], level["ci_high"], None, claim["verdict"]
    if method.startswith("gee_"):
        level = levels["contact"]
        kind = method.removeprefix("gee_")
        other = level["by_covariance"][kind]
        return (_log(level["estimate"]), _log(other["ci_low"]), _log(other["ci_high"]),
                other["p_value"], None)
    level = levels["contact" if method == "risk_difference" else "survivor"]
    return level["estimate"], level["ci_low"], level["ci_high"], level["p_value"], \
        level.get("verdict")


@pytest.mark.parametrize("scenario", ["published", "null", "contrary"])
def test_batched_answers_equal_the_one_study_path(registry, scenario):
    batch = _batch(scenario, 60)
    config = load_config()
    rows = evaluate_batch(batch, registry, 0.05, {"arrest": []}, "scaled")
    checked = 0
    for b in range(0, 60, 4):
        one = {c["id"]: c for c in evaluate_claims(batch.study_arrays(b), registry,
                                                    covariance="scaled")}
        part = rows[rows["study"] == b]
        for entry in registry:
            claim = one[entry["id"]]
            assert part[(part["claim"] == entry["id"]) & (part["role"] == "primary")][
                "verdict"].iloc[0] == claim["verdict"], (scenario, b, entry["id"])
            for method in STATISTICS[entry["statistic"]].methods(entry):
                row = part[(part["claim"] == entry["id"]) & (part["method"] == method)].iloc[0]
                theta, low, high, p, level_verdict = _one_study_values(claim, method)
                if entry["statistic"] == "initiation_patterns":
                    assert row["theta"] == theta
                    continue
                if not row["estimable"]:
                    assert theta is None or not claim["estimable"] or method != claim.get(
                        "method_id"), (entry["id"], method)
                    continue
                tol = GEE_TOL if method.startswith("gee_") else TOL
                for a, name in ((theta, "theta"), (low, "theta_low"), (high, "theta_high")):
                    assert _close(a, float(row[name]), tol), (scenario, b, entry["id"], method,
                                                              name)
                if p is not None:
                    assert _close(p, float(row["p_value"]), tol), (entry["id"], method, "p")
                if level_verdict:
                    assert row["verdict"] == level_verdict, (entry["id"], method)
                checked += 1
    assert config["alpha"] == 0.05
    assert checked > 250


def test_batched_gee_matches_statsmodels_for_every_covariance():
    batch = _batch("published", 30)
    rows = batch.study == 5
    cluster = batch.cluster[rows]
    X = np.column_stack([np.ones(rows.sum()), batch.visible_injury[rows], batch.prior_calls[rows]])
    y = batch.arrest[rows]
    fit = batched.gee_exchangeable(batch.arrest, np.column_stack(
        [np.ones(batch.cluster.size), batch.visible_injury, batch.prior_calls]),
        batch.cluster, batch.survivor_study, batch.B)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GEE(y, X, groups=cluster, family=families.Binomial(), cov_struct=Exchangeable())
        robust = model.fit()
        reduced = model.fit(cov_type="bias_reduced")
    assert fit.estimable[5]
    np.testing.assert_allclose(fit.params[5], robust.params, atol=1e-6)
    np.testing.assert_allclose(fit.covs["sandwich"][5], robust.cov_robust, atol=1e-6)
    np.testing.assert_allclose(fit.covs["mancl_derouen"][5], np.asarray(reduced.cov_params()),
                               atol=1e-6)


def test_batched_exact_tests_match_scipy():
    from scipy import stats

    rng = np.random.default_rng(3)
    a, b, c, d = (rng.integers(0, 12, 300) for _ in range(4))
    p = batched.fisher_two_sided(a, b, c, d)
    for i in range(0, 300, 7):
        table = [[a[i], b[i]], [c[i], d[i]]]
        expected = stats.fisher_exact(table).pvalue
        assert p[i] == pytest.approx(expected, rel=1e-10), table
    k = rng.integers(0, 20, 200)
    n = k + rng.integers(0, 20, 200)
    pb = batched.binom_two_sided(k, n)
    for i in range(0, 200, 9):
        if n[i] > 0:
            assert pb[i] == pytest.approx(stats.binomtest(int(k[i]), int(n[i])).pvalue,
                                          rel=1e-10)
    low, high = batched.clopper_pearson(k, n)
    for i in range(0, 200, 11):
        if n[i] > 0:
            ci = stats.binomtest(int(k[i]), int(n[i])).proportion_ci(method="exact")
            assert (low[i], high[i]) == pytest.approx((ci.low, ci.high), abs=1e-12)


def test_batched_holm_matches_statsmodels():
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(5)
    p = rng.random((50, 6))
    p[3, 2] = np.nan
    out = batched.holm(p)
    for i in range(50):
        present = ~np.isnan(p[i])
        np.testing.assert_allclose(out[i, present],
                                   multipletests(p[i, present], method="holm")[1], rtol=1e-12)
    assert np.isnan(out[3, 2])


def test_answers_do_not_depend_on_the_batch_size(registry):
    """Same rows in the same order; numbers equal to rounding (stacked BLAS kernels may
    differ in the last bit), and identical once written with the outputs' float format."""
    from analysis.io import FLOAT_FORMAT

    config = load_config()
    cell = (scenario_key("published"),)
    small = run_cell(config, registry, "published", None, 24, cell, list(range(30)),
                     batch_size=7)
    large = run_cell(config, registry, "published", None, 24, cell, list(range(30)),
                     batch_size=1000)
    assert small[["study", "claim", "method", "verdict"]].equals(
        large[["study", "claim", "method", "verdict"]])
    for column in ("theta", "theta_low", "theta_high", "se", "p_value"):
        np.testing.assert_allclose(small[column], large[column], rtol=1e-12, equal_nan=True)
    assert small.to_csv(float_format=FLOAT_FORMAT) == large.to_csv(float_format=FLOAT_FORMAT)


def test_the_batch_generator_draws_from_the_full_generators_model():
    """At large n both generators give the same rates (within a few binomial SEs)."""
    config = load_config()
    full = generate_study({**config, "n_participants": 20000}, interviews=False,
                          coding=False).tables["incidents"]
    batch = _batch("published", 1, n=20000)
    for column, values in (("any_practice", batch.any_practice), ("arrest", batch.arrest),
                           ("wanted_arrest", batch.wanted_arrest),
                           ("treated_poorly", batch.treated_poorly),
                           ("visible_injury", batch.visible_injury)):
        p_full, p_batch = full[column].mean(), values.mean()
        se = math.sqrt(p_full * (1 - p_full) * (1 / len(full) + 1 / values.size))
        assert abs(p_full - p_batch) < 5 * se, (column, p_full, p_batch)
    self_full = (full["initiator"] == "self").mean()
    assert abs(self_full - batch.self_initiated.mean()) < 0.01
