"""The claims registry and its evaluation.

:func:`load_registry` reads and checks ``claims.yaml``; :func:`evaluate_claims`
computes, for one study, every claim's estimate, interval, p-value, observed
direction and verdict. The robustness study calls the same function for every
replication, so claims.json and the robustness shares cannot disagree about
what "reproduced" means.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.stats import exact, gee, proportions, risk
from analysis.stats.estimate import Estimate
from analysis.stats.models import MODELS
from analysis.study.arrays import OUTCOMES, StudyArrays

REGISTRY_PATH = Path(__file__).resolve().parent / "claims.yaml"

#: Expected directions and patterns a registry entry may name.
DIRECTIONS = ("majority", "all_observed", "positive", "negative", "inconsistent", "universal")
REQUIRED_KEYS = ("id", "statement", "source", "data", "statistic", "expected", "rule")


class RegistryError(ValueError):
    """A registry entry is malformed; the message names the claim, key and value."""


def load_registry(path: Path = REGISTRY_PATH) -> list[dict[str, Any]]:
    """Read the registry and check every entry.

    Raises
    ------
    RegistryError
        An entry misses a key, names an unknown statistic, direction, outcome or
        predictor, or repeats an id.
    """
    import yaml

    with open(path, encoding="utf-8") as fh:
        entries = (yaml.safe_load(fh) or {}).get("claims", [])
    check_registry(entries)
    return entries


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
        stat = entry["statistic"]
        if stat not in STATISTICS:
            raise RegistryError(f"claim {cid}: key 'statistic' has value {stat!r}; allowed: "
                                + ", ".join(sorted(STATISTICS)))
        if entry["expected"] not in DIRECTIONS:
            raise RegistryError(f"claim {cid}: key 'expected' has value {entry['expected']!r}; "
                                "allowed: " + ", ".join(DIRECTIONS))
        if stat == "risk_difference":
            if entry.get("outcome") not in OUTCOMES:
                raise RegistryError(f"claim {cid}: key 'outcome' has value "
                                    f"{entry.get('outcome')!r}; allowed: " + ", ".join(OUTCOMES))
        if stat in ("gee_odds_ratio", "risk_difference"):
            if entry["expected"] not in ("positive", "negative"):
                raise RegistryError(f"claim {cid}: key 'expected' has value "
                                    f"{entry['expected']!r}; allowed for {stat}: "
                                    "positive, negative")
        if stat == "gee_odds_ratio":
            if entry.get("model") not in MODELS:
                raise RegistryError(f"claim {cid}: key 'model' has value {entry.get('model')!r}; "
                                    "allowed: " + ", ".join(MODELS))
            predictors = MODELS[entry["model"]].predictors
            if entry.get("term") not in predictors:
                raise RegistryError(f"claim {cid}: key 'term' has value {entry.get('term')!r}; "
                                    "allowed: a predictor of model " + entry["model"] + " ("
                                    + ", ".join(predictors) + ")")
        if stat == "majority_share" and entry.get("column") not in (
                "ongoing_strategic", "beyond_police_capacity"):
            raise RegistryError(f"claim {cid}: key 'column' has value {entry.get('column')!r}; "
                                "allowed: ongoing_strategic, beyond_police_capacity")


# --- statistics -----------------------------------------------------------------

def _majority_share(study: StudyArrays, entry: Mapping, alpha: float, cache: dict) -> dict:
    values = study.violence[entry["column"]]
    if entry["column"] == "beyond_police_capacity":
        values = values[study.n_contacts > 0]
    est = proportions.proportion(int(values.sum()), int(values.size), alpha, null=0.5,
                           alternative="greater")
    holds = est.estimable and est.estimate > 0.5
    return _result(est, holds, "majority" if holds else "not a majority",
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
    counts = initiation_pattern_counts(study)
    observed = sum(v > 0 for v in counts.values())
    est = Estimate(float(observed), None, None, None,
                   "count of survivor-level initiation patterns observed", extra=counts)
    detail = ", ".join(f"{k}: {v}" for k, v in counts.items())
    return _result(est, observed == 3, "all observed" if observed == 3 else
                   f"{observed} of 3 observed", detail)


def _fit(study: StudyArrays, entry: Mapping, alpha: float, cache: dict) -> gee.ModelFit:
    spec = MODELS[entry["model"]]
    if spec.id not in cache:
        terms = spec.terms(cache.get("extra"))
        X = np.column_stack([study.predictors[p] for p in terms])
        cache[spec.id] = gee.gee_logit(study.outcomes[spec.outcome], X, study.cluster, terms,
                                       alpha)
    return cache[spec.id]


def _direction(value: float | None, neutral: float) -> str:
    if value is None or not np.isfinite(value):
        return "undetermined"
    if value > neutral:
        return "positive"
    if value < neutral:
        return "negative"
    return "none"


def _gee_odds_ratio(study: StudyArrays, entry: Mapping, alpha: float, cache: dict) -> dict:
    fit = _fit(study, entry, alpha, cache)
    est = fit.terms[entry["term"]]
    if not est.estimable:
        fallback = _exact_fallback(study, entry)
        observed = _table_direction(fallback.extra.get("table"))
        holds = observed == entry["expected"]
        return _result(fallback, holds, observed,
                       f"clustered model not estimable ({fit.reason}); {fallback.method}"
                       + ("" if fallback.estimable else f" not estimable ({fallback.reason})"))
    observed = _direction(est.estimate, 1.0)
    return _result(est, observed == entry["expected"], observed,
                   f"{fit.n_obs} contacts, {fit.n_clusters} survivors")


def _table_direction(table: list[list[int]] | None) -> str:
    """Direction of association in a 2x2 table, defined even when a cell is zero.

    ``a d > b c`` is a positive association (odds ratio above 1, possibly
    infinite); equal cross-products mean none; no table means undetermined.
    """
    if table is None:
        return "undetermined"
    (a, b), (c, d) = table
    if min(a + b, c + d, a + c, b + d) == 0:
        return "undetermined"
    return "positive" if a * d > b * c else "negative" if a * d < b * c else "none"


def _exact_fallback(study: StudyArrays, entry: Mapping) -> Estimate:
    """Fisher's exact test on the incident-level 2x2 table (ignores clustering)."""
    exposure = study.predictors[entry["term"]]
    if entry["term"] == "prior_calls":
        exposure = exposure > np.median(exposure)
    table = exact.two_by_two(study.outcomes[MODELS[entry["model"]].outcome], exposure)
    est = exact.fisher_exact_2x2(table)
    method = ("fallback: " + est.method + " on contacts"
              + (", earlier calls above the median" if entry["term"] == "prior_calls" else "")
              + ", ignoring clustering")
    return Estimate(est.estimate, est.ci_low, est.ci_high, est.p_value, method, est.estimable,
                    est.reason, {"table": table.tolist()})


