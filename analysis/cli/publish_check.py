"""Disclosure check: are synthetic records too close to restricted ones? (exit 1 if so)

Each synthetic survivor's whole record (participant row, violence, strategies
and contacts in sequence) is compared with every restricted one; the check
fails when the share of synthetic records closer to a restricted record than
independently generated studies come reaches the threshold
(:mod:`analysis.disclosure.check`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis.cli.common import add_config_arguments, step_config

#: The generator's configuration (analysis.cli.generate: the independently generated
#: studies) and the threshold; a literal, as the workflow reads it without importing.
CONFIG_KEYS = ("seed", "n_participants", "scenario", "scenarios", "sample", "model", "violence",
               "strategies", "qualitative", "disclosure_max_close_share")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    parser.add_argument("--synthetic", type=Path, default=Path("data/synthetic"),
                        help="directory of the synthetic tables (default: data/synthetic)")
    parser.add_argument("--restricted", type=Path, default=Path("data/restricted"),
                        help="directory of the restricted tables (default: data/restricted)")
    parser.add_argument("--threshold", type=float, default=None,
                        help="largest allowed share of too-close records, exclusive (default: "
                             "the configuration's disclosure_max_close_share)")
    parser.add_argument("--output", type=Path, help="write the report (JSON) here")


def run(args: argparse.Namespace) -> int:
    from analysis.disclosure.check import (
        RECORD_TABLES,
        DisclosureError,
        check_disclosure,
        reference_distance,
    )
    from analysis.io import write_json
    from analysis.study.datapackage import read_study

    if not args.params and not args.configfile:
        args.configfile = Path("config/config.yaml")
    config = step_config(args, CONFIG_KEYS)
    threshold = config["disclosure_max_close_share"] if args.threshold is None else args.threshold
    synthetic = read_study(args.synthetic, RECORD_TABLES)
    restricted = read_study(args.restricted, RECORD_TABLES)
    reference = reference_distance(restricted, config)
    try:
        report = check_disclosure(synthetic, restricted, reference, threshold)
    except DisclosureError as error:
        if args.output:
            write_json(args.output, error.report)
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.output:
        write_json(args.output, report)
    print(f"disclosure check passed: {report['synthetic_records_too_close']} of "
          f"{report['synthetic_records']} synthetic records ({report['close_share']:.1%}) are "
          f"closer to a restricted record than independent studies come (allowed: below "
          f"{threshold:.1%})")
    return 0
