"""What the manuscript is made of, read from the manuscript itself.

The workflow's render step depends on exactly these files: the Quarto
project's own sources (the ``.qmd``, ``_quarto.yml``, and the bibliography
and citation style they name), every file the manuscript includes with
``{{< include >}}`` (the generated tables and figure blocks), and the image of
every included figure block (``<name>.png`` beside ``<name>.md``). The
shortcode pattern is the one the fallback renderer expands
(:mod:`analysis.render.engine`), so the two cannot disagree about what an
include is. Nothing heavy is imported: the workflow reads this at parse time.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import yaml

QMD_NAME = "manuscript.qmd"
SHORTCODE = re.compile(r"\{\{<\s*(?P<name>[\w-]+)(?P<args>.*?)\s*>\}\}")
#: Project keys that name a file of the project (resolved against the project folder).
FILE_KEYS = ("bibliography", "csl")


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


def _project_files(project: Path) -> list[Path]:
    config = project / "_quarto.yml"
    files = [project / QMD_NAME]
    if config.is_file():
        files.append(config)
        settings = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
        for key in FILE_KEYS:
            value = settings.get(key) or []
            files += [project / item for item in ([value] if isinstance(value, str) else value)]
    return files


def manuscript_files(project: Path, root: Path) -> ManuscriptFiles:
    """Sources, generated includes and figure images of the manuscript in ``project``.

    Includes of files in the source tree are followed (they may include more);
    includes of generated files (under ``results/``, which may not exist yet)
    are listed, and each included figure block ``<name>.md`` under a
    ``figures`` folder brings its ``<name>.png``.
    """
    sources = _project_files(project)
    includes: list[Path] = []
    pending = [project / QMD_NAME]
    seen: set[Path] = set()
    while pending:
        current = pending.pop(0)
        if current in seen:
            continue
        seen.add(current)
        for target in include_targets(current.read_text(encoding="utf-8")):
            path = (current.parent / target).resolve()
            if _relative(path, root).startswith("results/"):
                includes.append(path)
            else:
                sources.append(path)
                pending.append(path)
    images = [p.with_suffix(".png") for p in includes
              if p.parent.name == "figures" and p.suffix == ".md"]
    unique = lambda paths: tuple(dict.fromkeys(_relative(p, root) for p in paths))  # noqa: E731
    return ManuscriptFiles(unique(sources), unique(includes), unique(images))
