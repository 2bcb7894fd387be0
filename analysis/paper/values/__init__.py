"""Every number the manuscript quotes, formatted for print: ``results/values.yml``.

:func:`load_bundle` reads the results of the analysis steps; :func:`build_values`
turns them into the nested, stable keys of ``values.yml`` (such as
``claims.C7.estimate``), one submodule per part of the manuscript:
:mod:`~analysis.paper.values.study` (notice and methods),
:mod:`~analysis.paper.values.claims`, :mod:`~analysis.paper.values.results`,
:mod:`~analysis.paper.values.qualitative`,
:mod:`~analysis.paper.values.robustness` and
:mod:`~analysis.paper.values.reproducibility`. Nothing is computed here that
an analysis step did not already compute: this package only selects and
formats. The manuscript's tables are made from the same bundle by
:mod:`analysis.paper.tables`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.io import read_csv, read_json, sha256
from analysis.paper.values.claims import claims_values, estimate_text
from analysis.paper.values.qualitative import qualitative_values
from analysis.paper.values.reproducibility import (
    hash_values,
    render_values,
    software_versions,
)
from analysis.paper.values.results import (
    arrest_values,
    model_values,
    power_values,
    practice_values,
    safety_values,
    strategy_values,
    violence_values,
)
from analysis.paper.values.robustness import robustness_values, simulation_values
from analysis.paper.values.study import (
    document_title,
    pattern_values,
    sample_values,
    study_values,
)
from analysis.study.vocabulary import ALL_TABLES, DESCRIPTIVE_TABLES


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
    #: Synthetic builds only (None in restricted builds): see analysis.steps.qualitative.
    disagreements: pd.DataFrame | None
    saturation: dict[str, Any] | None
    theme_excerpts: pd.DataFrame | None
    robustness: pd.DataFrame
    #: The robustness scenarios in order, each with its title and description.
    scenarios: list[dict[str, Any]]
    performance: pd.DataFrame
    sample_size: pd.DataFrame
    covariance: pd.DataFrame
    truth: pd.DataFrame
    settings: dict[str, Any]
    hashes: dict[str, str]
    committed_match: bool | None


def _optional_csv(path: Path) -> pd.DataFrame | None:
    return read_csv(path) if path.exists() else None


def load_bundle(results: Path, data: Path, committed: Path | None) -> Bundle:
    """Read every result file the values step needs.

    ``committed`` is the report of the ``check-committed`` step (whether the
    study's tables match the committed ``data/synthetic/``); None: not checked.
    """
    qualitative = results / "qualitative"
    hashes = {t: sha256(data / f"{t}.csv") for t in ALL_TABLES if (data / f"{t}.csv").exists()}
    match = None if committed is None else bool(read_json(committed)["match"])
    claims = read_json(results / "claims.json")
    return Bundle(
        claims=claims["claims"],
        settings=claims.get("settings", {}),
        tables={n: read_csv(results / "tables" / f"{n}.csv") for n in DESCRIPTIVE_TABLES},
        models=read_csv(results / "inference" / "models.csv"),
        survivor_tests=read_csv(results / "inference" / "survivor_tests.csv"),
        power=read_json(results / "inference" / "power.json"),
        agreement=read_csv(results / "qualitative" / "agreement.csv"),
        agreement_overall=read_json(results / "qualitative" / "agreement.json"),
        themes=read_csv(results / "qualitative" / "themes.csv"),
        disagreements=_optional_csv(qualitative / "disagreements.csv"),
        saturation=(read_json(qualitative / "saturation.json")
                    if (qualitative / "saturation.json").exists() else None),
        theme_excerpts=_optional_csv(qualitative / "theme_excerpts.csv"),
        robustness=read_csv(results / "robustness" / "summary.csv"),
        scenarios=read_json(results / "robustness" / "scenarios.json")["scenarios"],
        performance=read_csv(results / "simulation" / "performance.csv"),
        sample_size=read_csv(results / "simulation" / "sample_size.csv"),
        covariance=read_csv(results / "simulation" / "covariance.csv"),
        truth=read_csv(results / "simulation" / "truth.csv"),
        hashes=hashes,
        committed_match=match,
    )


def true_values(bundle: Bundle, config: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Each claim's true value under the build's scenario, for its primary method, printed.

    The simulation study's truth table holds every method's estimand on its
    analysis scale (log odds ratio, share or difference); claims.json names
    each claim's primary method (``method_id``) and the kind it reports.
    """
    truth = bundle.truth[(bundle.truth["table"] == "scenario")
                         & (bundle.truth["scenario"] == config["scenario"])]
    by_key = truth.set_index(["claim", "method"])["truth"]
    out = {}
    for claim in bundle.claims:
        value = by_key.get((claim["id"], claim["method_id"]))
        if value is None or pd.isna(value) or claim["kind"] == "count":
            out[claim["id"]] = {"value": "n/a", "method": claim["method_id"]}
            continue
        value = float(np.exp(value)) if claim["kind"] == "odds_ratio" else float(value)
        text, _ = estimate_text(claim["kind"], value, None, None)
        out[claim["id"]] = {"value": text, "method": claim["method_id"]}
    return out


def build_values(bundle: Bundle, config: Mapping[str, Any], commit: str,
                 render: Mapping[str, Any]) -> dict[str, Any]:
    """The nested dictionary written to values.yml (all leaves are strings).

    ``render`` is the engine that will render the paper, as the workflow
    records it (:meth:`analysis.render.tools.RenderTools.as_dict`); the paper
    prints its ``label`` as ``render_engine``.
    """
    t = bundle.tables
    return {
        **document_title(config),
        "render_engine": str(render["label"]),
        "render": render_values(render),
        "study": study_values(t, config, commit),
        "sample": sample_values(t),
        "patterns": pattern_values(t),
        "claims": claims_values(bundle.claims, true_values(bundle, config)),
        "practices": practice_values(t),
        "arrests": arrest_values(t),
        "violence": violence_values(t),
        "strategies": strategy_values(t),
        "safety": safety_values(t),
        "models": model_values(bundle.models),
        "power": power_values(bundle.power),
        "qualitative": qualitative_values(bundle.agreement, bundle.agreement_overall,
                                          bundle.themes, bundle.disagreements,
                                          bundle.saturation, config["data_source"]),
        "robustness": robustness_values(bundle.claims, bundle.robustness, bundle.scenarios,
                                        float(config["alpha"])),
        "simulation": simulation_values(bundle.claims, bundle.performance, bundle.sample_size,
                                        bundle.covariance, config,
                                        bundle.settings.get("gee_covariance", "")),
        "software": software_versions(),
        "hashes": hash_values(bundle.hashes, bundle.committed_match),
    }
