"""The simulation study: bias, coverage and power of every claim's methods, with Monte Carlo SEs.

Planned and reported in the ADEMP structure of Morris, White & Crowther
(2019, Statistics in Medicine 38, 2074-2102):

* Aims: how often each claim is reproduced as a function of the true effect
  and of the number of survivors; whether the intervals cover; how many
  survivors a confirmatory study would need; which covariance of the
  clustered models keeps coverage near 95% with two dozen survivors.
* Data-generating mechanisms: the published model with every association
  multiplied by each of ``simulation.effect_multipliers``, at each of
  ``simulation.n_participants`` (a cell is one multiplier and one size).
* Estimands: each claim's estimand (its registry ``estimand``), per method on
  that method's analysis scale (:mod:`analysis.steps.statistics`); the true value
  is the same estimator applied to one study of
  ``simulation.truth_participants`` survivors at the cell's multiplier
  (:func:`true_values`).
* Methods: the clustered model under three covariances (plain sandwich,
  scaled by G/(G-k), Mancl-DeRouen) and the survivor-level sign test for
  within-survivor associations; the cluster-robust risk difference and the
  survivor-level comparison for race contrasts; the claim's rule for shares.
* Performance measures (:mod:`analysis.steps.performance`): bias and relative
  bias, the empirical and the mean model standard error, coverage of the 95%
  interval, the rejection rate (power; type I error at multiplier 0) and the
  shares of verdicts, each with its Monte Carlo standard error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from analysis.config import scenario_config, scenario_key
from analysis.steps.claims import evaluate_batch, registry_settings
from analysis.steps.performance import SCENARIO
from analysis.steps.replications import shard_replications
from analysis.steps.robustness import run_cell
from analysis.study.batch import generate_batch, replication_rng

#: Spawn keys of the simulation's replications and of its true values.
SIMULATION_KEY, TRUTH_KEY = 201, 301


def multiplier_key(multiplier: float) -> int:
    """A stable integer key of an effect multiplier (thousandths), for the seeds."""
    return int(round(float(multiplier) * 1000)) + 100_000


def cell_key(multiplier: float, n: int) -> tuple[int, int, int]:
    return (SIMULATION_KEY, multiplier_key(multiplier), int(n))


def run_shard(config: Mapping[str, Any], registry: Sequence[Mapping[str, Any]], n: int,
              shard: int) -> pd.DataFrame:
    """One shard of the simulation at sample size ``n``: every multiplier, its replications."""
    sim = config["simulation"]
    reps = shard_replications(int(sim["replications"]), int(sim["shards"]), int(shard))
    frames = []
    for multiplier in sim["effect_multipliers"]:
        rows = run_cell(config, registry, SCENARIO, float(multiplier), int(n),
                        cell_key(multiplier, n), list(reps), int(config["batch_size"]))
        rows.insert(0, "effect_multiplier", float(multiplier))
        rows.insert(1, "n_participants", int(n))
        frames.append(rows)
    return pd.concat(frames, ignore_index=True)


def true_values(config: Mapping[str, Any], registry: Sequence[Mapping[str, Any]],
                multiplier: float | None, scenario: str = SCENARIO) -> pd.DataFrame:
    """Each claim's and method's true value: its estimator on one very large study.

    The study has ``simulation.truth_participants`` survivors in the
    configured composition, generated at ``multiplier`` (None: the
    scenario's own). Columns: claim, method, truth.
    """
    generating, own = scenario_config(config, scenario)
    multiplier = own if multiplier is None else float(multiplier)
    n = int(config["simulation"]["truth_participants"])
    rng = replication_rng(config["seed"], (TRUTH_KEY, multiplier_key(multiplier),
                                           scenario_key(scenario)), 0)
    batch = generate_batch(generating, multiplier, n, [rng])
    rows = evaluate_batch(batch, registry, float(config["alpha"]),
                          {"arrest": list(config.get("arrest_model_extra_covariates", []))},
                          registry_settings()["gee_covariance"], tests=False)
    out = rows[["claim", "method", "theta"]].rename(columns={"theta": "truth"})
    return out.reset_index(drop=True)


def truth_table(config: Mapping[str, Any], registry: Sequence[Mapping[str, Any]]
                ) -> pd.DataFrame:
    """True values at every multiplier of the grid (published model) and of every scenario.

    A scenario that only scales the published model by a multiplier of the
    grid (published, null) takes the grid's values; the others (reversed,
    contrary) are computed on their own large study.
    """
    frames = []
    grid = [float(m) for m in config["simulation"]["effect_multipliers"]]
    for multiplier in grid:
        frame = true_values(config, registry, multiplier)
        frame.insert(0, "scenario", SCENARIO)
        frame.insert(1, "effect_multiplier", multiplier)
        frames.append(frame)
    by_multiplier = dict(zip(grid, frames, strict=True))
    scenario_frames = []
    for scenario, spec in config["scenarios"].items():
        multiplier = float(spec["effect_multiplier"])
        if not spec.get("overrides") and multiplier in by_multiplier:
            frame = by_multiplier[multiplier].drop(columns="scenario").copy()
        else:
            frame = true_values(config, registry, None, scenario)
            frame.insert(0, "effect_multiplier", multiplier)
        frame.insert(0, "scenario", scenario)
        scenario_frames.append(frame)
    out = pd.concat([*frames, *scenario_frames], ignore_index=True)
    out.insert(0, "table", ["grid"] * sum(map(len, frames))
               + ["scenario"] * sum(map(len, scenario_frames)))
    return out
