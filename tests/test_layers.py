"""The package's layers: each module imports only from its own layer or below."""

from __future__ import annotations

import pytest

from analysis.dependencies import direct_imports
from tests.conftest import all_modules

#: Layer of each top-level part of the package, lowest first.
LAYERS = {
    "analysis": 0, "analysis.config": 0, "analysis.io": 0, "analysis.palette": 0,
    "analysis.dependencies": 0,
    "analysis.study": 1, "analysis.stats": 1,
    "analysis.steps": 2,
    "analysis.disclosure": 3,
    "analysis.paper": 4, "analysis.exports": 4, "analysis.render": 4, "analysis.provenance": 4,
    "analysis.cli": 5, "analysis.dev": 5,
}
#: ``python -m analysis`` is the command line's entry point.
ALIASES = {"analysis.__main__": "analysis.cli"}


def layer(module: str) -> tuple[str, int]:
    """The part of the package a module belongs to, and that part's layer."""
    parts = module.split(".")
    part = ".".join(parts[:2]) if len(parts) > 1 else module
    part = ALIASES.get(part, part)
    return part, LAYERS[part]


@pytest.mark.parametrize("module", all_modules())
def test_a_module_imports_only_its_own_layer_or_below(module):
    part, level = layer(module)
    for imported in direct_imports(module):
        other, other_level = layer(imported)
        assert other_level <= level, f"{module} (layer {level}) imports {imported} ({other_level})"
        if level == other_level and part != other:
            # Parts of one layer are independent of each other (study and stats, paper and
            # exports and render); the base modules may use each other.
            assert level == 0, f"{module} imports {imported}, a sibling part of its layer"


def test_every_part_of_the_package_has_a_layer():
    assert {layer(m)[0] for m in all_modules()} == set(LAYERS)


def test_the_study_does_not_know_the_estimators_nor_they_the_study():
    for module in all_modules():
        imported = {layer(m)[0] for m in direct_imports(module)}
        if module.startswith("analysis.study"):
            assert "analysis.stats" not in imported, module
        if module.startswith("analysis.stats"):
            assert "analysis.study" not in imported, module
