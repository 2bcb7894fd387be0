"""The simulation study's performance measures, from the replications and the true values.

The light half of the simulation study (:mod:`analysis.steps.simulation`):
no generator and no estimator is imported, so the merge starts quickly. Each
measure carries its Monte Carlo standard error, as Morris, White & Crowther
(2019) recommend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.steps.replications import share_with_mcse
from analysis.study.vocabulary import VERDICTS

#: The grid's scenario (the published model, scaled by each multiplier).
SCENARIO = "published"


def merge_shards(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Shards in one canonical order, whatever their number or order."""
    frame = pd.concat(list(frames), ignore_index=True)
    claims = {c: i for i, c in enumerate(dict.fromkeys(frame["claim"]))}
    methods = {m: i for i, m in enumerate(dict.fromkeys(frame["method"]))}
    frame["_c"] = frame["claim"].map(claims)
    frame["_m"] = frame["method"].map(methods)
    frame = frame.sort_values(["n_participants", "effect_multiplier", "study", "_c", "_m"],
                              kind="mergesort")
    return frame.drop(columns=["_c", "_m"]).reset_index(drop=True)


def measures(part: pd.DataFrame, truth: float, alpha: float) -> dict[str, tuple[float, float]]:
    """The performance measures of one method in one cell: {measure: (estimate, MCSE)}.

    Over the replications in which the method gives an estimate (R of them):
    bias = mean(theta) - truth, MCSE sd / sqrt(R); relative bias = bias / |truth|;
    empirical SE = sd(theta), MCSE empSE / sqrt(2 (R - 1)); model SE =
    sqrt(mean(se^2)), MCSE sqrt(var(se^2) / (4 R modSE^2)); coverage = share of
    intervals containing the true value; rejection = share with p < alpha
    (over replications with a test). The verdict shares and the share
    estimable are over all replications.
    """
    out: dict[str, tuple[float, float]] = {}
    ok = part["estimable"].to_numpy(dtype=bool)
    theta = part["theta"].to_numpy(dtype=float)[ok]
    r = theta.size
    nan = (float("nan"), float("nan"))
    if r >= 2 and np.isfinite(truth):
        sd = float(np.std(theta, ddof=1))
        bias = float(np.mean(theta) - truth)
        out["bias"] = (bias, sd / np.sqrt(r))
        out["relative_bias"] = ((bias / abs(truth), sd / np.sqrt(r) / abs(truth))
                                if truth != 0 else nan)
        out["empirical_se"] = (sd, sd / np.sqrt(2 * (r - 1)))
        se = part["se"].to_numpy(dtype=float)[ok]
        se = se[np.isfinite(se)]
        if se.size >= 2:
            mod = float(np.sqrt(np.mean(se ** 2)))
            out["model_se"] = (mod, float(np.sqrt(np.var(se ** 2, ddof=1) / (4 * se.size))
                                          / mod) if mod > 0 else float("nan"))
        else:
            out["model_se"] = nan
        low = part["theta_low"].to_numpy(dtype=float)[ok]
        high = part["theta_high"].to_numpy(dtype=float)[ok]
        finite = np.isfinite(low) & np.isfinite(high)
        out["coverage"] = share_with_mcse((low[finite] <= truth) & (truth <= high[finite]))
    else:
        for name in ("bias", "relative_bias", "empirical_se", "model_se", "coverage"):
            out[name] = nan
    p = part["p_value"].to_numpy(dtype=float)
    tested = np.isfinite(p)
    out["rejection"] = share_with_mcse(p[tested] < alpha) if tested.any() else nan
    verdicts = part["verdict"].to_numpy()
    for verdict, name in zip(VERDICTS, ("reproduced", "inconclusive", "not_reproduced"),
                             strict=True):
        out[name] = share_with_mcse(verdicts == verdict)
    out["estimable"] = share_with_mcse(ok)
    return out


