"""A study's columns as numpy arrays: what the estimators and the claims read.

Built once per study from its tables; the robustness study builds one per
replication. Each police contact (a row of the incidents table) is a row;
``cluster`` maps each contact to its survivor (0 .. n_participants - 1, in
participants-table order).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.study.variables import (
    CONTRASTS,
    OUTCOMES,
    PREDICTORS,
    SURVIVOR_INDICATORS,
    StudyTables,
    contact_columns,
    summarise,
)


@dataclass(frozen=True)
class StudyArrays:
    """The columns the analysis uses, as numpy arrays.

    ``outcomes`` and ``predictors`` hold the contact variables of
    :mod:`analysis.study.variables` (as floats), ``indicators`` its survivor
    indicators.
    """

    cluster: np.ndarray          # per contact: her survivor's index
    race: np.ndarray             # race/ethnicity label per survivor
    outcomes: dict[str, np.ndarray]
    predictors: dict[str, np.ndarray]
    initiator_self: np.ndarray   # bool per contact
    n_participants: int
    indicators: dict[str, np.ndarray]
    n_contacts: np.ndarray

    def groups(self, contrast: str) -> tuple[np.ndarray, np.ndarray]:
        """Per survivor: (exposed, reference) masks of a contrast of :data:`CONTRASTS`.

        Survivors of colour versus White survivors, or Black survivors versus
        all others.
        """
        if contrast not in CONTRASTS:
            raise ValueError(f"unknown contrast '{contrast}'; allowed: {', '.join(CONTRASTS)}")
        return CONTRASTS[contrast].masks(self.race)

    def per_survivor(self, values: np.ndarray, how: str = "ever") -> np.ndarray:
        """A contact-level 0/1 column summarised per survivor (see :data:`SUMMARIES`)."""
        counts = np.bincount(self.cluster, weights=values, minlength=self.n_participants)
        return summarise(counts, self.n_contacts, how)

    @classmethod
    def from_tables(cls, tables: Mapping[str, pd.DataFrame]) -> StudyArrays:
        """One study's arrays from its tables (each variable as its declaration derives it)."""
        participants = tables["participants"]
        ids = pd.Index(participants["participant_id"])
        view = StudyTables(tables)
        return cls(
            cluster=view.cluster,
            race=participants["race_ethnicity"].to_numpy().astype(str),
            outcomes=contact_columns(OUTCOMES, lambda v: v.one(view)),
            predictors=contact_columns(PREDICTORS, lambda v: v.one(view)),
            initiator_self=view.contact("initiator") == "self",
            n_participants=len(ids),
            indicators={name: np.asarray(v.one(tables, ids)).astype(np.int64)
                        for name, v in SURVIVOR_INDICATORS.items()},
            n_contacts=participants["n_police_contacts"].to_numpy(),
        )
