"""The synthetic study: a documented, seeded data-generating model.

Every row this module produces is synthetic. The model encodes the directions
the study reports (Nnawulezi et al., 2021) so that the analysis can be checked
for recovering them; it says nothing about real survivors.

Model: the linear predictors of every contact-level outcome are in
:mod:`analysis.study.model` (shared with the batch generator of the robustness
and simulation studies). A scenario (``config['scenarios']``) overrides parts
of the configuration and multiplies every association by its effect
multiplier (published 1, null 0, reversed -1; contrary -1 with every
descriptive pattern absent).

* participants: exact race/ethnicity composition (largest-remainder scaling of
  the configured counts), age ~ Normal(mean, sd) rounded and clipped, children
  in the home ~ Bernoulli, relationship status ~ Categorical, number of police
  contacts k_i = min(contacts_min + Poisson(contacts_mean - contacts_min), contacts_max)
  (:func:`analysis.study.model.contact_counts`).
* survivor random intercepts ~ Normal(0, random_intercept_sd), one per outcome.
* incidents j = 1..k_i: earlier calls = b_i + (j - 1) with b_i ~ Poisson;
  who called, visible injury, each safety practice, poor treatment, arrest,
  whether she wanted an arrest and whether the outcome was the one she
  wanted; perceived change in safety: ordinal logistic on self-initiation,
  poor treatment and whether the arrest outcome was the one she wanted.
* violence and informal strategies: independent Bernoulli indicators per
  survivor (``strategies.min_per_survivor`` forces a minimum; 0 by default).
* qualitative layer (:mod:`analysis.study.interviews`): coder A applies each
  code to a case exactly when the case's synthetic data contain what the code
  describes; each answer gets a style and an ambiguity score; coder B departs
  from coder A where coding is hard (ambiguous excerpts, confusable codes),
  with ``qualitative.coder_disagreement_rate`` the expected share of case-code
  cells on which they differ. Interviews are written from the phrase grammar
  in ``resources/interview_grammar.yaml`` and each survivor's record.

Randomness: one master seed; each table draws from its own
``numpy.random.Generator`` seeded by ``SeedSequence(seed, spawn_key=(k,))``
with a fixed ``k`` per table, so adding a column to one table leaves every
other table's values unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.config import effect, scenario_config
from analysis.study.interviews import (
    answer_styles,
    code_presence,
    codebook_table,
    second_coder,
    write_interviews,
)
from analysis.study.model import (
    INTERCEPTS,
    Coefficients,
    allocate,
    contact_counts,
    contact_rate,
    expit,
)
from analysis.study.vocabulary import (
    EXTERNAL_INITIATORS,
    FORMS,
    PARTICIPANT_ID_PREFIX,
    PRACTICE_COLUMNS,
    PRACTICES,
    RACE_CATEGORIES,
    RELATIONSHIP,
    SAFETY_CHANGE,
    STRATEGIES,
    slug,
)

#: Fixed sub-stream keys: one independent generator per table.
STREAMS: dict[str, int] = {
    "participants": 1,
    "incidents": 2,
    "violence": 3,
    "strategies": 4,
    "coding": 5,
    "excerpts": 6,
    "answers": 7,
}


def stream(seed: int, name: str) -> np.random.Generator:
    """The independent random generator of one table."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(STREAMS[name],)))


def participant_ids(n: int) -> np.ndarray:
    """Zero-padded ids ``SYN-01``, ``SYN-02``, ... that sort in numeric order and say synthetic."""
    width = max(2, len(str(n)))
    return np.array([f"{PARTICIPANT_ID_PREFIX}{i:0{width}d}" for i in range(1, n + 1)],
                    dtype=object)


