"""The inference step: clustered models, survivor-level exact tests, the power statement.

:func:`model_table` fits every model of :data:`analysis.stats.models.MODELS`
and cross-checks each fit against statsmodels' own GEE; :func:`model_fits`
keeps each fit's coefficients and covariance, so that figures draw fitted
curves without refitting; :func:`survivor_level_tests` compares Black and
other survivors with Fisher's exact test; :func:`power_statement` says what
a study of this composition can detect.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.stats.exact import fisher_exact_2x2, holm, two_by_two
from analysis.stats.gee import ModelFit, gee_logit
from analysis.stats.models import MODELS, ModelSpec
from analysis.stats.power import minimum_detectable_difference
from analysis.study.arrays import StudyArrays


def fit_model(study: StudyArrays, spec: ModelSpec, alpha: float = 0.05,
              extra_covariates: Mapping[str, Sequence[str]] | None = None) -> ModelFit:
    """Fit one model specification to a study (configured extra covariates included)."""
    terms = spec.terms(extra_covariates)
    X = np.column_stack([study.predictors[p] for p in terms])
    return gee_logit(study.outcomes[spec.outcome], X, study.cluster, terms, alpha)


def _statsmodels_difference(study: StudyArrays, spec: ModelSpec, terms: Sequence[str],
                            fit: ModelFit) -> float:
    """Largest absolute difference in log-odds between our fit and statsmodels' GEE."""
    from statsmodels.genmod import families
    from statsmodels.genmod.cov_struct import Exchangeable
    from statsmodels.genmod.generalized_estimating_equations import GEE

    X = np.column_stack([study.predictors[p] for p in terms])
    y = study.outcomes[spec.outcome]
    design = np.column_stack([np.ones(len(y)), X])
    reference = GEE(y, design, groups=study.cluster, family=families.Binomial(),
                    cov_struct=Exchangeable()).fit()
    return float(np.max(np.abs(np.asarray(reference.params) - fit.params)))


def model_table(study: StudyArrays, alpha: float = 0.05,
                extra_covariates: Mapping[str, Sequence[str]] | None = None,
                fits: Mapping[str, ModelFit] | None = None) -> pd.DataFrame:
    """Every model of :data:`MODELS`: odds ratios, intervals, p-values, and a cross-check.

    The cross-check refits each model with statsmodels' own GEE and records the
    largest absolute difference in log-odds from the array-based fit.
    """
    rows = []
    for spec in MODELS.values():
        terms = spec.terms(extra_covariates)
        fit = (fits or {}).get(spec.id) or fit_model(study, spec, alpha, extra_covariates)
        check = _statsmodels_difference(study, spec, terms, fit) if fit.estimable else None
        for term in terms:
            est = fit.terms[term]
            rows.append({
                "model": spec.label, "model_id": spec.id, "outcome": spec.outcome, "term": term,
                "odds_ratio": est.estimate, "ci_low": est.ci_low, "ci_high": est.ci_high,
                "p_value": est.p_value, "log_odds": est.extra.get("log_odds"),
                "se": est.extra.get("se"), "rho": est.extra.get("rho"),
                "n_contacts": fit.n_obs, "n_survivors": fit.n_clusters,
                "estimable": fit.estimable, "reason": fit.reason,
                "statsmodels_max_abs_diff": check, "method": fit.method,
            })
    return pd.DataFrame(rows)


def reached(values: np.ndarray, threshold: int = 1) -> int:
    """The largest k that at least ``threshold`` of ``values`` reach (``values >= k``).

    With ``threshold`` 1 this is the maximum; a restricted build passes its
    small-cell threshold, so that no display range reveals a single contact.
    """
    values = np.asarray(values)
    top = int(values.max()) if values.size else 0
    return max((k for k in range(top + 1) if np.sum(values >= k) >= threshold), default=0)


