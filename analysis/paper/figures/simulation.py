"""The simulation study: how often each claim is reproduced, and how well its intervals cover.

Both figures read the tidy performance table of the simulation study
(``simulation/performance.csv``; :mod:`analysis.steps.simulation`): one row
per claim, sample size, effect multiplier, method and performance measure,
with its Monte Carlo standard error (MCSE). Every band and bar is
+/- 1.96 MCSE, as Morris, White & Crowther (2019) ask of every performance
figure.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, NullLocator

from analysis.disclosure.markers import is_suppressed
from analysis.palette import MAGNITUDE_GREYS, NEUTRAL
from analysis.paper.figures.labels import (
    METHOD_LABELS,
    METHOD_LEVELS,
    METHOD_PROSE,
    claim_label,
    is_association,
)
from analysis.paper.figures.style import (
    LEVEL_MARKERS,
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
from analysis.paper.fmt import join_words, number
from analysis.steps.claims import load_registry
from analysis.steps.performance import needed_text

COLUMNS = ["claim", "n_participants", "effect_multiplier", "method", "role", "measure",
           "estimate", "mcse"]
#: The power figure's target share (the dashed line) and panels per row.
TARGET = 0.8
POWER_COLUMNS = 4
#: Effect multipliers named in legends and text.
MULTIPLIER_NOTES = {0.0: "no effect", 1.0: "published effects"}
#: Line style of each method (colour is never used: colours are meanings, see analysis.palette).
METHOD_LINES = {"gee_scaled": "-", "gee_sandwich": (0, (4, 2)), "gee_mancl_derouen": (0, (1, 1.5)),
                "sign_test": "-", "risk_difference": (0, (4, 2)), "survivor_exact": "-",
                "rule": "-"}
#: The coverage figure's columns: which claims each holds (a registry test) and its title.
FAMILIES = (
    ("within", "Within-survivor associations",
     lambda e: is_association(e) and e.get("exposure") is not None),
    ("race", "Race contrasts", lambda e: is_association(e) and e.get("contrast") is not None),
    ("shares", "Shares", lambda e: not is_association(e)),
)


# --- inputs ----------------------------------------------------------------------------------

def performance_table(results: Path) -> pd.DataFrame:
    """``simulation/performance.csv``, checked."""
    frame = read_result(results, "simulation/performance.csv")
    require_columns(frame, COLUMNS, "simulation/performance.csv")
    return frame


def multipliers(frame: pd.DataFrame) -> list[float]:
    return sorted(float(m) for m in frame["effect_multiplier"].unique())


def sizes(frame: pd.DataFrame) -> list[int]:
    return sorted(int(n) for n in frame["n_participants"].unique())


def replications_per_cell(frame: pd.DataFrame) -> int | None:
    """Studies per cell, recovered from the shares' MCSEs (MCSE^2 = p (1 - p) / R)."""
    shares = frame[(frame["measure"] == "reproduced") & (frame["estimate"] > 0)
                   & (frame["estimate"] < 1) & (frame["mcse"] > 0)]
    if shares.empty:
        return None
    p = shares["estimate"].to_numpy(dtype=float)
    r = p * (1 - p) / shares["mcse"].to_numpy(dtype=float) ** 2
    return int(round(float(np.median(r))))


def study_survivors(results: Path) -> int | None:
    """The number of survivors of the study this build analysed (from claims.json), if shown."""
    found = []
    for claim in read_claims(results)["claims"]:
        levels = claim.get("levels") or {}
        contact, survivor = levels.get("contact") or {}, levels.get("survivor") or {}
        values = [contact.get("n_survivors"),
                  (survivor.get("exposed_n"), survivor.get("reference_n"))]
        for value in values:
            if isinstance(value, tuple):
                if all(v is not None and not is_suppressed(v) for v in value):
                    found.append(int(value[0]) + int(value[1]))
            elif value is not None and not is_suppressed(value):
                found.append(int(value))
    return max(found) if found else None


def _multiplier_text(m: float) -> str:
    note = MULTIPLIER_NOTES.get(m)
    return f"\u00d7{number(m, 1) if m != int(m) else int(m)}" + (f" ({note})" if note else "")


def _ramp(values: list[float]) -> dict[float, str]:
    """A grey per multiplier, lightest for the smallest (the ramp's ends for the extremes)."""
    idx = np.linspace(0, len(MAGNITUDE_GREYS) - 1, len(values)).round().astype(int)
    return {m: MAGNITUDE_GREYS[i] for m, i in zip(values, idx, strict=True)}


