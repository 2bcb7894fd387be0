"""Robustness: the verdicts each claim receives in regenerated studies, by scenario."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from analysis.io import read_json
from analysis.palette import NEUTRAL, VERDICT_COLOURS, colour_name
from analysis.paper.figures.labels import claim_label, grouped_rows, is_association, row_text
from analysis.paper.figures.style import (
    MC_Z,
    REFERENCE,
    new_figure,
    percent,
    percent_axis,
    read_claims,
    read_result,
    require_columns,
    themed,
)
from analysis.paper.fmt import join_words
from analysis.steps.claims import load_registry
from analysis.steps.verdicts import nominal_rate
from analysis.study.vocabulary import VERDICTS

SHARE_COLUMNS = {verdict: verdict.replace(" ", "_") + "_share" for verdict in VERDICTS}
MCSE_COLUMNS = {verdict: verdict.replace(" ", "_") + "_mcse" for verdict in VERDICTS}
#: The scenario whose reproductions are all false ones (every association zero), when listed
#: with an effect multiplier of 0: the figure enlarges its panel.
NULL = "null"


@dataclass(frozen=True)
class Scenarios:
    """The robustness scenarios in order, with their titles and descriptions."""

    names: list[str]
    titles: dict[str, str]
    descriptions: dict[str, str]
    null: bool  # the null scenario is listed, with every association zero


def _scenarios(results: Path) -> Scenarios:
    listed = read_json(results / "robustness" / "scenarios.json")["scenarios"]
    return Scenarios([s["name"] for s in listed], {s["name"]: s["title"] for s in listed},
                     {s["name"]: s["description"] for s in listed},
                     any(s["name"] == NULL and s["effect_multiplier"] == 0 for s in listed))


def robustness_summary(results: Path) -> tuple[pd.DataFrame, list[dict], Scenarios]:
    """The summary rows, the registry entries (in registry order) and the scenarios."""
    frame = read_result(results, "robustness/summary.csv")
    require_columns(frame, ["claim", "scenario", "replications", *SHARE_COLUMNS.values(),
                            *MCSE_COLUMNS.values()], "robustness/summary.csv")
    registry = [e for e in load_registry() if e["id"] in set(frame["claim"])]
    missing = sorted(set(frame["claim"]) - {e["id"] for e in registry})
    if missing:
        raise ValueError(f"robustness/summary.csv: claim(s) not in the registry: "
                         f"{', '.join(missing)}")
    scenarios = _scenarios(results)
    unknown = sorted(set(frame["scenario"]) - set(scenarios.names))
    if unknown:
        raise ValueError(f"robustness/summary.csv: unknown scenario(s) {', '.join(unknown)}")
    return frame, registry, scenarios


def _shares(frame: pd.DataFrame, scenario: str, ids: list[str]) -> pd.DataFrame:
    return frame[frame["scenario"] == scenario].set_index("claim").reindex(ids)


@themed
def robustness(results: Path, data: Path) -> Figure:
    """Stacked bars of the verdict shares per claim and scenario, and the null's false rate."""
    frame, registry, listed = robustness_summary(results)
    scenarios = listed.names
    alpha = float(read_claims(results)["alpha"])
    ids = [e["id"] for e in registry]
    headings, ys = grouped_rows(registry)
    ys_arr = np.array(ys)
    zoom = listed.null and any(is_association(e) for e in registry)
    ncols = len(scenarios) + int(zoom)
    fig, axes = new_figure(1.3 + 0.235 * (len(registry) + len(headings)), ncols=ncols,
                           sharey=True,
                           gridspec_kw={"width_ratios": [1.0] * len(scenarios)
                                        + ([1.15] if zoom else [])})
    axes = np.atleast_1d(axes)
    for ax, scenario in zip(axes, scenarios, strict=False):
        rows = _shares(frame, scenario, ids)
        left = np.zeros(len(ids))
        for verdict in VERDICTS:
            share = rows[SHARE_COLUMNS[verdict]].to_numpy(dtype=float)
            ax.barh(ys_arr, share, left=left, height=0.72, color=VERDICT_COLOURS[verdict],
                    edgecolor="white", linewidth=0.5, label=verdict)
            left += share
        reproduced = rows[SHARE_COLUMNS["reproduced"]].to_numpy(dtype=float)
        half = MC_Z * rows[MCSE_COLUMNS["reproduced"]].to_numpy(dtype=float)
        shown = half > 0
        ax.errorbar(reproduced[shown], ys_arr[shown], xerr=half[shown], fmt="none",
                    ecolor=NEUTRAL, elinewidth=0.9, capsize=1.5)
        percent_axis(ax, "x", step=0.5, limits=(0.0, 1.0))
        ax.xaxis.set_minor_locator(_quarters())
        reps = int(rows["replications"].max())
        ax.set_title(f"{listed.titles[scenario]}\n({reps} studies)", fontsize=8,
                     loc="center", fontweight="bold")
        ax.set_xlabel("Studies (%)", fontsize=7.5)
    if zoom:
        _null_panel(axes[-1], frame, registry, ys_arr, alpha, listed.titles[NULL])
    first = axes[0]
    first.set_yticks([*(h for h, _ in headings), *ys],
                     [*(text for _, text in headings), *(row_text(e) for e in registry)],
                     fontsize=7.5)
    for label in first.get_yticklabels()[:len(headings)]:
        label.set_fontweight("bold")
    first.set_ylim(ys[-1] + 0.6, -0.6)
    for ax in axes:
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="y", visible=False)
        ax.spines["left"].set_visible(False)
        ax.tick_params(axis="x", labelsize=7)
    handles = [Patch(color=VERDICT_COLOURS[v], label=v.capitalize()) for v in VERDICTS]
    handles.append(Line2D([], [], color=NEUTRAL, linewidth=0.9, marker="|", markersize=5,
                          label=f"\u00b1{MC_Z:.2f} Monte Carlo SE"))
    if zoom:
        handles.append(Line2D([], [], color=REFERENCE, linewidth=1.1, linestyle=(0, (2, 1.2)),
                              label="Nominal false rate"))
    fig.legend(handles=handles, loc="outside upper center", ncols=len(handles), fontsize=7,
               handlelength=1.4, columnspacing=1.0, title="Verdict in each regenerated study",
               title_fontsize=7.5)
    return fig


