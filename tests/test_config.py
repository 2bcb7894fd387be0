"""Configuration validation (issue 2, item 4): every bad value is stopped with a message
naming the key, the value and what is allowed, in Python and through Snakemake, and
nothing is written."""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor

import pytest

from analysis.config import ConfigError, load_config, load_schema, validate_config

#: (key, value as given to ``--config``, value as Python sees it, substrings of the rule)
BAD_VALUES = [
    ("n_participants", "0", 0, [">= 1", "an integer"]),
    ("n_participants", "2.5", 2.5, ["an integer", ">= 1"]),
    ("scenario", "nonsense", "nonsense", ["one of", "'published'", "'null'", "'reversed'"]),
    ("alpha", "1.5", 1.5, ["a number", "> 0", "< 1"]),
    ("seed", "abc", "abc", ["an integer", ">= 0"]),
    ("robustness_replications", "0", 0, ["an integer", ">= 1"]),
    ("colour", "blue", "blue", ["not a known key", "known keys only", "n_participants"]),
]
IDS = [f"{key}={text}" for key, text, _, _ in BAD_VALUES]


def _message(config: dict) -> str:
    with pytest.raises(ConfigError) as info:
        validate_config(config)
    return str(info.value)


@pytest.mark.parametrize(("key", "text", "value", "rule"), BAD_VALUES, ids=IDS)
def test_validate_config_names_key_value_and_rule(config, key, text, value, rule):
    bad = copy.deepcopy(config)
    bad[key] = value
    message = _message(bad)
    line = next(line for line in message.splitlines() if f"'{key}'" in line)
    assert repr(value) in line
    for piece in rule:
        assert piece in line, (piece, line)
    # Exactly one violation: no other key is blamed.
    assert len([ln for ln in message.splitlines() if "config key" in ln]) == 1


def test_default_config_is_valid(config):
    assert config["seed"] == 34933576
    assert config["n_participants"] == 24
    assert config["scenario"] == "published"
    # Validation is idempotent and returns a copy.
    again = validate_config(config)
    assert again == config and again is not config


def test_every_violation_is_reported_at_once(config):
    bad = copy.deepcopy(config)
    bad["seed"] = -3
    bad["sample"]["age_sd"] = -1
    bad["model"]["arrest"]["race"]["effect"] = 11
    message = _message(bad)
    assert "config key 'seed' has value -3; allowed: an integer >= 0" in message
    assert "config key 'sample.age_sd' has value -1; allowed: a number > 0 and <= 40" in message
    assert ("config key 'model.arrest.race.effect' has value 11; "
            "allowed: a number >= -10 and <= 10") in message


def test_boolean_is_not_an_integer(config):
    bad = copy.deepcopy(config)
    bad["n_participants"] = True
    assert "config key 'n_participants' has value True; allowed: an integer" in _message(bad)


def test_boundary_values(config):
    ok = copy.deepcopy(config)
    ok.update(n_participants=1, alpha=0.999, robustness_replications=1, robustness_shards=1,
              seed=0)
    assert validate_config(ok)["n_participants"] == 1
    for key, value in (("alpha", 0), ("alpha", 1), ("seed", 2**32), ("n_participants", 5_000_001)):
        bad = copy.deepcopy(config)
        bad[key] = value
        assert f"config key '{key}' has value {value!r}" in _message(bad)


def test_cross_check_age_order(config):
    bad = copy.deepcopy(config)
    bad["sample"]["age_min"] = 40
    bad["sample"]["age_max"] = 40
    message = _message(bad)
    assert "'sample.age_min'" in message and "40" in message
    assert "less than sample.age_max (40)" in message
    bad["sample"]["age_min"] = 50
    assert "'sample.age_min' has value 50" in _message(bad)


@pytest.mark.parametrize("key", ["relationship_status", "external_initiator_shares"])
def test_cross_check_shares_sum_to_one(config, key):
    bad = copy.deepcopy(config)
    section = "sample" if key == "relationship_status" else "model"
    shares = bad[section][key]
    first = next(iter(shares))
    shares[first] += 0.05
    message = _message(bad)
    assert f"'{section}.{key}'" in message
    assert "summing to 1.05" in message
    assert "shares that sum to 1" in message


def test_cross_check_contacts_and_cuts(config):
    bad = copy.deepcopy(config)
    bad["sample"]["contacts_min"] = 5
    bad["sample"]["contacts_max"] = 3
    assert "'sample.contacts_min' has value 5; allowed: at most sample.contacts_max (3)" \
        in _message(bad)
    bad = copy.deepcopy(config)
    bad["model"]["safety_change"]["cut_worse_unchanged"] = 2.0
    assert "'model.safety_change.cut_worse_unchanged' has value 2.0" in _message(bad)
    bad = copy.deepcopy(config)
    bad["sample"]["race_ethnicity"] = {k: 0 for k in bad["sample"]["race_ethnicity"]}
    assert "'sample.race_ethnicity'" in _message(bad)


