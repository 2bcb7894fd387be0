"""The robustness study: seeds per replication, shards that do not matter, honest summaries."""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pandas as pd
import pytest

from analysis import cli
from analysis.cli import robustness_shard
from analysis.config import load_config
from analysis.io import read_csv
from analysis.steps.claims import VERDICTS, load_registry
from analysis.steps.replications import COLUMNS, merge_shards, shard_replications, summarize
from analysis.steps.robustness import SCENARIO_KEYS, run_replications
from analysis.study.batch import replication_rng
from analysis.study.vocabulary import ROBUSTNESS_SCENARIOS


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.fixture(scope="module")
def forty(registry):
    config = load_config()
    rows = pd.concat([run_replications(config, registry, s, range(40))
                      for s in ROBUSTNESS_SCENARIOS], ignore_index=True)
    return merge_shards([rows]), config


def test_each_replication_has_its_own_stream():
    a = replication_rng(34933576, (SCENARIO_KEYS["published"],), 7).random(3)
    b = replication_rng(34933576, (SCENARIO_KEYS["published"],), 7).random(3)
    c = replication_rng(34933576, (SCENARIO_KEYS["null"],), 7).random(3)
    d = replication_rng(34933576, (SCENARIO_KEYS["published"],), 8).random(3)
    assert np.array_equal(a, b) and not np.array_equal(a, c) and not np.array_equal(a, d)
    assert len(set(SCENARIO_KEYS.values())) == len(SCENARIO_KEYS)


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
    assert set(rows["scenario"]) == set(ROBUSTNESS_SCENARIOS)
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
    for scenario in ROBUSTNESS_SCENARIOS:
        for shard in range(shards):
            out = tmp_path / tag / f"{scenario}-{shard}.csv"
            code = cli.main(["robustness-shard", "--params", params, "--scenario", scenario,
                             "--shard", str(shard), "--output", str(out)])
            assert code == 0
            outputs.append(out)
    random.Random(shards).shuffle(outputs)  # the merge must not depend on input order
    merged = [tmp_path / tag / "replications.csv", tmp_path / tag / "summary.csv"]
    code = cli.main(["robustness-merge", "--inputs", *map(str, outputs), "--replications",
                     str(merged[0]), "--summary", str(merged[1])])
    assert code == 0
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
