"""How police became involved: survivor-level initiation patterns by race/ethnicity."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from analysis.palette import OKABE_ITO
from analysis.paper.figures.style import (
    INITIATOR_COLOURS,
    count_label,
    new_figure,
    percent,
    percent_axis,
    read_result,
    require_columns,
    small_cell_threshold,
    suppressed,
    suppression_note,
    themed,
)

PATTERN_COLOURS = {"self only": INITIATOR_COLOURS["self"],
                   "external only": INITIATOR_COLOURS["external"],
                   "dual": OKABE_ITO["bluish_green"]}
PATTERN_LABELS = {"self only": "Survivor only", "external only": "Someone else only",
                  "dual": "Both (dual)"}
OVERALL = "All survivors"


def _patterns(results: Path) -> pd.DataFrame:
    frame = read_result(results, "tables/initiation_patterns.csv")
    require_columns(frame, ["group", "pattern", "successes", "n", "share"],
                    "initiation_patterns.csv")
    unknown = sorted(set(frame["pattern"]) - set(PATTERN_COLOURS))
    if unknown:
        raise ValueError(f"initiation_patterns.csv: unknown pattern(s) {', '.join(unknown)}")
    return frame


def _groups(frame: pd.DataFrame) -> list[str]:
    """Groups in table order, the overall row first."""
    groups = list(dict.fromkeys(frame["group"]))
    return sorted(groups, key=lambda g: g != OVERALL)


def _text_colour(colour: str) -> str:
    r, g, b = to_rgb(colour)
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "white"


@themed
def initiation_by_race(results: Path, data: Path) -> Figure:
    """Stacked bars: share of survivors with each initiation pattern, overall and by group."""
    frame = _patterns(results)
    groups = _groups(frame)
    fig, ax = new_figure(2.6)
    # A gap separates the overall bar from the groups.
    ypos = {g: (0.0 if g == OVERALL else i + 0.5) for i, g in enumerate(groups)}
    shares = frame.pivot(index="group", columns="pattern", values="share").reindex(
        index=groups, columns=list(PATTERN_COLOURS), fill_value=0.0)
    counts = frame.pivot(index="group", columns="pattern", values="successes").astype(
        object).reindex(
        index=groups, columns=list(PATTERN_COLOURS), fill_value=0)
    # Suppressed segments (restricted data) are left out and the others stacked
    # without a gap, so that no gap reveals a suppressed share.
    drawn = shares.notna()
    visible = shares.fillna(0.0)
    lefts = visible.cumsum(axis=1) - visible
    y = [ypos[g] for g in groups]
    for pattern, colour in PATTERN_COLOURS.items():
        keep = drawn[pattern].to_numpy()
        ax.barh([yi for yi, k in zip(y, keep, strict=True) if k], shares[pattern][keep],
                left=lefts[pattern][keep], height=0.7, color=colour,
                edgecolor="white", linewidth=0.8, label=PATTERN_LABELS[pattern])
        for yi, left, share, count in zip(y, lefts[pattern], shares[pattern], counts[pattern],
                                          strict=True):
            if not suppressed(count) and pd.notna(share) and int(count) > 0:
                ax.text(left + share / 2, yi, f"{int(count)}", ha="center", va="center",
                        fontsize=8.8, color=_text_colour(colour))
    if small_cell_threshold() is not None:
        # Restricted data: name the groups with suppressed segments.
        for g, yi in zip(groups, y, strict=True):
            if not drawn.loc[g].all():
                ax.text(visible.loc[g].sum() + 0.01, yi, "suppressed segments", va="center",
                        ha="left", fontsize=7, color=".35")
    n = frame.groupby("group")["n"].first()
    ax.set_yticks([ypos[g] for g in groups],
                  [f"{g} (n = {count_label(n[g])})" for g in groups])
    ax.invert_yaxis()
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="y", visible=False)
    percent_axis(ax, "x", step=0.2)
    ax.set_xlabel("Share of survivors in the group (%); numbers in bars are survivors")
    ax.spines["left"].set_visible(False)
    # Explicit handles: a pattern with every segment suppressed still has its colour.
    handles = ([Patch(color=c, label=PATTERN_LABELS[p]) for p, c in PATTERN_COLOURS.items()]
               if small_cell_threshold() is not None else None)
    fig.legend(handles=handles, loc="outside upper center", ncols=3,
               title="Who initiated her police contacts", title_fontsize=8.8)
    return fig


def initiation_by_race_caption(results: Path, data: Path) -> str:
    frame = _patterns(results)
    groups = [g for g in _groups(frame) if g != OVERALL]
    n = frame.groupby("group")["n"].first()
    total = count_label(n[OVERALL]) if OVERALL in n else int(sum(n[g] for g in groups))
    sizes = ", ".join(f"{g} {count_label(n[g])}" for g in groups)
    return (
        f"Survivor-level pattern of police initiation across each survivor's contacts, for all "
        f"{total} survivors and by race/ethnicity: every contact initiated by the survivor "
        f"herself, every contact initiated by someone else, or both over time (dual). Bars show "
        f"the share of survivors in each group and the numbers inside them are counts of "
        f"survivors. The groups are small ({sizes}), so no intervals are drawn and differences "
        f"between groups are descriptive only.{suppression_note('bar segments')}"
    )


def initiation_by_race_alt(results: Path, data: Path) -> str:
    frame = _patterns(results)
    groups = _groups(frame)
    parts = []
    for g in groups:
        rows = frame[frame["group"] == g].set_index("pattern")
        counts = "; ".join(
            f"{PATTERN_LABELS[p].lower()} {count_label(rows.loc[p, 'successes'])}"
            + (f" ({percent(rows.loc[p, 'share'])})" if pd.notna(rows.loc[p, "share"]) else "")
            for p in PATTERN_COLOURS if p in rows.index)
        parts.append(f"{g}, {count_label(rows['n'].iloc[0])} survivors: {counts}.")
    overall = frame[frame["group"] == groups[0]].set_index("pattern")["share"]
    if overall.isna().any():
        return (
            "Horizontal stacked bar chart with one bar per group, split into three colours for "
            "who initiated her police contacts: survivor only, someone else only, and both; "
            f"suppressed segments are not drawn. {' '.join(parts)}")
    most = PATTERN_LABELS[overall.idxmax()].lower()
    return (
        f"Horizontal stacked bar chart with one bar per group, each bar running from 0 to 100% "
        f"of the group's survivors and split into three colours for who initiated her police "
        f"contacts: survivor only, someone else only, and both. {' '.join(parts)} "
        f"The most common pattern among {groups[0].lower()} is {most}."
    )
