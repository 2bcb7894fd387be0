"""What officers did at the scene: safety practices by who initiated, against what is expected."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from analysis.palette import INITIATOR_COLOURS, colour_name
from analysis.paper.figures.style import (
    INITIATOR_LABELS,
    count_label,
    interval_errors,
    interval_level,
    new_figure,
    percent,
    percent_axis,
    read_result,
    require_columns,
    small_cell_threshold,
    suppression_note,
    themed,
)
from analysis.paper.fmt import join_words

FACTOR = "Who initiated"
ORDER = ("self", "external")
ANY = "any_practice"
COLUMNS = ["factor", "level", "outcome", "label", "successes", "n", "share", "ci_low", "ci_high"]


def _by_initiator(results: Path, table: str) -> pd.DataFrame:
    frame = read_result(results, f"tables/{table}.csv")
    require_columns(frame, COLUMNS, f"{table}.csv")
    rows = frame[frame["factor"] == FACTOR]
    levels = set(rows["level"])
    if levels != set(ORDER):
        raise ValueError(f"{table}.csv: factor '{FACTOR}' should have levels "
                         f"{', '.join(ORDER)}; found {', '.join(sorted(levels)) or 'none'}")
    return rows


def _contacts(rows: pd.DataFrame) -> dict[str, str]:
    """Police contacts per initiator level (a suppression marker in restricted builds)."""
    return {level: count_label(rows.loc[rows["level"] == level, "n"].iloc[0]) for level in ORDER}


def _pct(value: float) -> str:
    """A share in percent; "suppressed" for a suppressed share of restricted data."""
    if small_cell_threshold() is not None and pd.isna(value):
        return "suppressed"
    return percent(value)


def _legend_label(level: str, contacts: dict[str, int]) -> str:
    return f"{INITIATOR_LABELS[level]} ({contacts[level]} contacts)"


def _dodged(ax: Axes, rows: pd.DataFrame, outcomes: list[str], ypos: np.ndarray,
            contacts: dict[str, int], kind: str) -> None:
    """One bar or dot (with its interval) per initiator level, side by side in each row."""
    offsets = {"self": -0.19, "external": 0.19}
    for level in ORDER:
        sub = rows[rows["level"] == level].set_index("outcome").reindex(outcomes)
        y = ypos + offsets[level]
        # Suppressed cells of restricted data are not drawn, only named.
        keep = sub["share"].notna().to_numpy()
        if small_cell_threshold() is not None:
            for yi in y[~keep]:
                ax.text(0.01, yi, "suppressed", va="center", ha="left", fontsize=7,
                        color=".35")
        sub, y = sub[keep], y[keep]
        colour = INITIATOR_COLOURS[level]
        label = _legend_label(level, contacts)
        if kind == "bar":
            ax.barh(y, sub["share"], height=0.36, color=colour, label=label, edgecolor="none")
            ax.errorbar(sub["share"], y, xerr=interval_errors(sub), fmt="none", ecolor=".15",
                        elinewidth=0.9, capsize=2)
        else:
            ax.errorbar(sub["share"], y, xerr=interval_errors(sub), fmt="o", color=colour,
                        markersize=5, elinewidth=1.2, capsize=0, label=label, clip_on=False,
                        zorder=3)


@themed
def practices_by_initiator(results: Path, data: Path) -> Figure:
    """Bars: share of contacts with each safety practice (and any), self vs external initiation."""
    rows = _by_initiator(results, "practices_by")
    labels = rows.drop_duplicates("outcome").set_index("outcome")["label"]
    practices = [o for o in labels.index if o != ANY]
    outcomes = ([ANY] if ANY in labels.index else []) + practices
    # "Any safety practice" sits apart, above the practices.
    ypos = np.array([0.0] + [i + 0.6 for i in range(1, len(outcomes))], dtype=float)
    fig, ax = new_figure(4.2)
    _dodged(ax, rows, outcomes, ypos, _contacts(rows), "bar")
    ax.set_yticks(ypos, [labels[o] for o in outcomes])
    ax.get_yticklabels()[0].set_fontweight("bold")
    ax.axhline(0.8, color=".75", linewidth=0.8)
    if small_cell_threshold() is not None:   # every row, even if nothing is drawn in it
        ax.set_ylim(ypos[0] - 0.6, ypos[-1] + 0.6)
    ax.invert_yaxis()
    return _finish_share_axes(fig, ax)


def practices_by_initiator_caption(results: Path, data: Path) -> str:
    rows = _by_initiator(results, "practices_by")
    contacts = _contacts(rows)
    n_practices = rows.loc[rows["outcome"] != ANY, "outcome"].nunique()
    level = interval_level(results)
    return (
        f"Share of police contacts at which survivors reported each of the {n_practices} safety "
        f"practices that officer guidance expects, and at least one of them (any safety "
        f"practice), by who called the police: the survivor herself ({contacts['self']} "
        f"contacts) or someone else ({contacts['external']} contacts). Error bars are Wilson "
        f"{level} intervals for each share; they treat contacts as independent and so are "
        f"narrower than intervals that allow for several contacts by the same survivor (the "
        f"clustered model is in the inference table).{suppression_note()}"
    )


def practices_by_initiator_alt(results: Path, data: Path) -> str:
    rows = _by_initiator(results, "practices_by")
    contacts = _contacts(rows)
    wide = rows.pivot(index="outcome", columns="level", values="share")
    labels = rows.drop_duplicates("outcome").set_index("outcome")["label"]
    practices = [o for o in labels.index if o != ANY]
    higher = [labels[o].lower() for o in practices if wide.loc[o, "external"] > wide.loc[o, "self"]]
    detail = "; ".join(
        f"{labels[o].lower()} {_pct(wide.loc[o, 'self'])} versus "
        f"{_pct(wide.loc[o, 'external'])}" for o in practices)
    text = (
        f"Horizontal bar chart with error bars. Each row is a police safety practice and has "
        f"two bars: contacts the survivor initiated ({contacts['self']}, "
        f"{colour_name(INITIATOR_COLOURS['self'])}) and contacts someone else initiated "
        f"({contacts['external']}, {colour_name(INITIATOR_COLOURS['external'])}). ")
    if ANY in wide.index:
        text += (f"The top row, any safety practice, is {_pct(wide.loc[ANY, 'self'])} when "
                 f"the survivor called and {_pct(wide.loc[ANY, 'external'])} when someone "
                 f"else called. ")
    text += (f"Shares for the individual practices, survivor called versus someone else "
             f"called: {detail}. ")
    if small_cell_threshold() is not None and wide.loc[practices].isna().to_numpy().any():
        text += (f"Of the practices whose shares are both shown, the share is higher when "
                 f"someone else called for {len(higher)}.")
    elif len(higher) == len(practices):
        text += "The share is higher when someone else called for every practice."
    else:
        text += (f"The share is higher when someone else called for {len(higher)} of "
                 f"{len(practices)} practices" + (f" ({join_words(higher)})." if higher else "."))
    return text


def _finish_share_axes(fig: Figure, ax: Axes, **percent_options) -> Figure:
    """Shared finish of both practice figures: share axis, no y ticks, initiator legend."""
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="y", visible=False)
    percent_axis(ax, "x", step=0.2, **percent_options)
    ax.set_xlabel("Share of police contacts (%)")
    ax.spines["left"].set_visible(False)
    fig.legend(loc="outside upper center", ncols=2, title="Who called the police",
               title_fontsize=8.8)
    return fig
