"""The paper's figures: one function per figure, one module per figure family.

Every figure is drawn by one function ``<name>(results, data) -> Figure`` and
described by two builders, ``<name>_caption`` and ``<name>_alt``, that compute
every number they quote from the same inputs. :func:`build` draws a figure and
writes ``<outdir>/<name>.png`` (300 dpi), ``<name>.svg`` and the sidecar
``<name>.yml`` (``caption`` and ``alt``), which the Snakemake report reads, and
``<name>.md``, the same caption and alt text as the Quarto figure block the
manuscript includes.

:data:`FIGURES` is the one list of figures and of the result files each reads.
The workflow (``workflow/rules/figures.smk``) builds its input lists from it;
the code a figure job runs is derived from the import graph of the figure's
module (:mod:`analysis.dependencies`), so editing one figure's module reruns
that figure only. This module imports no plotting library, so the workflow can
read the list cheaply at parse time.

Run one figure by hand::

    python -m analysis figure arrest_curve --results results \\
        --data results/data/synthetic --outdir results/figures
"""

from __future__ import annotations

import glob
import importlib
import os
from dataclasses import dataclass
from pathlib import Path

from analysis.study.vocabulary import QUANT_TABLES


@dataclass(frozen=True)
class FigureSpec:
    """One figure: its module and every file it reads.

    Attributes
    ----------
    name
        Figure name: the function, the output stem and the workflow target.
    module
        Module of :mod:`analysis.paper.figures` that draws it.
    results
        Files it reads, relative to the results directory.
    data
        Study tables it reads (``<data>/<table>.csv``).
    workflow
        True when it reads the workflow definition itself (the rule graph).
    restricted_results, restricted_data
        What it reads instead in a restricted-data build (None: the same).
        Restricted builds write no row-level results, so a figure drawn from
        them draws an aggregate instead.
    """

    name: str
    module: str
    results: tuple[str, ...] = ()
    data: tuple[str, ...] = ()
    workflow: bool = False
    restricted_results: tuple[str, ...] | None = None
    restricted_data: tuple[str, ...] | None = None

    @property
    def module_name(self) -> str:
        return f"analysis.paper.figures.{self.module}"

    @property
    def module_path(self) -> str:
        return f"analysis/paper/figures/{self.module}.py"

    def inputs(self, results: str, data: str, restricted: bool = False) -> list[str]:
        """The results, study tables and workflow files the figure's job reads.

        Paths are relative to the repository root. The code the job runs is
        not listed here: the workflow derives it from the import graph.
        """
        workflow_files = (["Snakefile", *sorted(glob.glob("workflow/rules/*.smk")),
                           "config/config.yaml", "workflow/schemas/config.schema.yaml"]
                          if self.workflow else [])
        reads = (self.restricted_results if restricted and self.restricted_results is not None
                 else self.results)
        tables = (self.restricted_data if restricted and self.restricted_data is not None
                  else self.data)
        return [
            *(f"{results}/{path}" for path in reads),
            *(f"{data}/{table}.csv" for table in tables),
            *workflow_files,
        ]


#: Every figure, in the order the manuscript shows them.
FIGURES: dict[str, FigureSpec] = {spec.name: spec for spec in (
    FigureSpec("initiation_by_race", "initiation",
               results=("tables/initiation_patterns.csv",)),
    FigureSpec("practices_by_initiator", "practices",
               results=("tables/practices_by.csv", "claims.json")),
    FigureSpec("arrest_curve", "arrest", results=("claims.json", "inference/fits.json"),
               data=QUANT_TABLES, restricted_data=()),
    FigureSpec("race_forest", "disparities",
               results=("claims.json", "inference/survivor_tests.csv", "tables/arrests_by.csv")),
    # Restricted builds: survivors per code (aggregate), not the survivors x codes matrix.
    FigureSpec("code_by_case", "qualitative",
               results=("qualitative/code_by_case.csv",), data=("qual_codebook",),
               restricted_results=("qualitative/themes.csv", "qualitative/agreement.json")),
    # Restricted builds: not drawn (the curve in interview order follows single interviews).
    FigureSpec("code_saturation", "qualitative",
               results=("qualitative/saturation.csv", "qualitative/saturation.json"),
               restricted_results=()),
    FigureSpec("violence_strategies", "prevalence",
               results=("tables/violence_forms.csv", "tables/informal_strategies.csv",
                        "claims.json")),
    FigureSpec("robustness", "robustness",
               results=("robustness/summary.csv", "robustness/scenarios.json", "claims.json")),
    FigureSpec("power_curves", "simulation",
               results=("simulation/performance.csv", "simulation/sample_size.csv",
                        "claims.json")),
    FigureSpec("coverage", "simulation", results=("simulation/performance.csv", "claims.json")),
    FigureSpec("workflow_dag", "dag", workflow=True),
)}

#: The files every figure writes, by extension: the image twice, the sidecar (caption and alt
#: text) and the Markdown figure block the manuscript includes.
OUTPUTS = ("png", "svg", "yml", "md")


def figure_functions(name: str):
    """The drawing function and the caption and alt-text builders of figure ``name``."""
    if name not in FIGURES:
        raise ValueError(f"unknown figure '{name}': expected one of {', '.join(FIGURES)}")
    module = importlib.import_module(FIGURES[name].module_name)
    return (getattr(module, name), getattr(module, f"{name}_caption"),
            getattr(module, f"{name}_alt"))


def build(name: str, results: Path, data: Path, outdir: Path,
          manuscript: Path = Path("manuscript"),
          small_cell_threshold: int | None = None) -> list[Path]:
    """Draw figure ``name``; write its PNG, SVG, YAML sidecar and Markdown block under ``outdir``.

    The Markdown block (``<name>.md``) is what the manuscript includes: the PNG
    with the sidecar's caption and alt text, its path relative to ``manuscript``.
    With ``small_cell_threshold`` the figure is drawn for restricted data:
    suppressed cells are not drawn (the caption says so), and no figure shows
    a single survivor's data.
    """
    from analysis.io import write_text
    from analysis.paper.figures.style import (
        figure_markdown,
        one_figure,
        restricted_mode,
        save_figure,
    )

    spec = FIGURES[name]
    draw, caption, alt = figure_functions(name)
    results, data, outdir = Path(results), Path(data), Path(outdir)
    with restricted_mode(small_cell_threshold), one_figure():
        fig = draw(results, data)
        caption_text, alt_text = caption(results, data), alt(results, data)
    paths = save_figure(fig, outdir / name, caption_text, alt_text,
                        source=f"{spec.module_path}:{name}")
    image = os.path.relpath(outdir / f"{name}.png", manuscript)
    markdown = outdir / f"{name}.md"
    write_text(markdown, figure_markdown(name, Path(image).as_posix(), caption_text, alt_text,
                                         spec.module_path))
    return [*paths, markdown]


__all__ = ["FIGURES", "OUTPUTS", "FigureSpec", "build", "figure_functions"]
