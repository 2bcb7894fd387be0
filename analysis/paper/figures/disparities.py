"""Race disparities: forest plot of every race claim, both contrasts and both levels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D

from analysis.disclosure.markers import is_suppressed
from analysis.palette import ABSENT, NEUTRAL, VERDICT_COLOURS
from analysis.paper.figures.labels import (
    CONTRAST_GROUPS,
    CONTRAST_LABELS,
    OUTCOME_LABELS,
    grouped_rows,
    row_text,
)
from analysis.paper.figures.style import (
    LEVEL_MARKERS,
    REFERENCE,
    new_figure,
    read_claims,
    read_result,
    require_columns,
    small_cell_threshold,
    text_on,
    themed,
)
from analysis.paper.fmt import MINUS, join_words, points, points_interval
from analysis.steps.claims import load_registry
from analysis.study.variables import CONTRASTS, SUMMARIES

#: Where a race contrast's contacts are counted in tables/arrests_by.csv: (factor, exposed
#: level, reference level).
CONTACT_FACTORS: dict[str, tuple[str, str, str]] = {
    name: contrast.levels for name, contrast in CONTRASTS.items()}
#: The two levels, in the order each row draws them (top to bottom).
LEVELS = ("survivor", "contact")
#: Vertical offset of each level's marker within a row.
OFFSET = {"survivor": -0.17, "contact": 0.17}


def race_claims(results: Path) -> tuple[list[dict[str, Any]], float]:
    """The race claims (every registry claim with a contrast) in registry order, and alpha.

    Each entry is the claim's result from claims.json with its registry
    ``outcome``, ``contrast`` and ``survivor_outcome`` added.
    """
    claims = read_claims(results)
    by_id = {c["id"]: c for c in claims["claims"]}
    rows = []
    for entry in load_registry():
        if entry.get("contrast") is None:
            continue
        if entry["id"] not in by_id:
            raise ValueError(f"claims.json has no result for claim {entry['id']}")
        if entry["contrast"] not in CONTACT_FACTORS:
            raise ValueError(f"claim {entry['id']}: no group sizes for contrast "
                             f"'{entry['contrast']}'")
        result = by_id[entry["id"]]
        rows.append({**result, "outcome": entry["outcome"], "contrast": entry["contrast"],
                     "survivor_outcome": entry.get("survivor_outcome")})
    if not rows:
        raise ValueError("the claims registry has no race claims (claims with a contrast)")
    return rows, float(claims["alpha"])


def level_value(claim: dict[str, Any], level: str) -> dict[str, float] | None:
    """A level's estimate and interval (fractions), or None when it is not drawn.

    Not drawn: the claim is suppressed (restricted data), or the level has no
    estimate.
    """
    if claim.get("suppressed"):
        return None
    values = (claim.get("levels") or {}).get(level) or {}
    if not values.get("estimable", True) or any(
            values.get(k) is None or is_suppressed(values.get(k))
            for k in ("estimate", "ci_low", "ci_high")):
        return None
    return {k: float(values[k]) for k in ("estimate", "ci_low", "ci_high")}


def group_sizes(results: Path) -> dict[str, dict[str, tuple[Any, Any]]]:
    """Survivors and police contacts per group of each contrast, as the analysis published them.

    ``{contrast: {"exposed": (survivors, contacts), "reference": (...)}}``:
    survivors from the survivor-level tests (exposed_n, reference_n),
    contacts from the arrest table's race factors. In a restricted build a
    suppressed size is its marker.
    """
    tests = read_result(results, "inference/survivor_tests.csv")
    require_columns(tests, ["contrast", "exposed_n", "reference_n"],
                    "inference/survivor_tests.csv")
    arrests = read_result(results, "tables/arrests_by.csv")
    require_columns(arrests, ["factor", "level", "n"], "tables/arrests_by.csv")

    def count(value):
        return value if is_suppressed(value) else int(float(value))

    sizes = {}
    for contrast, (factor, exposed, reference) in CONTACT_FACTORS.items():
        rows = tests[tests["contrast"] == contrast]
        contacts = arrests[arrests["factor"] == factor].set_index("level")["n"]
        if rows.empty or not {exposed, reference} <= set(contacts.index):
            raise ValueError(f"no group sizes for contrast '{contrast}' in the survivor tests "
                             f"or the arrest table (factor '{factor}')")
        sizes[contrast] = {"exposed": (count(rows["exposed_n"].iloc[0]), count(contacts[exposed])),
                           "reference": (count(rows["reference_n"].iloc[0]),
                                         count(contacts[reference]))}
    return sizes


def _interval_text(value: dict[str, float] | None, claim: dict[str, Any]) -> str:
    if claim.get("suppressed"):
        return "suppressed"
    if value is None:
        return "not estimable"
    return f"{points(value['estimate'])} {points_interval(value['ci_low'], value['ci_high'])}"


@themed
def race_forest(results: Path, data: Path) -> Figure:
    """Every race claim: survivor- and contact-level differences (points, intervals), verdicts."""
    claims, alpha = race_claims(results)
    headings, ys = grouped_rows(claims)
    bottom = ys[-1] + 0.6
    fig, (ax, table) = new_figure(1.35 + 0.3 * (len(claims) + len(headings)), ncols=2,
                                  sharey=True, gridspec_kw={"width_ratios": [1.0, 0.66]})
    ax.axvline(0, color=REFERENCE, linewidth=1.0, zorder=1)
    drawn = []
    for claim, y in zip(claims, ys, strict=True):
        primary = claim.get("primary_level")
        for level in LEVELS:
            value = level_value(claim, level)
            if value is None:
                continue
            drawn.append(value)
            filled = level == primary
            ax.errorbar(value["estimate"] * 100, y + OFFSET[level],
                        xerr=[[100 * (value["estimate"] - value["ci_low"])],
                              [100 * (value["ci_high"] - value["estimate"])]],
                        fmt=LEVEL_MARKERS[level], markersize=5.5, color=NEUTRAL,
                        markerfacecolor=NEUTRAL if filled else "white", markeredgewidth=1.2,
                        elinewidth=1.7 if filled else 1.0, capsize=0, zorder=3)
    extent = max((max(abs(v["ci_low"]), abs(v["ci_high"])) for v in drawn), default=0.5)
    bound = 20 * np.ceil(extent * 100 / 20 + 0.05)
    ax.set_xlim(-bound, bound)
    ax.xaxis.set_major_locator(_locator(bound))
    ax.xaxis.set_major_formatter(lambda v, _: points(v / 100))
    ax.set_xlabel("Difference, first group minus second (percentage points)")
    ax.set_yticks([*(h for h, _ in headings), *ys],
                  [*(text for _, text in headings), *(row_text(c) for c in claims)],
                  fontsize=8)
    for label in ax.get_yticklabels()[:len(headings)]:
        label.set_fontweight("bold")
    ax.set_ylim(bottom, -1.15)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="y", visible=False)
    ax.spines["left"].set_visible(False)
    for side, text in ((-1, "\u2190 lower in first group"), (1, "higher in first group \u2192")):
        ax.text(side * bound * 0.04, -0.85, text, ha="right" if side < 0 else "left",
                va="center", fontsize=7, color=REFERENCE)
    _table(table, claims, ys, alpha)
    # Each level's marker, filled and open: the shape is the level, the fill its role.
    handles = [tuple(Line2D([], [], marker=LEVEL_MARKERS[lv], linestyle="none", color=NEUTRAL,
                            markerfacecolor=face, markeredgewidth=1.2, markersize=5.5)
                     for face in (NEUTRAL, "white")) for lv in LEVELS]
    fig.legend(handles, ["Survivor level: share of survivors",
                         "Contact level: share of police contacts"],
               handler_map={tuple: HandlerTuple(ndivide=None, pad=0.6)},
               loc="outside upper center", ncols=2, columnspacing=1.6, handlelength=2.6,
               fontsize=7.5, title="Filled: the primary level, which decides the verdict; "
                                   "open: the other level", title_fontsize=7.5)
    return fig


def _locator(bound: float):
    from matplotlib.ticker import MultipleLocator

    return MultipleLocator(20 if bound <= 60 else 40)


def _table(ax, claims: list[dict[str, Any]], ys: list[float], alpha: float) -> None:
    """The text columns: each level's estimate [interval] beside its marker, and the verdict."""
    ax.set_xlim(0, 1)
    ax.axis("off")
    estimate_x, verdict_x = 0.0, 0.83
    ax.text(estimate_x, -0.85, f"Estimate [{round(100 * (1 - alpha))}% CI]", ha="left",
            va="center", fontsize=7.5, fontweight="bold")
    ax.text(verdict_x, -0.85, "Verdict", ha="center", va="center", fontsize=7.5,
            fontweight="bold")
    for claim, y in zip(claims, ys, strict=True):
        if claim.get("suppressed"):
            ax.text(estimate_x, y, "suppressed", ha="left", va="center", fontsize=7.2,
                    color=REFERENCE)
        for lv in LEVELS if not claim.get("suppressed") else ():
            primary = lv == claim.get("primary_level")
            ax.text(estimate_x, y + OFFSET[lv], _interval_text(level_value(claim, lv), claim),
                    ha="left", va="center", fontsize=7.2,
                    fontweight="bold" if primary else "normal",
                    color=NEUTRAL if primary else REFERENCE)
        verdict = claim["verdict"]
        # A withheld verdict (restricted data) is a word, not a category: no colour.
        colour = VERDICT_COLOURS.get(verdict, ABSENT)
        ax.text(verdict_x, y, verdict, ha="center", va="center", fontsize=7.2,
                color=text_on(colour),
                bbox={"boxstyle": "round,pad=0.3", "facecolor": colour, "edgecolor": "none"})


