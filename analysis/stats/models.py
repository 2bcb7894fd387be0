"""The clustered models of the analysis: one specification each, written once.

The inference step fits every model here for the model table, and the claims
registry (``analysis/steps/claims.yaml``) names a model by its ``id`` and a
term of it. ``adjusted`` models also take the configured extra covariates of
their outcome (configuration key ``arrest_model_extra_covariates``); the
unadjusted model never does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelSpec:
    """A participant-clustered logistic model of one contact-level outcome.

    Attributes
    ----------
    id
        Stable name: the key of the model in ``values.yml`` and in the registry.
    outcome
        Contact-level 0/1 outcome (:data:`analysis.study.arrays.OUTCOMES`).
    predictors
        Terms, in design-matrix order (:data:`analysis.study.arrays.PREDICTORS`).
    label
        How the model table names the model.
    adjusted
        Whether configured extra covariates of ``outcome`` are added.
    """

    id: str
    outcome: str
    predictors: tuple[str, ...]
    label: str
    adjusted: bool = True

    def terms(self, extra: Mapping[str, Sequence[str]] | None = None) -> tuple[str, ...]:
        """The predictors plus, for an adjusted model, the extra covariates of its outcome."""
        if not self.adjusted:
            return self.predictors
        added = [p for p in (extra or {}).get(self.outcome, []) if p not in self.predictors]
        return self.predictors + tuple(added)


#: Every model, in the order of the model table.
MODELS: dict[str, ModelSpec] = {spec.id: spec for spec in (
    ModelSpec("any_practice_unadj", "any_practice", ("external_initiation",),
              "Any safety practice (unadjusted)", adjusted=False),
    ModelSpec("any_practice_adj", "any_practice", ("external_initiation", "black"),
              "Any safety practice"),
    ModelSpec("arrest_adj", "arrest", ("visible_injury", "prior_calls", "black"), "Arrest"),
    ModelSpec("treated_poorly_adj", "treated_poorly", ("external_initiation", "black"),
              "Treated poorly"),
)}
