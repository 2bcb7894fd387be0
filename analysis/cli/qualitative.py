"""Code-by-case matrix, themes, co-occurrence and intercoder agreement.

In restricted mode only aggregate outputs are written: the code-by-case
matrix (survivors by codes) is row-level and is not, and the counts are
suppressed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis.cli.common import add_config_arguments, step_config
from analysis.cli.study import add_plan_argument, study_and_plan

CONFIG_KEYS = ("qualitative", "data_source")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    add_plan_argument(parser)
    parser.add_argument("--data", type=Path, required=True, help="directory of the study tables")
    parser.add_argument("--outdir", type=Path, required=True, help="directory for the outputs")


def run(args: argparse.Namespace) -> None:
    from analysis.io import write_csv, write_json
    from analysis.steps.qualitative import run_qualitative
    from analysis.study.vocabulary import CODING_TABLES

    config = step_config(args, CONFIG_KEYS)
    tables, plan = study_and_plan(args, config, CODING_TABLES)
    out = run_qualitative(tables, config["qualitative"])
    themes, cooccurrence = out["themes"], out["cooccurrence"]
    per_code, overall = out["agreement"], out["agreement_overall"]
    if plan is None:
        write_csv(args.outdir / "code_by_case.csv", out["code_by_case"].reset_index())
    else:
        from analysis.disclosure.publish import publish_qualitative

        themes, cooccurrence, per_code, overall = publish_qualitative(
            themes, cooccurrence, per_code, overall, plan)
    write_csv(args.outdir / "themes.csv", themes)
    write_csv(args.outdir / "cooccurrence.csv", cooccurrence.rename_axis("code").reset_index())
    write_csv(args.outdir / "agreement.csv", per_code)
    write_json(args.outdir / "agreement.json", overall)
