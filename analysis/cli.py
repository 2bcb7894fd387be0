"""Command-line entry points: one subcommand per workflow step.

Snakemake rules call ``python -m analysis.cli <step> ...`` and nothing else;
the same commands run any step by hand, without Snakemake. ``--params`` takes
the JSON object of configuration values the step uses (the rules pass exactly
those, so that changing one value reruns only the steps that use it).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

COMMANDS: dict[str, Callable[[argparse.Namespace], None]] = {}


def command(name: str):
    def register(func):
        COMMANDS[name] = func
        return func
    return register


def _params(args: argparse.Namespace) -> dict[str, Any]:
    """The step's configuration: ``--params`` JSON over validated defaults."""
    from analysis.config import load_config

    overrides = json.loads(args.params) if args.params else {}
    return load_config(overrides=overrides)


@command("generate")
def _generate(args: argparse.Namespace) -> None:
    """Generate the synthetic study and write its data package."""
    from analysis.datapackage import write_package
    from analysis.generate import generate_study

    config = _params(args)
    study = generate_study(config)
    for path in write_package(study.tables, args.outdir, config):
        print(f"wrote {path}")


@command("write-synthetic")
def _write_synthetic(args: argparse.Namespace) -> None:
    """Regenerate the committed data/synthetic package from the default config."""
    _generate(args)


def _tables(args: argparse.Namespace, names: Sequence[str] | None = None):
    from analysis.datapackage import ALL_TABLES, read_study

    return read_study(args.data, names or ALL_TABLES)


QUANT = ["participants", "incidents", "violence", "strategies"]


def _restricted(config: dict[str, Any]) -> bool:
    """True for a restricted-data build: every published count goes through suppression."""
    return config["data_source"] == "restricted"


def _study(args: argparse.Namespace, config: dict[str, Any], names: Sequence[str]):
    """The tables a step reads and, in restricted mode, the build's suppression plan.

    In restricted mode the plan needs the quantitative tables, the codebook
    and the code applications (never transcripts or excerpts).
    """
    from analysis.disclosure import PLAN_TABLES, study_plan

    if not _restricted(config):
        return _tables(args, names), None
    tables = _tables(args, PLAN_TABLES)
    return tables, study_plan(tables, config["small_cell_threshold"], config["alpha"])


@command("describe")
def _describe(args: argparse.Namespace) -> None:
    """Descriptive tables (tidy CSV) under --outdir."""
    from analysis.describe import all_descriptives
    from analysis.io import write_csv

    config = _params(args)
    tables, plan = _study(args, config, QUANT)
    frames = all_descriptives(tables, config["alpha"])
    if plan is not None:
        from analysis.disclosure import publish_descriptives

        frames = publish_descriptives(frames, plan)
    for name, frame in frames.items():
        write_csv(args.outdir / f"{name}.csv", frame)


@command("infer")
def _infer(args: argparse.Namespace) -> None:
    """Clustered models, survivor-level exact tests and the power statement."""
    from analysis import infer
    from analysis.claims import StudyArrays
    from analysis.io import write_csv, write_json

    config = _params(args)
    tables, plan = _study(args, config, QUANT)
    study = StudyArrays.from_tables(tables)
    models = infer.model_table(study, config["alpha"],
                               {"arrest": config["arrest_model_extra_covariates"]})
    tests = infer.survivor_level_tests(study, config["alpha"])
    n_black = int(np.sum(np.bincount(study.cluster, weights=study.black_incident) > 0))
    power = infer.minimum_detectable_difference(
        n_black, study.n_participants - n_black, alpha=config["alpha"])
    if plan is not None:
        from analysis.disclosure import publish_power, publish_survivor_tests

        tests, power = publish_survivor_tests(tests, plan), publish_power(power, plan)
    write_csv(args.outdir / "models.csv", models)
    write_csv(args.outdir / "survivor_tests.csv", tests)
    write_json(args.outdir / "power.json", power)


