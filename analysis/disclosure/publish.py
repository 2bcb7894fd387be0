"""Publishing each output of a restricted build through the build's plan.

The plan is solved once (:mod:`analysis.disclosure.plan`) and read back here
as a :class:`PublishedPlan`: the text every published cell is shown as and
whether it is suppressed. Each ``publish_*`` function replaces an output's
counts by their published text and empties every number derived from a
suppressed count (shares, intervals, odds ratios, p-values, kappas).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.disclosure.keys import (
    ALL_CONTACTS,
    SURVIVOR_N,
    contacts_key,
    group_size_key,
    rate_key,
    sample_key,
)
from analysis.disclosure.markers import SUPPRESSED, Key


@dataclass(frozen=True)
class PublishedPlan:
    """The published side of a restricted build's plan (``disclosure/plan.json``)."""

    threshold: int
    texts: dict[Key, str | int]
    hidden: frozenset
    code_keys: dict[str, Key]
    code_b_keys: dict[str, Key]
    theme_keys: dict[str, Key]
    pair_keys: dict[tuple[str, str], Key]

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> PublishedPlan:
        key = tuple
        pairs: dict[tuple[str, str], Key] = {}
        for a, b, k in document["pair_keys"]:
            pairs[(a, b)] = key(k)
        return cls(
            threshold=int(document["threshold"]),
            texts={key(k): text for k, text, _ in document["cells"]},
            hidden=frozenset(key(k) for k, _, hidden in document["cells"] if hidden),
            code_keys={c: key(k) for c, k in document["code_keys"].items()},
            code_b_keys={c: key(k) for c, k in document["code_b_keys"].items()},
            theme_keys={t: key(k) for t, k in document["theme_keys"].items()},
            pair_keys=pairs,
        )

    @classmethod
    def read(cls, path: Path) -> PublishedPlan:
        from analysis.io import read_json

        return cls.from_document(read_json(path))

    def text(self, key: Key) -> str | int:
        """The published form of a cell: its count, ``"<3"`` or ``"suppressed"``."""
        if key not in self.texts:
            raise KeyError(f"the disclosure plan publishes no cell {key!r}")
        return self.texts[key]

    def suppressed(self, *keys: Key) -> bool:
        """True if any of ``keys`` is suppressed."""
        return any(k in self.hidden for k in keys)



def _publish_rows(frame: pd.DataFrame, plan: PublishedPlan, count_key, n_key,
                  derived: Sequence[str], count: str = "successes", n: str = "n") -> pd.DataFrame:
    out = frame.copy()
    counts, sizes, hide = [], [], []
    for _, row in frame.iterrows():
        k_key, size_key = count_key(row), n_key(row)
        counts.append(plan.text(k_key))
        sizes.append(plan.text(size_key))
        hide.append(plan.suppressed(k_key, size_key))
    out[count] = pd.Series(counts, index=frame.index, dtype=object)
    out[n] = pd.Series(sizes, index=frame.index, dtype=object)
    mask = np.array(hide, dtype=bool)
    for column in derived:
        if column in out.columns:
            out[column] = out[column].astype(float).where(~mask)
    return out


SHARE_COLUMNS = ("share", "ci_low", "ci_high")


