"""The qualitative coding: which codes were applied to which survivor, grouped by theme,
and how soon the interviews needed each code (code saturation).

Restricted-data builds publish no survivor-level matrix, so there the same
code-by-case figure (same name, same cross-reference) is an aggregate: the
number of survivors with each code, grouped by theme, with suppressed counts
labelled and not drawn. The saturation curve follows single interviews in
order, so restricted builds do not draw it (the figure says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from analysis.disclosure.markers import withheld_sentence
from analysis.io import read_json
from analysis.palette import ABSENT, NEUTRAL, NEUTRAL_FILL
from analysis.paper.figures.style import (
    REFERENCE,
    count_label,
    new_figure,
    percent,
    read_result,
    require_columns,
    small_cell_threshold,
    suppressed,
    themed,
)
from analysis.paper.fmt import join_words
from analysis.study.datapackage import read_table

#: Themes are named by headings above their codes, not by colour: a colour in these figures
#: would claim one of the meanings of analysis.palette.
HEADING_GAP = 0.25


@dataclass(frozen=True)
class CodeMatrix:
    """The code-by-case matrix with codes (rows) in codebook order and their themes."""

    matrix: pd.DataFrame            # codes x survivors, 0/1
    labels: pd.Series               # code -> label
    themes: pd.Series               # code -> theme
    theme_labels: dict[str, str]    # theme -> label, in codebook order


def code_matrix(results: Path, data: Path) -> CodeMatrix:
    frame = read_result(results, "qualitative/code_by_case.csv")
    if "participant_id" not in frame.columns:
        raise ValueError("code_by_case.csv: missing column participant_id")
    cases = frame.set_index("participant_id")
    codebook = read_table(data, "qual_codebook")
    unknown = [c for c in cases.columns if c not in set(codebook["code"])]
    if unknown:
        raise ValueError(f"code_by_case.csv: code(s) not in the codebook: {', '.join(unknown)}")
    values = cases.to_numpy()
    if cases.empty or not np.isin(values, (0, 1)).all():
        raise ValueError("code_by_case.csv: expected a non-empty matrix of 0/1 values")
    book = codebook.set_index("code").loc[[c for c in codebook["code"] if c in cases.columns]]
    theme_labels = dict(zip(book["theme"], book["theme_label"], strict=True))
    return CodeMatrix(cases[book.index].T.astype(int), book["label"], book["theme"],
                      theme_labels)


@dataclass(frozen=True)
class CodeCounts:
    """Restricted data: survivors per code (published text), in codebook order, by theme."""

    counts: pd.Series               # code -> count or suppression marker
    labels: pd.Series               # code -> label
    themes: pd.Series               # code -> theme
    theme_labels: dict[str, str]    # theme -> label, in codebook order
    n_cases: int


def code_counts(results: Path, data: Path) -> CodeCounts:
    """Survivors per code from the suppressed ``qualitative/themes.csv`` (restricted builds)."""
    frame = read_result(results, "qualitative/themes.csv")
    require_columns(frame, ["level", "theme", "code", "cases"], "qualitative/themes.csv")
    rows = frame[frame["level"] == "code"].set_index("code")
    codebook = read_table(data, "qual_codebook")
    book = codebook.set_index("code").loc[[c for c in codebook["code"] if c in rows.index]]
    path = Path(results) / "qualitative" / "agreement.json"
    if not path.exists():
        raise FileNotFoundError(f"input not found: {path} (build it with snakemake first)")
    return CodeCounts(rows.loc[book.index, "cases"], book["label"], book["theme"],
                      dict(zip(book["theme"], book["theme_label"], strict=True)),
                      int(read_json(path)["cases"]))


def theme_rows(themes: pd.Series) -> tuple[np.ndarray, list[tuple[float, str]]]:
    """Row positions (top edge of each code's row) with a heading row above each theme.

    Returns the y of each code in order and the (y, theme id) of each heading;
    a heading row is one row high, and a theme after the first is set off by
    :data:`HEADING_GAP`.
    """
    ys, headings, y, current = [], [], 0.0, None
    for theme in themes:
        if theme != current:
            if current is not None:
                y += HEADING_GAP
            headings.append((y, theme))
            y += 1.0
            current = theme
        ys.append(y)
        y += 1.0
    return np.array(ys), headings


def _label_rows(ax: Axes, ys: np.ndarray, labels: list[str],
                headings: list[tuple[float, str]], theme_labels: dict[str, str],
                centre: float) -> None:
    """Code labels on the left, each theme's name in bold on its heading row."""
    ax.set_yticks([*(y + centre for y, _ in headings), *(ys + centre)],
                  [*(theme_labels[t] for _, t in headings), *labels])
    for label in ax.get_yticklabels()[:len(headings)]:
        label.set_fontweight("bold")


def _code_counts_figure(results: Path, data: Path) -> Figure:
    cc = code_counts(results, data)
    n_codes = len(cc.counts)
    ys, headings = theme_rows(cc.themes)
    fig, ax = new_figure(1.2 + 0.2 * (n_codes + len(headings)))
    hidden = np.array([suppressed(v) for v in cc.counts], dtype=bool)
    values = np.array([0 if h else int(float(v)) for v, h in zip(cc.counts, hidden, strict=True)])
    ax.barh(ys[~hidden], values[~hidden], height=0.7, color=NEUTRAL_FILL, edgecolor="none")
    for yi, value, text, h in zip(ys, values, cc.counts, hidden, strict=True):
        ax.text((0 if h else value) + cc.n_cases * 0.01, yi, count_label(text), va="center",
                ha="left", fontsize=8, color=".35" if h else ".15")
    _label_rows(ax, ys, cc.labels.tolist(), headings, cc.theme_labels, 0.0)
    ax.set_ylim(ys[-1] + 0.5, -0.5)
    ax.set_xlim(0, cc.n_cases * 1.1)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="y", visible=False)
    ax.spines["left"].set_visible(False)
    ax.set_xlabel(f"Survivors with the code (of {cc.n_cases})")
    return fig