def _arrest_inconsistency(study: StudyArrays, entry: Mapping, alpha: float, cache: dict) -> dict:
    arrest = study.outcomes["arrest"]
    est = proportions.proportion(int(arrest.sum()), int(arrest.size), alpha)
    per = np.bincount(study.cluster, weights=arrest, minlength=study.n_participants)
    mixed = int(np.sum((per > 0) & (per < study.n_contacts)))
    between = est.estimable and 0 < est.estimate < 1
    holds = bool(between and mixed > 0)
    est = Estimate(est.estimate, est.ci_low, est.ci_high, None,
                   "arrest rate over contacts (Wilson interval) and survivors with mixed outcomes",
                   extra={**est.extra, "survivors_mixed": mixed})
    return _result(est, holds, "inconsistent" if holds else "consistent",
                   f"{mixed} survivors had both an arrest and a non-arrest contact")


def _risk_difference(study: StudyArrays, entry: Mapping, alpha: float, cache: dict) -> dict:
    est = risk.cluster_risk_difference(study.outcomes[entry["outcome"]],
                                        study.black_incident.astype(bool), study.cluster, alpha)
    observed = _direction(est.estimate, 0.0) if est.estimable else "undetermined"
    detail = est.reason or (
        f"Black survivors {est.extra['risk_exposed']:.0%} vs other survivors "
        f"{est.extra['risk_unexposed']:.0%} of contacts")
    return _result(est, est.estimable and observed == entry["expected"], observed, detail)


