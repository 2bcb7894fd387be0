"""Load and validate the study configuration.

The JSON Schema in ``workflow/schemas/config.schema.yaml`` is the single
definition of every key's type, range, enum and default. Validation collects
every violation and reports each one with its key, its value and what is
allowed, before any job runs.

Configuration files are read by :func:`read_yaml`, which refuses what plain
YAML loading lets through: a key given twice in one mapping (PyYAML keeps the
last silently) is an error naming the file, the line and the key, and a syntax
error names the file, the line and the column.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from analysis.io import SAFE_LOADER

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "workflow" / "schemas" / "config.schema.yaml"
CONFIG_PATH = ROOT / "config" / "config.yaml"



class ConfigError(ValueError):
    """A configuration value is not allowed; the message names key, value and rule."""


#: A further check of a whole configuration: one message per problem (empty: fine).
Check = Callable[[Mapping[str, Any]], list[str]]


def _shown(path: str | os.PathLike) -> str:
    """A file's name for a message: relative to the working directory when inside it."""
    text = os.fspath(path)
    try:
        relative = os.path.relpath(text)
    except ValueError:
        return text
    return text if relative.startswith("..") else relative


def _duplicate_keys(node: yaml.Node, name: str, path: tuple[str, ...] = ()) -> list[str]:
    """Every key given twice in one mapping of a composed YAML document."""
    problems: list[str] = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else None
            if key is not None and key != "<<":
                line = key_node.start_mark.line + 1
                if key in seen:
                    problems.append(
                        f"{name}:{line}: duplicate key '{'.'.join((*path, key))}' (first given "
                        f"at line {seen[key]}); a mapping may give each key once")
                else:
                    seen[key] = line
            problems += _duplicate_keys(value_node, name, (*path, key if key else "?"))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems += _duplicate_keys(item, name, (*path, str(index)))
    return problems


