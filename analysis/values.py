"""Every number the manuscript quotes, formatted for print, and the manuscript's tables.

:func:`load_bundle` reads the results of the analysis steps; :func:`build_values`
turns them into ``results/values.yml`` (nested, stable keys such as
``claims.C7.estimate``); :func:`markdown_tables` renders the tables the
manuscript includes. Nothing is computed here that an analysis step did not
already compute: this module only selects and formats.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import fmt
from analysis.disclosure import SUPPRESSED, count_text, is_missing, is_suppressed
from analysis.generate import PRACTICES
from analysis.io import read_csv, read_json, sha256

#: Packages whose versions the reproducibility statement lists.
SOFTWARE = ("snakemake", "numpy", "pandas", "scipy", "statsmodels", "seaborn", "matplotlib",
            "pandera", "krippendorff", "pypandoc-binary", "typst", "pyyaml", "jsonschema")
QUANT_TABLES = ("participants", "incidents", "violence", "strategies")
DATA_TABLES = QUANT_TABLES + ("qual_codebook", "transcripts", "excerpts", "code_applications")
SHARE_CLAIMS = ("majority_share", "universal_share", "arrest_inconsistency")

#: The notice at the top of the manuscript, by data source (``study.data_notice``).
SYNTHETIC_NOTICE_TITLE = "Every number in this paper comes from synthetic data"
SYNTHETIC_NOTICE = (
    "No real participant data were used or are held by this project. The data were generated "
    "by a model that encodes the directions the original study reports, so agreement between "
    "our results and the study's shows that the *analysis* recovers what the model contains, "
    "not that the findings hold for real survivors. The excerpts behind the qualitative "
    "analysis were written from our own templates and are not quotations from anyone.")
RESTRICTED_NOTICE_TITLE = "This build analysed restricted data: aggregate results only"
RESTRICTED_NOTICE = (
    "The study tables of this build are restricted data, analysed inside the research team's "
    "secure environment; they are not part of this package and never leave that environment. "
    "Only aggregate results are reported, and no table, figure or value shows data of a "
    "single survivor. Counts below {threshold} are suppressed and shown as "
    "\"<{threshold}\"; where a total would reveal a suppressed count, a further count is "
    "suppressed as well (shown as \"suppressed\"), and shares, intervals and tests computed "
    "from a suppressed count are suppressed too. The minimum and maximum age and number of "
    "police contacts are not reported. Passages that describe the synthetic study describe "
    "the generator behind the robustness analysis, which uses synthetic replications only.")


def data_notice(config: Mapping[str, Any]) -> tuple[str, str]:
    """Title and text of the manuscript's data notice for the build's data source."""
    if config["data_source"] == "restricted":
        threshold = config["small_cell_threshold"]
        return RESTRICTED_NOTICE_TITLE, RESTRICTED_NOTICE.format(threshold=threshold)
    return SYNTHETIC_NOTICE_TITLE, SYNTHETIC_NOTICE


def row_suppressed(row: Mapping[str, Any], counts: Sequence[str] = ("successes", "n")) -> bool:
    """True when a count of a result row is suppressed (restricted builds)."""
    return any(is_suppressed(row.get(c)) for c in counts)


def share_text(row: Mapping[str, Any], column: str = "share",
               counts: Sequence[str] = ("successes", "n"), digits: int = 0) -> str:
    """A row's share as a percentage, or "suppressed" when a count behind it is."""
    if row_suppressed(row, counts):
        return SUPPRESSED
    return fmt.percent(row[column], digits)


def extreme_text(value: Any) -> str:
    """A minimum or maximum: the integer, or "suppressed" when not published."""
    return SUPPRESSED if is_missing(value) else str(int(value))


@dataclass(frozen=True)
class Bundle:
    """The analysis results the manuscript draws on."""

    claims: list[dict[str, Any]]
    tables: dict[str, pd.DataFrame]
    models: pd.DataFrame
    survivor_tests: pd.DataFrame
    power: dict[str, Any]
    agreement: pd.DataFrame
    agreement_overall: dict[str, Any]
    themes: pd.DataFrame
    robustness: pd.DataFrame
    hashes: dict[str, str]
    committed_match: bool | None


