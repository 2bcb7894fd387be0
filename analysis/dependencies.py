"""The files each workflow step runs, derived from the package's own import graph.

The Snakemake rules list the code a job depends on with :func:`code_files`, so
editing any module reruns exactly the jobs whose entry module imports it,
directly or through other modules, and nothing has to be listed by hand. The
graph is read with :mod:`ast` from the source (nothing is imported, so the
workflow can build it at parse time in a few milliseconds):

* every ``import analysis...`` and ``from analysis... import ...`` anywhere in
  a module, including imports inside functions, is an edge; importing a
  module also runs its packages' ``__init__.py``, so those are edges too;
* a string literal that names a file beside the module or in its
  ``resources/`` folder (``"claims.yaml"``, ``"quarto_compat.lua"``) is a data
  file the module reads, so it is a dependency as well.

Module-level constants (a step's ``CONFIG_KEYS``) are read the same way, by
:func:`module_constant`, without importing the module.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

PACKAGE = "analysis"
PACKAGE_DIR = Path(__file__).resolve().parent
ROOT = PACKAGE_DIR.parent
#: What a data file's name looks like: a word, a dot, an extension.
FILE_NAME = re.compile(r"[\w.-]+\.\w+")


def module_path(module: str) -> Path:
    """The source file of a module of this package (``analysis.steps.claims``)."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        raise ValueError(f"'{module}' is not a module of the {PACKAGE} package")
    base = PACKAGE_DIR.joinpath(*parts[1:])
    if base.is_dir():
        return base / "__init__.py"
    path = base.with_suffix(".py")
    if not path.is_file():
        raise ValueError(f"no module '{module}' (expected {path.relative_to(ROOT)})")
    return path


def module_name(path: Path) -> str:
    """The dotted name of a source file of this package."""
    rel = path.resolve().relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _exists(module: str) -> bool:
    try:
        module_path(module)
    except ValueError:
        return False
    return True


@functools.cache
def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@functools.cache
def direct_imports(module: str) -> frozenset[str]:
    """Modules of this package that ``module`` imports anywhere in its source."""
    found: set[str] = set()
    for node in ast.walk(_parse(module_path(module))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from analysis.x import y`: y may be a submodule or a name in x.
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] == PACKAGE and _exists(name):
                found.add(name)
    return frozenset(found)


def _packages(module: str) -> list[str]:
    """The packages whose ``__init__`` runs when ``module`` is imported (itself excluded)."""
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


@functools.cache
def transitive_imports(module: str) -> frozenset[str]:
    """``module`` and every module of this package it imports, directly or indirectly."""
    seen: set[str] = set()
    stack = [module]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        stack.extend(direct_imports(current))
        stack.extend(_packages(current))
    return frozenset(seen)


@functools.cache
def data_files(module: str) -> tuple[Path, ...]:
    """Files other than Python that ``module`` names: beside it or in its ``resources/``."""
    path = module_path(module)
    folders = (path.parent, path.parent / "resources")
    found: set[Path] = set()
    for node in ast.walk(_parse(path)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            name = node.value
            if not FILE_NAME.fullmatch(name) or name.endswith(".py"):
                continue
            for folder in folders:
                candidate = folder / name
                if candidate.is_file():
                    found.add(candidate)
    return tuple(sorted(found))


def code_files(*modules: str, root: Path = ROOT) -> list[str]:
    """Every source and data file the given entry modules run, relative to ``root``, sorted."""
    files: set[Path] = set()
    for module in modules:
        for name in transitive_imports(module):
            files.add(module_path(name))
            files.update(data_files(name))
    return sorted(p.resolve().relative_to(root.resolve()).as_posix() for p in files)


def all_modules() -> list[str]:
    """Every module of this package (sorted)."""
    return sorted(module_name(p) for p in PACKAGE_DIR.rglob("*.py"))


def importers(target: str, entries: Iterable[str]) -> list[str]:
    """The entry modules that import ``target``, directly or through other modules."""
    return [entry for entry in entries if target in transitive_imports(entry)]


def module_constant(module: str, name: str, default: Any = None) -> Any:
    """The literal value of a module-level constant, read without importing the module."""
    for node in _parse(module_path(module)).body:
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign) and node.value else [])
        for target in targets:
            if isinstance(target, ast.Name) and target.id == name:
                return ast.literal_eval(node.value)
    return default
