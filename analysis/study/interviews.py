"""The qualitative layer of the synthetic study: codes, transcripts, excerpts, two coders.

Every text here is synthetic, written from the templates of our own codebook
(``resources/qualitative_codebook.yaml``); none is a quotation from anyone.
Coder A applies each code to a case exactly when the case's synthetic data
contain what the code describes (the code's ``derived_from`` rule); coder B
departs from coder A independently per case and code with probability
``qualitative.coder_disagreement_rate``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

RESOURCES = Path(__file__).resolve().parent / "resources"


@lru_cache(maxsize=1)
def qualitative_codebook() -> dict[str, Any]:
    """Themes and codes (with definitions and excerpt templates) of the qualitative layer."""
    with open(RESOURCES / "qualitative_codebook.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


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
