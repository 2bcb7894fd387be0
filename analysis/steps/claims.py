"""The claims registry and its evaluation on one study.

:func:`load_registry` reads and checks ``claims.yaml``; :func:`evaluate_claims`
computes, for one study, every claim's estimate and interval at the contact
and the survivor level, the verdict of its primary level and the reason. The
robustness and simulation studies evaluate the same registry for thousands of
studies at once (:mod:`analysis.steps.batch`), with the same verdict rule
(:func:`verdict`); the tests check that the two paths agree.

Verdicts (three levels, see the registry's header): ``reproduced`` when the
primary level's interval gives the evidence the rule asks for;
``inconclusive`` when the estimate points the stated way (a two-sided
association: away from no effect) but the interval does not clear;
``not reproduced`` otherwise or when nothing can be estimated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.stats import exact, gee, proportions, risk
from analysis.stats.estimate import Estimate, not_estimable
from analysis.stats.models import MODELS
from analysis.study.arrays import CONTRASTS, OUTCOMES, PREDICTORS, SUMMARIES, StudyArrays
from analysis.study.vocabulary import VERDICTS

REGISTRY_PATH = Path(__file__).resolve().parent / "claims.yaml"

REPRODUCED, INCONCLUSIVE, NOT_REPRODUCED = VERDICTS
LEVELS = ("contact", "survivor")
#: Directions and patterns a registry entry may name.
DIRECTIONS = ("majority", "all_observed", "positive", "negative", "two-sided", "inconsistent",
              "universal")
ABSTRACT_DIRECTIONS = ("stated", "none", "descriptive")
REQUIRED_KEYS = ("id", "finding", "statement", "source_words", "abstract_direction", "data",
                 "statistic", "direction", "estimand", "rule")
#: Within-survivor exposures: the survivor-level test is a sign test over survivors.
WITHIN = ("external_initiation", "prior_calls", "visible_injury")


class RegistryError(ValueError):
    """A registry entry is malformed; the message names the claim, key and value."""


# --- the registry ---------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _read_registry(path: Path) -> dict[str, Any]:
    from analysis.io import load_yaml

    with open(path, encoding="utf-8") as fh:
        return load_yaml(fh) or {}


def load_registry(path: Path = REGISTRY_PATH) -> list[dict[str, Any]]:
    """Read the registry's claims and check every entry (a fresh copy each call).

    Raises
    ------
    RegistryError
        An entry misses a key, names an unknown statistic, direction, outcome,
        model, contrast or level, or repeats an id.
    """
    import copy

    entries = copy.deepcopy(_read_registry(Path(path)).get("claims", []))
    check_registry(entries)
    return entries


def registry_settings(path: Path = REGISTRY_PATH) -> dict[str, Any]:
    """The registry's analysis settings (the covariance of the clustered models)."""
    settings = dict(_read_registry(Path(path)).get("settings", {}))
    covariance = settings.get("gee_covariance")
    if covariance not in gee.COVARIANCES:
        raise RegistryError(f"registry settings: key 'gee_covariance' has value {covariance!r}; "
                            "allowed: " + ", ".join(gee.COVARIANCES))
    return settings


def _require(cid: str, entry: Mapping, key: str, allowed: Sequence[str]) -> None:
    if entry.get(key) not in allowed:
        raise RegistryError(f"claim {cid}: key '{key}' has value {entry.get(key)!r}; allowed: "
                            + ", ".join(map(str, allowed)))