@pytest.mark.parametrize("key", ["robustness_shards", "small_cell_threshold", "alpha", "seed",
                                 "data_source"])
def test_defaults_filled_from_schema(config, key):
    schema_default = load_schema()["properties"][key]["default"]
    partial = copy.deepcopy(config)
    del partial[key]
    filled = validate_config(partial)
    assert filled[key] == schema_default
    assert key not in partial  # the input is not modified


def test_a_missing_key_gets_the_schema_default(config):
    default = load_schema()["properties"]["robustness_shards"]["default"]
    partial = copy.deepcopy(config)
    partial["robustness_shards"] = default + 3
    assert validate_config(partial)["robustness_shards"] == default + 3
    del partial["robustness_shards"]
    assert validate_config(partial)["robustness_shards"] == default


def test_missing_required_section_is_named(config):
    partial = copy.deepcopy(config)
    del partial["sample"]
    message = _message(partial)
    assert "'sample' is a required property" in message


def test_load_config_overrides(config):
    over = load_config(overrides={"scenario": "null", "seed": 7})
    assert over["scenario"] == "null" and over["seed"] == 7
    assert over["model"] == config["model"]
    with pytest.raises(ConfigError, match=r"'n_participants' has value 0"):
        load_config(overrides={"n_participants": 0})


# --- through Snakemake -------------------------------------------------------------


def _combined(first: int) -> tuple[str, ...]:
    """All seven bad values in one ``--config`` (n_participants once: 0 or 2.5)."""
    pairs = {key: text for key, text, _, _ in BAD_VALUES[2:]}
    key, text, _, _ = BAD_VALUES[first]
    return tuple(f"{k}={v}" for k, v in {key: text, **pairs}.items())


@pytest.fixture(scope="module")
def repo_copy(make_repo_copy):
    """This module's own copy of the repository (no other test builds in it)."""
    return make_repo_copy("config")


@pytest.fixture(scope="module")
def snakemake_runs(repo_copy, snakemake):
    """Snakemake in one copy of the repository: a real run (``--cores 1``, no ``-n``) for
    every bad value, and two dry runs (``-n``) that pass all bad values at once.

    Each run stops at validation, before any lock or job, so they run side by side. They
    are started together because most of a parse can be waiting rather than computing
    (the SLURM executor plugin queries ``scontrol`` when snakemake starts).
    """
    jobs = [(("real", key, text), ("--cores", "1", "--config", f"{key}={text}"))
            for key, text, _, _ in BAD_VALUES]
    jobs += [(("dry", first), ("--cores", "1", "-n", "--config", *_combined(first)))
             for first in (0, 1)]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = list(pool.map(lambda job: snakemake(repo_copy, *job[1]), jobs))
    return {name: res for (name, _), res in zip(jobs, results, strict=True)}


def _assert_reported(output: str, key: str, value, rule: list[str]) -> None:
    lines = [ln for ln in output.splitlines() if f"config key '{key}'" in ln]
    assert len(lines) == 1, output
    assert (f"has value {value!r};" in lines[0]) or (f"(value {value!r})" in lines[0])
    for piece in rule:
        assert piece in lines[0], (piece, lines[0])


@pytest.mark.slow
@pytest.mark.parametrize(("key", "text", "value", "rule"), BAD_VALUES, ids=IDS)
def test_snakemake_stops_on_bad_value(snakemake_runs, repo_copy, key, text, value, rule):
    res = snakemake_runs[("real", key, text)]
    output = res.stdout + res.stderr
    assert res.returncode != 0, output
    assert "invalid configuration" in output
    _assert_reported(output, key, value, rule)
    # Nothing was written: no results directory at all, and no job ran.
    assert not (repo_copy / "results").exists()
    assert "rule generate" not in output and "Building DAG" not in output


@pytest.mark.slow
@pytest.mark.parametrize("first", [0, 1], ids=["n_participants=0", "n_participants=2.5"])
def test_snakemake_dry_run_reports_every_bad_value(snakemake_runs, repo_copy, first):
    res = snakemake_runs[("dry", first)]
    output = res.stdout + res.stderr
    assert res.returncode != 0, output
    for index, (key, _, value, rule) in enumerate(BAD_VALUES):
        if index in (0, 1) and index != first:
            continue
        _assert_reported(output, key, value, rule)
    assert not (repo_copy / "results").exists()