@command("qualitative")
def _qualitative(args: argparse.Namespace) -> None:
    """Code-by-case matrices, themes, co-occurrence and intercoder agreement.

    In restricted mode only aggregate outputs are written: the code-by-case
    matrix (survivors by codes) is row-level and is not, and the counts are
    suppressed.
    """
    from analysis import qualitative
    from analysis.io import write_csv, write_json

    config = _params(args)
    tables, plan = _study(args, config, ["participants", "qual_codebook", "code_applications"])
    matrix = qualitative.code_by_case(tables, "A")
    themes = qualitative.theme_prevalence(tables, matrix)
    cooccurrence = qualitative.cooccurrence(matrix)
    per_code, overall = qualitative.agreement(tables)
    if plan is None:
        write_csv(args.outdir / "code_by_case.csv", matrix.reset_index())
    else:
        from analysis.disclosure import publish_qualitative

        themes, cooccurrence, per_code = publish_qualitative(themes, cooccurrence, per_code,
                                                             plan)
        # The summaries of per-code kappas cover the published kappas only.
        kappas = per_code["kappa"].dropna()
        for key, value in (("median_kappa", kappas.median()), ("min_kappa", kappas.min()),
                           ("max_kappa", kappas.max())):
            overall[key] = float(value) if len(kappas) else None
    write_csv(args.outdir / "themes.csv", themes)
    write_csv(args.outdir / "cooccurrence.csv", cooccurrence.rename_axis("code").reset_index())
    overall["disagreement_rate"] = config["qualitative"]["coder_disagreement_rate"]
    overall["target_kappa"] = config["qualitative"]["target_kappa"]
    overall["expected_kappa"] = qualitative.expected_kappa(
        float(matrix.to_numpy().mean()), config["qualitative"]["coder_disagreement_rate"])
    write_csv(args.outdir / "agreement.csv", per_code)
    write_json(args.outdir / "agreement.json", overall)


@command("claims")
def _claims(args: argparse.Namespace) -> None:
    """Evaluate the claims registry: results/claims.json."""
    from analysis.claims import evaluate_claims, load_registry
    from analysis.io import write_json

    config = _params(args)
    tables, plan = _study(args, config, QUANT)
    registry = load_registry()
    results = evaluate_claims(tables, registry, config["alpha"],
                              {"arrest": config["arrest_model_extra_covariates"]})
    if plan is not None:
        from analysis.disclosure import publish_claims

        results = publish_claims(results, registry, plan)
    write_json(args.outputs[0], {"alpha": config["alpha"], "claims": results})


@command("robustness-shard")
def _robustness_shard(args: argparse.Namespace) -> None:
    """One shard of replications of one scenario (--name SCENARIO:SHARD)."""
    from analysis.claims import load_registry
    from analysis.io import write_csv
    from analysis.robustness import run_replications, shard_replications

    config = _params(args)
    scenario, shard = args.name.split(":")
    reps = shard_replications(config["robustness_replications"], config["robustness_shards"],
                              int(shard))
    write_csv(args.outputs[0], run_replications(config, load_registry(), scenario, reps))


@command("robustness-merge")
def _robustness_merge(args: argparse.Namespace) -> None:
    """Merge shards into replications.csv and summary.csv."""
    from analysis.io import read_csv, write_csv
    from analysis.robustness import merge_shards, summarize

    frames = [read_csv(path, dtype={"significant": "boolean"}) for path in args.inputs]
    merged = merge_shards(frames)
    write_csv(args.outputs[0], merged)
    write_csv(args.outputs[1], summarize(merged))


@command("values")
def _values(args: argparse.Namespace) -> None:
    """values.yml and the manuscript's Markdown tables (--outdir RESULTS, --name COMMIT)."""
    from analysis.datapackage import read_table
    from analysis.io import write_text, write_yaml
    from analysis.tables import markdown_tables
    from analysis.values import build_values, load_bundle

    config = _params(args)
    committed = Path("data/synthetic") if config["data_source"] == "synthetic" else None
    bundle = load_bundle(args.outdir, args.data, committed)
    write_yaml(args.outdir / "values.yml", build_values(bundle, config, args.name or "unknown"))
    codebook = read_table(args.data, "qual_codebook")
    for name, text in markdown_tables(bundle, config, codebook).items():
        write_text(args.outdir / "tables" / f"{name}.md", text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis.cli", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func in COMMANDS.items():
        p = sub.add_parser(name, help=(func.__doc__ or "").strip().splitlines()[0])
        p.add_argument("--params", default="", help="JSON object of configuration values")
        p.add_argument("--data", type=Path, help="directory of the study tables")
        p.add_argument("--outdir", type=Path, help="directory for outputs")
        p.add_argument("--inputs", nargs="*", type=Path, default=[], help="input files")
        p.add_argument("--outputs", nargs="*", type=Path, default=[], help="output files")
        p.add_argument("--name", default="", help="name of the item to build")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        COMMANDS[args.command](args)
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
