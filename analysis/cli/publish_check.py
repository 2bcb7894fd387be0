"""Disclosure check: do synthetic participants match restricted ones too often? (exit 1 if so)

The share of synthetic participants whose quasi-identifiers (age band,
race/ethnicity, children in the home, relationship status) exactly match a
restricted participant; the check fails above ``--threshold``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from analysis.disclosure.check import DEFAULT_MAX_MATCH_SHARE

    parser.add_argument("--synthetic", type=Path, default=Path("data/synthetic"),
                        help="directory of the synthetic tables (default: data/synthetic)")
    parser.add_argument("--restricted", type=Path, default=Path("data/restricted"),
                        help="directory of the restricted tables (default: data/restricted)")
    parser.add_argument("--threshold", type=float, default=DEFAULT_MAX_MATCH_SHARE,
                        help=f"largest allowed match share (default: {DEFAULT_MAX_MATCH_SHARE})")
    parser.add_argument("--output", type=Path, help="write the report (JSON) here")


def run(args: argparse.Namespace) -> int:
    from analysis.disclosure.check import DisclosureError, check_disclosure
    from analysis.io import write_json
    from analysis.study.datapackage import read_table

    synthetic = read_table(args.synthetic, "participants")
    restricted = read_table(args.restricted, "participants")
    try:
        report = check_disclosure(synthetic, restricted, args.threshold)
    except DisclosureError as error:
        if args.output:
            write_json(args.output, error.report)
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.output:
        write_json(args.output, report)
    print(f"disclosure check passed: {report['synthetic_records_matching']} of "
          f"{report['synthetic_records']} synthetic records ({report['match_share']:.1%}) match "
          f"a restricted record on the quasi-identifiers (allowed: {args.threshold:.1%})")
    return 0
