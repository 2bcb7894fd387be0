"""Replications: the robustness study (the configured scenarios) and the simulation study.

Both regenerate the study many times and evaluate the whole claims registry on
every replication with the batch engine (:func:`analysis.study.batch.generate_batch`
and :func:`analysis.steps.claims.evaluate_batch`), in batches of
``batch_size`` studies so that memory stays bounded. A *cell* is a scenario,
an effect multiplier and a number of survivors; replication ``r`` of a cell
draws from ``SeedSequence(seed, spawn_key=(cell keys..., r))``, so results do
not depend on the batch size, on how replications are split into shards, or
on the cores that run them.

* The robustness study: the scenarios of ``robustness_scenarios`` at the
  study's size, each drawing from the seed stream of its name
  (:func:`analysis.config.scenario_key`);
  :func:`analysis.steps.replications.summarize` gives per claim and scenario the
  share of replications reproducing it, inconclusive and not reproducing it,
  each with its Monte Carlo standard error.
* The simulation study (:mod:`analysis.steps.simulation`) runs the grid of
  effect multipliers and sample sizes in the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.config import scenario_config, scenario_key
from analysis.steps.claims import BATCH_COLUMNS, evaluate_batch, registry_settings
from analysis.steps.replications import COLUMNS
from analysis.steps.verdicts import REPRODUCED
from analysis.study.batch import generate_batch, replication_rng

DEFAULT_BATCH = 1000


def cell_rngs(master: int, cell: Sequence[int], replications: Iterable[int]
              ) -> list[np.random.Generator]:
    """One generator per replication of a cell."""
    return [replication_rng(master, cell, r) for r in replications]


def run_cell(config: Mapping[str, Any], registry: Sequence[Mapping[str, Any]], scenario: str,
             multiplier: float | None, n: int, cell: Sequence[int], replications: Sequence[int],
             batch_size: int = DEFAULT_BATCH) -> pd.DataFrame:
    """Regenerate and evaluate ``replications`` of one cell, ``batch_size`` studies at a time.

    ``multiplier`` scales every association (None: the scenario's own).
    Returns the rows of :func:`analysis.steps.claims.evaluate_batch`, with the
    replication number in ``study``.
    """
    generating, own = scenario_config(config, scenario)
    multiplier = own if multiplier is None else float(multiplier)
    covariance = registry_settings()["gee_covariance"]
    extra = {"arrest": list(config.get("arrest_model_extra_covariates", []))}
    replications = list(replications)
    frames = []
    for start in range(0, len(replications), max(1, int(batch_size))):
        part = replications[start:start + batch_size]
        batch = generate_batch(generating, multiplier, n, cell_rngs(config["seed"], cell, part))
        frames.append(evaluate_batch(batch, registry, float(config["alpha"]), extra, covariance,
                                     studies=np.asarray(part)))
    if not frames:
        return pd.DataFrame(columns=list(BATCH_COLUMNS))
    frame = pd.concat(frames, ignore_index=True)
    # One canonical order (replication, then the registry's claims and methods), whatever
    # the batches: a stable sort on the replication keeps the order within a study.
    return frame.sort_values("study", kind="mergesort").reset_index(drop=True)


def run_replications(config: Mapping[str, Any], registry: Sequence[Mapping[str, Any]],
                     scenario: str, replications: Iterable[int]) -> pd.DataFrame:
    """The robustness replications of one scenario at the study's size (columns :data:`COLUMNS`)."""
    rows = run_cell(config, registry, scenario, None, int(config["n_participants"]),
                    (scenario_key(scenario),), list(replications),
                    int(config.get("batch_size", DEFAULT_BATCH)))
    primary = rows[rows["role"] == "primary"].copy()
    natural = primary["method"].str.startswith("gee_")
    alpha = float(config["alpha"])
    out = pd.DataFrame({
        "scenario": scenario,
        "replication": primary["study"].to_numpy(),
        "claim": primary["claim"].to_numpy(),
        "verdict": primary["verdict"].to_numpy(),
        "reproduced": (primary["verdict"] == REPRODUCED).to_numpy(),
        "significant": pd.array(np.where(primary["p_value"].isna(), None,
                                         primary["p_value"] < alpha), dtype="boolean"),
        "estimable": primary["estimable"].to_numpy(),
        # Odds ratios on their natural scale, as in claims.json.
        "estimate": np.where(natural, np.exp(primary["theta"]), primary["theta"]),
        "ci_low": np.where(natural, np.exp(primary["theta_low"]), primary["theta_low"]),
        "ci_high": np.where(natural, np.exp(primary["theta_high"]), primary["theta_high"]),
        "p_value": primary["p_value"].to_numpy(),
    })
    return out[COLUMNS].reset_index(drop=True)
