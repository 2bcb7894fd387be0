"""Robustness across synthetic replications.

The study is regenerated R times under the ``published`` and the ``null``
scenario, and every claim of the registry is evaluated each time with
:func:`analysis.steps.claims.evaluate_claims` (the function that writes
claims.json). The seed of replication r of a scenario is derived from the
master seed, the scenario and r alone, so results do not depend on how the
replications are split into shards or spread over cores.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from analysis.steps.claims import evaluate_claims
from analysis.study.arrays import StudyArrays
from analysis.study.generate import generate_study

SCENARIO_KEYS: dict[str, int] = {"published": 101, "null": 102, "reversed": 103}
COLUMNS = ["scenario", "replication", "seed", "claim", "reproduced", "significant", "estimable",
           "estimate", "p_value"]


def replication_seed(master: int, scenario: str, replication: int) -> int:
    """Seed of one replication: ``SeedSequence(master, spawn_key=(scenario, r))``."""
    sequence = np.random.SeedSequence(master, spawn_key=(SCENARIO_KEYS[scenario], replication))
    return int(sequence.generate_state(1, dtype=np.uint32)[0])


def shard_replications(total: int, shards: int, shard: int) -> range:
    """The replications of one shard: contiguous blocks, sizes differing by at most one."""
    if not 0 <= shard < shards:
        raise ValueError(f"shard {shard} is outside 0..{shards - 1}")
    base, extra = divmod(total, shards)
    start = shard * base + min(shard, extra)
    return range(start, start + base + (1 if shard < extra else 0))


def run_replications(config: Mapping[str, Any], registry: list[dict[str, Any]], scenario: str,
                     replications: Iterable[int]) -> pd.DataFrame:
    """Regenerate and evaluate the study once per replication.

    Parameters
    ----------
    config
        Validated configuration; its ``scenario`` is replaced by ``scenario``.
    replications
        Replication numbers (0-based) to run.

    Returns
    -------
    DataFrame
        One row per replication and claim (columns :data:`COLUMNS`).
    """
    scenario_config = {**config, "scenario": scenario}
    alpha = float(config["alpha"])
    extra = {"arrest": list(config.get("arrest_model_extra_covariates", []))}
    rows: list[tuple] = []
    for r in replications:
        seed = replication_seed(int(config["seed"]), scenario, r)
        study = generate_study(scenario_config, seed=seed, interviews=False, coding=False)
        arrays = StudyArrays.from_tables(study.tables)
        for result in evaluate_claims(arrays, registry, alpha, extra):
            rows.append((scenario, r, seed, result["id"], result["reproduced"],
                         result["significant"], result["estimable"], result["estimate"],
                         result["p_value"]))
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["significant"] = frame["significant"].astype("boolean")
    return frame


def merge_shards(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate shard results in a canonical order (scenario, replication, claim order)."""
    frame = pd.concat(list(frames), ignore_index=True)
    claim_order = {c: i for i, c in enumerate(dict.fromkeys(frame["claim"]))}
    frame["_claim_order"] = frame["claim"].map(claim_order)
    frame = frame.sort_values(["scenario", "replication", "_claim_order"], kind="mergesort")
    return frame.drop(columns="_claim_order").reset_index(drop=True)


def summarize(replications: pd.DataFrame) -> pd.DataFrame:
    """Per claim and scenario: reproduced share, significant share, Monte Carlo SEs.

    ``significant_share`` is computed over the replications in which the claim
    has a test (a p-value); it is empty for claims without one. Monte Carlo
    standard errors are sqrt(p (1 - p) / R).
    """
    rows = []
    claims = list(dict.fromkeys(replications["claim"]))
    for claim in claims:
        for scenario in dict.fromkeys(replications["scenario"]):
            part = replications[(replications["claim"] == claim)
                                & (replications["scenario"] == scenario)]
            if part.empty:
                continue
            n = len(part)
            reproduced = float(part["reproduced"].mean())
            tested = part["significant"].dropna()
            sig = float(tested.astype(bool).mean()) if len(tested) else np.nan
            rows.append({
                "claim": claim,
                "scenario": scenario,
                "replications": n,
                "reproduced_share": reproduced,
                "reproduced_mcse": float(np.sqrt(reproduced * (1 - reproduced) / n)),
                "tested": int(len(tested)),
                "significant_share": sig,
                "significant_mcse": (float(np.sqrt(sig * (1 - sig) / len(tested)))
                                     if len(tested) else np.nan),
                "estimable_share": float(part["estimable"].mean()),
            })
    return pd.DataFrame(rows)