def _log_axis(ax: Axes, ns: list[int]) -> None:
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(ns))
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0f}")
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlim(ns[0] / 1.25, ns[-1] * 1.25)


# --- power curves ----------------------------------------------------------------------------

def power_rows(results: Path) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Reproduced share of each association claim's primary method, and those claims in order."""
    frame = performance_table(results)
    registry = [e for e in load_registry() if is_association(e)]
    ids = [e["id"] for e in registry]
    rows = frame[(frame["role"] == "primary") & (frame["measure"] == "reproduced")
                 & frame["claim"].isin(ids)]
    missing = [i for i in ids if i not in set(rows["claim"])]
    if missing:
        raise ValueError(f"simulation/performance.csv: no reproduced share of the primary method "
                         f"of claim(s) {', '.join(missing)}")
    return rows, registry


def _power_title(entry: dict[str, Any]) -> str:
    return textwrap.fill(claim_label(entry), width=27, break_long_words=False)


@themed
def power_curves(results: Path, data: Path) -> Figure:
    """Small multiples: reproduced share against survivors, one line per effect multiplier."""
    rows, registry = power_rows(results)
    ms, ns = multipliers(rows), sizes(rows)
    greys = _ramp(ms)
    study = study_survivors(results)
    n_rows = int(np.ceil((len(registry) + 1) / POWER_COLUMNS))
    fig, axes = new_figure(0.9 + 1.55 * n_rows, nrows=n_rows, ncols=POWER_COLUMNS, sharex=True,
                           sharey=True)
    axes = np.atleast_2d(axes)
    flat = axes.ravel()
    for ax, entry in zip(flat, registry, strict=False):
        claim = rows[rows["claim"] == entry["id"]]
        ax.axhline(TARGET, color=REFERENCE, linestyle=(0, (4, 2)), linewidth=0.9, zorder=1)
        if study is not None:
            ax.axvline(study, color=".55", linewidth=1.0, linestyle=(0, (1, 1.5)), zorder=1)
        for m in ms:
            line = claim[claim["effect_multiplier"] == m].sort_values("n_participants")
            x = line["n_participants"].to_numpy(dtype=float)
            y = line["estimate"].to_numpy(dtype=float)
            half = MC_Z * line["mcse"].to_numpy(dtype=float)
            ax.fill_between(x, np.clip(y - half, 0, 1), np.clip(y + half, 0, 1),
                            color=greys[m], alpha=0.25, linewidth=0)
            ax.plot(x, y, color=greys[m], linewidth=2.0 if m == 1.0 else 1.2, marker="o",
                    markersize=2.5, zorder=3)
        ax.set_title(_power_title(entry), fontsize=6.8, loc="left", fontweight="normal")
        percent_axis(ax, "y", step=0.2, limits=(0.0, 1.0))
        _log_axis(ax, ns)
        ax.tick_params(labelsize=6.5)
    legend_ax = flat[len(registry)]
    for ax in flat[len(registry):]:
        ax.set_axis_off()
    handles = [Line2D([], [], color=greys[m], linewidth=2.0 if m == 1.0 else 1.2, marker="o",
                      markersize=2.5, label=_multiplier_text(m)) for m in ms]
    handles.append(Line2D([], [], color=REFERENCE, linestyle=(0, (4, 2)), linewidth=0.9,
                          label=f"{percent(TARGET)} reproduced"))
    if study is not None:
        handles.append(Line2D([], [], color=".55", linewidth=1.0, linestyle=(0, (1, 1.5)),
                              label=f"This study: {study} survivors"))
    legend_ax.legend(handles=handles, loc="center", fontsize=6.8, title="Effect multiplier",
                     title_fontsize=7, handlelength=1.8, frameon=False)
    for ax in axes[:, 0]:
        ax.set_ylabel("Reproduced (%)", fontsize=7.5)
    fig.supxlabel("Survivors in the simulated study (log scale)", fontsize=8.5)
    # A panel with no panel below it (above the legend's slot) shows its own x tick labels.
    for i, ax in enumerate(flat[:len(registry)]):
        if i + POWER_COLUMNS >= len(registry):
            ax.xaxis.set_tick_params(labelbottom=True)
    return fig


