"""The synthetic study: a documented, seeded data-generating model.

Every row this module produces is synthetic. The model encodes the directions
the study reports (Nnawulezi et al., 2021) so that the analysis can be checked
for recovering them; it says nothing about real survivors.

Model (all coefficients on the log-odds scale, from ``config['model']``; each
association is multiplied by 1, 0 or -1 under the ``published``, ``null`` and
``reversed`` scenarios):

* participants: exact race/ethnicity composition (largest-remainder scaling of
  the configured counts), age ~ Normal(mean, sd) rounded and clipped, children
  in the home ~ Bernoulli, relationship status ~ Categorical, number of police
  contacts k_i = min(contacts_min + Poisson(contacts_mean - contacts_min), max).
* survivor random intercepts u_i ~ Normal(0, random_intercept_sd), drawn
  separately for initiation, practices, treatment and arrest.
* incidents j = 1..k_i: earlier calls = b_i + (j - 1) with b_i ~ Poisson;
  logit P(self-initiated) = a0 + a_black * Black + u_i;
  external initiators drawn from the configured shares;
  visible injury ~ Bernoulli;
  logit P(practice p) = c_p + b_ext * external + b_black * Black + u_i + v_ij,
  with v_ij ~ Normal(0, incident_sd) shared by the practices of one contact;
  logit P(treated poorly) = e0 + e_black * Black + e_ext * external + u_i;
  logit P(arrest) = d0 + d_inj * injury + d_prior * earlier calls + d_black * Black + u_i;
  perceived change in safety: ordinal logistic on self-initiation, poor
  treatment and whether the arrest outcome was the one the survivor wanted.
* violence and informal strategies: independent Bernoulli indicators per
  survivor; at least ``strategies.min_per_survivor`` strategies each.
* qualitative layer: coder A applies each code to a case exactly when the
  case's synthetic data contain what the code describes; coder B departs from
  coder A independently per case and code with probability
  ``qualitative.coder_disagreement_rate``. Excerpts are written from the
  templates in ``resources/qualitative_codebook.yaml``.

Randomness: one master seed; each table draws from its own
``numpy.random.Generator`` seeded by ``SeedSequence(seed, spawn_key=(k,))``
with a fixed ``k`` per table, so adding a column to one table leaves every
other table's values unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from analysis.config import effect

RESOURCES = Path(__file__).resolve().parent / "resources"

RACE_CATEGORIES: tuple[str, ...] = ("Black", "White", "Latina", "Multiracial/other")
INITIATORS: tuple[str, ...] = ("self", "neighbour", "stranger", "family/friend")
EXTERNAL_INITIATORS: tuple[str, ...] = INITIATORS[1:]
SAFETY_CHANGE: tuple[str, ...] = ("worse", "unchanged", "better")
RELATIONSHIP: tuple[str, ...] = ("together", "separated", "former partner")
FORMS: tuple[str, ...] = ("physical", "coercive control", "monitoring/stalking", "threats",
                          "economic", "through the children", "sexual")
STRATEGIES: tuple[str, ...] = ("staying with family or friends", "hiding keys or money",
                               "documenting abuse", "safety plan with children",
                               "code word with neighbours", "avoiding triggers",
                               "leaving temporarily")
# Categories are always drawn in these fixed orders, never in the order a
# configuration file happens to list them, so reordering keys in config.yaml
# (or serialising it with sorted keys) cannot change the data.

#: Safety practices that officer guidance expects at every IPV call, with labels.
PRACTICES: dict[str, str] = {
    "separate_parties": "Separating the parties",
    "risk_assessment": "Risk assessment",
    "advocacy_referral": "Referral to advocacy, shelter or hotline",
    "safety_planning": "Safety planning",
    "protective_order_info": "Information on protective orders",
    "check_children": "Checking on children",
    "follow_up": "Follow-up contact",
}
PRACTICE_COLUMNS: tuple[str, ...] = tuple(f"practice_{p}" for p in PRACTICES)

#: Fixed sub-stream keys: one independent generator per table.
STREAMS: dict[str, int] = {
    "participants": 1,
    "incidents": 2,
    "violence": 3,
    "strategies": 4,
    "coding": 5,
    "excerpts": 6,
}


def slug(label: str) -> str:
    """Column name for a configured label: ``'coercive control'`` -> ``'coercive_control'``."""
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


def stream(seed: int, name: str) -> np.random.Generator:
    """The independent random generator of one table."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(STREAMS[name],)))