def _groups_text(sizes: dict[str, dict[str, tuple[Any, Any]]]) -> str:
    parts = []
    for contrast, groups in sizes.items():
        exposed, reference = CONTRAST_GROUPS[contrast]
        (s1, c1), (s0, c0) = groups["exposed"], groups["reference"]
        parts.append(f"{exposed} ({s1} survivors, {c1} contacts) with {reference} ({s0} "
                     f"survivors, {c0} contacts)")
    return "; ".join(parts)


SUMMARY_WORDS = {name: summary.of_contacts for name, summary in SUMMARIES.items()}


def race_forest_caption(results: Path, data: Path) -> str:
    claims, alpha = race_claims(results)
    level = f"{round(100 * (1 - alpha))}%"
    sizes = group_sizes(results)
    ids = join_words([c["id"] for c in claims])
    primaries = {c.get("primary_level") for c in claims if c.get("primary_level")}
    primary = (f"the {next(iter(primaries))} level for every claim" if len(primaries) == 1
               else "as the registry states per claim")
    summaries = {}
    for c in claims:
        summaries.setdefault(c.get("survivor_outcome"), []).append(c["id"])
    definitions = join_words([f"{SUMMARY_WORDS.get(s, s)} ({join_words(ids_)})"
                              for s, ids_ in summaries.items() if s])
    hidden = [c["id"] for c in claims if c.get("suppressed")]
    note = (f" Restricted data: the estimate{'s' if len(hidden) > 1 else ''} of "
            f"{join_words(hidden)} rest{'' if len(hidden) > 1 else 's'} on a count below "
            f"{small_cell_threshold()} (or one suppressed to protect it); "
            f"{'their rows are' if len(hidden) > 1 else 'its row is'} kept but not "
            f"drawn.") if hidden else ""
    return (
        f"Race claims {ids}: each compares {_groups_text(sizes)}. Differences are the first "
        f"group's share minus the second's, in percentage points, at two levels: circles are "
        f"survivor-level differences in the share of survivors with the outcome at "
        f"{definitions} (Newcombe {level} intervals), squares contact-level differences in "
        f"the share of police contacts with the outcome ({level} intervals that allow for "
        f"several contacts by the same survivor). The filled marker is the primary level, "
        f"which decides the claim's verdict ({primary}); the open marker is the other level, "
        f"reported beside it. The vertical line marks no difference.{note}"
    )


