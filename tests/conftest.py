"""Shared fixtures: the repository, the default configuration, the default study,
and a temporary copy of the repository for Snakemake runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.config import load_config
from analysis.dependencies import PACKAGE_DIR, module_name
from analysis.study.generate import generate_study

ROOT = Path(__file__).resolve().parents[1]

#: What a copy of the repository leaves out: environments, outputs, caches, VCS.
COPY_IGNORE = shutil.ignore_patterns(
    ".venv", "results", ".snakemake", ".git", "__pycache__", ".pytest_cache", ".ruff_cache",
    "*.egg-info", "restricted")


def copy_repo(destination: Path) -> Path:
    """Copy the repository's sources (no results, caches or environment) to ``destination``."""
    shutil.copytree(ROOT, destination, ignore=COPY_IGNORE)
    return destination


def all_modules() -> list[str]:
    """Every module of the package (sorted): what the layer and import-graph tests walk."""
    return sorted(module_name(p) for p in PACKAGE_DIR.rglob("*.py"))


def snakemake_executable() -> Path:
    """The venv's ``snakemake`` script (beside the running interpreter)."""
    return Path(sys.executable).parent / "snakemake"


def run_snakemake(workdir: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the venv's snakemake in ``workdir`` with the venv first on PATH."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return subprocess.run([str(snakemake_executable()), *args], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root (the folder holding the Snakefile)."""
    return ROOT


@pytest.fixture(scope="session")
def config() -> dict:
    """The validated default configuration."""
    return load_config()


@pytest.fixture(scope="session")
def study(config):
    """The default synthetic study (seed 34933576, 24 participants)."""
    return generate_study(config)


@pytest.fixture(scope="session")
def snakemake():
    """``snakemake(workdir, *args)``: run the venv's snakemake, return the completed process."""
    return run_snakemake


@pytest.fixture(scope="session")
def make_repo_copy(tmp_path_factory):
    """``make_repo_copy(name)``: a fresh temporary copy of the repository."""
    return lambda name="repo": copy_repo(tmp_path_factory.mktemp(name) / "repo")


@pytest.fixture(scope="session")
def repo_copy(tmp_path_factory) -> Path:
    """One temporary copy of the repository shared by a session's Snakemake runs."""
    return copy_repo(tmp_path_factory.mktemp("repo") / "repo")


def write_config(path: Path, **overrides) -> Path:
    """The default configuration with top-level ``overrides``, written as YAML to ``path``."""
    import yaml

    config = load_config()
    config.update(overrides)
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path
