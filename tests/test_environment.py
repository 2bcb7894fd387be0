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


# --- the lock ------------------------------------------------------------------------------

LOCK = ROOT / "requirements.lock"


def _normal(name: str) -> str:
    """A distribution name in its normal form (PEP 503)."""
    import re

    return re.sub(r"[-_.]+", "-", name).lower()


def _lock_entries() -> dict[str, tuple[str, list[str]]]:
    """``name -> (version, hashes)`` of every package pinned in requirements.lock."""
    entries: dict[str, tuple[str, list[str]]] = {}
    current = None
    for raw in LOCK.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not raw.startswith((" ", "\t")):
            spec = line.rstrip("\\").strip()
            name, sep, version = spec.partition("==")
            assert sep, f"requirements.lock: {spec!r} is not pinned exactly"
            current = _normal(name.split("[")[0])
            entries[current] = (version.split(";")[0].strip(), [])
        elif line.startswith("--hash=sha256:"):
            entries[current][1].append(line.split(":", 1)[1].rstrip("\\").strip())
    return entries


def _build_requires() -> list[str]:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["build-system"]["requires"]


def test_the_lock_holds_every_pin_of_pyproject_and_the_build_backend():
    lock = _lock_entries()
    for name, version in _pyproject_pins().items():
        assert _normal(name) in lock, f"{name} is not in requirements.lock: run make lock"
        assert lock[_normal(name)][0] == version, (
            f"{name}: pyproject pins {version}, requirements.lock {lock[_normal(name)][0]}; "
            "run make lock")
    for requirement in _build_requires():
        name, sep, version = requirement.partition("==")
        assert sep, f"build-system requirement {requirement!r} is not pinned exactly"
        assert lock[_normal(name)][0] == version, f"{name}: run make lock"


def test_every_locked_package_has_sha256_hashes_and_no_location():
    lock = _lock_entries()
    assert len(lock) > len(_pyproject_pins()), "the lock holds the whole tree, not the pins"
    for name, (_, hashes) in lock.items():
        assert hashes and all(len(h) == 64 for h in hashes), name
    text = LOCK.read_text(encoding="utf-8")
    for option in ("--index-url", "--extra-index-url", "--find-links", "--trusted-host",
                   "file://", "://"):
        assert option not in text, f"requirements.lock names a location ({option})"


def test_make_installs_from_the_lock_with_hashes():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "pip install --quiet --require-hashes -r $(LOCK)" in makefile
    assert "pip install --quiet --no-deps --no-build-isolation -e '.[qda]'" in makefile
    assert "--extra qda" in makefile  # the lock holds the readers the tests use
    assert "LOCK := requirements.lock" in makefile


def test_licence_metadata_is_an_spdx_expression_with_its_file():
    with open(ROOT / "pyproject.toml", "rb") as fh:
        project = tomllib.load(fh)["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"] and (ROOT / "LICENSE").is_file()
