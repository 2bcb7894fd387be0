"""Descriptive analyses: the sample, initiation patterns, practices, arrests, violence, strategies.

Every function takes the study tables and returns a tidy DataFrame (one row per
group and measure) with counts, shares and Wilson 95% intervals where a share
is reported. Shares at the contact level describe police contacts; shares at
the survivor level describe survivors.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from analysis.stats.proportions import wilson_interval
from analysis.study.vocabulary import (
    FORMS,
    INITIATION_PATTERNS,
    PRACTICE_APPLIES,
    PRACTICES,
    RACE_CATEGORIES,
    REFERENCE_RACE,
    RELATIONSHIP,
    SAFETY_CHANGE,
    STRATEGIES,
    slug,
)


def _share_row(successes: int, n: int, alpha: float = 0.05) -> dict:
    lo, hi = wilson_interval(successes, n, alpha) if n else (np.nan, np.nan)
    return {"successes": int(successes), "n": int(n),
            "share": successes / n if n else np.nan, "ci_low": lo, "ci_high": hi}


def contacts_with_context(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Incidents joined with the survivor's race group and derived factors."""
    participants = tables["participants"][["participant_id", "race_ethnicity",
                                           "children_in_home"]]
    frame = tables["incidents"].merge(participants, on="participant_id", how="left",
                                      validate="many_to_one")
    frame["initiated_by"] = np.where(frame["initiator"] == "self", "self", "external")
    frame["race_group"] = np.where(frame["race_ethnicity"] == "Black", "Black", "other")
    frame["colour_group"] = np.where(frame["race_ethnicity"] == REFERENCE_RACE, REFERENCE_RACE,
                                     "of colour")
    frame["earlier_calls"] = pd.cut(frame["prior_calls"], [-1, 0, 1, 2, 3, np.inf],
                                    labels=["0", "1", "2", "3", "4+"]).astype(str)
    frame["injury"] = np.where(frame["visible_injury"] == 1, "visible injury", "no visible injury")
    return frame


