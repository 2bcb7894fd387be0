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

Snakemake builds this graph on every run, a no-op included, so what each file
imports and names can be kept between runs (:func:`use_cache`): a file whose
size and modification time are unchanged is not parsed again.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import re
from collections.abc import Iterator
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


#: Per-file facts kept between runs: {path relative to ROOT: {"stamp": [mtime_ns, size],
#: "imports": [...], "strings": [...]}} (see :func:`use_cache`).
_FACTS: dict[str, dict[str, Any]] = {}
_CACHE_FILE: list[Path] = []
_DIRTY: list[bool] = [False]
#: Bumped when what a file's facts hold changes, so an old cache is ignored.
_CACHE_VERSION = 1


def use_cache(path: Path) -> None:
    """Keep per-file facts in ``path`` (JSON) between runs; :func:`save_cache` writes it."""
    _CACHE_FILE[:] = [Path(path)]
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(data, dict) and data.get("version") == _CACHE_VERSION:
        _FACTS.update(data.get("files", {}))


def save_cache() -> None:
    """Write the facts to the file named by :func:`use_cache`, if anything was parsed."""
    if not _CACHE_FILE or not _DIRTY[0]:
        return
    path = _CACHE_FILE[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    tmp.write_text(json.dumps({"version": _CACHE_VERSION, "files": _FACTS}, sort_keys=True),
                   encoding="utf-8")
    os.replace(tmp, path)
    _DIRTY[0] = False


def _facts(path: Path) -> dict[str, Any]:
    """What ``path`` imports (dotted names, unfiltered) and the file names it quotes."""
    stat = path.stat()
    stamp = [stat.st_mtime_ns, stat.st_size]
    key = path.resolve().relative_to(ROOT).as_posix()
    known = _FACTS.get(key)
    if known is not None and known.get("stamp") == stamp:
        return known
    imports: list[str] = []
    for node in _statements(_parse(path)):
        if isinstance(node, ast.Import):
            imports += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from analysis.x import y`: y may be a submodule or a name in x.
            imports += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    # Simple quoted strings of the source (a file name has no quotes or escapes).
    strings = sorted({m["s"] for m in _STRING.finditer(path.read_text(encoding="utf-8"))
                      if FILE_NAME.fullmatch(m["s"]) and not m["s"].endswith(".py")})
    facts = {"stamp": stamp, "imports": sorted(set(imports)), "strings": strings}
    _FACTS[key] = facts
    _DIRTY[0] = True
    return facts


def _statements(tree: ast.Module) -> Iterator[ast.stmt]:
    """Every statement of ``tree``, nested ones included (imports are statements).

    Walking statements only, not every expression, is what keeps the
    workflow's start-up fast: the import graph is read on every Snakemake run.
    """
    stack: list[ast.stmt] = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        yield node
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, field, None)
            if children:
                stack.extend(reversed([c for c in children if isinstance(c, ast.AST)]))


_STRING = re.compile(r"""(?P<q>["'])(?P<s>[^"'\\\n]+)(?P=q)""")


@functools.cache
def direct_imports(module: str) -> frozenset[str]:
    """Modules of this package that ``module`` imports anywhere in its source."""
    return frozenset(name for name in _facts(module_path(module))["imports"]
                     if name.split(".")[0] == PACKAGE and _exists(name))


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
    for name in _facts(path)["strings"]:
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


def module_constant(module: str, name: str, default: Any = None) -> Any:
    """The literal value of a module-level constant, read without importing the module."""
    for node in _parse(module_path(module)).body:
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign) and node.value else [])
        for target in targets:
            if isinstance(target, ast.Name) and target.id == name:
                return ast.literal_eval(node.value)
    return default
