"""Robustness: how often each claim is reproduced in regenerated studies, by scenario."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.palette import SCENARIO_COLOURS
from analysis.paper.figures.style import (
    REFERENCE,
    join_words,
    new_figure,
    percent,
    percent_axis,
    read_result,
    require_columns,
    themed,
)
from analysis.steps.claims import load_registry

#: Monte Carlo intervals: share +/- this many Monte Carlo standard errors.
Z = 1.959963984540054
SCENARIO_LABELS = {"published": "Published effects", "null": "No effects (null)",
                   "reversed": "Reversed effects", "contrary": "Every finding absent or reversed"}
SCENARIO_MEANING = {"published": "with the associations the study reports",
                    "null": "with every association set to zero",
                    "reversed": "with every association reversed",
                    "contrary": "with every finding absent or reversed"}


def robustness_summary(results: Path) -> tuple[pd.DataFrame, list[dict], list[str]]:
    """The summary rows, the registry entries (in registry order) and the scenarios present."""
    frame = read_result(results, "robustness/summary.csv")
    require_columns(frame, ["claim", "scenario", "replications", "reproduced_share",
                            "reproduced_mcse"], "robustness/summary.csv")
    registry = [e for e in load_registry() if e["id"] in set(frame["claim"])]
    missing = sorted(set(frame["claim"]) - {e["id"] for e in registry})
    if missing:
        raise ValueError(f"robustness/summary.csv: claim(s) not in the registry: "
                         f"{', '.join(missing)}")
    scenarios = [s for s in SCENARIO_COLOURS if s in set(frame["scenario"])]
    unknown = sorted(set(frame["scenario"]) - set(scenarios))
    if unknown:
        raise ValueError(f"robustness/summary.csv: unknown scenario(s) {', '.join(unknown)}")
    return frame, registry, scenarios


#: Claims whose expected result is a direction of association; the others describe the sample.
DIRECTIONAL = {"positive", "negative"}


def _kind(entry: dict) -> str:
    return ("association" if entry.get("direction") in DIRECTIONAL | {"two-sided"}
            else "prevalence or pattern")


def _label(entry: dict) -> str:
    return f"{entry['id']}  ({_kind(entry)})"


def _range(shares: pd.Series) -> str:
    low, high = percent(shares.min()), percent(shares.max())
    return low if low == high else f"{low} to {high}"


@themed
def robustness(results: Path, data: Path) -> Figure:
    """Dots with Monte Carlo intervals: share of replications reproducing each claim."""
    frame, registry, scenarios = robustness_summary(results)
    y = np.arange(len(registry), dtype=float)
    offsets = np.linspace(-0.17, 0.17, len(scenarios)) if len(scenarios) > 1 else [0.0]
    fig, ax = new_figure(1.2 + 0.3 * len(registry))
    ax.axvline(0.5, color=REFERENCE, linestyle="--", linewidth=1.0, zorder=1)
    for scenario, offset in zip(scenarios, offsets, strict=True):
        rows = (frame[frame["scenario"] == scenario].set_index("claim")
                .reindex([e["id"] for e in registry]))
        share = rows["reproduced_share"].to_numpy(dtype=float)
        half = Z * rows["reproduced_mcse"].to_numpy(dtype=float)
        err = np.vstack([share - np.clip(share - half, 0, 1), np.clip(share + half, 0, 1) - share])
        n = int(rows["replications"].max())
        ax.errorbar(share, y + offset, xerr=err, fmt="o", markersize=4.5, elinewidth=1.2,
                    capsize=0, color=SCENARIO_COLOURS[scenario], clip_on=False, zorder=3,
                    label=f"{SCENARIO_LABELS[scenario]} ({n} replications)")
    ax.set_yticks(y, [_label(e) for e in registry])
    ax.set_ylim(len(registry) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="y", visible=False)
    ax.spines["left"].set_visible(False)
    percent_axis(ax, "x", step=0.25, limits=(-0.02, 1.02))
    ax.set_xlabel("Replications reproducing the claim (%)")
    fig.legend(loc="outside upper center", ncols=len(scenarios), title="Simulated scenario",
               title_fontsize=8.8)
    return fig


def robustness_caption(results: Path, data: Path) -> str:
    frame, registry, scenarios = robustness_summary(results)
    reps = frame.groupby("scenario")["replications"].max()
    runs = join_words([f"{int(reps[s])} studies {SCENARIO_MEANING[s]} ({s})" for s in scenarios])
    return (
        f"Robustness of the {len(registry)} claims ({registry[0]['id']} to "
        f"{registry[-1]['id']}, in registry order; the claims table gives each statement, and "
        f"each is labelled as a claim about an association or about prevalence or a pattern in "
        f"the sample) to sampling variation: "
        f"the share of regenerated synthetic studies of the same size in which each claim was "
        f"reproduced, for {runs}. Lines are Monte Carlo intervals of the share "
        f"({Z:.2f} Monte Carlo standard errors either side); they have zero width when every "
        f"replication, or none, reproduced the claim. The dashed line at 50% is what chance "
        f"alone gives a claim about the direction of an effect that is absent."
    )


def robustness_alt(results: Path, data: Path) -> str:
    frame, registry, scenarios = robustness_summary(results)
    wide = frame.pivot(index="claim", columns="scenario", values="reproduced_share")
    rows = "; ".join(
        f"{e['id']} " + ", ".join(f"{s} {percent(wide.loc[e['id'], s])}" for s in scenarios)
        for e in registry)
    text = (
        f"Dot plot with one row per claim ({registry[0]['id']} to {registry[-1]['id']}) and one "
        f"dot per scenario ({join_words(scenarios)}), each with a short horizontal interval, on "
        f"a horizontal axis from 0 to 100% of replications, with a dashed line at 50%. "
        f"Shares reproduced: {rows}.")
    if {"published", "null"} <= set(scenarios):
        diff = wide["published"] - wide["null"]
        ids = [e["id"] for e in registry]
        drop = [c for c in ids if diff[c] > 0.25]
        rest = [c for c in ids if c not in drop]
        if drop:
            text += (f" Claims {join_words(drop)} are reproduced in "
                     f"{_range(wide.loc[drop, 'published'])} of replications with the published "
                     f"effects but in only {_range(wide.loc[drop, 'null'])} without them.")
        if rest and (diff[rest].abs() <= 0.1).all():
            text += (f" {'Claims' if len(rest) > 1 else 'Claim'} {join_words(rest)} "
                     f"{'are' if len(rest) > 1 else 'is'} reproduced about as often in both "
                     f"scenarios.")
    return text
