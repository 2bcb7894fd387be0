"""The statistics a claim can name, each with its one-study and its batched implementation.

A registry entry names its ``statistic``; :data:`STATISTICS` maps that name to
one :class:`Statistic`, which holds everything the statistic means:

* :meth:`Statistic.check`: the registry keys it needs, with a clear error;
* :meth:`Statistic.methods` and :meth:`Statistic.primary`: the ways it
  estimates a claim (names of :data:`METHODS`), and the one that decides the verdict;
* :meth:`Statistic.one`: the claim on one study (the numbers the paper
  reports: statsmodels and scipy through :mod:`analysis.stats`);
* :meth:`Statistic.many`: the same claim on every study of a batch at once
  (:mod:`analysis.stats.batched`), for the robustness and simulation studies;
* :meth:`Statistic.from_counts`: the claim from the counts claims.json
  publishes for it alone, or ``None`` where counts do not decide it (a
  clustered model, a cluster-robust risk difference). The disclosure plan
  recomputes a withheld level's verdict with it for every table its audit
  leaves possible (:func:`analysis.steps.claims.outcomes_from_counts`), and
  :meth:`Statistic.one` computes its count-based levels with the same
  function, so the two cannot disagree.

The implementations sit side by side so they cannot drift apart; the tests
check that they agree study by study. A new statistic is one subclass here and
one line in :data:`STATISTICS` (a count-based one subclasses :class:`CountBased`:
its :meth:`~CountBased.counts` from one study, and :meth:`Statistic.from_counts`);
a method it adds is one entry of :data:`METHODS`.

Estimates of the batched implementation are on the analysis scale
(``theta``): the log odds ratio of a clustered model, a share, or a risk
difference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.stats import batched, exact, proportions, risk
from analysis.stats.estimate import Estimate, not_estimable
from analysis.stats.gee import COVARIANCES, ModelFit, gee_logit
from analysis.stats.models import MODELS
from analysis.steps.verdicts import (
    INCONCLUSIVE,
    INCONCLUSIVE_CODE,
    NOT_REPRODUCED,
    NOT_REPRODUCED_CODE,
    REPRODUCED,
    REPRODUCED_CODE,
    direction_of,
    share_codes,
    share_verdict,
    verdict,
    verdict_codes,
)
from analysis.study.arrays import StudyArrays
from analysis.study.batch import StudyBatch
from analysis.study.variables import (
    CONTACT_VARIABLES,
    CONTRASTS,
    OUTCOMES,
    PREDICTORS,
    SUMMARIES,
    SURVIVOR_INDICATORS,
    WITHIN,
    summarise,
)
from analysis.study.vocabulary import INITIATION_PATTERNS

LEVELS = ("contact", "survivor")

#: A claim's count fields as claims.json publishes them: level -> field -> count.
Counts = Mapping[str, Mapping[str, int]]


class RegistryError(ValueError):
    """A registry entry is malformed; the message names the claim, key and value."""


def require(cid: str, entry: Mapping, key: str, allowed: Sequence[str]) -> None:
    """Refuse an entry whose ``key`` is not one of ``allowed`` (naming claim, key and value)."""
    if entry.get(key) not in allowed:
        raise RegistryError(f"claim {cid}: key '{key}' has value {entry.get(key)!r}; allowed: "
                            + ", ".join(map(str, allowed)))


# --- methods ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Method:
    """One way a claim is estimated: its level and how figures, tables and text name it."""

    id: str
    level: str       # contact | survivor
    legend: str      # figure legends
    table: str       # table cells
    prose: str       # running text (captions, alt text)


def gee_method(covariance: str) -> str:
    """The method id of the clustered model under ``covariance`` (``gee_scaled``)."""
    return f"gee_{covariance}"


#: Every method, in the order figures and tables list them.
METHODS: dict[str, Method] = {m.id: m for m in (
    Method(gee_method("scaled"), "contact", "GEE, sandwich \u00d7 G/(G\u2212k), t",
           "GEE, sandwich \u00d7 G/(G\u2212k) (t)",
           "GEE with the sandwich scaled by G/(G\u2212k) and t intervals"),
    Method(gee_method("sandwich"), "contact", "GEE, plain sandwich, normal",
           "GEE, plain sandwich (normal)", "GEE with the plain sandwich and normal intervals"),
    Method(gee_method("mancl_derouen"), "contact", "GEE, Mancl\u2013DeRouen, t",
           "GEE, Mancl\u2013DeRouen (t)",
           "GEE with the Mancl\u2013DeRouen sandwich and t intervals"),
    Method("sign_test", "survivor", "Sign test over survivors", "survivor-level sign test",
           "the sign test over survivors"),
    Method("risk_difference", "contact", "Contact-level risk difference",
           "contact-level risk difference", "the contact-level risk difference"),
    Method("survivor_exact", "survivor", "Survivor-level difference (Newcombe)",
           "survivor-level difference, Fisher test",
           "the survivor-level difference (Newcombe interval)"),
    Method("rule", "survivor", "The claim's rule (Wilson or exact interval)", "the claim's rule",
           "the claims' own rules (Wilson or exact intervals)"),
)}


# --- what both implementations share ----------------------------------------------------------


def initiation_patterns(cluster: np.ndarray, survivors: int, self_initiated: np.ndarray
                        ) -> dict[str, np.ndarray]:
    """Per survivor: whether her contacts were self-initiated only, external only, or both."""
    is_self = np.asarray(self_initiated, dtype=float)
    has_self = np.bincount(cluster, weights=is_self, minlength=survivors) > 0
    has_ext = np.bincount(cluster, weights=1.0 - is_self, minlength=survivors) > 0
    vectors = {"self only": has_self & ~has_ext, "external only": ~has_self & has_ext,
               "dual": has_self & has_ext}
    return {p: vectors[p] for p in INITIATION_PATTERNS}


def survivor_signs(cluster: np.ndarray, survivors: int, exposure: str, x: np.ndarray,
                   y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per survivor: a positive sign, a negative sign, and contacts of both kinds.

    For a 0/1 exposure (who called, injury), each survivor with contacts of
    both kinds has the sign of (outcome rate with exposure) minus (rate
    without). For earlier calls, each survivor with both outcomes has the sign
    of (mean earlier calls at outcome contacts) minus (at the others). Ties
    have no sign.
    """
    split, value = (y > 0, x) if exposure == "prior_calls" else (x > 0, y)
    c1 = np.bincount(cluster, weights=split.astype(float), minlength=survivors)
    c0 = np.bincount(cluster, weights=(~split).astype(float), minlength=survivors)
    s1 = np.bincount(cluster, weights=value * split, minlength=survivors)
    s0 = np.bincount(cluster, weights=value * ~split, minlength=survivors)
    both = (c1 > 0) & (c0 > 0)
    diff = (np.divide(s1, c1, out=np.zeros(survivors), where=c1 > 0)
            - np.divide(s0, c0, out=np.zeros(survivors), where=c0 > 0))
    return both & (diff > 1e-12), both & (diff < -1e-12), both