def _quarters():
    from matplotlib.ticker import MultipleLocator

    return MultipleLocator(0.25)


def _null_panel(ax, frame: pd.DataFrame, registry: list[dict], ys: np.ndarray,
                alpha: float, title: str) -> None:
    """Reproduced share under the null, association claims only, against its nominal rate."""
    rows = _shares(frame, NULL, [e["id"] for e in registry])
    assoc = np.array([is_association(e) for e in registry])
    share = rows[SHARE_COLUMNS["reproduced"]].to_numpy(dtype=float)
    half = MC_Z * rows[MCSE_COLUMNS["reproduced"]].to_numpy(dtype=float)
    nominal = np.array([nominal_rate(e["direction"], alpha) for e in registry])
    top = max(0.2, float(np.max((share + half)[assoc])) + 0.02)
    top = np.ceil(top * 20) / 20
    for y, rate in zip(ys[assoc], nominal[assoc], strict=True):
        ax.plot([rate, rate], [y - 0.38, y + 0.38], color=REFERENCE, linewidth=1.1,
                linestyle=(0, (2, 1.2)), zorder=2)
    ax.errorbar(share[assoc], ys[assoc], xerr=np.vstack([np.minimum(half, share)[assoc],
                                                        half[assoc]]),
                fmt="o", markersize=3.8, color=VERDICT_COLOURS["reproduced"],
                markeredgecolor=NEUTRAL, markeredgewidth=0.6, ecolor=NEUTRAL, elinewidth=0.9,
                capsize=1.5, zorder=3, clip_on=False)
    for y in ys[~assoc]:
        ax.text(0.004, y, "\u2014", fontsize=7, color=REFERENCE, va="center")
    percent_axis(ax, "x", step=0.05, limits=(-0.004, top))
    ax.set_title(f"{title}: false\nreproductions", fontsize=8, loc="center", fontweight="bold")
    ax.set_xlabel("Studies (%)", fontsize=7.5)


