"""Evaluate the claims registry on the study: results/claims.json."""

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
    parser.add_argument("--output", type=Path, required=True, help="claims.json to write")


def run(args: argparse.Namespace) -> None:
    from analysis.io import write_json
    from analysis.steps.claims import evaluate_claims, load_registry, registry_settings
    from analysis.study.vocabulary import QUANT_TABLES

    config = step_config(args, CONFIG_KEYS)
    tables, plan = study_and_plan(args, config, QUANT_TABLES)
    registry = load_registry()
    results = evaluate_claims(tables, registry, config["alpha"],
                              {"arrest": config["arrest_model_extra_covariates"]})
    if plan is not None:
        from analysis.disclosure.publish import publish_claims

        results = publish_claims(results, registry, plan)
    write_json(args.output, {"alpha": config["alpha"], "settings": registry_settings(),
                             "claims": results})
