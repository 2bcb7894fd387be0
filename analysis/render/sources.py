"""What the manuscript is made of, read from the manuscript itself.

The Quarto project is the repository root: ``_quarto.yml`` there (so that
``quarto render`` at the root renders the paper), the manuscript in
``manuscript/``. The workflow's render step depends on exactly these files:
``_quarto.yml`` and every project file it names (bibliography, citation
style, the Lua filters and Typst header of its formats), the ``.qmd``, every
file the manuscript includes with ``{{< include >}}`` (the generated tables
and figure blocks), and the image of every included figure block
(``<name>.png`` beside ``<name>.md``). The shortcode pattern is the one the
fallback renderer expands (:mod:`analysis.render.engine`), so the two cannot
disagree about what an include is. Nothing heavy is imported: the workflow
reads this at parse time.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from analysis.io import load_yaml

QMD_NAME = "manuscript.qmd"
CONFIG_NAME = "_quarto.yml"
#: Quarto's project variables, for ``{{< var key >}}``, beside ``_quarto.yml``.
VARIABLES_NAME = "_variables.yml"
SHORTCODE = re.compile(r"\{\{<\s*(?P<name>[\w-]+)(?P<args>.*?)\s*>\}\}")
#: Keys of ``_quarto.yml`` (top level or under ``format.<name>``) that name project files,
#: relative to the project folder. ``metadata-files`` is left out: it names generated values.
FILE_KEYS = ("bibliography", "csl", "filters", "include-in-header", "include-before-body",
             "include-after-body", "template", "template-partials", "reference-doc")


def project_root(manuscript_dir: Path) -> Path:
    """The Quarto project folder: the nearest folder at or above ``manuscript_dir``
    holding ``_quarto.yml`` (as Quarto itself finds it).

    Raises
    ------
    FileNotFoundError
        No folder at or above ``manuscript_dir`` holds ``_quarto.yml``.
    """
    start = Path(manuscript_dir).resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise FileNotFoundError(f"no {CONFIG_NAME} in {manuscript_dir} or any folder above it")


def _named_files(value: object) -> list[str]:
    """File names in one option's value: a string, a list, or filter maps ``{path: ...}``."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("path")
        # Filters may also be names such as "quarto" or an extension: only files count.
        if isinstance(item, str) and Path(item).suffix:
            names.append(item)
    return names


def config_files(root: Path) -> list[Path]:
    """``root/_quarto.yml``, ``_variables.yml`` if there is one, and every file
    ``_quarto.yml`` names (see :data:`FILE_KEYS`), in order."""
    config = root / CONFIG_NAME
    settings = load_yaml(config.read_text(encoding="utf-8")) or {}
    layers = [settings]
    formats = settings.get("format")
    if isinstance(formats, dict):
        layers += [options for options in formats.values() if isinstance(options, dict)]
    files = [config]
    if (root / VARIABLES_NAME).is_file():
        files.append(root / VARIABLES_NAME)
    for layer in layers:
        for key in FILE_KEYS:
            files += [root / name for name in _named_files(layer.get(key))]
    return list(dict.fromkeys(files))


@dataclass(frozen=True)
class ManuscriptFiles:
    """The files one render reads, relative to the repository root.

    ``sources`` are the project's own files, ``includes`` the generated files
    it includes, ``images`` the figure images those include.
    """

    sources: tuple[str, ...]
    includes: tuple[str, ...]
    images: tuple[str, ...]


def include_targets(text: str) -> list[str]:
    """The argument of every ``{{< include PATH >}}`` shortcode in ``text``, in order."""
    targets = []
    for match in SHORTCODE.finditer(text):
        if match["name"] == "include":
            args = shlex.split(match["args"])
            if len(args) == 1:
                targets.append(args[0])
    return targets


def _relative(path: Path, root: Path) -> str:
    return Path(os.path.relpath(path.resolve(), root.resolve())).as_posix()


def resolve_include(target: str, document_dir: Path, project_dir: Path) -> Path:
    """Where ``{{< include target >}}`` points, as Quarto resolves it.

    Quarto pastes an included file into the main document, so a relative path
    in it, including one in a nested include, is relative to the *main
    document's* folder, not the included file's; a path starting with ``/``
    is relative to the project root.
    """
    if target.startswith("/"):
        return (project_dir / target.lstrip("/")).resolve()
    return (document_dir / target).resolve()


def manuscript_files(project: Path, root: Path) -> ManuscriptFiles:
    """Sources, generated includes and figure images of the manuscript in ``project``.

    Includes of files in the source tree are followed (they may include more);
    includes of generated files (under ``results/``, which may not exist yet)
    are listed, and each included figure block ``<name>.md`` under a
    ``figures`` folder brings its ``<name>.png``.
    """
    sources = [*config_files(project_root(project)), project / QMD_NAME]
    includes: list[Path] = []
    pending = [project / QMD_NAME]
    seen: set[Path] = set()
    while pending:
        current = pending.pop(0)
        if current in seen:
            continue
        seen.add(current)
        for target in include_targets(current.read_text(encoding="utf-8")):
            path = resolve_include(target, project, project_root(project))
            if _relative(path, root).startswith("results/"):
                includes.append(path)
            else:
                sources.append(path)
                pending.append(path)
    images = [p.with_suffix(".png") for p in includes
              if p.parent.name == "figures" and p.suffix == ".md"]
    unique = lambda paths: tuple(dict.fromkeys(_relative(p, root) for p in paths))  # noqa: E731
    return ManuscriptFiles(unique(sources), unique(includes), unique(images))