def robustness_caption(results: Path, data: Path) -> str:
    frame, registry, listed = robustness_summary(results)
    alpha = float(read_claims(results)["alpha"])
    reps = frame.groupby("scenario")["replications"].max()
    runs = join_words([f"{int(reps[s])} studies with {listed.descriptions[s]} ({s})"
                       for s in listed.names])
    text = (
        f"Robustness of the {len(registry)} claims to sampling variation: the share of "
        f"regenerated synthetic studies of the same size in which each claim was reproduced, "
        f"inconclusive or not reproduced under its registry rule, for {runs}. Race claims are "
        f"grouped under their outcome. Black lines at the end of the reproduced segment are "
        f"Monte Carlo intervals of the reproduced share ({MC_Z:.2f} Monte Carlo standard errors "
        f"either side); there is none when every study, or none, reproduced the claim.")
    assoc = [e for e in registry if is_association(e)]
    if listed.null and assoc:
        null = _shares(frame, NULL, [e["id"] for e in assoc])[SHARE_COLUMNS["reproduced"]]
        worst = join_words([c for c in null.index if null[c] == null.max()])
        two = [e["id"] for e in assoc if e.get("direction") == "two-sided"]
        one = [e["id"] for e in assoc if e.get("direction") != "two-sided"]
        rates = []
        if two:
            rates.append(f"{percent(alpha)} for the two-sided claims ({join_words(two)})")
        if one:
            rates.append(f"{percent(alpha / 2, 1)} for the claims with a stated direction "
                         f"({join_words(one)}), whose interval must clear zero on one side")
        text += (
            f" The right-hand panel enlarges the reproduced share under the null for the "
            f"{len(assoc)} association claims: there every reproduction is a false one, and "
            f"the dashes mark the rate the {percent(1 - alpha)} intervals allow, "
            f"{join_words(rates)}. The highest false-reproduction rate was "
            f"{percent(null.max(), 1)} ({worst}); a dash in that panel marks a claim about a share "
            f"or a pattern, which has no false reproduction to count.")
    return text


def robustness_alt(results: Path, data: Path) -> str:
    frame, registry, listed = robustness_summary(results)
    scenarios = listed.names
    alpha = float(read_claims(results)["alpha"])
    parts = []
    for e in registry:
        cells = []
        for s in scenarios:
            row = frame[(frame["claim"] == e["id"]) & (frame["scenario"] == s)].iloc[0]
            cells.append(f"{s} " + ", ".join(f"{percent(row[SHARE_COLUMNS[v]])} {v}"
                                             for v in VERDICTS if row[SHARE_COLUMNS[v]] > 0))
        parts.append(f"{claim_label(e)}: {'; '.join(cells)}")
    text = (
        f"Small multiples of horizontal stacked bars, one panel per scenario "
        f"({join_words(scenarios)}) and one row per claim ({len(registry)} claims), each bar "
        f"split into the shares of studies in which the claim was "
        + join_words([f"{v} ({colour_name(VERDICT_COLOURS[v])})" for v in VERDICTS])
        + ". " + ". ".join(parts) + ".")
    assoc = [e for e in registry if is_association(e)]
    if listed.null and assoc:
        rows = _shares(frame, NULL, [e["id"] for e in assoc])
        null = rows[SHARE_COLUMNS["reproduced"]]
        mcse = rows[MCSE_COLUMNS["reproduced"]]
        above = [e["id"] for e in assoc
                 if null[e["id"]] - MC_Z * mcse[e["id"]] > nominal_rate(e["direction"], alpha)]
        text += (
            f" A last panel shows, for the {len(assoc)} association claims, the share reproduced "
            f"under the null on an enlarged scale, with a dash at each claim's nominal rate; "
            + (f"{join_words(above)} lie{'s' if len(above) == 1 else ''} above it by more "
               f"than the Monte Carlo interval"
               if above else "no claim lies above its nominal rate by more than the Monte Carlo "
                             "interval")
            + f", and the highest is {percent(null.max(), 1)} "
              f"({join_words([c for c in null.index if null[c] == null.max()])}).")
    return text
