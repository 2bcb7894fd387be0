"""The simulation study's true values: every estimator on one very large study per multiplier."""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis.cli.common import add_config_arguments, step_config

CONFIG_KEYS = ("seed", "sample", "model", "scenarios", "violence", "strategies", "alpha",
               "arrest_model_extra_covariates", "simulation")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    parser.add_argument("--output", type=Path, required=True, help="truth.csv to write")


def run(args: argparse.Namespace) -> None:
    from analysis.io import write_csv
    from analysis.steps.claims import load_registry
    from analysis.steps.simulation import truth_table

    config = step_config(args, CONFIG_KEYS)
    write_csv(args.output, truth_table(config, load_registry()))
