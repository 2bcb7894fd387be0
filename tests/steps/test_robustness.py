"""The robustness study: seeds per replication, shards that do not matter, honest summaries."""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pandas as pd
import pytest

from analysis import cli
from analysis.cli import robustness_merge, robustness_shard
from analysis.config import load_config, scenario_key
from analysis.io import read_csv, read_json
from analysis.steps.claims import load_registry
from analysis.steps.replications import COLUMNS, merge_shards, shard_replications, summarize
from analysis.steps.robustness import run_replications
from analysis.study.batch import replication_rng
from analysis.study.vocabulary import VERDICTS

SCENARIOS = load_config()["robustness_scenarios"]


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.fixture(scope="module")
def forty(registry):
    config = load_config()
    rows = pd.concat([run_replications(config, registry, s, range(40))
                      for s in SCENARIOS], ignore_index=True)
    return merge_shards([rows], SCENARIOS), config


def test_each_replication_has_its_own_stream():
    a = replication_rng(34933576, (scenario_key("published"),), 7).random(3)
    b = replication_rng(34933576, (scenario_key("published"),), 7).random(3)
    c = replication_rng(34933576, (scenario_key("null"),), 7).random(3)
    d = replication_rng(34933576, (scenario_key("published"),), 8).random(3)
    assert np.array_equal(a, b) and not np.array_equal(a, c) and not np.array_equal(a, d)
    names = list(load_config()["scenarios"])
    assert len({scenario_key(n) for n in names}) == len(names)


def test_a_scenarios_seed_stream_is_its_names_hash():
    """The key is the first four bytes of SHA-256 of the name, whatever else is configured."""
    import hashlib

    for name in ("published", "null", "a_world_of_our_own"):
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()
        assert scenario_key(name) == int(digest[:8], 16)
    config = load_config()
    alone = run_replications(config, load_registry(), "null", range(5))
    added = {**config, "scenarios": {"halved": {**config["scenarios"]["published"],
                                                "effect_multiplier": 0.5},
                                     **config["scenarios"]}}
    assert run_replications(added, load_registry(), "null", range(5)).equals(alone)


def test_the_merge_names_missing_and_unknown_scenarios(forty):
    rows, _ = forty
    with pytest.raises(ValueError, match="no replications of scenario.s. reversed"):
        merge_shards([rows], [*SCENARIOS, "reversed"])
    with pytest.raises(ValueError, match="scenario.s. contrary not in robustness_scenarios"):
        merge_shards([rows], SCENARIOS[:-1])


@pytest.mark.parametrize(("total", "shards"), [(1, 1), (40, 1), (40, 4), (40, 3), (7, 7),
                                               (3, 5), (1000, 2), (1000, 7), (10, 10)])
def test_shards_cover_every_replication_once(total, shards):
    ranges = [shard_replications(total, shards, s) for s in range(shards)]
    flat = [r for rng in ranges for r in rng]
    assert flat == list(range(total))
    sizes = [len(r) for r in ranges]
    assert max(sizes) - min(sizes) <= 1


def test_shard_out_of_range():
    with pytest.raises(ValueError, match="shard 4 is outside 0..3"):
        shard_replications(10, 4, 4)


def test_replications_table(forty):
    rows, _ = forty
    assert list(rows.columns) == COLUMNS
    assert list(dict.fromkeys(rows["scenario"])) == SCENARIOS
    assert len(rows) == 3 * 40 * 16
    assert rows["verdict"].isin(VERDICTS).all()
    assert (rows["reproduced"] == (rows["verdict"] == "reproduced")).all()


def test_summary_shares_and_mcse_recomputed(forty):
    rows, _ = forty
    summary = summarize(rows)
    assert len(summary) == 3 * 16
    for _, row in summary.iterrows():
        part = rows[(rows["claim"] == row["claim"]) & (rows["scenario"] == row["scenario"])]
        for verdict, name in zip(VERDICTS, ("reproduced", "inconclusive", "not_reproduced"),
                                 strict=True):
            share = (part["verdict"] == verdict).mean()
            assert row[f"{name}_share"] == pytest.approx(share)
            assert row[f"{name}_mcse"] == pytest.approx(math.sqrt(share * (1 - share) / 40))
        assert row["reproduced_share"] + row["inconclusive_share"] + row[
            "not_reproduced_share"] == pytest.approx(1.0)


def test_contrary_reproduces_no_claim_in_any_replication(forty):
    rows, _ = forty
    contrary = rows[rows["scenario"] == "contrary"]
    assert not contrary["reproduced"].any()


def _run_cli(tmp_path, replications: int, shards: int, tag: str) -> tuple[bytes, bytes]:
    config = {**load_config(), "robustness_replications": replications,
              "robustness_shards": shards}
    params = json.dumps({k: config[k] for k in robustness_shard.CONFIG_KEYS})
    outputs = []
    for scenario in SCENARIOS:
        for shard in range(shards):
            out = tmp_path / tag / f"{scenario}-{shard}.csv"
            code = cli.main(["robustness-shard", "--params", params, "--scenario", scenario,
                             "--shard", str(shard), "--output", str(out)])
            assert code == 0
            outputs.append(out)
    random.Random(shards).shuffle(outputs)  # the merge must not depend on input order
    merged = [tmp_path / tag / "replications.csv", tmp_path / tag / "summary.csv",
              tmp_path / tag / "scenarios.json"]
    merge_params = json.dumps({k: config[k] for k in robustness_merge.CONFIG_KEYS})
    code = cli.main(["robustness-merge", "--params", merge_params, "--inputs", *map(str, outputs),
                     "--replications", str(merged[0]), "--summary", str(merged[1]),
                     "--scenarios", str(merged[2])])
    assert code == 0
    titles = [s["title"] for s in read_json(merged[2])["scenarios"]]
    assert titles == [config["scenarios"][name]["title"] for name in SCENARIOS]
    return merged[0].read_bytes(), merged[1].read_bytes()


def test_cli_shards_byte_identical(tmp_path, forty):
    one = _run_cli(tmp_path, 20, 1, "one")
    three = _run_cli(tmp_path, 20, 3, "three")
    assert one == three
    replications = read_csv(tmp_path / "three" / "replications.csv")
    assert sorted(set(replications["replication"])) == list(range(20))
    library, _ = forty
    first = library[library["replication"] < 20].reset_index(drop=True)
    np.testing.assert_array_equal(replications["verdict"], first["verdict"])


def test_cli_rejects_bad_params(tmp_path, capsys):
    code = cli.main(["robustness-shard", "--params", json.dumps({"robustness_shards": 0}),
                     "--scenario", "null", "--shard", "0", "--output", str(tmp_path / "x.csv")])
    assert code == 2
    assert "config key 'robustness_shards' has value 0" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()