def read_yaml(path: str | os.PathLike) -> Any:
    """Read one YAML file strictly: duplicate keys and syntax errors are refused.

    Raises
    ------
    ConfigError
        ``<file>: not found``; ``<file>:<line>:<column>: YAML syntax error: ...``;
        or one ``<file>:<line>: duplicate key '<a.b.c>' (first given at line N)``
        per duplicate.
    """
    name = _shown(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{name}: configuration file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{name}: cannot be read ({error})") from None
    loader = SAFE_LOADER(text)
    loader.name = name
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        duplicates = _duplicate_keys(node, name)
        if duplicates:
            raise ConfigError("invalid configuration file:\n  " + "\n  ".join(duplicates))
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        what = "; ".join(p for p in (error.context, error.problem) if p)
        raise ConfigError(f"{where}: YAML syntax error: {what}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{name}: YAML error: {error}") from None
    finally:
        loader.dispose()


def load_schema(path: Path = SCHEMA_PATH) -> dict[str, Any]:
    """Read the configuration JSON Schema (stored as YAML)."""
    return read_yaml(path)


def merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict:
    """``base`` with ``overrides`` merged in: mappings key by key, anything else replaced.

    The same deep merge ``snakemake --config`` applies, so ``{"sample": {"age_min": 20}}``
    changes one value of the section and keeps the others.
    """
    out = copy.deepcopy(dict(base))
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_config(path: Path = CONFIG_PATH, overrides: Mapping[str, Any] | None = None) -> dict:
    """Read ``config.yaml``, merge ``overrides`` into it and validate.

    Parameters
    ----------
    path
        The YAML configuration file (read with :func:`read_yaml`).
    overrides
        Values merged into the file's, as ``snakemake --config`` does (:func:`merge`).

    Returns
    -------
    dict
        The validated configuration with schema defaults filled in.
    """
    config = read_yaml(path) or {}
    if not isinstance(config, dict):
        raise ConfigError(f"{_shown(path)}: a configuration file must be a mapping of keys")
    return validate_config(merge(config, dict(overrides or {})))


_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _resolve(schema: Mapping[str, Any], node: Mapping[str, Any] | None) -> Mapping[str, Any]:
    while node and "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema.get("$defs", {}).get(name, {})
    return node or {}


def _coerce(value: Any, node: Mapping[str, Any], schema: Mapping[str, Any]) -> Any:
    node = _resolve(schema, node)
    if isinstance(value, Mapping):
        properties = node.get("properties", {})
        extra = node.get("additionalProperties")
        return {k: _coerce(v, properties.get(k, extra if isinstance(extra, Mapping) else {}),
                           schema) for k, v in value.items()}
    if isinstance(value, list):
        return [_coerce(v, node.get("items", {}), schema) for v in value]
    if not isinstance(value, str):
        return value
    kind = node.get("type")
    text = value.strip()
    if kind == "integer" and _INTEGER.fullmatch(text):
        return int(text)
    if kind == "number" and _INTEGER.fullmatch(text):
        return int(text)
    if kind == "number" and _NUMBER.fullmatch(text):
        return float(text)
    if kind == "boolean" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return value


def coerce_overrides(overrides: Mapping[str, Any],
                     schema: Mapping[str, Any] | None = None) -> dict:
    """``snakemake --config`` values with the types the schema declares.

    Snakemake parses a top-level ``--config key=value`` as an integer, a
    number or a boolean where it can, but reads a nested value
    (``'sample={age_min: 20}'``) with YAML's base loader, which keeps every
    scalar a string (``'20'``). Each string is converted to the type the
    schema declares at its key (integer, number, boolean) when it is written
    as one; anything else is left as it is, for validation to report.
    """
    schema = load_schema() if schema is None else schema
    return {key: _coerce(value, schema.get("properties", {}).get(key, {}), schema)
            for key, value in overrides.items()}


def _describe_rule(error: jsonschema.ValidationError) -> str:
    schema = error.schema if isinstance(error.schema, dict) else {}
    validator = error.validator
    if validator == "enum":
        return "one of " + ", ".join(repr(v) for v in error.validator_value)
    if validator in ("type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        kind = schema.get("type", "number")
        words = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}
        bounds = [f"{words[b]} {schema[b]}" for b in words if b in schema]
        article = "an" if str(kind)[0] in "aeiou" else "a"
        return f"{article} {kind}" + (" " + " and ".join(bounds) if bounds else "")
    if validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        return "known keys only: " + ", ".join(allowed)
    if validator == "required":
        return f"the keys {', '.join(error.validator_value)} to be present"
    if validator == "pattern":
        return f"text matching {error.validator_value}"
    return error.message


def _error_lines(error: jsonschema.ValidationError) -> list[str]:
    path = ".".join(str(p) for p in error.absolute_path) or "<top level>"
    if error.validator == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - known)
        prefix = "" if path == "<top level>" else path + "."
        return [
            f"config key '{prefix}{key}' (value {error.instance[key]!r}) is not a known key; "
            f"allowed: {_describe_rule(error)}"
            for key in unknown
        ]
    if error.validator == "required":
        return [f"config key '{path}': {error.message}; allowed: {_describe_rule(error)}"]
    return [f"config key '{path}' has value {error.instance!r}; allowed: {_describe_rule(error)}"]


def _fill_defaults(config: dict, schema: Mapping[str, Any]) -> None:
    for key, sub in schema.get("properties", {}).items():
        if key not in config and "default" in sub:
            config[key] = copy.deepcopy(sub["default"])


