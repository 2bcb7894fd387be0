"""Descriptive tables (tidy CSV) under --outdir: sample, patterns, practices, arrests, ..."""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis.cli.common import add_config_arguments, step_config
from analysis.cli.study import add_plan_argument, study_and_plan

CONFIG_KEYS = ("alpha", "data_source")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    add_plan_argument(parser)
    parser.add_argument("--data", type=Path, required=True, help="directory of the study tables")
    parser.add_argument("--outdir", type=Path, required=True, help="directory for the tables")


def run(args: argparse.Namespace) -> None:
    from analysis.io import write_csv
    from analysis.steps.describe import all_descriptives
    from analysis.study.vocabulary import QUANT_TABLES

    config = step_config(args, CONFIG_KEYS)
    tables, plan = study_and_plan(args, config, QUANT_TABLES)
    frames = all_descriptives(tables, config["alpha"])
    if plan is not None:
        from analysis.disclosure.publish import publish_descriptives

        frames = publish_descriptives(frames, plan)
    for name, frame in frames.items():
        write_csv(args.outdir / f"{name}.csv", frame)
