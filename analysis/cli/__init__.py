"""Command line: one module per workflow step, ``python -m analysis <step> ...``.

The Snakemake rules call these commands and nothing else; the same commands
run any step by hand, without Snakemake. Each step module states the
configuration keys it reads (``CONFIG_KEYS``, plus ``RESTRICTED_KEYS`` in a
restricted-data build); the rules pass exactly those as ``--params`` JSON, so
that changing one value reruns only the steps that use it, and a step never
reads a value its rule did not pass. By hand, ``--configfile`` reads them
from a configuration file instead.

Only the module of the step that runs is imported: a figure job does not
load statsmodels, a data step does not load matplotlib. No statistic is
computed here; the step modules read inputs, call :mod:`analysis.steps` (or
the paper, export and render layers) and write outputs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: Every step, in workflow order: the command name and its module under analysis.cli.
STEPS: dict[str, str] = {
    "generate": "generate",
    "check-committed": "check_committed",
    "disclosure-plan": "disclosure_plan",
    "describe": "describe",
    "infer": "infer",
    "qualitative": "qualitative",
    "claims": "claims",
    "robustness-shard": "robustness_shard",
    "robustness-merge": "robustness_merge",
    "simulation-truth": "simulation_truth",
    "simulation-shard": "simulation_shard",
    "simulation-merge": "simulation_merge",
    "values": "values",
    "figure": "figure",
    "exchange": "exchange",
    "render": "render",
    "publish-check": "publish_check",
    "crate": "crate",
    "verify-crate": "verify_crate",
    "validate-crate": "validate_crate",
}


def step_module(step: str):
    """The module of one step (imported on demand)."""
    return importlib.import_module(f"analysis.cli.{STEPS[step]}")


def build_parser(step: str) -> argparse.ArgumentParser:
    """The argument parser of one step."""
    module = step_module(step)
    parser = argparse.ArgumentParser(prog=f"python -m analysis {step}",
                                     description=(module.__doc__ or "").strip())
    module.add_arguments(parser)
    return parser


def usage() -> str:
    lines = ["usage: python -m analysis <step> [options]   (python -m analysis <step> --help)",
             "", "steps:"]
    for step in STEPS:
        summary = (step_module(step).__doc__ or "").strip().splitlines()[0]
        lines.append(f"  {step:<18} {summary}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one step; 0 on success, 2 with an ``error: ...`` line on bad input."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    step = argv[0]
    if step not in STEPS:
        print(f"error: unknown step '{step}'; allowed: {', '.join(STEPS)}", file=sys.stderr)
        return 2
    parser = build_parser(step)
    args = parser.parse_args(argv[1:])
    try:
        return int(step_module(step).run(args) or 0)
    except (ValueError, FileNotFoundError, KeyError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"error: {step}: {message}", file=sys.stderr)
        return 2