def _needed(results: Path) -> pd.DataFrame:
    """Survivors each claim needs for the target share (``simulation/sample_size.csv``)."""
    frame = read_result(results, "simulation/sample_size.csv")
    require_columns(frame, ["claim", "survivors_needed", "reached", "largest_n"],
                    "simulation/sample_size.csv")
    return frame.set_index("claim")


def _at(rows: pd.DataFrame, claim: str, m: float, n: int) -> float:
    cell = rows[(rows["claim"] == claim) & (rows["effect_multiplier"] == m)
                & (rows["n_participants"] == n)]
    return float(cell["estimate"].iloc[0]) if len(cell) else float("nan")


def power_curves_caption(results: Path, data: Path) -> str:
    rows, registry = power_rows(results)
    ms, ns = multipliers(rows), sizes(rows)
    reps = replications_per_cell(performance_table(results))
    study = study_survivors(results)
    methods = {}
    for e in registry:
        method = rows.loc[rows["claim"] == e["id"], "method"].iloc[0]
        methods.setdefault(method, []).append(e["id"])
    method_text = "; ".join(f"{METHOD_PROSE.get(m, m)} for {join_words(ids)}"
                            for m, ids in methods.items())
    text = (
        f"Simulation study: the share of simulated studies in which each association claim was "
        f"reproduced under its registry rule, by the number of survivors ({ns[0]} to {ns[-1]}, "
        f"log scale) and the strength of every association as a multiple of the published "
        f"model's, one line per multiplier: {join_words([_multiplier_text(m) for m in ms])}, "
        f"darker for stronger effects{f'; {reps} studies per cell' if reps else ''}. Each claim "
        f"uses its primary method: {method_text}. Bands are {MC_Z:.2f} Monte Carlo standard "
        f"errors either side; "
        f"the dashed line is {percent(TARGET)}. At {_multiplier_text(0.0)} every reproduction "
        f"is a false one.")
    if study is not None and study in ns and 1.0 in ms:
        at = {e["id"]: _at(rows, e["id"], 1.0, study) for e in registry}
        best = max(at, key=at.get)
        text += (f" With the published effects and {study} survivors, as in this study, the "
                 f"reproduced share ranged from {percent(min(at.values()))} "
                 f"({min(at, key=at.get)}) to {percent(at[best])} ({best}).")
    needed = _needed(results)
    if not needed.empty:
        reached = [f"{e['id']} {needed_text(needed.loc[e['id']])}"
                   for e in registry if e["id"] in needed.index
                   and bool(needed.loc[e["id"], "reached"])]
        never = [e["id"] for e in registry if e["id"] in needed.index
                 and not bool(needed.loc[e["id"], "reached"])]
        if reached:
            text += (f" Survivors needed for {percent(TARGET)} with the published effects "
                     f"(interpolated on the log scale): {join_words(reached)}")
            text += (f"; {join_words(never)} did not reach {percent(TARGET)} even with "
                     f"{int(needed['largest_n'].max())} survivors." if never else ".")
    return text


def power_curves_alt(results: Path, data: Path) -> str:
    rows, registry = power_rows(results)
    ms, ns = multipliers(rows), sizes(rows)
    parts = []
    for e in registry:
        cells = []
        for m in ms:
            values = [_at(rows, e["id"], m, n) for n in ns]
            cells.append(f"{_multiplier_text(m)} from {percent(values[0])} to "
                         f"{percent(values[-1])}")
        parts.append(f"{claim_label(e)}: {'; '.join(cells)}")
    return (
        f"{len(registry)} small line charts in a grid, one per association claim, sharing a "
        f"horizontal axis of survivors ({join_words([str(n) for n in ns])}, log scale) and a "
        f"vertical axis of the share of simulated studies reproducing the claim (0 to 100%), "
        f"with a dashed line at {percent(TARGET)}. Each chart has {len(ms)} grey lines, one per "
        f"effect multiplier, darker for stronger effects, with narrow bands. Reproduced share "
        f"from {ns[0]} to {ns[-1]} survivors: " + ". ".join(parts) + ".")


# --- coverage --------------------------------------------------------------------------------