def _code_counts_caption(results: Path, data: Path) -> str:
    cc = code_counts(results, data)
    threshold = small_cell_threshold()
    return (
        f"Number of survivors to whom the primary coder applied each of the {len(cc.counts)} "
        f"codes of the qualitative analysis (of {cc.n_cases} survivors), grouped into "
        f"{len(cc.theme_labels)} themes, each named above its codes. Restricted data: the "
        f"survivor-by-code matrix is not shown, {withheld_sentence(threshold)}, and the bars "
        f"of withheld counts are not drawn."
    )


def _code_counts_alt(results: Path, data: Path) -> str:
    cc = code_counts(results, data)
    themes = _codes_by_theme(cc, lambda c: count_label(cc.counts[c]))
    return (
        f"Horizontal bar chart with {len(cc.counts)} grey bars, one per qualitative code, grouped "
        f"under a heading for each theme; each bar is the number of survivors (of {cc.n_cases}) "
        f"with the code, and suppressed counts have a label but no bar. Survivors per code, "
        f"by theme: {themes}."
    )


@themed
def code_by_case(results: Path, data: Path) -> Figure:
    """Heatmap: one row per code (grouped by theme), one column per survivor.

    Restricted data: bars of survivors per code instead (no survivor is shown).
    """
    if small_cell_threshold() is not None:
        return _code_counts_figure(results, data)
    cm = code_matrix(results, data)
    n_codes, n_cases = cm.matrix.shape
    ys, headings = theme_rows(cm.themes)
    applied, absent = np.array(to_rgba(NEUTRAL)), np.array(to_rgba(ABSENT))
    fig, ax = new_figure(1.5 + 0.2 * (n_codes + len(headings)))
    for y, row in zip(ys, cm.matrix.to_numpy(), strict=True):
        rgba = np.where(row[None, :, None] == 1, applied, absent)
        ax.pcolormesh(np.arange(n_cases + 1), [y, y + 1], rgba, edgecolors="white",
                      linewidth=0.6)
    ax.set_xlim(0, n_cases)
    ax.set_ylim(ys[-1] + 1, 0)
    _label_rows(ax, ys, cm.labels.tolist(), headings, cm.theme_labels, 0.5)
    ax.set_xticks(np.arange(n_cases) + 0.5, cm.matrix.columns.tolist(), rotation=90,
                  fontsize=7.5)
    ax.tick_params(length=0)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xlabel("Survivor")
    counts = ax.secondary_yaxis("right")
    counts.set_yticks(ys + 0.5, [str(v) for v in cm.matrix.sum(axis=1)])
    counts.tick_params(length=0, labelsize=8)
    counts.spines["right"].set_visible(False)
    counts.set_ylabel(f"Survivors with the code (of {n_cases})", fontsize=8.8)
    handles = [Patch(facecolor=NEUTRAL, edgecolor="none", label="Code applied"),
               Patch(facecolor=ABSENT, edgecolor=".6", linewidth=0.5, label="Code not applied")]
    fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=8,
               handlelength=1.2, columnspacing=1.5)
    return fig


