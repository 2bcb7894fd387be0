"""Compare the regenerated synthetic study with the committed one (exit 2 if they must match).

The committed study (``data/synthetic/``) is what ``config/config.yaml``
generates. When the build's generator configuration is that one and
``check_committed_data`` is true (the default), a difference stops the build
with the file, column and row of the first difference; otherwise it is
recorded, and the manuscript says the tables do not match. The report
(``--output``) is what the manuscript's reproducibility statement reads.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from analysis.cli.common import add_config_arguments, step_config
from analysis.cli.generate import CONFIG_KEYS as GENERATOR_KEYS

#: The generator's keys (the workflow reads this literal without importing; a test checks
#: it against GENERATOR_KEYS) and the opt-out.
CONFIG_KEYS = ("seed", "n_participants", "scenario", "scenarios", "sample", "model", "violence",
               "strategies", "qualitative", "check_committed_data")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    parser.add_argument("--committed", type=Path, default=Path("data/synthetic"),
                        help="the committed study (default: data/synthetic)")
    parser.add_argument("--regenerated", type=Path, required=True,
                        help="the study this build generated")
    parser.add_argument("--reference", default="",
                        help="JSON of the generator configuration the committed study was made "
                             "from (default: read from config/config.yaml)")
    parser.add_argument("--output", type=Path, required=True, help="the report (JSON)")


def reference_configuration(text: str) -> dict:
    """The generator's configuration of the committed study: ``--reference`` or the file's."""
    if text:
        return json.loads(text)
    from analysis.config import load_config

    full = load_config()
    return {k: full[k] for k in GENERATOR_KEYS}


def run(args: argparse.Namespace) -> None:
    from analysis.io import write_json
    from analysis.study.committed import COMPARED_FILES, compare_studies

    config = step_config(args, CONFIG_KEYS)
    reference = reference_configuration(args.reference)
    changed = sorted(k for k in GENERATOR_KEYS if config[k] != reference.get(k))
    required = bool(config["check_committed_data"]) and not changed
    differences = compare_studies(args.committed, args.regenerated)
    if differences and required:
        first = differences[0]
        raise ValueError(
            f"{args.committed}/{first.where()}: {first.what} (compared with the study this "
            f"build generated, {args.regenerated / first.file}; {len(differences)} of "
            f"{len(COMPARED_FILES)} files differ). The committed synthetic data are what "
            f"config/config.yaml generates: restore them (git checkout -- {args.committed}) or "
            f"regenerate them (python -m analysis generate --configfile config/config.yaml "
            f"--outdir {args.committed}), or set check_committed_data: false to build anyway "
            f"(the manuscript then says that they do not match)")
    if not config["check_committed_data"]:
        basis = "not required: check_committed_data is false"
    elif changed:
        basis = ("not required: the generator configuration differs from config/config.yaml "
                 f"in {', '.join(changed)}")
    else:
        basis = "required: the generator configuration is that of config/config.yaml"
    write_json(args.output, {
        "match": not differences,
        "required": required,
        "basis": basis,
        "compared": list(COMPARED_FILES),
        "differences": [d.to_dict() for d in differences],
    })
