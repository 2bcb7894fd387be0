"""One shard of robustness replications of one scenario."""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis.cli.common import add_config_arguments, step_config

#: The generator's keys except the scenario (set per shard) and the coders (no claim uses
#: them), plus what the claims, the sharding and the batches need.
CONFIG_KEYS = ("seed", "n_participants", "sample", "model", "scenarios", "violence",
               "strategies", "alpha", "robustness_replications", "robustness_shards",
               "arrest_model_extra_covariates", "batch_size")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    parser.add_argument("--scenario", required=True, help="scenario to regenerate under")
    parser.add_argument("--shard", type=int, required=True,
                        help="shard number, 0 .. robustness_shards - 1")
    parser.add_argument("--output", type=Path, required=True, help="CSV of the shard's results")


def run(args: argparse.Namespace) -> None:
    from analysis.io import write_csv
    from analysis.steps.claims import load_registry
    from analysis.steps.replications import shard_replications
    from analysis.steps.robustness import run_replications

    config = step_config(args, CONFIG_KEYS)
    reps = shard_replications(config["robustness_replications"], config["robustness_shards"],
                              args.shard)
    write_csv(args.output, run_replications(config, load_registry(), args.scenario, reps))
