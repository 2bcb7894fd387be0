"""End to end: the real workflow builds the real manuscript, deterministically.

The builds run in scratch copies of the repository with few robustness
replications, set through ``--config`` (the same code path as the default).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from analysis.verify import compare, output_hashes
from analysis.workspace import ROOT, copy_repository, snakemake, workflow_env

pytestmark = pytest.mark.slow

FAST = ["robustness_replications=40", "robustness_shards=2"]
FINAL_OUTPUTS = [
    "results/manuscript/manuscript.html",
    "results/manuscript/manuscript.pdf",
    "results/claims.json",
    "results/values.yml",
    "results/robustness/summary.csv",
    "results/robustness/replications.csv",
    "results/exchange/study.qdpx",
    "results/exchange/codebook.qdc",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """One full build with one core."""
    repo = copy_repository(tmp_path_factory.mktemp("build") / "a")
    result = snakemake(["--cores", "1", "--config", *FAST], repo, timeout=1800)
    assert result.returncode == 0, result.output[-4000:]
    return repo


@pytest.fixture(scope="module")
def built_again(tmp_path_factory) -> Path:
    """A second full build, at a longer path, with four cores."""
    repo = copy_repository(tmp_path_factory.mktemp("build") / "second-build-at-another-path")
    result = snakemake(["--cores", "4", "--config", *FAST], repo, timeout=1800)
    assert result.returncode == 0, result.output[-4000:]
    return repo


def test_every_final_output_exists_and_is_nonempty(built):
    for name in FINAL_OUTPUTS:
        path = built / name
        assert path.exists(), name
        assert path.stat().st_size > 0, name
    assert (built / "results/manuscript/manuscript.pdf").read_bytes().startswith(b"%PDF")


def test_claims_json_has_every_claim_with_its_fields(built):
    claims = json.loads((built / "results/claims.json").read_text())["claims"]
    assert [c["id"] for c in claims] == [f"C{i}" for i in range(1, 12)]
    for claim in claims:
        for key in ("id", "statement", "method", "estimate", "ci_low", "ci_high", "p_value",
                    "expected_direction", "observed_direction", "reproduced", "reason"):
            assert key in claim, (claim["id"], key)
    assert all(c["reproduced"] for c in claims), "the default seed reproduces C1-C11"


def _leaves(tree, prefix=""):
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _leaves(value, f"{prefix}{key}.")
    else:
        yield prefix[:-1], str(tree)


def test_manuscript_quotes_the_values_and_leaves_no_raw_markup(built):
    html = (built / "results/manuscript/manuscript.html").read_text(encoding="utf-8")
    html = re.sub(r"\s+", " ", html)  # Pandoc wraps long lines
    values = yaml.safe_load((built / "results/values.yml").read_text(encoding="utf-8"))
    for key in ("claims.C4.summary", "claims.C7.ci", "claims.C10.estimate", "study.seed",
                "qualitative.pooled_kappa", "robustness.C7.sentence", "practices.any_overall"):
        value = dict(_leaves(values))[key]
        assert value.replace("\u2212", "&minus;") in html or value in html, key
    for raw in ("{{<", "@fig-", "@tbl-", "??"):
        assert raw not in html, raw
    assert "Content note" in html
    assert "synthetic" in html.lower()


def test_no_op_rebuild_runs_nothing(built):
    result = snakemake(["--cores", "1", "--config", *FAST], built)
    assert result.returncode == 0, result.output[-2000:]
    assert result.jobs == [], result.jobs


def _dry_run_rules(repo: Path, *extra: str) -> set[str]:
    result = snakemake(["--cores", "1", "-n", "--config", *FAST, *extra], repo)
    assert result.returncode == 0, result.output[-2000:]
    return set(result.jobs)


def test_editing_one_module_reruns_exactly_its_dependants(built):
    # Snakemake compares contents, not only times, so make a real edit.
    module = built / "analysis" / "qualitative.py"
    original = module.read_text(encoding="utf-8")
    try:
        module.write_text(original + "\n# an edit\n", encoding="utf-8")
        rules = _dry_run_rules(built)
    finally:
        module.write_text(original, encoding="utf-8")
    assert "qualitative" in rules
    assert {"values", "render"} <= rules
    assert not rules & {"generate", "describe", "infer", "claims", "robustness_shard",
                        "robustness_merge", "exchange"}, rules


def test_changing_alpha_reruns_only_what_uses_it(built):
    rules = _dry_run_rules(built, "alpha=0.1")
    assert {"claims", "infer", "describe", "values", "render"} <= rules
    assert not rules & {"generate", "qualitative", "exchange"}, rules


def test_two_builds_at_different_paths_and_core_counts_are_byte_identical(built, built_again):
    rows = compare(output_hashes(built), output_hashes(built_again))
    different = [r for r in rows if r[3] != "same"]
    assert len(rows) > 60
    assert different == []


def test_interrupted_build_resumes_to_the_same_bytes(built, tmp_path):
    repo = copy_repository(tmp_path / "interrupted")
    executable = Path(sys.executable).parent / "snakemake"
    proc = subprocess.Popen([str(executable), "--cores", "2", "--config", *FAST], cwd=repo,
                            env=workflow_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    shard_log = repo / "results" / "logs" / "robustness"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not (shard_log.exists() and any(shard_log.iterdir())):
        time.sleep(0.2)
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert not (repo / "results/manuscript/manuscript.pdf").exists(), "killed too late"
    # A killed Snakemake leaves its lock behind; --unlock is the documented way on.
    assert snakemake(["--unlock"], repo).returncode == 0
    resumed = snakemake(["--cores", "2", "--config", *FAST], repo, timeout=1800)
    assert resumed.returncode == 0, resumed.output[-4000:]
    assert list((repo / "results").rglob("*.part")) == []
    rows = compare(output_hashes(built), output_hashes(repo))
    assert [r for r in rows if r[3] != "same"] == []


def test_lint_is_clean():
    env = workflow_env()
    ruff = subprocess.run([str(Path(sys.executable).parent / "ruff"), "check", "analysis",
                           "tests", "workflow"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    lint = snakemake(["--lint"], ROOT)
    assert lint.returncode == 0, lint.output[-3000:]
    assert "Lints for" not in lint.output, lint.output[-3000:]
