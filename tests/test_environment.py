"""The pins in pyproject.toml, environment.yml and the rules' conda env agree."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pyproject_pins() -> dict[str, str]:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        deps = tomllib.load(fh)["project"]["dependencies"]
    pins = {}
    for dep in deps:
        name, sep, version = dep.partition("==")
        assert sep, f"pyproject dependency {dep!r} is not pinned exactly (name==version)"
        pins[name.strip().lower()] = version.strip()
    return pins


def _conda_pip_pins(path: Path) -> dict[str, str]:
    env = yaml.safe_load(path.read_text(encoding="utf-8"))
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    return {d.split("==")[0].lower(): d.split("==")[1] for d in pip if "==" in d}


def test_every_dependency_is_pinned_exactly():
    pins = _pyproject_pins()
    for required in ("snakemake", "pandas", "numpy", "scipy", "statsmodels", "seaborn",
                     "matplotlib", "pyyaml", "pandera", "pypandoc-binary", "typst", "pytest",
                     "ruff"):
        assert required in pins, f"{required} missing from pyproject dependencies"


def test_optional_dependencies_are_pinned_exactly():
    with open(ROOT / "pyproject.toml", "rb") as fh:
        extras = tomllib.load(fh)["project"]["optional-dependencies"]
    assert {"cluster", "qda"} <= set(extras)
    for extra, deps in extras.items():
        for dep in deps:
            name, sep, version = dep.partition("==")
            assert sep and name.strip() and version.strip(), (extra, dep)


def test_environment_yml_matches_pyproject():
    assert _conda_pip_pins(ROOT / "environment.yml") == _pyproject_pins()


def test_environment_yml_adds_quarto_and_python_311():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    plain = [d for d in env["dependencies"] if isinstance(d, str)]
    assert "quarto" in plain
    assert "python=3.11" in plain


def test_rule_env_installs_the_pinned_project():
    env = yaml.safe_load((ROOT / "workflow/envs/analysis.yaml").read_text(encoding="utf-8"))
    plain = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert "python=3.11" in plain
    assert pip == ["-e ../.."], "the rule env must install the project with its exact pins"
