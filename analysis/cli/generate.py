"""Generate the synthetic study and write its data package under --outdir.

By hand, ``python -m analysis generate --configfile config/config.yaml
--outdir data/synthetic`` regenerates the committed package byte for byte.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis.cli.common import add_config_arguments, step_config

#: The generator's configuration: seed, size, scenario and every model parameter.
CONFIG_KEYS = ("seed", "n_participants", "scenario", "scenarios", "sample", "model", "violence",
               "strategies", "qualitative")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    parser.add_argument("--outdir", type=Path, required=True, help="directory of the package")


def run(args: argparse.Namespace) -> None:
    from analysis.study.datapackage import write_package
    from analysis.study.generate import generate_study

    config = step_config(args, CONFIG_KEYS)
    study = generate_study(config)
    for path in write_package(study.tables, args.outdir, config):
        print(f"wrote {path}")
