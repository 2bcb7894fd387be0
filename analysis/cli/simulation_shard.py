"""One shard of the simulation study: every effect multiplier at one sample size."""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis.cli.common import add_config_arguments, step_config

#: The generator's keys (the simulation sets the multiplier and the size per cell), what the
#: claims need, the grid and the batches.
CONFIG_KEYS = ("seed", "sample", "model", "scenarios", "violence", "strategies", "alpha",
               "arrest_model_extra_covariates", "batch_size", "simulation")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    parser.add_argument("--n", type=int, required=True, help="survivors per simulated study")
    parser.add_argument("--shard", type=int, required=True,
                        help="shard number, 0 .. simulation.shards - 1")
    parser.add_argument("--output", type=Path, required=True, help="the shard's results")


def run(args: argparse.Namespace) -> None:
    from analysis.io import write_pickle
    from analysis.steps.claims import load_registry
    from analysis.steps.simulation import run_shard

    config = step_config(args, CONFIG_KEYS)
    if args.n not in config["simulation"]["n_participants"]:
        raise ValueError(f"--n {args.n} is not a sample size of the grid "
                         f"({config['simulation']['n_participants']})")
    write_pickle(args.output, run_shard(config, load_registry(), args.n, args.shard))
