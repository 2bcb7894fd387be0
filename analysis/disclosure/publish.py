"""Publishing each output of a restricted build through the build's plan.

The plan is solved once (:mod:`analysis.disclosure.plan`) and read back here
as a :class:`PublishedPlan`: the text every published cell is shown as and
whether it is suppressed. Each ``publish_*`` function replaces an output's
counts by their published text and empties every number derived from a
suppressed count (shares, intervals, odds ratios, p-values, kappas).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.disclosure.keys import (
    ALL_CODES,
    PREDICTOR_CELLS,
    SURVIVOR_N,
    contrast_group_keys,
    denominator_key,
    group_size_key,
    rate_key,
    sample_key,
)
from analysis.disclosure.markers import SUPPRESSED, Key, is_suppressed


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
    #: Per code (and all codes pooled): the cells of the two coders' 2x2 table.
    agreement_keys: dict[str, dict[str, Key]] = field(default_factory=dict)
    #: Per claim: whether each level's verdict and direction (and the claim's) are published.
    claim_outcomes: dict[str, dict[str, bool]] = field(default_factory=dict)
    #: Per clustered model: the published cells its estimates rest on.
    model_keys: dict[str, list[Key]] = field(default_factory=dict)

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
            agreement_keys={c: {kind: key(k) for kind, k in keys.items()}
                            for c, keys in document.get("agreement_keys", {}).items()},
            claim_outcomes=dict(document.get("claim_outcomes", {})),
            model_keys={m: [key(k) for k in keys]
                        for m, keys in document.get("model_keys", {}).items()},
        )

    @classmethod
    def read(cls, path: Path) -> PublishedPlan:
        from analysis.io import read_json

        return cls.from_document(read_json(path))

    def text(self, key: Key) -> str | int:
        """The published form of a cell: its count, or ``"suppressed"`` where it is withheld."""
        if key not in self.texts:
            raise KeyError(f"the disclosure plan publishes no cell {key!r}")
        return self.texts[key]

    def suppressed(self, *keys: Key) -> bool:
        """True if any of ``keys`` is suppressed."""
        return any(k in self.hidden for k in keys)

    def outcome_published(self, claim: str, name: str) -> bool:
        """Whether the verdict and direction of a claim's level (or of the claim, ``"claim"``)
        are published; not when the plan does not say."""
        return bool(self.claim_outcomes.get(claim, {}).get(name, False))



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
#: Decimals of the means and SDs of the sample table (those the manuscript prints).
SUMMARY_DIGITS = 1
#: Decimals of published estimates and intervals, and of p-values (those the manuscript prints):
#: a model's numbers are functions of survivors' rows, which no cell of the plan covers, so
#: restricted builds publish them no finer than the paper prints them.
ESTIMATE_DIGITS = 2
P_DIGITS = 3


def printed(value: Any, name: str = "") -> Any:
    """A statistic at printed precision (p-values to :data:`P_DIGITS`, else
    :data:`ESTIMATE_DIGITS` decimals); lists and dicts element by element, the rest as is."""
    if isinstance(value, dict):
        return {k: printed(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [printed(v, name) for v in value]
    if isinstance(value, float) and np.isfinite(value):
        return round(value, P_DIGITS if name.startswith("p_") or name == "p" else ESTIMATE_DIGITS)
    return value


def _printed_columns(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    out = frame.copy()
    for column in columns:
        if column in out.columns:
            digits = P_DIGITS if column.startswith("p_") else ESTIMATE_DIGITS
            out[column] = out[column].astype(float).round(digits)
    return out


def _fixed_order_of_withheld(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """A table sorted by its counts, with the withheld rows last, in the order of ``name``.

    A row's place in a table sorted by prevalence tells its rank, and so
    bounds a withheld count by its neighbours (between 23 and 22 is 22 or
    23): withheld rows keep no place of their own.
    """
    hidden = frame["successes"].map(is_suppressed).to_numpy(dtype=bool)
    withheld = frame[hidden].sort_values(name, kind="mergesort")
    return pd.concat([frame[~hidden], withheld])


def publish_descriptives(frames: Mapping[str, pd.DataFrame], plan: PublishedPlan
                         ) -> dict[str, pd.DataFrame]:
    """The descriptive tables of :func:`analysis.steps.describe.all_descriptives`, suppressed.

    Minimum and maximum of age and of police contacts are single survivors'
    values and are left empty; means and SDs are rounded to
    :data:`SUMMARY_DIGITS` decimals.
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
    # At full precision the mean and SD of a few whole numbers (a sum and a sum of squares)
    # pin down the extremes the table withholds: only what the paper prints is published.
    for column in ("mean", "sd"):
        sample[column] = sample[column].astype(float).round(SUMMARY_DIGITS)
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
        out[name] = _fixed_order_of_withheld(
            _publish_rows(frames[name], plan, lambda r, p=prefix: (p, r["column"]),
                          lambda r: SURVIVOR_N, SHARE_COLUMNS), "column")
    out["safety_change"] = _publish_rows(
        frames["safety_change"], plan,
        lambda r: ("safety", r["factor"], r["level"], r["safety_change"]),
        lambda r: denominator_key(r["factor"], r["level"]), SHARE_COLUMNS)
    return out


