"""The simulation study's performance measures: against the truth, with honest Monte Carlo SEs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.config import load_config
from analysis.steps.claims import load_registry, registry_settings
from analysis.steps.performance import (
    covariance_choice,
    measures,
    merge_shards,
    performance,
    survivors_needed,
)
from analysis.steps.simulation import run_shard, truth_table


@pytest.fixture(scope="module")
def small():
    """A small grid: three sizes, multipliers 0 and 1, 160 replications, truth at 30,000."""
    config = load_config()
    config["simulation"] = {**config["simulation"], "effect_multipliers": [0.0, 1.0],
                            "n_participants": [24, 96, 240], "replications": 160, "shards": 2,
                            "truth_participants": 30000}
    registry = load_registry()
    truth = truth_table(config, registry)
    shards = [run_shard(config, registry, n, s) for n in (24, 96, 240) for s in (1, 0)]
    perf = performance(merge_shards(shards), truth, 0.05)
    return config, registry, truth, shards, perf


def _get(perf, claim, method, n, m, measure):
    row = perf[(perf["claim"] == claim) & (perf["method"] == method)
               & (perf["n_participants"] == n) & (perf["effect_multiplier"] == m)
               & (perf["measure"] == measure)]
    assert len(row) == 1, (claim, method, n, m, measure)
    return float(row["estimate"].iloc[0]), float(row["mcse"].iloc[0])


def test_the_performance_table_is_tidy(small):
    _, _, _, _, perf = small
    assert list(perf.columns) == ["claim", "scenario", "n_participants", "effect_multiplier",
                                  "method", "role", "measure", "estimate", "mcse", "truth"]
    assert set(perf["role"]) == {"primary", "secondary"}
    assert perf.groupby(["claim", "n_participants", "effect_multiplier", "method"]).size().max() \
        == 10


def test_results_do_not_depend_on_the_shards(small):
    config, registry, truth, shards, perf = small
    one = {**config, "simulation": {**config["simulation"], "shards": 1}}
    whole = [run_shard(one, registry, n, 0) for n in (24, 96, 240)]
    again = performance(merge_shards(whole), truth, 0.05)
    assert again.to_csv() == perf.to_csv()


def test_type_one_error_of_the_primary_method_is_near_alpha(small):
    _, _, _, _, perf = small
    method = f"gee_{registry_settings()['gee_covariance']}"
    for claim in ("C4", "C6", "C7"):
        rate, mcse = _get(perf, claim, method, 24, 0.0, "rejection")
        assert abs(rate - 0.05) <= 3 * max(mcse, math.sqrt(0.05 * 0.95 / 160)) + 0.01, claim


def test_power_rises_with_the_number_of_survivors(small):
    _, _, _, _, perf = small
    method = f"gee_{registry_settings()['gee_covariance']}"
    for claim in ("C4", "C6", "C7"):
        powers = [_get(perf, claim, method, n, 1.0, "reproduced") for n in (24, 96, 240)]
        for (p0, s0), (p1, s1) in zip(powers, powers[1:], strict=False):
            assert p1 >= p0 - 2 * math.hypot(s0, s1), (claim, powers)
        assert powers[-1][0] > powers[0][0]


def test_a_large_cell_has_little_bias(small):
    _, _, _, _, perf = small
    method = f"gee_{registry_settings()['gee_covariance']}"
    for claim in ("C4", "C6", "C7"):
        bias, mcse = _get(perf, claim, method, 240, 1.0, "bias")
        assert abs(bias) <= 3 * mcse + 0.05, (claim, bias, mcse)
    for claim in ("C8a", "C10b"):
        bias, mcse = _get(perf, claim, "risk_difference", 240, 1.0, "bias")
        assert abs(bias) <= 3 * mcse + 0.01, (claim, bias, mcse)


def test_coverage_is_computed_against_the_true_value():
    """Intervals that all contain the sample mean but not the truth cover 0%."""
    rng = np.random.default_rng(1)
    theta = rng.normal(1.0, 0.1, 200)
    part = pd.DataFrame({"theta": theta, "theta_low": theta - 0.05, "theta_high": theta + 0.05,
                         "se": 0.1, "p_value": 0.01, "estimable": True,
                         "verdict": "reproduced"})
    truth = 2.0
    out = measures(part, truth, 0.05)
    assert out["coverage"][0] == 0.0
    assert out["bias"][0] == pytest.approx(theta.mean() - truth)
    assert out["empirical_se"][0] == pytest.approx(theta.std(ddof=1))
    assert out["empirical_se"][1] == pytest.approx(theta.std(ddof=1) / math.sqrt(2 * 199))
    assert out["model_se"][0] == pytest.approx(0.1)
    near = measures(part, float(theta.mean()), 0.05)["coverage"][0]
    assert near < 1.0  # the intervals are too narrow for the spread of the estimates


def test_true_values_come_from_the_large_study(small):
    _, _, truth, _, _ = small
    grid = truth[truth["table"] == "grid"]
    # No effects: the true odds ratio per earlier call is 1 and the race difference 0.
    zero = grid[grid["effect_multiplier"] == 0.0].set_index(["claim", "method"])["truth"]
    assert abs(zero[("C6", "gee_scaled")]) < 0.05
    assert abs(zero[("C8b", "risk_difference")]) < 0.02
    one = grid[grid["effect_multiplier"] == 1.0].set_index(["claim", "method"])["truth"]
    assert one[("C7", "gee_scaled")] > 0.5          # visible injury raises arrest
    assert one[("C8a", "risk_difference")] > 0.05   # survivors of colour call more often
    assert one[("C1", "rule")] == pytest.approx(0.80, abs=0.02)
    scenarios = truth[truth["table"] == "scenario"]
    assert set(scenarios["scenario"]) == {"published", "null", "reversed", "contrary"}


def test_survivors_needed_interpolates_the_power_curve():
    rows = []
    for n, power in ((12, 0.1), (24, 0.3), (48, 0.7), (96, 0.9), (240, 0.99)):
        rows.append({"claim": "C7", "method": "gee_scaled", "role": "primary",
                     "measure": "reproduced", "effect_multiplier": 1.0, "n_participants": n,
                     "estimate": power, "mcse": 0.02})
        rows.append({"claim": "C9a", "method": "survivor_exact", "role": "primary",
                     "measure": "reproduced", "effect_multiplier": 1.0, "n_participants": n,
                     "estimate": power / 4, "mcse": 0.02})
    table = survivors_needed(pd.DataFrame(rows)).set_index("claim")
    expected = math.exp(math.log(48) + (0.8 - 0.7) * (math.log(96) - math.log(48)) / 0.2)
    assert table.loc["C7", "survivors_needed"] == pytest.approx(expected)
    assert not table.loc["C9a", "reached"]


def test_the_registry_covariance_is_the_one_nearest_95_percent(small):
    _, _, _, _, perf = small
    choice = covariance_choice(perf, 24)
    assert set(choice["covariance"]) == {"sandwich", "scaled", "mancl_derouen"}
    assert choice["chosen"].sum() == 1
    by = choice.set_index("covariance")
    # The plain sandwich is too narrow with 24 survivors; the corrections cover more.
    assert by.loc["sandwich", "mean_coverage"] < by.loc["scaled", "mean_coverage"]
    assert by.loc["scaled", "mean_coverage"] < by.loc["mancl_derouen", "mean_coverage"]
