"""Write the study as REFI-QDA codebook and project, and SPSS/Stata copies of its tables."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, required=True, help="directory of the study tables")
    parser.add_argument("--outdir", type=Path, required=True, help="directory for the exports")


def run(args: argparse.Namespace) -> None:
    from analysis.exports import export_all

    for path in export_all(args.data, args.outdir):
        print(f"wrote {path}")