def race_forest_alt(results: Path, data: Path) -> str:
    claims, alpha = race_claims(results)
    level = f"{round(100 * (1 - alpha))}%"
    rows = []
    for c in claims:
        name = (f"{OUTCOME_LABELS.get(c['outcome'], c['outcome'])}, "
                f"{CONTRAST_LABELS.get(c['contrast'], c['contrast'])} ({c['id']})")
        if c.get("suppressed"):
            rows.append(f"{name}: suppressed (withheld counts), not drawn; "
                        f"verdict {c['verdict']}")
            continue
        parts = []
        for lv in LEVELS:
            value = level_value(c, lv)
            if value is None:
                parts.append(f"{lv} level not estimable")
                continue
            side = ("entirely above zero" if value["ci_low"] > 0 else
                    "entirely below zero" if value["ci_high"] < 0 else "crossing zero")
            parts.append(f"{lv} level{' (primary)' if lv == c.get('primary_level') else ''} "
                         f"{points(value['estimate'])} points, {level} interval "
                         f"{points(value['ci_low'])} to {points(value['ci_high'])}, {side}")
        rows.append(f"{name}: {'; '.join(parts)}; verdict {c['verdict']}")
    text = (
        f"Forest plot with {len(claims)} rows grouped by outcome, each with a circle "
        f"(survivor level) and a square (contact level) on horizontal intervals, on an axis of "
        f"differences in percentage points with a vertical line at zero; a column on the right "
        f"gives the estimates and each claim's verdict. " + ". ".join(rows) + ".")
    return text.replace(MINUS, "minus ")
