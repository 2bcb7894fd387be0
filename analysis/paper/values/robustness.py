"""values.yml, robustness and simulation: how often each claim is reproduced, and why."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from analysis.paper import fmt
from analysis.paper.values.common import one, rows
from analysis.steps.performance import needed_text
from analysis.steps.verdicts import nominal_rate

SHARES = ("reproduced", "inconclusive", "not_reproduced")
#: The scenarios the manuscript's text discusses by name (their summaries below).
DISCUSSED = ("published", "null", "contrary")


def robustness_values(claims: list[dict[str, Any]], summary: pd.DataFrame,
                      scenarios: list[dict[str, Any]], alpha: float = 0.05) -> dict[str, Any]:
    """``robustness``: per claim and scenario the verdict shares with MCSEs, and summaries.

    ``scenarios`` are the robustness scenarios in order (``robustness/scenarios.json``);
    every one has its shares per claim. The summaries the text quotes about the
    published, null and contrary worlds need those scenarios among them.
    """
    names = [s["name"] for s in scenarios]
    missing = [name for name in DISCUSSED if name not in names]
    if missing:
        raise ValueError(f"robustness_scenarios lacks {', '.join(missing)}: the manuscript's "
                         "text discusses the published, null and contrary worlds")
    robust: dict[str, Any] = {
        "scenarios": fmt.join_words(names),
        "n_scenarios": str(len(names)),
    }
    for claim in claims:
        cid = claim["id"]
        entry: dict[str, Any] = {}
        for scenario in names:
            row = one(summary, claim=cid, scenario=scenario)
            entry[scenario] = {
                **{name: fmt.percent(row[f"{name}_share"], 1) for name in SHARES},
                **{f"{name}_mcse": fmt.percent(row[f"{name}_mcse"], 1) for name in SHARES},
                "significant": (fmt.percent(row["significant_share"], 1)
                                if pd.notna(row["significant_share"]) else "no test"),
                "estimable": fmt.percent(row["estimable_share"], 1),
            }
        reps = int(rows(summary, claim=cid)["replications"].max())
        entry["replications"] = fmt.count(reps)
        robust[cid] = entry
    association = [c["id"] for c in claims
                   if c["direction"] in ("positive", "negative", "two-sided")]
    published = rows(summary, scenario="published")
    null = rows(summary, scenario="null")
    contrary = rows(summary, scenario="contrary")
    null_assoc = null[null["claim"].isin(association)]
    worst = null_assoc.loc[null_assoc["reproduced_share"].idxmax()]
    top = worst["reproduced_share"]
    robust["null_max"] = fmt.percent(top, 1)
    robust["null_max_claim"] = " and ".join(
        null_assoc.loc[null_assoc["reproduced_share"] == top, "claim"].astype(str))
    robust["null_max_mcse"] = fmt.percent(worst["reproduced_mcse"], 1)
    robust["contrary_max"] = fmt.percent(contrary["reproduced_share"].max(), 1)
    robust["contrary_phrase"] = (
        "no claim was reproduced in any of them" if contrary["reproduced_share"].max() == 0
        else f"no claim was reproduced in more than {robust['contrary_max']} of them")
    # Over the association claims (the descriptive ones have their own summary below).
    pub_assoc = published[published["claim"].isin(association)]
    robust["published_min"] = fmt.percent(pub_assoc["reproduced_share"].min(), 1)
    robust["published_max"] = fmt.percent(pub_assoc["reproduced_share"].max(), 1)
    descriptive = published[~published["claim"].isin(association)]
    null_desc = null[~null["claim"].isin(association)]
    robust["null_descriptive_min"] = fmt.percent(null_desc["reproduced_share"].min(), 1)
    robust["published_descriptive_min"] = fmt.percent(descriptive["reproduced_share"].min(), 1)
    robust["assoc_below_half"] = str(int((pub_assoc["reproduced_share"] < 0.5).sum()))
    # A null false reproduction above its nominal rate by more than two Monte Carlo SEs.
    above = []
    for cid in association:
        rate = nominal_rate(next(c for c in claims if c["id"] == cid)["direction"], alpha)
        robust[cid]["nominal"] = fmt.percent(rate, 1)
        row = one(null, claim=cid)
        if row["reproduced_share"] - rate > 2 * row["reproduced_mcse"]:
            above.append(f"{cid} ({fmt.percent(row['reproduced_share'], 1)})")
    robust["null_above_nominal"] = ", ".join(above) if above else "none"
    return robust



def performance_measure(perf: pd.DataFrame, claim: str, method: str, n: int, multiplier: float,
                        measure: str) -> tuple[float, float]:
    """A simulation measure's estimate and MCSE in one cell; NaN, NaN when it is not there."""
    row = perf[(perf["claim"] == claim) & (perf["method"] == method)
               & (perf["n_participants"] == n) & (perf["effect_multiplier"] == multiplier)
               & (perf["measure"] == measure)]
    if len(row) != 1:
        return float("nan"), float("nan")
    return float(row["estimate"].iloc[0]), float(row["mcse"].iloc[0])


def simulation_values(claims: list[dict[str, Any]], perf: pd.DataFrame,
                      sample_size: pd.DataFrame, covariance: pd.DataFrame,
                      config: Mapping[str, Any], registry_covariance: str) -> dict[str, Any]:
    """``simulation``: the grid, power and coverage of each claim's primary method, sizes needed."""
    sim = config["simulation"]
    n = int(config["n_participants"])
    primary = perf[perf["role"] == "primary"]
    values: dict[str, Any] = {
        "replications": fmt.count(sim["replications"]),
        "multipliers": ", ".join(fmt.number(m, 1) for m in sim["effect_multipliers"]),
        "sizes": ", ".join(str(s) for s in sim["n_participants"]),
        "cells": str(len(sim["effect_multipliers"]) * len(sim["n_participants"])),
        "truth_participants": fmt.count(sim["truth_participants"]),
        "coverage_mcse": fmt.percent(float(np.sqrt(0.95 * 0.05 / sim["replications"])), 1),
        "power_mcse_max": fmt.percent(float(np.sqrt(0.25 / sim["replications"])), 1),
    }
    for claim in claims:
        cid = claim["id"]
        methods = primary[primary["claim"] == cid]["method"]
        if methods.empty:
            continue
        method = methods.iloc[0]
        entry = {"method": method}
        for multiplier, name in ((1.0, "power"), (0.0, "null")):
            share, mcse = performance_measure(perf, cid, method, n, multiplier, "reproduced")
            entry[f"{name}_reproduced"] = fmt.percent(share, 1)
            entry[f"{name}_reproduced_mcse"] = fmt.percent(mcse, 1)
            cov, _ = performance_measure(perf, cid, method, n, multiplier, "coverage")
            entry[f"{name}_coverage"] = fmt.percent(cov, 1)
        values[cid] = entry
    for _, row in sample_size.iterrows():
        cid = row["claim"]
        values.setdefault(cid, {})["survivors_needed"] = needed_text(row)
    if not covariance.empty:
        tied = [str(c) for c in covariance.loc[covariance["chosen"], "covariance"]]
        # Covariances tied for the best coverage are all named.
        values["covariance_chosen"] = tied[0] if len(tied) == 1 else " and ".join(tied) + " (tied)"
        for _, row in covariance.iterrows():
            values[f"coverage_{row['covariance']}"] = fmt.percent(row["mean_coverage"], 1)
        values["covariance_registry"] = registry_covariance
        values["covariance_agrees"] = "yes" if registry_covariance in tied else "no"
    return values
