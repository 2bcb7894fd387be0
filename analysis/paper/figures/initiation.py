"""How police became involved: survivor-level initiation patterns by race/ethnicity."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from analysis.palette import INITIATOR_COLOURS, colour_name
from analysis.paper.figures.style import (
    count_label,
    new_figure,
    percent,
    percent_axis,
    read_result,
    require_columns,
    small_cell_threshold,
    suppressed,
    suppression_note,
    text_on,
    themed,
)

#: Each pattern's fill and hatch colour: "both" is drawn in both initiators' colours at once
#: (orange hatched with blue), so it needs no colour of its own.
PATTERN_COLOURS = {"self only": (INITIATOR_COLOURS["self"], None),
                   "external only": (INITIATOR_COLOURS["external"], None),
                   "dual": (INITIATOR_COLOURS["external"], INITIATOR_COLOURS["self"])}
HATCH = "////"
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


def _patch(pattern: str, **kwargs) -> dict:
    """Bar or legend-patch style of a pattern: its fill, and a hatch for "both"."""
    fill, hatch = PATTERN_COLOURS[pattern]
    style = {"facecolor": fill, "edgecolor": "white", "linewidth": 0.8, **kwargs}
    if hatch is not None:
        style.update(hatch=HATCH, edgecolor=hatch, hatch_linewidth=2.2)
    return style


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
    for pattern, (fill, hatch) in PATTERN_COLOURS.items():
        keep = drawn[pattern].to_numpy()
        ax.barh([yi for yi, k in zip(y, keep, strict=True) if k], shares[pattern][keep],
                left=lefts[pattern][keep], height=0.7, label=PATTERN_LABELS[pattern],
                **_patch(pattern))
        # On the hatched segment the count sits on a white disc, so it reads over the stripes.
        box = ({"boxstyle": "circle,pad=0.2", "facecolor": "white", "edgecolor": "none"}
               if hatch else None)
        for yi, left, share, count in zip(y, lefts[pattern], shares[pattern], counts[pattern],
                                          strict=True):
            if not suppressed(count) and pd.notna(share) and int(count) > 0:
                ax.text(left + share / 2, yi, f"{int(count)}", ha="center", va="center",
                        fontsize=8.8, color="black" if hatch else text_on(fill), bbox=box)
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
    handles = [Patch(label=PATTERN_LABELS[p], **_patch(p)) for p in PATTERN_COLOURS]
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


def _segments() -> str:
    """The segments and their colours, for alt text: "survivor only (blue), ..."."""
    parts = []
    for pattern, (fill, hatch) in PATTERN_COLOURS.items():
        look = (f"{colour_name(fill)} with {colour_name(hatch)} stripes" if hatch
                else colour_name(fill))
        parts.append(f"{PATTERN_LABELS[pattern].lower()} ({look})")
    return ", ".join(parts[:-1]) + " and " + parts[-1]


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
            f"Horizontal stacked bar chart with one bar per group, split into three segments for "
            f"who initiated her police contacts: {_segments()}; "
            f"suppressed segments are not drawn. {' '.join(parts)}")
    most = PATTERN_LABELS[overall.idxmax()].lower()
    return (
        f"Horizontal stacked bar chart with one bar per group, each bar running from 0 to 100% "
        f"of the group's survivors and split into three segments for who initiated her police "
        f"contacts: {_segments()}. {' '.join(parts)} "
        f"The most common pattern among {groups[0].lower()} is {most}."
    )