def load_bundle(results: Path, data: Path, committed: Path | None) -> Bundle:
    """Read every result file the values step needs."""
    from analysis.describe import all_descriptives  # noqa: F401  (documents the table names)

    names = ("sample", "initiation_patterns", "practices_by", "arrests_by", "expected_vs_actual",
             "violence_forms", "informal_strategies", "safety_change")
    hashes = {t: sha256(data / f"{t}.csv") for t in DATA_TABLES if (data / f"{t}.csv").exists()}
    match = None
    if committed is not None and committed.exists():
        match = all((committed / f"{t}.csv").exists() and sha256(committed / f"{t}.csv") == h
                    for t, h in hashes.items())
    return Bundle(
        claims=read_json(results / "claims.json")["claims"],
        tables={n: read_csv(results / "tables" / f"{n}.csv") for n in names},
        models=read_csv(results / "inference" / "models.csv"),
        survivor_tests=read_csv(results / "inference" / "survivor_tests.csv"),
        power=read_json(results / "inference" / "power.json"),
        agreement=read_csv(results / "qualitative" / "agreement.csv"),
        agreement_overall=read_json(results / "qualitative" / "agreement.json"),
        themes=read_csv(results / "qualitative" / "themes.csv"),
        robustness=read_csv(results / "robustness" / "summary.csv"),
        hashes=hashes,
        committed_match=match,
    )


def _claim_kind(claim: Mapping[str, Any]) -> str:
    method = claim["method"]
    if "risk difference" in method:
        return "rd"
    if "odds ratio" in method or "GEE" in method:
        return "or"
    if "patterns" in method:
        return "count"
    return "share"


def claim_values(claim: Mapping[str, Any]) -> dict[str, str]:
    """Print-ready strings for one claim of claims.json."""
    kind = _claim_kind(claim)
    est, lo, hi = claim["estimate"], claim["ci_low"], claim["ci_high"]
    if kind == "share":
        estimate, ci = fmt.percent(est), fmt.interval(lo, hi, fmt.percent)
        label = "share"
    elif kind == "or":
        estimate, ci = fmt.number(est), fmt.interval(lo, hi)
        label = "OR"
    elif kind == "rd":
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


def _rows(frame: pd.DataFrame, **match: Any) -> pd.DataFrame:
    mask = pd.Series(True, index=frame.index)
    for key, value in match.items():
        mask &= frame[key] == value
    return frame[mask]


def _one(frame: pd.DataFrame, **match: Any) -> pd.Series:
    rows = _rows(frame, **match)
    if len(rows) != 1:
        raise ValueError(f"expected one row matching {match}, found {len(rows)}")
    return rows.iloc[0]


def software_versions() -> dict[str, str]:
    """Python and the versions of the packages in :data:`SOFTWARE`."""
    versions = {"python": platform.python_version()}
    for name in SOFTWARE:
        try:
            versions[name.replace("-", "_")] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name.replace("-", "_")] = "not installed"
    return versions


