"""The import graph the workflow derives each job's code inputs from."""

from __future__ import annotations

from analysis.dependencies import (
    ROOT,
    code_files,
    data_files,
    direct_imports,
    module_constant,
    module_path,
    transitive_imports,
)
from analysis.paper.figures import FIGURES
from tests.conftest import all_modules


def test_imports_inside_functions_are_edges():
    # analysis.cli.describe imports the describe step only inside run().
    assert "analysis.steps.describe" in direct_imports("analysis.cli.describe")


def test_from_import_of_a_submodule_is_an_edge_to_it():
    # `from analysis.paper import fmt` names the module analysis.paper.fmt.
    assert "analysis.paper.fmt" in direct_imports("analysis.paper.values.results")


def test_a_module_brings_its_packages_init():
    closure = transitive_imports("analysis.steps.claims")
    assert {"analysis", "analysis.steps", "analysis.stats", "analysis.study"} <= closure


def test_data_files_a_module_names_are_dependencies():
    assert module_path("analysis.steps.claims").with_name("claims.yaml") in data_files(
        "analysis.steps.claims")
    lua = ROOT / "analysis" / "render" / "resources" / "quarto_compat.lua"
    assert lua in data_files("analysis.render.engine")
    assert "analysis/study/resources/qualitative_codebook.yaml" in code_files(
        "analysis.cli.generate")


def test_the_exports_depend_on_the_palette():
    """The defect this replaced: exchange.smk did not list the palette the exports colour with."""
    assert "analysis/palette.py" in code_files("analysis.__main__", "analysis.cli.exchange")


def test_every_non_python_file_of_the_package_is_read_by_some_module():
    used = {p for m in all_modules() for p in data_files(m)}
    # A SOURCES.md says where a vendored resource comes from and under what licence: a
    # notice for readers, never read by the code (so no job depends on it).
    resources = {p for p in (ROOT / "analysis").rglob("*")
                 if p.is_file() and p.suffix not in (".py", ".pyc")
                 and "__pycache__" not in p.parts and p.name != "SOURCES.md"}
    assert resources == used


def test_a_figure_job_runs_no_other_figure_and_no_statistics():
    for spec in FIGURES.values():
        files = code_files("analysis.__main__", "analysis.cli.figure", spec.module_name)
        others = {s.module_path for s in FIGURES.values()} - {spec.module_path}
        assert not others & set(files), spec.name
    light = code_files("analysis.__main__", "analysis.cli.figure",
                       FIGURES["initiation_by_race"].module_name)
    assert not any(f.startswith(("analysis/stats/", "analysis/steps/")) for f in light)


def test_module_constant_reads_a_literal_without_importing():
    assert module_constant("analysis.cli.describe", "CONFIG_KEYS") == ("alpha", "data_source")
    assert module_constant("analysis.cli.render", "CONFIG_KEYS", ()) == ()
