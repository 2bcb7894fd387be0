"""The committed synthetic study is a declared input of the build (rule check_committed):
a committed table that is not what the configuration generates stops the default build
with the file, column and row, unless check_committed_data is false, and the manuscript's
statement follows the files in both directions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from analysis.dev.workspace import ROOT, copy_repository, snakemake

pytestmark = pytest.mark.slow

REPORT = "results/data/committed.json"
FAST = ["robustness_replications=40", "robustness_shards=2"]


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return copy_repository(tmp_path_factory.mktemp("committed") / "repo")


def _restore(repo: Path) -> None:
    for path in (ROOT / "data" / "synthetic").iterdir():
        shutil.copy2(path, repo / "data" / "synthetic" / path.name)


def _edit(repo: Path, table: str, edit) -> None:
    path = repo / "data" / "synthetic" / f"{table}.csv"
    rows = [line.split(",") for line in path.read_text(encoding="utf-8").splitlines()]
    path.write_text("".join(",".join(r) + "\n" for r in edit(rows)), encoding="utf-8")


def _replace(rows, column, row, value):
    index = rows[0].index(column)
    rows[row + 1][index] = value
    return rows


def _drop(rows, column):
    index = rows[0].index(column)
    return [r[:index] + r[index + 1:] for r in rows]


CORRUPTIONS = {
    "truncated": ("participants", lambda rows: rows[:11],
                  "data/synthetic/participants.csv row 10: missing: the committed table ends "
                  "after 10 rows"),
    "invalid category": ("participants", lambda rows: _replace(rows, "race_ethnicity", 4,
                                                               "Martian"),
                         "data/synthetic/participants.csv row 4 column 'race_ethnicity': "
                         "differs from the regenerated table"),
    "dropped column": ("incidents", lambda rows: _drop(rows, "visible_injury"),
                       "data/synthetic/incidents.csv header column 'visible_injury': missing "
                       "from the committed table"),
}


def test_the_default_target_needs_the_comparison(repo):
    res = snakemake(["-n", "--config", *FAST], repo)
    assert res.returncode == 0, res.output[-2000:]
    assert "check_committed" in res.jobs
    # The manuscript's statement is made from the comparison's report.
    res = snakemake(["-n", "-p", "--config", *FAST, "--", "results/values.yml"], repo)
    assert f"--committed {REPORT}" in res.output


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_a_corrupted_committed_table_stops_the_build(repo, name):
    table, edit, message = CORRUPTIONS[name]
    _restore(repo)
    try:
        _edit(repo, table, edit)
        res = snakemake(["--cores", "1", "--", REPORT], repo)
        assert res.returncode != 0, res.output[-3000:]
        assert message in res.output, res.output[-3000:]
        assert "Martian" not in res.output     # the value itself is never quoted
        assert not (repo / REPORT).exists()    # nothing half-written
    finally:
        _restore(repo)


def test_opt_out_and_other_configurations_only_report(repo):
    _restore(repo)
    try:
        _edit(repo, *CORRUPTIONS["invalid category"][:2])
        res = snakemake(["--cores", "1", "--config", "check_committed_data=false", "--",
                         REPORT], repo)
        assert res.returncode == 0, res.output[-3000:]
        report = json.loads((repo / REPORT).read_text())
        assert report["match"] is False and report["required"] is False
        assert report["basis"] == "not required: check_committed_data is false"
        assert report["differences"][0]["column"] == "race_ethnicity"
        _restore(repo)
        # Another seed generates another study: compared and reported, not required.
        res = snakemake(["--cores", "1", "--config", "seed=7", "--", REPORT], repo)
        assert res.returncode == 0, res.output[-3000:]
        report = json.loads((repo / REPORT).read_text())
        assert report["match"] is False and report["required"] is False
        assert "differs from config/config.yaml in seed" in report["basis"]
    finally:
        _restore(repo)


def test_the_manuscript_statement_follows_the_committed_files(repo):
    """'no' with a changed committed table (opt-out), 'yes' once it is restored: never stale."""
    _restore(repo)
    values = repo / "results" / "values.yml"
    try:
        _edit(repo, *CORRUPTIONS["truncated"][:2])
        res = snakemake(["--cores", "2", "--config", *FAST, "check_committed_data=false", "--",
                         "results/values.yml"], repo, timeout=1800)
        assert res.returncode == 0, res.output[-3000:]
        assert yaml.safe_load(values.read_text())["hashes"]["committed_match"] == "no"
    finally:
        _restore(repo)
    res = snakemake(["--cores", "2", "--config", *FAST, "check_committed_data=false", "--",
                     "results/values.yml"], repo, timeout=1800)
    assert res.returncode == 0, res.output[-3000:]
    assert {"check_committed", "values"} <= set(res.jobs)
    assert yaml.safe_load(values.read_text())["hashes"]["committed_match"] == "yes"
