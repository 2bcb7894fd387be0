"""The RO-Crate validator (roc-validator), offline, against the crate's profile (exit 1 on a
failed REQUIRED check).

Runs ``rocrate-validator validate --offline`` with the Provenance Run Crate 0.5
profile at the RECOMMENDED level, from an HTTP cache that holds the RO-Crate 1.1
JSON-LD context this package ships (nothing is fetched), and prints the failed
checks by severity. ``--report`` keeps the validator's JSON report.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("crate", type=Path, nargs="?", default=Path("results"),
                        help="the crate's directory (default: results)")
    parser.add_argument("--report", type=Path, default=None,
                        help="also write the validator's JSON report here")


def run(args: argparse.Namespace) -> int:
    import json
    import shutil
    import tempfile

    from analysis.provenance.profile import CRATE_NAME, PROFILE_LABEL
    from analysis.provenance.validate import failures, run_validator

    if not (Path(args.crate) / CRATE_NAME).is_file():
        raise FileNotFoundError(f"no {CRATE_NAME} in {args.crate}: build first")
    with tempfile.TemporaryDirectory(prefix="crate-validator-") as tmp:
        report = run_validator(args.crate, Path(tmp))
        if args.report:
            shutil.copyfile(Path(tmp) / "report.json", args.report)
    failed = failures(report)
    for severity in ("REQUIRED", "RECOMMENDED"):
        checks = sorted({(f.check, f.message) for f in failed if f.severity == severity})
        print(f"{severity}: {len(checks)} failed checks")
        for check, message in checks:
            entities = sum(f.check == check and f.message == message for f in failed)
            print(f"  {check}  {message} ({entities} entities)")
    skipped = report.get("skipped_checks", 0)
    print(f"{PROFILE_LABEL}, offline: {skipped} checks skipped"
          + (f": {json.dumps(report.get('skipped_check_details'))}" if skipped else ""))
    return 1 if any(f.severity == "REQUIRED" for f in failed) else 0
