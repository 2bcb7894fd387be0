"""Many synthetic studies at once: only the columns the claims need, as flat arrays.

The robustness and simulation studies regenerate the study thousands of
times. :func:`generate_batch` draws a batch of studies of ``n`` survivors each
as one table of ``B * n`` survivors with a study index (and one table of their
contacts), from the model of :mod:`analysis.study.model`, the same linear
predictors the one-study generator uses. Only what the claims read is drawn:
race, children and relationship (for the wish model), the number of contacts,
the violence and any informal strategy per survivor; who called, visible
injury, earlier calls, any safety practice (drawn directly from the
probability that at least one practice happens, given the contact's shared
engagement term), poor treatment, arrest and whether she wanted one per
contact.

Randomness: replication ``r`` of a cell draws from its own generator
(:func:`replication_rng`), always the same fixed-size blocks of numbers, so a
study's data do not depend on which batch, shard or core computes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.study.arrays import StudyArrays
from analysis.study.model import (
    INTERCEPTS,
    Coefficients,
    allocate,
    contact_counts,
    contact_rate,
    expit,
)
from analysis.study.variables import (
    OUTCOMES,
    PREDICTORS,
    SURVIVOR_INDICATORS,
    ContactVariable,
    contact_columns,
)
from analysis.study.vocabulary import RACE_CATEGORIES, STRATEGIES

#: Uniform draws per survivor: children, together, ongoing, beyond, any strategy.
SURVIVOR_UNIFORMS = 5
#: Uniform draws per possible contact: self, which outsider, injury, practice, poor, arrest, wish.
CONTACT_UNIFORMS = 7


def replication_rng(master: int, cell: Sequence[int], replication: int) -> np.random.Generator:
    """The generator of one replication: ``SeedSequence(master, spawn_key=(*cell, r))``."""
    return np.random.default_rng(np.random.SeedSequence(
        master, spawn_key=(*map(int, cell), int(replication))))


@dataclass(frozen=True)
class StudyBatch:
    """``B`` studies of ``n`` survivors: survivor arrays of length B*n, contact arrays of length C.

    Survivors of study b are rows ``b*n .. b*n + n - 1``; ``cluster`` maps each
    contact to its survivor row and ``study`` to its study. Contacts are
    ordered by study, then survivor, then sequence.
    """

    B: int
    n: int
    race: np.ndarray            # survivor: index into RACE_CATEGORIES
    children: np.ndarray        # survivor: 0/1
    n_contacts: np.ndarray      # survivor
    ongoing: np.ndarray         # survivor: 0/1
    beyond: np.ndarray          # survivor: 0/1
    any_strategy: np.ndarray    # survivor: 0/1
    cluster: np.ndarray         # contact: survivor row
    study: np.ndarray           # contact: study
    self_initiated: np.ndarray  # contact: 0/1 (float)
    visible_injury: np.ndarray
    prior_calls: np.ndarray
    any_practice: np.ndarray
    treated_poorly: np.ndarray
    arrest: np.ndarray
    wanted_arrest: np.ndarray

    @property
    def survivor_study(self) -> np.ndarray:
        return np.repeat(np.arange(self.B), self.n)

    @property
    def race_labels(self) -> np.ndarray:
        """Per survivor: her race/ethnicity label."""
        return np.array(RACE_CATEGORIES, dtype=object)[self.race].astype(str)

    def study_arrays(self, b: int) -> StudyArrays:
        """Study ``b`` as the :class:`~analysis.study.arrays.StudyArrays` of the one-study path."""
        rows = slice(b * self.n, (b + 1) * self.n)
        contacts = self.study == b

        def values(variable: ContactVariable) -> np.ndarray:
            return variable.many(self)[contacts]

        return StudyArrays(
            cluster=self.cluster[contacts] - b * self.n, race=self.race_labels[rows],
            outcomes=contact_columns(OUTCOMES, values),
            predictors=contact_columns(PREDICTORS, values),
            initiator_self=self.self_initiated[contacts] > 0, n_participants=self.n,
            indicators={name: np.asarray(v.many(self))[rows].astype(np.int64)
                        for name, v in SURVIVOR_INDICATORS.items()},
            n_contacts=self.n_contacts[rows])


def generate_batch(config: Mapping[str, Any], multiplier: float, n: int,
                   rngs: Sequence[np.random.Generator]) -> StudyBatch:
    """Draw one study of ``n`` survivors from each generator in ``rngs``.

    ``config`` is the configuration after the scenario's overrides
    (:func:`analysis.config.scenario_config`); ``multiplier`` scales every
    association.
    """
    coef = Coefficients.from_config(config, multiplier)
    sample = config["sample"]
    B = len(rngs)
    counts = allocate({r: sample["race_ethnicity"][r] for r in RACE_CATEGORIES}, n)
    race_one = np.repeat(np.arange(len(RACE_CATEGORIES)), [counts[r] for r in RACE_CATEGORIES])
    hi = int(sample["contacts_max"])
    lam = np.array([[contact_rate(sample)], [sample["prior_calls_before_first"]]])
    per = n * hi
    normals = np.empty((B, len(INTERCEPTS) * n + per))
    uniforms = np.empty((B, SURVIVOR_UNIFORMS * n + CONTACT_UNIFORMS * per))
    poissons = np.empty((B, 2, n), dtype=np.int64)
    for b, rng in enumerate(rngs):
        normals[b] = rng.standard_normal(normals.shape[1])
        uniforms[b] = rng.random(uniforms.shape[1])
        poissons[b] = rng.poisson(lam, (2, n))

    survivor_u = uniforms[:, :SURVIVOR_UNIFORMS * n].reshape(B, SURVIVOR_UNIFORMS, n)
    race = np.tile(race_one, B)
    w = coef.weights(np.array(RACE_CATEGORIES, dtype=object)[race])
    children = (survivor_u[:, 0] < sample["p_children_in_home"]).ravel()
    together = (survivor_u[:, 1] < sample["relationship_status"]["together"]).ravel()
    vio = config["violence"]
    ongoing = (survivor_u[:, 2] < vio["p_ongoing_strategic"]).ravel()
    beyond = (survivor_u[:, 3] < vio["p_beyond_police_capacity"]).ravel()
    strat = config["strategies"]
    p_none = float(np.prod([1.0 - strat["prevalence"][s] for s in STRATEGIES]))
    any_strategy = ((survivor_u[:, 4] >= p_none) | (strat["min_per_survivor"] > 0)).ravel()
    k = contact_counts(sample, poissons[:, 0]).ravel()
    base_calls = poissons[:, 1].ravel()

    # Contacts: the first k_i of each survivor's hi possible draws.
    slot = np.arange(hi)
    used = (slot[None, :] < k[:, None])                      # (B*n, hi)
    cluster = np.repeat(np.arange(B * n), k)
    seq = np.broadcast_to(slot, used.shape)[used]
    pick = np.flatnonzero(used.ravel())                      # index into (B*n*hi)
    study_of_pick = pick // per
    within = pick % per

    def contact_uniform(j: int) -> np.ndarray:
        block = uniforms[:, SURVIVOR_UNIFORMS * n + j * per:SURVIVOR_UNIFORMS * n + (j + 1) * per]
        return block[study_of_pick, within]

    survivor_normals = normals[:, :len(INTERCEPTS) * n].reshape(B, len(INTERCEPTS), n)
    u = {name: (survivor_normals[:, i].ravel() * coef.random_sd)[cluster]
         for i, name in enumerate(INTERCEPTS)}
    engagement = normals[:, len(INTERCEPTS) * n:][study_of_pick, within] * coef.practice_sd
    wc = w[cluster]
    is_self = contact_uniform(0) < coef.p_self(wc, u["initiation"])
    external = (~is_self).astype(float)
    injury = (contact_uniform(2) < coef.injury_probability).astype(float)
    prior = (base_calls[cluster] + seq).astype(float)
    with np.errstate(over="ignore"):
        p_practice = expit(coef.practice_logits(external, wc, u["practices"], engagement,
                                                children[cluster]))
    p_any = 1.0 - np.prod(1.0 - p_practice, axis=1)
    any_practice = contact_uniform(3) < p_any
    poor = contact_uniform(4) < coef.p_poor(external, wc, u["poor"])
    arrest = contact_uniform(5) < coef.p_arrest(injury, prior, wc, u["arrest"])
    wanted = contact_uniform(6) < coef.p_wish(is_self.astype(float), injury,
                                             together[cluster].astype(float), u["wish"])
    return StudyBatch(
        B=B, n=n, race=race, children=children.astype(np.int8), n_contacts=k,
        ongoing=ongoing.astype(np.int8), beyond=beyond.astype(np.int8),
        any_strategy=any_strategy.astype(np.int8), cluster=cluster,
        study=cluster // n, self_initiated=is_self.astype(float), visible_injury=injury,
        prior_calls=prior, any_practice=any_practice.astype(float),
        treated_poorly=poor.astype(float), arrest=arrest.astype(float),
        wanted_arrest=wanted.astype(float))
