"""Render the manuscript to self-contained HTML, PDF and DOCX (Quarto, or Pandoc + Typst)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", type=Path, default=Path("manuscript"),
                        help="manuscript folder with manuscript.qmd, in a folder below that of "
                             "_quarto.yml (default: manuscript)")
    parser.add_argument("--values", type=Path, default=Path("results/values.yml"),
                        help="values YAML for meta shortcodes (default: results/values.yml)")
    parser.add_argument("--outdir", type=Path, default=Path("results/manuscript"),
                        help="output folder (default: results/manuscript)")
    parser.add_argument("--results-dir", type=Path, default=None,
                        help="results folder the manuscript's ../results/ paths should read, "
                             "e.g. results/restricted (default: as written)")
    parser.add_argument("--engine", choices=("auto", "quarto", "pandoc"), default="auto",
                        help="auto: quarto if on PATH, else pandoc + typst (default: auto); "
                             "values.yml must name the same engine (render_engine)")
    parser.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE",
                        help="extra metadata for {{< meta KEY >}} (repeatable)")


def run(args: argparse.Namespace) -> None:
    from analysis.render.engine import render_manuscript

    if any("=" not in item for item in args.meta):
        raise ValueError("--meta takes KEY=VALUE")
    extra = dict(item.split("=", 1) for item in args.meta)
    render_manuscript(args.project, args.outdir, args.values, args.engine, extra,
                      args.results_dir)