@dataclass(frozen=True)
class StudyData:
    """The tables of one synthetic study."""

    tables: dict[str, pd.DataFrame]
    coder_a: np.ndarray | None  # cases x codes, 0/1
    coder_b: np.ndarray | None

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def generate_participants(config: Mapping[str, Any], rng: np.random.Generator) -> pd.DataFrame:
    """Survivor-level table: demographics and number of police contacts."""
    n = int(config["n_participants"])
    sample = config["sample"]
    counts = allocate({r: sample["race_ethnicity"][r] for r in RACE_CATEGORIES}, n)
    race = np.repeat(np.array(list(counts), dtype=object), list(counts.values()))
    race = race[rng.permutation(n)]
    age = np.clip(np.rint(rng.normal(sample["age_mean"], sample["age_sd"], n)),
                  sample["age_min"], sample["age_max"]).astype(np.int64)
    children = (rng.random(n) < sample["p_children_in_home"]).astype(np.int64)
    statuses = list(RELATIONSHIP)
    shares = np.array([sample["relationship_status"][s] for s in statuses], dtype=float)
    status = np.array(statuses, dtype=object)[rng.choice(len(statuses), size=n, p=shares)]
    contacts = contact_counts(sample, rng.poisson(contact_rate(sample), n))
    return pd.DataFrame({
        "participant_id": participant_ids(n),
        "age": age,
        "race_ethnicity": race,
        "children_in_home": children,
        "relationship_status": status,
        "n_police_contacts": contacts.astype(np.int64),
    })


def generate_incidents(config: Mapping[str, Any], participants: pd.DataFrame,
                       rng: np.random.Generator, multiplier: float = 1.0) -> pd.DataFrame:
    """One row per police intervention a survivor described (model: :mod:`analysis.study.model`)."""
    coef = Coefficients.from_config(config, multiplier)
    n = len(participants)
    k = participants["n_police_contacts"].to_numpy()
    owner = np.repeat(np.arange(n), k)
    total = int(k.sum())
    starts = np.repeat(np.cumsum(k) - k, k)
    seq = np.arange(total) - starts + 1
    w = coef.weights(participants["race_ethnicity"].to_numpy())[owner]
    children = participants["children_in_home"].to_numpy()[owner]
    together = (participants["relationship_status"].to_numpy() == "together").astype(float)[owner]

    u = {name: rng.normal(0.0, coef.random_sd, n)[owner] for name in INTERCEPTS}
    earlier = rng.poisson(config["sample"]["prior_calls_before_first"], n)[owner] + seq - 1

    is_self = rng.random(total) < coef.p_self(w, u["initiation"])
    ext_choice = rng.choice(len(EXTERNAL_INITIATORS), size=total, p=coef.external_shares)
    initiator = np.where(is_self, "self", np.array(EXTERNAL_INITIATORS, dtype=object)[ext_choice])
    external = (~is_self).astype(float)

    injury = (rng.random(total) < coef.injury_probability).astype(float)

    engagement = rng.normal(0.0, coef.practice_sd, total)
    with np.errstate(over="ignore"):
        p_practice = expit(coef.practice_logits(external, w, u["practices"], engagement,
                                                children))
    practice = rng.random((total, len(PRACTICES))) < p_practice

    treated_poorly = rng.random(total) < coef.p_poor(external, w, u["poor"])
    arrest = rng.random(total) < coef.p_arrest(injury, earlier, w, u["arrest"])
    wanted = rng.random(total) < coef.p_wish(is_self.astype(float), injury, together, u["wish"])
    as_wanted = arrest == wanted

    sc = config["model"]["safety_change"]
    latent = (effect(sc["self_initiated"], multiplier) * is_self
              + effect(sc["treated_poorly"], multiplier) * treated_poorly
              + effect(sc["outcome_as_wanted"], multiplier) * as_wanted
              + rng.logistic(0.0, 1.0, total))
    level = np.searchsorted([sc["cut_worse_unchanged"], sc["cut_unchanged_better"]], latent)
    safety_change = np.array(SAFETY_CHANGE, dtype=object)[level]

    frame = pd.DataFrame({
        "participant_id": participants["participant_id"].to_numpy()[owner],
        "incident_seq": seq.astype(np.int64),
        "prior_calls": earlier.astype(np.int64),
        "initiator": initiator,
        "visible_injury": injury.astype(np.int64),
    })
    for j, column in enumerate(PRACTICE_COLUMNS):
        frame[column] = practice[:, j].astype(np.int64)
    frame["any_practice"] = practice.any(axis=1).astype(np.int64)
    frame["treated_poorly"] = treated_poorly.astype(np.int64)
    frame["arrest"] = arrest.astype(np.int64)
    frame["wanted_arrest"] = wanted.astype(np.int64)
    frame["outcome_as_wanted"] = as_wanted.astype(np.int64)
    frame["safety_change"] = safety_change
    return frame


