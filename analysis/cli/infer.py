"""Clustered models, their fits, survivor-level exact tests and the power statement."""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis.cli.common import add_config_arguments, step_config
from analysis.cli.study import add_plan_argument, study_and_plan

CONFIG_KEYS = ("alpha", "arrest_model_extra_covariates", "data_source")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    add_plan_argument(parser)
    parser.add_argument("--data", type=Path, required=True, help="directory of the study tables")
    parser.add_argument("--outdir", type=Path, required=True, help="directory for the outputs")


def run(args: argparse.Namespace) -> None:
    from analysis.io import write_csv, write_json
    from analysis.steps.infer import run_inference
    from analysis.study.arrays import StudyArrays
    from analysis.study.vocabulary import QUANT_TABLES

    config = step_config(args, CONFIG_KEYS)
    tables, plan = study_and_plan(args, config, QUANT_TABLES)
    out = run_inference(StudyArrays.from_tables(tables), config["alpha"],
                        {"arrest": config["arrest_model_extra_covariates"]},
                        plan.threshold if plan is not None else 1)
    if plan is not None:
        from analysis.disclosure.publish import (
            publish_fits,
            publish_models,
            publish_power,
            publish_survivor_tests,
        )

        out["models"] = publish_models(out["models"], plan)
        out["fits"] = publish_fits(out["fits"], plan)
        out["survivor_tests"] = publish_survivor_tests(out["survivor_tests"], plan)
        out["power"] = publish_power(out["power"], plan)
    write_csv(args.outdir / "models.csv", out["models"])
    write_json(args.outdir / "fits.json", out["fits"])
    write_csv(args.outdir / "survivor_tests.csv", out["survivor_tests"])
    write_json(args.outdir / "power.json", out["power"])
