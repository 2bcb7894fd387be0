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
    PREDICTOR_CELLS,
    SURVIVOR_N,
    contrast_group_keys,
    denominator_key,
    group_size_key,
    rate_key,
    sample_key,
)
from analysis.disclosure.markers import SUPPRESSED, Key


def _key(value: Any) -> Key:
    """A key read back from JSON: lists become tuples, also inside."""
    return tuple(_key(v) for v in value) if isinstance(value, list) else value


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
    #: Per claim and level: the cell of each count field, and the cells its estimate rests on.
    claim_keys: dict[str, dict[str, dict[str, Any]]]

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> PublishedPlan:
        key = _key
        pairs: dict[tuple[str, str], Key] = {}
        for a, b, k in document["pair_keys"]:
            pairs[(a, b)] = key(k)
        claims = {cid: {level: {"fields": {f: key(k) for f, k in keys["fields"].items()},
                                "cells": [key(k) for k in keys["cells"]]}
                        for level, keys in levels.items()}
                  for cid, levels in document.get("claim_keys", {}).items()}
        return cls(
            threshold=int(document["threshold"]),
            texts={key(k): text for k, text, _ in document["cells"]},
            hidden=frozenset(key(k) for k, _, hidden in document["cells"] if hidden),
            code_keys={c: key(k) for c, k in document["code_keys"].items()},
            code_b_keys={c: key(k) for c, k in document["code_b_keys"].items()},
            theme_keys={t: key(k) for t, k in document["theme_keys"].items()},
            pair_keys=pairs,
            claim_keys=claims,
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
        # A practice that applies at some contacts only (checking on children) is a share
        # of those contacts: its own denominator cell.
        out[name] = _publish_rows(
            frames[name], plan, lambda r: rate_key(r["outcome"], r["factor"], r["level"]),
            lambda r: denominator_key(r["factor"], r["level"], r["applies_to"]),
            SHARE_COLUMNS)
    for name, prefix in (("violence_forms", "violence"), ("informal_strategies", "strategy")):
        out[name] = _publish_rows(frames[name], plan, lambda r, p=prefix: (p, r["column"]),
                                  lambda r: SURVIVOR_N, SHARE_COLUMNS)
    out["safety_change"] = _publish_rows(
        frames["safety_change"], plan,
        lambda r: ("safety", r["factor"], r["level"], r["safety_change"]),
        lambda r: denominator_key(r["factor"], r["level"]), SHARE_COLUMNS)
    return out


#: What a withheld claim level keeps besides its counts: what it is and its verdict.
LEVEL_KEPT = ("kind", "method", "estimable", "verdict", "observed_direction")
WITHHELD = "counts withheld: restricted data"
SMALL_COUNT = "suppressed: a count of this comparison is small"
TEST_COLUMNS = ("difference", "ci_low", "ci_high", "p_value")


def claim_cells(plan: PublishedPlan, claim: str, level: str) -> dict[str, Any]:
    """The published cells of one level of a claim: ``fields`` (count field -> cell), ``cells``.

    ``cells`` are those its estimate, interval and p-value rest on (none for a
    model-based estimate); the plan names them (:func:`analysis.disclosure.plan.study_cells`).
    """
    try:
        return plan.claim_keys[claim][level]
    except KeyError:
        raise KeyError(f"the disclosure plan has no cells for level '{level}' of claim "
                       f"{claim}") from None


def _level_withheld(plan: PublishedPlan, claim: str, level: str) -> bool:
    return plan.suppressed(*claim_cells(plan, claim, level)["cells"])


def publish_survivor_tests(frame: pd.DataFrame, plan: PublishedPlan) -> pd.DataFrame:
    """Survivor-level tests: counts as published, and the test of a row with a suppressed cell.

    A row is the survivor level of a race claim (its cells are that level's).
    Holm's adjustment runs over the rows of a contrast, so the adjusted
    p-values of a contrast are withheld when any of its rows is.
    """
    out = frame.copy()
    hide = []
    columns: dict[str, list] = {}
    for _, row in frame.iterrows():
        keys = claim_cells(plan, row["claim"], "survivor")
        for column, key in keys["fields"].items():
            columns.setdefault(column, []).append(plan.text(key))
        hide.append(plan.suppressed(*keys["cells"]))
    for column, texts in columns.items():
        out[column] = pd.Series(texts, index=frame.index, dtype=object)
    mask = np.array(hide, dtype=bool)
    for column in TEST_COLUMNS:
        out[column] = out[column].astype(float).where(~mask)
    family = pd.Series(mask, index=frame.index).groupby(frame["contrast"]).transform("any")
    out["p_holm"] = out["p_holm"].astype(float).where(~family.to_numpy(dtype=bool))
    out["reason"] = out["reason"].where(~mask, SMALL_COUNT)
    return out


def publish_power(power: Mapping[str, Any], plan: PublishedPlan) -> dict[str, Any]:
    """The power statement per contrast: its group sizes, the rest withheld if one is suppressed."""
    out: dict[str, Any] = {}
    for contrast, entry in power.items():
        keys = dict(zip(("n1", "n0"), contrast_group_keys(contrast), strict=True))
        if not plan.suppressed(*keys.values()):
            out[contrast] = {**entry, **{name: plan.text(k) for name, k in keys.items()}}
            continue
        withheld = {k: (v if k in ("alpha", "method") else None) for k, v in entry.items()}
        withheld.update({name: plan.text(k) for name, k in keys.items()},
                        reason="suppressed: a group of this contrast is small")
        out[contrast] = withheld
    return out


def publish_fits(fits: Mapping[str, Mapping[str, Any]], plan: PublishedPlan
                 ) -> dict[str, dict[str, Any]]:
    """The fitted models: the mean of a 0/1 predictor withheld when its contact count is suppressed.

    The mean of a 0/1 predictor over contacts is a count of contacts (those
    where it is 1) over all contacts; it is withheld (``None``, and named in
    ``withheld_means``) when the plan suppresses that count.
    """
    out = {}
    for model, entry in fits.items():
        means = dict(entry["means"])
        withheld = [p for p in means if p in PREDICTOR_CELLS
                    and PREDICTOR_CELLS[p] in plan.texts and plan.suppressed(PREDICTOR_CELLS[p])]
        for p in withheld:
            means[p] = None
        out[model] = {**entry, "means": means, "withheld_means": withheld}
    return out


def _withhold_level(level: dict[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: (v if k in LEVEL_KEPT or k in fields else None) for k, v in level.items()}
    out["reason"] = SMALL_COUNT
    return out


def publish_claims(results: Sequence[Mapping[str, Any]], registry: Sequence[Mapping[str, Any]],
                   plan: PublishedPlan) -> list[dict[str, Any]]:
    """Claims with their counts as published, and each level resting on a suppressed cell withheld.

    Per level (contact, survivor): every count field is shown as the plan
    publishes it (its count, ``"<3"`` or ``"suppressed"``); when a cell the
    level's estimate rests on is suppressed, the estimate, interval, p-value
    and every other number of the level are withheld (``suppressed: true``).
    The claim's own estimate is its primary level's; Holm-adjusted p-values
    are withheld for the whole family when any member's p-value is. The
    verdict stays (a comparison with a fixed value, not a count); the counts
    quoted in the reasons of descriptive claims are withheld.
    """
    entries = {e["id"]: e for e in registry}
    out = []
    for result in results:
        entry = entries[result["id"]]
        claim = dict(result)
        levels = {}
        for name, level in result["levels"].items():
            keys = claim_cells(plan, claim["id"], name)
            level = {**level, **{f: plan.text(k) for f, k in keys["fields"].items()
                                 if f in level}}
            withheld = _level_withheld(plan, claim["id"], name)
            levels[name] = {**(_withhold_level(level, keys["fields"]) if withheld else level),
                            "suppressed": withheld}
        claim["levels"] = levels
        primary_withheld = levels[claim["primary_level"]]["suppressed"]
        if entry["statistic"] != "association" or primary_withheld:
            claim["reason"] = f"{entry['rule']}: {claim['verdict']} ({WITHHELD})"
        if primary_withheld:
            for key in ("estimate", "ci_low", "ci_high", "p_value", "p_value_holm"):
                claim[key] = None
            claim["significant"] = None
        claim["suppressed"] = primary_withheld
        out.append(claim)
    families: dict[str, list[dict[str, Any]]] = {}
    for claim in out:
        if claim.get("family"):
            families.setdefault(claim["family"], []).append(claim)
    for members in families.values():
        if any(c["suppressed"] for c in members):
            for claim in members:
                claim["p_value_holm"] = None
    return out


#: Per-code agreement columns that are counts with no cell in the plan: not published.
#: (Excerpt counts per code: the plan keys survivors, not excerpts.)
UNPLANNED_AGREEMENT_COLUMNS = ("excerpts", "excerpts_a", "excerpts_b", "both", "a_only",
                               "b_only", "neither")
#: Per-code coefficient columns computed from those counts: suppressed with the code's
#: survivor counts.
KAPPA_INTERVAL_COLUMNS = ("kappa_low", "kappa_high", "ac1", "ac1_low", "ac1_high")
#: Agreement summaries that are counts (or shares of counts) with no cell in the plan.
UNPLANNED_AGREEMENT_SUMMARY = ("confusable_disagreements", "confusable_share",
                               "confusable_share_uniform", "by_style", "case_code_decisions",
                               "case_code_disagreements", "case_code_disagreement_share")


def publish_qualitative(themes: pd.DataFrame, cooccurrence: pd.DataFrame,
                        per_code: pd.DataFrame, overall: Mapping[str, Any], plan: PublishedPlan
                        ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Themes, co-occurrence and agreement, suppressed (no survivor-level rows).

    The summaries of per-code kappas in ``overall`` (median, minimum, maximum,
    the codes with the narrowest and widest interval) are recomputed over the
    published kappas only. Counts that have no cell in the plan are not
    published: the per-code counts of excerpts (the plan keys survivors), and
    the generator check and the disagreements on confusable pairs.
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
    if "ac1" in agreement.columns:
        ac1 = agreement["ac1"].dropna()
        for key, value in (("median_ac1", ac1.median()), ("min_ac1", ac1.min()),
                           ("max_ac1", ac1.max())):
            summary[key] = float(value) if len(ac1) else None
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