def expit(x: np.ndarray) -> np.ndarray:
    """Logistic function."""
    return 1.0 / (1.0 + np.exp(-x))


def allocate(counts: Mapping[str, int], n: int) -> dict[str, int]:
    """Scale category counts to total ``n`` by the largest-remainder method.

    Exact when ``n`` equals the configured total; ties in remainders are broken
    by the configured order, so the result is deterministic.

    >>> allocate({"a": 11, "b": 7, "c": 4, "d": 2}, 48)
    {'a': 22, 'b': 14, 'c': 8, 'd': 4}
    """
    names = list(counts)
    raw = np.array([counts[k] for k in names], dtype=float)
    quota = raw / raw.sum() * n
    base = np.floor(quota).astype(int)
    remainder = n - int(base.sum())
    order = sorted(range(len(names)), key=lambda i: (-(quota[i] - base[i]), i))
    for i in order[:remainder]:
        base[i] += 1
    return {name: int(b) for name, b in zip(names, base, strict=True)}


def participant_ids(n: int) -> np.ndarray:
    """Zero-padded ids ``P01``, ``P02``, ... that sort in numeric order."""
    width = max(2, len(str(n)))
    return np.array([f"P{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


@dataclass(frozen=True)
class StudyData:
    """The tables of one synthetic study."""

    tables: dict[str, pd.DataFrame]
    coder_a: np.ndarray  # cases x codes, 0/1
    coder_b: np.ndarray

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]


@lru_cache(maxsize=1)
def qualitative_codebook() -> dict[str, Any]:
    """Themes and codes (with definitions and excerpt templates) of the qualitative layer."""
    with open(RESOURCES / "qualitative_codebook.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


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
    lo, hi = int(sample["contacts_min"]), int(sample["contacts_max"])
    contacts = np.minimum(lo + rng.poisson(max(sample["contacts_mean"] - lo, 0.0), n), hi)
    return pd.DataFrame({
        "participant_id": participant_ids(n),
        "age": age,
        "race_ethnicity": race,
        "children_in_home": children,
        "relationship_status": status,
        "n_police_contacts": contacts.astype(np.int64),
    })


def generate_incidents(config: Mapping[str, Any], participants: pd.DataFrame,
                       rng: np.random.Generator) -> pd.DataFrame:
    """One row per police intervention a survivor described."""
    scenario = config["scenario"]
    model = config["model"]
    n = len(participants)
    k = participants["n_police_contacts"].to_numpy()
    owner = np.repeat(np.arange(n), k)
    total = int(k.sum())
    starts = np.repeat(np.cumsum(k) - k, k)
    seq = np.arange(total) - starts + 1
    black = (participants["race_ethnicity"].to_numpy() == "Black").astype(float)[owner]

    sd = float(model["random_intercept_sd"])
    u_init, u_prac, u_poor, u_arrest = (rng.normal(0.0, sd, n)[owner] for _ in range(4))
    earlier = rng.poisson(config["sample"]["prior_calls_before_first"], n)[owner] + seq - 1

    init = model["self_initiation"]
    p_self = expit(init["intercept"] + effect(init["black"], scenario) * black + u_init)
    is_self = rng.random(total) < p_self
    shares = model["external_initiator_shares"]
    ext_p = np.array([shares[name] for name in EXTERNAL_INITIATORS], dtype=float)
    ext_choice = rng.choice(len(EXTERNAL_INITIATORS), size=total, p=ext_p / ext_p.sum())
    initiator = np.where(is_self, "self", np.array(EXTERNAL_INITIATORS, dtype=object)[ext_choice])
    external = (~is_self).astype(float)

    injury = (rng.random(total) < model["visible_injury"]["probability"]).astype(float)

    prac = model["practices"]
    engagement = rng.normal(0.0, prac["incident_sd"], total)
    shared = (effect(prac["external"], scenario) * external
              + effect(prac["black"], scenario) * black + u_prac + engagement)
    intercepts = np.array([prac["intercepts"][p] for p in PRACTICES], dtype=float)
    practice = rng.random((total, len(PRACTICES))) < expit(shared[:, None] + intercepts[None, :])

    poor = model["treated_poorly"]
    p_poor = expit(poor["intercept"] + effect(poor["black"], scenario) * black
                   + effect(poor["external"], scenario) * external + u_poor)
    treated_poorly = rng.random(total) < p_poor

    arr = model["arrest"]
    p_arrest = expit(arr["intercept"] + effect(arr["visible_injury"], scenario) * injury
                     + effect(arr["prior_calls"], scenario) * earlier
                     + effect(arr["black"], scenario) * black + u_arrest)
    arrest = rng.random(total) < p_arrest
    wanted = rng.random(total) < model["wanted_arrest"]["probability"]
    as_wanted = arrest == wanted

    sc = model["safety_change"]
    latent = (effect(sc["self_initiated"], scenario) * is_self
              + effect(sc["treated_poorly"], scenario) * treated_poorly
              + effect(sc["outcome_as_wanted"], scenario) * as_wanted
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


def _any_by_participant(incidents: pd.DataFrame, mask: np.ndarray, n: int,
                        owner: np.ndarray) -> np.ndarray:
    return np.bincount(owner[mask], minlength=n) > 0


def code_presence(participants: pd.DataFrame, incidents: pd.DataFrame, violence: pd.DataFrame,
                  strategies: pd.DataFrame) -> np.ndarray:
    """Coder A's case-by-code matrix (0/1), in codebook order.

    Each code's ``derived_from`` rule (see the codebook) is evaluated on the
    survivor's synthetic data.
    """
    n = len(participants)
    index = pd.Index(participants["participant_id"])
    owner = index.get_indexer(incidents["participant_id"])
    inc = {c: incidents[c].to_numpy() for c in incidents.columns}
    anyp = lambda m: _any_by_participant(incidents, np.asarray(m, dtype=bool), n, owner)  # noqa: E731
    rules: dict[str, np.ndarray] = {
        "ongoing_strategic_violence": violence["ongoing_strategic"].to_numpy() == 1,
        "beyond_police_capacity": violence["beyond_police_capacity"].to_numpy() == 1,
        "coercive_control": violence["coercive_control"].to_numpy() == 1,
        "harm_through_children": violence["through_the_children"].to_numpy() == 1,
        "self_initiated_call": anyp(inc["initiator"] == "self"),
        "external_initiated_call": anyp(inc["initiator"] != "self"),
        "safety_practice_received": anyp(inc["any_practice"] == 1),
        "no_safety_practice": anyp(inc["any_practice"] == 0),
        "treated_poorly": anyp(inc["treated_poorly"] == 1),
        "partner_arrested": anyp(inc["arrest"] == 1),
        "no_arrest": anyp(inc["arrest"] == 0),
        "arrest_not_as_wanted": anyp(inc["outcome_as_wanted"] == 0),
        "safety_worse": anyp(inc["safety_change"] == "worse"),
        "safety_better": anyp(inc["safety_change"] == "better"),
        "informal_strategies": strategies["n_strategies"].to_numpy() > 0,
        "protecting_children": strategies["safety_plan_with_children"].to_numpy() == 1,
    }
    codes = [c["id"] for c in qualitative_codebook()["codes"]]
    return np.column_stack([rules[c] for c in codes]).astype(np.int8)


def second_coder(coder_a: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Coder B: departs from coder A independently per case and code with probability ``rate``."""
    flips = rng.random(coder_a.shape) < rate
    return np.where(flips, 1 - coder_a, coder_a).astype(np.int8)


def codebook_table() -> pd.DataFrame:
    """The qualitative codebook as a table (code, theme, definition, rules)."""
    book = qualitative_codebook()
    themes = {t["id"]: t["label"] for t in book["themes"]}
    return pd.DataFrame([{
        "code": c["id"],
        "label": c["label"],
        "theme": c["theme"],
        "theme_label": themes[c["theme"]],
        "definition": c["definition"],
        "include": c["include"],
        "exclude": c["exclude"],
        "derived_from": c["derived_from"],
    } for c in book["codes"]])


def write_interviews(participants: pd.DataFrame, coder_a: np.ndarray, coder_b: np.ndarray,
                     rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Synthetic transcripts, their excerpts and both coders' code applications.

    Each transcript is a sequence of interviewer prompts and synthetic answers,
    one answer (excerpt) for every code coder A applied to that case, in
    codebook order. ``start``/``end`` are character offsets of the excerpt in
    its transcript (Python ``str`` indices, end exclusive). Coder A codes each
    excerpt with the code it was written for. Coder B codes the same excerpts
    where she agrees; where she applies a code coder A did not, she applies it
    to one of the case's excerpts chosen at random (a case with no excerpt gets
    none, so that disagreement is lost and noted in the codebook).
    """
    codes = qualitative_codebook()["codes"]
    code_ids = [c["id"] for c in codes]
    n, m = coder_a.shape
    template_pick = rng.integers(0, 1 << 30, size=(n, m))
    b_pick = rng.random((n, m))
    ids = participants["participant_id"].to_numpy()
    transcripts, excerpts, applications = [], [], []
    for i in range(n):
        pid = ids[i]
        parts: list[str] = []
        offset = 0
        own: list[str] = []
        for j in range(m):
            if not coder_a[i, j]:
                continue
            code = codes[j]
            prompt = f"Interviewer: {code['prompt']}\nParticipant: "
            answer = code["templates"][template_pick[i, j] % len(code["templates"])]
            start = offset + len(prompt)
            excerpt_id = f"{pid}-E{j + 1:02d}"
            excerpts.append((excerpt_id, pid, code_ids[j], start, start + len(answer), answer))
            applications.append((pid, "A", code_ids[j], excerpt_id))
            own.append(excerpt_id)
            chunk = prompt + answer + "\n\n"
            parts.append(chunk)
            offset += len(chunk)
        transcripts.append((pid, "".join(parts)))
        for j in range(m):
            if not coder_b[i, j]:
                continue
            if coder_a[i, j]:
                applications.append((pid, "B", code_ids[j], f"{pid}-E{j + 1:02d}"))
            elif own:
                target = own[int(b_pick[i, j] * len(own))]
                applications.append((pid, "B", code_ids[j], target))
    transcript_frame = pd.DataFrame(transcripts, columns=["participant_id", "text"])
    excerpt_frame = pd.DataFrame(
        excerpts, columns=["excerpt_id", "participant_id", "code", "start", "end", "text"])
    application_frame = pd.DataFrame(
        applications, columns=["participant_id", "coder", "code", "excerpt_id"])
    application_frame = application_frame.sort_values(
        ["participant_id", "coder", "code", "excerpt_id"], kind="mergesort").reset_index(drop=True)
    return transcript_frame, excerpt_frame, application_frame


def generate_study(config: Mapping[str, Any], seed: int | None = None,
                   interviews: bool = True) -> StudyData:
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

    Returns
    -------
    StudyData
        Tables ``participants``, ``incidents``, ``violence``, ``strategies``,
        ``qual_codebook`` and, with ``interviews``, ``transcripts``,
        ``excerpts``, ``code_applications``; plus both coders' case-by-code
        matrices.
    """
    seed = int(config["seed"] if seed is None else seed)
    participants = generate_participants(config, stream(seed, "participants"))
    incidents = generate_incidents(config, participants, stream(seed, "incidents"))
    violence = generate_violence(config, participants, stream(seed, "violence"))
    strategies = generate_strategies(config, participants, stream(seed, "strategies"))
    coder_a = code_presence(participants, incidents, violence, strategies)
    coder_b = second_coder(coder_a, config["qualitative"]["coder_disagreement_rate"],
                           stream(seed, "coding"))
    tables = {
        "participants": participants,
        "incidents": incidents,
        "violence": violence,
        "strategies": strategies,
        "qual_codebook": codebook_table(),
    }
    if interviews:
        transcripts, excerpts, applications = write_interviews(
            participants, coder_a, coder_b, stream(seed, "excerpts"))
        tables.update(transcripts=transcripts, excerpts=excerpts, code_applications=applications)
    return StudyData(tables=tables, coder_a=coder_a, coder_b=coder_b)
