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

from analysis.stats import batched
from analysis.stats.exact import holm
from analysis.stats.gee import ModelFit
from analysis.stats.models import MODELS
from analysis.stats.power import fisher_detectable_share
from analysis.steps.claims import load_registry, registry_settings
from analysis.steps.statistics import fit_model, survivor_contrast
from analysis.study.arrays import StudyArrays
from analysis.study.variables import CONTACT_VARIABLES, CONTRASTS, SUMMARIES


def batched_difference(study: StudyArrays, terms: Sequence[str], outcome: str,
                       fit: ModelFit) -> float | None:
    """Largest absolute difference in log-odds between the fit and the batched engine's.

    The robustness and simulation studies fit every model with
    :func:`analysis.stats.batched.gee_exchangeable`; this says how closely it
    reproduces statsmodels' fit on this study (None where it cannot fit it).
    """
    order = np.argsort(study.cluster, kind="stable")
    design = np.column_stack([np.ones(study.cluster.size)]
                             + [study.predictors[p] for p in terms])[order]
    _, cluster = np.unique(study.cluster[order], return_inverse=True)
    many = batched.gee_exchangeable(study.outcomes[outcome][order], design, cluster,
                                    np.zeros(int(cluster.max()) + 1, dtype=np.intp), 1)
    if not many.estimable[0]:
        return None
    return float(np.max(np.abs(many.params[0] - fit.params)))


def model_table(study: StudyArrays, alpha: float = 0.05,
                extra_covariates: Mapping[str, Sequence[str]] | None = None,
                fits: Mapping[str, ModelFit] | None = None) -> pd.DataFrame:
    """Every model of :data:`MODELS`: odds ratios, intervals, p-values, and a cross-check.

    The cross-check fits each model again with the batched engine and records
    the largest absolute difference in log-odds from statsmodels' fit.
    """
    covariance = registry_settings()["gee_covariance"]
    rows = []
    for spec in MODELS.values():
        terms = spec.terms(extra_covariates)
        fit = (fits or {}).get(spec.id) or fit_model(study, spec.id, alpha, extra_covariates,
                                                     covariance)
        check = batched_difference(study, terms, spec.outcome, fit) if fit.estimable else None
        for term in terms:
            est = fit.terms[term]
            rows.append({
                "model": spec.label, "model_id": spec.id, "outcome": spec.outcome, "term": term,
                "odds_ratio": est.estimate, "ci_low": est.ci_low, "ci_high": est.ci_high,
                "p_value": est.p_value, "log_odds": est.extra.get("log_odds"),
                "se": est.extra.get("se"), "rho": est.extra.get("rho"),
                "n_contacts": fit.n_obs, "n_survivors": fit.n_clusters,
                "estimable": fit.estimable, "reason": fit.reason,
                "batched_max_abs_diff": check, "method": fit.method,
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


def survivor_level_tests(study: StudyArrays, alpha: float = 0.05,
                         registry: Sequence[Mapping[str, Any]] | None = None) -> pd.DataFrame:
    """The survivor level of every race claim: both contrasts, Holm-adjusted per contrast.

    One row per claim of the registry with a ``contrast`` (survivors of colour
    versus White survivors, Black survivors versus all others): the share of
    each group with the outcome (as the claim summarises it per survivor),
    their difference with Newcombe's interval and Fisher's exact test
    (:func:`analysis.steps.claims.survivor_contrast`, the claims' survivor level).
    """
    entries = [e for e in (registry or load_registry()) if "contrast" in e]
    rows = []
    for entry in entries:
        contrast, outcome, how = entry["contrast"], entry["outcome"], entry["survivor_outcome"]
        est = survivor_contrast(study, contrast, outcome, how, alpha)
        x = est.extra
        rows.append({"claim": entry["id"], "contrast": contrast,
                     "contrast_label": CONTRASTS[contrast].description, "outcome": outcome,
                     "summary": how,
                     "label": f"{CONTACT_VARIABLES[outcome].outcome_words.capitalize()} "
                              f"{SUMMARIES[how].words}",
                     "exposed_yes": x["exposed_yes"], "exposed_n": x["exposed_n"],
                     "reference_yes": x["reference_yes"], "reference_n": x["reference_n"],
                     "difference": est.estimate, "ci_low": est.ci_low, "ci_high": est.ci_high,
                     "p_value": est.p_value, "estimable": est.estimable, "reason": est.reason})
    frame = pd.DataFrame(rows)
    frame["p_holm"] = np.nan
    for contrast in CONTRASTS:
        mask = frame["contrast"] == contrast
        adjusted = holm([None if pd.isna(p) else p for p in frame.loc[mask, "p_value"]])
        frame.loc[mask, "p_holm"] = [np.nan if p is None else p for p in adjusted]
    return frame


def power_statement(study: StudyArrays, alpha: float = 0.05) -> dict[str, Any]:
    """What an exact survivor-level comparison of this sample's groups can detect.

    For each contrast, the share the exposed group must reach, against 1/2 in
    the reference group, for an exact Fisher test at ``alpha`` to find it with
    80% power (enumerated exactly, no normal approximation).
    """
    out: dict[str, Any] = {}
    for contrast in CONTRASTS:
        exposed, reference = study.groups(contrast)
        out[contrast] = fisher_detectable_share(int(exposed.sum()), int(reference.sum()), 0.5,
                                                0.8, alpha)
    return out


def run_inference(study: StudyArrays, alpha: float = 0.05,
                  extra_covariates: Mapping[str, Sequence[str]] | None = None,
                  threshold: int = 1, covariance: str | None = None) -> dict[str, Any]:
    """Every output of the inference step: model table, fits, survivor tests and power.

    ``threshold`` is the small-cell threshold of a restricted build (1 otherwise);
    ``covariance`` the clustered models' covariance (default: the registry's).
    """
    covariance = covariance or registry_settings()["gee_covariance"]
    fits = {spec.id: fit_model(study, spec.id, alpha, extra_covariates, covariance)
            for spec in MODELS.values()}
    return {
        "models": model_table(study, alpha, extra_covariates, fits),
        "fits": model_fits(study, fits, extra_covariates, threshold),
        "survivor_tests": survivor_level_tests(study, alpha),
        "power": power_statement(study, alpha),
    }
