"""Merge robustness shards into replications.csv and summary.csv, and name the scenarios."""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis.cli.common import add_config_arguments, step_config

#: The scenarios in their order, with the titles figures and tables show.
CONFIG_KEYS = ("robustness_scenarios", "scenarios")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    parser.add_argument("--inputs", nargs="+", type=Path, required=True, help="shard CSV files")
    parser.add_argument("--replications", type=Path, required=True,
                        help="replications.csv to write")
    parser.add_argument("--summary", type=Path, required=True, help="summary.csv to write")
    parser.add_argument("--scenarios", type=Path, required=True,
                        help="scenarios.json to write (each scenario's title and description)")


def run(args: argparse.Namespace) -> None:
    from analysis.io import read_csv, write_csv, write_json
    from analysis.steps.replications import merge_shards, scenario_table, summarize

    config = step_config(args, CONFIG_KEYS)
    frames = [read_csv(path, dtype={"significant": "boolean"}) for path in args.inputs]
    merged = merge_shards(frames, config["robustness_scenarios"])
    write_csv(args.replications, merged)
    write_csv(args.summary, summarize(merged))
    write_json(args.scenarios, {"scenarios": scenario_table(config)})