@pytest.mark.slow
def test_snakemake_accepts_good_override(repo_copy, snakemake_runs, snakemake):
    # The same copy parses with a valid override (so the failures above are about values),
    # and the validated values reach the generator's parameters.
    res = snakemake(repo_copy, "--cores", "1", "-n", "-p", "--config", "scenario=null", "seed=7",
                    "--", "results/data/synthetic/participants.csv")
    assert res.returncode == 0, res.stdout + res.stderr
    assert '"scenario":"null"' in res.stdout and '"seed":7' in res.stdout
    assert not (repo_copy / "results").exists()


def test_every_key_of_the_schema_is_described():
    """The schema documents the configuration: a description on every property."""
    schema = load_schema()
    definitions = schema["$defs"]
    missing = []

    def walk(node: dict, path: str) -> None:
        for key, sub in node.get("properties", {}).items():
            target = definitions[sub["$ref"].split("/")[-1]] if "$ref" in sub else sub
            if "description" not in sub and "description" not in target:
                missing.append(path + key)
            walk(target, f"{path}{key}.")

    walk(schema, "")
    assert missing == []


def test_the_config_readme_is_written_from_the_schema(repo_root):
    """config/README.md describes every section with the schema's own descriptions."""
    from analysis.dev.config_docs import render

    text = (repo_root / "config" / "README.md").read_text(encoding="utf-8")
    assert text == render(load_schema()), (
        "config/README.md differs from the schema: run python -m analysis.dev.config_docs")
    for key in load_schema()["properties"]:
        assert f"## `{key}`" in text


def test_the_extra_covariates_enum_follows_the_declared_variables(repo_root):
    """The schema's enum is written from analysis/study/variables.py; it must not drift."""
    from analysis.dev.config_docs import schema_text
    from analysis.study.variables import EXTRA_COVARIATES

    enum = load_schema()["properties"]["arrest_model_extra_covariates"]["items"]["enum"]
    assert enum == list(EXTRA_COVARIATES)
    text = (repo_root / "workflow" / "schemas" / "config.schema.yaml").read_text(encoding="utf-8")
    assert schema_text(text) == text
    drifted = text.replace("enum: [" + ", ".join(EXTRA_COVARIATES) + "]", "enum: [black]")
    assert drifted != text and schema_text(drifted) == text


def test_a_scenario_name_must_be_defined_and_well_formed(config):
    bad = copy.deepcopy(config)
    bad["scenario"] = "halved"
    bad["robustness_scenarios"] = ["published", "halved"]
    message = _message(bad)
    assert ("config key 'scenario' has value 'halved'; allowed: one of 'published', 'null', "
            "'reversed', 'contrary' (the names of scenarios)") in message
    assert "config key 'robustness_scenarios.1' has value 'halved'" in message
    bad = copy.deepcopy(config)
    bad["scenarios"]["two words"] = bad["scenarios"]["null"]
    assert "'two words'; allowed: text matching ^[A-Za-z][A-Za-z0-9_]*$" in _message(bad)


def test_a_new_scenario_is_a_block_of_its_own(config):
    added = copy.deepcopy(config)
    added["scenarios"]["halved"] = {"title": "Halved", "description": "every association halved",
                                    "effect_multiplier": 0.5}
    added["robustness_scenarios"] = [*config["robustness_scenarios"], "halved"]
    added["scenario"] = "halved"
    assert validate_config(added)["scenario"] == "halved"


def test_a_scenario_override_is_validated_like_the_configuration(config):
    bad = copy.deepcopy(config)
    bad["scenarios"]["contrary"]["overrides"]["violence"]["p_ongoing_strategic"] = 1.5
    assert ("scenario 'contrary' overrides: config key 'violence.p_ongoing_strategic' has "
            "value 1.5") in _message(bad)


# --- study limits, YAML files and nested overrides through Snakemake ---------------

#: name -> (snakemake arguments, what the one message must say)
REFUSED = {
    "too few participants": (["--config", "n_participants=5"],
                             ["config key 'n_participants' has value 5; allowed: at least 8"]),
    "race group of zero": (["--config", "sample={race_ethnicity: {Black: 0}}"],
                           ["config key 'sample.race_ethnicity.Black' has value 0"]),
    "documented maximum": (["--config", "n_participants=5000000"],
                           ["config key 'n_participants' has value 5000000; allowed: at most",
                            "GiB of memory is available"]),
    "shards above replications": (["--config", "robustness_shards=10000"],
                                  ["config key 'robustness_shards' has value 10000",
                                   "10,000 jobs per robustness scenario"]),
    "nested value not a number": (["--config", "sample={age_min: twenty}"],
                                  ["config key 'sample.age_min' has value 'twenty'; "
                                   "allowed: an integer"]),
    "duplicate key in --configfile": (["--configfile", "dup.yaml"],
                                      ["dup.yaml:4: duplicate key 'sample.race_ethnicity.Black' "
                                       "(first given at line 3)",
                                       "dup.yaml:8: duplicate key 'violence.forms.physical'"]),
}
DUPLICATES = """\
sample:
  race_ethnicity:
    Black: 11
    Black: 3
violence:
  forms:
    physical: 0.8
    physical: 0.5
"""


