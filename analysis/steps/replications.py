"""Replications split into shards, merged in one order, and summarised with Monte Carlo SEs.

The light half of the robustness study: no generator and no estimator is
imported here, so merging shards starts quickly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.study.vocabulary import VERDICTS

#: Columns of a robustness shard and of replications.csv.
COLUMNS = ["scenario", "replication", "claim", "verdict", "reproduced", "significant",
           "estimable", "estimate", "ci_low", "ci_high", "p_value"]


def shard_replications(total: int, shards: int, shard: int) -> range:
    """The replications of one shard: contiguous blocks, sizes differing by at most one."""
    if not 0 <= shard < shards:
        raise ValueError(f"shard {shard} is outside 0..{shards - 1}")
    base, extra = divmod(total, shards)
    start = shard * base + min(shard, extra)
    return range(start, start + base + (1 if shard < extra else 0))


def merge_shards(frames: Iterable[pd.DataFrame], scenarios: Sequence[str]) -> pd.DataFrame:
    """Concatenate shard results in a canonical order (``scenarios``, replication, claim order).

    Every scenario of ``scenarios`` must be there, and no other.
    """
    frame = pd.concat(list(frames), ignore_index=True)
    present = set(frame["scenario"])
    missing = [s for s in scenarios if s not in present]
    unknown = sorted(present - set(scenarios))
    if missing or unknown:
        raise ValueError("robustness shards: " + "; ".join(
            [f"no replications of scenario(s) {', '.join(missing)}"] * bool(missing)
            + [f"scenario(s) {', '.join(unknown)} not in robustness_scenarios"] * bool(unknown)))
    claim_order = {c: i for i, c in enumerate(dict.fromkeys(frame["claim"]))}
    scenario_order = {s: i for i, s in enumerate(scenarios)}
    frame["_claim"] = frame["claim"].map(claim_order)
    frame["_scenario"] = frame["scenario"].map(scenario_order)
    frame = frame.sort_values(["_scenario", "replication", "_claim"], kind="mergesort")
    return frame.drop(columns=["_claim", "_scenario"]).reset_index(drop=True)


def scenario_table(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The robustness scenarios in order: name, title, description and effect multiplier.

    What figures and tables read (``robustness/scenarios.json``) to name the
    scenarios the replications were drawn in.
    """
    return [{"name": name, "title": config["scenarios"][name]["title"],
             "description": config["scenarios"][name]["description"],
             "effect_multiplier": float(config["scenarios"][name]["effect_multiplier"])}
            for name in config["robustness_scenarios"]]


def share_with_mcse(hits: pd.Series) -> tuple[float, float]:
    """A share of replications and its Monte Carlo standard error sqrt(p (1 - p) / R)."""
    n = len(hits)
    share = float(np.mean(hits)) if n else float("nan")
    return share, (float(np.sqrt(share * (1 - share) / n)) if n else float("nan"))


def summarize(replications: pd.DataFrame) -> pd.DataFrame:
    """Per claim and scenario: verdict shares, test rejections and estimability, with MCSEs.

    Scenarios in the order of ``replications`` (:func:`merge_shards` puts them
    in the configured order).

    ``significant_share`` is over the replications in which the claim has a
    test (a p-value); empty for claims without one. Monte Carlo standard
    errors are sqrt(p (1 - p) / R).
    """
    rows = []
    for claim in dict.fromkeys(replications["claim"]):
        for scenario in dict.fromkeys(replications["scenario"]):
            part = replications[(replications["claim"] == claim)
                                & (replications["scenario"] == scenario)]
            if part.empty:
                continue
            row = {"claim": claim, "scenario": scenario, "replications": len(part)}
            for verdict, name in zip(VERDICTS, ("reproduced", "inconclusive", "not_reproduced"),
                                     strict=True):
                row[f"{name}_share"], row[f"{name}_mcse"] = share_with_mcse(
                    part["verdict"] == verdict)
            tested = part["significant"].dropna()
            row["tested"] = int(len(tested))
            row["significant_share"], row["significant_mcse"] = (
                share_with_mcse(tested.astype(bool)) if len(tested) else (np.nan, np.nan))
            row["estimable_share"] = float(part["estimable"].mean())
            rows.append(row)
    return pd.DataFrame(rows)