def code_by_case_caption(results: Path, data: Path) -> str:
    if small_cell_threshold() is not None:
        return _code_counts_caption(results, data)
    cm = code_matrix(results, data)
    n_codes, n_cases = cm.matrix.shape
    return (
        f"Code-by-case matrix of the qualitative analysis: each of the {n_codes} codes (rows, "
        f"grouped under headings for its {len(cm.theme_labels)} themes) against each of the "
        f"{n_cases} survivors (columns). A dark cell means the primary coder applied the code at "
        f"least once to that survivor's interview; a light grey cell means the code was not "
        f"applied. Numbers on the right count the survivors with each code."
    )


def code_by_case_alt(results: Path, data: Path) -> str:
    if small_cell_threshold() is not None:
        return _code_counts_alt(results, data)
    cm = code_matrix(results, data)
    n_codes, n_cases = cm.matrix.shape
    counts = cm.matrix.sum(axis=1)
    per_case = cm.matrix.sum(axis=0)
    top = counts.max()
    most = [cm.labels[c].lower() for c in counts.index if counts[c] == top]
    low = counts.min()
    least = [cm.labels[c].lower() for c in counts.index if counts[c] == low]
    themes = _codes_by_theme(cm, lambda c: counts[c])
    return (
        f"Grid of dark and light grey cells with {n_codes} rows, one per qualitative code, and "
        f"{n_cases} columns, one per survivor ({cm.matrix.columns[0]} to "
        f"{cm.matrix.columns[-1]}). Rows are grouped under a heading for each theme, and a "
        f"cell is dark when the code was applied to that survivor. "
        f"The most common code{'s are' if len(most) > 1 else ' is'} "
        f"{join_words(most)} ({top} of {n_cases} survivors) and the least common "
        f"{'are' if len(least) > 1 else 'is'} {join_words(least)} ({low} of {n_cases}). Each "
        f"survivor has between {per_case.min()} and {per_case.max()} of the {n_codes} codes. "
        f"Survivors per code, by theme: {themes}."
    )


def _codes_by_theme(book, value) -> str:
    """'theme: code value, code value; theme: ...' for alt text, in codebook order.

    ``book`` has ``labels`` (code -> label), ``themes`` (code -> theme id, in
    order) and ``theme_labels`` (theme id -> label); ``value(code)`` gives the
    text shown after each code.
    """
    return "; ".join(
        f"{label.lower()}: "
        + ", ".join(f"{book.labels[c].lower()} {value(c)}" for c in book.themes.index
                    if book.themes[c] == theme)
        for theme, label in book.theme_labels.items())


# --- code saturation ----------------------------------------------------------------------

# No category here, so no colour (colours are meanings, analysis.palette): interview order
# in the neutral ink, random orders in the neutral grey, told apart by line style.
IN_ORDER = NEUTRAL
RANDOM_ORDERS = NEUTRAL_FILL


@dataclass(frozen=True)
class Saturation:
    """The saturation curve (one row per number of interviews) and its summary."""

    curve: pd.DataFrame
    summary: dict


def saturation_data(results: Path) -> Saturation:
    curve = read_result(results, "qualitative/saturation.csv")
    require_columns(curve, ["interviews", "new_codes", "codes_seen", "mean_new_codes_random",
                            "mean_codes_seen_random", "codes_seen_low", "codes_seen_high"],
                    "qualitative/saturation.csv")
    path = Path(results) / "qualitative" / "saturation.json"
    if not path.exists():
        raise FileNotFoundError(f"input not found: {path} (build it with snakemake first)")
    return Saturation(curve, read_json(path))


def _saturation_withheld() -> Figure:
    fig, ax = new_figure(1.2)
    ax.axis("off")
    ax.text(0.5, 0.5, "Not drawn for restricted data: the saturation curve follows single "
            "interviews in order.", ha="center", va="center", fontsize=9, color=".25",
            transform=ax.transAxes)
    return fig


