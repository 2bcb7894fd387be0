"""Race disparities: forest plot of risk differences, Black versus other survivors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from analysis.disclosure.markers import is_suppressed
from analysis.palette import OKABE_ITO
from analysis.paper.figures.style import (
    REFERENCE,
    join_words,
    new_figure,
    read_claims,
    read_result,
    require_columns,
    small_cell_threshold,
    themed,
)
from analysis.paper.fmt import MINUS
from analysis.steps.claims import load_registry

FAMILY = "race_disparities"
#: Short names of the contact-level outcomes the disparity claims compare.
OUTCOME_LABELS = {"self_initiated": "Survivor called police",
                  "any_practice": "Any safety practice",
                  "arrest": "Partner arrested"}


def disparity_claims(results: Path) -> tuple[list[dict[str, Any]], str, float]:
    """The race-disparity claims in registry order, with their outcome, the method and alpha."""
    claims = read_claims(results)
    by_id = {c["id"]: c for c in claims["claims"]}
    rows = []
    for entry in load_registry():
        if entry.get("family") != FAMILY:
            continue
        if entry["id"] not in by_id:
            raise ValueError(f"claims.json has no result for claim {entry['id']}")
        result = by_id[entry["id"]]
        if result.get("suppressed"):
            # Restricted data: the estimate rests on a small cell and is not shown.
            rows.append({**result, "outcome": entry.get("outcome", entry["id"])})
            continue
        if not result.get("estimable") or result.get("ci_low") is None:
            raise ValueError(f"claim {entry['id']} has no estimate: {result.get('reason')}")
        rows.append({**result, "outcome": entry.get("outcome", entry["id"])})
    if not rows:
        raise ValueError(f"the claims registry has no claims in family '{FAMILY}'")
    return rows, rows[0]["method"], float(claims["alpha"])


def group_sizes(results: Path) -> dict[str, tuple[int | str, int | str]]:
    """Survivors and police contacts, Black and other survivors: {group: (survivors, contacts)}.

    Read from what the analysis published: survivors from the survivor-level
    tests, contacts from the arrest table by race. In a restricted build these
    are the suppressed counts (a suppressed size is its marker).
    """
    tests = read_result(results, "inference/survivor_tests.csv")
    require_columns(tests, ["contrast", "exposed_n", "reference_n"],
                    "inference/survivor_tests.csv")
    tests = tests[tests["contrast"] == "black_vs_others"]
    arrests = read_result(results, "tables/arrests_by.csv")
    require_columns(arrests, ["factor", "level", "n"], "tables/arrests_by.csv")
    by_race = arrests[arrests["factor"] == "Race"].set_index("level")["n"]

    def count(value):
        return value if is_suppressed(value) else int(float(value))

    return {"Black": (count(tests["exposed_n"].iloc[0]), count(by_race["Black"])),
            "other": (count(tests["reference_n"].iloc[0]), count(by_race["other"]))}


def _pp(value: float) -> str:
    """A difference in percentage points with its sign: +41, −35, 0."""
    rounded = int(np.floor(abs(value) * 100 + 0.5)) * (1 if value >= 0 else -1)
    return "0" if rounded == 0 else (f"+{rounded}" if rounded > 0 else f"{MINUS}{-rounded}")


def _row_text(claim: dict[str, Any]) -> str:
    if claim.get("suppressed"):
        return "suppressed"
    return f"{_pp(claim['estimate'])} [{_pp(claim['ci_low'])}, {_pp(claim['ci_high'])}]"


def _label(claim: dict[str, Any]) -> str:
    return f"{OUTCOME_LABELS.get(claim['outcome'], claim['outcome'])} ({claim['id']})"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


@themed
def race_forest(results: Path, data: Path) -> Figure:
    """Points and intervals: risk difference (Black minus other survivors) per disparity claim."""
    claims, _, alpha = disparity_claims(results)
    y = np.arange(len(claims), dtype=float)
    # Suppressed estimates (restricted data) keep their row but are not drawn.
    shown = [i for i, c in enumerate(claims) if not c.get("suppressed")]
    est = np.array([claims[i]["estimate"] for i in shown], dtype=float) * 100
    low = np.array([claims[i]["ci_low"] for i in shown], dtype=float) * 100
    high = np.array([claims[i]["ci_high"] for i in shown], dtype=float) * 100
    header = -0.85   # a header row above the claims, for the column titles
    fig, ax = new_figure(1.0 + 0.45 * len(claims))
    ax.vlines(0, -0.5, len(claims) - 0.5, color=REFERENCE, linewidth=1.0, zorder=1)
    ax.errorbar(est, y[shown], xerr=np.vstack([est - low, high - est]), fmt="s", markersize=6,
                color=OKABE_ITO["blue"], ecolor=OKABE_ITO["blue"], elinewidth=1.6, capsize=3,
                zorder=3)
    ax.set_yticks([header, *y], ["Contact outcome (claim)", *(_label(c) for c in claims)])
    ax.set_ylim(len(claims) - 0.5, header - 0.45)
    extent = max(np.abs(low).max(), np.abs(high).max()) if shown else 50.0
    bound = 10 * np.ceil(extent / 10 + 0.05)
    ax.set_xlim(-bound, bound)
    ax.xaxis.set_major_formatter(lambda v, _: _pp(v / 100))
    ax.set_xlabel("Risk difference, Black minus other survivors (percentage points)")
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="y", visible=False)
    ax.spines["left"].set_visible(False)
    for side, text in ((-1, "\u2190 lower for Black survivors"),
                       (1, "higher for Black survivors \u2192")):
        ax.text(side * bound * 0.03, header, text, ha="right" if side < 0 else "left",
                va="center", fontsize=7.5, color=".35")
    # Estimates and intervals as a column of text on the right.
    values = ax.secondary_yaxis("right")
    title = f"Estimate [{round(100 * (1 - alpha))}% CI]"
    values.set_yticks([header, *y], [title, *(_row_text(c) for c in claims)])
    values.tick_params(length=0)
    values.spines["right"].set_visible(False)
    for axis in (ax, values):
        axis.get_yticklabels()[0].set_fontweight("bold")
    return fig


def race_forest_caption(results: Path, data: Path) -> str:
    claims, method, alpha = disparity_claims(results)
    ids = join_words([c["id"] for c in claims])
    sizes = group_sizes(results)
    hidden = [c["id"] for c in claims if c.get("suppressed")]
    note = (f" Restricted data: the estimate{'s' if len(hidden) > 1 else ''} of "
            f"{join_words(hidden)} rest{'' if len(hidden) > 1 else 's'} on a count below "
            f"{small_cell_threshold()} (or one suppressed to protect it) and "
            f"{'are' if len(hidden) > 1 else 'is'} not drawn.") if hidden else ""
    return (
        f"Differences between Black survivors ({sizes['Black'][0]} survivors, "
        f"{sizes['Black'][1]} police contacts) and other survivors ({sizes['other'][0]} "
        f"survivors, {sizes['other'][1]} contacts) in the share of police "
        f"contacts with each outcome (claims {ids}), in percentage points: positive values mean "
        f"the outcome was more common at Black survivors' contacts. Squares are the estimated "
        f"risk differences and horizontal lines their {round(100 * (1 - alpha))}% confidence "
        f"intervals, which allow for several contacts by the same survivor (method: {method}). "
        f"The vertical line marks no difference.{note}"
    )


def race_forest_alt(results: Path, data: Path) -> str:
    claims, _, alpha = disparity_claims(results)
    level = f"{round(100 * (1 - alpha))}%"
    rows = []
    for c in claims:
        if c.get("suppressed"):
            name = OUTCOME_LABELS.get(c["outcome"], c["outcome"]).lower()
            rows.append(f"{name} ({c['id']}): suppressed (small counts), not drawn")
            continue
        side = ("entirely above zero" if c["ci_low"] > 0 else
                "entirely below zero" if c["ci_high"] < 0 else "crossing zero")
        name = OUTCOME_LABELS.get(c["outcome"], c["outcome"]).lower()
        rows.append(f"{name} ({c['id']}): {_pp(c['estimate'])} percentage points, "
                    f"{level} interval {_pp(c['ci_low'])} to {_pp(c['ci_high'])}, {side}")
    return (
        f"Forest plot with {len(claims)} rows, each a square with a horizontal interval line, "
        f"on a horizontal axis of risk differences in percentage points (Black minus other "
        f"survivors) with a vertical line at zero. " + _sentence("; ".join(rows))
    ).replace(MINUS, "minus ")
