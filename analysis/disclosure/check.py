"""Disclosure check before publishing synthetic data made from real data.

A synthetic survivor is compared with the restricted survivors as a whole
record: her participant row, the forms of violence and the strategies she
described, and her contacts with police in sequence (the first with the
first, and so on), every column of the four tables except identifiers and
columns computed from others (:data:`DERIVED_COLUMNS`). The distance between
two records is the number of columns on which they differ, ages within
:data:`AGE_TOLERANCE` years counting as equal, and a contact one record has
and the other has not differing on every column. Each synthetic record's
distance to the closest restricted record is set against the same distance
for records of studies generated independently from the configuration
(:func:`reference_distance`): a synthetic record closer than all but
:data:`REFERENCE_QUANTILE` of those is *too close*, and the check fails when
the share of too-close records reaches the threshold
(``disclosure_max_close_share``). Shifting every age, or changing a few
columns of a copy, leaves a record as close to the one it copies as no
independent study comes. Run it as::

    python -m analysis publish-check --synthetic data/synthetic \\
        --restricted data/restricted --threshold 0.1 \\
        --output results/restricted/disclosure.json
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from analysis.study.vocabulary import QUANT_TABLES

#: The tables a record is made of (participants, incidents, violence, strategies).
RECORD_TABLES = QUANT_TABLES
#: Columns computed from other columns (counting them would count one difference twice).
DERIVED_COLUMNS = {"participants": ("n_police_contacts",),
                   "incidents": ("any_practice", "outcome_as_wanted"),
                   "strategies": ("n_strategies",)}
#: Columns that name a record or a contact's place in the sequence, not what it holds.
ID_COLUMNS = ("participant_id", "incident_seq")
#: Ages that differ by at most this many years count as the same age.
AGE_TOLERANCE = 2
#: Independently generated studies behind the reference distance, and the quantile taken.
REFERENCE_STUDIES = 100
REFERENCE_QUANTILE = 0.01
#: Default of ``disclosure_max_close_share`` (the reasoning is in the README).
DEFAULT_MAX_CLOSE_SHARE = 0.1
NO_CONTACT = "(no contact)"


class DisclosureError(ValueError):
    """Too many synthetic records are closer to a restricted record than chance allows.

    ``report`` is the disclosure report (with ``passed: false``).
    """

    def __init__(self, message: str, report: Mapping[str, Any]) -> None:
        super().__init__(message)
        self.report = dict(report)


def _columns(frame: pd.DataFrame, table: str) -> list[str]:
    return [c for c in frame.columns
            if c not in ID_COLUMNS and c not in DERIVED_COLUMNS.get(table, ())]


def records(tables: Mapping[str, pd.DataFrame], contacts: int | None = None
            ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Each survivor's whole record: ages, the other columns as text, and their names.

    Contacts are aligned by their place in the sequence, up to ``contacts``
    (default: the most any survivor has); a missing contact is
    :data:`NO_CONTACT` in each of its columns.
    """
    participants = tables["participants"].set_index("participant_id")
    ids = participants.index
    columns: dict[str, pd.Series] = {}
    for name in _columns(participants, "participants"):
        if name != "age":
            columns[name] = participants[name]
    for table in ("violence", "strategies"):
        frame = tables[table].set_index("participant_id").reindex(ids)
        for name in _columns(frame, table):
            columns[f"{table}.{name}"] = frame[name]
    incidents = tables["incidents"]
    depth = int(incidents["incident_seq"].max()) if contacts is None else contacts
    for seq in range(1, depth + 1):
        contact = incidents[incidents["incident_seq"] == seq].set_index("participant_id")
        contact = contact.reindex(ids)
        for name in _columns(contact, "incidents"):
            columns[f"contact {seq}.{name}"] = contact[name]
    frame = pd.DataFrame(columns, index=ids)
    text = frame.astype(object).where(frame.notna(), NO_CONTACT).astype(str)
    return (participants["age"].to_numpy(dtype=float), text.to_numpy(),
            ["age", *frame.columns])


def closest_distances(synthetic: Mapping[str, pd.DataFrame],
                      restricted: Mapping[str, pd.DataFrame]) -> np.ndarray:
    """For each synthetic record, the distance to the closest restricted record."""
    depth = int(max(synthetic["incidents"]["incident_seq"].max(),
                    restricted["incidents"]["incident_seq"].max()))
    age_s, s, _ = records(synthetic, depth)
    age_r, r, _ = records(restricted, depth)
    if len(s) == 0 or len(r) == 0:
        raise ValueError("the synthetic and the restricted participants tables must not be "
                         "empty")
    differ = (s[:, None, :] != r[None, :, :]).sum(axis=2)
    differ += np.abs(age_s[:, None] - age_r[None, :]) > AGE_TOLERANCE
    return differ.min(axis=1)


def reference_distance(restricted: Mapping[str, pd.DataFrame], config: Mapping[str, Any],
                       studies: int = REFERENCE_STUDIES,
                       quantile: float = REFERENCE_QUANTILE) -> float:
    """The ``quantile`` of the closest distances of independently generated records.

    ``studies`` studies are generated from ``config`` with seeds derived from
    its seed (none of them the seed itself); each record's distance to the
    closest restricted record is taken, and the quantile of all of them is
    returned. A synthetic study made from the restricted data without
    reproducing its records has about this share of records closer than that.
    """
    from analysis.study.generate import generate_study

    seeds = np.random.SeedSequence([int(config["seed"]), 31]).generate_state(studies)
    distances = [closest_distances(generate_study(config, seed=int(seed), interviews=False,
                                                  coding=False).tables, restricted)
                 for seed in seeds]
    return float(np.quantile(np.concatenate(distances), quantile))


def check_disclosure(synthetic: Mapping[str, pd.DataFrame],
                     restricted: Mapping[str, pd.DataFrame], reference: float,
                     threshold: float = DEFAULT_MAX_CLOSE_SHARE) -> dict[str, Any]:
    """The disclosure report; :class:`DisclosureError` when the share reaches ``threshold``.

    ``reference`` is the distance below which a record is too close
    (:func:`reference_distance`). A share equal to the threshold fails.
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    distances = closest_distances(synthetic, restricted)
    close = int(np.sum(distances < reference))
    share = close / len(distances)
    _, _, names = records(synthetic)
    report = {
        "compared": [*RECORD_TABLES],
        "columns_per_record": len(names),
        "age_tolerance": AGE_TOLERANCE,
        "reference_studies": REFERENCE_STUDIES,
        "reference_quantile": REFERENCE_QUANTILE,
        "reference_distance": reference,
        "synthetic_records": int(len(distances)),
        "restricted_records": int(len(restricted["participants"])),
        "synthetic_records_too_close": close,
        "close_share": share,
        "threshold": threshold,
        "passed": share < threshold,
    }
    if share >= threshold:
        raise DisclosureError(
            f"disclosure check failed: {close} of {len(distances)} synthetic records "
            f"({share:.1%}) are closer to a restricted record (fewer than {reference:g} of "
            f"{len(names)} columns differ, ages within {AGE_TOLERANCE} years equal) than "
            f"{1 - REFERENCE_QUANTILE:.0%} of the records of independently generated studies; "
            f"the allowed share is below {threshold:.1%} (config key "
            f"disclosure_max_close_share). Do not publish these synthetic data.", report)
    return report