@themed
def code_saturation(results: Path, data: Path) -> Figure:
    """Codes found after each additional interview, and new codes per interview.

    Interview order as a step line and bars; random orders as their mean with
    the band the summary's level covers (Guest, Bunce & Johnson, 2006).
    Restricted data: not drawn (the curve follows single interviews).
    """
    if small_cell_threshold() is not None:
        return _saturation_withheld()
    sat = saturation_data(results)
    c, s = sat.curve, sat.summary
    k = c["interviews"].to_numpy()
    fig, (left, right) = new_figure(2.9, 1, 2)
    left.fill_between(k, c["codes_seen_low"], c["codes_seen_high"], step="mid",
                      color=RANDOM_ORDERS, alpha=0.25, linewidth=0,
                      label=f"{percent(s['band_level'])} of random orders")
    left.plot(k, c["mean_codes_seen_random"], color=RANDOM_ORDERS, linestyle="--",
              linewidth=1.4, label=f"Mean of {s['random_orders']:,} random orders")
    left.step(k, c["codes_seen"], where="mid", color=IN_ORDER, linewidth=1.8,
              label="Interview order")
    left.axhline(s["codes"], color=REFERENCE, linewidth=0.8, linestyle=":")
    left.text(k[-1], s["codes"] + 0.3, f"{s['codes']} codes in the codebook", ha="right",
              va="bottom", fontsize=7.5, color=".3")
    left.set_ylim(0, s["codes"] + 2)
    left.set_xlim(0.5, k[-1] + 0.5)
    left.set_xlabel("Interviews")
    left.set_ylabel("Codes found so far")
    left.set_title("Codes found")
    right.bar(k, c["new_codes"], width=0.7, color=IN_ORDER, label="Interview order")
    right.plot(k, c["mean_new_codes_random"], color=RANDOM_ORDERS, marker="o", markersize=2.5,
               linewidth=1.2, linestyle="--", label="Mean of random orders")
    right.set_xlim(0.5, k[-1] + 0.5)
    right.set_xlabel("Interview")
    right.set_ylabel("New codes")
    right.set_title("New codes per additional interview")
    for ax in (left, right):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    handles, labels = left.get_legend_handles_labels()
    fig.legend(handles[::-1], labels[::-1], loc="outside lower center", ncols=3, fontsize=8,
               handlelength=1.6)
    return fig


def code_saturation_caption(results: Path, data: Path) -> str:
    if small_cell_threshold() is not None:
        return ("Code saturation is not drawn for restricted data: its curve in interview "
                "order follows single interviews, and no part of it has been published.")
    s = saturation_data(results).summary
    reached = s["interviews_to_all_in_order"]
    found = (f"all {s['codes_observed']} codes the primary coder applied had appeared by "
             f"interview {reached}" if reached else "not every code had appeared")
    return (
        f"Code saturation: the number of the codebook's {s['codes']} codes found after each "
        f"additional interview (left) and the new codes each interview added (right), in "
        f"interview order and over {s['random_orders']:,} random orders of the "
        f"{s['interviews']} synthetic interviews (mean, and the band holding "
        f"{percent(s['band_level'])} of orders), as Guest, Bunce and Johnson (2006) tracked "
        f"new codes per interview. In interview order {found}; over random orders the last new "
        f"code came with interview {s['interviews_to_all_median']:.0f} (median; "
        f"{percent(s['band_level'])} of orders between {s['interviews_to_all_low']:.0f} and "
        f"{s['interviews_to_all_high']:.0f}). Codes come from a fixed codebook, so the curve "
        f"shows how soon each was first needed, not new themes emerging."
    )


def code_saturation_alt(results: Path, data: Path) -> str:
    if small_cell_threshold() is not None:
        return "A text panel saying that the saturation curve is not drawn for restricted data."
    sat = saturation_data(results)
    c, s = sat.curve, sat.summary
    first = int(c["new_codes"].iloc[0])
    later = [int(k) for k, n in zip(c["interviews"], c["new_codes"], strict=True)
             if n > 0 and k > 1]
    return (
        f"Two panels. Left: a step line rising from {first} codes after the first interview "
        f"to {int(c['codes_seen'].iloc[-1])} of {s['codes']}, in interview order, inside a "
        f"light grey band for random orders that starts between "
        f"{c['codes_seen_low'].iloc[0]:.0f} and {c['codes_seen_high'].iloc[0]:.0f} codes and "
        f"narrows to the full count within a few interviews. Right: bars of new codes per "
        f"interview: {first} at the first interview, then new codes only at interview"
        f"{'s' if len(later) > 1 else ''} {join_words([str(k) for k in later]) or 'none'}, "
        f"and none after; the dashed mean over random orders falls quickly towards zero."
    )