def generate_violence(config: Mapping[str, Any], participants: pd.DataFrame,
                      rng: np.random.Generator) -> pd.DataFrame:
    """Per survivor: the pattern of violence and the forms she described."""
    n = len(participants)
    vio = config["violence"]
    frame = pd.DataFrame({"participant_id": participants["participant_id"].to_numpy()})
    frame["ongoing_strategic"] = (rng.random(n) < vio["p_ongoing_strategic"]).astype(np.int64)
    frame["beyond_police_capacity"] = (
        rng.random(n) < vio["p_beyond_police_capacity"]).astype(np.int64)
    draws = rng.random((n, len(FORMS)))
    for j, label in enumerate(FORMS):
        frame[slug(label)] = (draws[:, j] < vio["forms"][label]).astype(np.int64)
    return frame


def generate_strategies(config: Mapping[str, Any], participants: pd.DataFrame,
                        rng: np.random.Generator) -> pd.DataFrame:
    """Per survivor: the informal safety strategies she used.

    Strategies are independent Bernoulli draws; a survivor with fewer than
    ``min_per_survivor`` gets further strategies drawn in proportion to their
    prevalence until she has that many.
    """
    n = len(participants)
    strat = config["strategies"]
    labels = list(STRATEGIES)
    p = np.array([strat["prevalence"][s] for s in labels], dtype=float)
    used = rng.random((n, len(labels))) < p[None, :]
    for _ in range(int(strat["min_per_survivor"])):
        short = np.flatnonzero(used.sum(axis=1) < strat["min_per_survivor"])
        if short.size == 0:
            break
        weight = np.where(used[short], 0.0, np.maximum(p, 1e-9)[None, :])
        # Weighted choice per row without replacement: argmax of u ** (1 / w).
        keys = rng.random(weight.shape) ** (1.0 / np.where(weight > 0, weight, np.inf))
        keys[weight == 0] = -1.0
        used[short, np.argmax(keys, axis=1)] = True
    frame = pd.DataFrame({"participant_id": participants["participant_id"].to_numpy()})
    for j, label in enumerate(labels):
        frame[slug(label)] = used[:, j].astype(np.int64)
    frame["n_strategies"] = used.sum(axis=1).astype(np.int64)
    return frame


def generate_study(config: Mapping[str, Any], seed: int | None = None,
                   interviews: bool = True, coding: bool = True,
                   multiplier: float | None = None) -> StudyData:
    """Generate every table of the synthetic study.

    Parameters
    ----------
    config
        A validated configuration (:func:`analysis.config.load_config`).
    seed
        Master seed; defaults to ``config['seed']``. The robustness study
        passes one derived seed per replication.
    interviews
        Also write transcripts, excerpts and code applications (text). The
        scale benchmark turns this off and keeps the coders' matrices only.
    coding
        Also code the cases (both coders' matrices; needs the ``qualitative``
        section of the configuration).
    multiplier
        Effect multiplier of every association; defaults to the scenario's
        (``config['scenarios'][config['scenario']]``), whose overrides apply
        either way.

    Returns
    -------
    StudyData
        Tables ``participants``, ``incidents``, ``violence``, ``strategies``,
        ``qual_codebook`` and, with ``interviews``, ``transcripts``,
        ``excerpts``, ``code_applications``; plus both coders' case-by-code
        matrices (None without ``coding``).
    """
    seed = int(config["seed"] if seed is None else seed)
    config, scenario_multiplier = scenario_config(config)
    multiplier = scenario_multiplier if multiplier is None else float(multiplier)
    participants = generate_participants(config, stream(seed, "participants"))
    incidents = generate_incidents(config, participants, stream(seed, "incidents"), multiplier)
    violence = generate_violence(config, participants, stream(seed, "violence"))
    strategies = generate_strategies(config, participants, stream(seed, "strategies"))
    tables = {
        "participants": participants,
        "incidents": incidents,
        "violence": violence,
        "strategies": strategies,
        "qual_codebook": codebook_table(),
    }
    if not coding:
        return StudyData(tables=tables, coder_a=None, coder_b=None)
    coder_a = code_presence(participants, incidents, violence, strategies)
    styles = answer_styles(coder_a, participants, incidents, stream(seed, "answers"))
    coder_b = second_coder(coder_a, styles.ambiguity,
                           config["qualitative"]["coder_disagreement_rate"],
                           stream(seed, "coding"))
    if interviews:
        transcripts, excerpts, applications = write_interviews(
            tables, coder_a, coder_b, styles, stream(seed, "excerpts"))
        tables.update(transcripts=transcripts, excerpts=excerpts, code_applications=applications)
    return StudyData(tables=tables, coder_a=coder_a, coder_b=coder_b)
