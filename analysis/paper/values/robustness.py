"""values.yml, robustness: how often each claim is reproduced across replications."""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.paper import fmt
from analysis.paper.values.common import one, rows
from analysis.study.vocabulary import ROBUSTNESS_SCENARIOS


def robustness_values(claims: list[dict[str, Any]], summary: pd.DataFrame) -> dict[str, Any]:
    """``robustness``: per claim and scenario the reproduced share, its MCSE and the test rate."""
    robust: dict[str, Any] = {}
    for claim in claims:
        cid = claim["id"]
        entry = {}
        for scenario in ROBUSTNESS_SCENARIOS:
            row = one(summary, claim=cid, scenario=scenario)
            entry[scenario] = fmt.percent(row["reproduced_share"])
            entry[f"{scenario}_sig"] = (fmt.percent(row["significant_share"])
                                        if pd.notna(row["significant_share"]) else "no test")
            entry[f"{scenario}_mcse"] = fmt.percent(row["reproduced_mcse"], 1)
        reps = fmt.count(one(summary, claim=cid, scenario="published")["replications"])
        entry["sentence"] = (f"{cid} was recovered in {entry['published']} of {reps} replications "
                             f"under the published model and in {entry['null']} under the null "
                             "model")
        robust[cid] = entry
    directional = [c["id"] for c in claims if c["expected_direction"] in ("positive", "negative")]
    pub = rows(summary, scenario="published")
    nul = rows(summary, scenario="null")
    pub_dir = pub[pub["claim"].isin(directional)]
    nul_dir = nul[nul["claim"].isin(directional)]
    robust["directional_min_published"] = fmt.percent(pub_dir["reproduced_share"].min())
    robust["directional_max_null"] = fmt.percent(nul_dir["reproduced_share"].max())
    robust["directional_min_null"] = fmt.percent(nul_dir["reproduced_share"].min())
    robust["null_sig_max"] = fmt.percent(nul_dir["significant_share"].max())
    robust["published_sig_min"] = fmt.percent(pub_dir["significant_share"].min())
    robust["published_sig_max"] = fmt.percent(pub_dir["significant_share"].max())
    return robust