def publish_descriptives(frames: Mapping[str, pd.DataFrame], plan: PublishedPlan
                         ) -> dict[str, pd.DataFrame]:
    """The descriptive tables of :func:`analysis.steps.describe.all_descriptives`, suppressed.

    Minimum and maximum of age and of police contacts are single survivors'
    values and are left empty.
    """
    out = {}
    sample = frames["sample"].copy()
    keys = [sample_key(c, k) for c, k in zip(sample["characteristic"], sample["category"],
                                             strict=True)]
    sample["n"] = pd.Series([plan.text(k) for k in keys], index=sample.index, dtype=object)
    sample["share"] = sample["share"].astype(float).where(
        ~np.array([plan.suppressed(k) for k in keys], dtype=bool))
    for column in ("min", "max"):
        sample[column] = np.nan
    out["sample"] = sample
    out["initiation_patterns"] = _publish_rows(
        frames["initiation_patterns"], plan,
        lambda r: ("pattern", r["group"], r["pattern"]), lambda r: group_size_key(r["group"]),
        SHARE_COLUMNS)
    for name in ("practices_by", "arrests_by", "expected_vs_actual"):
        out[name] = _publish_rows(
            frames[name], plan, lambda r: rate_key(r["outcome"], r["factor"], r["level"]),
            lambda r: contacts_key(r["factor"], r["level"]), (*SHARE_COLUMNS, "gap"))
    for name, prefix in (("violence_forms", "violence"), ("informal_strategies", "strategy")):
        out[name] = _publish_rows(frames[name], plan, lambda r, p=prefix: (p, r["column"]),
                                  lambda r: SURVIVOR_N, SHARE_COLUMNS)
    out["safety_change"] = _publish_rows(
        frames["safety_change"], plan,
        lambda r: ("safety", r["factor"], r["level"], r["safety_change"]),
        lambda r: contacts_key(r["factor"], r["level"]), SHARE_COLUMNS)
    return out


def publish_survivor_tests(frame: pd.DataFrame, plan: PublishedPlan) -> pd.DataFrame:
    """Survivor-level tests: counts suppressed, and the test of a row with a suppressed cell."""
    out = frame.copy()
    derived = ("odds_ratio", "ci_low", "ci_high", "p_value", "p_holm")
    hide = []
    for column, key in (("black_yes", lambda o: ("st", o, "Black")),
                        ("black_n", lambda o: ("race", "Black")),
                        ("other_yes", lambda o: ("st", o, "other")),
                        ("other_n", lambda o: ("race_other",))):
        out[column] = pd.Series([plan.text(key(o)) for o in frame["outcome"]],
                                index=frame.index, dtype=object)
    for outcome in frame["outcome"]:
        hide.append(plan.suppressed(("st", outcome, "Black"), ("st", outcome, "other"),
                                    ("race", "Black"), ("race_other",)))
    mask = np.array(hide, dtype=bool)
    for column in derived:
        out[column] = out[column].astype(float).where(~mask)
    out["reason"] = out["reason"].where(~mask, "suppressed: a count of this comparison is small")
    return out


def publish_power(power: Mapping[str, Any], plan: PublishedPlan) -> dict[str, Any]:
    """The power statement: its group sizes, and everything computed from them if suppressed."""
    keys = {"n1": ("race", "Black"), "n0": ("race_other",)}
    if not plan.suppressed(*keys.values()):
        return dict(power)
    out: dict[str, Any] = {k: (None if k != "alpha" else v) for k, v in power.items()}
    for name, key in keys.items():
        out[name] = plan.text(key)
    return out


def claim_cells(entry: Mapping[str, Any]) -> list[Key]:
    """The published cells behind a claim's estimate (none for model-based claims)."""
    statistic = entry["statistic"]
    if statistic == "majority_share":
        return [("violence", entry["column"])]
    if statistic == "universal_share":
        return [("strategy_any",)]
    if statistic == "arrest_inconsistency":
        return [rate_key("arrest", ALL_CONTACTS, "all contacts")]
    if statistic == "risk_difference":
        return [rate_key(entry["outcome"], "Race", lv) for lv in ("Black", "other")] + [
            contacts_key("Race", lv) for lv in ("Black", "other")]
    return []


WITHHELD = "counts withheld: restricted data"


def publish_claims(results: Sequence[Mapping[str, Any]], registry: Sequence[Mapping[str, Any]],
                   plan: PublishedPlan) -> list[dict[str, Any]]:
    """Claims with the estimate of any claim resting on a suppressed cell suppressed.

    The verdict stays (it is a comparison with a fixed value, not a count), and
    the counts in the reasons of descriptive claims are withheld.
    """
    entries = {e["id"]: e for e in registry}
    out = []
    for result in results:
        entry = entries[result["id"]]
        claim = dict(result)
        if entry["statistic"] != "gee_odds_ratio":
            verdict = "holds" if claim["reproduced"] else "does not hold"
            claim["reason"] = f"{entry['rule']}: {verdict} ({WITHHELD})"
        if plan.suppressed(*claim_cells(entry)):
            for key in ("estimate", "ci_low", "ci_high", "p_value", "p_value_holm"):
                claim[key] = None
            claim["significant"] = None
            claim["suppressed"] = True
        out.append(claim)
    return out


