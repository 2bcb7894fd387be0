"""What the configuration's documentation derives: the schema's covariate names, and its README.

The schema (``workflow/schemas/config.schema.yaml``) describes every key; this
module turns it into the README of the configuration folder, one section per
top-level key, each nested key in a table with its type, what is allowed, its
default and its description. The schema's list of the covariates the
configuration may add to the arrest model is written from the variable
declarations (:data:`analysis.study.variables.EXTRA_COVARIATES`).
``tests/test_config.py`` checks that the committed schema and README are what
this module writes, so none of them can drift apart::

    python -m analysis.dev.config_docs        # rewrite the schema's enum and config/README.md
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analysis.config import ROOT, SCHEMA_PATH, load_schema

README = ROOT / "config" / "README.md"
#: The enum of ``arrest_model_extra_covariates`` in the schema's text.
_EXTRA_ENUM = re.compile(
    r"(\n  arrest_model_extra_covariates:\n(?:    .*\n)*?      enum: )\[[^\]]*\]")

HEADER = """\
# Configuration

`config.yaml` holds every parameter of the study: the synthetic sample, the generating
model, the scenarios, the robustness and simulation studies, and the analysis settings.
Every value is validated against `workflow/schemas/config.schema.yaml` before any job
runs; a wrong value stops the run with the key, the value and what is allowed.

Change a value in `config.yaml`, in a file of your own (`snakemake --configfile my.yaml`,
merged over `config.yaml`), or on the command line
(`snakemake --cores 4 --config seed=7 'sample={age_min: 20}'`): a value inside a section
replaces only that value. Only the jobs that read a changed value run again.

This file is written from the schema's descriptions (`python -m analysis.dev.config_docs`);
`tests/test_config.py` fails when the two differ. Each section below is one top-level key.
"""


def _resolve(schema: Mapping[str, Any], node: Mapping[str, Any]) -> dict[str, Any]:
    """A node with its ``$ref`` followed; the node's own keys win over the definition's."""
    node = dict(node)
    while "$ref" in node:
        target = schema["$defs"][node.pop("$ref").rsplit("/", 1)[-1]]
        node = {**target, **node}
    return node


def _text(value: str) -> str:
    return " ".join(str(value).split())


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"`{value}`"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v).strip("`") for v in value) + "]"
    return f"`{value}`"


def _kind(schema: Mapping[str, Any], node: Mapping[str, Any]) -> str:
    node = _resolve(schema, node)
    kind = node.get("type", "")
    if kind == "array":
        return f"list of {_kind(schema, node.get('items', {}))}s".replace("ys", "ies")
    if kind == "object" and "additionalProperties" in node and not node.get("properties"):
        extra = node["additionalProperties"]
        if isinstance(extra, Mapping):
            return f"mapping of name to {_kind(schema, extra)}"
    return str(kind or "any")


def _allowed(schema: Mapping[str, Any], node: Mapping[str, Any]) -> str:
    node = _resolve(schema, node)
    if "enum" in node:
        return ", ".join(_value(v) for v in node["enum"])
    if node.get("type") == "array":
        return _allowed(schema, node.get("items", {}))
    if "pattern" in node:
        return f"matching `{node['pattern']}`"
    bounds = [f"{word} {node[key]}" for key, word in (
        ("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="),
        ("exclusiveMaximum", "<")) if key in node]
    return " and ".join(bounds)


def _rows(schema: Mapping[str, Any], node: Mapping[str, Any], path: str) -> list[str]:
    """Table rows of every key below ``node`` (depth first, dotted paths).

    The keys of a mapping of named blocks (``scenarios``) are shown once, under
    ``<name>``.
    """
    rows = []
    node = _resolve(schema, node)
    extra = node.get("additionalProperties")
    if not node.get("properties") and isinstance(extra, Mapping):
        return _rows(schema, extra, f"{path}.<name>")
    for key, sub in node.get("properties", {}).items():
        full = _resolve(schema, sub)
        name = f"{path}.{key}"
        default = _value(full["default"]) if "default" in full else ""
        rows.append(f"| `{name}` | {_kind(schema, sub)} | {_allowed(schema, sub)} | {default} "
                    f"| {_text(full.get('description', ''))} |")
        rows += _rows(schema, full, name)
    return rows


def render(schema: Mapping[str, Any]) -> str:
    """The README text for ``schema``."""
    lines = [HEADER]
    required = set(schema.get("required", []))
    for key, sub in schema["properties"].items():
        node = _resolve(schema, sub)
        lines.append(f"## `{key}`\n")
        lines.append(_text(node.get("description", "")) + "\n")
        facts = [f"Type: {_kind(schema, sub)}"]
        allowed = _allowed(schema, sub)
        if allowed:
            facts.append(f"allowed: {allowed}")
        if "default" in node:
            facts.append(f"default: {_value(node['default'])}")
        facts.append("required" if key in required else "optional")
        lines.append("; ".join(facts) + ".\n")
        rows = _rows(schema, sub, key)
        if rows:
            lines.append("| key | type | allowed | default | what it is |")
            lines.append("|---|---|---|---|---|")
            lines += rows
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def schema_text(text: str) -> str:
    """The schema's text with the extra covariates' enum written from the declarations."""
    from analysis.study.variables import EXTRA_COVARIATES

    if not _EXTRA_ENUM.search(text):
        raise ValueError("the schema has no enum under arrest_model_extra_covariates.items")
    return _EXTRA_ENUM.sub(lambda m: m.group(1) + "[" + ", ".join(EXTRA_COVARIATES) + "]", text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schema", type=Path, default=SCHEMA_PATH)
    parser.add_argument("--output", type=Path, default=README)
    args = parser.parse_args(argv)
    from analysis.io import write_text

    write_text(args.schema, schema_text(args.schema.read_text(encoding="utf-8")))
    print(f"wrote {args.schema}")
    write_text(args.output, render(load_schema(args.schema)))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
