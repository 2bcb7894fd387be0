"""Merge robustness shards into replications.csv and summary.csv."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--inputs", nargs="+", type=Path, required=True, help="shard CSV files")
    parser.add_argument("--replications", type=Path, required=True,
                        help="replications.csv to write")
    parser.add_argument("--summary", type=Path, required=True, help="summary.csv to write")


def run(args: argparse.Namespace) -> None:
    from analysis.io import read_csv, write_csv
    from analysis.steps.replications import merge_shards, summarize

    frames = [read_csv(path, dtype={"significant": "boolean"}) for path in args.inputs]
    merged = merge_shards(frames)
    write_csv(args.replications, merged)
    write_csv(args.summary, summarize(merged))
