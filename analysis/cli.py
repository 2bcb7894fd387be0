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
