"""What the analysis steps' commands share: the study tables and, for restricted data, the plan."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def is_restricted(config: dict[str, Any]) -> bool:
    """True for a restricted-data build: every published count goes through suppression."""
    return config.get("data_source") == "restricted"


def read_tables(data: Path, names: Sequence[str]):
    """Read and validate the named tables of the study package in ``data``."""
    from analysis.study.datapackage import read_study

    return read_study(data, names)


def add_plan_argument(parser: argparse.ArgumentParser) -> None:
    """``--plan``: the restricted build's disclosure plan (``disclosure-plan`` writes it)."""
    parser.add_argument("--plan", type=Path, default=None,
                        help="restricted data: the build's disclosure plan (plan.json)")


def study_and_plan(args: argparse.Namespace, config: dict[str, Any], names: Sequence[str]):
    """The tables a step reads and, in restricted mode, the build's published plan.

    A restricted build publishes every count through the one plan the
    ``disclosure-plan`` step solved (``--plan``); a synthetic build has none.
    """
    tables = read_tables(args.data, names)
    if not is_restricted(config):
        return tables, None
    if args.plan is None:
        raise ValueError("a restricted-data build needs --plan (the disclosure plan)")
    from analysis.disclosure.publish import PublishedPlan

    return tables, PublishedPlan.read(args.plan)
