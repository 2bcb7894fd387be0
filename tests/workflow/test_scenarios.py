"""A scenario is a block of configuration: one that no shipped file names goes into the paper.

A scenario block (title, description, effect multiplier) and its name in
``robustness_scenarios``, given in a configuration file of the user's own, are
all it takes: the workflow regenerates it in the robustness study, and the
figure, the supplement's table, the values and the manuscript's text show it.
"""

from __future__ import annotations

import json
from html import unescape
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis.config import load_config
from analysis.dev.workspace import copy_repository, snakemake
from analysis.io import read_csv
from analysis.steps.claims import load_registry
from analysis.steps.robustness import run_replications

pytestmark = pytest.mark.slow

NAME = "attenuated"
BLOCK = {"title": "Attenuated", "description": "every association at a third of its strength",
         "effect_multiplier": 0.33}
REPLICATIONS = 40


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    repo = copy_repository(tmp_path_factory.mktemp("scenario") / "repo")
    for path in ("config/config.yaml", "workflow/schemas/config.schema.yaml", "analysis"):
        assert NAME not in "".join(p.read_text(encoding="utf-8", errors="replace")
                                   for p in ([repo / path] if (repo / path).is_file()
                                             else (repo / path).rglob("*.*")))
    simulation = {**load_config()["simulation"], "replications": 20,
                  "truth_participants": 2000}
    mine = {"scenarios": {NAME: BLOCK},
            "robustness_scenarios": ["published", "null", "contrary", NAME],
            "robustness_replications": REPLICATIONS, "simulation": simulation}
    (repo / "mine.yaml").write_text(yaml.safe_dump(mine), encoding="utf-8")
    result = snakemake(["--cores", "2", "--configfile", "mine.yaml"], repo, timeout=1800)
    assert result.returncode == 0, result.output[-4000:]
    return repo


def test_the_robustness_study_regenerates_the_new_scenario(built):
    summary = read_csv(built / "results/robustness/summary.csv")
    claims = [e["id"] for e in load_registry()]
    ours = summary[summary["scenario"] == NAME]
    assert list(ours["claim"]) == claims
    assert (ours["replications"] == REPLICATIONS).all()
    assert list(dict.fromkeys(summary["scenario"])) == ["published", "null", "contrary", NAME]
    named = json.loads((built / "results/robustness/scenarios.json").read_text())["scenarios"]
    assert named[-1] == {"name": NAME, **BLOCK}
    # The replications are the library's, from the seed stream of the scenario's name.
    config = load_config(overrides={"scenarios": {NAME: BLOCK},
                                    "robustness_scenarios": ["published", NAME]})
    expected = run_replications(config, load_registry(), NAME, range(REPLICATIONS))
    rows = read_csv(built / "results/robustness/replications.csv")
    rows = rows[rows["scenario"] == NAME].reset_index(drop=True)
    assert list(rows["verdict"]) == list(expected["verdict"])
    pd.testing.assert_series_equal(rows["estimate"], expected["estimate"], check_exact=False,
                                   rtol=1e-5, check_names=False)


def test_the_paper_shows_the_new_scenario(built):
    values = yaml.safe_load((built / "results/values.yml").read_text(encoding="utf-8"))
    robust = values["robustness"]
    assert robust["scenarios"] == f"published, null, contrary and {NAME}"
    for claim in load_registry():
        assert robust[claim["id"]][NAME]["reproduced"].endswith("%")
    table = (built / "results/tables/robustness.md").read_text(encoding="utf-8")
    assert f"{BLOCK['title']}: reproduced (MCSE)" in table
    sidecar = yaml.safe_load((built / "results/figures/robustness.yml").read_text())
    assert f"studies with {BLOCK['description']} ({NAME})" in " ".join(sidecar["caption"].split())
    assert NAME in sidecar["alt"]
    assert BLOCK["title"] in (built / "results/figures/robustness.svg").read_text()
    html = unescape((built / "results/manuscript/manuscript.html").read_text(encoding="utf-8"))
    text = " ".join(html.split())
    assert f"under each of the published, null, contrary and {NAME} scenarios" in text
    assert f"{BLOCK['title']}: reproduced (MCSE)" in text
