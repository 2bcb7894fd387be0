"""values.yml and the manuscript's Markdown tables, from every step's results."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from analysis.cli.common import add_config_arguments, step_config

CONFIG_KEYS = ("seed", "scenario", "n_participants", "alpha", "robustness_replications",
               "robustness_shards", "qualitative", "model", "simulation", "data_source")
RESTRICTED_KEYS = ("small_cell_threshold", "publish_restricted_hashes")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    parser.add_argument("--data", type=Path, required=True, help="directory of the study tables")
    parser.add_argument("--results", type=Path, required=True,
                        help="results directory: read the steps' outputs, write values.yml "
                             "and tables/*.md")
    parser.add_argument("--committed", type=Path, default=None,
                        help="synthetic builds: the check-committed report (whether the tables "
                             "match data/synthetic/); without it the paper says 'not checked'")
    parser.add_argument("--commit", default="unknown",
                        help="the git commit the build is made from (printed in the paper)")
    parser.add_argument("--render-tools", default="",
                        help="JSON of the render engine that will render the paper and its "
                             "tools' versions, as the workflow records it (default: the "
                             "engine `render --engine auto` would use on this machine)")


def run(args: argparse.Namespace) -> None:
    from analysis.io import write_text, write_yaml
    from analysis.paper.tables import markdown_tables
    from analysis.paper.values import build_values, load_bundle
    from analysis.provenance.profile import crate_values
    from analysis.render.tools import RenderTools, detect
    from analysis.study.datapackage import read_table

    config = step_config(args, CONFIG_KEYS, RESTRICTED_KEYS)
    render = (RenderTools.from_json(args.render_tools) if args.render_tools
              else detect("auto")).as_dict()
    bundle = load_bundle(args.results, args.data, args.committed)
    if config["data_source"] == "restricted" and not config["publish_restricted_hashes"]:
        # A digest confirms a guessed copy of a restricted table: only where allowed.
        bundle = dataclasses.replace(bundle, hashes={})
    values = build_values(bundle, config, args.commit, render)
    values["provenance"] = crate_values(args.results.as_posix())
    write_yaml(args.results / "values.yml", values)
    codebook = read_table(args.data, "qual_codebook")
    for name, text in markdown_tables(bundle, config, render, codebook).items():
        write_text(args.results / "tables" / f"{name}.md", text)