def _universal_share(study: StudyArrays, entry: Mapping, alpha: float, cache: dict) -> dict:
    used = study.n_strategies > 0
    est = proportions.proportion(int(used.sum()), int(used.size), alpha, method="exact")
    holds = est.estimable and used.all()
    return _result(est, bool(holds), "universal" if holds else "not universal",
                   f"{int(used.sum())} of {used.size} survivors")


def _result(est: Estimate, holds: bool, observed: str, detail: str) -> dict:
    return {"estimate": est, "reproduced": bool(holds), "observed": observed, "detail": detail}


#: The kind of estimate each statistic reports (claims.json ``kind``): how it is printed.
KINDS: dict[str, str] = {
    "majority_share": "share",
    "initiation_patterns": "count",
    "gee_odds_ratio": "odds_ratio",
    "arrest_inconsistency": "share",
    "risk_difference": "risk_difference",
    "universal_share": "share",
}

STATISTICS: dict[str, Callable[[StudyArrays, Mapping, float, dict], dict]] = {
    "majority_share": _majority_share,
    "initiation_patterns": _initiation_patterns,
    "gee_odds_ratio": _gee_odds_ratio,
    "arrest_inconsistency": _arrest_inconsistency,
    "risk_difference": _risk_difference,
    "universal_share": _universal_share,
}


def _clean(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None


def evaluate_claims(tables: Mapping[str, pd.DataFrame] | StudyArrays,
                    registry: list[dict[str, Any]], alpha: float = 0.05,
                    extra_covariates: Mapping[str, Sequence[str]] | None = None
                    ) -> list[dict[str, Any]]:
    """Evaluate every claim of ``registry`` on one study.

    Returns
    -------
    list of dict
        Per claim: ``id``, ``statement``, ``method``, ``estimate``, ``ci_low``,
        ``ci_high``, ``p_value``, ``p_value_holm`` (within its family),
        ``significant`` (p < alpha, None where no test applies),
        ``expected_direction``, ``observed_direction``, ``reproduced``,
        ``estimable`` and ``reason``.

    ``extra_covariates`` maps an outcome (``"arrest"``) to covariates added to
    every clustered model of that outcome (configuration key
    ``arrest_model_extra_covariates``).
    """
    study = tables if isinstance(tables, StudyArrays) else StudyArrays.from_tables(tables)
    cache: dict = {"extra": extra_covariates or {}}
    results = []
    for entry in registry:
        outcome = STATISTICS[entry["statistic"]](study, entry, alpha, cache)
        est: Estimate = outcome["estimate"]
        reason = f"{entry['rule']}: {'holds' if outcome['reproduced'] else 'does not hold'}"
        reason += f" ({outcome['detail']})"
        results.append({
            "id": entry["id"],
            "statement": entry["statement"],
            "kind": KINDS[entry["statistic"]],
            "method": est.method,
            "estimate": _clean(est.estimate),
            "ci_low": _clean(est.ci_low),
            "ci_high": _clean(est.ci_high),
            "p_value": _clean(est.p_value),
            "expected_direction": entry["expected"],
            "observed_direction": outcome["observed"],
            "reproduced": outcome["reproduced"],
            "estimable": bool(est.estimable),
            "reason": reason,
            "family": entry.get("family"),
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
