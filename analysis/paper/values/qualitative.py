"""values.yml, the qualitative layer: intercoder agreement and the codebook's size."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from analysis.disclosure.markers import SUPPRESSED, count_text
from analysis.paper import fmt


def qualitative_values(agreement: pd.DataFrame, overall: Mapping[str, Any],
                       themes: pd.DataFrame) -> dict[str, str]:
    """``qualitative``: pooled and per-code agreement, the lowest kappa and its code."""
    defined = agreement.dropna(subset=["kappa"]).sort_values("kappa", kind="mergesort")
    lowest = (defined.iloc[0] if len(defined) else
              pd.Series({"code": "none", "kappa": None, "cases_a": SUPPRESSED}))
    return {
        "pooled_kappa": fmt.number(overall["pooled_kappa"]),
        "pooled_band": overall["pooled_band"],
        "alpha": fmt.number(overall["krippendorff_alpha"]),
        "agreement_pct": fmt.percent(overall["percent_agreement"]),
        "median_kappa": fmt.number(overall["median_kappa"]),
        "min_kappa": fmt.number(overall["min_kappa"]),
        "max_kappa": fmt.number(overall["max_kappa"]),
        "expected_kappa": fmt.number(overall["expected_kappa"]),
        "n_codes": str(overall["codes"]),
        "n_themes": str(int((themes["level"] == "theme").sum())),
        "n_cells": fmt.count(overall["cells"]),
        "lowest_code": str(lowest["code"]).replace("_", " "),
        "lowest_kappa": fmt.number(lowest["kappa"]),
        "lowest_cases_a": count_text(lowest["cases_a"]),
    }
