"""Disclosure check before publishing synthetic data made from real data.

:func:`quasi_identifier_match_share` is the share of synthetic survivors whose
quasi-identifiers (age band, race/ethnicity, children in the home,
relationship status) exactly match at least one restricted survivor, and
:func:`check_disclosure` fails above a threshold. Run it as::

    python -m analysis publish-check --synthetic data/synthetic \\
        --restricted data/restricted --threshold 0.5 \\
        --output results/restricted/disclosure.json
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

# ---------------------------------------------------------------------------
# Disclosure check: synthetic data made from real data

#: Age bands of the quasi-identifiers (inclusive bounds; the last is open).
AGE_BANDS = (("18-24", 18, 24), ("25-34", 25, 34), ("35-44", 35, 44), ("45-54", 45, 54),
             ("55+", 55, None))
QUASI_IDENTIFIERS = ("age_band", "race_ethnicity", "children_in_home", "relationship_status")
#: Default of ``disclosure_max_match_share`` (the reasoning is in the README).
DEFAULT_MAX_MATCH_SHARE = 0.5


class DisclosureError(ValueError):
    """Synthetic data match the restricted data on quasi-identifiers too often.

    ``report`` is the disclosure report (with ``passed: false``).
    """

    def __init__(self, message: str, report: Mapping[str, Any]) -> None:
        super().__init__(message)
        self.report = dict(report)


def age_band(age: pd.Series) -> pd.Series:
    """Age in the bands 18-24, 25-34, 35-44, 45-54, 55+."""
    bins = [-math.inf] + [hi + 0.5 for _, _, hi in AGE_BANDS[:-1]] + [math.inf]
    return pd.cut(age.astype(float), bins, labels=[b for b, _, _ in AGE_BANDS]).astype(str)


def quasi_identifiers(participants: pd.DataFrame) -> pd.DataFrame:
    """The quasi-identifier columns of a participants table."""
    return pd.DataFrame({
        "age_band": age_band(participants["age"]),
        "race_ethnicity": participants["race_ethnicity"].astype(str),
        "children_in_home": participants["children_in_home"].astype(int),
        "relationship_status": participants["relationship_status"].astype(str),
    })


def quasi_identifier_match_share(synthetic: pd.DataFrame, restricted: pd.DataFrame) -> float:
    """Share of synthetic participants whose quasi-identifiers match a restricted participant.

    Quasi-identifiers: age band (18-24, 25-34, 35-44, 45-54, 55+),
    race/ethnicity, children in the home and relationship status. A synthetic
    record matches when some restricted record has exactly the same four
    values. Both arguments are participants tables.
    """
    if len(synthetic) == 0:
        raise ValueError("the synthetic participants table is empty")
    real = set(quasi_identifiers(restricted).itertuples(index=False, name=None))
    rows = quasi_identifiers(synthetic).itertuples(index=False, name=None)
    return float(np.mean([row in real for row in rows]))


def check_disclosure(synthetic: pd.DataFrame, restricted: pd.DataFrame,
                     threshold: float = DEFAULT_MAX_MATCH_SHARE) -> dict[str, Any]:
    """The disclosure report; :class:`DisclosureError` when the share exceeds ``threshold``."""
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold must be in [0, 1], got {threshold}")
    share = quasi_identifier_match_share(synthetic, restricted)
    matched = int(round(share * len(synthetic)))
    report = {
        "quasi_identifiers": list(QUASI_IDENTIFIERS),
        "age_bands": [b for b, _, _ in AGE_BANDS],
        "synthetic_records": len(synthetic),
        "restricted_records": len(restricted),
        "synthetic_records_matching": matched,
        "match_share": share,
        "threshold": threshold,
        "passed": share <= threshold,
    }
    if share > threshold:
        raise DisclosureError(
            f"disclosure check failed: {matched} of {len(synthetic)} synthetic records "
            f"({share:.1%}) match a restricted record on the quasi-identifiers "
            f"({', '.join(QUASI_IDENTIFIERS)}), above the allowed share {threshold:.1%} "
            f"(config key disclosure_max_match_share). Do not publish these synthetic data.",
            report)
    return report