def sign_vectors(study: StudyArrays, exposure: str, outcome: str
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`survivor_signs` of one study's within-survivor association."""
    return survivor_signs(study.cluster, study.n_participants, exposure,
                          study.predictors[exposure], study.outcomes[outcome])


def within_survivor_signs(study: StudyArrays, exposure: str, outcome: str) -> tuple[int, int]:
    """Survivor-level signs of a within-survivor association: (positive, negative) counts."""
    positive, negative, _ = sign_vectors(study, exposure, outcome)
    return int(positive.sum()), int(negative.sum())


def initiation_pattern_counts(study: StudyArrays) -> dict[str, int]:
    """Survivors whose police contacts were self-initiated only, external only, or both."""
    vectors = initiation_patterns(study.cluster, study.n_participants, study.initiator_self)
    return {p: int(v.sum()) for p, v in vectors.items()}


class ManyStudies:
    """A batch of studies with the per-survivor and per-study sums its statistics share."""

    def __init__(self, batch: StudyBatch) -> None:
        self.b = batch
        self.B = batch.B
        self.S = batch.B * batch.n
        self.survivor_study = batch.survivor_study
        self.groups = {name: c.masks(batch.race_labels) for name, c in CONTRASTS.items()}

    def per_survivor(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.b.cluster, weights=values, minlength=self.S)

    def per_study(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.survivor_study, weights=values.astype(float), minlength=self.B)

    def column(self, name: str) -> np.ndarray:
        """A contact variable over every contact of the batch, as floats."""
        return np.asarray(CONTACT_VARIABLES[name].many(self.b), dtype=float)


#: One batched method's result: (method, level, {theta, low, high, se?, p?, estimable}, codes).
Rows = list[tuple[str, str, dict[str, np.ndarray], np.ndarray]]


def _level(est: Estimate, kind: str, null: float | None, direction: str | None,
           extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One level's result as stored in claims.json."""
    out = {"kind": kind, "estimate": clean(est.estimate), "ci_low": clean(est.ci_low),
           "ci_high": clean(est.ci_high), "p_value": clean(est.p_value), "method": est.method,
           "estimable": bool(est.estimable), "reason": est.reason,
           **{k: plain(v) for k, v in {**est.extra, **(extra or {})}.items()}}
    if null is not None and direction is not None:
        out["verdict"] = verdict(direction, out["estimate"], out["ci_low"], out["ci_high"], null,
                                 out["estimable"])
        out["observed_direction"] = direction_of(out["estimate"], null)
    return out


def _result(levels: dict[str, dict | None], primary: str, result: str | None,
            observed: str | None, detail: str) -> dict:
    return {"levels": levels, "primary_level": primary, "verdict": result, "observed": observed,
            "detail": detail}


def _share(k: np.ndarray, n: np.ndarray, alpha: float, exact_interval: bool = False) -> dict:
    low, high = (batched.clopper_pearson if exact_interval else batched.wilson)(k, n, alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = k / n
    return {"theta": theta, "low": low, "high": high, "estimable": n > 0}


def clean(value: Any) -> float | None:
    """A finite float, or None."""
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None


def plain(value: Any) -> Any:
    """Plain Python values for claims.json (no numpy scalars, no NaN)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


# --- the statistics ---------------------------------------------------------------------------


class Statistic:
    """What one ``statistic`` of the registry means; see the module docstring."""

    #: The registry's name for it.
    name: str = ""
    #: The directions (or patterns) a claim with it may name.
    directions: tuple[str, ...] = ()

    def check(self, cid: str, entry: Mapping[str, Any]) -> None:
        """Refuse an entry without the keys this statistic needs (:class:`RegistryError`)."""

    def methods(self, entry: Mapping[str, Any]) -> list[str]:
        """Every method the batched implementation reports for a claim (ids of :data:`METHODS`)."""
        return ["rule"]

    def primary(self, entry: Mapping[str, Any], covariance: str) -> str:
        """The method whose interval decides the claim's verdict."""
        return "rule"

    def verdict_levels(self, entry: Mapping[str, Any]) -> tuple[str, ...]:
        """The levels whose numbers decide the claim's verdict (default: all of them)."""
        return LEVELS

    def one(self, study: StudyArrays, entry: Mapping[str, Any], alpha: float,
            cache: dict) -> dict:
        """The claim on one study: levels, primary level, verdict, observed direction, detail."""
        raise NotImplementedError

    def many(self, bt: ManyStudies, entry: Mapping[str, Any], alpha: float,
             cache: dict) -> Rows:
        """The claim on every study of a batch: one row set per method."""
        raise NotImplementedError

    def from_counts(self, entry: Mapping[str, Any], counts: Counts, alpha: float,
                    tests: bool = True) -> dict | None:
        """The claim from its published count fields alone, as :meth:`one` returns it.

        ``counts`` maps a level to its count fields (as in claims.json). A
        level that counts alone cannot decide is ``None`` among the levels,
        and so are the verdict and the observed direction when the claim's
        verdict rests on such a level; a statistic that is not count-based
        at all returns ``None`` (the default). ``tests=False`` may leave out
        exact tests' p-values (no verdict uses them). A missing count field
        raises :class:`KeyError`.
        """
        return None


class CountBased(Statistic):
    """A statistic whose every level follows from counts: :meth:`one` is :meth:`from_counts`
    of the study's :meth:`counts`, so the one-study path and the count path are one function.
    """

    def counts(self, study: StudyArrays, entry: Mapping[str, Any]) -> dict[str, dict[str, int]]:
        """The count fields of each level on one study (those claims.json publishes)."""
        raise NotImplementedError

    def one(self, study, entry, alpha, cache):
        return self.from_counts(entry, self.counts(study, entry), alpha)


def _check_threshold(cid: str, entry: Mapping[str, Any]) -> None:
    threshold = entry.get("threshold")
    if not isinstance(threshold, int | float) or not 0 < threshold < 1:
        raise RegistryError(f"claim {cid}: key 'threshold' has value "
                            f"{entry.get('threshold')!r}; allowed: a share between 0 and 1")


class ShareAbove(CountBased):
    """A share of survivors (a survivor indicator) above a threshold; Wilson interval."""

    name = "share_above"
    directions = ("majority",)

    def check(self, cid, entry):
        _check_threshold(cid, entry)
        require(cid, entry, "column", list(SURVIVOR_INDICATORS))

    def counts(self, study, entry):
        indicator = SURVIVOR_INDICATORS[entry["column"]]
        values = study.indicators[entry["column"]][indicator.among_mask(study.n_contacts)]
        return {"survivor": {"successes": int(values.sum()), "n": int(values.size)}}

    def from_counts(self, entry, counts, alpha, tests=True):
        k, n = int(counts["survivor"]["successes"]), int(counts["survivor"]["n"])
        threshold = float(entry["threshold"])
        est = proportions.proportion(k, n, alpha, null=threshold, alternative="greater")
        level = _level(est, "share", None, None)
        result = share_verdict(level["estimate"], level["ci_low"], threshold)
        observed = "majority" if (level["estimate"] or 0) > threshold else "not a majority"
        return _result({"survivor": level}, "survivor", result, observed,
                       f"{est.extra.get('successes')} of {est.extra.get('n')} survivors")

    def many(self, bt, entry, alpha, cache):
        indicator = SURVIVOR_INDICATORS[entry["column"]]
        among = indicator.among_mask(bt.b.n_contacts)
        values = _share(bt.per_study(np.asarray(indicator.many(bt.b)) * among),
                        bt.per_study(among), alpha)
        codes = share_codes(values["theta"], values["low"], float(entry["threshold"]))
        return [("rule", "survivor", values, codes)]


class InitiationPatterns(CountBased):
    """Whether all three survivor-level initiation patterns are observed."""

    name = "initiation_patterns"
    directions = ("all_observed",)

    def counts(self, study, entry):
        return {"survivor": initiation_pattern_counts(study)}

    def from_counts(self, entry, counts, alpha, tests=True):
        counts = {p: int(counts["survivor"][p]) for p in INITIATION_PATTERNS}
        observed = sum(v > 0 for v in counts.values())
        est = Estimate(float(observed), None, None, None,
                       "count of survivor-level initiation patterns observed", extra=counts)
        result = REPRODUCED if observed == len(counts) else NOT_REPRODUCED
        detail = ", ".join(f"{k}: {v}" for k, v in counts.items())
        return _result({"survivor": _level(est, "count", None, None)}, "survivor", result,
                       "all observed" if observed == len(counts)
                       else f"{observed} of {len(counts)} observed", detail)

    def many(self, bt, entry, alpha, cache):
        patterns = initiation_patterns(bt.b.cluster, bt.S, bt.b.self_initiated)
        observed = sum((bt.per_study(p) > 0).astype(float) for p in patterns.values())
        nan = np.full(bt.B, np.nan)
        values = {"theta": observed, "low": nan, "high": nan, "estimable": np.ones(bt.B, bool)}
        return [("rule", "survivor", values,
                 np.where(observed == len(patterns), REPRODUCED_CODE, NOT_REPRODUCED_CODE))]


class ArrestInconsistency(CountBased):
    """Arrest rate strictly inside (0, 1) and survivors with both arrest outcomes."""

    name = "arrest_inconsistency"
    directions = ("inconsistent",)

    def counts(self, study, entry):
        arrest = study.outcomes["arrest"]
        per = np.bincount(study.cluster, weights=arrest, minlength=study.n_participants)
        several = study.n_contacts >= 2
        mixed = (per > 0) & (per < study.n_contacts) & several
        return {"contact": {"successes": int(arrest.sum()), "n": int(arrest.size)},
                "survivor": {"successes": int(mixed.sum()), "n": int(several.sum())}}

    def from_counts(self, entry, counts, alpha, tests=True):
        arrests, contacts = int(counts["contact"]["successes"]), int(counts["contact"]["n"])
        mixed, several = int(counts["survivor"]["successes"]), int(counts["survivor"]["n"])
        rate = proportions.proportion(arrests, contacts, alpha)
        share = proportions.proportion(mixed, several, alpha, method="exact")
        inside = rate.estimable and rate.ci_low > 0 and rate.ci_high < 1
        holds = bool(inside and share.estimable and share.ci_low > 0)
        levels = {"contact": _level(rate, "share", None, None),
                  "survivor": _level(share, "share", None, None)}
        return _result(levels, "survivor", REPRODUCED if holds else NOT_REPRODUCED,
                       "inconsistent" if holds else "consistent",
                       f"arrest at {arrests} of {contacts} contacts; {mixed} of {several} "
                       "survivors with two or more contacts had both outcomes")

    def many(self, bt, entry, alpha, cache):
        b = bt.b
        arrest = bt.column("arrest")
        contacts = np.bincount(b.study, minlength=b.B).astype(float)
        arrests = np.bincount(b.study, weights=arrest, minlength=b.B)
        r_low, r_high = batched.wilson(arrests, contacts, alpha)
        per = bt.per_survivor(arrest)
        several = b.n_contacts >= 2
        mixed = (per > 0) & (per < b.n_contacts) & several
        values = _share(bt.per_study(mixed), bt.per_study(several), alpha, exact_interval=True)
        holds = (r_low > 0) & (r_high < 1) & (values["low"] > 0) & values["estimable"]
        return [("rule", "survivor", values,
                 np.where(holds, REPRODUCED_CODE, NOT_REPRODUCED_CODE))]


class UniversalShare(CountBased):
    """Every survivor used an informal strategy; exact interval above a threshold."""

    name = "universal_share"
    directions = ("universal",)
    indicator = "any_strategy"

    def check(self, cid, entry):
        _check_threshold(cid, entry)

    def counts(self, study, entry):
        used = study.indicators[self.indicator] > 0
        return {"survivor": {"successes": int(used.sum()), "n": int(used.size)}}

    def from_counts(self, entry, counts, alpha, tests=True):
        k, n = int(counts["survivor"]["successes"]), int(counts["survivor"]["n"])
        est = proportions.proportion(k, n, alpha, method="exact")
        threshold = float(entry["threshold"])
        if est.estimable and k == n and est.ci_low > threshold:
            result = REPRODUCED
        elif est.estimable and k >= n - 1:
            result = INCONCLUSIVE
        else:
            result = NOT_REPRODUCED
        return _result({"survivor": _level(est, "share", None, None)}, "survivor", result,
                       "universal" if k == n else "not universal", f"{k} of {n} survivors")

    def many(self, bt, entry, alpha, cache):
        n = np.full(bt.B, float(bt.b.n))
        k = bt.per_study(np.asarray(SURVIVOR_INDICATORS[self.indicator].many(bt.b)))
        values = _share(k, n, alpha, exact_interval=True)
        codes = np.where((k == n) & (values["low"] > float(entry["threshold"])), REPRODUCED_CODE,
                         np.where(k >= n - 1, INCONCLUSIVE_CODE, NOT_REPRODUCED_CODE))
        return [("rule", "survivor", values, codes)]


# --- associations -----------------------------------------------------------------------------


def survivor_contrast(study: StudyArrays, contrast: str, outcome: str, how: str,
                      alpha: float = 0.05) -> Estimate:
    """A survivor-level 0/1 summary compared between the groups of a contrast.

    The estimate is the difference in the share of survivors (exposed minus
    reference) with Newcombe's hybrid score interval
    (:func:`analysis.stats.proportions.newcombe_difference`); the p-value is
    Fisher's exact test on the survivor-level 2x2 table.
    """
    return survivor_contrast_counts(contrast_counts(study, contrast, outcome, how), how, alpha)


def contrast_counts(study: StudyArrays, contrast: str, outcome: str, how: str) -> dict[str, int]:
    """A survivor-level contrast's counts: survivors with the summary, and all, per group."""
    exposed, reference = study.groups(contrast)
    summary = study.per_survivor(study.outcomes[outcome], how)
    return {"exposed_yes": int(np.sum(summary & exposed)), "exposed_n": int(exposed.sum()),
            "reference_yes": int(np.sum(summary & reference)),
            "reference_n": int(reference.sum())}


def survivor_contrast_counts(counts: Mapping[str, int], how: str, alpha: float = 0.05,
                             test: bool = True) -> Estimate:
    """:func:`survivor_contrast` from its four counts (``exposed_yes``, ``exposed_n``,
    ``reference_yes``, ``reference_n``); ``test=False`` leaves out Fisher's p-value."""
    counts = {k: int(counts[k]) for k in ("exposed_yes", "exposed_n", "reference_yes",
                                          "reference_n")}
    table = np.array([[counts["exposed_yes"], counts["exposed_n"] - counts["exposed_yes"]],
                      [counts["reference_yes"], counts["reference_n"] - counts["reference_yes"]]])
    method = (f"difference in the share of survivors ({how} per survivor), Newcombe hybrid "
              "score interval, Fisher exact test")
    if min(counts["exposed_n"], counts["reference_n"]) == 0:
        return not_estimable(method, "a group of the contrast has no survivors", **counts)
    d, low, high = proportions.newcombe_difference(counts["exposed_yes"], counts["exposed_n"],
                                                   counts["reference_yes"], counts["reference_n"],
                                                   alpha)
    p_value = exact.fisher_p_value(table) if test else None
    return Estimate(d, low, high, p_value, method,
                    extra={**counts, "share_exposed": counts["exposed_yes"] / counts["exposed_n"],
                           "share_reference": counts["reference_yes"] / counts["reference_n"]})


def contact_contrast(study: StudyArrays, contrast: str, outcome: str,
                     alpha: float = 0.05) -> Estimate:
    """Cluster-robust risk difference of a contact-level outcome between a contrast's groups."""
    exposed, reference = study.groups(contrast)
    rows = (exposed | reference)[study.cluster]
    return risk.cluster_risk_difference(study.outcomes[outcome][rows],
                                        exposed[study.cluster][rows], study.cluster[rows], alpha)


def fit_model(study: StudyArrays, model: str, alpha: float,
              extra_covariates: Mapping[str, Sequence[str]] | None,
              covariance: str) -> ModelFit:
    """Fit one model of :data:`MODELS` to a study (with the configured extra covariates)."""
    spec = MODELS[model]
    terms = spec.terms(extra_covariates)
    X = np.column_stack([study.predictors[p] for p in terms])
    return gee_logit(study.outcomes[spec.outcome], X, study.cluster, terms, alpha, covariance)


class Association(Statistic):
    """An association: a race contrast, or a within-survivor exposure of a clustered model.

    A contrast is estimated at the contact level (cluster-robust risk
    difference) and the survivor level (difference in shares, Newcombe
    interval, Fisher test); a within-survivor exposure by the clustered model
    under every covariance (contact level) and by a sign test over survivors.
    """

    name = "association"
    directions = ("positive", "negative", "two-sided")

    def check(self, cid, entry):
        require(cid, entry, "primary_level", LEVELS)
        require(cid, entry, "outcome", OUTCOMES)
        if "primary_reason" not in entry:
            raise RegistryError(f"claim {cid}: key 'primary_reason' is missing")
        stated = entry["direction"] != "two-sided"
        if stated != (entry["abstract_direction"] == "stated"):
            raise RegistryError(f"claim {cid}: key 'direction' has value {entry['direction']!r} "
                                f"but 'abstract_direction' is {entry['abstract_direction']!r}; "
                                "allowed: a direction only where the abstract states one")
        if not stated:
            require(cid, entry, "reading", ("positive", "negative"))
        if "contrast" in entry:
            require(cid, entry, "contrast", list(CONTRASTS))
            require(cid, entry, "survivor_outcome", list(SUMMARIES))
            return
        require(cid, entry, "exposure", WITHIN)
        require(cid, entry, "model", list(MODELS))
        spec = MODELS[entry["model"]]
        if entry["exposure"] not in spec.predictors or spec.outcome != entry["outcome"]:
            raise RegistryError(f"claim {cid}: key 'exposure' has value "
                                f"{entry['exposure']!r}; allowed: a predictor of model "
                                f"{entry['model']} ({', '.join(spec.predictors)}) with outcome "
                                f"{spec.outcome}")
        require(cid, entry, "exposure", PREDICTORS)

    def methods(self, entry):
        if "contrast" in entry:
            return ["risk_difference", "survivor_exact"]
        return [gee_method(c) for c in COVARIANCES] + ["sign_test"]

    def primary(self, entry, covariance):
        if "contrast" in entry:
            return "survivor_exact" if entry["primary_level"] == "survivor" else "risk_difference"
        return gee_method(covariance) if entry["primary_level"] == "contact" else "sign_test"

    def verdict_levels(self, entry):
        return (entry["primary_level"],)

    @staticmethod
    def survivor_counts(study: StudyArrays, entry: Mapping[str, Any]) -> dict[str, int]:
        """The survivor level's count fields: a contrast's four counts, or the signs."""
        if "contrast" in entry:
            return contrast_counts(study, entry["contrast"], entry["outcome"],
                                   entry["survivor_outcome"])
        positive, negative = within_survivor_signs(study, entry["exposure"], entry["outcome"])
        return {"positive": positive, "negative": negative}

    @staticmethod
    def _survivor_level(entry: Mapping[str, Any], counts: Mapping[str, int], alpha: float,
                        tests: bool = True) -> dict[str, Any]:
        """The survivor level from its counts (the one-study and the count path)."""
        if "contrast" in entry:
            est = survivor_contrast_counts(counts, entry["survivor_outcome"], alpha, test=tests)
            return _level(est, "risk_difference", 0.0, entry["direction"])
        return _level(exact.sign_test(counts["positive"], counts["negative"], alpha), "share",
                      0.5, entry["direction"])

    @staticmethod
    def _claim(entry: Mapping[str, Any], levels: dict[str, dict | None]) -> dict:
        primary = entry["primary_level"]
        chosen = levels[primary]
        if chosen is None:
            return _result(levels, primary, None, None,
                           f"primary level: {primary} (counts alone do not decide it)")
        observed = chosen.get("observed_direction", "undetermined")
        detail = chosen["reason"] or f"primary level: {primary}"
        return _result(levels, primary, chosen["verdict"], observed, detail)

    def from_counts(self, entry, counts, alpha, tests=True):
        # The contact level is a clustered model or a cluster-robust risk difference.
        return self._claim(entry, {"contact": None, "survivor": self._survivor_level(
            entry, counts["survivor"], alpha, tests)})

    def one(self, study, entry, alpha, cache):
        direction = entry["direction"]
        survivor = self._survivor_level(entry, self.survivor_counts(study, entry), alpha)
        if "contrast" in entry:
            contact = contact_contrast(study, entry["contrast"], entry["outcome"], alpha)
            levels = {"contact": _level(contact, "risk_difference", 0.0, direction),
                      "survivor": survivor}
        else:
            if entry["model"] not in cache:
                cache[entry["model"]] = fit_model(study, entry["model"], alpha, cache["extra"],
                                                  cache["covariance"])
            fit = cache[entry["model"]]
            est = fit.terms[entry["exposure"]]
            others = {kind: {"ci_low": clean(t[entry["exposure"]].ci_low),
                             "ci_high": clean(t[entry["exposure"]].ci_high),
                             "p_value": clean(t[entry["exposure"]].p_value)}
                      for kind, t in fit.by_covariance.items()}
            contact = Estimate(est.estimate, est.ci_low, est.ci_high, est.p_value, est.method,
                               est.estimable, est.reason or fit.reason, est.extra)
            levels = {"contact": _level(contact, "odds_ratio", 1.0, direction,
                                        {"by_covariance": others, "n_contacts": fit.n_obs,
                                         "n_survivors": fit.n_clusters}),
                      "survivor": survivor}
        return self._claim(entry, levels)

    def many(self, bt, entry, alpha, cache):
        if "contrast" in entry:
            return self._contrast_many(bt, entry, alpha, cache)
        direction = entry["direction"]
        fit, terms = self._fit_many(bt, entry, cache)
        j = 1 + terms.index(entry["exposure"])
        out = []
        for covariance in COVARIANCES:
            t = batched.gee_terms(fit, j, covariance, alpha)
            values = {"theta": t["log_odds"], "low": np.log(t["ci_low"]),
                      "high": np.log(t["ci_high"]), "se": t["se"], "p": t["p_value"],
                      "estimable": t["estimable"]}
            out.append((gee_method(covariance), "contact", values,
                        verdict_codes(direction, values["theta"], values["low"], values["high"],
                                      0.0, values["estimable"])))
        positive, negative, _ = survivor_signs(bt.b.cluster, bt.S, entry["exposure"],
                                               bt.column(entry["exposure"]),
                                               bt.column(entry["outcome"]))
        positive, negative = bt.per_study(positive), bt.per_study(negative)
        informative = positive + negative
        values = _share(positive, informative, alpha, exact_interval=True)
        values["p"] = (np.where(informative > 0, batched.binom_two_sided(positive, informative),
                                np.nan) if cache["tests"] else np.full(positive.size, np.nan))
        out.append(("sign_test", "survivor", values,
                    verdict_codes(direction, values["theta"], values["low"], values["high"], 0.5,
                                  values["estimable"])))
        return out

    @staticmethod
    def _fit_many(bt: ManyStudies, entry: Mapping[str, Any], cache: dict
                  ) -> tuple[batched.BatchFit, list[str]]:
        spec = MODELS[entry["model"]]
        if spec.id not in cache:
            terms = list(spec.terms(cache["extra"]))
            X = np.column_stack([np.ones(bt.b.cluster.size)] + [bt.column(p) for p in terms])
            cache[spec.id] = (batched.gee_exchangeable(bt.column(spec.outcome), X, bt.b.cluster,
                                                       bt.survivor_study, bt.B), terms)
        return cache[spec.id]

    @staticmethod
    def _contrast_many(bt: ManyStudies, entry: Mapping[str, Any], alpha: float,
                       cache: dict) -> Rows:
        direction = entry["direction"]
        exposed, reference = bt.groups[entry["contrast"]]
        events = bt.per_survivor(bt.column(entry["outcome"]))
        sizes = bt.b.n_contacts.astype(float)
        rd = batched.cluster_risk_difference(events, sizes, exposed, exposed | reference,
                                             bt.survivor_study, bt.B, alpha)
        values = {"theta": rd["estimate"], "low": rd["ci_low"], "high": rd["ci_high"],
                  "se": rd["se"], "p": rd["p_value"], "estimable": rd["estimable"]}
        out = [("risk_difference", "contact", values,
                verdict_codes(direction, values["theta"], values["low"], values["high"], 0.0,
                              values["estimable"]))]
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
        values = {"theta": np.where(estimable, d, np.nan),
                  "low": np.where(estimable, low, np.nan),
                  "high": np.where(estimable, high, np.nan), "p": np.where(estimable, p, np.nan),
                  "estimable": estimable}
        out.append(("survivor_exact", "survivor", values,
                    verdict_codes(direction, values["theta"], values["low"], values["high"], 0.0,
                                  estimable)))
        return out


#: Every statistic a registry entry may name.
STATISTICS: dict[str, Statistic] = {s.name: s for s in (
    ShareAbove(), InitiationPatterns(), Association(), ArrestInconsistency(), UniversalShare())}
#: Every direction or pattern a registry entry may name.
DIRECTIONS: tuple[str, ...] = tuple(d for s in STATISTICS.values() for d in s.directions)