def check_registry(entries: list[dict[str, Any]]) -> None:
    """Validate registry entries (see :func:`load_registry`)."""
    seen: set[str] = set()
    if not entries:
        raise RegistryError("the claims registry has no claims")
    for entry in entries:
        cid = entry.get("id", "<missing id>")
        for key in REQUIRED_KEYS:
            if key not in entry:
                raise RegistryError(f"claim {cid}: key '{key}' is missing")
        if cid in seen:
            raise RegistryError(f"claim {cid}: id is used twice")
        seen.add(cid)
        _require(cid, entry, "statistic", sorted(STATISTICS))
        _require(cid, entry, "direction", DIRECTIONS)
        _require(cid, entry, "abstract_direction", ABSTRACT_DIRECTIONS)
        if entry["statistic"] in ("share_above", "universal_share"):
            threshold = entry.get("threshold")
            if not isinstance(threshold, int | float) or not 0 < threshold < 1:
                raise RegistryError(f"claim {cid}: key 'threshold' has value "
                                    f"{entry.get('threshold')!r}; allowed: a share between 0 and 1")
        if entry["statistic"] == "share_above":
            _require(cid, entry, "column", ("ongoing_strategic", "beyond_police_capacity"))
        if entry["statistic"] != "association":
            continue
        _require(cid, entry, "direction", ("positive", "negative", "two-sided"))
        _require(cid, entry, "primary_level", LEVELS)
        _require(cid, entry, "outcome", OUTCOMES)
        if "primary_reason" not in entry:
            raise RegistryError(f"claim {cid}: key 'primary_reason' is missing")
        stated = entry["direction"] != "two-sided"
        if stated != (entry["abstract_direction"] == "stated"):
            raise RegistryError(f"claim {cid}: key 'direction' has value {entry['direction']!r} "
                                f"but 'abstract_direction' is {entry['abstract_direction']!r}; "
                                "allowed: a direction only where the abstract states one")
        if not stated:
            _require(cid, entry, "reading", ("positive", "negative"))
        if "contrast" in entry:
            _require(cid, entry, "contrast", list(CONTRASTS))
            _require(cid, entry, "survivor_outcome", SUMMARIES)
        else:
            _require(cid, entry, "exposure", WITHIN)
            _require(cid, entry, "model", list(MODELS))
            predictors = MODELS[entry["model"]].predictors
            if entry["exposure"] not in predictors or MODELS[entry["model"]].outcome != \
                    entry["outcome"]:
                raise RegistryError(f"claim {cid}: key 'exposure' has value "
                                    f"{entry['exposure']!r}; allowed: a predictor of model "
                                    f"{entry['model']} ({', '.join(predictors)}) with outcome "
                                    f"{MODELS[entry['model']].outcome}")
            _require(cid, entry, "exposure", PREDICTORS)


# --- methods -------------------------------------------------------------------------------


def gee_method(covariance: str) -> str:
    return f"gee_{covariance}"


def primary_method(entry: Mapping[str, Any], covariance: str) -> str:
    """The method whose interval decides a claim's verdict."""
    if entry["statistic"] != "association":
        return "rule"
    if "contrast" in entry:
        return "survivor_exact" if entry["primary_level"] == "survivor" else "risk_difference"
    return gee_method(covariance) if entry["primary_level"] == "contact" else "sign_test"


def claim_methods(entry: Mapping[str, Any]) -> list[str]:
    """Every method :func:`evaluate_batch` reports for a claim."""
    if entry["statistic"] != "association":
        return ["rule"]
    if "contrast" in entry:
        return ["risk_difference", "survivor_exact"]
    return [gee_method(c) for c in gee.COVARIANCES] + ["sign_test"]


# --- the verdict ------------------------------------------------------------------------------


def nominal_rate(direction: str, alpha: float = 0.05) -> float:
    """How often a claim's rule reproduces an association that is not there, by chance.

    A two-sided claim is reproduced when its (1 - alpha) interval excludes no
    effect on either side (``alpha``); a claim with a stated direction only
    when the interval clears no effect on that side (``alpha / 2``).
    """
    return alpha if direction == "two-sided" else alpha / 2


def direction_of(estimate: float | None, null: float) -> str:
    """``positive``, ``negative`` or ``none`` relative to ``null``; ``undetermined`` if missing."""
    if estimate is None or not np.isfinite(estimate):
        return "undetermined"
    return "positive" if estimate > null else "negative" if estimate < null else "none"


def verdict(direction: str, estimate: float | None, low: float | None, high: float | None,
            null: float, estimable: bool = True) -> str:
    """The three-level verdict of an association against ``null`` (1 for ratios, 0 for differences).

    * stated direction (positive/negative): reproduced when the whole interval
      lies on the stated side; inconclusive when the estimate does but the
      interval reaches ``null``; not reproduced otherwise;
    * two-sided: reproduced when the interval excludes ``null``; inconclusive
      when it does not (and the estimate differs from ``null``).

    Anything not estimable is not reproduced.
    """
    if not estimable or estimate is None or low is None or high is None:
        return NOT_REPRODUCED
    if direction == "two-sided":
        if low > null or high < null:
            return REPRODUCED
        return INCONCLUSIVE if estimate != null else NOT_REPRODUCED
    sign = 1.0 if direction == "positive" else -1.0
    if sign * (estimate - null) <= 0:
        return NOT_REPRODUCED
    clears = (low > null) if sign > 0 else (high < null)
    return REPRODUCED if clears else INCONCLUSIVE


