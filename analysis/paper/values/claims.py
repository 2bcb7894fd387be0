"""values.yml, results: every claim of claims.json at both levels, and the verdict counts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analysis.disclosure.markers import SUPPRESSED
from analysis.paper import fmt
from analysis.study.vocabulary import VERDICTS

#: How each kind of estimate is named and printed (risk differences in percentage points).
KIND_LABELS = {"share": "share", "odds_ratio": "OR", "risk_difference": "difference",
               "count": "patterns observed"}


def estimate_text(kind: str, estimate: float | None, low: float | None,
                  high: float | None) -> tuple[str, str]:
    """An estimate and its interval as printed: percentages, odds ratios or percentage points."""
    if kind == "share":
        return fmt.percent(estimate), fmt.interval(low, high, fmt.percent)
    if kind == "odds_ratio":
        return fmt.number(estimate), fmt.interval(low, high)
    if kind == "risk_difference":
        return (fmt.points(estimate) + " points" if estimate is not None else "n/a",
                fmt.points_interval(low, high))
    return ("n/a" if estimate is None else str(int(estimate))), "n/a"


def level_values(level: Mapping[str, Any], suppressed: bool = False) -> dict[str, str]:
    """One level of a claim (contact or survivor) printed: estimate, interval, p, summary."""
    kind = level["kind"]
    estimate, ci = estimate_text(kind, level["estimate"], level["ci_low"], level["ci_high"])
    p = fmt.p_value(level["p_value"])
    label = KIND_LABELS[kind]
    if suppressed:
        return {"estimate": SUPPRESSED, "ci": SUPPRESSED, "p": SUPPRESSED,
                "summary": f"{label} {SUPPRESSED} (small cells)",
                "verdict": level.get("verdict", ""), "method": level["method"]}
    if not level["estimable"]:
        summary = f"not estimable ({level['reason']})"
    else:
        summary = f"{label} = {estimate}"
        if ci != "n/a":
            summary += f", 95% CI {ci}"
        if level["p_value"] is not None:
            summary += f", {p}"
    return {"estimate": estimate, "ci": ci, "p": p, "summary": summary,
            "verdict": level.get("verdict", ""), "method": level["method"]}


def holm_withheld(claim: Mapping[str, Any]) -> bool:
    """True when a restricted build withheld a claim's Holm-adjusted p-value but not its p-value."""
    return claim.get("p_value") is not None and claim.get("p_value_holm") is None


def claim_values(claim: Mapping[str, Any], truth: Mapping[str, str] | None = None
                 ) -> dict[str, Any]:
    """Print-ready strings for one claim of claims.json (and its true value, if known)."""
    suppressed = bool(claim.get("suppressed"))
    primary = level_values({"kind": claim["kind"], "estimate": claim["estimate"],
                            "ci_low": claim["ci_low"], "ci_high": claim["ci_high"],
                            "p_value": claim["p_value"], "method": claim["method"],
                            "estimable": claim["estimable"], "reason": claim["reason"]},
                           suppressed)
    out: dict[str, Any] = {
        "id": claim["id"],
        "finding": claim["finding"],
        "statement": claim["statement"],
        "source_words": claim["source_words"],
        "estimate": primary["estimate"],
        "ci": primary["ci"],
        "p": primary["p"],
        "p_holm": SUPPRESSED if suppressed or holm_withheld(claim)
        else fmt.p_value(claim.get("p_value_holm")),
        "summary": primary["summary"],
        "direction": claim["direction"].replace("_", " "),
        "observed": claim["observed_direction"],
        "verdict": claim["verdict"],
        "primary_level": claim["primary_level"],
        "method": claim["method"],
        "reason": claim["reason"],
        "reading_consistent": ("n/a" if claim.get("reading_consistent") is None
                               else "yes" if claim["reading_consistent"] else "no"),
        "reading_sentence": _reading_sentence(claim),
    }
    for name, level in claim["levels"].items():
        # Restricted data: each level is withheld on its own counts.
        out[name] = level_values(level, bool(level.get("suppressed", suppressed)))
    if truth is not None:
        out["truth"] = truth
    return out


def _reading_sentence(claim: Mapping[str, Any]) -> str:
    """Whether a two-sided claim's estimate points the way of our reading, in words."""
    reading, observed = claim.get("reading"), claim.get("observed_direction")
    if not reading:
        return "the claim states its own direction"
    if observed not in ("positive", "negative"):
        return f"the estimate shows no direction, so it neither agrees nor disagrees with our " \
               f"reading ({reading})"
    agree = "agrees with" if observed == reading else "runs against"
    return f"the estimate is {observed}, which {agree} our reading ({reading})"


def claims_values(claims: list[dict[str, Any]],
                  truths: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, Any]:
    """``claims``: every claim printed, and how many reached each verdict."""
    values: dict[str, Any] = {c["id"]: claim_values(c, (truths or {}).get(c["id"]))
                              for c in claims}
    counts = {v: sum(c["verdict"] == v for c in claims) for v in VERDICTS}
    association = [c for c in claims if c["direction"] in ("positive", "negative", "two-sided")]
    values.update({
        "n_total": str(len(claims)),
        "n_findings": str(len({c["finding"] for c in claims})),
        "n_reproduced": str(counts["reproduced"]),
        "n_inconclusive": str(counts["inconclusive"]),
        "n_not_reproduced": str(counts["not reproduced"]),
        "n_association": str(len(association)),
        "reproduced": ", ".join(c["id"] for c in claims if c["verdict"] == "reproduced")
        or "none",
        "inconclusive": ", ".join(c["id"] for c in claims if c["verdict"] == "inconclusive")
        or "none",
        "not_reproduced": ", ".join(c["id"] for c in claims
                                    if c["verdict"] == "not reproduced") or "none",
    })
    for level in ("contact", "survivor"):
        decided = [c["levels"][level]["verdict"] for c in association if level in c["levels"]]
        values[f"{level}_level"] = {v.replace(" ", "_"): str(decided.count(v)) for v in VERDICTS}
    return values