def build_values(bundle: Bundle, config: Mapping[str, Any], commit: str) -> dict[str, Any]:
    """The nested dictionary written to values.yml (all leaves are strings)."""
    t = bundle.tables
    sample = t["sample"]
    n = int(_one(sample, characteristic="Age (years)")["n"])
    age = _one(sample, characteristic="Age (years)")
    contacts = _one(sample, characteristic="Police contacts described")
    n_contacts = int(_one(t["arrests_by"], factor="All contacts")["n"])

    def cat(characteristic: str, category: str) -> dict[str, str]:
        row = _one(sample, characteristic=characteristic, category=category)
        return {"n": count_text(row["n"]), "pct": share_text(row, counts=("n",))}

    values: dict[str, Any] = {
        "study": {
            "seed": str(config["seed"]),
            "scenario": config["scenario"],
            "data_source": config["data_source"],
            "n_participants": str(n),
            "n_contacts": str(n_contacts),
            "alpha": fmt.no_leading_zero(f"{config['alpha']:.2f}"),
            "replications": fmt.count(config["robustness_replications"]),
            "shards": str(config["robustness_shards"]),
            "commit": commit,
            "disagreement_rate": fmt.percent(config["qualitative"]["coder_disagreement_rate"]),
            "target_kappa": fmt.number(config["qualitative"]["target_kappa"]),
            "data_notice_title": data_notice(config)[0],
            "data_notice": data_notice(config)[1],
        },
        "sample": {
            "age_mean": fmt.number(age["mean"], 1), "age_sd": fmt.number(age["sd"], 1),
            "age_min": extreme_text(age["min"]), "age_max": extreme_text(age["max"]),
            "contacts_mean": fmt.number(contacts["mean"], 1),
            "contacts_sd": fmt.number(contacts["sd"], 1),
            "contacts_min": extreme_text(contacts["min"]),
            "contacts_max": extreme_text(contacts["max"]),
            "black": cat("Race/ethnicity", "Black"), "white": cat("Race/ethnicity", "White"),
            "latina": cat("Race/ethnicity", "Latina"),
            "other": cat("Race/ethnicity", "Multiracial/other"),
            "children": cat("Children in the home", "yes"),
        },
    }
    patterns = {}
    for pattern in ("self only", "external only", "dual"):
        row = _one(t["initiation_patterns"], group="All survivors", pattern=pattern)
        patterns[pattern.replace(" ", "_")] = {"n": count_text(row["successes"]),
                                               "pct": share_text(row)}
    values["patterns"] = patterns

    claims = {c["id"]: claim_values(c) for c in bundle.claims}
    reproduced = sum(c["reproduced"] for c in bundle.claims)
    values["claims"] = {**claims, "n_reproduced": str(reproduced),
                        "n_total": str(len(bundle.claims)),
                        "not_reproduced": ", ".join(c["id"] for c in bundle.claims
                                                    if not c["reproduced"]) or "none"}

    practices: dict[str, Any] = {}
    eva = t["expected_vs_actual"]
    for key, label in PRACTICES.items():
        entry = {}
        for factor, level, name in (("All contacts", "all contacts", "overall"),
                                    ("Who initiated", "self", "self"),
                                    ("Who initiated", "external", "external"),
                                    ("Race", "Black", "black"), ("Race", "other", "other")):
            row = _one(eva, factor=factor, level=level, outcome=f"practice_{key}")
            entry[name] = share_text(row)
        entry["label"] = label
        practices[key] = entry
    overall = _rows(eva, factor="All contacts")
    best = overall.loc[overall["share"].idxmax()]
    worst = overall.loc[overall["share"].idxmin()]
    practices["most_reported"] = {"label": best["label"].lower(), "pct": share_text(best)}
    practices["least_reported"] = {"label": worst["label"].lower(), "pct": share_text(worst)}
    pb = t["practices_by"]
    for name, factor, level in (("any_overall", "All contacts", "all contacts"),
                                ("any_self", "Who initiated", "self"),
                                ("any_external", "Who initiated", "external"),
                                ("any_black", "Race", "Black"), ("any_other", "Race", "other")):
        row = _one(pb, factor=factor, level=level, outcome="any_practice")
        practices[name] = share_text(row)
    values["practices"] = practices

    ab = t["arrests_by"]
    arrests = {}
    for name, factor, level in (("overall", "All contacts", "all contacts"),
                                ("injury", "Visible injury", "visible injury"),
                                ("no_injury", "Visible injury", "no visible injury"),
                                ("black", "Race", "Black"), ("other", "Race", "other")):
        row = _one(ab, factor=factor, level=level)
        arrests[name] = {"pct": share_text(row), "n": count_text(row["successes"]),
                         "of": count_text(row["n"])}
    values["arrests"] = arrests

    values["violence"] = {row["column"]: share_text(row)
                          for _, row in t["violence_forms"].iterrows()}
    strategies = t["informal_strategies"]
    values["strategies"] = {row["column"]: share_text(row)
                            for _, row in strategies.iterrows()}
    top = strategies.iloc[0]
    values["strategies"]["most_common"] = {"label": top["item"], "pct": share_text(top)}

    sc = t["safety_change"]
    safety = {}
    for name, factor, level in (("self", "Who initiated", "survivor called"),
                                ("external", "Who initiated", "someone else called"),
                                ("poorly", "Treatment by officers", "treated poorly"),
                                ("not_poorly", "Treatment by officers", "not treated poorly"),
                                ("as_wanted", "Arrest outcome", "outcome as wanted"),
                                ("not_as_wanted", "Arrest outcome", "outcome not as wanted")):
        row = _one(sc, factor=factor, level=level, safety_change="worse")
        safety[name] = {"worse_pct": share_text(row), "n": count_text(row["n"])}
    values["safety"] = safety

    models = {}
    for _, row in bundle.models.iterrows():
        key = f"{row['outcome']}_{'adj' if 'unadjusted' not in row['model'] else 'unadj'}"
        models.setdefault(key, {})[row["term"]] = {
            "or": fmt.number(row["odds_ratio"]), "ci": fmt.interval(row["ci_low"], row["ci_high"]),
            "p": fmt.p_value(row["p_value"] if pd.notna(row["p_value"]) else None)}
    diffs = bundle.models["statsmodels_max_abs_diff"].dropna()
    models["max_diff_statsmodels"] = f"{diffs.max():.1e}" if len(diffs) else "n/a"
    values["models"] = models

    power = bundle.power
    values["power"] = {
        "n1": str(power["n1"]), "n0": str(power["n0"]),
        "detectable_pct": fmt.percent(power["detectable_proportion"]),
        "baseline_pct": fmt.percent(power["baseline"]),
        "detectable_or": fmt.number(power["detectable_odds_ratio"], 1),
        "cohens_h": fmt.number(power["cohens_h"]),
        "power": fmt.percent(power["power"]),
    }
    if is_suppressed(power["n1"]) or is_suppressed(power["n0"]):
        values["power"] = {k: (v if k in ("n1", "n0") else SUPPRESSED)
                           for k, v in values["power"].items()}

    ov = bundle.agreement_overall
    agreement = bundle.agreement
    defined = agreement.dropna(subset=["kappa"]).sort_values("kappa", kind="mergesort")
    lowest = (defined.iloc[0] if len(defined) else
              pd.Series({"code": "none", "kappa": None, "cases_a": SUPPRESSED}))
    themes = bundle.themes
    values["qualitative"] = {
        "pooled_kappa": fmt.number(ov["pooled_kappa"]),
        "pooled_band": ov["pooled_band"],
        "alpha": fmt.number(ov["krippendorff_alpha"]),
        "agreement_pct": fmt.percent(ov["percent_agreement"]),
        "median_kappa": fmt.number(ov["median_kappa"]),
        "min_kappa": fmt.number(ov["min_kappa"]),
        "max_kappa": fmt.number(ov["max_kappa"]),
        "expected_kappa": fmt.number(ov["expected_kappa"]),
        "n_codes": str(ov["codes"]),
        "n_themes": str(int((themes["level"] == "theme").sum())),
        "n_cells": fmt.count(ov["cells"]),
        "lowest_code": str(lowest["code"]).replace("_", " "),
        "lowest_kappa": fmt.number(lowest["kappa"]),
        "lowest_cases_a": count_text(lowest["cases_a"]),
    }

    rob = bundle.robustness
    robust: dict[str, Any] = {}
    for claim in bundle.claims:
        cid = claim["id"]
        entry = {}
        for scenario in ("published", "null"):
            row = _one(rob, claim=cid, scenario=scenario)
            entry[scenario] = fmt.percent(row["reproduced_share"])
            entry[f"{scenario}_sig"] = (fmt.percent(row["significant_share"])
                                        if pd.notna(row["significant_share"]) else "no test")
            entry[f"{scenario}_mcse"] = fmt.percent(row["reproduced_mcse"], 1)
        reps = fmt.count(_one(rob, claim=cid, scenario="published")["replications"])
        entry["sentence"] = (f"{cid} was recovered in {entry['published']} of {reps} replications "
                             f"under the published model and in {entry['null']} under the null "
                             "model")
        robust[cid] = entry
    directional = [c["id"] for c in bundle.claims if c["expected_direction"] in
                   ("positive", "negative")]
    pub = _rows(rob, scenario="published")
    nul = _rows(rob, scenario="null")
    pub_dir = pub[pub["claim"].isin(directional)]
    nul_dir = nul[nul["claim"].isin(directional)]
    robust["directional_min_published"] = fmt.percent(pub_dir["reproduced_share"].min())
    robust["directional_max_null"] = fmt.percent(nul_dir["reproduced_share"].max())
    robust["directional_min_null"] = fmt.percent(nul_dir["reproduced_share"].min())
    robust["null_sig_max"] = fmt.percent(nul_dir["significant_share"].max())
    robust["published_sig_min"] = fmt.percent(pub_dir["significant_share"].min())
    robust["published_sig_max"] = fmt.percent(pub_dir["significant_share"].max())
    values["robustness"] = robust

    values["software"] = software_versions()
    values["hashes"] = {name: digest for name, digest in bundle.hashes.items()}
    values["hashes"]["committed_match"] = (
        "not checked" if bundle.committed_match is None
        else "yes" if bundle.committed_match else "no")
    return values
