"""values.yml, results: practices, arrests, violence, strategies, safety, models, power."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from analysis.disclosure.markers import SUPPRESSED, count_text, is_suppressed
from analysis.paper import fmt
from analysis.paper.values.common import one, rows, share_text
from analysis.study.vocabulary import PRACTICES


def practice_values(tables: Mapping[str, pd.DataFrame]) -> dict[str, Any]:
    """``practices``: each practice overall, by who called and by race; any practice."""
    practices: dict[str, Any] = {}
    eva = tables["expected_vs_actual"]
    for key, label in PRACTICES.items():
        entry = {}
        for factor, level, name in (("All contacts", "all contacts", "overall"),
                                    ("Who initiated", "self", "self"),
                                    ("Who initiated", "external", "external"),
                                    ("Race", "Black", "black"), ("Race", "other", "other")):
            row = one(eva, factor=factor, level=level, outcome=f"practice_{key}")
            entry[name] = share_text(row)
        entry["label"] = label
        practices[key] = entry
    overall = rows(eva, factor="All contacts")
    best = overall.loc[overall["share"].idxmax()]
    worst = overall.loc[overall["share"].idxmin()]
    practices["most_reported"] = {"label": best["label"].lower(), "pct": share_text(best)}
    practices["least_reported"] = {"label": worst["label"].lower(), "pct": share_text(worst)}
    pb = tables["practices_by"]
    for name, factor, level in (("any_overall", "All contacts", "all contacts"),
                                ("any_self", "Who initiated", "self"),
                                ("any_external", "Who initiated", "external"),
                                ("any_black", "Race", "Black"), ("any_other", "Race", "other")):
        row = one(pb, factor=factor, level=level, outcome="any_practice")
        practices[name] = share_text(row)
    return practices


def arrest_values(tables: Mapping[str, pd.DataFrame]) -> dict[str, dict[str, str]]:
    """``arrests``: arrest rate overall, by visible injury and by race."""
    arrests = {}
    for name, factor, level in (("overall", "All contacts", "all contacts"),
                                ("injury", "Visible injury", "visible injury"),
                                ("no_injury", "Visible injury", "no visible injury"),
                                ("black", "Race", "Black"), ("other", "Race", "other")):
        row = one(tables["arrests_by"], factor=factor, level=level)
        arrests[name] = {"pct": share_text(row), "n": count_text(row["successes"]),
                         "of": count_text(row["n"])}
    return arrests


def violence_values(tables: Mapping[str, pd.DataFrame]) -> dict[str, str]:
    """``violence``: share of survivors describing each form of violence."""
    return {row["column"]: share_text(row) for _, row in tables["violence_forms"].iterrows()}


def strategy_values(tables: Mapping[str, pd.DataFrame]) -> dict[str, Any]:
    """``strategies``: share of survivors using each informal strategy, and the most common."""
    strategies = tables["informal_strategies"]
    values: dict[str, Any] = {row["column"]: share_text(row) for _, row in strategies.iterrows()}
    top = strategies.iloc[0]
    values["most_common"] = {"label": top["item"], "pct": share_text(top)}
    return values


def safety_values(tables: Mapping[str, pd.DataFrame]) -> dict[str, dict[str, str]]:
    """``safety``: share of contacts after which safety was worse, by each factor (exploratory)."""
    safety = {}
    for name, factor, level in (("self", "Who initiated", "survivor called"),
                                ("external", "Who initiated", "someone else called"),
                                ("poorly", "Treatment by officers", "treated poorly"),
                                ("not_poorly", "Treatment by officers", "not treated poorly"),
                                ("as_wanted", "Arrest outcome", "outcome as wanted"),
                                ("not_as_wanted", "Arrest outcome", "outcome not as wanted")):
        row = one(tables["safety_change"], factor=factor, level=level, safety_change="worse")
        safety[name] = {"worse_pct": share_text(row), "n": count_text(row["n"])}
    return safety


def model_values(models: pd.DataFrame) -> dict[str, Any]:
    """``models``: every term of every clustered model, keyed by model id."""
    values: dict[str, Any] = {}
    for _, row in models.iterrows():
        values.setdefault(row["model_id"], {})[row["term"]] = {
            "or": fmt.number(row["odds_ratio"]), "ci": fmt.interval(row["ci_low"], row["ci_high"]),
            "p": fmt.p_value(row["p_value"] if pd.notna(row["p_value"]) else None)}
    diffs = models["batched_max_abs_diff"].dropna()
    values["max_diff_batched"] = fmt.scientific(diffs.max()) if len(diffs) else "n/a"
    return values


def power_values(power: Mapping[str, Any]) -> dict[str, Any]:
    """``power``: per contrast, what an exact survivor-level comparison can detect.

    Suppressed group sizes withhold everything but the sizes; a comparison
    that cannot reach the power prints "n/a" with its ``reason``.
    """
    values: dict[str, Any] = {}
    keys = ("detectable_pct", "baseline_pct", "detectable_or", "power", "power_at_one")
    for contrast, entry in power.items():
        n = {"n1": str(entry.get("n1")), "n0": str(entry.get("n0"))}
        if is_suppressed(entry.get("n1")) or is_suppressed(entry.get("n0")):
            values[contrast] = {**n, **dict.fromkeys(keys, SUPPRESSED), "reached": SUPPRESSED,
                                "reason": "", "sentence": "its size is withheld (suppressed)"}
            continue
        top = entry.get("power_at_one")
        values[contrast] = {
            **n,
            "baseline_pct": fmt.percent(entry["baseline"]),
            "power": fmt.percent(entry["power"]),
            "power_at_one": "n/a" if top is None else fmt.percent(top),
            "reached": "yes" if entry.get("reached") else "no",
            "detectable_pct": ("n/a" if entry.get("detectable_proportion") is None
                               else fmt.percent(entry["detectable_proportion"])),
            "detectable_or": ("n/a" if entry.get("detectable_odds_ratio") is None
                              else fmt.number(entry["detectable_odds_ratio"], 1)),
            "reason": str(entry.get("reason") or ""),
        }
        v = values[contrast]
        alpha = fmt.no_leading_zero(f"{entry['alpha']:g}")
        if entry.get("reached"):
            v["sentence"] = (f"an exact Fisher test at \u03b1 = {alpha} has "
                             f"{v['power']} power only when {v['detectable_pct']} of the first "
                             f"group has the outcome against {v['baseline_pct']} of the second "
                             f"(an odds ratio of about {v['detectable_or']})")
        elif entry.get("estimable") is False and entry.get("power_at_one") is None:
            v["sentence"] = f"no power can be computed ({v['reason']})"
        else:
            v["sentence"] = (f"no difference gives an exact Fisher test at \u03b1 = "
                             f"{alpha} {v['power']} power: even when every "
                             f"survivor of the first group has the outcome against "
                             f"{v['baseline_pct']} of the second, its power is "
                             f"{v['power_at_one']}")
    return values