#: Per-code agreement columns that are counts with no cell in the plan: not published.
UNPLANNED_AGREEMENT_COLUMNS = ("a_only", "b_only")
#: Per-code kappa interval columns: suppressed with the kappa.
KAPPA_INTERVAL_COLUMNS = ("kappa_se", "kappa_low", "kappa_high")
#: Agreement summaries that are counts (or shares of counts) with no cell in the plan.
UNPLANNED_AGREEMENT_SUMMARY = ("confusable_disagreements", "confusable_share",
                               "confusable_share_uniform", "by_style")


def publish_qualitative(themes: pd.DataFrame, cooccurrence: pd.DataFrame,
                        per_code: pd.DataFrame, overall: Mapping[str, Any], plan: PublishedPlan
                        ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Themes, co-occurrence and agreement, suppressed (no survivor-level rows).

    The summaries of per-code kappas in ``overall`` (median, minimum, maximum,
    the codes with the narrowest and widest interval) are recomputed over the
    published kappas only. Counts that have no cell in the plan are not
    published: the per-code counts of cases coded by one coder only, and the
    count and shares of disagreements on confusable pairs.
    """
    themes = themes.copy()
    keys = [plan.theme_keys[t] if level == "theme" else plan.code_keys[c]
            for level, t, c in zip(themes["level"], themes["theme"], themes["code"], strict=True)]
    themes["cases"] = pd.Series([plan.text(k) for k in keys], index=themes.index, dtype=object)
    themes["share"] = themes["share"].astype(float).where(
        ~np.array([plan.suppressed(k) for k in keys], dtype=bool))

    co = cooccurrence.copy().astype(object)
    for ci in co.index:
        for cj in co.columns:
            key = plan.code_keys[ci] if ci == cj else plan.pair_keys[(ci, cj)]
            co.loc[ci, cj] = plan.text(key)

    agreement = per_code.copy()
    hide = []
    for column, keys_of in (("cases_a", plan.code_keys), ("cases_b", plan.code_b_keys)):
        agreement[column] = pd.Series([plan.text(keys_of[c]) for c in per_code["code"]],
                                      index=per_code.index, dtype=object)
    for code in per_code["code"]:
        hide.append(plan.suppressed(plan.code_keys[code], plan.code_b_keys[code]))
    mask = np.array(hide, dtype=bool)
    agreement = agreement.drop(columns=[c for c in UNPLANNED_AGREEMENT_COLUMNS
                                        if c in agreement.columns])
    for column in ("agreement", "kappa", *KAPPA_INTERVAL_COLUMNS):
        if column in agreement.columns:
            agreement[column] = agreement[column].astype(float).where(~mask)
    agreement["band"] = agreement["band"].where(~mask, SUPPRESSED)
    agreement["reason"] = agreement["reason"].where(
        ~mask, "suppressed: a count of this code is small")
    kappas = agreement["kappa"].dropna()
    summary = {k: v for k, v in overall.items() if k not in UNPLANNED_AGREEMENT_SUMMARY}
    for key, value in (("median_kappa", kappas.median()), ("min_kappa", kappas.min()),
                       ("max_kappa", kappas.max())):
        summary[key] = float(value) if len(kappas) else None
    if "kappa_low" in agreement.columns:
        shown = agreement.dropna(subset=["kappa_low", "kappa_high"])
        width = shown["kappa_high"] - shown["kappa_low"]
        summary["narrowest_interval_code"] = (str(shown.loc[width.idxmin(), "code"])
                                              if len(shown) else None)
        summary["widest_interval_code"] = (str(shown.loc[width.idxmax(), "code"])
                                           if len(shown) else None)
        published = agreement["kappa"].notna()
        summary["codes_kappa_suppressed"] = int(mask.sum())
        summary["codes_interval_undefined"] = int((published & agreement["kappa_low"].isna())
                                                  .sum())
        summary["codes_kappa_undefined"] = int((~mask & per_code["kappa"].isna()).sum())
    return themes, co, agreement, summary