def share_verdict(estimate: float | None, low: float | None, threshold: float) -> str:
    """A share above ``threshold``: the interval clears it, only the estimate does, or neither."""
    if estimate is None or low is None:
        return NOT_REPRODUCED
    if low > threshold:
        return REPRODUCED
    return INCONCLUSIVE if estimate > threshold else NOT_REPRODUCED


# --- statistics -------------------------------------------------------------------------------


def _level(est: Estimate, kind: str, null: float | None, direction: str | None,
           extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One level's result as stored in claims.json."""
    out = {"kind": kind, "estimate": _clean(est.estimate), "ci_low": _clean(est.ci_low),
           "ci_high": _clean(est.ci_high), "p_value": _clean(est.p_value), "method": est.method,
           "estimable": bool(est.estimable), "reason": est.reason,
           **{k: _plain(v) for k, v in {**est.extra, **(extra or {})}.items()}}
    if null is not None and direction is not None:
        out["verdict"] = verdict(direction, out["estimate"], out["ci_low"], out["ci_high"], null,
                                 out["estimable"])
        out["observed_direction"] = direction_of(out["estimate"], null)
    return out


def _share_above(study: StudyArrays, entry: Mapping, alpha: float, cache: dict) -> dict:
    values = study.violence[entry["column"]]
    if entry["column"] == "beyond_police_capacity":
        values = values[study.n_contacts > 0]
    return _share_above_counts(entry, {"survivor": {"successes": int(values.sum()),
                                                    "n": int(values.size)}}, alpha)


def _share_above_counts(entry: Mapping, counts: Mapping[str, Mapping[str, int]],
                        alpha: float) -> dict:
    k, n = counts["survivor"]["successes"], counts["survivor"]["n"]
    threshold = float(entry["threshold"])
    est = proportions.proportion(k, n, alpha, null=threshold, alternative="greater")
    level = _level(est, "share", None, None)
    result = share_verdict(level["estimate"], level["ci_low"], threshold)
    observed = "majority" if (level["estimate"] or 0) > threshold else "not a majority"
    return _result({"survivor": level}, "survivor", result, observed,
                   f"{est.extra.get('successes')} of {est.extra.get('n')} survivors")


def initiation_pattern_counts(study: StudyArrays) -> dict[str, int]:
    """Survivors whose police contacts were self-initiated only, external only, or both."""
    n = study.n_participants
    has_self = np.bincount(study.cluster[study.initiator_self], minlength=n) > 0
    has_ext = np.bincount(study.cluster[~study.initiator_self], minlength=n) > 0
    return {"self only": int(np.sum(has_self & ~has_ext)),
            "external only": int(np.sum(~has_self & has_ext)),
            "dual": int(np.sum(has_self & has_ext))}


def _initiation_patterns(study: StudyArrays, entry: Mapping, alpha: float, cache: dict) -> dict:
    return _initiation_pattern_counts(entry, {"survivor": initiation_pattern_counts(study)},
                                      alpha)


def _initiation_pattern_counts(entry: Mapping, counts: Mapping[str, Mapping[str, int]],
                               alpha: float) -> dict:
    counts = dict(counts["survivor"])
    observed = sum(v > 0 for v in counts.values())
    est = Estimate(float(observed), None, None, None,
                   "count of survivor-level initiation patterns observed", extra=counts)
    result = REPRODUCED if observed == 3 else NOT_REPRODUCED
    detail = ", ".join(f"{k}: {v}" for k, v in counts.items())
    return _result({"survivor": _level(est, "count", None, None)}, "survivor", result,
                   "all observed" if observed == 3 else f"{observed} of 3 observed", detail)


def _arrest_inconsistency(study: StudyArrays, entry: Mapping, alpha: float, cache: dict) -> dict:
    arrest = study.outcomes["arrest"]
    per = np.bincount(study.cluster, weights=arrest, minlength=study.n_participants)
    several = study.n_contacts >= 2
    mixed = (per > 0) & (per < study.n_contacts) & several
    return _arrest_inconsistency_counts(
        entry, {"contact": {"successes": int(arrest.sum()), "n": int(arrest.size)},
                "survivor": {"successes": int(mixed.sum()), "n": int(several.sum())}}, alpha)


def _arrest_inconsistency_counts(entry: Mapping, counts: Mapping[str, Mapping[str, int]],
                                 alpha: float) -> dict:
    arrests, contacts = counts["contact"]["successes"], counts["contact"]["n"]
    mixed, several = counts["survivor"]["successes"], counts["survivor"]["n"]
    rate = proportions.proportion(arrests, contacts, alpha)
    share = proportions.proportion(mixed, several, alpha, method="exact")
    inside = rate.estimable and rate.ci_low > 0 and rate.ci_high < 1
    holds = bool(inside and share.estimable and share.ci_low > 0)
    levels = {"contact": _level(rate, "share", None, None),
              "survivor": _level(share, "share", None, None)}
    return _result(levels, "survivor", REPRODUCED if holds else NOT_REPRODUCED,
                   "inconsistent" if holds else "consistent",
                   f"arrest at {arrests} of {contacts} contacts; "
                   f"{mixed} of {several} survivors with two or more "
                   "contacts had both outcomes")


def _universal_share(study: StudyArrays, entry: Mapping, alpha: float, cache: dict) -> dict:
    used = study.n_strategies > 0
    return _universal_share_counts(
        entry, {"survivor": {"successes": int(used.sum()), "n": int(used.size)}}, alpha)


def _universal_share_counts(entry: Mapping, counts: Mapping[str, Mapping[str, int]],
                            alpha: float) -> dict:
    k, n = counts["survivor"]["successes"], counts["survivor"]["n"]
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


def within_survivor_signs(study: StudyArrays, exposure: str, outcome: str) -> tuple[int, int]:
    """Survivor-level signs of a within-survivor association: (positive, negative) counts.

    For a 0/1 exposure (who called, injury), each survivor with contacts of
    both kinds contributes the sign of (outcome rate with exposure) minus
    (rate without). For earlier calls, each survivor with both outcomes
    contributes the sign of (mean earlier calls at outcome contacts) minus
    (at the others). Ties contribute nothing.
    """
    n = study.n_participants
    x = study.predictors[exposure]
    y = study.outcomes[outcome]
    if exposure == "prior_calls":
        split, value = y > 0, x
    else:
        split, value = x > 0, y
    c1 = np.bincount(study.cluster, weights=split.astype(float), minlength=n)
    c0 = np.bincount(study.cluster, weights=(~split).astype(float), minlength=n)
    s1 = np.bincount(study.cluster, weights=value * split, minlength=n)
    s0 = np.bincount(study.cluster, weights=value * ~split, minlength=n)
    both = (c1 > 0) & (c0 > 0)
    diff = np.divide(s1, c1, out=np.zeros(n), where=c1 > 0) - np.divide(
        s0, c0, out=np.zeros(n), where=c0 > 0)
    return int(np.sum(both & (diff > 1e-12))), int(np.sum(both & (diff < -1e-12)))


def _fit(study: StudyArrays, entry: Mapping, alpha: float, cache: dict) -> gee.ModelFit:
    spec = MODELS[entry["model"]]
    if spec.id not in cache:
        terms = spec.terms(cache.get("extra"))
        X = np.column_stack([study.predictors[p] for p in terms])
        cache[spec.id] = gee.gee_logit(study.outcomes[spec.outcome], X, study.cluster, terms,
                                       alpha, cache["covariance"])
    return cache[spec.id]


def survivor_contrast(study: StudyArrays, contrast: str, outcome: str, how: str,
                      alpha: float = 0.05) -> Estimate:
    """A survivor-level 0/1 summary compared between the groups of a contrast.

    The estimate is the difference in the share of survivors (exposed minus
    reference) with Newcombe's hybrid score interval
    (:func:`analysis.stats.proportions.newcombe_difference`); the p-value is
    Fisher's exact test on the survivor-level 2x2 table.
    """
    exposed, reference = study.groups(contrast)
    summary = study.per_survivor(study.outcomes[outcome], how)
    counts = {"exposed_yes": int(np.sum(summary & exposed)), "exposed_n": int(exposed.sum()),
              "reference_yes": int(np.sum(summary & reference)),
              "reference_n": int(reference.sum())}
    return survivor_contrast_counts(counts, how, alpha)


def survivor_contrast_counts(counts: Mapping[str, int], how: str, alpha: float = 0.05,
                             test: bool = True) -> Estimate:
    """:func:`survivor_contrast` from its four counts (``exposed_yes``, ``exposed_n``, ...).

    ``test=False`` leaves out Fisher's p-value (the verdict does not use it).
    """
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


def _association(study: StudyArrays, entry: Mapping, alpha: float, cache: dict) -> dict:
    direction = entry["direction"]
    if "contrast" in entry:
        contact = contact_contrast(study, entry["contrast"], entry["outcome"], alpha)
        survivor = survivor_contrast(study, entry["contrast"], entry["outcome"],
                                     entry["survivor_outcome"], alpha)
        levels = {"contact": _level(contact, "risk_difference", 0.0, direction),
                  "survivor": _level(survivor, "risk_difference", 0.0, direction)}
    else:
        fit = _fit(study, entry, alpha, cache)
        est = fit.terms[entry["exposure"]]
        others = {kind: {"ci_low": _clean(t[entry["exposure"]].ci_low),
                         "ci_high": _clean(t[entry["exposure"]].ci_high),
                         "p_value": _clean(t[entry["exposure"]].p_value)}
                  for kind, t in fit.by_covariance.items()}
        contact = Estimate(est.estimate, est.ci_low, est.ci_high, est.p_value, est.method,
                           est.estimable, est.reason or fit.reason, est.extra)
        positive, negative = within_survivor_signs(study, entry["exposure"], entry["outcome"])
        survivor = exact.sign_test(positive, negative, alpha)
        levels = {"contact": _level(contact, "odds_ratio", 1.0, direction,
                                    {"by_covariance": others, "n_contacts": fit.n_obs,
                                     "n_survivors": fit.n_clusters}),
                  "survivor": _level(survivor, "share", 0.5, direction)}
    primary = entry["primary_level"]
    chosen = levels[primary]
    observed = chosen.get("observed_direction", "undetermined")
    detail = chosen["reason"] or f"primary level: {primary}"
    return _result(levels, primary, chosen["verdict"], observed, detail)


#: The statistics whose claim-level verdict follows from counts alone, and how.
FROM_COUNTS: dict[str, Callable[[Mapping, Mapping[str, Mapping[str, int]], float], dict]] = {
    "share_above": _share_above_counts,
    "initiation_patterns": _initiation_pattern_counts,
    "arrest_inconsistency": _arrest_inconsistency_counts,
    "universal_share": _universal_share_counts,
}


def outcomes_from_counts(entry: Mapping[str, Any], counts: Mapping[str, Mapping[str, int]],
                         alpha: float = 0.05) -> dict[str, Any]:
    """A claim's verdicts and directions computed from its published count fields alone.

    ``counts`` maps a level to its count fields (as in claims.json). Returns
    ``{"claim": (verdict, observed), "levels": {level: (verdict, direction)}}``
    with ``None`` for what counts alone do not decide: a model-based level
    (clustered models, cluster-robust risk differences), and a claim whose
    primary level is one. The same functions compute the verdicts of
    :func:`evaluate_claims`, so the two cannot disagree.
    """
    statistic = entry["statistic"]
    if statistic in FROM_COUNTS:
        outcome = FROM_COUNTS[statistic](entry, counts, alpha)
        levels = {name: (level.get("verdict"), level.get("observed_direction"))
                  for name, level in outcome["levels"].items()}
        return {"claim": (outcome["verdict"], outcome["observed"]), "levels": levels}
    direction = entry["direction"]
    levels: dict[str, tuple[str | None, str | None]] = {"contact": (None, None)}
    survivor = counts.get("survivor", {})
    if "contrast" in entry:
        est = survivor_contrast_counts(survivor, entry["survivor_outcome"], alpha, test=False)
        level = _level(est, "risk_difference", 0.0, direction)
    else:
        level = _level(exact.sign_test(survivor["positive"], survivor["negative"], alpha),
                       "share", 0.5, direction)
    levels["survivor"] = (level["verdict"], level["observed_direction"])
    return {"claim": levels[entry["primary_level"]], "levels": levels}


def _result(levels: dict[str, dict], primary: str, result: str, observed: str,
            detail: str) -> dict:
    return {"levels": levels, "primary_level": primary, "verdict": result, "observed": observed,
            "detail": detail}


STATISTICS: dict[str, Callable[[StudyArrays, Mapping, float, dict], dict]] = {
    "share_above": _share_above,
    "initiation_patterns": _initiation_patterns,
    "association": _association,
    "arrest_inconsistency": _arrest_inconsistency,
    "universal_share": _universal_share,
}


def _clean(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def evaluate_claims(tables: Mapping[str, pd.DataFrame] | StudyArrays,
                    registry: list[dict[str, Any]], alpha: float = 0.05,
                    extra_covariates: Mapping[str, Sequence[str]] | None = None,
                    covariance: str | None = None) -> list[dict[str, Any]]:
    """Evaluate every claim of ``registry`` on one study.

    Returns
    -------
    list of dict
        Per claim: the registry's description (``id``, ``finding``,
        ``statement``, ``source_words``, ``abstract_direction``, ``direction``,
        ``reading``, ``estimand``, ``family``), ``levels`` (each level's
        estimate, interval, p-value, method and, for associations, its own
        verdict), the ``primary_level`` and its numbers at the top level
        (``kind``, ``estimate``, ``ci_low``, ``ci_high``, ``p_value``,
        ``method``), ``p_value_holm`` within its family, ``verdict`` (one of
        :data:`VERDICTS`), ``reproduced`` (true only for ``reproduced``),
        ``observed_direction``, ``reading_consistent`` (two-sided claims: does
        the primary estimate point the way of our reading?), ``estimable``
        and ``reason``.

    ``extra_covariates`` maps an outcome (``"arrest"``) to covariates added to
    every adjusted clustered model of that outcome; ``covariance`` is the
    clustered models' covariance (default: the registry's setting).
    """
    study = tables if isinstance(tables, StudyArrays) else StudyArrays.from_tables(tables)
    covariance = covariance or registry_settings()["gee_covariance"]
    cache: dict = {"extra": extra_covariates or {}, "covariance": covariance}
    results = []
    for entry in registry:
        outcome = STATISTICS[entry["statistic"]](study, entry, alpha, cache)
        primary = outcome["levels"][outcome["primary_level"]]
        result = outcome["verdict"]
        reading = entry.get("reading")
        results.append({
            "id": entry["id"],
            "finding": entry["finding"],
            "statement": entry["statement"],
            "source_words": entry["source_words"],
            "abstract_direction": entry["abstract_direction"],
            "direction": entry["direction"],
            "expected_direction": entry["direction"],
            "reading": reading,
            "estimand": entry["estimand"],
            "family": entry.get("family"),
            "primary_level": outcome["primary_level"],
            "method_id": primary_method(entry, covariance),
            "kind": primary["kind"],
            "method": primary["method"],
            "estimate": primary["estimate"],
            "ci_low": primary["ci_low"],
            "ci_high": primary["ci_high"],
            "p_value": primary["p_value"],
            "levels": outcome["levels"],
            "observed_direction": outcome["observed"],
            "reading_consistent": (None if reading is None
                                   else outcome["observed"] == reading),
            "verdict": result,
            "reproduced": result == REPRODUCED,
            "estimable": bool(primary["estimable"]),
            "reason": f"{entry['rule']}: {result} ({outcome['detail']})",
        })
    families: dict[str, list[int]] = {}
    for i, entry in enumerate(registry):
        if entry.get("family"):
            families.setdefault(entry["family"], []).append(i)
    for result in results:
        result["p_value_holm"] = result["p_value"] if not result["family"] else None
    for members in families.values():
        adjusted = exact.holm([results[i]["p_value"] for i in members])
        for i, p in zip(members, adjusted, strict=True):
            results[i]["p_value_holm"] = p
    for result in results:
        p = result["p_value"]
        result["significant"] = None if p is None else bool(p < alpha)
    return results


def verdict_counts(results: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How many claims reached each verdict."""
    return {v: sum(r["verdict"] == v for r in results) for v in VERDICTS}


__all__ = ["INCONCLUSIVE", "LEVELS", "NOT_REPRODUCED", "REPRODUCED", "VERDICTS",
           "RegistryError", "check_registry", "direction_of", "evaluate_claims",
           "initiation_pattern_counts", "load_registry", "not_estimable", "outcomes_from_counts",
           "registry_settings", "share_verdict", "survivor_contrast_counts", "verdict",
           "verdict_counts"]