@pytest.fixture(scope="module")
def refused_runs(repo_copy, snakemake):
    """A real run (no -n) per refused configuration, side by side: each stops at parse."""
    (repo_copy / "dup.yaml").write_text(DUPLICATES, encoding="utf-8")
    names = list(REFUSED)
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        results = list(pool.map(
            lambda name: snakemake(repo_copy, "--cores", "1", *REFUSED[name][0]), names))
    return dict(zip(names, results, strict=True))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(REFUSED))
def test_snakemake_refuses_before_any_job(refused_runs, repo_copy, name):
    res = refused_runs[name]
    output = res.stdout + res.stderr
    assert res.returncode != 0, output
    for piece in REFUSED[name][1]:
        assert piece in output, (piece, output)
    assert "Traceback" not in output
    assert not (repo_copy / "results").exists()
    assert "Building DAG" not in output


@pytest.mark.slow
def test_nested_override_merges_into_its_section(repo_copy, refused_runs, snakemake):
    res = snakemake(repo_copy, "--cores", "1", "-n", "-p", "--config", "sample={age_min: 20}",
                    "--", "results/data/synthetic/participants.csv")
    assert res.returncode == 0, res.stdout + res.stderr
    # 20 is an integer again, and the rest of the section is the file's.
    assert '"age_max":62,"age_mean":35.0,"age_min":20,"age_sd":9.0' in res.stdout
    assert not (repo_copy / "results").exists()


@pytest.mark.slow
def test_syntax_error_in_the_workflow_config_names_line_and_column(make_repo_copy, snakemake):
    repo = make_repo_copy("syntax")
    path = repo / "config" / "config.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.startswith("seed:"))
    lines[index] = "seed: [34933576\n"
    path.write_text("".join(lines), encoding="utf-8")
    res = snakemake(repo, "--cores", "1", "-n")
    output = res.stdout + res.stderr
    assert res.returncode != 0
    assert f"config/config.yaml:{index + 2}:" in output and "YAML syntax error" in output
    assert "Traceback" not in output


def test_read_yaml_refuses_duplicates_and_names_syntax_errors(tmp_path):
    from analysis.config import read_yaml

    (tmp_path / "dup.yaml").write_text(DUPLICATES, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        read_yaml(tmp_path / "dup.yaml")
    message = str(info.value)
    assert "dup.yaml:4: duplicate key 'sample.race_ethnicity.Black' (first given at line 3)" \
        in message
    assert "dup.yaml:8: duplicate key 'violence.forms.physical' (first given at line 7)" in message
    (tmp_path / "bad.yaml").write_text("seed: 1\n  n: 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.yaml:2:4: YAML syntax error: mapping values"):
        read_yaml(tmp_path / "bad.yaml")
    with pytest.raises(ConfigError, match=r"nope\.yaml: configuration file not found"):
        load_config(tmp_path / "nope.yaml")


def test_coerce_overrides_gives_nested_strings_the_schema_types():
    from analysis.config import coerce_overrides

    given = {"sample": {"age_min": "20", "age_sd": "9.5", "relationship_status":
                        {"together": "0.5"}},
             "qualitative": {"coder_disagreement_rate": "0.2"}, "scenario": "null",
             "arrest_model_extra_covariates": ["treated_poorly"]}
    assert coerce_overrides(given) == {
        "sample": {"age_min": 20, "age_sd": 9.5, "relationship_status": {"together": 0.5}},
        "qualitative": {"coder_disagreement_rate": 0.2}, "scenario": "null",
        "arrest_model_extra_covariates": ["treated_poorly"]}
    # What is not written as its type stays a string, for validation to report.
    assert coerce_overrides({"sample": {"age_min": "twenty"}}) == {"sample": {"age_min": "twenty"}}


def test_load_config_overrides_merge_into_sections(config):
    over = load_config(overrides={"sample": {"age_min": 20}})
    assert over["sample"]["age_min"] == 20
    assert {k: v for k, v in over["sample"].items() if k != "age_min"} == {
        k: v for k, v in config["sample"].items() if k != "age_min"}