def model_fits(study: StudyArrays, fits: Mapping[str, ModelFit],
               extra_covariates: Mapping[str, Sequence[str]] | None = None,
               threshold: int = 1) -> dict[str, dict[str, Any]]:
    """Each fitted model's terms, coefficients, covariance and covariate means.

    What a figure needs to draw predictions with pointwise bands: the design
    order (intercept first), the small-sample-corrected covariance, the degrees
    of freedom of the t reference, each term's mean over contacts and, for a
    count predictor, the largest value at least ``threshold`` contacts reach
    (``reach``), where a figure's prediction range stops.
    """
    out: dict[str, dict[str, Any]] = {}
    for spec in MODELS.values():
        fit = fits[spec.id]
        terms = list(spec.terms(extra_covariates))
        entry: dict[str, Any] = {"outcome": spec.outcome, "terms": terms,
                                 "estimable": fit.estimable, "reason": fit.reason,
                                 "n_contacts": fit.n_obs, "n_survivors": fit.n_clusters,
                                 "means": {p: float(np.mean(study.predictors[p])) for p in terms},
                                 "reach": {p: reached(study.predictors[p], threshold)
                                           for p in terms
                                           if not set(np.unique(study.predictors[p])) <= {0, 1}}}
        if fit.estimable:
            entry.update(params=[float(v) for v in fit.params],
                         cov=[[float(v) for v in row] for row in fit.cov],
                         df=int(fit.terms[terms[0]].extra["df"]))
        out[spec.id] = entry
    return out


#: Survivor-level outcomes: ever at any of her contacts.
SURVIVOR_OUTCOMES: dict[str, str] = {
    "self_initiated": "Self-initiated at least one contact",
    "any_practice": "Any safety practice at least once",
    "arrest": "Partner arrested at least once",
}


def survivor_level_tests(study: StudyArrays, alpha: float = 0.05) -> pd.DataFrame:
    """Fisher exact tests at survivor level, Black versus other survivors, Holm-adjusted.

    Outcomes: self-initiated at least one contact; received any safety practice
    at least once; partner arrested at least once.
    """
    n = study.n_participants
    black = study.black_survivor
    rows = []
    for outcome, label in SURVIVOR_OUTCOMES.items():
        ever = np.bincount(study.cluster, weights=study.outcomes[outcome], minlength=n) > 0
        table = two_by_two(ever, black)
        est = fisher_exact_2x2(table, alpha=alpha)
        rows.append({"outcome": outcome, "label": label,
                     "black_yes": int(table[0, 0]), "black_n": int(table[0].sum()),
                     "other_yes": int(table[1, 0]), "other_n": int(table[1].sum()),
                     "odds_ratio": est.estimate, "ci_low": est.ci_low, "ci_high": est.ci_high,
                     "p_value": est.p_value, "estimable": est.estimable, "reason": est.reason})
    frame = pd.DataFrame(rows)
    frame["p_holm"] = holm([None if pd.isna(p) else p for p in frame["p_value"]])
    return frame


def power_statement(study: StudyArrays, alpha: float = 0.05) -> dict[str, Any]:
    """The smallest difference between Black and other survivors this sample can detect.

    Not estimable, with the reason, when a group is empty or too small for any
    difference to reach the power (:func:`minimum_detectable_difference`).
    """
    n_black = int(study.black_survivor.sum())
    return minimum_detectable_difference(n_black, study.n_participants - n_black, alpha=alpha)


def run_inference(study: StudyArrays, alpha: float = 0.05,
                  extra_covariates: Mapping[str, Sequence[str]] | None = None,
                  threshold: int = 1) -> dict[str, Any]:
    """Every output of the inference step: model table, fits, survivor tests and power.

    ``threshold`` is the small-cell threshold of a restricted build (1 otherwise).
    """
    fits = {spec.id: fit_model(study, spec, alpha, extra_covariates) for spec in MODELS.values()}
    return {
        "models": model_table(study, alpha, extra_covariates, fits),
        "fits": model_fits(study, fits, extra_covariates, threshold),
        "survivor_tests": survivor_level_tests(study, alpha),
        "power": power_statement(study, alpha),
    }
