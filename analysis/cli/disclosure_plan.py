"""Restricted data: solve the build's small-cell suppression plan once, for every step.

Writes the published side of the plan (each published cell's text and
whether it is suppressed; never the value of a suppressed cell) as JSON.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis.cli.common import add_config_arguments, step_config

CONFIG_KEYS = ("alpha", "small_cell_threshold", "arrest_model_extra_covariates")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    parser.add_argument("--data", type=Path, required=True, help="directory of the study tables")
    parser.add_argument("--output", type=Path, required=True, help="plan.json to write")


def run(args: argparse.Namespace) -> None:
    from analysis.cli.study import read_tables
    from analysis.disclosure.plan import study_plan
    from analysis.io import write_json
    from analysis.study.vocabulary import RESTRICTED_TABLES

    config = step_config(args, CONFIG_KEYS)
    tables = read_tables(args.data, RESTRICTED_TABLES)
    plan = study_plan(tables, config["small_cell_threshold"], config["alpha"],
                      {"arrest": config["arrest_model_extra_covariates"]})
    write_json(args.output, plan.document())
