"""Draw one figure: ``python -m analysis.figures <name> --results R --data D --outdir O``.

Writes ``O/<name>.png``, ``O/<name>.svg``, ``O/<name>.yml`` (caption and alt
text) and ``O/<name>.md`` (the figure block the manuscript includes, with the
image path relative to ``--manuscript``). Exits with status 2 and an
``error: ...`` line when an input is missing or malformed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from analysis.figures import FIGURES, build


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis.figures",
                                     description=__doc__.splitlines()[0])
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.name not in FIGURES:
        print(f"error: unknown figure '{args.name}': expected one of {', '.join(FIGURES)}",
              file=sys.stderr)
        return 2
    try:
        paths = build(args.name, args.results, args.data, args.outdir, args.manuscript,
                      args.small_cell_threshold)
    except KeyError as error:
        print(f"error: {args.name}: missing value {error}", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"error: {args.name}: {error}", file=sys.stderr)
        return 2
    for path in paths:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
