"""Merge the simulation shards: the performance table, survivors needed, the covariance choice."""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis.cli.common import add_config_arguments, step_config

CONFIG_KEYS = ("alpha", "n_participants")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    parser.add_argument("--inputs", nargs="+", type=Path, required=True, help="shard results")
    parser.add_argument("--truth", type=Path, required=True, help="truth.csv")
    parser.add_argument("--outdir", type=Path, required=True,
                        help="directory for performance.csv, sample_size.csv, covariance.csv")


def run(args: argparse.Namespace) -> None:
    from analysis.io import read_csv, read_pickle, write_csv
    from analysis.steps.performance import (
        covariance_choice,
        merge_shards,
        performance,
        survivors_needed,
    )

    config = step_config(args, CONFIG_KEYS)
    replications = merge_shards([read_pickle(path) for path in args.inputs])
    truth = read_csv(args.truth)
    perf = performance(replications, truth, float(config["alpha"]))
    write_csv(args.outdir / "performance.csv", perf)
    write_csv(args.outdir / "sample_size.csv", survivors_needed(perf))
    write_csv(args.outdir / "covariance.csv",
              covariance_choice(perf, int(config["n_participants"])))
