"""A study's columns as numpy arrays: what the estimators and the claims read.

Built once per study from its tables; the robustness study builds one per
replication. Contacts (incidents) are rows; ``cluster`` maps each contact to
its survivor (0 .. n_participants - 1, in participants-table order).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.study.vocabulary import REFERENCE_RACE

#: Contact-level 0/1 outcomes a model or risk difference may use.
OUTCOMES: tuple[str, ...] = ("any_practice", "arrest", "self_initiated", "treated_poorly",
                             "outcome_as_wanted")
#: Survivor-level contrasts of the race claims: name -> description (exposed vs reference).
CONTRASTS: dict[str, str] = {
    "colour_vs_white": "survivors of colour versus White survivors",
    "black_vs_others": "Black survivors versus all other survivors",
}
#: How a contact-level 0/1 outcome is summarised per survivor: at least one of her
#: contacts, most of them (more than half), or all of them.
SUMMARIES: tuple[str, ...] = ("ever", "most", "always")


def summarise(counts: np.ndarray, contacts: np.ndarray, how: str) -> np.ndarray:
    """Per survivor: her number of contacts with the outcome, summarised (:data:`SUMMARIES`)."""
    if how == "ever":
        return counts > 0
    if how == "most":
        return 2 * counts > contacts
    if how == "always":
        return (counts == contacts) & (contacts > 0)
    raise ValueError(f"unknown survivor summary '{how}'; allowed: {', '.join(SUMMARIES)}")


#: Contact-level predictors a clustered model may use.
PREDICTORS: tuple[str, ...] = ("external_initiation", "visible_injury", "prior_calls", "black",
                               "treated_poorly", "children_in_home")


@dataclass(frozen=True)
class StudyArrays:
    """The columns the analysis uses, as numpy arrays."""

    cluster: np.ndarray          # participant index per incident
    black_incident: np.ndarray   # 0/1 per incident
    race: np.ndarray             # race/ethnicity label per survivor
    outcomes: dict[str, np.ndarray]
    predictors: dict[str, np.ndarray]
    initiator_self: np.ndarray   # bool per incident
    n_participants: int
    violence: dict[str, np.ndarray]
    n_strategies: np.ndarray
    n_contacts: np.ndarray

    @property
    def black_survivor(self) -> np.ndarray:
        """Per survivor: True for Black survivors."""
        return self.race == "Black"

    def groups(self, contrast: str) -> tuple[np.ndarray, np.ndarray]:
        """Per survivor: (exposed, reference) masks of a contrast of :data:`CONTRASTS`.

        Survivors of colour versus White survivors, or Black survivors versus
        all others.
        """
        if contrast == "colour_vs_white":
            white = self.race == REFERENCE_RACE
            return ~white, white
        if contrast == "black_vs_others":
            black = self.race == "Black"
            return black, ~black
        raise ValueError(f"unknown contrast '{contrast}'; allowed: {', '.join(CONTRASTS)}")

    def per_survivor(self, values: np.ndarray, how: str = "ever") -> np.ndarray:
        """A contact-level 0/1 column summarised per survivor (see :data:`SUMMARIES`)."""
        counts = np.bincount(self.cluster, weights=values, minlength=self.n_participants)
        return summarise(counts, self.n_contacts, how)

    @classmethod
    def from_tables(cls, tables: Mapping[str, pd.DataFrame]) -> StudyArrays:
        participants = tables["participants"]
        incidents = tables["incidents"]
        ids = pd.Index(participants["participant_id"])
        cluster = ids.get_indexer(incidents["participant_id"])
        black_p = (participants["race_ethnicity"].to_numpy() == "Black").astype(float)
        initiator_self = incidents["initiator"].to_numpy() == "self"
        black = black_p[cluster]
        outcomes = {
            "any_practice": incidents["any_practice"].to_numpy(dtype=float),
            "arrest": incidents["arrest"].to_numpy(dtype=float),
            "self_initiated": initiator_self.astype(float),
            "treated_poorly": incidents["treated_poorly"].to_numpy(dtype=float),
            "outcome_as_wanted": incidents["outcome_as_wanted"].to_numpy(dtype=float),
        }
        predictors = {
            "external_initiation": (~initiator_self).astype(float),
            "visible_injury": incidents["visible_injury"].to_numpy(dtype=float),
            "prior_calls": incidents["prior_calls"].to_numpy(dtype=float),
            "black": black,
            "treated_poorly": incidents["treated_poorly"].to_numpy(dtype=float),
            "children_in_home": participants["children_in_home"].to_numpy(dtype=float)[cluster],
        }
        violence = tables["violence"].set_index("participant_id").reindex(ids)
        strategies = tables["strategies"].set_index("participant_id").reindex(ids)
        return cls(
            cluster=cluster,
            black_incident=black,
            race=participants["race_ethnicity"].to_numpy().astype(str),
            outcomes=outcomes,
            predictors=predictors,
            initiator_self=initiator_self,
            n_participants=len(ids),
            violence={c: violence[c].to_numpy() for c in violence.columns},
            n_strategies=strategies["n_strategies"].to_numpy(),
            n_contacts=participants["n_police_contacts"].to_numpy(),
        )
