"""What a configured study needs (analysis.steps.limits): every limit is derived from the
estimators' constants, refused with key, value and what is allowed, and the analysis of a
study below the limits says "not estimable" rather than crashing."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest

from analysis.config import ConfigError, validate_config
from analysis.io import write_json
from analysis.stats.minimums import MIN_CLUSTERS, MIN_CLUSTERS_PER_GROUP, MIN_RESIDUAL_DF
from analysis.stats.models import MODELS
from analysis.steps.infer import run_inference
from analysis.steps.limits import (
    MEMORY_BASE,
    MEMORY_PER_PARTICIPANT,
    available_memory,
    group_sizes,
    memory_estimate,
    minimum_participants,
    study_limits,
)
from analysis.study.arrays import StudyArrays
from analysis.study.generate import generate_study

PLENTY = 1 << 50   # bytes: memory is no limit


def _plenty() -> int:
    return PLENTY


def _problems(config: dict, **changes) -> list[str]:
    changed = copy.deepcopy(config)
    changed.update(changes)
    return study_limits(changed, memory=_plenty)


def test_default_study_is_within_the_limits(config):
    assert _problems(config) == []


def test_minimum_participants_comes_from_the_estimators():
    largest = max(1 + len(spec.terms({})) for spec in MODELS.values())
    assert minimum_participants() == max(MIN_CLUSTERS, largest + MIN_RESIDUAL_DF)
    extras = ["external_initiation", "treated_poorly", "children_in_home"]
    largest = max(1 + len(spec.terms({"arrest": extras})) for spec in MODELS.values())
    assert minimum_participants(extras) == max(MIN_CLUSTERS, largest + MIN_RESIDUAL_DF)
    assert minimum_participants(extras) > minimum_participants()


@pytest.mark.parametrize("n", range(1, 13))
def test_too_few_participants_are_refused_with_the_limit(config, n):
    least = minimum_participants(config["arrest_model_extra_covariates"])
    problems = [p for p in _problems(config, n_participants=n) if "'n_participants'" in p]
    if n >= least:
        assert problems == []
    else:
        assert len(problems) == 1
        assert problems[0].startswith(f"config key 'n_participants' has value {n}; "
                                      f"allowed: at least {least}")
        assert f"at least {MIN_CLUSTERS} survivors" in problems[0]


def test_extra_covariates_raise_the_minimum(config):
    extras = ["external_initiation", "treated_poorly", "children_in_home"]
    least = minimum_participants(extras)
    problems = _problems(config, n_participants=least - 1, arrest_model_extra_covariates=extras)
    assert any(f"allowed: at least {least}" in p for p in problems)
    assert _problems(config, n_participants=least, arrest_model_extra_covariates=extras) == []


def test_a_race_group_of_zero_is_refused(config):
    bad = copy.deepcopy(config)
    bad["sample"]["race_ethnicity"]["Black"] = 0
    problems = study_limits(bad, memory=_plenty)
    assert len(problems) == 1
    assert problems[0].startswith("config key 'sample.race_ethnicity.Black' has value 0; "
                                  f"allowed: counts that give at least {MIN_CLUSTERS_PER_GROUP} "
                                  "Black survivors at n_participants = 24 (this gives 0)")


def test_a_group_too_small_after_scaling_is_refused(config):
    # 1 of 24 configured, scaled to 48 participants: 2 Black survivors, enough; at 24: 1.
    bad = copy.deepcopy(config)
    bad["sample"]["race_ethnicity"].update(Black=1, White=20, Latina=2)
    assert group_sizes(bad["sample"], 24)["Black"] == 1
    assert any("this gives 1" in p for p in study_limits(bad, memory=_plenty))
    bad["n_participants"] = 48
    assert group_sizes(bad["sample"], 48)["Black"] == 2
    assert study_limits(bad, memory=_plenty) == []


def test_no_other_survivors_is_refused(config):
    bad = copy.deepcopy(config)
    bad["sample"]["race_ethnicity"] = {"Black": 24, "White": 0, "Latina": 0,
                                       "Multiracial/other": 0}
    problems = study_limits(bad, memory=_plenty)
    assert len(problems) == 1 and problems[0].startswith(
        "config key 'sample.race_ethnicity' has value {'Black': 24, 'White': 0")
    assert "at least 2 other survivors" in problems[0]


def test_memory_estimate_is_refused_against_available_memory(config):
    available = 4 * 1024 ** 3
    most = (available - MEMORY_BASE) // MEMORY_PER_PARTICIPANT
    bad = copy.deepcopy(config)
    bad["n_participants"] = most + 1
    problems = study_limits(bad, memory=lambda: available)
    assert len(problems) == 1
    assert problems[0].startswith(f"config key 'n_participants' has value {most + 1}; "
                                  f"allowed: at most {most:,} on this machine")
    assert f"needs about {memory_estimate(most + 1) / 1024 ** 3:.1f} GiB" in problems[0]
    assert "4.0 GiB of memory is available" in problems[0]
    bad["n_participants"] = most
    assert study_limits(bad, memory=lambda: available) == []


def test_the_documented_maximum_is_refused_on_this_machine(config):
    huge = copy.deepcopy(config)
    huge["n_participants"] = 5_000_000
    available = available_memory()
    assert available is not None and available > 0
    assert memory_estimate(5_000_000) > available   # 458 GiB: no machine of ours has it
    assert any("allowed: at most" in p for p in study_limits(huge))


def test_available_memory_reads_meminfo(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       24684092 kB\nMemAvailable:    1000 kB\n")
    assert available_memory(meminfo) == 1000 * 1024
    # Without /proc/meminfo, the operating system's count of free pages.
    assert available_memory(tmp_path / "absent") is not None


def test_shards_at_most_replications(config):
    bad = copy.deepcopy(config)
    bad.update(robustness_replications=1000, robustness_shards=10000)
    with pytest.raises(ConfigError) as info:
        validate_config(bad)
    assert ("config key 'robustness_shards' has value 10000; allowed: at most "
            "robustness_replications (1000)") in str(info.value)
    assert "this would plan 10,000 jobs per robustness scenario" in str(info.value)
    bad["robustness_shards"] = 1000
    assert validate_config(bad)["robustness_shards"] == 1000


@pytest.mark.parametrize("n", [1, 2, 5, 12])
def test_inference_on_a_tiny_study_says_not_estimable(config, n, tmp_path):
    """Below the limits (as a restricted study may be), inference writes reasons, no inf."""
    study = generate_study({**config, "n_participants": n}, interviews=False)
    out = run_inference(StudyArrays.from_tables(study.tables), config["alpha"])
    write_json(tmp_path / "power.json", out["power"])       # refuses inf and nan
    write_json(tmp_path / "fits.json", out["fits"])
    power = json.loads((tmp_path / "power.json").read_text())
    # Each contrast: not estimable with its reason (a group empty, or no share reaching 80%).
    for contrast in ("black_vs_others", "colour_vs_white"):
        assert power[contrast]["estimable"] is False and power[contrast]["reason"], contrast
    for fit in out["fits"].values():
        assert fit["estimable"] or fit["reason"]
    if n < MIN_CLUSTERS:
        assert not any(fit["estimable"] for fit in out["fits"].values())
        assert all(f"at least {MIN_CLUSTERS} needed" in fit["reason"]
                   for fit in out["fits"].values() if "constant" not in fit["reason"])


@pytest.mark.slow
def test_memory_per_participant_bounds_the_heaviest_job(config, tmp_path):
    """The estimate is an upper bound of the exchange job's peak memory (measured)."""
    n = 3000
    study_dir = tmp_path / "study"
    configfile = tmp_path / "config.yaml"
    import yaml

    configfile.write_text(yaml.safe_dump({**config, "n_participants": n}), encoding="utf-8")
    commands = [["generate", "--configfile", str(configfile), "--outdir", str(study_dir)],
                ["exchange", "--data", str(study_dir), "--outdir", str(tmp_path / "x")]]
    # A fresh parent process, so that its children's peak is these two jobs' alone.
    measure = ("import json, resource, subprocess, sys\n"
               "for c in json.loads(sys.argv[1]):\n"
               "    subprocess.run([sys.executable, '-m', 'analysis', *c], check=True,\n"
               "                   capture_output=True)\n"
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    out = subprocess.run([sys.executable, "-c", measure, json.dumps(commands)], check=True,
                         capture_output=True, text=True)
    peak = int(out.stdout.strip()) * 1024
    assert peak < memory_estimate(n), (peak, memory_estimate(n))
