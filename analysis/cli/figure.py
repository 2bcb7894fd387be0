"""Draw one figure: PNG, SVG, the YAML sidecar (caption, alt text) and the Markdown block.

Writes ``<outdir>/<name>.png``, ``.svg``, ``.yml`` and ``.md`` (the figure
block the manuscript includes, with the image path relative to
``--manuscript``).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from analysis.paper.figures import FIGURES

    parser.add_argument("name", help=f"the figure: {', '.join(FIGURES)}")
    parser.add_argument("--results", type=Path, default=Path("results"),
                        help="results directory (default: results)")
    parser.add_argument("--data", type=Path, default=Path("results/data/synthetic"),
                        help="directory of the study tables (default: results/data/synthetic)")
    parser.add_argument("--outdir", type=Path, default=Path("results/figures"),
                        help="output directory (default: results/figures)")
    parser.add_argument("--manuscript", type=Path, default=Path("manuscript"),
                        help="manuscript directory: image paths in <name>.md are relative to "
                             "it (default: manuscript)")
    parser.add_argument("--small-cell-threshold", type=int, default=None, metavar="N",
                        help="restricted data: counts below N are suppressed, suppressed cells "
                             "are not drawn and no figure shows a single survivor's data")


def run(args: argparse.Namespace) -> None:
    from analysis.paper.figures import FIGURES, build

    if args.name not in FIGURES:
        raise ValueError(f"unknown figure '{args.name}': expected one of {', '.join(FIGURES)}")
    try:
        paths = build(args.name, args.results, args.data, args.outdir, args.manuscript,
                      args.small_cell_threshold)
    except KeyError as error:
        raise ValueError(f"{args.name}: missing value {error}") from None
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        raise ValueError(f"{args.name}: {error}") from None
    for path in paths:
        print(f"wrote {path}")