def _cross_checks(config: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """Rules a JSON Schema cannot state: orderings and sums across keys.

    Only the sections present in ``config`` are checked (a step's part of the
    configuration may hold only some of them).
    """
    problems: list[str] = _robustness_checks(config)
    if "sample" in config:
        problems += _sample_checks(config["sample"])
    if "model" in config:
        problems += _model_checks(config["model"])
    if "strategies" in config:
        problems += _strategy_checks(config["strategies"])
    if "scenarios" in config:
        problems += _scenario_checks(config, schema)
    return problems


def _scenario_names(config: Mapping[str, Any]) -> list[str]:
    """The scenario a study is generated in and the robustness scenarios must be defined.

    Checked with the schema (a name is a value of these keys, like an enum's), so a wrong
    name is reported with every other wrong value.
    """
    if not isinstance(config.get("scenarios"), Mapping):
        return []
    names = list(config["scenarios"])
    allowed = "one of " + ", ".join(repr(n) for n in names) + " (the names of scenarios)"
    problems = []
    if "scenario" in config and config["scenario"] not in names:
        problems.append(f"config key 'scenario' has value {config['scenario']!r}; "
                        f"allowed: {allowed}")
    listed = config.get("robustness_scenarios", [])
    for i, name in enumerate(listed if isinstance(listed, list) else []):
        if name not in names:
            problems.append(f"config key 'robustness_scenarios.{i}' has value {name!r}; "
                            f"allowed: {allowed}")
    keys: dict[int, str] = {}
    for name in names:
        other = keys.setdefault(scenario_key(name), name)
        if other != name:
            problems.append(f"config key 'scenarios.{name}' has the seed stream of scenario "
                            f"'{other}'; allowed: a name whose key differs (rename one)")
    return problems


def _scenario_checks(config: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """Every scenario's merged configuration must itself be valid (against ``schema``).

    Only the sections present in ``config`` are checked: a step given part of
    the configuration checks the overrides of that part (the whole configuration
    is checked before any job runs).
    """
    problems: list[str] = []
    base = {k: v for k, v in config.items() if k != "scenarios"}
    validator = jsonschema.Draft202012Validator(
        {**schema, "properties": {k: v for k, v in schema["properties"].items() if k in base},
         "required": [k for k in schema.get("required", []) if k in base]})
    for name, spec in config["scenarios"].items():
        # A step's part of the configuration checks the overrides of the sections it holds.
        overrides = {k: v for k, v in spec.get("overrides", {}).items() if k in base}
        merged = merge(base, overrides)
        for error in sorted(validator.iter_errors(merged), key=lambda e: list(map(str, e.path))):
            for line in _error_lines(error):
                problems.append(f"scenario '{name}' overrides: {line}")
        if not problems:
            problems += [f"scenario '{name}' overrides: {line}" for line in
                         _cross_checks({k: v for k, v in merged.items() if k != "scenarios"},
                                       schema)]
    return problems


def _robustness_checks(config: Mapping[str, Any]) -> list[str]:
    if "robustness_shards" not in config or "robustness_replications" not in config:
        return []
    shards, reps = config["robustness_shards"], config["robustness_replications"]
    if shards <= reps:
        return []
    return [f"config key 'robustness_shards' has value {shards!r}; allowed: at most "
            f"robustness_replications ({reps}), because each shard is a job that runs at "
            f"least one replication: this would plan {shards:,} jobs per robustness "
            f"scenario, {shards - reps:,} of them with nothing to do"]


def _sample_checks(sample: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    if sample["age_min"] >= sample["age_max"]:
        problems.append(
            f"config key 'sample.age_min' has value {sample['age_min']!r}; "
            f"allowed: less than sample.age_max ({sample['age_max']})"
        )
    if sample["contacts_min"] > sample["contacts_max"]:
        problems.append(
            f"config key 'sample.contacts_min' has value {sample['contacts_min']!r}; "
            f"allowed: at most sample.contacts_max ({sample['contacts_max']})"
        )
    if sum(sample["race_ethnicity"].values()) == 0:
        problems.append("config key 'sample.race_ethnicity' has value all zero; "
                        "allowed: counts with a positive sum")
    problems += _shares_sum_to_one("sample.relationship_status", sample["relationship_status"])
    return problems


def _shares_sum_to_one(key: str, shares: Mapping[str, float]) -> list[str]:
    total = sum(shares.values())
    if abs(total - 1.0) > 1e-9:
        return [f"config key '{key}' has shares summing to {total!r}; "
                "allowed: shares that sum to 1"]
    return []


def _model_checks(model: Mapping[str, Any]) -> list[str]:
    problems = _shares_sum_to_one("model.external_initiator_shares",
                                  model["external_initiator_shares"])
    cuts = model["safety_change"]
    if cuts["cut_worse_unchanged"] >= cuts["cut_unchanged_better"]:
        problems.append(
            f"config key 'model.safety_change.cut_worse_unchanged' has value "
            f"{cuts['cut_worse_unchanged']!r}; allowed: less than cut_unchanged_better "
            f"({cuts['cut_unchanged_better']})"
        )
    return problems


def _strategy_checks(strategies: Mapping[str, Any]) -> list[str]:
    if strategies["min_per_survivor"] > len(strategies["prevalence"]):
        return ["config key 'strategies.min_per_survivor' has value "
                f"{strategies['min_per_survivor']!r}; allowed: at most the "
                "number of strategies listed"]
    return []


def validate_config(config: Mapping[str, Any], schema: Mapping[str, Any] | None = None,
                    checks: Sequence[Check] = ()) -> dict:
    """Validate ``config`` against the schema; return a copy with defaults filled.

    ``checks`` run on the filled configuration once it matches the schema (the
    workflow passes :func:`analysis.steps.limits.study_limits`: what the
    analysis needs of the study's size).

    Raises
    ------
    ConfigError
        Listing every violation as ``config key '<key>' has value <v>; allowed: <rule>``.
    """
    schema = load_schema() if schema is None else schema
    filled = copy.deepcopy(dict(config))
    _fill_defaults(filled, schema)
    validator = jsonschema.Draft202012Validator(schema)
    # bool is a subclass of int in Python but not in JSON Schema; jsonschema handles that.
    errors = sorted(validator.iter_errors(filled), key=lambda e: list(map(str, e.absolute_path)))
    lines = [line for error in errors for line in _error_lines(error)] + _scenario_names(filled)
    if not lines:
        lines = _cross_checks(filled, schema)
    if not lines:
        lines = [line for check in checks for line in check(filled)]
    if lines:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines))
    return filled


def validate_subset(config: Mapping[str, Any], schema: Mapping[str, Any] | None = None) -> dict:
    """Validate the part of a configuration a step was given; fill nothing in.

    A workflow step receives only the keys its rule passes (``--params``). Each
    key is checked against its own schema entry; unknown keys are refused. No
    default and no value from ``config/config.yaml`` is added: a step that
    reads a key it was not given fails naming that key.
    """
    schema = load_schema() if schema is None else schema
    properties = schema.get("properties", {})
    sub_schema = {**schema, "properties": {k: properties[k] for k in config if k in properties},
                  "required": [k for k in config if k in properties]}
    validator = jsonschema.Draft202012Validator(sub_schema)
    errors = sorted(validator.iter_errors(dict(config)),
                    key=lambda e: list(map(str, e.absolute_path)))
    lines = [line for error in errors for line in _error_lines(error)] + _scenario_names(config)
    if not lines:
        lines = _cross_checks(config, schema)
    if lines:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines))
    return copy.deepcopy(dict(config))


