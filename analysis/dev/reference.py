"""The replication loop a user would write without the batch engine (benchmark only).

For each replication: one study's contacts as a data frame, a statsmodels
formula GEE per clustered model (logit, exchangeable, the robust and the
bias-reduced covariance), a cluster-robust linear model per race risk
difference, scipy's Fisher and binomial tests and statsmodels' proportion
intervals for the survivor-level statistics. It computes what
:func:`analysis.steps.batch.evaluate_batch` computes for every claim of the
registry, in the way the statsmodels and scipy documentation shows, so that
``make bench`` can time both on the same replications. The studies come from
the batch generator, so both sides see the same data and only the evaluation
differs.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.stats.models import MODELS
from analysis.study.arrays import StudyArrays


def _frame(arrays: StudyArrays) -> pd.DataFrame:
    frame = pd.DataFrame({**arrays.outcomes, **arrays.predictors})
    frame["survivor"] = arrays.cluster
    return frame


def _association(arrays: StudyArrays, frame: pd.DataFrame, entry: Mapping[str, Any],
                 fits: dict, extra: Mapping[str, Sequence[str]]) -> list[float]:
    import statsmodels.api as sm
    import statsmodels.formula.api as smf
    from scipy import stats

    if "contrast" in entry:
        exposed, reference = arrays.groups(entry["contrast"])
        frame = frame.assign(exposed=exposed[arrays.cluster].astype(float))
        rd = smf.ols(f"{entry['outcome']} ~ exposed", frame).fit(
            cov_type="cluster", cov_kwds={"groups": frame["survivor"]})
        summary = arrays.per_survivor(arrays.outcomes[entry["outcome"]],
                                      entry["survivor_outcome"])
        table = [[int((summary & exposed).sum()), int((~summary & exposed).sum())],
                 [int((summary & reference).sum()), int((~summary & reference).sum())]]
        return [float(rd.params["exposed"]), float(stats.fisher_exact(table).pvalue)]
    spec = MODELS[entry["model"]]
    if spec.id not in fits:
        formula = f"{spec.outcome} ~ " + " + ".join(spec.terms(extra))
        model = smf.gee(formula, "survivor", frame, family=sm.families.Binomial(),
                        cov_struct=sm.cov_struct.Exchangeable())
        fits[spec.id] = [model.fit(cov_type=c) for c in ("robust", "bias_reduced")]
    out = [float(fit.conf_int().loc[entry["exposure"]].iloc[0]) for fit in fits[spec.id]]
    x = arrays.predictors[entry["exposure"]]
    y = arrays.outcomes[entry["outcome"]]
    signs = []
    for s in range(arrays.n_participants):
        rows = arrays.cluster == s
        high, low = y[rows & (x > 0)], y[rows & (x <= 0)]
        if high.size and low.size and high.mean() != low.mean():
            signs.append(high.mean() > low.mean())
    if signs:
        out.append(float(stats.binomtest(int(sum(signs)), len(signs)).pvalue))
    return out


def _share(arrays: StudyArrays, entry: Mapping[str, Any]) -> list[float]:
    from statsmodels.stats.proportion import proportion_confint

    column = {"share_above": lambda: arrays.violence[entry["column"]],
              "universal_share": lambda: (arrays.n_strategies > 0).astype(int),
              "arrest_inconsistency": lambda: arrays.outcomes["arrest"]}[entry["statistic"]]()
    low, high = proportion_confint(int(np.sum(column)), len(column), method="wilson")
    return [float(low), float(high)]


def evaluate_reference(arrays: StudyArrays, registry: Sequence[Mapping[str, Any]],
                       extra: Mapping[str, Sequence[str]] | None = None) -> list[float]:
    """Every claim of ``registry`` for one study, the statsmodels and scipy way.

    Returns the computed numbers (interval bounds and p-values) in registry
    order; the benchmark keeps them so that nothing is optimised away.
    """
    frame = _frame(arrays)
    fits: dict = {}
    values: list[float] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # separation and convergence warnings at n = 24
        for entry in registry:
            if entry["statistic"] == "association":
                values += _association(arrays, frame, entry, fits, extra or {})
            elif entry["statistic"] != "initiation_patterns":
                values += _share(arrays, entry)
    return values
