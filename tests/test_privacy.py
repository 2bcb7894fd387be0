"""Privacy guard: the repository holds no data but the synthetic study, and restricted
data cannot be committed by accident.

Real data belong in ``data/restricted/`` (git-ignored) inside a secure
environment; every data file git tracks must be under ``data/synthetic/``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Extensions of data files: tables, statistical packages' formats, serialised frames.
DATA_EXTENSIONS = {
    ".csv", ".tsv", ".tab", ".xlsx", ".xls", ".xlsm", ".ods", ".sav", ".zsav", ".por",
    ".dta", ".sas7bdat", ".xpt", ".rds", ".rdata", ".rda", ".parquet", ".feather", ".arrow",
    ".pkl", ".pickle", ".h5", ".hdf5", ".sqlite", ".db", ".json", ".jsonl", ".ndjson",
}
SYNTHETIC = PurePosixPath("data/synthetic")


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def tracked() -> list[str]:
    if shutil.which("git") is None or _git("rev-parse", "--git-dir").returncode != 0:
        pytest.skip("not a git checkout")
    return [p for p in _git("ls-files", "-z").stdout.split("\0") if p]


def _is_data(path: str) -> bool:
    name = path.lower()
    return any(name.endswith(ext) for ext in DATA_EXTENSIONS)


def _is_json_schema(path: str) -> bool:
    """A JSON Schema document describes data; it holds none."""
    try:
        document = json.loads((ROOT / path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(document, dict) and "$schema" in document


def test_no_data_file_is_tracked_outside_data_synthetic(tracked):
    outside = [p for p in tracked if _is_data(p) and SYNTHETIC not in PurePosixPath(p).parents
               and not (p.endswith(".json") and _is_json_schema(p))]
    assert not outside, f"data files tracked outside {SYNTHETIC}/: {outside}"


def test_nothing_is_tracked_under_data_but_the_synthetic_study(tracked):
    under_data = [p for p in tracked if p.startswith("data/")]
    assert under_data, "the synthetic study should be committed"
    assert all(p.startswith(f"{SYNTHETIC}/") for p in under_data), under_data


def test_the_synthetic_study_says_it_is_synthetic(tracked):
    readme = (ROOT / SYNTHETIC / "README.md").read_text(encoding="utf-8")
    assert "synthetic" in readme.lower() and "no real participant data" in readme.lower()


@pytest.mark.parametrize("path", ["data/restricted/x.csv", "data/restricted/participants.csv",
                                  "data/restricted/nested/transcripts.csv",
                                  "results/restricted/values.yml"])
def test_restricted_data_and_results_are_ignored(tracked, path):
    result = _git("check-ignore", "-q", path)
    assert result.returncode == 0, f"{path} is not git-ignored"