def sample_table(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Sample characteristics: counts and percentages, age and contacts summaries."""
    p = tables["participants"]
    n = len(p)
    rows = []
    for race in RACE_CATEGORIES:
        k = int((p["race_ethnicity"] == race).sum())
        rows.append(("Race/ethnicity", race, k, k / n))
    k = int(p["children_in_home"].sum())
    rows.append(("Children in the home", "yes", k, k / n))
    for status in RELATIONSHIP:
        k = int((p["relationship_status"] == status).sum())
        rows.append(("Relationship with partner", status, k, k / n))
    frame = pd.DataFrame(rows, columns=["characteristic", "category", "n", "share"])
    summaries = pd.DataFrame([
        {"characteristic": "Age (years)", "category": "mean (SD)",
         "n": n, "mean": p["age"].mean(), "sd": p["age"].std(ddof=1),
         "min": p["age"].min(), "max": p["age"].max()},
        {"characteristic": "Police contacts described", "category": "mean (SD)",
         "n": n, "mean": p["n_police_contacts"].mean(), "sd": p["n_police_contacts"].std(ddof=1),
         "min": p["n_police_contacts"].min(), "max": p["n_police_contacts"].max()},
    ])
    return pd.concat([frame, summaries], ignore_index=True)


def initiation_patterns(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Survivor-level initiation pattern (self only, external only, dual), overall and by race."""
    inc = tables["incidents"]
    per = inc.assign(is_self=inc["initiator"] == "self").groupby("participant_id")["is_self"]
    pattern = pd.Series(np.select([per.all(), ~per.any()], ["self only", "external only"],
                                  default="dual"), index=per.all().index, name="pattern")
    p = tables["participants"].set_index("participant_id").join(pattern)
    rows = []
    for group, members in [("All survivors", p), *[(race, p[p["race_ethnicity"] == race])
                                                   for race in RACE_CATEGORIES]]:
        for pat in INITIATION_PATTERNS:
            rows.append({"group": group, "pattern": pat,
                         **_share_row(int((members["pattern"] == pat).sum()), len(members))})
    return pd.DataFrame(rows)


def applies(contacts: pd.DataFrame, outcome: str) -> pd.Series:
    """The contacts at which a practice applies (checking on children: children in the home)."""
    key = outcome.removeprefix("practice_")
    if key in PRACTICE_APPLIES:
        return contacts[PRACTICE_APPLIES[key]] == 1
    return pd.Series(True, index=contacts.index)


def rates_by(contacts: pd.DataFrame, outcomes: Mapping[str, str], factors: Mapping[str, str],
             alpha: float = 0.05) -> pd.DataFrame:
    """Share of contacts with each outcome, by each factor level (Wilson intervals).

    A practice that applies only at some contacts (:data:`PRACTICE_APPLIES`)
    is a share of those contacts (``applies_to`` names them).
    """
    rows = []
    for factor, column in factors.items():
        for level, group in contacts.groupby(column, sort=True):
            for outcome, label in outcomes.items():
                where = applies(group, outcome)
                key = outcome.removeprefix("practice_")
                rows.append({"factor": factor, "level": str(level), "outcome": outcome,
                             "label": label,
                             "applies_to": ("contacts with children in the home"
                                            if key in PRACTICE_APPLIES else "all contacts"),
                             **_share_row(int(group.loc[where, outcome].sum()), int(where.sum()),
                                          alpha)})
    return pd.DataFrame(rows)


PRACTICE_OUTCOMES: dict[str, str] = {
    **{f"practice_{k}": v for k, v in PRACTICES.items()},
    "any_practice": "Any safety practice",
}
FACTORS: dict[str, str] = {
    "All contacts": "all",
    "Who initiated": "initiated_by",
    "Visible injury": "injury",
    "Earlier calls": "earlier_calls",
    "Race": "race_group",
    "Survivors of colour": "colour_group",
}


def practices_by(tables: Mapping[str, pd.DataFrame], alpha: float = 0.05) -> pd.DataFrame:
    """Each safety practice and any practice, by initiator, injury, earlier calls and race."""
    contacts = contacts_with_context(tables).assign(all="all contacts")
    return rates_by(contacts, PRACTICE_OUTCOMES, FACTORS, alpha)


def arrests_by(tables: Mapping[str, pd.DataFrame], alpha: float = 0.05) -> pd.DataFrame:
    """Arrest rate by initiator, injury, earlier calls and race."""
    contacts = contacts_with_context(tables).assign(all="all contacts")
    return rates_by(contacts, {"arrest": "Partner arrested"}, FACTORS, alpha)


def expected_vs_actual(tables: Mapping[str, pd.DataFrame], alpha: float = 0.05) -> pd.DataFrame:
    """Each safety practice: the share of the contacts it applies to at which it was reported.

    Overall, by who initiated and by race. What guidance expects of each
    practice is a reading of documents, not data, and lives with the paper
    (:mod:`analysis.paper.expectations`).
    """
    contacts = contacts_with_context(tables).assign(all="all contacts")
    frame = rates_by(contacts, {f"practice_{k}": v for k, v in PRACTICES.items()},
                     {"All contacts": "all", "Who initiated": "initiated_by",
                      "Race": "race_group", "Survivors of colour": "colour_group"}, alpha)
    return frame


def prevalence(tables: Mapping[str, pd.DataFrame], table: str, labels: tuple[str, ...],
               alpha: float = 0.05) -> pd.DataFrame:
    """Share of survivors with each indicator of ``table`` (Wilson intervals)."""
    frame = tables[table]
    rows = [{"item": label, "column": slug(label),
             **_share_row(int(frame[slug(label)].sum()), len(frame), alpha)}
            for label in labels]
    return pd.DataFrame(rows).sort_values("share", ascending=False, kind="mergesort")


def violence_forms(tables: Mapping[str, pd.DataFrame], alpha: float = 0.05) -> pd.DataFrame:
    """Forms of violence survivors described, and the two pattern codes."""
    return prevalence(tables, "violence",
                      ("ongoing strategic", "beyond police capacity") + FORMS, alpha)


def informal_strategies(tables: Mapping[str, pd.DataFrame], alpha: float = 0.05) -> pd.DataFrame:
    """Informal safety strategies survivors used."""
    return prevalence(tables, "strategies", STRATEGIES, alpha)


def safety_change(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Exploratory (the study's framing, not a finding): perceived change in safety.

    Distribution of worse / unchanged / better by whether the survivor
    initiated, whether she felt treated poorly, and whether the arrest outcome
    was the one she wanted.
    """
    contacts = contacts_with_context(tables)
    contacts["self_initiated"] = np.where(contacts["initiated_by"] == "self", "survivor called",
                                          "someone else called")
    contacts["treatment"] = np.where(contacts["treated_poorly"] == 1, "treated poorly",
                                     "not treated poorly")
    contacts["arrest_outcome"] = np.where(contacts["outcome_as_wanted"] == 1,
                                          "outcome as wanted", "outcome not as wanted")
    rows = []
    for factor, column in (("Who initiated", "self_initiated"),
                           ("Treatment by officers", "treatment"),
                           ("Arrest outcome", "arrest_outcome")):
        for level, group in contacts.groupby(column, sort=True):
            for change in SAFETY_CHANGE:
                rows.append({"factor": factor, "level": level, "safety_change": change,
                             **_share_row(int((group["safety_change"] == change).sum()),
                                          len(group))})
    return pd.DataFrame(rows)


def all_descriptives(tables: Mapping[str, pd.DataFrame], alpha: float = 0.05
                     ) -> dict[str, pd.DataFrame]:
    """Every descriptive table, keyed by its output name (the vocabulary's DESCRIPTIVE_TABLES)."""
    frames = {
        "sample": sample_table(tables),
        "initiation_patterns": initiation_patterns(tables),
        "practices_by": practices_by(tables, alpha),
        "arrests_by": arrests_by(tables, alpha),
        "expected_vs_actual": expected_vs_actual(tables, alpha),
        "violence_forms": violence_forms(tables, alpha),
        "informal_strategies": informal_strategies(tables, alpha),
        "safety_change": safety_change(tables),
    }
    return frames
