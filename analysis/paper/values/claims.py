"""values.yml, results: every claim of claims.json, printed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analysis.disclosure.markers import SUPPRESSED
from analysis.paper import fmt


def claim_values(claim: Mapping[str, Any]) -> dict[str, str]:
    """Print-ready strings for one claim of claims.json."""
    kind = claim["kind"]
    est, lo, hi = claim["estimate"], claim["ci_low"], claim["ci_high"]
    if kind == "share":
        estimate, ci = fmt.percent(est), fmt.interval(lo, hi, fmt.percent)
        label = "share"
    elif kind == "odds_ratio":
        estimate, ci = fmt.number(est), fmt.interval(lo, hi)
        label = "OR"
    elif kind == "risk_difference":
        estimate, ci = fmt.signed(est), fmt.signed_interval(lo, hi)
        label = "RD"
    else:
        estimate, ci = ("n/a" if est is None else str(int(est))), "n/a"
        label = "patterns observed"
    p = fmt.p_value(claim["p_value"])
    if claim.get("suppressed"):
        estimate = ci = p = SUPPRESSED
    summary = f"{label} = {estimate}"
    if ci != "n/a":
        summary += f", 95% CI {ci}"
    if claim["p_value"] is not None:
        summary += f", {p}"
    if claim.get("suppressed"):
        summary = f"{label} {SUPPRESSED} (small cells)"
    return {
        "id": claim["id"],
        "statement": claim["statement"],
        "estimate": estimate,
        "ci": ci,
        "p": p,
        "p_holm": SUPPRESSED if claim.get("suppressed") else fmt.p_value(
            claim.get("p_value_holm")),
        "summary": summary,
        "expected": claim["expected_direction"],
        "observed": claim["observed_direction"],
        "verdict": "reproduced" if claim["reproduced"] else "not reproduced",
        "method": claim["method"],
        "reason": claim["reason"],
    }


def claims_values(claims: list[dict[str, Any]]) -> dict[str, Any]:
    """``claims``: every claim printed, and the count reproduced."""
    values = {c["id"]: claim_values(c) for c in claims}
    reproduced = sum(c["reproduced"] for c in claims)
    return {**values, "n_reproduced": str(reproduced), "n_total": str(len(claims)),
            "not_reproduced": ", ".join(c["id"] for c in claims if not c["reproduced"])
            or "none"}