def performance(replications: pd.DataFrame, truth: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """The tidy performance table: one row per claim, cell, method and measure.

    Columns: claim, scenario, n_participants, effect_multiplier, method, role,
    measure, estimate, mcse, truth.
    """
    grid_truth = truth[truth["table"] == "grid"].set_index(
        ["effect_multiplier", "claim", "method"])["truth"]
    rows = []
    keys = ["claim", "n_participants", "effect_multiplier", "method", "role"]
    order = {c: i for i, c in enumerate(dict.fromkeys(replications["claim"]))}
    for (claim, n, m, method, role), part in replications.groupby(keys, sort=False):
        value = float(grid_truth.get((m, claim, method), np.nan))
        for measure, (estimate, mcse) in measures(part, value, alpha).items():
            rows.append({"claim": claim, "scenario": SCENARIO, "n_participants": int(n),
                         "effect_multiplier": float(m), "method": method, "role": role,
                         "measure": measure, "estimate": estimate, "mcse": mcse,
                         "truth": value, "_order": order[claim]})
    frame = pd.DataFrame(rows)
    frame = frame.sort_values(["_order", "n_participants", "effect_multiplier", "method",
                               "measure"], kind="mergesort")
    return frame.drop(columns="_order").reset_index(drop=True)


def survivors_needed(perf: pd.DataFrame, target: float = 0.8, multiplier: float = 1.0
                     ) -> pd.DataFrame:
    """Per association claim: the survivors its primary method needs to be reproduced 80% of times.

    Linear interpolation of the reproduced share on log(n) between the first
    grid size reaching ``target`` and the one before; ``None`` when no size of
    the grid reaches it (the table says "more than" the largest size).
    """
    part = perf[(perf["role"] == "primary") & (perf["measure"] == "reproduced")
                & (perf["effect_multiplier"] == multiplier) & (perf["method"] != "rule")]
    rows = []
    for claim, rows_claim in part.groupby("claim", sort=False):
        curve = rows_claim.sort_values("n_participants")
        ns = curve["n_participants"].to_numpy(dtype=float)
        power = curve["estimate"].to_numpy(dtype=float)
        needed, reached = None, bool(np.any(power >= target))
        if reached:
            i = int(np.argmax(power >= target))
            if i == 0:
                needed = float(ns[0])
            else:
                x0, x1 = np.log(ns[i - 1]), np.log(ns[i])
                y0, y1 = power[i - 1], power[i]
                needed = float(np.exp(x0 + (target - y0) * (x1 - x0) / (y1 - y0)))
        rows.append({"claim": claim, "method": curve["method"].iloc[0], "target": target,
                     "effect_multiplier": multiplier, "survivors_needed": needed,
                     "reached": reached, "largest_n": int(ns.max()),
                     "smallest_n": int(ns.min()),
                     "power_at_largest": float(power[-1]),
                     "power_at_24": float(power[ns == 24][0]) if np.any(ns == 24)
                     else float("nan")})
    return pd.DataFrame(rows)


def needed_text(row: Mapping[str, Any]) -> str:
    """A row of :func:`survivors_needed` in words: '127', '24 or fewer', 'more than 240'.

    When the smallest size of the grid already reaches the target, the grid
    says only that no more are needed; the number is an upper bound.
    """
    if not row["reached"]:
        return f"more than {int(row['largest_n'])}"
    needed = int(np.ceil(row["survivors_needed"]))
    return f"{needed} or fewer" if needed <= int(row.get("smallest_n", 0)) else str(needed)


def covariance_choice(perf: pd.DataFrame, n: int) -> pd.DataFrame:
    """How near 95% each covariance of the clustered models covers at ``n`` survivors.

    Over the within-survivor association claims (the claims with clustered
    models) and every effect multiplier: the mean coverage, the mean absolute
    distance from 0.95 and the largest Monte Carlo SE; ``chosen`` marks the
    covariance nearest 95%, the rule of the claims registry's
    ``gee_covariance`` setting.
    """
    part = perf[(perf["measure"] == "coverage") & perf["method"].str.startswith("gee_")
                & (perf["n_participants"] == n)]
    rows = []
    for method, rows_method in part.groupby("method", sort=True):
        values = rows_method["estimate"].to_numpy(dtype=float)
        rows.append({"method": method, "covariance": method.removeprefix("gee_"),
                     "n_participants": int(n), "cells": int(values.size),
                     "mean_coverage": float(np.mean(values)),
                     "mean_distance": float(np.mean(np.abs(values - 0.95))),
                     "min_coverage": float(np.min(values)), "max_coverage": float(np.max(values)),
                     "max_mcse": float(rows_method["mcse"].max())})
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame["chosen"] = frame["mean_distance"] == frame["mean_distance"].min()
    return frame