def coverage_rows(results: Path) -> tuple[pd.DataFrame, list[tuple[str, str, list[str]]]]:
    """Coverage per family, method, multiplier and size: the mean over the family's claims.

    Returns the table (family, method, role, effect_multiplier, n_participants,
    estimate, mcse, claims) and the families present (key, title, claim ids).
    The MCSE of a mean over k claims is sqrt(sum MCSE^2) / k (the claims'
    studies are simulated independently of one another within a cell only
    approximately, so it is a guide, not an exact error).
    """
    frame = performance_table(results)
    registry = load_registry()
    cov = frame[(frame["measure"] == "coverage") & frame["estimate"].notna()]
    families, parts = [], []
    for key, title, test in FAMILIES:
        ids = [e["id"] for e in registry if test(e) and e["id"] in set(cov["claim"])]
        if not ids:
            continue
        families.append((key, title, ids))
        part = cov[cov["claim"].isin(ids)]
        grouped = part.groupby(["method", "effect_multiplier", "n_participants"], sort=True)
        summary = grouped.agg(estimate=("estimate", "mean"),
                              mcse=("mcse", lambda s: float(np.sqrt(np.sum(s ** 2)) / len(s))),
                              role=("role", "first"), claims=("claim", "nunique"),
                              worst=("estimate", "min"))
        summary = summary.reset_index()
        summary.insert(0, "family", key)
        parts.append(summary)
    if not parts:
        raise ValueError("simulation/performance.csv: no coverage rows")
    return pd.concat(parts, ignore_index=True), families


def _method_order(table: pd.DataFrame, family: str) -> list[str]:
    """Primary method first, then the others in the order of METHOD_LABELS."""
    methods = table.loc[table["family"] == family, ["method", "role"]].drop_duplicates("method")
    order = list(METHOD_LABELS)
    return sorted(methods["method"], key=lambda m: (
        methods.set_index("method").loc[m, "role"] != "primary",
        order.index(m) if m in order else len(order)))


@themed
def coverage(results: Path, data: Path) -> Figure:
    """Coverage of the 95% intervals by method and size, for the published effects and none."""
    table, families = coverage_rows(results)
    level = 1 - float(read_claims(results)["alpha"])
    shown = [m for m in (1.0, 0.0) if m in set(table["effect_multiplier"])]
    ns = sizes(table)
    fig, axes = new_figure(1.5 + 1.75 * len(shown), nrows=len(shown), ncols=len(families),
                           sharex=True, sharey=True)
    axes = np.array(axes, dtype=object).reshape(len(shown), len(families))
    drawn = table[table["effect_multiplier"].isin(shown)]
    low = min(0.9, float((drawn["estimate"] - MC_Z * drawn["mcse"]).min()) - 0.005)
    low = np.floor(low * 20) / 20
    legends = {}
    for col, (key, title, ids) in enumerate(families):
        methods = _method_order(table, key)
        dodge = dict(zip(methods, np.linspace(-0.1, 0.1, len(methods)) if len(methods) > 1
                         else [0.0], strict=True))
        for row, m in enumerate(shown):
            ax = axes[row, col]
            ax.axhline(level, color=REFERENCE, linewidth=0.9, zorder=1)
            for method in methods:
                part = table[(table["family"] == key) & (table["method"] == method)
                             & (table["effect_multiplier"] == m)].sort_values("n_participants")
                if part.empty:
                    continue
                x = part["n_participants"].to_numpy(dtype=float) * np.exp(dodge[method])
                y = part["estimate"].to_numpy(dtype=float)
                half = MC_Z * part["mcse"].to_numpy(dtype=float)
                primary = part["role"].iloc[0] == "primary"
                handle = ax.errorbar(
                    x, y, yerr=np.vstack([np.minimum(half, y), np.minimum(half, 1 - y)]),
                    fmt=LEVEL_MARKERS[METHOD_LEVELS.get(method, "contact")],
                    linestyle=METHOD_LINES.get(method, "-"), color=NEUTRAL, markersize=3.6,
                    markerfacecolor=NEUTRAL if primary else "white", markeredgewidth=0.9,
                    linewidth=1.1 if primary else 0.9, elinewidth=0.7, capsize=0, zorder=3)
                legends.setdefault(key, {})[method] = handle
            ax.set_ylim(low, 1.0)
            percent_axis(ax, "y", step=0.05, limits=(low, 1.0))
            _log_axis(ax, ns)
            ax.tick_params(labelsize=6.5)
            if row == 0:
                ax.set_title(f"{title}\n({_ids_text(ids)})", fontsize=7.5, loc="center")
            if col == 0:
                ax.set_ylabel(f"{_multiplier_text(m)}\ncoverage (%)", fontsize=7.2)
    fig.supxlabel("Survivors in the simulated study (log scale)", fontsize=8.5)
    # One legend for all panels, a column per family, the primary method first.
    handles, labels = [], []
    for key, _, _ in families:
        for method, handle in legends.get(key, {}).items():
            if method in labels:
                continue
            primary = (table.loc[table["method"] == method, "role"] == "primary").all()
            handles.append(handle)
            labels.append(METHOD_LABELS.get(method, method) + (" (primary)" if primary else ""))
    fig.legend(handles, labels, loc="outside upper center", ncols=2, fontsize=6.8,
               handlelength=2.6, columnspacing=1.5, frameon=False)
    return fig