#: What a withheld claim level keeps besides its counts: what it is and its verdict.
LEVEL_KEPT = ("kind", "method", "estimable", "verdict", "observed_direction")
WITHHELD = "counts withheld: restricted data"
SMALL_COUNT = "suppressed: a count this comparison rests on is withheld"
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
    decided = np.array([plan.outcome_published(c, "survivor") for c in frame["claim"]],
                       dtype=bool)
    out["estimable"] = out["estimable"].astype(object).where(~mask | decided, None)
    family = pd.Series(mask, index=frame.index).groupby(frame["contrast"]).transform("any")
    out["p_holm"] = out["p_holm"].astype(float).where(~family.to_numpy(dtype=bool))
    out["reason"] = out["reason"].where(~mask, SMALL_COUNT)
    return _printed_columns(out, (*TEST_COLUMNS, "p_holm"))


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


#: Columns of the model table that say what a row is, not what the data gave.
MODEL_IDENTITY = ("model", "model_id", "outcome", "term", "n_contacts", "n_survivors", "method")
#: Columns of the model table that are model estimates (published at printed precision).
MODEL_NUMBERS = ("odds_ratio", "ci_low", "ci_high", "p_value", "log_odds", "se", "rho")
WITHHELD_MODEL = "suppressed: a count of its outcome by one of its terms is withheld"


def model_withheld(plan: PublishedPlan, model: str) -> bool:
    """True when a cell a clustered model rests on is withheld (or the plan names none)."""
    if model not in plan.model_keys:
        return True
    return plan.suppressed(*plan.model_keys[model])


def publish_models(models: pd.DataFrame, plan: PublishedPlan) -> pd.DataFrame:
    """The model table: a model resting on a withheld count withheld, the rest at printed precision.

    The cross-check against statsmodels (a difference of order 1e-8) is a
    diagnostic of the fit on survivors' rows and is not published.
    """
    mask = np.array([model_withheld(plan, m) for m in models["model_id"]], dtype=bool)
    out = _withhold_derived(models, mask, MODEL_IDENTITY, WITHHELD_MODEL)
    out = _printed_columns(out, MODEL_NUMBERS)
    if "statsmodels_max_abs_diff" in out.columns:
        out["statsmodels_max_abs_diff"] = np.nan
    return out


def publish_fits(fits: Mapping[str, Mapping[str, Any]], plan: PublishedPlan
                 ) -> dict[str, dict[str, Any]]:
    """The fitted models: withheld as in :func:`publish_models`, the rest at printed precision.

    The mean of a 0/1 predictor over contacts is a count of contacts (those
    where it is 1) over all contacts; it is withheld (``None``, and named in
    ``withheld_means``) when the plan suppresses that count. Coefficients and
    their covariance keep :data:`FIT_DIGITS` significant digits.
    """
    out = {}
    for model, entry in fits.items():
        means = dict(entry["means"])
        withheld = [p for p in means if p in PREDICTOR_CELLS
                    and PREDICTOR_CELLS[p] in plan.texts and plan.suppressed(PREDICTOR_CELLS[p])]
        for p in withheld:
            means[p] = None
        reach = {p: min(v, _published_reach(plan, p, v)) for p, v in entry.get("reach", {}).items()}
        published = {**entry, "means": means, "withheld_means": withheld, "reach": reach}
        if model_withheld(plan, model):
            published.update(params=None, cov=None, df=None, estimable=None,
                             reason=WITHHELD_MODEL)
        else:
            published.update({k: _fit_precision(entry[k]) for k in ("params", "cov")
                               if k in entry})
        out[model] = published
    return out


#: The describe factor whose levels count the contacts at each value of a count predictor.
REACH_FACTORS = {"prior_calls": "Earlier calls"}


