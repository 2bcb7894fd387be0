"""Code-by-case matrix, themes, co-occurrence, intercoder agreement, where the coders
differed, code saturation and the excerpts the manuscript quotes.

In restricted mode only aggregate outputs are written and their counts are
suppressed: the code-by-case matrix and the saturation curve (which follow
single survivors) are not, and neither is anything drawn from the excerpts,
which restricted data do not have. Agreement is then computed per survivor and
code, whose 2x2 tables are cells of the suppression plan.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis.cli.common import add_config_arguments, step_config
from analysis.cli.study import add_plan_argument, is_restricted, study_and_plan

CONFIG_KEYS = ("qualitative", "agreement", "alpha", "data_source")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    add_plan_argument(parser)
    parser.add_argument("--data", type=Path, required=True, help="directory of the study tables")
    parser.add_argument("--outdir", type=Path, required=True, help="directory for the outputs")


def run(args: argparse.Namespace) -> None:
    from analysis.io import write_csv, write_json
    from analysis.steps.qualitative import run_qualitative
    from analysis.study.vocabulary import CODING_TABLES, TEXT_CODING_TABLES

    config = step_config(args, CONFIG_KEYS)
    names = CODING_TABLES if is_restricted(config) else TEXT_CODING_TABLES
    tables, plan = study_and_plan(args, config, names)
    # Restricted builds publish agreement per survivor and code, whose counts the plan holds.
    out = run_qualitative(tables, config["qualitative"], config["alpha"], config["agreement"],
                          unit="survivor" if plan is not None else "excerpt")
    themes, cooccurrence = out["themes"], out["cooccurrence"]
    per_code, overall = out["agreement"], out["agreement_overall"]
    if plan is None:
        write_csv(args.outdir / "code_by_case.csv", out["code_by_case"].reset_index())
        write_csv(args.outdir / "disagreements.csv", out["disagreements"])
        write_csv(args.outdir / "saturation.csv", out["saturation"])
        write_json(args.outdir / "saturation.json", out["saturation_summary"])
        write_csv(args.outdir / "theme_excerpts.csv", out["theme_excerpts"])
    else:
        from analysis.disclosure.publish import publish_qualitative

        themes, cooccurrence, per_code, overall = publish_qualitative(
            themes, cooccurrence, per_code, overall, plan)
    write_csv(args.outdir / "themes.csv", themes)
    write_csv(args.outdir / "cooccurrence.csv", cooccurrence.rename_axis("code").reset_index())
    write_csv(args.outdir / "agreement.csv", per_code)
    write_json(args.outdir / "agreement.json", overall)