def _ids_text(ids: list[str]) -> str:
    return ", ".join(ids) if len(ids) <= 4 else f"{ids[0]}\u2013{ids[-1]}"


def coverage_caption(results: Path, data: Path) -> str:
    table, families = coverage_rows(results)
    level = 1 - float(read_claims(results)["alpha"])
    frame = performance_table(results)
    reps = replications_per_cell(frame)
    shown = [m for m in (1.0, 0.0) if m in set(table["effect_multiplier"])]
    ns = sizes(table)
    fam = join_words([f"{title.lower()} ({join_words(ids)})" for _, title, ids in families])
    text = (
        f"Simulation study: coverage of the {percent(level)} intervals, the share of simulated "
        f"studies whose interval contained the true value, by method and number of survivors "
        f"({ns[0]} to {ns[-1]}, log scale), averaged over the claims of each family: {fam}"
        f"{f'; {reps} studies per cell' if reps else ''}. The rows are effect multipliers: "
        f"{join_words([_multiplier_text(m) for m in shown])}. Squares are contact-level methods "
        f"and circles survivor-level ones; the filled marker is each family's primary method. "
        f"Bars are {MC_Z:.2f} Monte Carlo standard errors of the mean either side; the "
        f"horizontal line is {percent(level)}. Coverage is over the studies in which a method "
        f"gave an interval.")
    est = frame[(frame["measure"] == "estimable") & (frame["n_participants"] == ns[0])
                & frame["effect_multiplier"].isin(shown)]
    few = {}
    for row in est[est["estimate"] < 0.95].itertuples():
        name = "the GEE models" if row.method.startswith("gee_") else METHOD_PROSE.get(
            row.method, row.method)
        if name not in few or row.estimate < few[name][0]:
            few[name] = (row.estimate, row.claim)
    if few:
        text += (f" With {ns[0]} survivors " + join_words(
            [f"{name} gave an interval in as few as {percent(value)} of studies ({claim})"
             for name, (value, claim) in few.items()]) + ".")
    study = study_survivors(results)
    if 1.0 in shown and study in ns:
        at = table[(table["effect_multiplier"] == 1.0) & (table["n_participants"] == study)]
        value = at.set_index("method")["estimate"]
        parts = [f"{METHOD_PROSE.get(method, method)} {percent(value[method], 1)}"
                 for key, _, _ in families for method in _method_order(at, key)]
        text += (f" With {study} survivors, as in this study, and the published effects, "
                 f"coverage was: " + "; ".join(parts) + ".")
    return text


def coverage_alt(results: Path, data: Path) -> str:
    table, families = coverage_rows(results)
    level = 1 - float(read_claims(results)["alpha"])
    shown = [m for m in (1.0, 0.0) if m in set(table["effect_multiplier"])]
    ns = sizes(table)
    parts = []
    for key, title, _ids in families:
        for m in shown:
            cells = []
            for method in _method_order(table, key):
                part = table[(table["family"] == key) & (table["method"] == method)
                             & (table["effect_multiplier"] == m)].sort_values("n_participants")
                values = " ".join(percent(v, 1) for v in part["estimate"])
                cells.append(f"{METHOD_PROSE.get(method, method)} {values}")
            parts.append(f"{title} at {_multiplier_text(m)}: " + "; ".join(cells))
    return (
        f"Grid of {len(shown) * len(families)} small charts. Columns are claim families: "
        f"{join_words([t.lower() for _, t, _ in families])}; rows are effect multipliers: "
        f"{join_words([_multiplier_text(m) for m in shown])}. Each chart plots coverage (%) "
        f"against survivors ({join_words([str(n) for n in ns])}, log scale) for each method, "
        f"as markers joined by lines, with a horizontal line at {percent(level)}. Coverage "
        f"at {', '.join(str(n) for n in ns)} survivors. " + ". ".join(parts) + ".")
