"""What every step's command shares: its configuration, from exactly one source."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """``--params`` (what the workflow passes) and ``--configfile`` (by hand)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--params", default="",
                       help="JSON object of the configuration values this step reads "
                            "(the workflow passes exactly those)")
    group.add_argument("--configfile", type=Path,
                       help="read the step's configuration values from this YAML file instead")


def step_config(args: argparse.Namespace, keys: Sequence[str],
                restricted_keys: Sequence[str] = ()) -> dict[str, Any]:
    """The configuration a step reads: the ``keys`` it declares, from one source.

    From ``--params`` the given values are validated as they are (nothing is
    filled in from a file or from defaults); from ``--configfile`` the file is
    loaded, validated and the step's keys are taken from it. A key the step
    needs but was not given is an error naming the key. ``restricted_keys`` are
    needed only in a restricted-data build (``data_source: restricted``).
    """
    from analysis.config import ConfigError, load_config, validate_subset

    if args.params:
        try:
            given = json.loads(args.params)
        except json.JSONDecodeError as error:
            raise ConfigError(f"--params is not a JSON object: {error}") from None
        if not isinstance(given, dict):
            raise ConfigError("--params is not a JSON object")
        config = validate_subset(given)
    elif args.configfile:
        full = load_config(args.configfile)
        config = {k: full[k] for k in (*keys, *restricted_keys) if k in full}
    else:
        raise ConfigError("give --params (JSON of the step's configuration values) or "
                          "--configfile (a configuration file, e.g. config/config.yaml)")
    needed = list(keys)
    if config.get("data_source") == "restricted":
        needed += list(restricted_keys)
    missing = [k for k in needed if k not in config]
    if missing:
        raise ConfigError(f"this step needs the configuration key(s) {', '.join(missing)}, "
                          "which were not given")
    return config
