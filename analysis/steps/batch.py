"""The claims registry evaluated on a whole batch of studies at once.

:func:`evaluate_batch` computes, for every study of a
:class:`~analysis.study.batch.StudyBatch`, what
:func:`analysis.steps.claims.evaluate_claims` computes for one study, with
the batched estimators of :mod:`analysis.stats.batched`, and returns one
table: a row per study, claim and method. Methods are the ways a claim can be
estimated: the clustered model under each covariance
(``gee_sandwich``, ``gee_scaled``, ``gee_mancl_derouen``) and the
survivor-level sign test for within-survivor associations; the cluster-robust
risk difference and the survivor-level comparison (Newcombe interval, Fisher
test) for race contrasts; the claim's own rule for shares and patterns. The
row of the claim's primary method carries ``role == "primary"`` and its
verdict is the claim's verdict.

Estimates are on the analysis scale (``theta``): the log odds ratio of a
clustered model, a share, or a risk difference; ``null`` is the value of no
effect on that scale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.stats import batched
from analysis.stats.gee import COVARIANCES
from analysis.stats.models import MODELS
from analysis.steps.claims import VERDICTS, gee_method, primary_method
from analysis.study.arrays import summarise
from analysis.study.batch import StudyBatch
from analysis.study.vocabulary import RACE_CATEGORIES, REFERENCE_RACE

#: Columns of the table :func:`evaluate_batch` returns.
COLUMNS = ("study", "claim", "method", "role", "level", "theta", "theta_low", "theta_high", "se",
           "p_value", "estimable", "verdict")
REPRODUCED, INCONCLUSIVE, NOT_REPRODUCED = range(3)


def verdict_codes(direction: str, theta: np.ndarray, low: np.ndarray, high: np.ndarray,
                  null: float, estimable: np.ndarray) -> np.ndarray:
    """:func:`analysis.steps.claims.verdict` for many studies, as codes into ``VERDICTS``."""
    ok = estimable & np.isfinite(theta) & np.isfinite(low) & np.isfinite(high)
    if direction == "two-sided":
        clears = (low > null) | (high < null)
        points = theta != null
    else:
        sign = 1.0 if direction == "positive" else -1.0
        points = sign * (theta - null) > 0
        clears = (low > null) if sign > 0 else (high < null)
    code = np.where(points & clears, REPRODUCED, np.where(points, INCONCLUSIVE, NOT_REPRODUCED))
    return np.where(ok, code, NOT_REPRODUCED)


def share_codes(theta: np.ndarray, low: np.ndarray, threshold: float) -> np.ndarray:
    """:func:`analysis.steps.claims.share_verdict` for many studies."""
    return np.where(low > threshold, REPRODUCED,
                    np.where(theta > threshold, INCONCLUSIVE, NOT_REPRODUCED))


class _Batch:
    """Survivor- and study-level sums of a batch, computed once."""

    def __init__(self, batch: StudyBatch) -> None:
        self.b = batch
        self.S = batch.B * batch.n
        self.survivor_study = batch.survivor_study
        race = np.array(RACE_CATEGORIES)[batch.race]
        self.groups = {"colour_vs_white": (race != REFERENCE_RACE, race == REFERENCE_RACE),
                       "black_vs_others": (race == "Black", race != "Black")}
        self.black = (race == "Black").astype(float)

    def per_survivor(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.b.cluster, weights=values, minlength=self.S)

    def per_study(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.survivor_study, weights=values.astype(float),
                           minlength=self.b.B)

    def outcome(self, name: str) -> np.ndarray:
        b = self.b
        return {"any_practice": b.any_practice, "arrest": b.arrest,
                "self_initiated": b.self_initiated, "treated_poorly": b.treated_poorly,
                "outcome_as_wanted": b.outcome_as_wanted}[name]

    def predictor(self, name: str) -> np.ndarray:
        b = self.b
        return {"external_initiation": 1.0 - b.self_initiated,
                "visible_injury": b.visible_injury, "prior_calls": b.prior_calls,
                "black": self.black[b.cluster], "treated_poorly": b.treated_poorly,
                "children_in_home": b.children.astype(float)[b.cluster]}[name]


def _rows(study: np.ndarray, claim: str, method: str, role: str, level: str,
          values: Mapping[str, np.ndarray], verdict: np.ndarray) -> dict[str, Any]:
    return {"study": study, "claim": claim, "method": method, "role": role, "level": level,
            "theta": values["theta"], "theta_low": values["low"], "theta_high": values["high"],
            "se": values.get("se", np.full(study.size, np.nan)),
            "p_value": values.get("p", np.full(study.size, np.nan)),
            "estimable": values["estimable"], "verdict": verdict}


def _share(k: np.ndarray, n: np.ndarray, alpha: float, exact: bool = False) -> dict:
    low, high = (batched.clopper_pearson if exact else batched.wilson)(k, n, alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = k / n
    return {"theta": theta, "low": low, "high": high, "estimable": n > 0}


def _share_above(bt: _Batch, entry, alpha, cache) -> list[dict]:
    column = {"ongoing_strategic": bt.b.ongoing, "beyond_police_capacity": bt.b.beyond}[
        entry["column"]]
    among = (bt.b.n_contacts > 0 if entry["column"] == "beyond_police_capacity"
             else np.ones(bt.S, dtype=bool))
    values = _share(bt.per_study(column * among), bt.per_study(among), alpha)
    codes = share_codes(values["theta"], values["low"], float(entry["threshold"]))
    return [("rule", "survivor", values, codes)]


def _initiation_patterns(bt: _Batch, entry, alpha, cache) -> list[dict]:
    self_count = bt.per_survivor(bt.b.self_initiated)
    ext_count = bt.per_survivor(1.0 - bt.b.self_initiated)
    patterns = [(self_count > 0) & (ext_count == 0), (self_count == 0) & (ext_count > 0),
                (self_count > 0) & (ext_count > 0)]
    observed = sum((bt.per_study(p) > 0).astype(float) for p in patterns)
    nan = np.full(bt.b.B, np.nan)
    values = {"theta": observed, "low": nan, "high": nan, "estimable": np.ones(bt.b.B, bool)}
    return [("rule", "survivor", values,
             np.where(observed == 3, REPRODUCED, NOT_REPRODUCED))]


def _arrest_inconsistency(bt: _Batch, entry, alpha, cache) -> list[dict]:
    b = bt.b
    contacts = np.bincount(b.study, minlength=b.B).astype(float)
    arrests = np.bincount(b.study, weights=b.arrest, minlength=b.B)
    r_low, r_high = batched.wilson(arrests, contacts, alpha)
    per = bt.per_survivor(b.arrest)
    several = b.n_contacts >= 2
    mixed = (per > 0) & (per < b.n_contacts) & several
    values = _share(bt.per_study(mixed), bt.per_study(several), alpha, exact=True)
    holds = (r_low > 0) & (r_high < 1) & (values["low"] > 0) & values["estimable"]
    return [("rule", "survivor", values, np.where(holds, REPRODUCED, NOT_REPRODUCED))]


def _universal_share(bt: _Batch, entry, alpha, cache) -> list[dict]:
    n = np.full(bt.b.B, float(bt.b.n))
    k = bt.per_study(bt.b.any_strategy)
    values = _share(k, n, alpha, exact=True)
    codes = np.where((k == n) & (values["low"] > float(entry["threshold"])), REPRODUCED,
                     np.where(k >= n - 1, INCONCLUSIVE, NOT_REPRODUCED))
    return [("rule", "survivor", values, codes)]


def _fit(bt: _Batch, entry, cache) -> tuple[batched.BatchFit, list[str]]:
    spec = MODELS[entry["model"]]
    if spec.id not in cache:
        terms = list(spec.terms(cache["extra"]))
        X = np.column_stack([np.ones(bt.b.cluster.size)] + [bt.predictor(p) for p in terms])
        cache[spec.id] = (batched.gee_exchangeable(bt.outcome(spec.outcome), X, bt.b.cluster,
                                                   bt.survivor_study, bt.b.B), terms)
    return cache[spec.id]


def _signs(bt: _Batch, exposure: str, outcome: str) -> tuple[np.ndarray, np.ndarray]:
    """Per study: survivors whose within-survivor difference is positive, and negative."""
    x, y = bt.predictor(exposure), bt.outcome(outcome)
    if exposure == "prior_calls":
        split, value = y > 0, x
    else:
        split, value = x > 0, y
    c1 = bt.per_survivor(split.astype(float))
    c0 = bt.per_survivor((~split).astype(float))
    s1 = bt.per_survivor(value * split)
    s0 = bt.per_survivor(value * ~split)
    both = (c1 > 0) & (c0 > 0)
    diff = (np.divide(s1, c1, out=np.zeros(bt.S), where=c1 > 0)
            - np.divide(s0, c0, out=np.zeros(bt.S), where=c0 > 0))
    return bt.per_study(both & (diff > 1e-12)), bt.per_study(both & (diff < -1e-12))


def _association(bt: _Batch, entry, alpha, cache) -> list[dict]:
    direction = entry["direction"]
    out = []
    if "contrast" in entry:
        exposed, reference = bt.groups[entry["contrast"]]
        events = bt.per_survivor(bt.outcome(entry["outcome"]))
        sizes = bt.b.n_contacts.astype(float)
        rd = batched.cluster_risk_difference(events, sizes, exposed, exposed | reference,
                                             bt.survivor_study, bt.b.B, alpha)
        values = {"theta": rd["estimate"], "low": rd["ci_low"], "high": rd["ci_high"],
                  "se": rd["se"], "p": rd["p_value"], "estimable": rd["estimable"]}
        out.append(("risk_difference", "contact", values,
                    verdict_codes(direction, values["theta"], values["low"], values["high"], 0.0,
                                  values["estimable"])))
        summary = summarise(events, sizes, entry["survivor_outcome"])
        a = bt.per_study(summary & exposed)
        n1 = bt.per_study(exposed)
        c = bt.per_study(summary & reference)
        n0 = bt.per_study(reference)
        estimable = (n1 > 0) & (n0 > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            d, low, high = batched.newcombe(a, n1, c, n0, alpha)
        p = (batched.fisher_two_sided(a, n1 - a, c, n0 - c) if cache["tests"]
             else np.full(a.size, np.nan))
        values = {"theta": np.where(estimable, d, np.nan), "low": np.where(estimable, low, np.nan),
                  "high": np.where(estimable, high, np.nan), "p": np.where(estimable, p, np.nan),
                  "estimable": estimable}
        out.append(("survivor_exact", "survivor", values,
                    verdict_codes(direction, values["theta"], values["low"], values["high"], 0.0,
                                  estimable)))
        return out
    fit, terms = _fit(bt, entry, cache)
    j = 1 + terms.index(entry["exposure"])
    for covariance in COVARIANCES:
        t = batched.gee_terms(fit, j, covariance, alpha)
        values = {"theta": t["log_odds"], "low": np.log(t["ci_low"]),
                  "high": np.log(t["ci_high"]), "se": t["se"], "p": t["p_value"],
                  "estimable": t["estimable"]}
        out.append((gee_method(covariance), "contact", values,
                    verdict_codes(direction, values["theta"], values["low"], values["high"], 0.0,
                                  values["estimable"])))
    positive, negative = _signs(bt, entry["exposure"], entry["outcome"])
    informative = positive + negative
    values = _share(positive, informative, alpha, exact=True)
    values["p"] = (np.where(informative > 0, batched.binom_two_sided(positive, informative),
                            np.nan) if cache["tests"] else np.full(positive.size, np.nan))
    out.append(("sign_test", "survivor", values,
                verdict_codes(direction, values["theta"], values["low"], values["high"], 0.5,
                              values["estimable"])))
    return out


STATISTICS = {
    "share_above": _share_above,
    "initiation_patterns": _initiation_patterns,
    "association": _association,
    "arrest_inconsistency": _arrest_inconsistency,
    "universal_share": _universal_share,
}


def evaluate_batch(batch: StudyBatch, registry: Sequence[Mapping[str, Any]],
                   alpha: float = 0.05,
                   extra_covariates: Mapping[str, Sequence[str]] | None = None,
                   covariance: str = "mancl_derouen",
                   studies: np.ndarray | None = None, tests: bool = True) -> pd.DataFrame:
    """Every claim of ``registry`` for every study of ``batch``, one row per study, claim, method.

    ``studies`` names the studies (replication numbers) in the ``study``
    column; by default 0..B-1. Columns: :data:`COLUMNS`; ``verdict`` holds the
    verdict's text. ``tests=False`` leaves out the exact tests' p-values
    (the true values need only the estimates, and exact tests over tens of
    thousands of survivors are slow).
    """
    bt = _Batch(batch)
    ids = np.arange(batch.B) if studies is None else np.asarray(studies)
    cache: dict = {"extra": extra_covariates or {}, "tests": tests}
    frames = []
    for entry in registry:
        primary = primary_method(entry, covariance)
        for method, level, values, codes in STATISTICS[entry["statistic"]](bt, entry, alpha,
                                                                             cache):
            role = "primary" if method == primary else "secondary"
            frames.append(pd.DataFrame(_rows(ids, entry["id"], method, role, level, values,
                                             np.array(VERDICTS, dtype=object)[codes])))
    frame = pd.concat(frames, ignore_index=True)
    frame["estimable"] = frame["estimable"].astype(bool)
    return frame[list(COLUMNS)]
