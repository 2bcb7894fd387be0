"""Load and validate the study configuration.

The JSON Schema in ``workflow/schemas/config.schema.yaml`` is the single
definition of every key's type, range, enum and default. Validation collects
every violation and reports each one with its key, its value and what is
allowed, before any job runs.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "workflow" / "schemas" / "config.schema.yaml"
CONFIG_PATH = ROOT / "config" / "config.yaml"

#: How each scenario scales every association coefficient (``effect``).
SCENARIO_MULTIPLIER: dict[str, float] = {"published": 1.0, "null": 0.0, "reversed": -1.0}


class ConfigError(ValueError):
    """A configuration value is not allowed; the message names key, value and rule."""


#: A further check of a whole configuration: one message per problem (empty: fine).
Check = Callable[[Mapping[str, Any]], list[str]]


def load_schema(path: Path = SCHEMA_PATH) -> dict[str, Any]:
    """Read the configuration JSON Schema (stored as YAML)."""
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load_config(path: Path = CONFIG_PATH, overrides: Mapping[str, Any] | None = None) -> dict:
    """Read ``config.yaml``, apply top-level ``overrides`` and validate.

    Parameters
    ----------
    path
        The YAML configuration file.
    overrides
        Values that replace top-level keys, as ``snakemake --config`` does.

    Returns
    -------
    dict
        The validated configuration with schema defaults filled in.
    """
    with open(path, encoding="utf-8") as fh:
        config = yaml.safe_load(fh) or {}
    config.update(dict(overrides or {}))
    return validate_config(config)


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


def _cross_checks(config: Mapping[str, Any]) -> list[str]:
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
    lines = [line for error in errors for line in _error_lines(error)]
    if not lines:
        lines = _cross_checks(filled)
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
    lines = [line for error in errors for line in _error_lines(error)]
    if not lines:
        lines = _cross_checks(config)
    if lines:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines))
    return copy.deepcopy(dict(config))


def effect(value: Mapping[str, Any] | float, scenario: str) -> float:
    """The coefficient of an association under ``scenario``.

    ``value`` is an ``{"effect": x}`` entry from the model section; the scenario
    multiplies ``x`` by 1 (published), 0 (null) or -1 (reversed).
    """
    raw = value["effect"] if isinstance(value, Mapping) else float(value)
    return float(raw) * SCENARIO_MULTIPLIER[scenario]