def _published_reach(plan: PublishedPlan, predictor: str, reach: int) -> int:
    """How far a count predictor's range may be drawn, on published counts alone.

    The largest value k for which the published (shown) contacts of the
    factor's levels at or above k (a level "4+" counts from 4) are at least
    the threshold: drawing further would say that fewer than the threshold
    of contacts lie beyond, a small count the tables do not publish.
    """
    factor = REACH_FACTORS.get(predictor)
    levels = {int(str(k[2]).rstrip("+")): plan.texts[k] for k in plan.texts
              if isinstance(k, tuple) and k[:2] == ("contacts", factor)} if factor else {}
    allowed = 0
    for k in sorted(levels):
        # A withheld level counts at least 0 contacts: only shown ones vouch for k.
        shown = sum(v for lv, v in levels.items() if lv >= k and isinstance(v, int))
        if shown >= plan.threshold:
            allowed = k
    return allowed if levels else reach


#: Significant digits of published coefficients and covariances (drawing needs no more).
FIT_DIGITS = 3


def _fit_precision(value: Any) -> Any:
    if isinstance(value, list):
        return [_fit_precision(v) for v in value]
    return float(f"{value:.{FIT_DIGITS}g}") if isinstance(value, float) else value


def _withhold_level(level: dict[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: (v if k in LEVEL_KEPT or k in fields else None) for k, v in level.items()}
    out["reason"] = SMALL_COUNT
    return out


#: What a claim keeps of its verdict when it is withheld.
OUTCOME_FIELDS = ("verdict", "observed_direction")


def publish_claims(results: Sequence[Mapping[str, Any]], registry: Sequence[Mapping[str, Any]],
                   plan: PublishedPlan) -> list[dict[str, Any]]:
    """Claims with their counts as published, and each level resting on a withheld cell withheld.

    Per level (contact, survivor): every count field is shown as the plan
    publishes it (its count or ``"suppressed"``); when a cell the level's
    estimate rests on is withheld, the estimate, interval, p-value and every
    other number of the level are withheld (``suppressed: true``), and so are
    its verdict and direction unless the plan found them the same for every
    table its audit leaves possible (:func:`analysis.disclosure.plan.claim_outcomes`).
    The claim's own estimate is its primary level's, and its verdict,
    direction and whether it is reproduced follow the same rule; Holm-adjusted
    p-values are withheld for the whole family when any member's p-value is.
    The counts quoted in the reasons of descriptive claims are withheld.
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
            if withheld:
                level = _withhold_level(level, keys["fields"])
                if not plan.outcome_published(claim["id"], name):
                    level.update({f: SUPPRESSED for f in OUTCOME_FIELDS if f in level})
                    # Whether a level is estimable depends on its counts too (a group of 0).
                    level["estimable"] = None
            levels[name] = {**printed(level), "suppressed": withheld}
        claim["levels"] = levels
        primary_withheld = levels[claim["primary_level"]]["suppressed"]
        outcome = plan.outcome_published(claim["id"], "claim")
        if not outcome:
            claim.update(verdict=SUPPRESSED, observed_direction=SUPPRESSED, reproduced=None,
                         reading_consistent=None)
        if entry["statistic"] != "association" or primary_withheld or not outcome:
            claim["reason"] = f"{entry['rule']}: {claim['verdict']} ({WITHHELD})"
        if primary_withheld:
            for key in ("estimate", "ci_low", "ci_high", "p_value", "p_value_holm"):
                claim[key] = None
            claim["significant"] = None
        claim["suppressed"] = primary_withheld
        out.append({**claim, **{k: printed(claim[k], k) for k in ("estimate", "ci_low", "ci_high",
                                                                    "p_value", "p_value_holm")}})
    families: dict[str, list[dict[str, Any]]] = {}
    for claim in out:
        if claim.get("family"):
            families.setdefault(claim["family"], []).append(claim)
    for members in families.values():
        if any(c["suppressed"] for c in members):
            for claim in members:
                claim["p_value_holm"] = None
    return out


#: The unit of the agreement a restricted build publishes: survivor x code, whose
#: per-code 2x2 tables are cells of the plan (counts of excerpts are not).
AGREEMENT_UNIT = "survivor x code"
#: The agreement summary's fields that are the study's design or configuration, not data.
AGREEMENT_DESIGN = ("unit", "cases", "codes", "decisions", "interval_level", "bootstrap_unit",
                    "bootstrap_reps", "bootstrap_seed")
#: The agreement summary's fields that are functions of the pooled 2x2 table of all codes.
AGREEMENT_POOLED = ("percent_agreement", "pooled_agreement", "disagreements",
                    "krippendorff_alpha")
#: The summary's fields that are functions of every code's table (de Vries et al.'s pooling
#: averages each code's chance agreement): published when no count of any table is withheld.
AGREEMENT_ALL_TABLES = ("pooled_kappa", "pooled_band", "pooled_ac1")
#: Per-code agreement columns that are counts: the cell of the code's table each one shows
#: (None: the survivors one coder gave the code, a cell of its own).
AGREEMENT_COUNTS = {"both": "both", "a_only": "a_only", "b_only": "b_only",
                    "neither": "neither", "cases_a": None, "cases_b": None}
WITHHELD_AGREEMENT = "withheld: a count of this code's coding is withheld (restricted data)"


def _withhold_derived(frame: pd.DataFrame, mask: np.ndarray, keep: Sequence[str],
                      reason: str) -> pd.DataFrame:
    """Empty every column but ``keep`` in the ``mask`` rows: numbers become NaN, words the marker.

    Which columns a statistic adds does not matter: all of a withheld row's
    columns are withheld except those named, so a new statistic is covered
    as soon as it is written.
    """
    out = frame.copy()
    for column in out.columns:
        if column in keep:
            continue
        if pd.api.types.is_numeric_dtype(out[column]) and out[column].dtype != bool:
            out[column] = out[column].astype(float).where(~mask)
        else:
            text = reason if column == "reason" else SUPPRESSED
            out[column] = out[column].astype(object).where(~mask, text)
    return out


def publish_qualitative(themes: pd.DataFrame, cooccurrence: pd.DataFrame,
                        per_code: pd.DataFrame, overall: Mapping[str, Any], plan: PublishedPlan
                        ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Themes, co-occurrence and agreement, suppressed (no survivor-level rows).

    Agreement must be over survivor x code decisions
    (:func:`analysis.steps.qualitative.case_agreement`): every per-code
    statistic is then a function of the two coders' 2x2 table of that code
    over survivors, and reveals it; the plan holds those tables' counts, and
    the pooled table's, as cells (:func:`analysis.disclosure.plan.study_cells`).
    Agreement over excerpts is refused: its counts of excerpts have no cell
    in the plan, and an excerpt-level coefficient bounds survivor-level
    counts (a code on which the coders never differed on any excerpt has no
    survivor coded by one of them only).

    A per-code row publishes its counts as the plan shows them and every
    other column only when no count of its table is withheld, whatever the
    columns are. The summary publishes its design fields
    (:data:`AGREEMENT_DESIGN`), the statistics of the pooled table
    (:data:`AGREEMENT_POOLED`) when no pooled count is withheld, the pooled
    kappa and AC1 (:data:`AGREEMENT_ALL_TABLES`) when no count of any table
    is, the pooled table's counts as the plan shows them, the summaries of
    per-code kappas and AC1s recomputed over the published ones, and nothing
    else: the pooled intervals resample survivors with all their codes, so
    they depend on which codes each survivor holds, which no table of the
    plan covers; they are withheld (None), as is every field not named here.
    """
    if overall.get("unit") != AGREEMENT_UNIT:
        raise ValueError(f"agreement over {overall.get('unit')!r} cannot be published from "
                         f"restricted data; allowed: {AGREEMENT_UNIT!r} (the suppression plan's "
                         "cells are survivors, not excerpts)")
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

    def count_key(code: str, column: str) -> Key:
        kind = AGREEMENT_COUNTS[column]
        if kind is not None:
            return plan.agreement_keys[code][kind]
        return (plan.code_keys if column == "cases_a" else plan.code_b_keys)[code]

    mask = np.array([plan.suppressed(*plan.agreement_keys[c].values())
                     for c in per_code["code"]], dtype=bool)
    counts = [c for c in AGREEMENT_COUNTS if c in per_code.columns]
    agreement = _withhold_derived(per_code, mask, ["code", *counts], WITHHELD_AGREEMENT)
    for column in counts:
        agreement[column] = pd.Series([plan.text(count_key(c, column)) for c in per_code["code"]],
                                      index=per_code.index, dtype=object)

    pooled_keys = plan.agreement_keys[ALL_CODES]
    pooled_shown = not plan.suppressed(*pooled_keys.values())
    summary: dict[str, Any] = {k: v for k, v in overall.items() if k in AGREEMENT_DESIGN}
    summary.update({k: (overall[k] if pooled_shown else None)
                    for k in AGREEMENT_POOLED if k in overall})
    summary.update({k: (overall[k] if pooled_shown and not mask.any() else None)
                    for k in AGREEMENT_ALL_TABLES if k in overall})
    summary["pooled_counts"] = {kind: plan.text(key) for kind, key in pooled_keys.items()}
    for stat in ("kappa", "ac1"):
        values = agreement[stat].dropna() if stat in agreement.columns else agreement.iloc[0:0]
        for key, value in ((f"median_{stat}", values.median()), (f"min_{stat}", values.min()),
                           (f"max_{stat}", values.max())):
            summary[key] = float(value) if len(values) else None
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
    return themes, co, agreement, dict(sorted(summary.items()))
