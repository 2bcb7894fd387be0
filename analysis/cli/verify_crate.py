"""A build against a published crate: every checksum recomputed (exit 1 if any file differs).

Reads the crate's ``ro-crate-metadata.json``, recomputes the SHA-256 of every
file it gives a checksum (the results under ``--results``, the package's files
it read under ``--repository``) and lists each file that differs, is missing,
or is in the build but not in the crate (the logs aside).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("crate", type=Path,
                        help="the published crate: its ro-crate-metadata.json or its directory")
    parser.add_argument("--results", type=Path, default=Path("results"),
                        help="the build's results directory (default: results; a restricted "
                             "build's is results/restricted)")
    parser.add_argument("--repository", type=Path, default=Path("."),
                        help="the package's directory, holding the files the build read "
                             "(default: .)")
    parser.add_argument("--restricted-data", type=Path, default=None,
                        help="restricted builds, inside the secure environment: the directory "
                             "of the restricted tables, matched by SHA-256")


def run(args: argparse.Namespace) -> int:
    from analysis.provenance.verify import all_same, report_lines, verify_build

    if not Path(args.results).is_dir():
        raise FileNotFoundError(f"no results directory {args.results}: build first")
    checks = verify_build(args.crate, args.results, args.repository, args.restricted_data)
    print("\n".join(report_lines(checks)))
    return 0 if all_same(checks) else 1