def scenario_config(config: Mapping[str, Any], scenario: str | None = None
                    ) -> tuple[dict[str, Any], float]:
    """The configuration a scenario generates from, and its effect multiplier.

    The scenario (``config['scenario']`` unless given) deep-merges its
    ``overrides`` into the configuration; its ``effect_multiplier`` scales
    every association of the model (see :func:`effect`).
    """
    name = config["scenario"] if scenario is None else scenario
    spec = config["scenarios"][name]
    return merge(config, spec.get("overrides", {})), float(spec["effect_multiplier"])


def scenario_key(name: str) -> int:
    """The key of a scenario's seed stream, derived from its name alone.

    The first four bytes of the SHA-256 digest of the name's UTF-8 bytes, as a
    big-endian integer: stable across runs and machines, and independent of
    which other scenarios exist or their order, so adding a scenario leaves
    every other scenario's replications as they were.

    >>> scenario_key("published")
    2957926050
    """
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:4], "big")


def effect(value: Mapping[str, Any] | float, multiplier: float = 1.0) -> float:
    """The coefficient of an association, scaled by the scenario's effect multiplier.

    ``value`` is an ``{"effect": x}`` entry of the model section (or a number).
    """
    raw = value["effect"] if isinstance(value, Mapping) else float(value)
    return float(raw) * float(multiplier)
