"""What survivors described: forms of violence and their own safety strategies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.palette import NEUTRAL_FILL
from analysis.paper.figures.style import (
    count_label,
    interval_errors,
    interval_level,
    new_figure,
    percent,
    percent_axis,
    read_result,
    require_columns,
    suppressed,
    suppression_note,
    themed,
)

#: (table, panel title): the panel titles say what the bars are, so they need no colour.
PANELS = (
    ("violence_forms", "Forms of violence survivors described"),
    ("informal_strategies", "Safety strategies outside formal systems"),
)


def _panel(results: Path, table: str) -> pd.DataFrame:
    frame = read_result(results, f"tables/{table}.csv")
    require_columns(frame, ["item", "successes", "n", "share", "ci_low", "ci_high"],
                    f"{table}.csv")
    return frame.sort_values("share", ascending=False, kind="mergesort").reset_index(drop=True)


def _item(text: str) -> str:
    return text[:1].upper() + text[1:]


@themed
def violence_strategies(results: Path, data: Path) -> Figure:
    """Two panels of bars with intervals: prevalence of violence forms and informal strategies."""
    frames = [_panel(results, table) for table, _ in PANELS]
    sizes = [len(f) for f in frames]
    fig, axes = new_figure(1.1 + 0.24 * sum(sizes) + 0.5, nrows=2, sharex=True,
                           gridspec_kw={"height_ratios": sizes})
    for ax, frame, (_, title), letter in zip(axes, frames, PANELS, "AB", strict=True):
        y = np.arange(len(frame))
        # Suppressed cells of restricted data: no bar, only the marker.
        keep = frame["share"].notna().to_numpy()
        ax.barh(y[keep], frame["share"][keep], height=0.68, color=NEUTRAL_FILL, edgecolor="none")
        ax.errorbar(frame["share"][keep], y[keep], xerr=interval_errors(frame[keep]),
                    fmt="none", ecolor=".15", elinewidth=0.9, capsize=2)
        for yi, count in zip(y[~keep], frame["successes"][~keep], strict=True):
            ax.text(0.01, yi, count_label(count), va="center", ha="left", fontsize=8,
                    color=".35")
        ax.set_yticks(y, [_item(i) for i in frame["item"]])
        ax.set_ylim(len(frame) - 0.5, -0.5)
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="y", visible=False)
        ax.spines["left"].set_visible(False)
        ax.set_title(f"{letter}   {title} (n = {int(frame['n'].iloc[0])})", fontsize=9.6)
        percent_axis(ax, "x", step=0.2)
    axes[-1].set_xlabel("Share of survivors (%)")
    return fig


def violence_strategies_caption(results: Path, data: Path) -> str:
    frames = [_panel(results, table) for table, _ in PANELS]
    n = int(frames[0]["n"].iloc[0])
    return (
        f"Share of the {n} survivors who described each form of violence (A, "
        f"{len(frames[0])} items, including the two pattern codes: violence that was ongoing "
        f"and strategic, and violence beyond what police could address) and who used each "
        f"safety strategy outside police and courts (B, {len(frames[1])} strategies). Bars are "
        f"shares and error bars Wilson {interval_level(results)} intervals; a survivor can "
        f"describe several forms and use several strategies.{suppression_note()}"
    )


def violence_strategies_alt(results: Path, data: Path) -> str:
    parts = []
    for (table, title), letter in zip(PANELS, "AB", strict=True):
        frame = _panel(results, table)
        n = int(frame["n"].iloc[0])
        items = "; ".join(f"{i} {count_label(k)}" + ("" if suppressed(k) or pd.isna(s)
                                                      else f" ({percent(s)})")
                          for i, k, s in zip(frame["item"], frame["successes"], frame["share"],
                                             strict=True))
        parts.append(f"Panel {letter}, {title.lower()}, out of {n} survivors, from most to "
                     f"least common: {items}.")
    return (
        "Two panels of horizontal bars with error bars, sharing a horizontal axis of the share "
        "of survivors from 0 to 100%. " + " ".join(parts)
    )
